/* The Klipper data dictionary parser, the zlib scan that finds it, and the
 * inspector on odd inputs (it must explain, never fail). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "image/image.h"
#include "image_gen.h"

static cf_code dict(const char *json, cf_image_info *info)
{
    memset(info, 0, sizeof(*info));
    cf_error err;
    cf_error_reset(&err);
    cf_code rc = cf_image_parse_dictionary(json, strlen(json), info, &err);
    if (rc != CF_OK)
        assert_true(err.message[0] != '\0');
    return rc;
}

static void image_dict_can(void **state)
{
    (void)state;
    cf_image_info info;
    assert_int_equal(dict("{\"app\":\"Cartographer\",\"version\":\"CARTOGRAPHER V4 6.1.0\","
                          "\"config\":{\"MCU\":\"stm32g431xx\",\"CANBUS_FREQUENCY\":500000,"
                          "\"CLOCK_FREQ\":170000000,\"RESERVE_PINS_CAN\":\"PA11,PA12\"}}",
                          &info),
                     CF_OK);
    assert_true(info.has_dictionary);
    assert_string_equal(info.version, "CARTOGRAPHER V4 6.1.0");
    assert_string_equal(info.mcu, "stm32g431xx");
    assert_int_equal(info.iface, CF_IFACE_CAN);
    assert_int_equal(info.can_bitrate, 500000);
    assert_int_equal(info.clock_freq, 170000000);
    assert_string_equal(info.app_name, "cartographer");
    assert_string_equal(info.problems, "");
}

static void image_dict_usb_klipper(void **state)
{
    (void)state;
    cf_image_info info;
    assert_int_equal(dict("{\"version\":\"v0.12.0-123-gabc\",\"config\":{\"MCU\":\"stm32f042x6\","
                          "\"RESERVE_PINS_USB\":\"PA11,PA12\"}}",
                          &info),
                     CF_OK);
    assert_int_equal(info.iface, CF_IFACE_USB);
    assert_int_equal(info.can_bitrate, 0);
    assert_string_equal(info.app_name, "klipper");

    /* Old Cartographer dictionaries have no "app": derived from the version. */
    assert_int_equal(dict("{\"version\":\"Cartographer HT 5.1.0\",\"config\":{}}", &info), CF_OK);
    assert_string_equal(info.app_name, "cartographer");
    assert_int_equal(info.iface, CF_IFACE_UNKNOWN);
}

static void image_dict_odd_values(void **state)
{
    (void)state;
    cf_image_info info;
    /* Both link pins: ambiguous, so no interface, and a note says why. */
    assert_int_equal(dict("{\"config\":{\"RESERVE_PINS_CAN\":\"a\",\"RESERVE_PINS_USB\":\"b\","
                          "\"CANBUS_FREQUENCY\":1000000}}",
                          &info),
                     CF_OK);
    assert_int_equal(info.iface, CF_IFACE_UNKNOWN);
    assert_non_null(strstr(info.problems, "both CAN and USB"));

    assert_int_equal(dict("{\"version\":\"x\",\"config\":{\"CANBUS_FREQUENCY\":-5,"
                          "\"CLOCK_FREQ\":\"fast\",\"RESERVE_PINS_CAN\":\"a\"}}",
                          &info),
                     CF_OK);
    assert_int_equal(info.can_bitrate, 0);
    assert_int_equal(info.clock_freq, 0);
    assert_non_null(strstr(info.problems, "CANBUS_FREQUENCY is not a 32-bit number"));
    assert_non_null(strstr(info.problems, "CLOCK_FREQ is not a 32-bit number"));

    /* Terminal control characters never reach the caller; long text is cut. */
    assert_int_equal(dict("{\"version\":\"evil\\u001b[2Jversion\",\"config\":{\"MCU\":"
                          "\"0123456789012345678901234567890123456789\"}}",
                          &info),
                     CF_OK);
    assert_string_equal(info.version, "evil?[2Jversion");
    assert_int_equal(strlen(info.mcu), sizeof(info.mcu) - 1);
}

static void image_dict_errors(void **state)
{
    (void)state;
    cf_image_info info;
    assert_int_equal(dict("{\"version\":", &info), CF_ERR_FORMAT);
    assert_false(info.has_dictionary);
    assert_int_equal(dict("[1,2]", &info), CF_ERR_FORMAT);
    assert_int_equal(dict("{\"commands\":{}}", &info), CF_ERR_FORMAT);
    assert_int_equal(dict("{\"version\":1}", &info), CF_ERR_FORMAT);
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_image_parse_dictionary("{\"a\":1}", 7, &info, &err), CF_ERR_FORMAT);
    assert_non_null(strstr(err.message, "not a Klipper dictionary"));
}

/* ---- synthetic images ---- */

static void put_vectors(gen_buf *b, uint32_t sp, uint32_t pc)
{
    gen_le32(b, sp);
    gen_le32(b, pc);
    for (int i = 0; i < 46; i++)
        gen_le32(b, pc);
}

static void put_zlib(gen_buf *b, const char *text, size_t len)
{
    uLongf out = compressBound(len);
    uint8_t *z = malloc(out);
    assert_non_null(z);
    assert_int_equal(compress2(z, &out, (const Bytef *)text, len, 9), Z_OK);
    gen_put(b, z, out);
    free(z);
}

static void inspect_buf(const gen_buf *b, uint32_t addr, cf_image_info *info)
{
    cf_image img;
    cf_error err;
    cf_error_reset(&err);
    cf_image_load_opts o = {.address = addr, .address_given = true};
    assert_int_equal(cf_image_parse(b->buf, b->len, "synthetic.bin", &o, &img, &err), CF_OK);
    cf_image_inspect(&img, info);
    cf_image_free(&img);
}

static void image_dict_found_after_decoys(void **state)
{
    (void)state;
    gen_buf b = {0};
    put_vectors(&b, 0x20001800, 0x08002101);
    while (b.len < 0x100)
        gen_put(&b, "\0", 1);
    /* Decoys: a bare zlib header, a stream of non-JSON, a JSON that is not a
     * dictionary, then the real one. */
    gen_put(&b, "\x78\x9c\xff\xff", 4);
    put_zlib(&b, "hello world", 11);
    put_zlib(&b, "{\"x\":1}", 7);
    const char *json = "{\"version\":\"CARTOGRAPHER 9.9.9\",\"config\":{\"MCU\":\"stm32f042x6\","
                       "\"RESERVE_PINS_USB\":\"PA11,PA12\",\"CLOCK_FREQ\":48000000}}";
    put_zlib(&b, json, strlen(json));
    cf_image_info info;
    inspect_buf(&b, 0x08002000, &info);
    assert_true(info.has_dictionary);
    assert_string_equal(info.version, "CARTOGRAPHER 9.9.9");
    assert_int_equal(info.kind, CF_KIND_APP);
    assert_int_equal(info.iface, CF_IFACE_USB);
    assert_string_equal(info.problems, "");
    gen_free(&b);
}

static void image_dict_inflate_bounded(void **state)
{
    (void)state;
    /* 2 MiB of JSON whitespace compresses to a few KB; the scan stops at
     * 1 MiB of output and reports no dictionary instead of eating memory. */
    size_t n = 2u * 1024u * 1024u;
    char *json = malloc(n + 64);
    assert_non_null(json);
    json[0] = '{';
    memset(json + 1, ' ', n);
    strcpy(json + 1 + n, "\"version\":\"big\"}");
    gen_buf b = {0};
    put_vectors(&b, 0x20001800, 0x08002101);
    put_zlib(&b, json, strlen(json));
    free(json);
    assert_true(b.len < 16384);
    cf_image_info info;
    inspect_buf(&b, 0x08002000, &info);
    assert_false(info.has_dictionary);
    assert_non_null(strstr(info.problems, "no Klipper data dictionary found"));
    gen_free(&b);
}

static void image_inspect_odd(void **state)
{
    (void)state;
    cf_image_info info;
    gen_buf b = {0};

    gen_put(&b, "garbage!garbage!", 16);
    inspect_buf(&b, 0x08000000, &info);
    assert_int_equal(info.kind, CF_KIND_UNKNOWN);
    assert_int_equal(info.linked_address, 0);
    assert_non_null(strstr(info.problems, "not in SRAM"));
    gen_free(&b);

    gen_put(&b, "\x00\x18", 2);
    inspect_buf(&b, 0x08000000, &info);
    assert_non_null(strstr(info.problems, "too short for a vector table"));
    gen_free(&b);

    /* Linked at 0x08000000 without Katapult's signature. */
    put_vectors(&b, 0x20001800, 0x080000C1);
    inspect_buf(&b, 0x08000000, &info);
    assert_int_equal(info.kind, CF_KIND_UNKNOWN);
    assert_int_equal(info.linked_address, 0x08000000);
    assert_non_null(strstr(info.problems, "without Katapult"));
    gen_free(&b);

    /* Reset vector without the Thumb bit, and one past the image. */
    put_vectors(&b, 0x20001800, 0x08002100);
    inspect_buf(&b, 0x08002000, &info);
    assert_non_null(strstr(info.problems, "lacks the Thumb bit"));
    gen_free(&b);
    put_vectors(&b, 0x20001800, 0x08009001);
    inspect_buf(&b, 0x08002000, &info);
    assert_non_null(strstr(info.problems, "points past the end of the image"));
    gen_free(&b);

    /* A generic UF2 block that is not for the RP2040. */
    gen_le32(&b, 0x0A324655);
    gen_le32(&b, 0x9E5D5157);
    while (b.len < 512)
        gen_put(&b, "\0", 1);
    inspect_buf(&b, 0x08000000, &info);
    assert_int_equal(info.kind, CF_KIND_UNKNOWN);
    assert_non_null(strstr(info.problems, "UF2 image: not for STM32 DFU"));
    gen_free(&b);

    /* Several segments are worth a note; so is an empty image. */
    const char *hex = ":0400000000180020C4\n:0400100001000008E3\n:00000001FF\n";
    cf_image img;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_image_parse((const uint8_t *)hex, strlen(hex), "two.hex", NULL, &img, &err),
                     CF_OK);
    assert_int_equal(img.segment_count, 2);
    cf_image_inspect(&img, &info);
    assert_non_null(strstr(info.problems, "2 separate segments"));
    cf_image_free(&img);
    cf_image empty = {0};
    cf_image_inspect(&empty, &info);
    assert_non_null(strstr(info.problems, "empty image"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(image_dict_can),
        cmocka_unit_test(image_dict_usb_klipper),
        cmocka_unit_test(image_dict_odd_values),
        cmocka_unit_test(image_dict_errors),
        cmocka_unit_test(image_dict_found_after_decoys),
        cmocka_unit_test(image_dict_inflate_bounded),
        cmocka_unit_test(image_inspect_odd),
    };
    return cmocka_run_group_tests_name("image_dict", tests, NULL, NULL);
}
