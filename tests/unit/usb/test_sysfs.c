/* The sysfs reader on a fake /sys tree: USB devices and their identity, root
 * hubs and interfaces skipped, a DFU-mode device left to the DFU listing, and
 * the ttys of CDC interfaces with the device above them. */
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

#include "usb/usb.h"

static char root[64];

static void mkdirs(const char *rel)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    for (char *s = p + strlen(root) + 1; *s; s++) {
        if (*s == '/') {
            *s = 0;
            mkdir(p, 0755);
            *s = '/';
        }
    }
    mkdir(p, 0755);
}

static void attr(const char *dir, const char *name, const char *val)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s/%s", root, dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fprintf(f, "%s\n", val);
    fclose(f);
}

static void device(const char *port, const char *vid, const char *pid, const char *product)
{
    char dev[128];
    snprintf(dev, sizeof(dev), "bus/usb/devices/%s", port);
    mkdirs(dev);
    attr(dev, "idVendor", vid);
    attr(dev, "idProduct", pid);
    attr(dev, "bcdDevice", "0100");
    attr(dev, "product", product);
}

static void interface(const char *port, const char *cls, const char *sub, const char *proto)
{
    char dir[128];
    snprintf(dir, sizeof(dir), "bus/usb/devices/%s/%s:1.0", port, port);
    mkdirs(dir);
    attr(dir, "bInterfaceClass", cls);
    attr(dir, "bInterfaceSubClass", sub);
    attr(dir, "bInterfaceProtocol", proto);
}

static bool count_tty(void *user, const char *tty, const char *devdir, const cf_usb_identity *id)
{
    (void)devdir;
    size_t *n = user;
    assert_string_equal(tty, "ttyACM0");
    assert_int_equal(id->pid, 0x614e);
    assert_string_equal(id->bus_path, "1-1.3");
    (*n)++;
    return true;
}

static void test_list(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/cf-usb-sys-XXXXXX");
    assert_non_null(mkdtemp(root));
    device("1-1.3", "1d50", "614e", "stm32f042x6");
    interface("1-1.3", "02", "02", "01");
    device("1-1.4", "0483", "df11", "STM32  BOOTLOADER");
    interface("1-1.4", "fe", "01", "02"); /* DFU mode: the DFU listing's */
    device("usb1", "1d6b", "0002", "root hub");
    mkdirs("bus/usb/devices/1-1.3:1.0");
    cf_usb_runtime_info d[4];
    size_t n = 9;
    assert_int_equal(cf_usb_sysfs_list(root, d, 4, &n, NULL), CF_OK);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].id.vid, 0x1d50);
    assert_int_equal(d[0].id.pid, 0x614e);
    assert_int_equal(d[0].id.bcd_device, 0x0100);
    assert_string_equal(d[0].id.bus_path, "1-1.3");
    assert_string_equal(d[0].id.product, "stm32f042x6");
    assert_string_equal(d[0].id.serial, "");

    /* the tty of the CDC interface, through class/tty */
    mkdirs("bus/usb/devices/1-1.3/1-1.3:1.0/tty/ttyACM0");
    mkdirs("class/tty/ttyACM0");
    char link[512];
    snprintf(link, sizeof(link), "%s/class/tty/ttyACM0/device", root);
    assert_int_equal(symlink("../../../bus/usb/devices/1-1.3/1-1.3:1.0", link), 0);
    mkdirs("class/tty/tty0"); /* virtual: no device */
    size_t ttys = 0;
    assert_int_equal(cf_usb_sysfs_ttys(root, count_tty, &ttys, NULL), CF_OK);
    assert_int_equal(ttys, 1);

    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cf_usb_sysfs_list("/nonexistent-sys", d, 4, &n, NULL), CF_ERR_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_list)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
