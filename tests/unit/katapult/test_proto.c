/* CRC16 test vectors and every exact frame of Katapult's protocol.md (response
 * codes and commands), as scripts/flashtool.py builds them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "katapult/proto.h"

static size_t hex_to_bytes(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (*hex && n < cap) {
        while (*hex == ' ' || *hex == '|')
            hex++;
        if (!*hex)
            break;
        unsigned v;
        sscanf(hex, "%2x", &v);
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

static void expect_frame(uint8_t code, const uint8_t *payload, size_t plen, const char *hex)
{
    uint8_t want[256], got[256];
    size_t wn = hex_to_bytes(hex, want, sizeof(want));
    size_t gn = cf_kp_frame_encode(code, payload, plen, got, sizeof(got));
    assert_int_equal(gn, wn);
    assert_memory_equal(got, want, wn);
    /* And the decoder gives back exactly what was encoded. */
    cf_kp_decoder d;
    cf_kp_decoder_reset(&d);
    cf_kp_decoder_feed(&d, want, wn);
    cf_kp_frame f;
    assert_true(cf_kp_decoder_next(&d, &f));
    assert_int_equal(f.code, code);
    assert_int_equal(f.payload_len, plen);
    if (plen)
        assert_memory_equal(f.payload, payload, plen);
}

static void test_crc_vectors(void **state)
{
    (void)state;
    const uint8_t check[] = "123456789";
    assert_int_equal(cf_kp_crc16(check, 9), 0x6F91);
    const uint8_t connect[] = {0x11, 0x00};
    assert_int_equal(cf_kp_crc16(connect, 2), 0x7CF1);
    const uint8_t nack[] = {0xF1, 0x00};
    assert_int_equal(cf_kp_crc16(nack, 2), 0x9568);
    assert_int_equal(cf_kp_crc16(NULL, 0), 0xFFFF);
}

static void test_request_frames(void **state)
{
    (void)state;
    expect_frame(0x11, NULL, 0, "01 88 11 00 F1 7C 99 03");
    expect_frame(0x13, NULL, 0, "01 88 13 00 41 4F 99 03");
    expect_frame(0x15, NULL, 0, "01 88 15 00 91 1B 99 03");
    expect_frame(0x16, NULL, 0, "01 88 16 00 F9 31 99 03");
    expect_frame(0x90, NULL, 0, "01 88 90 00 E5 E9 99 03");
    uint8_t addr[4] = {0x00, 0x20, 0x00, 0x08};
    expect_frame(0x14, addr, 4, "01 88 14 01 00 20 00 08 5B DE 99 03");
    uint8_t block[68];
    memcpy(block, addr, 4);
    memset(block + 4, 0xFF, 64);
    char hex[400] = "01 88 12 11 00 20 00 08";
    for (int i = 0; i < 64; i++)
        strcat(hex, " FF");
    strcat(hex, " 07 EA 99 03");
    expect_frame(0x12, block, 68, hex);
}

static void test_response_frames(void **state)
{
    (void)state;
    expect_frame(0xF1, NULL, 0, "01 88 F1 00 68 95 99 03");
    expect_frame(0xF2, NULL, 0, "01 88 F2 00 00 BF 99 03");
    expect_frame(0xF3, NULL, 0, "01 88 F3 00 D8 A6 99 03");
    uint8_t p[4 + 64 + 4];
    cf_kp_put_le32(p, 0x15);
    expect_frame(0xA0, p, 4, "01 88 A0 01 15 00 00 00 00 2E 99 03");
    cf_kp_put_le32(p, 0x12);
    cf_kp_put_le32(p + 4, 0x08002000);
    expect_frame(0xA0, p, 8, "01 88 A0 02 12 00 00 00 00 20 00 08 5A D6 99 03");
    cf_kp_put_le32(p, 0x13);
    cf_kp_put_le32(p + 4, 5);
    expect_frame(0xA0, p, 8, "01 88 A0 02 13 00 00 00 05 00 00 00 C1 B6 99 03");
    const uint8_t id[12] = {0x16, 0, 0, 0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0, 0};
    expect_frame(0xA0, id, 12, "01 88 A0 03 16 00 00 00 01 23 45 67 89 AB 00 00 01 56 99 03");
    cf_kp_put_le32(p, 0x14);
    cf_kp_put_le32(p + 4, 0x08002000);
    memset(p + 8, 0xFF, 64);
    char hex[400] = "01 88 A0 12 14 00 00 00 00 20 00 08";
    for (int i = 0; i < 64; i++)
        strcat(hex, " FF");
    strcat(hex, " 27 72 99 03");
    expect_frame(0xA0, p, 72, hex);
}

static const char connect_ack_hex[] =
    "01 88 A0 0D | 11 00 00 00 | 00 01 01 00 | 00 20 00 08 | 40 00 00 00 |"
    "73 74 6D 33 32 66 30 34 32 78 36 00 | 00 00 00 00 |"
    " 76 30 2E 30 2E 31 2D 39 35 2D 67 39 30 32 66 33 33 35 00 00 | 9F 9B 99 03";

static void test_connect_ack(void **state)
{
    (void)state;
    uint8_t p[52];
    memset(p, 0, sizeof(p));
    cf_kp_put_le32(p, 0x11);
    cf_kp_put_le32(p + 4, 0x00010100);
    cf_kp_put_le32(p + 8, 0x08002000);
    cf_kp_put_le32(p + 12, 64);
    memcpy(p + 16, "stm32f042x6", 11);
    memcpy(p + 32, "v0.0.1-95-g902f335", 18);
    expect_frame(0xA0, p, 52, connect_ack_hex);

    cf_kp_connect_info info;
    assert_true(cf_kp_parse_connect(p + 4, 48, &info));
    assert_int_equal(info.proto_version, 0x00010100);
    assert_int_equal(info.app_start, 0x08002000);
    assert_int_equal(info.block_size, 64);
    assert_string_equal(info.mcu, "stm32f042x6");
    /* The NULs between the two strings are skipped (flashtool keeps them). */
    assert_string_equal(info.version, "v0.0.1-95-g902f335");
    /* Old CanBoot 1.0.0: MCU only. */
    cf_kp_put_le32(p + 4, 0x00010000);
    assert_true(cf_kp_parse_connect(p + 4, 48, &info));
    assert_string_equal(info.mcu, "stm32f042x6");
    assert_string_equal(info.version, "");
    assert_false(cf_kp_parse_connect(p + 4, 8, &info));
}

static void test_decoder_resync(void **state)
{
    (void)state;
    uint8_t good[16], buf[128];
    uint8_t word[4];
    cf_kp_put_le32(word, 0x15);
    size_t gn = cf_kp_frame_encode(0xA0, word, 4, good, sizeof(good));
    size_t n = 0;
    /* garbage, a frame with a bad CRC, 01 without 88, then a good frame split in two */
    const uint8_t junk[] = {0x00, 0x99, 0x03, 0x01, 0x01, 0x42};
    memcpy(buf + n, junk, sizeof(junk));
    n += sizeof(junk);
    memcpy(buf + n, good, gn);
    buf[n + 5] ^= 0x10; /* corrupt: payload byte */
    n += gn;
    cf_kp_decoder d;
    cf_kp_decoder_reset(&d);
    cf_kp_decoder_feed(&d, buf, n);
    cf_kp_frame f;
    assert_false(cf_kp_decoder_next(&d, &f));
    cf_kp_decoder_feed(&d, good, 5);
    assert_false(cf_kp_decoder_next(&d, &f));
    cf_kp_decoder_feed(&d, good + 5, gn - 5);
    assert_true(cf_kp_decoder_next(&d, &f));
    assert_int_equal(f.code, 0xA0);
    assert_int_equal(cf_kp_le32(f.payload), 0x15);
    assert_true(d.crc_errors >= 1);
    assert_false(cf_kp_decoder_next(&d, &f));
}

static void test_encode_limits(void **state)
{
    (void)state;
    uint8_t out[16];
    uint8_t p[8] = {0};
    assert_int_equal(cf_kp_frame_encode(0x11, p, 3, out, sizeof(out)), 0); /* not words */
    assert_int_equal(cf_kp_frame_encode(0x11, p, 8, out, 15), 0);          /* no room */
    assert_int_equal(cf_kp_frame_encode(0x11, p, 8, out, 16), 16);
    assert_string_equal(cf_kp_code_name(0x12), "SEND_BLOCK");
    assert_null(cf_kp_code_name(0x42));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_vectors),     cmocka_unit_test(test_request_frames),
        cmocka_unit_test(test_response_frames), cmocka_unit_test(test_connect_ack),
        cmocka_unit_test(test_decoder_resync),  cmocka_unit_test(test_encode_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
