/* rtnetlink parsing of CAN link info (crafted messages) and a live query. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <linux/can/netlink.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "katapult/canlink.h"

static size_t put_attr(uint8_t *p, uint16_t type, const void *data, size_t len)
{
    uint16_t alen = (uint16_t)(4 + len);
    memcpy(p, &alen, 2);
    memcpy(p + 2, &type, 2);
    if (len)
        memcpy(p + 4, data, len);
    size_t total = (alen + 3u) & ~3u;
    memset(p + alen, 0, total - alen);
    return total;
}

/* Builds RTM_NEWLINK with IFLA_LINKINFO{KIND=kind, DATA{BITTIMING, STATE}}. */
static size_t build(uint8_t *buf, const char *kind, uint32_t bitrate, uint32_t state, bool up)
{
    memset(buf, 0, 512);
    struct nlmsghdr h = {.nlmsg_type = RTM_NEWLINK};
    struct ifinfomsg ifi = {.ifi_flags = up ? IFF_UP : 0};
    size_t off = NLMSG_ALIGN(sizeof(h));
    memcpy(buf + off, &ifi, sizeof(ifi));
    off += NLMSG_ALIGN(sizeof(ifi));
    off += put_attr(buf + off, IFLA_IFNAME, "can0", 5);
    uint8_t oper = up ? 6 : 2; /* IF_OPER_UP, IF_OPER_DOWN */
    uint32_t txqlen = 1024;
    off += put_attr(buf + off, IFLA_OPERSTATE, &oper, 1);
    off += put_attr(buf + off, IFLA_TXQLEN, &txqlen, 4);
    uint8_t data[128], info[256];
    struct can_bittiming bt = {.bitrate = bitrate, .sample_point = 875};
    size_t dl = put_attr(data, IFLA_CAN_BITTIMING, &bt, sizeof(bt));
    dl += put_attr(data + dl, IFLA_CAN_STATE, &state, 4);
    size_t il = put_attr(info, IFLA_INFO_KIND, kind, strlen(kind) + 1);
    il += put_attr(info + il, IFLA_INFO_DATA | NLA_F_NESTED, data, dl);
    off += put_attr(buf + off, IFLA_LINKINFO | NLA_F_NESTED, info, il);
    h.nlmsg_len = (uint32_t)off;
    memcpy(buf, &h, sizeof(h));
    return off;
}

static void test_parse(void **state)
{
    (void)state;
    uint8_t buf[512];
    cf_kp_canlink l;
    size_t n = build(buf, "can", 500000, 0, true);
    assert_true(cf_kp_canlink_parse(buf, n, &l));
    assert_true(l.up);
    assert_string_equal(l.kind, "can");
    assert_true(l.has_bitrate);
    assert_int_equal(l.bitrate, 500000);
    assert_true(l.has_state);
    assert_string_equal(cf_kp_can_state_name(l.state), "ERROR-ACTIVE");
    assert_string_equal(cf_kp_oper_state_name(l.operstate), "UP");
    assert_int_equal(l.txqlen, 1024);
    /* vcan: the same attributes are not CAN bit timing. */
    n = build(buf, "vcan", 500000, 3, false);
    assert_true(cf_kp_canlink_parse(buf, n, &l));
    assert_false(l.up);
    assert_false(l.has_bitrate);
    assert_string_equal(cf_kp_oper_state_name(l.operstate), "DOWN");
    assert_string_equal(cf_kp_oper_state_name(200), "UNKNOWN");
    /* Truncations never read past the end, and most are refused. */
    n = build(buf, "can", 1000000, 3, true);
    for (size_t cut = 0; cut < n; cut++) {
        struct nlmsghdr h;
        memcpy(&h, buf, sizeof(h));
        (void)cf_kp_canlink_parse(buf, cut, &l);
    }
    assert_false(cf_kp_canlink_parse(buf, 10, &l));
}

static void test_live(void **state)
{
    (void)state;
    cf_kp_canlink l;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_kp_canlink_get("no-such-if0", &l, &err), CF_ERR_NOT_FOUND);
    cf_error_reset(&err);
    assert_int_equal(cf_kp_canlink_get("lo", &l, &err), CF_OK);
    assert_true(l.up);
    assert_false(l.has_bitrate);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
