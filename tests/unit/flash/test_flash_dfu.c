/* cf_flash_dfu() against the STM32 bootloader emulator on the simulated USB
 * bus: a full flash is written, verified and left; a failure while writing or
 * verifying leaves the device in DFU mode with no leave request; an image a
 * gate refuses erases nothing; --force flashes what a gate refused, with a
 * warning, but never an image that does not fit. Real Cartographer images
 * from CF_FIRMWARE_DIR (the test fails, not skips, without them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <unistd.h>

#include "common/fileio.h"
#include "sim/stm32_dfu.h"
#include "flash/flash.h"
#include "image_gen.h"
#include "sim/sim.h"

#define FLASH_BASE 0x08000000u
#define F042_OLD                                                                                   \
    "cartographer_firmware/firmware/v2-v3/combined-firmware/5.0.0/"                                \
    "Full_Survey_Cartographer_USB_5_0_0.bin"
#define F042_NEW                                                                                   \
    "cartographer_firmware/firmware/v2-v3/combined-firmware/5.1.0/"                                \
    "Full_Survey_Cartographer_CAN_1M_5_1_0.bin"
#define F042_APP                                                                                   \
    "cartographer_firmware/firmware/v2-v3/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin"
#define G431_NEW                                                                                   \
    "cartographer_firmware/firmware/v4/combined-firmware/6.1.0/"                                   \
    "Katapult_plus_CartographerV4_6.1.0_USB.bin"

/* What the front end would have been told. */
typedef struct seen {
    int warnings;
    char last_warning[512];
    size_t verify_done, verify_total;
} seen;

static void on_notice(void *user, bool warning, const char *text)
{
    seen *s = user;
    if (warning) {
        s->warnings++;
        snprintf(s->last_warning, sizeof s->last_warning, "%s", text);
    }
}

static void on_progress(void *user, cf_flash_phase phase, size_t done, size_t total)
{
    seen *s = user;
    if (phase == CF_PHASE_VERIFY) {
        s->verify_done = done;
        s->verify_total = total;
    }
}

/* One emulated probe on the simulated bus, its flash backed by a file in a
 * fresh folder that also receives the backups. */
typedef struct rig {
    char dir[64];
    char flash_path[128];
    char backup_dir[128];
    cf_emu *emu;
    cf_usb_backend *be;
    seen seen;
    cf_flash_events ev;
    cf_flash_opts opts;
    cf_flash_report rep;
    cf_error err;
} rig;

static uint8_t *firmware(const char *rel, size_t *len)
{
    uint8_t *data = gen_read_firmware(rel, len);
    if (!data)
        fail_msg("cannot read %s below CF_FIRMWARE_DIR=%s", rel,
                 gen_firmware_dir() ? gen_firmware_dir() : "(unset)");
    return data;
}

static void load(const char *rel, uint32_t address, cf_image *img)
{
    size_t len = 0;
    uint8_t *data = firmware(rel, &len);
    cf_image_load_opts lo = {.default_address = address};
    cf_error err;
    cf_error_reset(&err);
    if (cf_image_parse(data, len, rel, &lo, img, &err) != CF_OK)
        fail_msg("%s: %s", rel, err.message);
    free(data);
}

/* The flash file holds `initial` (NULL: erased) at the start of flash. */
static void rig_open(rig *r, cf_emu_chip chip, cf_emu_fault fault, unsigned fault_at,
                     const char *initial)
{
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "%s", "/tmp/cf-flash-dfu.XXXXXX");
    assert_non_null(mkdtemp(r->dir));
    snprintf(r->flash_path, sizeof r->flash_path, "%s/flash.bin", r->dir);
    snprintf(r->backup_dir, sizeof r->backup_dir, "%s/backups", r->dir);
    if (initial) {
        uint32_t size = chip == CF_EMU_CHIP_G431 ? 128u * 1024 : 32u * 1024;
        uint8_t *mem = malloc(size);
        assert_non_null(mem);
        memset(mem, 0xFF, size);
        size_t len = 0;
        uint8_t *data = firmware(initial, &len);
        assert_true(len <= size);
        memcpy(mem, data, len);
        free(data);
        FILE *f = fopen(r->flash_path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(mem, 1, size, f), size);
        assert_int_equal(fclose(f), 0);
        free(mem);
    }
    cf_emu_config cfg;
    cf_emu_config_default(&cfg);
    cfg.chip = chip;
    cfg.timing = false;
    cfg.fault = fault;
    cfg.fault_at = fault_at;
    cfg.flash_path = r->flash_path;
    cf_error_reset(&r->err);
    assert_int_equal(cf_emu_new(&cfg, &r->emu, &r->err), CF_OK);
    assert_int_equal(cf_sim_usb_backend(r->emu, &r->be, &r->err), CF_OK);
    r->ev = (cf_flash_events){.user = &r->seen, .notice = on_notice, .progress = on_progress};
    r->opts = (cf_flash_opts){.backup_dir = r->backup_dir};
}

static void remove_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char child[512];
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        if (e->d_type == DT_DIR)
            remove_dir(child);
        else
            unlink(child);
    }
    closedir(d);
    rmdir(path);
}

static void rig_close(rig *r)
{
    cf_usb_backend_free(r->be);
    cf_emu_free(r->emu);
    remove_dir(r->dir);
}

static cf_code flash(rig *r, const cf_image *img)
{
    cf_error_reset(&r->err);
    memset(&r->seen, 0, sizeof r->seen);
    cf_code rc = cf_flash_dfu(r->be, img, &r->opts, &r->ev, &r->rep, &r->err);
    if (rc != CF_OK)
        print_message("cf_flash_dfu: %s: %s (%s)\n", cf_code_name(rc), r->err.message, r->err.hint);
    return rc;
}

/* The emulated flash, from its start, holds the image's bytes. */
static bool flash_holds(const rig *r, const cf_image *img)
{
    uint32_t base = 0;
    size_t size = 0;
    const uint8_t *mem = cf_emu_flash(r->emu, &base, &size);
    for (size_t i = 0; i < img->segment_count; i++) {
        const cf_image_segment *seg = &img->segments[i];
        if (seg->address < base || seg->address - base + seg->size > size)
            return false;
        if (memcmp(mem + (seg->address - base), seg->data, seg->size) != 0)
            return false;
    }
    return true;
}

/* A copy of the whole emulated flash, to prove later that nothing changed. */
static uint8_t *flash_copy(const rig *r, size_t *size)
{
    uint32_t base = 0;
    const uint8_t *mem = cf_emu_flash(r->emu, &base, size);
    uint8_t *copy = malloc(*size);
    assert_non_null(copy);
    memcpy(copy, mem, *size);
    return copy;
}

static size_t files_in(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void expect_left_after_verify(rig *r, const cf_image *img)
{
    assert_true(r->rep.left);
    assert_false(r->rep.still_in_dfu);
    assert_true(flash_holds(r, img));
    /* every byte written was read back (pages the image leaves blank on a
     * blank device are neither) */
    assert_true(r->rep.bytes_written > 0);
    assert_true(r->rep.bytes_verified >= r->rep.bytes_written);
    assert_int_equal(r->seen.verify_total, r->rep.bytes_verified);
    assert_int_equal(r->seen.verify_done, r->seen.verify_total);
    uint32_t jump = 0;
    assert_true(cf_emu_left(r->emu, &jump));
    assert_int_equal(jump, FLASH_BASE);
}

static void test_full_flash_verifies_and_leaves(void **state)
{
    (void)state;
    rig r;
    rig_open(&r, CF_EMU_CHIP_F042, CF_EMU_FAULT_NONE, 0, NULL);
    cf_image img;
    load(F042_NEW, FLASH_BASE, &img);
    assert_int_equal(flash(&r, &img), CF_OK);
    expect_left_after_verify(&r, &img);
    assert_string_equal(r.rep.chip, "stm32f042x6");
    assert_true(r.rep.pages_changed > 0);
    assert_int_equal(r.seen.warnings, 0);
    cf_image_free(&img);
    rig_close(&r);
}

static void test_g431_full_flash(void **state)
{
    (void)state;
    rig r;
    rig_open(&r, CF_EMU_CHIP_G431, CF_EMU_FAULT_NONE, 0, NULL);
    cf_image img;
    load(G431_NEW, FLASH_BASE, &img);
    assert_int_equal(flash(&r, &img), CF_OK);
    expect_left_after_verify(&r, &img);
    assert_string_equal(r.rep.chip, "stm32g431xx");
    cf_image_free(&img);
    rig_close(&r);
}

/* Over other firmware: what it replaces is saved first, byte for byte. */
static void test_backup_of_what_is_replaced(void **state)
{
    (void)state;
    rig r;
    rig_open(&r, CF_EMU_CHIP_F042, CF_EMU_FAULT_NONE, 0, F042_OLD);
    size_t before_size = 0;
    uint8_t *before = flash_copy(&r, &before_size);
    cf_image img;
    load(F042_NEW, FLASH_BASE, &img);
    assert_int_equal(flash(&r, &img), CF_OK);
    expect_left_after_verify(&r, &img);
    assert_true(r.rep.backup_path[0] != '\0');
    assert_int_equal(strncmp(r.rep.backup_path, r.backup_dir, strlen(r.backup_dir)), 0);
    size_t len = 0;
    uint8_t *saved = NULL;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_read_file(r.rep.backup_path, 1 << 20, &saved, &len, &err), CF_OK);
    assert_true(len > 0 && len <= before_size);
    assert_memory_equal(saved, before, len);
    free(saved);
    free(before);
    cf_image_free(&img);
    rig_close(&r);
}

/* The device reports errWRITE on the third download block: the call fails in
 * the write phase and the device is never told to leave. */
static void test_failing_write_stays_in_dfu(void **state)
{
    (void)state;
    rig r;
    rig_open(&r, CF_EMU_CHIP_F042, CF_EMU_FAULT_ERRWRITE, 3, NULL);
    cf_image img;
    load(F042_NEW, FLASH_BASE, &img);
    assert_int_not_equal(flash(&r, &img), CF_OK);
    assert_int_equal(r.rep.failed_phase, CF_PHASE_WRITE);
    assert_true(r.rep.still_in_dfu);
    assert_false(r.rep.left);
    assert_false(cf_emu_left(r.emu, NULL));
    assert_true(cf_emu_present(r.emu));
    assert_non_null(strstr(r.err.hint, "still in DFU mode"));
    cf_image_free(&img);
    rig_close(&r);
}

/* A block stored with one bit cleared: the read-back finds it, no leave. */
static void test_failing_verify_stays_in_dfu(void **state)
{
    (void)state;
    rig r;
    rig_open(&r, CF_EMU_CHIP_F042, CF_EMU_FAULT_BITFLIP, 2, NULL);
    cf_image img;
    load(F042_NEW, FLASH_BASE, &img);
    assert_int_equal(flash(&r, &img), CF_ERR_VERIFY);
    assert_int_equal(r.rep.failed_phase, CF_PHASE_VERIFY);
    assert_true(r.rep.failed_address >= FLASH_BASE);
    assert_true(r.rep.still_in_dfu);
    assert_false(r.rep.left);
    assert_false(cf_emu_left(r.emu, NULL));
    cf_image_free(&img);
    rig_close(&r);
}

/* Refused by a gate: the flash is as it was, no backup, no leave. */
static void expect_refused_untouched(cf_emu_chip chip, const char *rel, uint32_t address,
                                     bool force, const char *phrase)
{
    rig r;
    rig_open(&r, chip, CF_EMU_FAULT_NONE, 0, chip == CF_EMU_CHIP_F042 ? F042_OLD : NULL);
    r.opts.force = force;
    size_t size = 0;
    uint8_t *before = flash_copy(&r, &size);
    cf_image img;
    load(rel, address, &img);
    assert_int_equal(flash(&r, &img), CF_ERR_GATE);
    assert_non_null(strstr(r.err.message, phrase));
    assert_int_equal(r.rep.failed_phase, CF_PHASE_CHECK);
    assert_true(r.rep.still_in_dfu);
    assert_false(r.rep.left);
    assert_false(cf_emu_left(r.emu, NULL));
    uint32_t base = 0;
    size_t now_size = 0;
    const uint8_t *now = cf_emu_flash(r.emu, &base, &now_size);
    assert_int_equal(now_size, size);
    assert_memory_equal(now, before, size);
    assert_int_equal(files_in(r.backup_dir), 0);
    assert_int_equal(r.rep.bytes_written, 0);
    free(before);
    cf_image_free(&img);
    rig_close(&r);
}

static void test_refused_image_erases_nothing(void **state)
{
    (void)state;
    /* a G431 image on the F042 probe */
    expect_refused_untouched(CF_EMU_CHIP_F042, G431_NEW, FLASH_BASE, false, "stm32g431xx");
    /* an app (Katapult update) image at the start of flash */
    expect_refused_untouched(CF_EMU_CHIP_F042, F042_APP, FLASH_BASE, false, "0x08002000");
}

/* An image placed so that it runs past the end of the flash is refused even
 * with --force: no override writes outside the flash. */
static void test_does_not_fit_even_forced(void **state)
{
    (void)state;
    expect_refused_untouched(CF_EMU_CHIP_G431, F042_NEW, FLASH_BASE + 128u * 1024 - 1024, true,
                             "not inside the device's writable flash");
}

/* --force flashes what a gate refused, and says so loudly. */
static void test_force_flashes_with_warning(void **state)
{
    (void)state;
    rig r;
    rig_open(&r, CF_EMU_CHIP_F042, CF_EMU_FAULT_NONE, 0, NULL);
    r.opts.force = true;
    cf_image img;
    load(F042_APP, FLASH_BASE, &img);
    assert_int_equal(flash(&r, &img), CF_OK);
    assert_true(r.seen.warnings >= 1);
    assert_non_null(strstr(r.seen.last_warning, "--force"));
    expect_left_after_verify(&r, &img);
    cf_image_free(&img);
    rig_close(&r);
}

/* --no-leave: written and verified, and the device stays in DFU mode. */
static void test_no_leave(void **state)
{
    (void)state;
    rig r;
    rig_open(&r, CF_EMU_CHIP_F042, CF_EMU_FAULT_NONE, 0, NULL);
    r.opts.no_leave = true;
    cf_image img;
    load(F042_NEW, FLASH_BASE, &img);
    assert_int_equal(flash(&r, &img), CF_OK);
    assert_true(flash_holds(&r, &img));
    assert_false(r.rep.left);
    assert_true(r.rep.still_in_dfu);
    assert_false(cf_emu_left(r.emu, NULL));
    cf_image_free(&img);
    rig_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_flash_verifies_and_leaves),
        cmocka_unit_test(test_g431_full_flash),
        cmocka_unit_test(test_backup_of_what_is_replaced),
        cmocka_unit_test(test_failing_write_stays_in_dfu),
        cmocka_unit_test(test_failing_verify_stays_in_dfu),
        cmocka_unit_test(test_refused_image_erases_nothing),
        cmocka_unit_test(test_does_not_fit_even_forced),
        cmocka_unit_test(test_force_flashes_with_warning),
        cmocka_unit_test(test_no_leave),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
