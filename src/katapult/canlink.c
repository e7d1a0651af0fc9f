/* rtnetlink reader for CAN link state and bitrate. */
#include "katapult/canlink.h"

#include <errno.h>
#include <linux/can/netlink.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* Walks attributes in [p, p+len): calls fn for each well-formed one. */
typedef void (*attr_fn)(void *ctx, uint16_t type, const uint8_t *data, size_t len);

static void walk_attrs(const uint8_t *p, size_t len, attr_fn fn, void *ctx)
{
    while (len >= 4) {
        uint16_t alen, type;
        memcpy(&alen, p, 2);
        memcpy(&type, p + 2, 2);
        if (alen < 4 || alen > len)
            return;
        fn(ctx, type & NLA_TYPE_MASK, p + 4, alen - 4u);
        size_t step = (alen + 3u) & ~3u;
        if (step >= len)
            return;
        p += step;
        len -= step;
    }
}

static void on_can_data(void *ctx, uint16_t type, const uint8_t *d, size_t len)
{
    cf_kp_canlink *out = ctx;
    if (type == IFLA_CAN_BITTIMING && len >= sizeof(uint32_t)) {
        uint32_t br;
        memcpy(&br, d, sizeof(br)); /* struct can_bittiming starts with bitrate */
        out->has_bitrate = br != 0;
        out->bitrate = br;
    } else if (type == IFLA_CAN_STATE && len >= sizeof(uint32_t)) {
        memcpy(&out->state, d, sizeof(uint32_t));
        out->has_state = true;
    }
}

typedef struct linkinfo_ctx {
    cf_kp_canlink *out;
    const uint8_t *data;
    size_t data_len;
} linkinfo_ctx;

static void on_linkinfo(void *vctx, uint16_t type, const uint8_t *d, size_t len)
{
    linkinfo_ctx *ctx = vctx;
    if (type == IFLA_INFO_KIND) {
        size_t n = strnlen((const char *)d, len);
        if (n >= sizeof(ctx->out->kind))
            n = sizeof(ctx->out->kind) - 1;
        memcpy(ctx->out->kind, d, n);
        ctx->out->kind[n] = 0;
    } else if (type == IFLA_INFO_DATA) {
        ctx->data = d;
        ctx->data_len = len;
    }
}

static void on_link(void *vctx, uint16_t type, const uint8_t *d, size_t len)
{
    linkinfo_ctx *ctx = vctx;
    if (type == IFLA_LINKINFO)
        walk_attrs(d, len, on_linkinfo, ctx);
    else if (type == IFLA_OPERSTATE && len >= 1)
        ctx->out->operstate = d[0];
    else if (type == IFLA_TXQLEN && len >= sizeof(uint32_t))
        memcpy(&ctx->out->txqlen, d, sizeof(uint32_t));
}

bool cf_kp_canlink_parse(const uint8_t *msg, size_t len, cf_kp_canlink *out)
{
    memset(out, 0, sizeof(*out));
    struct nlmsghdr h;
    struct ifinfomsg ifi;
    if (len < sizeof(h) + sizeof(ifi))
        return false;
    memcpy(&h, msg, sizeof(h));
    if (h.nlmsg_type != RTM_NEWLINK || h.nlmsg_len > len || h.nlmsg_len < sizeof(h) + sizeof(ifi))
        return false;
    memcpy(&ifi, msg + sizeof(h), sizeof(ifi));
    out->up = (ifi.ifi_flags & IFF_UP) != 0;
    size_t off = NLMSG_ALIGN(sizeof(h)) + NLMSG_ALIGN(sizeof(ifi));
    if (off > h.nlmsg_len)
        return false;
    linkinfo_ctx ctx = {.out = out};
    walk_attrs(msg + off, h.nlmsg_len - off, on_link, &ctx);
    /* Only a "can" link's INFO_DATA holds IFLA_CAN_* attributes. */
    if (ctx.data && strcmp(out->kind, "can") == 0)
        walk_attrs(ctx.data, ctx.data_len, on_can_data, out);
    return true;
}

cf_code cf_kp_canlink_get(const char *ifname, cf_kp_canlink *out, cf_error *err)
{
    memset(out, 0, sizeof(*out));
    unsigned idx = if_nametoindex(ifname);
    if (!idx) {
        cf_fail(err, CF_ERR_NOT_FOUND, "there is no network interface named %s", ifname);
        cf_hint(err, "check `ip link` for the CAN interface's name");
        return CF_ERR_NOT_FOUND;
    }
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return cf_fail(err, CF_ERR_IO, "cannot open a netlink socket: %s", strerror(errno));
    struct timeval tv = {.tv_sec = 2};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct {
        struct nlmsghdr h;
        struct ifinfomsg ifi;
    } req;
    memset(&req, 0, sizeof(req));
    req.h.nlmsg_len = sizeof(req);
    req.h.nlmsg_type = RTM_GETLINK;
    req.h.nlmsg_flags = NLM_F_REQUEST;
    req.h.nlmsg_seq = 1;
    req.ifi.ifi_family = AF_UNSPEC;
    req.ifi.ifi_index = (int)idx;
    if (send(fd, &req, sizeof(req), 0) < 0) {
        int e = errno;
        close(fd);
        return cf_fail(err, CF_ERR_IO, "netlink request failed: %s", strerror(e));
    }
    uint8_t buf[16384];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    int e = errno;
    close(fd);
    if (n < 0)
        return cf_fail(err, CF_ERR_IO, "netlink reply failed: %s", strerror(e));
    if (!cf_kp_canlink_parse(buf, (size_t)n, out))
        return cf_fail(err, CF_ERR_FORMAT, "unexpected netlink reply for %s", ifname);
    return CF_OK;
}

const char *cf_kp_oper_state_name(uint8_t operstate)
{
    /* RFC 2863 ifOperStatus as linux/if.h numbers it (IF_OPER_UNKNOWN = 0 ..
     * IF_OPER_UP = 6), in the words `ip link` prints. */
    static const char *names[] = {"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN",
                                  "TESTING", "DORMANT",    "UP"};
    return operstate < sizeof(names) / sizeof(names[0]) ? names[operstate] : "UNKNOWN";
}

const char *cf_kp_can_state_name(uint32_t state)
{
    static const char *names[] = {"ERROR-ACTIVE", "ERROR-WARNING", "ERROR-PASSIVE",
                                  "BUS-OFF",      "STOPPED",       "SLEEPING"};
    return state < sizeof(names) / sizeof(names[0]) ? names[state] : "UNKNOWN";
}
