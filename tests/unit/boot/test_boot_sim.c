/* The simulated bus after leave (sim/usb_sim.c + sim/boot.h, real clock):
 * nothing but the ROM before leave; after it the firmware the emulated flash
 * holds appears on the same port about a second later, or never. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sim/boot.h"
#include "common/clock.h"
#include "sim/stm32_dfu.h"
#include "usb/usb.h"
#include "sim/sim.h"

#define V23 "cartographer-klipper/firmware/v2-v3/combined-firmware/5.0.0/"

typedef struct rig {
    char flash_path[4096];
    cf_emu *emu;
    cf_usb_backend *be;
} rig;

/* An emulated F042 whose flash file already holds `rel` (NULL: erased). */
static void rig_up(rig *r, const char *rel)
{
    memset(r, 0, sizeof(*r));
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(r->flash_path, sizeof(r->flash_path), "%s/cf-boot-sim-XXXXXX", tmp);
    int fd = mkstemp(r->flash_path);
    assert_true(fd >= 0);
    static uint8_t flash[32 * 1024];
    memset(flash, 0xFF, sizeof(flash));
    if (rel) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", getenv("CF_FIRMWARE_DIR"), rel);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        assert_true(fread(flash, 1, sizeof(flash), f) > 0);
        fclose(f);
    }
    assert_int_equal(write(fd, flash, sizeof(flash)), (ssize_t)sizeof(flash));
    close(fd);
    cf_emu_config cfg;
    cf_error err = {0};
    char spec[4200];
    snprintf(spec, sizeof(spec), "dfu,timing=off,flash=%s", r->flash_path);
    assert_int_equal(cf_emu_parse_spec(spec, &cfg, &err), CF_OK);
    assert_int_equal(cf_emu_new(&cfg, &r->emu, &err), CF_OK);
    assert_int_equal(cf_sim_usb_backend(r->emu, &r->be, &err), CF_OK);
}

static void rig_down(rig *r)
{
    cf_usb_backend_free(r->be);
    cf_emu_free(r->emu);
    unlink(r->flash_path);
}

static size_t runtime(rig *r, cf_usb_runtime_info *out)
{
    size_t n = 99;
    cf_error err = {0};
    assert_int_equal(cf_usb_list_runtime(r->be, out, 1, &n, &err), CF_OK);
    return n;
}

/* What a host sends to leave: DNLOAD of length 0, then GETSTATUS (dfuMANIFEST). */
static void leave(rig *r)
{
    cf_usb_dfu_info *list = NULL;
    size_t count = 0;
    cf_error err = {0};
    assert_int_equal(cf_usb_list_dfu(r->be, &list, &count, &err), CF_OK);
    assert_int_equal(count, 1);
    cf_usb_dev *dev = NULL;
    assert_int_equal(cf_usb_open(r->be, &list[0], &dev, &err), CF_OK);
    free(list);
    cf_usb_setup dn = {.request_type = 0x21, .request = 0x01, .value = 2, .length = 0};
    assert_int_equal(cf_usb_control(dev, &dn, NULL, NULL, 1000, &err), CF_OK);
    uint8_t st[6];
    size_t got = 0;
    cf_usb_setup gs = {.request_type = 0xA1, .request = 0x03, .length = 6};
    assert_int_equal(cf_usb_control(dev, &gs, st, &got, 1000, &err), CF_OK);
    assert_int_equal(st[4], 7); /* dfuMANIFEST */
    cf_usb_close(dev);
}

/* Polls until the firmware shows up; returns the milliseconds since start (the
 * moment before leave, so host-side delays never shorten the figure). */
static uint64_t wait_runtime(rig *r, cf_usb_runtime_info *out, uint64_t start)
{
    while (cf_now_ns() - start < 5000000000ull) {
        if (runtime(r, out) == 1)
            break;
        cf_sleep_ns(10000000ull);
    }
    return (cf_now_ns() - start) / 1000000u;
}

static void test_usb_firmware_appears_after_leave(void **state)
{
    (void)state;
    rig r;
    rig_up(&r, V23 "Full_Survey_Cartographer_USB_5_0_0.bin");
    cf_usb_runtime_info d;
    assert_int_equal(runtime(&r, &d), 0); /* in DFU mode: only the ROM is on the bus */
    uint64_t before_leave = cf_now_ns();
    leave(&r);
    cf_usb_dfu_info *list = NULL;
    size_t count = 9;
    assert_int_equal(cf_usb_list_dfu(r.be, &list, &count, NULL), CF_OK);
    assert_int_equal(count, 0); /* the ROM is gone */
    free(list);
    assert_int_equal(runtime(&r, &d), 0); /* still booting */
    uint64_t ms = wait_runtime(&r, &d, before_leave);
    print_message("  appeared %llu ms after leave\n", (unsigned long long)ms);
    assert_true(ms >= 900 && ms < 5000); /* not before the app's USB enumeration delay */
    assert_int_equal(d.id.vid, 0x1d50);
    assert_int_equal(d.id.pid, 0x614e);
    assert_string_equal(d.id.bus_path, "1-1.3"); /* the port the ROM was on */
    assert_string_equal(d.id.manufacturer, "Cartographer");
    assert_string_equal(d.id.serial, "16000C000F43304253373820");

    cf_emu_replug(r.emu); /* BOOT0 bridged again: back in the ROM */
    assert_int_equal(runtime(&r, &d), 0);
    rig_down(&r);
}

static void test_can_firmware_never_appears(void **state)
{
    (void)state;
    rig r;
    rig_up(&r, V23 "Full_Survey_Cartographer_CAN_1M_5_0_0.bin");
    uint64_t before_leave = cf_now_ns();
    leave(&r);
    cf_usb_runtime_info d;
    uint64_t ms = wait_runtime(&r, &d, before_leave);
    assert_true(ms >= 4900); /* polled for the whole window: nothing came */
    assert_int_equal(runtime(&r, &d), 0);
    rig_down(&r);
}

static void test_erased_flash_never_appears(void **state)
{
    (void)state;
    rig r;
    rig_up(&r, NULL);
    leave(&r);
    cf_usb_runtime_info d;
    cf_sleep_ns(1500000000ull);
    assert_int_equal(runtime(&r, &d), 0);
    rig_down(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usb_firmware_appears_after_leave),
        cmocka_unit_test(test_can_firmware_never_appears),
        cmocka_unit_test(test_erased_flash_never_appears),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
