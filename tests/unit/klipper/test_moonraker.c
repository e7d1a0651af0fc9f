/* What Moonraker says about the Cartographer MCU (cmocka): the reply to
 * cf_mr_mcu_query parsed into what identify would give, with the section's
 * serial / canbus_uuid; replies that are not that are errors, never a guess. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "klipper/moonraker.h"
#include "klipper/status.h"

static const char usb_reply[] =
    "{\"result\": {\"eventtime\": 1.5, \"status\": {"
    "\"mcu scanner\": {\"mcu_version\": \"CARTOGRAPHER 5.0.0\","
    " \"mcu_build_versions\": \"gcc: 12\","
    " \"mcu_constants\": {\"MCU\": \"stm32f042x6\", \"CLOCK_FREQ\": 48000000,"
    " \"RESERVE_PINS_USB\": \"PA11,PA12\"}},"
    "\"configfile\": {\"settings\": {\"scanner\": {\"serial\":"
    " \"/dev/serial/by-id/usb-Cartographer_614e_16000C000F43304253373820-if00\"}}}}}}";

static const char can_reply[] =
    "{\"result\": {\"status\": {"
    "\"mcu cartographer\": {\"mcu_version\": \"CARTOGRAPHER V3 6.1.0\","
    " \"mcu_constants\": {\"MCU\": \"stm32f042x6\", \"CLOCK_FREQ\": 48000000,"
    " \"CANBUS_FREQUENCY\": 1000000, \"RESERVE_PINS_CAN\": \"PA11,PA12\"}},"
    "\"configfile\": {\"settings\": {\"cartographer\": {\"canbus_uuid\": \"0A1B2C3D4E5F\"}}}}}}";

static void test_usb(void **state)
{
    (void)state;
    cf_mr_mcu m[2];
    size_t n = 0;
    cf_error err = {0};
    assert_int_equal(cf_mr_parse_mcus(usb_reply, strlen(usb_reply), m, 2, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(m[0].object, "mcu scanner");
    assert_string_equal(m[0].fw.version, "CARTOGRAPHER 5.0.0");
    assert_string_equal(m[0].fw.mcu, "stm32f042x6");
    assert_int_equal(m[0].fw.iface, CF_IFACE_USB);
    assert_int_equal(m[0].fw.can_bitrate, 0);
    assert_non_null(strstr(m[0].serial, "16000C000F43304253373820"));
    assert_string_equal(m[0].canbus_uuid, "");
}

static void test_can(void **state)
{
    (void)state;
    cf_mr_mcu m[2];
    size_t n = 0;
    cf_error err = {0};
    assert_int_equal(cf_mr_parse_mcus(can_reply, strlen(can_reply), m, 2, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(m[0].object, "mcu cartographer");
    assert_int_equal(m[0].fw.iface, CF_IFACE_CAN);
    assert_int_equal(m[0].fw.can_bitrate, 1000000);
    assert_string_equal(m[0].canbus_uuid, "0a1b2c3d4e5f"); /* as status rows spell it */
}

/* No Cartographer MCU in Klipper: nothing, and that is no error. */
static void test_absent(void **state)
{
    (void)state;
    static const char none[] = "{\"result\": {\"status\": {\"configfile\": {\"settings\": {}}}}}";
    cf_mr_mcu m[2];
    size_t n = 7;
    cf_error err = {0};
    assert_int_equal(cf_mr_parse_mcus(none, strlen(none), m, 2, &n, &err), CF_OK);
    assert_int_equal(n, 0);
}

static void test_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "not json",
        "[1]",
        "{\"result\": {}}",
        "{\"result\": {\"status\": {\"mcu scanner\": {}}}}",
        "{\"result\": {\"status\": {\"mcu scanner\": {\"mcu_version\": 5}}}}",
        /* one literal in two parts: parenthesised, so clang knows it is meant */
        ("{\"result\": {\"status\": {\"mcu scanner\": {\"mcu_version\": \"x\", \"mcu_constants\": "
         "[]}}}}"),
        "{\"result\": {\"status\": {\"mcu scanner\": {\"mcu_constants\": {}}}}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cf_mr_mcu m[2];
        size_t n = 0;
        cf_error err = {0};
        assert_int_equal(cf_mr_parse_mcus(bad[i], strlen(bad[i]), m, 2, &n, &err), CF_ERR_FORMAT);
        assert_true(err.message[0] != '\0');
        assert_int_equal(n, 0);
    }
}

/* A URL set by hand is Moonraker being there; none found falls back to the default. */
static void test_urls(void **state)
{
    (void)state;
    char urls[4][256];
    bool found = true;
    assert_int_equal(cf_mr_urls(NULL, "/nonexistent", urls, 4, &found), 1);
    assert_false(found);
    assert_string_equal(urls[0], CF_MR_DEFAULT_URL);
    assert_int_equal(cf_mr_urls("http://10.0.0.5:7125", "/nonexistent", urls, 4, &found), 1);
    assert_true(found);
    assert_string_equal(urls[0], "http://10.0.0.5:7125");
}

/* Which row Moonraker's MCU is: by UUID on CAN, by the serial in the by-id name on USB. */
static void test_match(void **state)
{
    (void)state;
    cf_mr_mcu m[2];
    size_t n = 0;
    cf_error err = {0};
    assert_int_equal(cf_mr_parse_mcus(usb_reply, strlen(usb_reply), m, 2, &n, &err), CF_OK);
    cf_probe_status usb = {
        .connection = "usb", .device = "/dev/ttyACM0", .serial = "16000C000F43304253373820"};
    assert_true(cf_status_is_mcu(&usb, &m[0]));
    cf_probe_status other = usb;
    snprintf(other.serial, sizeof(other.serial), "250016000A43304253373820");
    assert_false(cf_status_is_mcu(&other, &m[0]));
    other.serial[0] = '\0'; /* no serial to compare: not matched by guess */
    assert_false(cf_status_is_mcu(&other, &m[0]));
    assert_int_equal(cf_mr_parse_mcus(can_reply, strlen(can_reply), m, 2, &n, &err), CF_OK);
    cf_probe_status can = {.connection = "can", .uuid = "0a1b2c3d4e5f"};
    assert_true(cf_status_is_mcu(&can, &m[0]));
    snprintf(can.uuid, sizeof(can.uuid), "0a1b2c3d4e60");
    assert_false(cf_status_is_mcu(&can, &m[0]));
    assert_false(cf_status_is_mcu(&usb, &m[0])); /* a CAN MCU is never a USB row */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usb), cmocka_unit_test(test_can),  cmocka_unit_test(test_absent),
        cmocka_unit_test(test_bad), cmocka_unit_test(test_urls), cmocka_unit_test(test_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
