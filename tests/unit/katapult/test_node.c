/* The emulated Katapult node core, driven directly with a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "katapult/canbits.h"
#include "common/chipid.h"
#include "sim/node.h"
#include "katapult/proto.h"

#define MS 1000000ull

static cf_kpn *make(const char *spec, uint64_t now)
{
    cf_kpn_config cfg;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_kpn_parse_spec(spec, &cfg, &err), CF_OK);
    cf_kpn *n;
    assert_int_equal(cf_kpn_new(&cfg, now, &n, &err), CF_OK);
    return n;
}

/* Sends a frame on CAN id 0x202 and decodes the node's answer on 0x203. */
static bool can_cmd(cf_kpn *n, uint64_t now, uint8_t cmd, const uint8_t *p, size_t len,
                    cf_kp_decoder *d, cf_kp_frame *f)
{
    uint8_t frame[300];
    size_t fl = cf_kp_frame_encode(cmd, p, len, frame, sizeof(frame));
    for (size_t i = 0; i < fl; i += 8)
        cf_kpn_can_rx(n, now, 0x202, frame + i, (uint8_t)(fl - i < 8 ? fl - i : 8));
    uint32_t id;
    uint8_t data[8], dlc;
    while (cf_kpn_can_tx(n, now, &id, data, &dlc)) {
        assert_int_equal(id, 0x203);
        cf_kp_decoder_feed(d, data, dlc);
    }
    return cf_kp_decoder_next(d, f);
}

static void test_uuid_vector(void **state)
{
    (void)state;
    uint8_t uid[12], uuid[6];
    for (int i = 0; i < 12; i++)
        uid[i] = (uint8_t)i;
    cf_chipid_can_uuid(uid, 12, uuid);
    const uint8_t want[6] = {0x90, 0xa4, 0xae, 0x02, 0x2d, 0xfc};
    assert_memory_equal(uuid, want, 6);
}

static void test_can_klipper_to_katapult(void **state)
{
    (void)state;
    cf_kpn *n = make("katapult-can,boot=100", 0);
    const uint8_t *u = cf_kpn_uuid(n);
    uint8_t q = 0, d[8], dlc;
    uint32_t id;
    cf_kpn_can_rx(n, 0, 0x3F0, &q, 1);
    assert_true(cf_kpn_can_tx(n, 0, &id, d, &dlc));
    assert_int_equal(id, 0x3F1);
    assert_int_equal(dlc, 8);
    assert_int_equal(d[0], 0x20);
    assert_memory_equal(d + 1, u, 6);
    assert_int_equal(d[7], 0x01); /* Klipper */
    /* Katapult's node-id message means nothing to Klipper. */
    uint8_t set[8] = {0x11};
    memcpy(set + 1, u, 6);
    set[7] = 0x81;
    cf_kpn_can_rx(n, 0, 0x3F0, set, 8);
    /* Bootloader request for another UUID is ignored, ours obeyed. */
    uint8_t req[7] = {0x02, 1, 2, 3, 4, 5, 6};
    cf_kpn_can_rx(n, 0, 0x3F0, req, 7);
    assert_int_equal(cf_kpn_get_mode(n, 1 * MS), CF_KPN_KLIPPER);
    memcpy(req + 1, u, 6);
    cf_kpn_can_rx(n, 1 * MS, 0x3F0, req, 7);
    assert_int_equal(cf_kpn_get_mode(n, 50 * MS), CF_KPN_GONE);
    assert_int_equal(cf_kpn_get_mode(n, 102 * MS), CF_KPN_KATAPULT);
    cf_kpn_can_rx(n, 110 * MS, 0x3F0, &q, 1);
    assert_true(cf_kpn_can_tx(n, 110 * MS, &id, d, &dlc));
    assert_int_equal(d[7], 0x11); /* Katapult */
    cf_kpn_can_rx(n, 110 * MS, 0x3F0, set, 8);
    cf_kp_decoder dec;
    cf_kp_decoder_reset(&dec);
    cf_kp_frame f;
    assert_true(can_cmd(n, 111 * MS, 0x11, NULL, 0, &dec, &f));
    assert_int_equal(f.code, 0xA0);
    cf_kp_connect_info ci;
    assert_true(cf_kp_parse_connect(f.payload + 4, f.payload_len - 4, &ci));
    assert_string_equal(ci.mcu, "stm32f042x6");
    assert_int_equal(ci.app_start, 0x08002000);
    assert_int_equal(ci.block_size, 64);
    /* With an id, it no longer answers queries. */
    cf_kpn_can_rx(n, 112 * MS, 0x3F0, &q, 1);
    assert_false(cf_kpn_can_tx(n, 112 * MS, &id, d, &dlc));
    /* GET_CANBUS_ID */
    assert_true(can_cmd(n, 113 * MS, 0x16, NULL, 0, &dec, &f));
    assert_memory_equal(f.payload + 4, u, 6);
    cf_kpn_free(n);
}

static void test_claimed_klipper_is_silent(void **state)
{
    (void)state;
    cf_kpn *n = make("katapult-can,claimed", 0);
    uint8_t q = 0, d[8], dlc;
    uint32_t id;
    cf_kpn_can_rx(n, 0, 0x3F0, &q, 1);
    assert_false(cf_kpn_can_tx(n, 0, &id, d, &dlc));
    cf_kpn_free(n);
}

static void test_page_rules_and_complete(void **state)
{
    (void)state;
    cf_kpn *n = make("katapult-can,mode=katapult,timing=off", 0);
    uint8_t set[8] = {0x11};
    memcpy(set + 1, cf_kpn_uuid(n), 6);
    set[7] = 0x81;
    cf_kpn_can_rx(n, 0, 0x3F0, set, 8);
    cf_kp_decoder dec;
    cf_kp_decoder_reset(&dec);
    cf_kp_frame f;
    uint8_t p[68];
    cf_kp_put_le32(p, 0x08002000);
    for (int i = 0; i < 64; i++)
        p[4 + i] = (uint8_t)(0x20 + i); /* a plausible stack pointer first */
    p[4] = 0x00, p[5] = 0x18, p[6] = 0x00, p[7] = 0x20;
    assert_true(can_cmd(n, 1, 0x12, p, 68, &dec, &f));
    assert_int_equal(f.code, 0xA0);
    assert_true(can_cmd(n, 2, 0x12, p, 68, &dec, &f)); /* retransmission: ACK, no new page */
    assert_int_equal(f.code, 0xA0);
    /* Block 3 of the page, then block 2 out of order is refused only if it differs. */
    uint8_t q[68];
    cf_kp_put_le32(q, 0x08002080);
    memset(q + 4, 0x55, 64);
    assert_true(can_cmd(n, 3, 0x12, q, 68, &dec, &f));
    assert_int_equal(f.code, 0xA0);
    memset(q + 4, 0x66, 64);
    assert_true(can_cmd(n, 4, 0x12, q, 68, &dec, &f));
    assert_int_equal(f.code, 0xF2);
    /* Below the application: refused. */
    cf_kp_put_le32(q, 0x08001000);
    assert_true(can_cmd(n, 5, 0x12, q, 68, &dec, &f));
    assert_int_equal(f.code, 0xF2);
    assert_true(can_cmd(n, 6, 0x13, NULL, 0, &dec, &f));
    assert_int_equal(cf_kp_le32(f.payload + 4), 1); /* one page */
    uint8_t a[4];
    cf_kp_put_le32(a, 0x08002000);
    assert_true(can_cmd(n, 7, 0x14, a, 4, &dec, &f));
    assert_int_equal(f.payload_len, 72);
    assert_memory_equal(f.payload + 8, p + 4, 64);
    assert_true(can_cmd(n, 8, 0x90, NULL, 0, &dec, &f)); /* unknown: command error */
    assert_int_equal(f.code, 0xF2);
    assert_true(can_cmd(n, 9, 0x15, NULL, 0, &dec, &f));
    assert_int_equal(f.code, 0xA0);
    /* COMPLETE: 100 ms, then the app (it has a vector table) after boot_ms. */
    assert_int_equal(cf_kpn_get_mode(n, 50 * MS), CF_KPN_KATAPULT);
    assert_int_equal(cf_kpn_get_mode(n, 150 * MS), CF_KPN_GONE);
    assert_int_equal(cf_kpn_get_mode(n, 500 * MS), CF_KPN_KLIPPER);
    cf_kpn_free(n);
}

static void test_complete_without_app_stays(void **state)
{
    (void)state;
    cf_kpn *n = make("katapult-usb,mode=katapult,boot=10", 0);
    uint8_t frame[16], out[64];
    size_t fl = cf_kp_frame_encode(0x15, NULL, 0, frame, sizeof(frame));
    cf_kpn_stream_rx(n, 0, frame, fl);
    assert_int_equal(cf_kpn_stream_tx(n, 0, out, sizeof(out)), 12);
    assert_int_equal(cf_kpn_get_mode(n, 200 * MS), CF_KPN_KATAPULT);
    cf_kpn_free(n);
}

static void test_parser_nack_and_wedge(void **state)
{
    (void)state;
    for (int wedge = 0; wedge < 2; wedge++) {
        cf_kpn *n =
            make(wedge ? "katapult-usb,mode=katapult,wedge=on" : "katapult-usb,mode=katapult", 0);
        /* A corrupted CONNECT (bad CRC) followed by a good one. */
        uint8_t bad[8], good[8], out[256];
        cf_kp_frame_encode(0x11, NULL, 0, bad, 8);
        bad[4] ^= 1;
        cf_kp_frame_encode(0x11, NULL, 0, good, 8);
        cf_kpn_stream_rx(n, 0, bad, 8);
        cf_kpn_stream_rx(n, 0, good, 8);
        size_t k = cf_kpn_stream_tx(n, 0, out, sizeof(out));
        cf_kp_decoder d;
        cf_kp_decoder_reset(&d);
        cf_kp_decoder_feed(&d, out, k);
        cf_kp_frame f;
        assert_true(cf_kp_decoder_next(&d, &f));
        assert_int_equal(f.code, 0xF1); /* one NACK */
        bool answered = cf_kp_decoder_next(&d, &f);
        if (wedge) {
            assert_false(answered); /* the real node's wedge */
        } else {
            assert_true(answered);
            assert_int_equal(f.code, 0xA0);
        }
        cf_kpn_free(n);
    }
}

static void test_usb_1200_touch(void **state)
{
    (void)state;
    cf_kpn *n = make("katapult-usb:g431,boot=20", 0);
    cf_kpn_usb_id id;
    cf_kpn_usb_identity(n, &id);
    assert_int_equal(id.pid, 0x614e);
    assert_string_equal(id.manufacturer, "Cartographer");
    unsigned g = cf_kpn_generation(n);
    cf_kpn_line_state(n, 0, 115200, true);
    assert_int_equal(cf_kpn_generation(n), g);
    cf_kpn_line_state(n, 1 * MS, 1200, false);
    assert_int_not_equal(cf_kpn_generation(n), g);
    assert_int_equal(cf_kpn_get_mode(n, 30 * MS), CF_KPN_KATAPULT);
    cf_kpn_usb_identity(n, &id);
    assert_int_equal(id.pid, 0x6177);
    assert_string_equal(id.product, "stm32g431xx");
    assert_string_equal(id.serial, "16000C000F43304253373820");
    /* Katapult ignores the touch. */
    g = cf_kpn_generation(n);
    cf_kpn_line_state(n, 40 * MS, 1200, false);
    assert_int_equal(cf_kpn_generation(n), g);
    cf_kpn_free(n);
}

static void test_spec_errors(void **state)
{
    (void)state;
    cf_kpn_config cfg;
    cf_error err;
    const char *bad[] = {"dfu",
                         "katapult-can:f103",
                         "katapult-can,fault=zap@1",
                         "katapult-usb,fault=nack@0",
                         "katapult-can,bogus",
                         "katapult-can,uid=12"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cf_error_reset(&err);
        assert_int_equal(cf_kpn_parse_spec(bad[i], &cfg, &err), CF_ERR_USAGE);
        assert_true(err.message[0] != 0);
    }
    cf_error_reset(&err);
    assert_int_equal(cf_kpn_parse_spec("katapult-can:g431,fault=readback@3,appear=2,bitrate=500000,"
                                       "flash=/tmp/x.bin",
                                       &cfg, &err),
                     CF_OK);
    assert_int_equal(cfg.chip, CF_KPN_G431);
    assert_int_equal(cfg.fault, CF_KPN_FAULT_READBACK);
    assert_int_equal(cfg.fault_at, 3);
    assert_int_equal(cfg.appear_ms, 2000);
    assert_int_equal(cfg.bitrate, 500000);
    assert_string_equal(cfg.flash_path, "/tmp/x.bin");
}

static void test_can_bits(void **state)
{
    (void)state;
    /* All-zero frame: 34 zero bits SOF..CRC, a stuff bit after every 5th, 13 fixed. */
    assert_int_equal(cf_can_frame_bits(0, NULL, 0), 34 + 6 + 13);
    uint8_t ff[8];
    memset(ff, 0xFF, 8);
    unsigned b = cf_can_frame_bits(0x7FF, ff, 8);
    /* 98 bits SOF..CRC plus 13, plus at least one stuff bit per 5 equal bits. */
    assert_true(b > 98 + 13 && b <= 98 + 13 + 24);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuid_vector),
        cmocka_unit_test(test_can_klipper_to_katapult),
        cmocka_unit_test(test_claimed_klipper_is_silent),
        cmocka_unit_test(test_page_rules_and_complete),
        cmocka_unit_test(test_complete_without_app_stays),
        cmocka_unit_test(test_parser_nack_and_wedge),
        cmocka_unit_test(test_usb_1200_touch),
        cmocka_unit_test(test_spec_errors),
        cmocka_unit_test(test_can_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
