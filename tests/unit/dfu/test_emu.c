/* The DFU engine against the STM32 bootloader emulator through the simulated
 * USB backend: the full erase/write/read/leave flow with real Cartographer
 * images, and every injected fault giving the right code and message while
 * the device keeps answering (except after a disconnect). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "common/fileio.h"
#include "dfu/dfu.h"
#include "sim/stm32_dfu.h"
#include "sim/sim.h"

#define F042_IMAGE                                                                                 \
    "cartographer_firmware/firmware/v2-v3/combined-firmware/5.1.0/"                                \
    "Full_Survey_Cartographer_CAN_1M_5_1_0.bin"
#define G431_IMAGE                                                                                 \
    "cartographer_firmware/firmware/v4/combined-firmware/6.1.0/"                                   \
    "Katapult_plus_CartographerV4_6.1.0_USB.bin"
#define FLASH_BASE 0x08000000u

typedef struct rig {
    cf_emu *emu;
    cf_usb_backend *be;
    cf_usb_dfu_info info;
    cf_usb_dev *dev;
    cf_dfu *dfu;
    cf_dfuse_layout layout;
} rig;

static void load_image(const char *rel, uint8_t **data, size_t *size)
{
    const char *dir = getenv("CF_FIRMWARE_DIR");
    if (!dir)
        fail_msg("CF_FIRMWARE_DIR is not set (CTest sets it, see tests/CMakeLists.txt)");
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    cf_error err = {0};
    if (cf_read_file(path, 1 << 20, data, size, &err) != CF_OK)
        fail_msg("%s: %s", path, err.message);
}

/* Device on the simulated bus, opened, engine at dfuIDLE. */
static void rig_open(rig *r, const cf_emu_config *cfg)
{
    memset(r, 0, sizeof(*r));
    cf_error err = {0};
    assert_int_equal(cf_emu_new(cfg, &r->emu, &err), CF_OK);
    assert_int_equal(cf_sim_usb_backend(r->emu, &r->be, &err), CF_OK);
    if (cf_usb_wait_dfu(r->be, "0483:df11", 2000, NULL, NULL, &r->info, &err) != CF_OK)
        fail_msg("wait: %s", err.message);
    assert_true(r->info.dfu_mode);
    assert_true(r->info.alt_count >= 2);
    assert_int_equal(cf_dfuse_parse_layout(r->info.alts[0].name, &r->layout, &err), CF_OK);
    assert_int_equal(cf_usb_open(r->be, &r->info, &r->dev, &err), CF_OK);
    assert_int_equal(cf_dfu_new(r->dev, &r->info, &r->dfu, &err), CF_OK);
    if (cf_dfu_start(r->dfu, &err) != CF_OK)
        fail_msg("start: %s", err.message);
}

static void rig_close(rig *r)
{
    cf_dfu_free(r->dfu);
    cf_usb_close(r->dev);
    cf_usb_backend_free(r->be);
    cf_emu_free(r->emu);
}

static void config(cf_emu_config *cfg, cf_emu_chip chip)
{
    cf_emu_config_default(cfg);
    cfg->chip = chip;
    cfg->timing = false;
}

/* Erase exactly the pages the image touches, then write it. */
static cf_code flash(rig *r, const uint8_t *data, size_t size, cf_error *err)
{
    const cf_dfuse_segment *seg = cf_dfuse_find(&r->layout, FLASH_BASE);
    assert_non_null(seg);
    assert_true(FLASH_BASE + size <= cf_dfuse_segment_end(seg));
    for (uint32_t page = FLASH_BASE; page < FLASH_BASE + size; page += seg->page_size) {
        cf_code rc = cf_dfuse_erase_page(r->dfu, page, err);
        if (rc != CF_OK)
            return rc;
    }
    return cf_dfuse_write(r->dfu, FLASH_BASE, data, size, NULL, NULL, err);
}

static void flash_read_leave(cf_emu_chip chip, const char *image, bool timing)
{
    uint8_t *data = NULL;
    size_t size = 0;
    load_image(image, &data, &size);
    cf_emu_config cfg;
    config(&cfg, chip);
    cfg.timing = timing;
    rig r;
    rig_open(&r, &cfg);
    cf_error err = {0};

    uint64_t t0 = cf_now_ns();
    if (flash(&r, data, size, &err) != CF_OK)
        fail_msg("flash: %s", err.message);
    uint8_t *back = malloc(size);
    assert_non_null(back);
    if (cf_dfuse_read(r.dfu, FLASH_BASE, back, size, NULL, NULL, &err) != CF_OK)
        fail_msg("read: %s", err.message);
    uint64_t took = cf_now_ns() - t0;
    assert_memory_equal(back, data, size);

    uint32_t base = 0;
    size_t flash_size = 0;
    const uint8_t *mem = cf_emu_flash(r.emu, &base, &flash_size);
    assert_int_equal(base, FLASH_BASE);
    assert_memory_equal(mem, data, size);
    assert_int_equal(mem[size + (size & 1)], 0xFF); /* nothing written past the image */

    if (timing) {
        /* The engine waits what the chip says and not much more. */
        uint64_t busy = cf_emu_busy_ns(r.emu);
        fprintf(stderr, "flash+read %zu bytes: %.3f s (chip busy %.3f s)\n", size, took / 1e9,
                busy / 1e9);
        assert_true(took >= busy);
        assert_true(took < busy + 1500000000ull);
    }

    assert_int_equal(cf_dfuse_leave(r.dfu, FLASH_BASE, &err), CF_OK);
    uint32_t jump = 0;
    assert_true(cf_emu_left(r.emu, &jump));
    assert_int_equal(jump, FLASH_BASE);
    cf_usb_dfu_info *list = NULL;
    size_t count = 9;
    assert_int_equal(cf_usb_list_dfu(r.be, &list, &count, &err), CF_OK);
    assert_int_equal(count, 0); /* it left DFU mode */
    free(list);
    free(back);
    free(data);
    rig_close(&r);
}

static void test_f042_flash_read_leave(void **state)
{
    (void)state;
    flash_read_leave(CF_EMU_CHIP_F042, F042_IMAGE, false);
}

static void test_g431_flash_read_leave(void **state)
{
    (void)state;
    flash_read_leave(CF_EMU_CHIP_G431, G431_IMAGE, false);
}

static void test_f042_timed(void **state)
{
    (void)state;
    flash_read_leave(CF_EMU_CHIP_F042, F042_IMAGE, true);
}

static void test_start_in_error(void **state)
{
    (void)state;
    cf_emu_config cfg;
    config(&cfg, CF_EMU_CHIP_F042);
    cfg.start_in_error = true;
    rig r;
    rig_open(&r, &cfg); /* start() cleared dfuERROR/errFIRMWARE */
    assert_int_equal(cf_emu_dfu_state(r.emu), CF_DFU_IDLE);
    cf_error err = {0};
    uint8_t b[16];
    assert_int_equal(cf_dfuse_read(r.dfu, FLASH_BASE, b, sizeof(b), NULL, NULL, &err), CF_OK);
    rig_close(&r);
}

static void test_appear_later(void **state)
{
    (void)state;
    cf_emu_config cfg;
    config(&cfg, CF_EMU_CHIP_F042);
    cfg.appear_ms = 300;
    uint64_t t0 = cf_now_ns();
    rig r;
    rig_open(&r, &cfg);
    uint64_t ms = (cf_now_ns() - t0) / 1000000u;
    assert_true(ms >= 300 && ms < 400); /* found within 100 ms of enumerating */
    rig_close(&r);
}

static void test_bad_address(void **state)
{
    (void)state;
    cf_emu_config cfg;
    config(&cfg, CF_EMU_CHIP_F042);
    rig r;
    rig_open(&r, &cfg);
    cf_error err = {0};
    assert_int_equal(cf_dfuse_erase_page(r.dfu, 0x09000000, &err), CF_ERR_DEVICE);
    assert_non_null(strstr(err.message, "page erase at 0x09000000 failed: DFU status errTARGET"));
    assert_non_null(strstr(err.hint, "still in DFU mode"));
    cf_error_reset(&err);
    assert_int_equal(cf_dfu_start(r.dfu, &err), CF_OK);
    rig_close(&r);
}

/* After a fault the probe is still in DFU mode: start() recovers it and a
 * retry of the same flash succeeds (the emulator disarms the fault). */
static void retry_succeeds(rig *r, const uint8_t *data, size_t size)
{
    cf_error err = {0};
    if (cf_dfu_start(r->dfu, &err) != CF_OK)
        fail_msg("start after fault: %s", err.message);
    if (flash(r, data, size, &err) != CF_OK)
        fail_msg("retry: %s", err.message);
    uint8_t *back = malloc(size);
    assert_non_null(back);
    assert_int_equal(cf_dfuse_read(r->dfu, FLASH_BASE, back, size, NULL, NULL, &err), CF_OK);
    assert_memory_equal(back, data, size);
    free(back);
}

static void fault_case(cf_emu_fault kind, unsigned at, cf_code want, const char *needle)
{
    uint8_t *data = NULL;
    size_t size = 0;
    load_image(F042_IMAGE, &data, &size);
    cf_emu_config cfg;
    config(&cfg, CF_EMU_CHIP_F042);
    cfg.fault = kind;
    cfg.fault_at = at;
    rig r;
    rig_open(&r, &cfg);
    cf_error err = {0};
    cf_code rc = flash(&r, data, size, &err);
    if (rc != want || !strstr(err.message, needle))
        fail_msg("fault %d: got %s \"%s\", want %s with \"%s\"", (int)kind, cf_code_name(rc),
                 err.message, cf_code_name(want), needle);
    assert_true(err.hint[0] != '\0');
    if (kind == CF_EMU_FAULT_DISCONNECT) {
        assert_non_null(strstr(err.hint, "DFU mode"));
        assert_false(cf_emu_present(r.emu));
        /* The user puts it back in DFU mode: a fresh open works. */
        cf_emu_replug(r.emu);
        cf_dfu_free(r.dfu);
        cf_usb_close(r.dev);
        assert_int_equal(cf_usb_wait_dfu(r.be, NULL, 1000, NULL, NULL, &r.info, &err), CF_OK);
        assert_int_equal(cf_usb_open(r.be, &r.info, &r.dev, &err), CF_OK);
        assert_int_equal(cf_dfu_new(r.dev, &r.info, &r.dfu, &err), CF_OK);
    } else {
        assert_non_null(strstr(err.hint, "still in DFU mode"));
    }
    retry_succeeds(&r, data, size);
    free(data);
    rig_close(&r);
}

static void test_fault_stall(void **state)
{
    (void)state;
    fault_case(CF_EMU_FAULT_STALL, 3, CF_ERR_STALL, "write at 0x08001000 failed");
}

static void test_fault_timeout(void **state)
{
    (void)state;
    fault_case(CF_EMU_FAULT_TIMEOUT, 2, CF_ERR_TIMEOUT, "write at 0x08000800 failed");
}

static void test_fault_errwrite(void **state)
{
    (void)state;
    fault_case(CF_EMU_FAULT_ERRWRITE, 2, CF_ERR_DEVICE,
               "write at 0x08000800 failed: DFU status errWRITE (Device is unable to write "
               "memory), state dfuERROR");
}

static void test_fault_errerase(void **state)
{
    (void)state;
    fault_case(CF_EMU_FAULT_ERRERASE, 2, CF_ERR_DEVICE,
               "page erase at 0x08000400 failed: DFU status errERASE (Memory erase function "
               "failed), state dfuERROR");
}

static void test_fault_disconnect(void **state)
{
    (void)state;
    fault_case(CF_EMU_FAULT_DISCONNECT, 4, CF_ERR_GONE, "write at 0x08001800 failed");
}

static void test_fault_bitflip(void **state)
{
    (void)state;
    /* The engine cannot see a bad cell while writing; reading back does. */
    uint8_t *data = NULL;
    size_t size = 0;
    load_image(F042_IMAGE, &data, &size);
    cf_emu_config cfg;
    config(&cfg, CF_EMU_CHIP_F042);
    cfg.fault = CF_EMU_FAULT_BITFLIP;
    cfg.fault_at = 5;
    rig r;
    rig_open(&r, &cfg);
    cf_error err = {0};
    assert_int_equal(flash(&r, data, size, &err), CF_OK);
    uint8_t *back = malloc(size);
    assert_non_null(back);
    assert_int_equal(cf_dfuse_read(r.dfu, FLASH_BASE, back, size, NULL, NULL, &err), CF_OK);
    size_t diffs = 0, first = 0;
    for (size_t i = 0; i < size; i++)
        if (back[i] != data[i] && diffs++ == 0)
            first = i;
    assert_true(diffs >= 1);
    assert_true(first >= 4 * 2048 && first < 5 * 2048); /* inside the 5th block */
    free(back);
    free(data);
    rig_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f042_flash_read_leave),
        cmocka_unit_test(test_g431_flash_read_leave),
        cmocka_unit_test(test_f042_timed),
        cmocka_unit_test(test_start_in_error),
        cmocka_unit_test(test_appear_later),
        cmocka_unit_test(test_bad_address),
        cmocka_unit_test(test_fault_stall),
        cmocka_unit_test(test_fault_timeout),
        cmocka_unit_test(test_fault_errwrite),
        cmocka_unit_test(test_fault_errerase),
        cmocka_unit_test(test_fault_disconnect),
        cmocka_unit_test(test_fault_bitflip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
