/* The simulated USB backend (usb_sim.c) through the backend ops, as the usb
 * layer's generic code calls them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "emu_helpers.h"
#include "usb/usb.h"
#include "sim/sim.h"

static cf_usb_backend *sim(cf_emu *emu)
{
    cf_usb_backend *be = NULL;
    cf_error err = {0};
    assert_int_equal(cf_sim_usb_backend(emu, &be, &err), CF_OK);
    assert_non_null(be);
    assert_string_equal(be->ops->name, "simulated");
    return be;
}

static size_t list(cf_usb_backend *be, cf_usb_dfu_info **out)
{
    size_t n = 99;
    cf_error err = {0};
    assert_int_equal(be->ops->list(be, out, &n, &err), CF_OK);
    return n;
}

static cf_code control(cf_usb_dev *dev, uint8_t type, uint8_t req, uint16_t value, uint8_t *data,
                       uint16_t length, size_t *actual, cf_error *err)
{
    cf_usb_setup s = {
        .request_type = type, .request = req, .value = value, .index = 0, .length = length};
    cf_error_reset(err);
    return dev->ops->control(dev, &s, data, actual, 5000, err);
}

static void test_list_f042(void **state)
{
    (void)state;
    cf_emu *emu = emu_make(CF_EMU_CHIP_F042, false);
    cf_usb_backend *be = sim(emu);
    cf_usb_dfu_info *l = NULL;
    assert_int_equal(list(be, &l), 1);
    assert_int_equal(l[0].vid, 0x0483);
    assert_int_equal(l[0].pid, 0xDF11);
    assert_int_equal(l[0].bcd_device, 0x2200);
    assert_int_equal(l[0].bus, 1);
    assert_int_equal(l[0].address, 5);
    assert_string_equal(l[0].bus_path, "1-1.3");
    assert_string_equal(l[0].manufacturer, "STMicroelectronics");
    assert_string_equal(l[0].product, "STM32  BOOTLOADER");
    assert_string_equal(l[0].serial, "FFFFFFFEFFFF");
    assert_int_equal(l[0].interface_number, 0);
    assert_true(l[0].dfu_mode);
    assert_true(l[0].has_functional);
    assert_int_equal(l[0].functional.attributes, 0x0B);
    assert_int_equal(l[0].functional.detach_timeout, 255);
    assert_int_equal(l[0].functional.transfer_size, 2048);
    assert_int_equal(l[0].functional.dfu_version, 0x011A);
    assert_int_equal(l[0].alt_count, 2);
    assert_int_equal(l[0].alts[0].alt, 0);
    assert_string_equal(l[0].alts[0].name, "@Internal Flash  /0x08000000/032*0001Kg");
    assert_int_equal(l[0].alts[1].alt, 1);
    assert_string_equal(l[0].alts[1].name, "@Option Bytes  /0x1FFFF800/01*016 e");
    free(l);
    be->ops->free(be);
    cf_emu_free(emu);
}

static void test_list_g431(void **state)
{
    (void)state;
    cf_emu *emu = emu_make(CF_EMU_CHIP_G431, false);
    cf_usb_backend *be = sim(emu);
    cf_usb_dfu_info *l = NULL;
    assert_int_equal(list(be, &l), 1);
    assert_int_equal(l[0].bcd_device, 0x0200);
    assert_int_equal(l[0].alt_count, 3);
    assert_string_equal(l[0].alts[0].name, "@Internal Flash   /0x08000000/64*02Kg");
    assert_string_equal(l[0].alts[2].name, "@OTP Memory   /0x1FFF7000/01*01Ke");
    assert_string_equal(l[0].product, "DFU in FS Mode");
    free(l);
    be->ops->free(be);
    cf_emu_free(emu);
}

static void test_open_control_leave(void **state)
{
    (void)state;
    cf_emu *emu = emu_make(CF_EMU_CHIP_F042, false);
    cf_usb_backend *be = sim(emu);
    cf_usb_dfu_info *l = NULL;
    assert_int_equal(list(be, &l), 1);
    cf_usb_dev *dev = NULL;
    cf_error err = {0};
    assert_int_equal(be->ops->open(be, &l[0], &dev, &err), CF_OK);
    assert_int_equal(dev->ops->set_alt(dev, 1, &err), CF_OK);
    assert_int_equal(dev->ops->set_alt(dev, 0, &err), CF_OK);
    assert_int_equal(dev->ops->set_alt(dev, 7, &err), CF_ERR_STALL);

    uint8_t st[6];
    size_t actual = 0;
    assert_int_equal(control(dev, 0xA1, 0x03, 0, st, 6, &actual, &err), CF_OK);
    assert_int_equal(actual, 6);
    assert_int_equal(st[4], 2); /* dfuIDLE */
    /* OUT transfer: actual = wLength. */
    uint8_t cmd[5] = {0x21, 0x00, 0x00, 0x00, 0x08};
    assert_int_equal(control(dev, 0x21, 0x01, 0, cmd, 5, &actual, &err), CF_OK);
    assert_int_equal(actual, 5);
    assert_int_equal(control(dev, 0xA1, 0x03, 0, st, 6, &actual, &err), CF_OK);
    assert_int_equal(st[4], 4);
    assert_int_equal(control(dev, 0xA1, 0x03, 0, st, 6, &actual, &err), CF_OK);
    assert_int_equal(st[4], 5);
    /* STALL maps to CF_ERR_STALL with a message. */
    assert_int_equal(control(dev, 0x21, 0x00, 1000, NULL, 0, &actual, &err), CF_ERR_STALL);
    assert_true(err.message[0] != '\0');
    /* Leave: the GETSTATUS answer shows dfuMANIFEST, then the device is gone. */
    assert_int_equal(control(dev, 0x21, 0x01, 2, NULL, 0, &actual, &err), CF_OK);
    assert_int_equal(control(dev, 0xA1, 0x03, 0, st, 6, &actual, &err), CF_OK);
    assert_int_equal(st[4], 7);
    assert_int_equal(control(dev, 0xA1, 0x03, 0, st, 6, &actual, &err), CF_ERR_GONE);
    assert_true(err.hint[0] != '\0');
    dev->ops->close(dev);
    free(l);
    assert_int_equal(list(be, &l), 0);
    assert_null(l);
    cf_usb_dev *dev2 = NULL;
    cf_error_reset(&err);
    cf_usb_dfu_info info = {0};
    assert_int_equal(be->ops->open(be, &info, &dev2, &err), CF_ERR_GONE);
    assert_null(dev2);
    be->ops->free(be);
    cf_emu_free(emu);
}

static void test_timeout_is_prompt(void **state)
{
    (void)state;
    cf_emu_config cfg;
    cf_emu_config_default(&cfg);
    cfg.timing = false;
    cfg.fault = CF_EMU_FAULT_TIMEOUT;
    cf_emu *emu = emu_make_cfg(&cfg);
    cf_usb_backend *be = sim(emu);
    cf_usb_dfu_info *l = NULL;
    assert_int_equal(list(be, &l), 1);
    cf_usb_dev *dev = NULL;
    cf_error err = {0};
    assert_int_equal(be->ops->open(be, &l[0], &dev, &err), CF_OK);
    uint8_t data[64] = {0};
    size_t actual = 0;
    uint64_t t0 = cf_now_ns();
    assert_int_equal(control(dev, 0x21, 0x01, 2, data, 64, &actual, &err), CF_ERR_TIMEOUT);
    uint64_t dt = cf_now_ns() - t0;
    assert_true(dt < 1000000000ull); /* not the 5 s timeout */
    assert_true(err.hint[0] != '\0');
    assert_int_equal(actual, 0);
    /* Answered normally afterwards. */
    uint8_t st[6];
    assert_int_equal(control(dev, 0xA1, 0x03, 0, st, 6, &actual, &err), CF_OK);
    assert_int_equal(st[4], 2);
    dev->ops->close(dev);
    free(l);
    be->ops->free(be);
    cf_emu_free(emu);
}

static void test_disconnect_stale_handle_and_appear(void **state)
{
    (void)state;
    cf_emu_config cfg;
    cf_emu_config_default(&cfg);
    cfg.timing = false;
    cfg.fault = CF_EMU_FAULT_DISCONNECT;
    cfg.appear_ms = 60;
    cf_emu *emu = emu_make_cfg(&cfg);
    cf_usb_backend *be = sim(emu);
    cf_usb_dfu_info *l = NULL;
    assert_int_equal(list(be, &l), 0); /* not enumerated yet */
    cf_sleep_ns(70000000ull);
    assert_int_equal(list(be, &l), 1);
    cf_usb_dev *dev = NULL;
    cf_error err = {0};
    assert_int_equal(be->ops->open(be, &l[0], &dev, &err), CF_OK);
    uint8_t data[64] = {0};
    size_t actual;
    assert_int_equal(control(dev, 0x21, 0x01, 2, data, 64, &actual, &err), CF_ERR_GONE);
    free(l);
    assert_int_equal(list(be, &l), 0);
    /* Replugged: the old handle stays dead, a new one works. */
    cf_emu_replug(emu);
    uint8_t st[6];
    assert_int_equal(control(dev, 0xA1, 0x03, 0, st, 6, &actual, &err), CF_ERR_GONE);
    dev->ops->close(dev);
    assert_int_equal(list(be, &l), 1);
    assert_int_equal(be->ops->open(be, &l[0], &dev, &err), CF_OK);
    assert_int_equal(control(dev, 0xA1, 0x03, 0, st, 6, &actual, &err), CF_OK);
    dev->ops->close(dev);
    free(l);
    be->ops->free(be);
    cf_emu_free(emu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_f042),
        cmocka_unit_test(test_list_g431),
        cmocka_unit_test(test_open_control_leave),
        cmocka_unit_test(test_timeout_is_prompt),
        cmocka_unit_test(test_disconnect_stale_handle_and_appear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
