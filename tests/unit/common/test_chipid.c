/* The chip's unique ID and the names it gives the probe on USB and CAN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/chipid.h"

/* A real Cartographer's UID: its Klipper USB serial in user logs is
 * 16000C000F43304253373820. */
static const uint8_t carto_uid[12] = {0x16, 0x00, 0x0C, 0x00, 0x0F, 0x43,
                                      0x30, 0x42, 0x53, 0x37, 0x38, 0x20};

static void test_klipper_serial_round_trip(void **state)
{
    (void)state;
    char s[25];
    cf_chipid_klipper_serial(carto_uid, s);
    assert_string_equal(s, "16000C000F43304253373820");
    uint8_t back[12];
    assert_true(cf_chipid_from_klipper_serial("16000c000f43304253373820", back));
    assert_memory_equal(back, carto_uid, 12);
    /* a fixed serial string, a short one, a non-hex one: no UID */
    assert_false(cf_chipid_from_klipper_serial("Klipper", back));
    assert_false(cf_chipid_from_klipper_serial("16000C000F4330425337382", back));
    assert_false(cf_chipid_from_klipper_serial("16000C000F4330425337382G", back));
    assert_false(cf_chipid_from_klipper_serial(NULL, back));
}

static void test_rom_serial(void **state)
{
    (void)state;
    char s[13];
    /* w0 0x000C0016 + w2 0x20383753 = 0x20443769, then w1 0x4230430F's top half */
    cf_chipid_rom_serial(carto_uid, s);
    assert_string_equal(s, "204437694230");
    /* the sum wraps at 32 bits, as the MCU's does */
    uint8_t big[12] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0xab, 0xcd, 0x02, 0x00, 0x00, 0x00};
    cf_chipid_rom_serial(big, s);
    assert_string_equal(s, "00000001CDAB");
    assert_true(cf_chipid_rom_serial_names_chip("204437694230"));
    assert_false(cf_chipid_rom_serial_names_chip(CF_CHIPID_F042_ROM_SERIAL));
    assert_false(cf_chipid_rom_serial_names_chip("2044376942"));
    assert_false(cf_chipid_rom_serial_names_chip("20443769423Z"));
}

static void test_can_uuid(void **state)
{
    (void)state;
    uint8_t uid[12], uuid[6];
    for (int i = 0; i < 12; i++)
        uid[i] = (uint8_t)i;
    cf_chipid_can_uuid(uid, 12, uuid);
    const uint8_t want[6] = {0x90, 0xa4, 0xae, 0x02, 0x2d, 0xfc};
    assert_memory_equal(uuid, want, 6);
    char hex[13];
    cf_chipid_can_uuid_hex(uid, hex);
    assert_string_equal(hex, "90a4ae022dfc");
    /* one bit of the UID changes the UUID */
    uid[11] ^= 1;
    cf_chipid_can_uuid_hex(uid, hex);
    assert_string_not_equal(hex, "90a4ae022dfc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_klipper_serial_round_trip),
        cmocka_unit_test(test_rom_serial),
        cmocka_unit_test(test_can_uuid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
