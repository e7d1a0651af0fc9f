/* The libusb backend without hardware: error mapping (what the user reads when
 * the bus misbehaves), and enumeration/wait on whatever bus this machine has. */
#include <libusb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "usb/usb.h"
#include "usb_libusb_internal.h"

static void expect_map(int rc, cf_code code, const char *needle)
{
    cf_error err = {0};
    assert_int_equal(cf_usb_libusb_error(rc, &err, "opening %s", "1-1.3"), code);
    assert_int_equal(err.code, code);
    assert_non_null(strstr(err.message, "opening 1-1.3: "));
    assert_non_null(strstr(err.message, needle));
}

static void test_error_mapping(void **state)
{
    (void)state;
    expect_map(LIBUSB_ERROR_ACCESS, CF_ERR_ACCESS, "LIBUSB_ERROR_ACCESS");
    expect_map(LIBUSB_ERROR_PIPE, CF_ERR_STALL, "LIBUSB_ERROR_PIPE");
    expect_map(LIBUSB_ERROR_TIMEOUT, CF_ERR_TIMEOUT, "LIBUSB_ERROR_TIMEOUT");
    expect_map(LIBUSB_ERROR_NO_DEVICE, CF_ERR_GONE, "LIBUSB_ERROR_NO_DEVICE");
    expect_map(LIBUSB_ERROR_NOT_FOUND, CF_ERR_GONE, "LIBUSB_ERROR_NOT_FOUND");
    expect_map(LIBUSB_ERROR_IO, CF_ERR_IO, "LIBUSB_ERROR_IO");
    expect_map(LIBUSB_ERROR_OVERFLOW, CF_ERR_IO, "LIBUSB_ERROR_OVERFLOW");
}

static void test_access_hint(void **state)
{
    (void)state;
    cf_error err = {0};
    cf_usb_libusb_error(LIBUSB_ERROR_ACCESS, &err, "opening");
    assert_non_null(strstr(err.hint, "SUBSYSTEM==\"usb\", ATTRS{idVendor}==\"0483\", "
                                     "ATTRS{idProduct}==\"df11\", TAG+=\"uaccess\", "
                                     "MODE=\"0660\", GROUP=\"plugdev\""));
    assert_non_null(strstr(err.hint, "/etc/udev/rules.d/70-cartoflash.rules"));
    assert_non_null(strstr(err.hint, "udevadm control --reload-rules && sudo udevadm trigger"));
    assert_string_equal(err.hint, cf_usb_udev_hint());
}

static void test_enumerate_and_wait(void **state)
{
    (void)state;
    cf_usb_backend *be = NULL;
    cf_error err = {0};
    assert_int_equal(cf_usb_backend_libusb(&be, &err), CF_OK);
    cf_usb_dfu_info *list = NULL;
    size_t count = 0;
    assert_int_equal(cf_usb_list_dfu(be, &list, &count, &err), CF_OK);
    for (size_t i = 0; i < count; i++) {
        assert_true(list[i].bus_path[0] != '\0');
        assert_true(list[i].alt_count >= 1);
    }
    free(list);

    /* No device has this ID: waiting ends at the timeout, not before. */
    uint64_t t0 = cf_now_ns();
    cf_usb_dfu_info found;
    assert_int_equal(cf_usb_wait_dfu(be, "ffff:fffe", 150, NULL, NULL, &found, &err),
                     CF_ERR_NOT_FOUND);
    uint64_t ms = (cf_now_ns() - t0) / 1000000u;
    assert_true(ms >= 150 && ms < 1000);
    assert_non_null(strstr(err.message, "ffff:fffe"));
    cf_usb_backend_free(be);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_mapping),
        cmocka_unit_test(test_access_hint),
        cmocka_unit_test(test_enumerate_and_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
