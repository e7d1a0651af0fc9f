/* printer.cfg (with [include]s) and klippy.log UUID discovery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
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
    /* The self-include is a cycle: printer.cfg is read once. */
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

static void rm_dir_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char p[1200];
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

/* Six files that each include every *.cfg (the others and themselves): each is
 * read once, by its real path, so the scan is immediate (it used to follow
 * every path to depth 8: millions of reads, over 30 s). A link to a file is
 * the same file. */
static void test_include_cycles_bounded(void **state)
{
    (void)state;
    char dir[] = "/tmp/cf-kp-cyc-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char p[512], q[512];
    for (int i = 0; i < 6; i++) {
        snprintf(p, sizeof(p), "%s/f%d.cfg", dir, i);
        char text[200];
        snprintf(text, sizeof(text), "[include *.cfg]\n[mcu m%d]\ncanbus_uuid: %012d\n", i, i);
        write_text(p, text);
    }
    snprintf(p, sizeof(p), "%s/f0.cfg", dir);
    snprintf(q, sizeof(q), "%s/link.cfg", dir);
    assert_int_equal(symlink(p, q), 0);
    snprintf(p, sizeof(p), "%s/printer.cfg", dir);
    write_text(p, "[include f*.cfg]\n[include link.cfg]\n[scanner]\ncanbus_uuid: aaaaaaaaaaaa\n");
    cf_kp_cfg_entry e[16];
    size_t n = 0;
    cf_error err;
    cf_error_reset(&err);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(cf_kp_config_scan_file(p, e, 16, &n, &err), CF_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(took < 1.0);
    assert_int_equal(n, 1);
    assert_string_equal(e[0].value, "aaaaaaaaaaaa");
    /* every section's UUID is seen once for the owner check, with its section */
    cf_kp_cfg_entry owner;
    assert_true(cf_kp_uuid_foreign_owner(p, NULL, "000000000003", &owner));
    assert_string_equal(owner.section, "mcu m3");
    assert_non_null(strstr(owner.source, "f3.cfg:3"));
    assert_false(cf_kp_uuid_foreign_owner(p, NULL, "AAAAAAAAAAAA", &owner));
    assert_false(cf_kp_uuid_foreign_owner(p, NULL, "0000000000ff", &owner));
    rm_dir_files(dir);

    /* more files than any real config: read up to the cap, then a clear error */
    char big[] = "/tmp/cf-kp-big-XXXXXX";
    assert_non_null(mkdtemp(big));
    for (int i = 0; i < 80; i++) {
        snprintf(p, sizeof(p), "%s/part%02d.cfg", big, i);
        write_text(p, "[include part*.cfg]\n");
    }
    snprintf(p, sizeof(p), "%s/printer.cfg", big);
    write_text(p, "[include part*.cfg]\n[scanner]\ncanbus_uuid: bbbbbbbbbbbb\n");
    cf_error_reset(&err);
    assert_int_equal(cf_kp_config_scan_file(p, e, 16, &n, &err), CF_ERR_FORMAT);
    assert_non_null(strstr(err.message, "more than 64 files"));
    assert_int_equal(n, 1); /* what was read is still reported */
    rm_dir_files(big);
}

/* The owner check on a klippy.log config dump, and the UUID of the probe's own
 * section is not foreign. */
static void test_uuid_owner_log(void **state)
{
    (void)state;
    char dir[] = "/tmp/cf-kp-own-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char p[512];
    snprintf(p, sizeof(p), "%s/klippy.log", dir);
    write_text(p, "Start printer\n===== Config file =====\n[mcu]\ncanbus_uuid: 1234567890ab\n"
                  "[mcu   EBB36]\ncanbus_uuid: 222222222222\n[mcu scanner]\n"
                  "canbus_uuid: 333333333333\n=======================\n"
                  "error: canbus_uuid 444444444444 not found\n");
    cf_kp_cfg_entry owner;
    assert_true(cf_kp_uuid_foreign_owner(NULL, p, "1234567890AB", &owner));
    assert_string_equal(owner.section, "mcu");
    assert_true(cf_kp_uuid_foreign_owner(NULL, p, "222222222222", &owner));
    assert_string_equal(owner.section, "mcu ebb36");
    assert_non_null(strstr(owner.source, "klippy.log:6"));
    assert_false(cf_kp_uuid_foreign_owner(NULL, p, "333333333333", &owner));
    assert_false(cf_kp_uuid_foreign_owner(NULL, p, "444444444444", &owner));
    /* the probe-only scan is unchanged: [mcu] is not listed */
    cf_kp_cfg_entry e[8];
    size_t n = 0;
    assert_int_equal(cf_kp_klippy_log_scan_file(p, e, 8, &n, NULL), CF_OK);
    for (size_t i = 0; i < n; i++)
        assert_true(strcmp(e[i].section, "mcu") != 0 && strcmp(e[i].section, "mcu ebb36") != 0);
    rm_dir_files(dir);
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
        cmocka_unit_test(test_include_cycles_bounded),
        cmocka_unit_test(test_uuid_owner_log),
        cmocka_unit_test(test_klippy_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
