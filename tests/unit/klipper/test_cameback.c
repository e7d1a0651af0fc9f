/* Which device after a flash is the probe (klipper/cameback.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "klipper/cameback.h"

static void test_same_chip_klipper_serial(void **state)
{
    (void)state;
    /* Katapult showed the chip serial: the app must show the same one */
    assert_true(cf_came_back_same_chip("16000C000F43304253373820", "16000C000F43304253373820"));
    assert_true(cf_came_back_same_chip("16000c000f43304253373820", "16000C000F43304253373820"));
    assert_false(cf_came_back_same_chip("16000C000F43304253373820", "3E0027000E51353432383931"));
    assert_false(cf_came_back_same_chip("16000C000F43304253373820", ""));
}

static void test_same_chip_rom_serial(void **state)
{
    (void)state;
    /* a G431 ROM serial names the chip: the app's serial must give it by ST's rule */
    assert_true(cf_came_back_same_chip("204437694230", "16000C000F43304253373820"));
    assert_false(cf_came_back_same_chip("204437694230", "3E0027000E51353432383931"));
    assert_false(cf_came_back_same_chip("204437694230", "Klipper"));
    /* the F042 ROM's serial is the same on every chip: the port decides */
    assert_true(cf_came_back_same_chip("FFFFFFFEFFFF", "3E0027000E51353432383931"));
    assert_true(cf_came_back_same_chip("", "16000C000F43304253373820"));
}

static void test_not_looked(void **state)
{
    (void)state;
    cf_cb_want w = {.iface = CF_IFACE_USB, .wait_ms = 0, .port = "1-1.3"};
    cf_came_back cb;
    cf_error err = {0};
    assert_int_equal(cf_came_back_wait(NULL, NULL, &w, &cb, &err), CF_OK);
    assert_false(cb.looked);
    assert_false(cb.seen);
    assert_non_null(strstr(cb.note, "--back-wait 0"));
    w.wait_ms = 100;
    w.iface = CF_IFACE_UNKNOWN;
    assert_int_equal(cf_came_back_wait(NULL, NULL, &w, &cb, &err), CF_OK);
    assert_false(cb.looked);
    /* CAN with no bus reachable: not an error, and the note says how to check */
    w.iface = CF_IFACE_CAN;
    w.no_can = "no CAN bus reaches this probe";
    assert_int_equal(cf_came_back_wait(NULL, NULL, &w, &cb, &err), CF_OK);
    assert_false(cb.looked);
    assert_non_null(strstr(cb.note, "canbus_query.py can0"));
    assert_non_null(
        strstr(cb.note, "no CAN bus reaches this probe, so the probe was not looked for"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_chip_klipper_serial),
        cmocka_unit_test(test_same_chip_rom_serial),
        cmocka_unit_test(test_not_looked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
