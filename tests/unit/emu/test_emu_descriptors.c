/* Descriptors and strings, byte for byte as the real ROMs send them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "emu_helpers.h"

static void test_f042_device_descriptor(void **state)
{
    (void)state;
    cf_emu *emu = emu_make(CF_EMU_CHIP_F042, false);
    static const uint8_t want[18] = {0x12, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x40, 0x83,
                                     0x04, 0x11, 0xDF, 0x00, 0x22, 0x01, 0x02, 0x03, 0x01};
    uint8_t got[64];
    assert_int_equal(cf_emu_device_descriptor(emu, got, sizeof got), 18);
    assert_memory_equal(got, want, 18);
    /* Same bytes through GET_DESCRIPTOR, and truncation to wLength. */
    size_t len = 0;
    memset(got, 0, sizeof got);
    assert_int_equal(ctl(emu, 0x80, 0x06, 0x0100, 0, got, 64, &len), CF_EMU_ACK);
    assert_int_equal(len, 18);
    assert_memory_equal(got, want, 18);
    assert_int_equal(ctl(emu, 0x80, 0x06, 0x0100, 0, got, 8, &len), CF_EMU_ACK);
    assert_int_equal(len, 8);
    cf_emu_free(emu);
}

static void test_f042_config_descriptor(void **state)
{
    (void)state;
    cf_emu *emu = emu_make(CF_EMU_CHIP_F042, false);
    static const uint8_t want[36] = {
        0x09, 0x02, 0x24, 0x00, 0x01, 0x01, 0x00, 0xC0, 0x32, /* config, 100 mA */
        0x09, 0x04, 0x00, 0x00, 0x00, 0xFE, 0x01, 0x02, 0x04, /* alt 0 */
        0x09, 0x04, 0x00, 0x01, 0x00, 0xFE, 0x01, 0x02, 0x05, /* alt 1 */
        0x09, 0x21, 0x0B, 0xFF, 0x00, 0x00, 0x08, 0x1A, 0x01, /* functional */
    };
    uint8_t got[256];
    assert_int_equal(cf_emu_config_descriptor(emu, got, sizeof got), sizeof want);
    assert_memory_equal(got, want, sizeof want);
    size_t len = 0;
    /* The host first reads 9 bytes for wTotalLength. */
    assert_int_equal(ctl(emu, 0x80, 0x06, 0x0200, 0, got, 9, &len), CF_EMU_ACK);
    assert_int_equal(len, 9);
    assert_int_equal(got[2] | got[3] << 8, 36);
    assert_int_equal(ctl(emu, 0x80, 0x06, 0x0200, 0, got, 255, &len), CF_EMU_ACK);
    assert_int_equal(len, 36);
    assert_memory_equal(got, want, sizeof want);
    cf_emu_free(emu);
}

/* The string descriptor `index` decoded to ASCII, asserting UTF-16LE form. */
static void string_of(cf_emu *emu, uint8_t index, char *out, size_t cap)
{
    uint8_t d[256];
    size_t len = 0;
    assert_int_equal(ctl(emu, 0x80, 0x06, (uint16_t)(0x0300 | index), 0x0409, d, 255, &len),
                     CF_EMU_ACK);
    assert_true(len >= 2);
    assert_int_equal(d[0], len);
    assert_int_equal(d[1], 0x03);
    size_t n = 0;
    for (size_t i = 2; i < len && n + 1 < cap; i += 2) {
        assert_int_equal(d[i + 1], 0);
        out[n++] = (char)d[i];
    }
    out[n] = '\0';
}

static void test_f042_strings(void **state)
{
    (void)state;
    cf_emu *emu = emu_make(CF_EMU_CHIP_F042, false);
    uint8_t d[8];
    size_t len = 0;
    assert_int_equal(ctl(emu, 0x80, 0x06, 0x0300, 0, d, 255, &len), CF_EMU_ACK);
    assert_int_equal(len, 4);
    static const uint8_t langid[4] = {0x04, 0x03, 0x09, 0x04};
    assert_memory_equal(d, langid, 4);
    char s[200];
    string_of(emu, 1, s, sizeof s);
    assert_string_equal(s, "STMicroelectronics");
    string_of(emu, 2, s, sizeof s);
    assert_string_equal(s, "STM32  BOOTLOADER");
    string_of(emu, 3, s, sizeof s);
    assert_string_equal(s, "FFFFFFFEFFFF");
    string_of(emu, 4, s, sizeof s);
    assert_string_equal(s, "@Internal Flash  /0x08000000/032*0001Kg");
    string_of(emu, 5, s, sizeof s);
    assert_string_equal(s, "@Option Bytes  /0x1FFFF800/01*016 e");
    /* No such string: STALL. */
    assert_int_equal(ctl(emu, 0x80, 0x06, 0x0306, 0x0409, d, 255, &len), CF_EMU_STALL);
    /* Direct accessor agrees and reports the full length. */
    uint8_t full[256];
    assert_int_equal(cf_emu_string_descriptor(emu, 2, full, sizeof full), 2 + 2 * 17);
    assert_int_equal(cf_emu_string_descriptor(emu, 9, full, sizeof full), 0);
    cf_emu_free(emu);
}

static void test_g431_identity(void **state)
{
    (void)state;
    cf_emu *emu = emu_make(CF_EMU_CHIP_G431, false);
    uint8_t d[256];
    assert_int_equal(cf_emu_device_descriptor(emu, d, sizeof d), 18);
    assert_int_equal(d[12] | d[13] << 8, 0x0200); /* dfu-util: ver=0200 */
    assert_int_equal(d[8] | d[9] << 8, 0x0483);
    assert_int_equal(d[10] | d[11] << 8, 0xDF11);
    size_t n = cf_emu_config_descriptor(emu, d, sizeof d);
    assert_int_equal(n, 9 + 3 * 9 + 9);
    assert_int_equal(d[2] | d[3] << 8, n);
    static const uint8_t functional[9] = {0x09, 0x21, 0x0B, 0xFF, 0x00, 0x00, 0x08, 0x1A, 0x01};
    assert_memory_equal(d + n - 9, functional, 9);
    for (int alt = 0; alt < 3; alt++) {
        const uint8_t *i = d + 9 + 9 * alt;
        assert_int_equal(i[1], 0x04);
        assert_int_equal(i[3], alt);
        assert_int_equal(i[5], 0xFE);
        assert_int_equal(i[6], 0x01);
        assert_int_equal(i[7], 0x02);
        assert_int_equal(i[8], 4 + alt);
    }
    char s[200];
    string_of(emu, 4, s, sizeof s);
    assert_string_equal(s, "@Internal Flash   /0x08000000/64*02Kg");
    string_of(emu, 5, s, sizeof s);
    assert_string_equal(s, "@Option Bytes   /0x1FFF7800/01*40Be");
    string_of(emu, 6, s, sizeof s);
    assert_string_equal(s, "@OTP Memory   /0x1FFF7000/01*01Ke");
    string_of(emu, 1, s, sizeof s);
    assert_string_equal(s, "STMicroelectronics");
    string_of(emu, 3, s, sizeof s);
    assert_int_equal(strlen(s), 12);
    assert_string_equal(cf_emu_chip_name(CF_EMU_CHIP_G431), "stm32g431xx");
    assert_string_equal(cf_emu_chip_name(CF_EMU_CHIP_F042), "stm32f042x6");
    cf_emu_free(emu);
}

static void test_standard_requests(void **state)
{
    (void)state;
    cf_emu *emu = emu_make(CF_EMU_CHIP_F042, false);
    uint8_t d[8];
    size_t len = 0;
    assert_int_equal(ctl(emu, 0x80, 0x00, 0, 0, d, 2, &len), CF_EMU_ACK); /* GET_STATUS */
    assert_int_equal(len, 2);
    assert_int_equal(d[0], 0x01); /* self-powered */
    assert_int_equal(ctl(emu, 0x80, 0x08, 0, 0, d, 1, &len), CF_EMU_ACK);
    assert_int_equal(d[0], 1);
    assert_int_equal(ctl(emu, 0x00, 0x09, 1, 0, NULL, 0, NULL), CF_EMU_ACK);
    assert_int_equal(ctl(emu, 0x00, 0x09, 2, 0, NULL, 0, NULL), CF_EMU_STALL);
    assert_int_equal(ctl(emu, 0x01, 0x0B, 1, 0, NULL, 0, NULL), CF_EMU_ACK); /* alt 1 */
    assert_int_equal(ctl(emu, 0x81, 0x0A, 0, 0, d, 1, &len), CF_EMU_ACK);
    assert_int_equal(d[0], 1);
    assert_int_equal(ctl(emu, 0x01, 0x0B, 0, 0, NULL, 0, NULL), CF_EMU_ACK);
    assert_int_equal(ctl(emu, 0x81, 0x0A, 0, 0, d, 1, &len), CF_EMU_ACK);
    assert_int_equal(d[0], 0);
    assert_int_equal(ctl(emu, 0x01, 0x0B, 2, 0, NULL, 0, NULL), CF_EMU_STALL); /* no alt 2 */
    assert_int_equal(ctl(emu, 0x01, 0x0B, 0, 1, NULL, 0, NULL), CF_EMU_STALL); /* no intf 1 */
    /* DFU functional descriptor through GET_DESCRIPTOR and device qualifier:
     * the ROM is full-speed and keeps the functional descriptor in the
     * configuration. */
    assert_int_equal(ctl(emu, 0x80, 0x06, 0x2100, 0, d, 8, &len), CF_EMU_STALL);
    assert_int_equal(ctl(emu, 0x80, 0x06, 0x0600, 0, d, 8, &len), CF_EMU_STALL);
    /* Vendor requests: STALL. */
    assert_int_equal(ctl(emu, 0xC0, 0x01, 0, 0, d, 8, &len), CF_EMU_STALL);
    cf_emu_free(emu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f042_device_descriptor),
        cmocka_unit_test(test_f042_config_descriptor),
        cmocka_unit_test(test_f042_strings),
        cmocka_unit_test(test_g431_identity),
        cmocka_unit_test(test_standard_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
