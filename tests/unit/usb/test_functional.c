/* cf_usb_parse_functional(): the DFU functional descriptor inside "extra" bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "usb/usb.h"

static void test_f042_descriptor(void **state)
{
    (void)state;
    const uint8_t d[] = {0x09, 0x21, 0x0B, 0xFF, 0x00, 0x00, 0x08, 0x1A, 0x01};
    cf_dfu_functional f = {0};
    cf_error err = {0};
    assert_int_equal(cf_usb_parse_functional(d, sizeof(d), &f, &err), CF_OK);
    assert_int_equal(f.attributes, 0x0B);
    assert_int_equal(f.detach_timeout, 255);
    assert_int_equal(f.transfer_size, 2048);
    assert_int_equal(f.dfu_version, 0x011A);
}

static void test_after_other_descriptors(void **state)
{
    (void)state;
    /* A vendor descriptor first, then the functional one. */
    const uint8_t d[] = {0x04, 0x24, 0x01, 0x02, 0x09, 0x21, 0x03,
                         0x64, 0x00, 0x00, 0x04, 0x10, 0x01};
    cf_dfu_functional f = {0};
    assert_int_equal(cf_usb_parse_functional(d, sizeof(d), &f, NULL), CF_OK);
    assert_int_equal(f.transfer_size, 1024);
    assert_int_equal(f.dfu_version, 0x0110);
    assert_int_equal(f.detach_timeout, 100);
}

static void test_dfu10_seven_bytes(void **state)
{
    (void)state;
    const uint8_t d[] = {0x07, 0x21, 0x01, 0xFF, 0x00, 0x40, 0x00};
    cf_dfu_functional f = {0};
    assert_int_equal(cf_usb_parse_functional(d, sizeof(d), &f, NULL), CF_OK);
    assert_int_equal(f.transfer_size, 64);
    assert_int_equal(f.dfu_version, 0x0100);
}

static void test_short(void **state)
{
    (void)state;
    cf_dfu_functional f = {0};
    cf_error err = {0};
    /* Claims 9 bytes, has 6. */
    const uint8_t cut[] = {0x09, 0x21, 0x0B, 0xFF, 0x00, 0x00};
    assert_int_equal(cf_usb_parse_functional(cut, sizeof(cut), &f, &err), CF_ERR_FORMAT);
    assert_non_null(strstr(err.message, "claims 9 bytes"));
    /* bLength says 5: too small for the fields. */
    const uint8_t tiny[] = {0x05, 0x21, 0x0B, 0xFF, 0x00};
    cf_error_reset(&err);
    assert_int_equal(cf_usb_parse_functional(tiny, sizeof(tiny), &f, &err), CF_ERR_FORMAT);
    /* One stray byte. */
    const uint8_t one[] = {0x09};
    cf_error_reset(&err);
    assert_int_equal(cf_usb_parse_functional(one, sizeof(one), &f, &err), CF_ERR_FORMAT);
    /* bLength 0 would loop forever if not rejected. */
    const uint8_t zero[] = {0x00, 0x21, 0x00, 0x00};
    cf_error_reset(&err);
    assert_int_equal(cf_usb_parse_functional(zero, sizeof(zero), &f, &err), CF_ERR_FORMAT);
    /* Empty blob: nothing there. */
    cf_error_reset(&err);
    assert_int_equal(cf_usb_parse_functional(NULL, 0, &f, &err), CF_ERR_NOT_FOUND);
    assert_int_equal(f.transfer_size, 0);
}

static void test_wrong_type(void **state)
{
    (void)state;
    const uint8_t d[] = {0x09, 0x22, 0x0B, 0xFF, 0x00, 0x00, 0x08, 0x1A, 0x01};
    cf_dfu_functional f = {0};
    cf_error err = {0};
    assert_int_equal(cf_usb_parse_functional(d, sizeof(d), &f, &err), CF_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "no DFU functional descriptor"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f042_descriptor),   cmocka_unit_test(test_after_other_descriptors),
        cmocka_unit_test(test_dfu10_seven_bytes), cmocka_unit_test(test_short),
        cmocka_unit_test(test_wrong_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
