/* Klipper MCU protocol (cmocka): framing, VLQ, identify_response parsing, the
 * identify client against the simulated MCU side (in memory, with lost
 * answers and an MCU that expects another sequence), the dictionary checks,
 * and the emulated Katapult node answering identify from its flash on USB and
 * CAN. Real firmware from CF_FIRMWARE_DIR: the tests fail,
 * not skip, without it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "common/clock.h"
#include "common/fileio.h"
#include "katapult/katapult.h"
#include "sim/node.h"
#include "klipper/reach.h"
#include "klipper/klipper.h"
#include "sim/sim.h"

#define SURVEY "/cartographer_firmware/firmware/v2-v3/survey/"
#define USB_500 SURVEY "5.0.0/Survey_Cartographer_USB_8kib_offset.bin"
#define USB_510 SURVEY "5.1.0/Survey_Cartographer_USB_8kib_offset.bin"
#define CAN_510_1M SURVEY "5.1.0/Survey_Cartographer_CAN_1000000_8kib_offset.bin"
#define CAN_510_500K SURVEY "5.1.0/Survey_Cartographer_CAN_500000_8kib_offset.bin"
#define V4_600_USB                                                                                 \
    "/cartographer_firmware/firmware/v4/firmware/6.0.0/"                                           \
    "CartographerV4_6.0.0_USB_full_8kib_offset.bin"

static void fw_path(char *buf, size_t size, const char *rel)
{
    const char *dir = getenv("CF_FIRMWARE_DIR");
    assert_non_null(dir);
    snprintf(buf, size, "%s%s", dir, rel);
}

static void load(const char *rel, cf_image *img)
{
    char p[1024];
    fw_path(p, sizeof(p), rel);
    cf_image_load_opts lo = {.default_address = 0x08002000u};
    cf_error err = {0};
    assert_int_equal(cf_image_load(p, &lo, img, &err), CF_OK);
}

/* The compressed dictionary as it sits in the image (what identify hands out). */
static const uint8_t *dict_of(const cf_image *img, size_t *len)
{
    size_t off = 0;
    assert_true(
        cf_image_dictionary_locate(img->segments[0].data, img->segments[0].size, &off, len));
    return img->segments[0].data + off;
}

/* ---- framing ---- */

static void test_crc_check_value(void **state)
{
    (void)state;
    /* CRC-16/MCRF4XX (CCITT, reflected, init 0xffff), which Klipper's
     * crc16_ccitt is: the catalogued check value for "123456789". */
    assert_int_equal(cf_kl_crc16((const uint8_t *)"123456789", 9), 0x6f91);
}

static void test_vlq_sizes_and_roundtrip(void **state)
{
    (void)state;
    /* The size table of docs/Protocol.md. */
    static const struct {
        int64_t v;
        size_t n;
    } t[] = {{-32, 1},       {95, 1},        {-33, 2},           {96, 2},
             {-4096, 2},     {12287, 2},     {-4097, 3},         {12288, 3},
             {-524288, 3},   {1572863, 3},   {1572864, 4},       {-67108864, 4},
             {201326591, 4}, {201326592, 5}, {-2147483648LL, 5}, {4294967295LL, 5}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        uint8_t b[8];
        size_t n = cf_kl_vlq_put(b, sizeof(b), t[i].v);
        assert_int_equal(n, t[i].n);
        size_t pos = 0;
        uint32_t back;
        assert_true(cf_kl_vlq_get(b, n, &pos, &back));
        assert_int_equal(pos, n);
        assert_int_equal(back, (uint32_t)t[i].v);
        pos = 0;
        if (n > 1)
            assert_false(cf_kl_vlq_get(b, n - 1, &pos, &back)); /* truncated */
    }
    /* identify offset=0 count=40 is 01 00 28 on the wire. */
    uint8_t b[4];
    assert_int_equal(cf_kl_vlq_put(b, 4, 1), 1);
    assert_int_equal(b[0], 0x01);
    assert_int_equal(cf_kl_vlq_put(b, 4, 40), 1);
    assert_int_equal(b[0], 0x28);
    assert_int_equal(cf_kl_vlq_put(b, 4, 200), 2);
    assert_int_equal(b[0], 0x81);
    assert_int_equal(b[1], 0x48);
    /* Six continuation bytes are not a 32-bit VLQ. */
    const uint8_t longer[6] = {0x81, 0x81, 0x81, 0x81, 0x81, 0x01};
    size_t pos = 0;
    uint32_t v;
    assert_false(cf_kl_vlq_get(longer, 6, &pos, &v));
}

static void test_block_encode_find(void **state)
{
    (void)state;
    const uint8_t content[3] = {0x01, 0x00, 0x28};
    uint8_t b[CF_KL_BLOCK_MAX];
    size_t n = cf_kl_block_encode(3, content, 3, b, sizeof(b));
    assert_int_equal(n, 8);
    assert_int_equal(b[0], 8);
    assert_int_equal(b[1], 0x13);
    assert_int_equal(b[7], 0x7e);
    uint16_t crc = cf_kl_crc16(b, 5);
    assert_int_equal(b[5], crc >> 8); /* high byte first */
    assert_int_equal(b[6], crc & 0xff);
    size_t used;
    assert_int_equal(cf_kl_block_find(b, n, &used), 1);
    assert_int_equal(used, 8);
    assert_int_equal(cf_kl_block_find(b, 6, &used), 0); /* incomplete */
    assert_int_equal(used, 0);
    /* A leading sync byte is dropped alone. */
    uint8_t s[9] = {0x7e};
    memcpy(s + 1, b, 8);
    assert_int_equal(cf_kl_block_find(s, 9, &used), -1);
    assert_int_equal(used, 1);
    /* A bad CRC drops through the block's own sync byte. */
    b[3] ^= 1;
    assert_int_equal(cf_kl_block_find(b, n, &used), -1);
    assert_int_equal(used, 8);
    /* A bad sequence byte, a length out of range. */
    uint8_t bad[8] = {8, 0x23, 1, 0, 0x28, 0, 0, 0x7e};
    assert_int_equal(cf_kl_block_find(bad, 8, &used), -1);
    uint8_t tiny[5] = {4, 0x10, 0, 0, 0x7e};
    assert_int_equal(cf_kl_block_find(tiny, 5, &used), -1);
    /* Content over 59 bytes does not fit a block. */
    uint8_t big[60] = {0};
    assert_int_equal(cf_kl_block_encode(0, big, 60, b, sizeof(b)), 0);
    assert_int_equal(cf_kl_block_encode(0, big, 59, b, sizeof(b)), 64);
}

static void test_identify_response_parse(void **state)
{
    (void)state;
    cf_error err = {0};
    uint32_t off;
    const uint8_t *data;
    size_t n;
    const uint8_t ok[] = {0x00, 0x81, 0x48, 0x03, 'a', 'b', 'c'}; /* offset 200, "abc" */
    assert_int_equal(cf_kl_parse_identify_response(ok, sizeof(ok), &off, &data, &n, &err), CF_OK);
    assert_int_equal(off, 200);
    assert_int_equal(n, 3);
    assert_memory_equal(data, "abc", 3);
    const uint8_t other[] = {0x05, 0x00};
    assert_int_equal(cf_kl_parse_identify_response(other, 2, &off, &data, &n, &err), CF_ERR_FORMAT);
    assert_non_null(strstr(err.message, "not identify_response"));
    cf_error_reset(&err);
    const uint8_t longer[] = {0x00, 0x00, 0x05, 'a'};
    assert_int_equal(cf_kl_parse_identify_response(longer, 4, &off, &data, &n, &err),
                     CF_ERR_FORMAT);
    assert_non_null(strstr(err.message, "claims 5 data bytes"));
    cf_error_reset(&err);
    const uint8_t trailing[] = {0x00, 0x00, 0x01, 'a', 'b'};
    assert_int_equal(cf_kl_parse_identify_response(trailing, 5, &off, &data, &n, &err),
                     CF_ERR_FORMAT);
    assert_int_equal(cf_kl_parse_identify_response(NULL, 0, &off, &data, &n, &err), CF_ERR_FORMAT);
}

/* ---- the client against the MCU side, in memory ---- */

typedef struct fake {
    cf_kp_stream base;
    cf_kl_mcu mcu;
    uint8_t out[4096];
    size_t out_len;
    unsigned drop_answers; /* lose this many identify_response blocks */
    bool silent;
} fake;

static cf_code fake_write(cf_kp_stream *s, const uint8_t *d, size_t len, cf_error *err)
{
    (void)err;
    fake *f = (fake *)s;
    if (f->silent)
        return CF_OK;
    uint8_t o[512];
    size_t n = 0;
    cf_kl_mcu_input(&f->mcu, d, len, o, sizeof(o), &n);
    for (size_t i = 0; i < n;) {
        size_t bl = o[i];
        bool answer = bl > CF_KL_BLOCK_MIN;
        if (answer && f->drop_answers) {
            f->drop_answers--;
        } else {
            memcpy(f->out + f->out_len, o + i, bl);
            f->out_len += bl;
        }
        i += bl;
    }
    return CF_OK;
}

static cf_code fake_read(cf_kp_stream *s, uint8_t *buf, size_t cap, size_t *got, int timeout_ms,
                         cf_error *err)
{
    (void)err;
    fake *f = (fake *)s;
    if (!f->out_len) {
        cf_sleep_ns((uint64_t)timeout_ms * 1000000ull);
        *got = 0;
        return CF_OK;
    }
    size_t n = f->out_len < cap ? f->out_len : cap;
    memcpy(buf, f->out, n);
    memmove(f->out, f->out + n, f->out_len - n);
    f->out_len -= n;
    *got = n;
    return CF_OK;
}

static void fake_init(fake *f, const uint8_t *dict, size_t len)
{
    memset(f, 0, sizeof(*f));
    f->base.write = fake_write;
    f->base.read = fake_read;
    cf_kl_mcu_reset(&f->mcu, dict, len);
}

static void test_identify_real_dictionary(void **state)
{
    (void)state;
    cf_image img;
    load(USB_500, &img);
    size_t len;
    const uint8_t *d = dict_of(&img, &len);
    fake f;
    fake_init(&f, d, len);
    cf_kl_ident id = {0};
    cf_error err = {0};
    assert_int_equal(cf_kl_identify_stream(&f.base, "test-mcu", 100, &id, &err), CF_OK);
    assert_string_equal(id.info.version, "CARTOGRAPHER 5.0.0");
    assert_string_equal(id.info.mcu, "stm32f042x6");
    assert_int_equal(id.info.iface, CF_IFACE_USB);
    assert_int_equal(id.compressed_len, len);
    /* One request per 40 bytes plus the empty one that ends it, no retries. */
    assert_int_equal(id.requests, (len + 39) / 40 + 1);
    assert_int_equal(id.retries, 0);
    assert_int_equal(f.mcu.identifies, id.requests);
    assert_true(cf_kl_image_is_running(&id, &img));
    cf_kl_ident_free(&id);
    cf_image_free(&img);
}

static void test_identify_learns_sequence_and_survives_loss(void **state)
{
    (void)state;
    cf_image img;
    load(CAN_510_1M, &img);
    size_t len;
    const uint8_t *d = dict_of(&img, &len);
    fake f;
    fake_init(&f, d, len);
    f.mcu.next_seq = 0x10 | 0x0b; /* an earlier host left the MCU expecting 11 */
    f.drop_answers = 2;
    cf_kl_ident id = {0};
    cf_error err = {0};
    assert_int_equal(cf_kl_identify_stream(&f.base, "test-mcu", 50, &id, &err), CF_OK);
    assert_string_equal(id.info.version, "CARTOGRAPHER 5.1.0");
    assert_int_equal(id.info.iface, CF_IFACE_CAN);
    assert_int_equal(id.info.can_bitrate, 1000000);
    assert_true(id.retries >= 3); /* one nak, two lost answers */
    cf_kl_ident_free(&id);
    cf_image_free(&img);
}

static void test_identify_bad_dictionaries(void **state)
{
    (void)state;
    cf_image img;
    load(USB_510, &img);
    size_t len;
    const uint8_t *d = dict_of(&img, &len);
    uint8_t *bad = malloc(len);
    memcpy(bad, d, len);
    bad[len / 2] ^= 0x55;
    fake f;
    fake_init(&f, bad, len);
    cf_kl_ident id = {0};
    cf_error err = {0};
    assert_int_equal(cf_kl_identify_stream(&f.base, "/dev/ttyACM7", 100, &id, &err), CF_ERR_FORMAT);
    assert_non_null(strstr(err.message, "/dev/ttyACM7")); /* names the device */
    assert_null(id.json);
    /* Cut short. */
    fake_init(&f, d, len - 10);
    cf_error_reset(&err);
    assert_int_equal(cf_kl_identify_stream(&f.base, "/dev/ttyACM7", 100, &id, &err), CF_ERR_FORMAT);
    assert_non_null(strstr(err.message, "does not inflate"));
    /* Empty. */
    fake_init(&f, d, 0);
    cf_error_reset(&err);
    assert_int_equal(cf_kl_identify_stream(&f.base, "/dev/ttyACM7", 100, &id, &err), CF_ERR_FORMAT);
    assert_non_null(strstr(err.message, "empty data dictionary"));
    /* JSON that is not a Klipper dictionary. */
    static const char notdict[] = "{\"hello\": 1}";
    uint8_t z[64];
    uLongf zl = sizeof(z);
    assert_int_equal(compress(z, &zl, (const Bytef *)notdict, sizeof(notdict) - 1), Z_OK);
    fake_init(&f, z, zl);
    cf_error_reset(&err);
    assert_int_equal(cf_kl_identify_stream(&f.base, "/dev/ttyACM7", 100, &id, &err), CF_ERR_FORMAT);
    assert_non_null(strstr(err.message, "does not parse"));
    /* Silence. */
    fake_init(&f, d, len);
    f.silent = true;
    cf_error_reset(&err);
    uint64_t t0 = cf_now_ns();
    assert_int_equal(cf_kl_identify_stream(&f.base, "/dev/ttyACM7", 100, &id, &err),
                     CF_ERR_TIMEOUT);
    assert_non_null(strstr(err.message, "did not answer"));
    assert_true(cf_now_ns() - t0 < 1000000000ull); /* two tries, not a long wait */
    free(bad);
    cf_image_free(&img);
}

static void test_same_build(void **state)
{
    (void)state;
    cf_image a, b, c;
    load(CAN_510_1M, &a);
    load(CAN_510_500K, &b);
    load(USB_510, &c);
    size_t la, lb, lc;
    char *ja = cf_image_dictionary_json(&a, &la);
    char *jb = cf_image_dictionary_json(&b, &lb);
    char *jc = cf_image_dictionary_json(&c, &lc);
    assert_non_null(ja);
    assert_true(cf_kl_same_build(ja, la, ja, la));
    assert_false(cf_kl_same_build(ja, la, jb, lb)); /* same version, other CAN bitrate */
    assert_false(cf_kl_same_build(ja, la, jc, lc)); /* same version, USB build */
    assert_false(cf_kl_same_build(ja, la, "{}", 2));
    free(ja);
    free(jb);
    free(jc);
    cf_image_free(&a);
    cf_image_free(&b);
    cf_image_free(&c);
}

/* ---- the emulated node (sim/node.h), driven with a fake clock ---- */

typedef struct node_stream {
    cf_kp_stream base;
    cf_kpn *node;
    bool can;
    uint8_t nodeid;
    uint64_t now;
} node_stream;

static cf_code ns_write(cf_kp_stream *s, const uint8_t *d, size_t len, cf_error *err)
{
    (void)err;
    node_stream *ns = (node_stream *)s;
    if (!ns->can) {
        cf_kpn_stream_rx(ns->node, ns->now, d, len);
        return CF_OK;
    }
    for (size_t i = 0; i < len; i += 8)
        cf_kpn_can_rx(ns->node, ns->now, 0x100u + 2u * ns->nodeid, d + i,
                      (uint8_t)(len - i < 8 ? len - i : 8));
    return CF_OK;
}

static cf_code ns_read(cf_kp_stream *s, uint8_t *buf, size_t cap, size_t *got, int timeout_ms,
                       cf_error *err)
{
    (void)err;
    (void)timeout_ms;
    node_stream *ns = (node_stream *)s;
    *got = 0;
    if (!ns->can) {
        *got = cf_kpn_stream_tx(ns->node, ns->now, buf, cap);
        return CF_OK;
    }
    uint32_t id;
    uint8_t d[8], dlc;
    while (cap - *got >= 8 && cf_kpn_can_tx(ns->node, ns->now, &id, d, &dlc)) {
        assert_int_equal(id, 0x100u + 2u * ns->nodeid + 1u);
        memcpy(buf + *got, d, dlc);
        *got += dlc;
    }
    return CF_OK;
}

static cf_kpn *make_node(const char *spec)
{
    cf_kpn_config cfg;
    cf_error err = {0};
    assert_int_equal(cf_kpn_parse_spec(spec, &cfg, &err), CF_OK);
    cf_kpn *n;
    assert_int_equal(cf_kpn_new(&cfg, 0, &n, &err), CF_OK);
    return n;
}

static void test_node_usb_answers_from_flash(void **state)
{
    (void)state;
    char spec[1200], p[1024];
    fw_path(p, sizeof(p), USB_500);
    snprintf(spec, sizeof(spec), "katapult-usb,app=%s", p);
    cf_kpn *n = make_node(spec);
    node_stream ns = {.base = {.write = ns_write, .read = ns_read}, .node = n, .now = 1};
    cf_kl_ident id = {0};
    cf_error err = {0};
    assert_int_equal(cf_kl_identify_stream(&ns.base, "sim", 20, &id, &err), CF_OK);
    assert_string_equal(id.info.version, "CARTOGRAPHER 5.0.0");
    cf_kpn_stats st;
    cf_kpn_get_stats(n, &st);
    assert_int_equal(st.identifies, id.requests);
    assert_int_equal(st.bootloader_requests, 0);
    cf_kl_ident_free(&id);
    cf_kpn_free(n);
    /* No firmware in flash: nothing answers. */
    n = make_node("katapult-usb");
    ns.node = n;
    cf_error_reset(&err);
    assert_int_equal(cf_kl_identify_stream(&ns.base, "sim", 20, &id, &err), CF_ERR_TIMEOUT);
    cf_kpn_free(n);
    /* An app for the other MCU does not run on a G431. */
    snprintf(spec, sizeof(spec), "katapult-usb:g431,app=%s", p);
    n = make_node(spec);
    ns.node = n;
    cf_error_reset(&err);
    assert_int_equal(cf_kl_identify_stream(&ns.base, "sim", 20, &id, &err), CF_ERR_TIMEOUT);
    cf_kpn_free(n);
    /* The G431's own firmware does. */
    fw_path(p, sizeof(p), V4_600_USB);
    snprintf(spec, sizeof(spec), "katapult-usb:g431,app=%s", p);
    n = make_node(spec);
    ns.node = n;
    cf_error_reset(&err);
    assert_int_equal(cf_kl_identify_stream(&ns.base, "sim", 20, &id, &err), CF_OK);
    assert_string_equal(id.info.mcu, "stm32g431xx");
    assert_string_equal(id.info.version, "CARTOGRAPHER V4 6.0.0");
    cf_kl_ident_free(&id);
    cf_kpn_free(n);
}

static void test_node_can_answers_on_its_node_id(void **state)
{
    (void)state;
    char spec[1200], p[1024];
    fw_path(p, sizeof(p), CAN_510_1M);
    snprintf(spec, sizeof(spec), "katapult-can,app=%s", p);
    cf_kpn *n = make_node(spec);
    node_stream ns = {.base = {.write = ns_write, .read = ns_read},
                      .node = n,
                      .can = true,
                      .nodeid = 0x90,
                      .now = 1};
    /* Before it has a node id it does not listen on one. */
    cf_kl_ident id = {0};
    cf_error err = {0};
    assert_int_equal(cf_kl_identify_stream(&ns.base, "sim", 20, &id, &err), CF_ERR_TIMEOUT);
    uint8_t set[8] = {0x01};
    memcpy(set + 1, cf_kpn_uuid(n), 6);
    set[7] = 0x90;
    cf_kpn_can_rx(n, 1, 0x3f0, set, 8);
    cf_error_reset(&err);
    assert_int_equal(cf_kl_identify_stream(&ns.base, "sim", 20, &id, &err), CF_OK);
    assert_string_equal(id.info.version, "CARTOGRAPHER 5.1.0");
    assert_int_equal(id.info.can_bitrate, 1000000);
    /* With an id it no longer answers QUERY_UNASSIGNED (canserial.c). */
    uint8_t q = 0, d[8], dlc;
    uint32_t cid;
    cf_kpn_can_rx(n, 1, 0x3f0, &q, 1);
    assert_false(cf_kpn_can_tx(n, 1, &cid, d, &dlc));
    cf_kl_ident_free(&id);
    cf_kpn_free(n);
}

static void fresh_state(void)
{
    static char dir[] = "/tmp/cf-klipper-test-XXXXXX";
    static bool made;
    if (!made) {
        assert_non_null(mkdtemp(dir));
        made = true;
    }
    setenv("XDG_STATE_HOME", dir, 1);
    char p[256];
    snprintf(p, sizeof(p), "%s/cartoflash/can-node-ids", dir);
    unlink(p);
}

static void test_node_ids_one_per_uuid(void **state)
{
    (void)state;
    fresh_state();
    cf_error err = {0};
    uint8_t a, a2, b, a3;
    bool known;
    assert_int_equal(cf_kl_can_temp_id("0123456789ab", &a, &known, &err), CF_OK);
    assert_false(known);
    assert_true(a >= 0x90 && a < 0xe0); /* clear of klippy's 4.. and flashtool's 0x81 */
    assert_int_equal(cf_kl_can_temp_id("0123456789ab", &a2, &known, &err), CF_OK);
    assert_true(known);
    assert_int_equal(a2, a);
    assert_int_equal(cf_kl_can_temp_id("ba9876543210", &b, &known, &err), CF_OK);
    assert_int_not_equal(b, a);
    /* The id a UUID would start from is taken by another: it gets another one. */
    fresh_state();
    char text[64];
    snprintf(text, sizeof(text), "ffffffffffff %u\njunk line\n", (unsigned)a);
    char p[256];
    snprintf(p, sizeof(p), "%s/cartoflash", getenv("XDG_STATE_HOME"));
    assert_int_equal(cf_mkdirs(p, 0700, &err), CF_OK);
    strcat(p, "/can-node-ids");
    assert_int_equal(cf_write_file_atomic(p, text, strlen(text), &err), CF_OK);
    assert_int_equal(cf_kl_can_temp_id("0123456789ab", &a3, &known, &err), CF_OK);
    assert_false(known);
    assert_int_not_equal(a3, a);
    cf_kl_nodeid e[8];
    assert_int_equal(cf_kl_nodeids_load(e, 8), 2); /* the junk line is skipped */
    assert_int_equal(cf_kl_can_temp_id("NOT-A-UUID!!", &a3, &known, &err), CF_ERR_USAGE);
}

/* The threaded simulator on its CAN bus: identify, then again once the node
 * has our id and no longer answers the query. */
static void test_sim_can_identify_twice(void **state)
{
    (void)state;
    fresh_state();
    char spec[1200], p[1024];
    fw_path(p, sizeof(p), CAN_510_1M);
    snprintf(spec, sizeof(spec), "katapult-can,app=%s", p);
    cf_sim_kp *sim;
    cf_error err = {0};
    assert_int_equal(cf_sim_kp_new(spec, &sim, &err), CF_OK);
    cf_kp_env env = {.transport = cf_sim_kp_transport(sim)};
    cf_kl_ident id = {0};
    assert_int_equal(cf_kl_identify_can(&env, "can0", cf_sim_kp_uuid(sim), &id, &err), CF_OK);
    assert_string_equal(id.info.version, "CARTOGRAPHER 5.1.0");
    assert_string_equal(id.source, "identify over CAN");
    cf_kl_ident_free(&id);
    cf_kp_found_uuid f[4];
    size_t n = 9;
    assert_int_equal(cf_kp_can_query_env(&env, "can0", 200, f, 4, &n, &err), CF_OK);
    assert_int_equal(n, 0); /* it has a node id now */
    assert_int_equal(cf_kl_identify_can(&env, "can0", cf_sim_kp_uuid(sim), &id, &err), CF_OK);
    assert_non_null(strstr(id.source, "node id"));
    assert_string_equal(id.info.version, "CARTOGRAPHER 5.1.0");
    cf_kl_ident_free(&id);
    unsigned completes, blocks, requests;
    cf_sim_kp_node_stats(sim, &completes, &blocks, &requests);
    assert_int_equal(requests, 0); /* identify never asks for the bootloader */
    cf_sim_kp_free(sim);
    /* Without the remembered id, a silent node is left alone. */
    assert_int_equal(cf_sim_kp_new(spec, &sim, &err), CF_OK);
    env.transport = cf_sim_kp_transport(sim);
    assert_int_equal(cf_kl_identify_can(&env, "can0", cf_sim_kp_uuid(sim), &id, &err), CF_OK);
    fresh_state();
    cf_error_reset(&err);
    assert_int_equal(cf_kl_identify_can(&env, "can0", cf_sim_kp_uuid(sim), &id, &err), CF_ERR_GATE);
    assert_non_null(strstr(err.message, "does not answer a query"));
    cf_kl_ident_free(&id);
    cf_sim_kp_free(sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_check_value),
        cmocka_unit_test(test_vlq_sizes_and_roundtrip),
        cmocka_unit_test(test_block_encode_find),
        cmocka_unit_test(test_identify_response_parse),
        cmocka_unit_test(test_identify_real_dictionary),
        cmocka_unit_test(test_identify_learns_sequence_and_survives_loss),
        cmocka_unit_test(test_identify_bad_dictionaries),
        cmocka_unit_test(test_same_build),
        cmocka_unit_test(test_node_usb_answers_from_flash),
        cmocka_unit_test(test_node_can_answers_on_its_node_id),
        cmocka_unit_test(test_node_ids_one_per_uuid),
        cmocka_unit_test(test_sim_can_identify_twice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
