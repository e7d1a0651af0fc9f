/* printer.cfg (with [include]s) and klippy.log UUID discovery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "katapult/katapult.h"

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_text_sections(void **state)
{
    (void)state;
    const char cfg[] = "[printer]\n"
                       "kinematics: corexy\n"
                       "canbus_uuid: 111111111111\n" /* not a probe section */
                       "[mcu]\n"
                       "canbus_uuid = 222222222222\n"
                       "[mcu   Scanner]   # the probe\n"
                       "canbus_uuid: 0123456789AB ; inline\n"
                       "[scanner]\n"
                       "serial: /dev/serial/by-id/usb-Cartographer_614e_1600-if00\n"
                       "  canbus_uuid: 333333333333\n" /* continuation line, not an option */
                       "#canbus_uuid: 444444444444\n"
                       "[cartographer]\n"
                       "canbus_uuid: 0123456789zz\n" /* not hex */
                       "canbus_uuid:abcdefabcdef\r\n"
                       "#*# <---------------------- SAVE_CONFIG ---------------------->\n"
                       "#*# [mcu cartographer]\n"
                       "#*# canbus_uuid = 555555555555\n";
    cf_kp_cfg_entry e[16];
    size_t n = 0;
    cf_kp_config_scan_text(cfg, strlen(cfg), "printer.cfg", e, 16, &n);
    assert_int_equal(n, 4);
    assert_true(e[0].can);
    assert_string_equal(e[0].value, "0123456789ab");
    assert_string_equal(e[0].section, "mcu scanner");
    assert_string_equal(e[0].source, "printer.cfg:7");
    assert_false(e[1].can);
    assert_string_equal(e[1].value, "/dev/serial/by-id/usb-Cartographer_614e_1600-if00");
    assert_string_equal(e[1].section, "scanner");
    assert_string_equal(e[2].value, "abcdefabcdef");
    assert_string_equal(e[2].section, "cartographer");
    assert_string_equal(e[3].value, "555555555555");
    assert_string_equal(e[3].section, "mcu cartographer");
    assert_string_equal(e[3].source, "printer.cfg:17");
}

static void test_includes(void **state)
{
    (void)state;
    char dir[] = "/tmp/cf-kp-cfg-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char p[512], sub[512];
    snprintf(sub, sizeof(sub), "%s/carto", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(p, sizeof(p), "%s/printer.cfg", dir);
    write_text(p, "[include carto/*.cfg]\n[include missing.cfg]\n[include printer.cfg]\n"
                  "[mcu]\nserial: /dev/ttyAMA0\n");
    snprintf(p, sizeof(p), "%s/carto/a.cfg", dir);
    write_text(p, "[mcu scanner]\ncanbus_uuid: aaaaaaaaaaaa\n");
    snprintf(p, sizeof(p), "%s/carto/b.cfg", dir);
    write_text(p, "[scanner]\nserial: /dev/ttyACM0\n");
    cf_kp_cfg_entry e[16];
    size_t n = 0;
    cf_error err;
    cf_error_reset(&err);
    snprintf(p, sizeof(p), "%s/printer.cfg", dir);
    assert_int_equal(cf_kp_config_scan_file(p, e, 16, &n, &err), CF_OK);
    /* The self-include is followed only to the depth limit, and dedups. */
    assert_int_equal(n, 2);
    assert_string_equal(e[0].value, "aaaaaaaaaaaa");
    assert_non_null(strstr(e[0].source, "carto/a.cfg:2"));
    assert_string_equal(e[1].value, "/dev/ttyACM0");
    snprintf(p, sizeof(p), "%s/nope.cfg", dir);
    assert_int_equal(cf_kp_config_scan_file(p, e, 16, &n, &err), CF_ERR_NOT_FOUND);
    const char *names[] = {"carto/a.cfg", "carto/b.cfg", "printer.cfg"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(sub);
    rmdir(dir);
}

static void test_klippy_log(void **state)
{
    (void)state;
    const char log[] = "Starting Klippy...\n"
                       "===== Config file =====\n"
                       "[mcu scanner]\n"
                       "canbus_uuid: 0123456789ab\n"
                       "=======================\n"
                       "mcu 'scanner': Unable to connect\n"
                       "Restarting printer\n"
                       "===== Config file =====\n"
                       "[mcu scanner]\n"
                       "canbus_uuid: 0123456789ab\n"
                       "[cartographer]\n"
                       "serial: /dev/ttyACM1\n"
                       "=======================\n"
                       "error: canbus_uuid='fedcba987654' not found\n"
                       "canbus_uuid 0123456789abc is too long\n";
    cf_kp_cfg_entry e[16];
    size_t n = 0;
    cf_kp_klippy_log_scan_text(log, strlen(log), "klippy.log", e, 16, &n);
    assert_int_equal(n, 3);
    assert_string_equal(e[0].value, "0123456789ab");
    assert_string_equal(e[0].source, "klippy.log:10"); /* the latest config */
    assert_string_equal(e[1].value, "/dev/ttyACM1");
    assert_string_equal(e[2].value, "fedcba987654");
    assert_string_equal(e[2].section, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_sections),
        cmocka_unit_test(test_includes),
        cmocka_unit_test(test_klippy_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
