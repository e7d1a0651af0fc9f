/* sysfs discovery on a fake /sys tree: ttys of USB CDC interfaces, their
 * device's identity, and what is not a probe. */
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

static char root[64];

static void mkdirs(const char *rel)
{
    char p[512];
    assert_true(snprintf(p, sizeof(p), "%s/%s", root, rel) < (int)sizeof(p));
    for (char *s = p + strlen(root) + 1; *s; s++) {
        if (*s == '/') {
            *s = 0;
            mkdir(p, 0755);
            *s = '/';
        }
    }
    mkdir(p, 0755);
}

static void attr(const char *rel, const char *val)
{
    char p[512];
    assert_true(snprintf(p, sizeof(p), "%s/%s", root, rel) < (int)sizeof(p));
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", val);
    fclose(f);
}

static void usb_tty(const char *port, const char *tty, const char *vid, const char *pid,
                    const char *mfr, const char *prod, const char *serial)
{
    char dev[256], p[512], target[512];
    snprintf(dev, sizeof(dev), "devices/pci0000:00/usb1/%s", port);
    snprintf(p, sizeof(p), "%s/%s:1.0/tty/%s", dev, port, tty);
    mkdirs(p);
    snprintf(p, sizeof(p), "%s/idVendor", dev);
    attr(p, vid);
    snprintf(p, sizeof(p), "%s/idProduct", dev);
    attr(p, pid);
    snprintf(p, sizeof(p), "%s/manufacturer", dev);
    attr(p, mfr);
    snprintf(p, sizeof(p), "%s/product", dev);
    attr(p, prod);
    snprintf(p, sizeof(p), "%s/serial", dev);
    attr(p, serial);
    snprintf(p, sizeof(p), "class/tty/%s", tty);
    mkdirs(p);
    snprintf(p, sizeof(p), "%s/class/tty/%s/device", root, tty);
    snprintf(target, sizeof(target), "../../../%s/%s:1.0", dev, port);
    assert_int_equal(symlink(target, p), 0);
}

static void test_scan(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/cf-kp-sys-XXXXXX");
    assert_non_null(mkdtemp(root));
    usb_tty("1-1.3", "ttyACM0", "1d50", "614e", "Cartographer", "614e", "16000C000F43304253373820");
    usb_tty("1-1.4", "ttyACM1", "1d50", "6177", "katapult", "stm32f042x6", "AABB");
    usb_tty("1-1.2", "ttyUSB0", "0403", "6001", "FTDI", "FT232R", "A1"); /* not a probe */
    mkdirs("class/tty/tty0"); /* virtual tty: no device link */
    cf_kp_usb_dev d[8];
    size_t n = 0;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_kp_sysfs_scan(root, d, 8, &n, &err), CF_OK);
    assert_int_equal(n, 2);
    const cf_kp_usb_dev *carto = strcmp(d[0].tty, "/dev/ttyACM0") == 0 ? &d[0] : &d[1];
    const cf_kp_usb_dev *kp = carto == &d[0] ? &d[1] : &d[0];
    assert_string_equal(carto->port, "1-1.3");
    assert_int_equal(carto->app, CF_KP_APP_KLIPPER);
    assert_true(carto->cartographer);
    assert_string_equal(carto->serial, "16000C000F43304253373820");
    assert_non_null(strstr(carto->syspath, "/usb1/1-1.3"));
    assert_int_equal(kp->app, CF_KP_APP_KATAPULT);
    assert_int_equal(kp->pid, 0x6177);
    assert_string_equal(kp->product, "stm32f042x6");
    /* The generic env entry point reads the same tree. */
    cf_kp_env env = {.sysfs_root = root};
    assert_int_equal(cf_kp_usb_list(&env, d, 8, &n, &err), CF_OK);
    assert_int_equal(n, 2);
    /* Two candidates and no --device: refused, both named, never a guess. */
    usb_tty("1-1.5", "ttyACM2", "1d50", "614e", "Cartographer", "614e", "CCDD");
    char path[1024];
    const char *fw = getenv("CF_FIRMWARE_DIR");
    assert_non_null(fw);
    snprintf(path, sizeof(path),
             "%s/cartographer-klipper/firmware/v2-v3/survey/5.1.0/"
             "Survey_Cartographer_USB_8kib_offset.bin",
             fw);
    cf_image img;
    cf_image_load_opts lo = {.default_address = 0x08002000};
    assert_int_equal(cf_image_load(path, &lo, &img, &err), CF_OK);
    cf_kp_opts o = {.wait_ms = 100};
    cf_kp_report rep;
    cf_error_reset(&err);
    assert_int_equal(cf_kp_flash_usb(&env, &img, &o, NULL, &rep, &err), CF_ERR_AMBIGUOUS);
    assert_non_null(strstr(err.message, "/dev/ttyACM0"));
    assert_non_null(strstr(err.message, "/dev/ttyACM2"));
    assert_non_null(strstr(err.hint, "--device"));
    assert_int_equal(rep.bytes_written, 0);
    /* A selector that matches nothing. */
    o.device = "9-9";
    cf_error_reset(&err);
    assert_int_equal(cf_kp_flash_usb(&env, &img, &o, NULL, &rep, &err), CF_ERR_NOT_FOUND);
    cf_image_free(&img);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root); /* test-owned temp dir */
    assert_int_equal(system(cmd), 0);
}

static void test_missing_root(void **state)
{
    (void)state;
    cf_kp_usb_dev d[2];
    size_t n = 7;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_kp_sysfs_scan("/nonexistent-sys", d, 2, &n, &err), CF_ERR_IO);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_missing_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
