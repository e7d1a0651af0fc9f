/* cf_usb_select(): one device, none, several (never a guess), each selector kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "usb/usb.h"

static cf_usb_dfu_info dev(uint16_t vid, uint16_t pid, const char *path, const char *serial,
                           bool dfu_mode)
{
    cf_usb_dfu_info d;
    memset(&d, 0, sizeof(d));
    d.vid = vid;
    d.pid = pid;
    snprintf(d.bus_path, sizeof(d.bus_path), "%s", path);
    snprintf(d.serial, sizeof(d.serial), "%s", serial);
    snprintf(d.product, sizeof(d.product), "STM32  BOOTLOADER");
    d.dfu_mode = dfu_mode;
    return d;
}

static void test_zero_devices(void **state)
{
    (void)state;
    cf_error err = {0};
    size_t idx = 99;
    assert_int_equal(cf_usb_select(NULL, 0, NULL, &idx, &err), CF_ERR_NOT_FOUND);
    assert_int_equal(err.code, CF_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "no DFU-mode USB device"));
    assert_non_null(strstr(err.hint, "BOOT0"));
    assert_non_null(strstr(err.hint, "cartoflash list"));
    assert_int_equal(idx, 99);
}

static void test_one_device(void **state)
{
    (void)state;
    cf_usb_dfu_info list[] = {dev(0x0483, 0xdf11, "1-1.3", "FFFFFFFEFFFF", true)};
    size_t idx = 99;
    cf_error err = {0};
    assert_int_equal(cf_usb_select(list, 1, "", &idx, &err), CF_OK);
    assert_int_equal(idx, 0);
    assert_int_equal(cf_usb_select(list, 1, NULL, &idx, &err), CF_OK);
    assert_int_equal(err.code, CF_OK);
}

static void test_two_devices_ambiguous(void **state)
{
    (void)state;
    cf_usb_dfu_info list[] = {dev(0x0483, 0xdf11, "1-1.3", "FFFFFFFEFFFF", true),
                              dev(0x0483, 0xdf11, "1-1.4", "FFFFFFFEFFFF", true)};
    size_t idx = 99;
    cf_error err = {0};
    assert_int_equal(cf_usb_select(list, 2, NULL, &idx, &err), CF_ERR_AMBIGUOUS);
    assert_int_equal(idx, 99);
    assert_non_null(strstr(err.message, "0483:df11 at 1-1.3"));
    assert_non_null(strstr(err.message, "0483:df11 at 1-1.4"));
    assert_non_null(strstr(err.message, "FFFFFFFEFFFF"));
    assert_non_null(strstr(err.message, "STM32  BOOTLOADER"));
    assert_non_null(strstr(err.hint, "--device 1-1.3"));

    /* The serial is the same on every F042: still ambiguous by serial. */
    cf_error_reset(&err);
    assert_int_equal(cf_usb_select(list, 2, "serial=FFFFFFFEFFFF", &idx, &err), CF_ERR_AMBIGUOUS);
    cf_error_reset(&err);
    assert_int_equal(cf_usb_select(list, 2, "0483:DF11", &idx, &err), CF_ERR_AMBIGUOUS);
}

static void test_by_vid_pid(void **state)
{
    (void)state;
    cf_usb_dfu_info list[] = {dev(0x1209, 0x5741, "1-2", "A", true),
                              dev(0x0483, 0xdf11, "1-1.3", "B", true)};
    size_t idx = 99;
    cf_error err = {0};
    assert_int_equal(cf_usb_select(list, 2, "0483:df11", &idx, &err), CF_OK);
    assert_int_equal(idx, 1);
    assert_int_equal(cf_usb_select(list, 2, "1209:5741", &idx, &err), CF_OK);
    assert_int_equal(idx, 0);
    assert_int_equal(cf_usb_select(list, 2, "dead:beef", &idx, &err), CF_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "dead:beef"));
}

static void test_by_path(void **state)
{
    (void)state;
    cf_usb_dfu_info list[] = {dev(0x0483, 0xdf11, "1-1.3", "S", true),
                              dev(0x0483, 0xdf11, "1-1.4", "S", true),
                              dev(0x0483, 0xdf11, "3-1", "S", true)};
    size_t idx = 99;
    cf_error err = {0};
    assert_int_equal(cf_usb_select(list, 3, "1-1.4", &idx, &err), CF_OK);
    assert_int_equal(idx, 1);
    assert_int_equal(cf_usb_select(list, 3, "3-1", &idx, &err), CF_OK);
    assert_int_equal(idx, 2);
    /* A prefix of a path is not a match. */
    assert_int_equal(cf_usb_select(list, 3, "1-1", &idx, &err), CF_ERR_NOT_FOUND);
}

static void test_by_serial(void **state)
{
    (void)state;
    cf_usb_dfu_info list[] = {dev(0x0483, 0xdf11, "1-1.3", "205F35A84E43", true),
                              dev(0x0483, 0xdf11, "1-1.4", "3677385B3432", true)};
    size_t idx = 99;
    cf_error err = {0};
    assert_int_equal(cf_usb_select(list, 2, "serial=3677385B3432", &idx, &err), CF_OK);
    assert_int_equal(idx, 1);
    assert_int_equal(cf_usb_select(list, 2, "205F35A84E43", &idx, &err), CF_OK);
    assert_int_equal(idx, 0);
    assert_int_equal(cf_usb_select(list, 2, "serial=nope", &idx, &err), CF_ERR_NOT_FOUND);
}

static void test_runtime_only(void **state)
{
    (void)state;
    cf_usb_dfu_info list[] = {dev(0x1d50, 0x614e, "1-1.2", "X", false)};
    size_t idx = 99;
    cf_error err = {0};
    assert_int_equal(cf_usb_select(list, 1, NULL, &idx, &err), CF_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "run-time mode"));
    assert_non_null(strstr(err.hint, "BOOT0"));
    assert_int_equal(idx, 99);

    /* A run-time device next to a DFU-mode one does not make it ambiguous. */
    cf_usb_dfu_info two[] = {dev(0x1d50, 0x614e, "1-1.2", "X", false),
                             dev(0x0483, 0xdf11, "1-1.3", "Y", true)};
    cf_error_reset(&err);
    assert_int_equal(cf_usb_select(two, 2, NULL, &idx, &err), CF_OK);
    assert_int_equal(idx, 1);
}

static void test_access_denied(void **state)
{
    (void)state;
    cf_usb_dfu_info list[] = {dev(0x0483, 0xdf11, "1-1.3", "", true)};
    list[0].access_denied = true;
    size_t idx = 99;
    cf_error err = {0};
    assert_int_equal(cf_usb_select(list, 1, NULL, &idx, &err), CF_ERR_ACCESS);
    assert_int_equal(idx, 99);
    assert_non_null(strstr(err.message, "0483:df11 in DFU mode at 1-1.3"));
    assert_non_null(strstr(err.message, "no permission"));
    assert_string_equal(err.hint, cf_usb_udev_hint());
    /* Two devices, one of them unreadable: still ambiguous, never a guess. */
    cf_usb_dfu_info two[] = {list[0], dev(0x0483, 0xdf11, "1-1.4", "X", true)};
    cf_error_reset(&err);
    assert_int_equal(cf_usb_select(two, 2, NULL, &idx, &err), CF_ERR_AMBIGUOUS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_devices),
        cmocka_unit_test(test_one_device),
        cmocka_unit_test(test_two_devices_ambiguous),
        cmocka_unit_test(test_by_vid_pid),
        cmocka_unit_test(test_by_path),
        cmocka_unit_test(test_by_serial),
        cmocka_unit_test(test_runtime_only),
        cmocka_unit_test(test_access_denied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
