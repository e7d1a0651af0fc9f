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
    assert_non_null(strstr(err.hint, "SUBSYSTEM==\"usb\", ENV{DEVTYPE}==\"usb_device\", "
                                     "ATTR{idVendor}==\"0483\", ATTR{idProduct}==\"df11\", "
                                     "MODE=\"0660\", GROUP=\"plugdev\", TAG+=\"uaccess\""));
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

/* ---- descriptors as libusb hands them over (no hardware needed) ---- */

static const uint8_t functional_f042[] = {0x09, 0x21, 0x0B, 0xFF, 0x00, 0x00, 0x08, 0x1A, 0x01};

static struct libusb_interface_descriptor alt_desc(uint8_t number, uint8_t alt, uint8_t cls,
                                                   uint8_t sub, uint8_t proto)
{
    struct libusb_interface_descriptor a;
    memset(&a, 0, sizeof(a));
    a.bLength = 9;
    a.bDescriptorType = LIBUSB_DT_INTERFACE;
    a.bInterfaceNumber = number;
    a.bAlternateSetting = alt;
    a.bInterfaceClass = cls;
    a.bInterfaceSubClass = sub;
    a.bInterfaceProtocol = proto;
    a.iInterface = (uint8_t)(4 + alt);
    return a;
}

static void test_describe_st_rom(void **state)
{
    (void)state;
    struct libusb_device_descriptor dd;
    memset(&dd, 0, sizeof(dd));
    dd.idVendor = 0x0483;
    dd.idProduct = 0xdf11;
    dd.bcdDevice = 0x2200;
    dd.iManufacturer = 1;
    dd.iProduct = 2;
    dd.iSerialNumber = 3;
    /* Functional descriptor after the last alt setting, as on ST ROMs. */
    struct libusb_interface_descriptor alts[2] = {alt_desc(0, 0, 0xFE, 0x01, 0x02),
                                                  alt_desc(0, 1, 0xFE, 0x01, 0x02)};
    alts[1].extra = functional_f042;
    alts[1].extra_length = sizeof(functional_f042);
    struct libusb_interface itf = {.altsetting = alts, .num_altsetting = 2};
    struct libusb_config_descriptor cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.bNumInterfaces = 1;
    cfg.interface = &itf;

    assert_true(cf_usb_libusb_is_dfu(&itf));
    cf_usb_dfu_info d;
    memset(&d, 0, sizeof(d));
    cf_usb_libusb_describe(&dd, &cfg, &itf, NULL, true, &d);
    assert_int_equal(d.vid, 0x0483);
    assert_int_equal(d.pid, 0xdf11);
    assert_int_equal(d.bcd_device, 0x2200);
    assert_true(d.dfu_mode);
    assert_true(d.has_functional);
    assert_int_equal(d.functional.transfer_size, 2048);
    assert_int_equal(d.functional.dfu_version, 0x011A);
    assert_int_equal(d.alt_count, 2);
    assert_int_equal(d.alts[1].alt, 1);
    /* Could not open: listed anyway, with no names and a note. */
    assert_true(d.access_denied);
    assert_non_null(strstr(d.note, "udev"));
    assert_string_equal(d.alts[0].name, "");
    assert_string_equal(d.serial, "");
}

static void test_describe_runtime_config_extra(void **state)
{
    (void)state;
    struct libusb_device_descriptor dd;
    memset(&dd, 0, sizeof(dd));
    dd.idVendor = 0x1d50;
    dd.idProduct = 0x614e;
    /* A run-time DFU interface (protocol 1) beside a CDC one; the functional
     * descriptor hangs off the configuration instead. */
    struct libusb_interface_descriptor cdc = alt_desc(0, 0, 0x02, 0x02, 0x01);
    struct libusb_interface_descriptor rt = alt_desc(2, 0, 0xFE, 0x01, 0x01);
    struct libusb_interface itfs[2] = {{.altsetting = &cdc, .num_altsetting = 1},
                                       {.altsetting = &rt, .num_altsetting = 1}};
    struct libusb_config_descriptor cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.bNumInterfaces = 2;
    cfg.interface = itfs;
    cfg.extra = functional_f042;
    cfg.extra_length = sizeof(functional_f042);
    assert_false(cf_usb_libusb_is_dfu(&itfs[0]));
    assert_true(cf_usb_libusb_is_dfu(&itfs[1]));
    cf_usb_dfu_info d;
    memset(&d, 0, sizeof(d));
    cf_usb_libusb_describe(&dd, &cfg, &itfs[1], NULL, false, &d);
    assert_false(d.dfu_mode);
    assert_int_equal(d.interface_number, 2);
    assert_true(d.has_functional);
    assert_false(d.access_denied);
    assert_string_equal(d.note, "");

    /* No functional descriptor anywhere and no handle to ask: flagged. */
    cfg.extra = NULL;
    cfg.extra_length = 0;
    memset(&d, 0, sizeof(d));
    cf_usb_libusb_describe(&dd, &cfg, &itfs[1], NULL, false, &d);
    assert_false(d.has_functional);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_mapping),
        cmocka_unit_test(test_access_hint),
        cmocka_unit_test(test_enumerate_and_wait),
        cmocka_unit_test(test_describe_st_rom),
        cmocka_unit_test(test_describe_runtime_config_extra),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
