/* The host profile against fake roots (CARTOFLASH_TEST_ROOT): a K1 (buildroot
 * os-release, the S55klipper_service init script as a stub that records its
 * arguments, printer_data under /usr/data, a sysfs with the probe's tty and no
 * /dev/serial/by-id) and a Debian-style host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/host.h"
#include "katapult/katapult.h"

static char root[64];

static void put(const char *rel, const char *text, mode_t mode)
{
    char p[512];
    assert_true(snprintf(p, sizeof(p), "%s/%s", root, rel) < (int)sizeof(p));
    for (char *s = p + strlen(root) + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    if (!text) {
        mkdir(p, 0755);
        return;
    }
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(p, mode), 0);
}

static void link_at(const char *rel, const char *target)
{
    char p[512];
    assert_true(snprintf(p, sizeof(p), "%s/%s", root, rel) < (int)sizeof(p));
    assert_int_equal(symlink(target, p), 0);
}

static char *slurp(const char *rel)
{
    static char buf[256];
    char p[512];
    assert_true(snprintf(p, sizeof(p), "%s/%s", root, rel) < (int)sizeof(p));
    FILE *f = fopen(p, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void new_root(void)
{
    snprintf(root, sizeof(root), "/tmp/cf-host-XXXXXX");
    assert_non_null(mkdtemp(root));
    assert_int_equal(setenv("CARTOFLASH_TEST_ROOT", root, 1), 0);
}

static void drop_root(void)
{
    char *const argv[] = {"rm", "-rf", root, NULL};
    pid_t pid = fork();
    if (pid == 0) {
        execvp("rm", argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    unsetenv("CARTOFLASH_TEST_ROOT");
}

/* The K1 as its firmware lays it out. */
static void make_k1(const char *init_body)
{
    put("etc/os-release", "NAME=Buildroot\nVERSION=2020.02.1\nID=buildroot\nVERSION_ID=2020.02.1\n",
        0644);
    if (init_body)
        put("etc/init.d/S55klipper_service", init_body, 0755);
    put("usr/data/printer_data/config/printer.cfg",
        "[include sensorless.cfg]\n[mcu]\nserial: /dev/ttyS7\n\n[scanner]\n"
        "serial: /dev/ttyACM0\n",
        0644);
    put("usr/data/printer_data/config/sensorless.cfg", "[stepper_x]\nstep_pin: PB1\n", 0644);
    put("usr/data/printer_data/logs/klippy.log",
        "Start printer at Thu Dec  3 10:00:00 2026\n===== Config file =====\n[mcu scanner]\n"
        "canbus_uuid = 0a1b2c3d4e5f\n=======================\n",
        0644);
    /* sysfs: the probe's USB serial device, and nothing under /dev/serial. */
    const char *dev = "sys/devices/platform/usb/usb1/1-1";
    char p[256];
    snprintf(p, sizeof(p), "%s/1-1:1.0/tty/ttyACM0", dev);
    put(p, NULL, 0);
    const char *attrs[][2] = {{"idVendor", "1d50\n"},
                              {"idProduct", "614e\n"},
                              {"manufacturer", "Cartographer\n"},
                              {"product", "614e\n"},
                              {"serial", "16000C000F43304253373820\n"}};
    for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", dev, attrs[i][0]);
        put(p, attrs[i][1], 0644);
    }
    put("sys/class/tty", NULL, 0);
    link_at("sys/class/tty/ttyACM0", "../../devices/platform/usb/usb1/1-1/1-1:1.0/tty/ttyACM0");
    link_at("sys/devices/platform/usb/usb1/1-1/1-1:1.0/tty/ttyACM0/device", "../../../1-1:1.0");
}

static const char stub[] = "#!/bin/sh\n"
                           "echo \"$@\" >> \"$(dirname \"$0\")/../../calls\"\n"
                           "echo \"Stopping/starting klipper\"\n";

static void test_k1_detected_with_its_paths(void **state)
{
    (void)state;
    new_root();
    make_k1(stub);
    cf_host h;
    cf_host_detect(&h, "/home/pi");
    assert_int_equal(h.kind, CF_HOST_K1);
    assert_string_equal(cf_host_kind_name(h.kind), "Creality K1 (buildroot)");
    char want[600];
    snprintf(want, sizeof(want), "%s/usr/data/printer_data/config/printer.cfg", root);
    assert_string_equal(h.printer_cfg, want);
    snprintf(want, sizeof(want), "%s/usr/data/printer_data/logs/klippy.log", root);
    assert_string_equal(h.klippy_log, want);
    snprintf(want, sizeof(want), "%s/etc/init.d/S55klipper_service", root);
    assert_string_equal(h.klipper_init, want);
    snprintf(want, sizeof(want), "%s/sys", root);
    assert_string_equal(h.sysfs, want);
    drop_root();
}

static void test_k1_klipper_stopped_and_started_by_init_script(void **state)
{
    (void)state;
    new_root();
    make_k1(stub);
    cf_host h;
    cf_host_detect(&h, NULL);
    cf_error err;
    cf_error_reset(&err);
    char out[128];
    assert_int_equal(cf_host_klipper_service(&h, "stop", out, sizeof(out), &err), CF_OK);
    assert_string_equal(out, "Stopping/starting klipper\n");
    assert_int_equal(cf_host_klipper_service(&h, "start", NULL, 0, &err), CF_OK);
    assert_string_equal(slurp("calls"), "stop\nstart\n");
    /* Only the two verbs, never a string that reaches a shell. */
    assert_int_equal(cf_host_klipper_service(&h, "stop; reboot", NULL, 0, &err), CF_ERR_USAGE);
    assert_string_equal(slurp("calls"), "stop\nstart\n");
    drop_root();
}

static void proc_entry(const char *pid, const char *argv0, const char *argv1)
{
    char rel[64], p[600];
    snprintf(rel, sizeof(rel), "proc/%s", pid);
    put(rel, NULL, 0);
    snprintf(p, sizeof(p), "%s/proc/%s/cmdline", root, pid);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fwrite(argv0, 1, strlen(argv0) + 1, f);
    fwrite(argv1, 1, strlen(argv1) + 1, f);
    fclose(f);
}

static void test_k1_klipper_running_from_proc(void **state)
{
    (void)state;
    new_root();
    make_k1(stub);
    cf_host h;
    cf_host_detect(&h, NULL);
    proc_entry("1", "init", "");
    proc_entry("412", "/usr/bin/python3", "/usr/share/moonraker/moonraker.py");
    proc_entry("77", "/usr/bin/vi", "/root/klippy.py.bak");
    assert_false(cf_host_klipper_running(&h));
    proc_entry("513", "/usr/share/klippy-env/bin/python", "/usr/share/klipper/klippy/klippy.py");
    assert_true(cf_host_klipper_running(&h));
    drop_root();
}

static void test_k1_init_script_failure_is_explained(void **state)
{
    (void)state;
    new_root();
    make_k1("#!/bin/sh\necho 'permission denied' >&2\nexit 4\n");
    cf_host h;
    cf_host_detect(&h, NULL);
    cf_error err;
    cf_error_reset(&err);
    char out[128];
    assert_int_equal(cf_host_klipper_service(&h, "stop", out, sizeof(out), &err), CF_ERR_ACCESS);
    assert_string_equal(out, "permission denied\n");
    assert_non_null(strstr(err.message, "S55klipper_service stop failed (exit status 4)"));
    assert_non_null(strstr(err.hint, "/etc/init.d/S55klipper_service stop"));
    drop_root();
}

static void test_k1_uuid_and_tty_found_without_by_id(void **state)
{
    (void)state;
    new_root();
    make_k1(stub);
    cf_host h;
    cf_host_detect(&h, NULL);
    cf_kp_cfg_entry e[8];
    size_t n = 0;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_kp_klippy_log_scan_file(h.klippy_log, e, 8, &n, &err), CF_OK);
    bool uuid = false;
    for (size_t i = 0; i < n; i++)
        uuid |= e[i].can && strcmp(e[i].value, "0a1b2c3d4e5f") == 0;
    assert_true(uuid);
    n = 0;
    assert_int_equal(cf_kp_config_scan_file(h.printer_cfg, e, 8, &n, &err), CF_OK);
    bool serial = false;
    for (size_t i = 0; i < n; i++)
        serial |= !e[i].can && strcmp(e[i].value, "/dev/ttyACM0") == 0;
    assert_true(serial);
    cf_kp_usb_dev devs[4];
    n = 0;
    assert_int_equal(cf_kp_sysfs_scan(h.sysfs, devs, 4, &n, &err), CF_OK);
    assert_int_equal(n, 1);
    assert_string_equal(devs[0].tty, "/dev/ttyACM0");
    assert_int_equal(devs[0].vid, 0x1d50);
    assert_string_equal(devs[0].manufacturer, "Cartographer");
    char byid[600];
    snprintf(byid, sizeof(byid), "%s/dev/serial/by-id", root);
    assert_int_not_equal(access(byid, F_OK), 0);
    drop_root();
}

static void test_k1_by_init_script_alone_or_os_release_alone(void **state)
{
    (void)state;
    new_root();
    put("etc/init.d/S55klipper_service", stub, 0755);
    put("etc/os-release", "ID=debian\n", 0644);
    cf_host h;
    cf_host_detect(&h, NULL);
    assert_int_equal(h.kind, CF_HOST_K1);
    drop_root();
    new_root();
    put("etc/os-release", "NAME=Buildroot\nID=\"buildroot\"\n", 0644);
    cf_host_detect(&h, NULL);
    assert_int_equal(h.kind, CF_HOST_K1);
    assert_string_equal(h.klipper_init, ""); /* no script: nothing to run */
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_host_klipper_service(&h, "stop", NULL, 0, &err), CF_ERR_UNSUPPORTED);
    drop_root();
}

static void test_debian_host_uses_home_and_systemd(void **state)
{
    (void)state;
    new_root();
    put("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n", 0644);
    put("etc/init.d/klipper", stub, 0755); /* some SysV script, not the K1's */
    cf_host h;
    cf_host_detect(&h, "/home/pi");
    assert_int_equal(h.kind, CF_HOST_DEBIAN);
    char want[600];
    snprintf(want, sizeof(want), "%s/home/pi/printer_data/config/printer.cfg", root);
    assert_string_equal(h.printer_cfg, want);
    snprintf(want, sizeof(want), "%s/home/pi/printer_data/logs/klippy.log", root);
    assert_string_equal(h.klippy_log, want);
    assert_string_equal(h.klipper_init, "");
    drop_root();
    /* Without the variable, the real root. */
    cf_host_detect(&h, "/home/pi");
    assert_string_equal(h.root, "");
    assert_string_equal(h.sysfs, "/sys");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_k1_detected_with_its_paths),
        cmocka_unit_test(test_k1_klipper_stopped_and_started_by_init_script),
        cmocka_unit_test(test_k1_init_script_failure_is_explained),
        cmocka_unit_test(test_k1_klipper_running_from_proc),
        cmocka_unit_test(test_k1_uuid_and_tty_found_without_by_id),
        cmocka_unit_test(test_k1_by_init_script_alone_or_os_release_alone),
        cmocka_unit_test(test_debian_host_uses_home_and_systemd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
