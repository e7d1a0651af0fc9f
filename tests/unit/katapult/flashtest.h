/* Shared helpers of the host flashing tests (USB over a pty, CAN over the
 * in-process bus): real images from CF_FIRMWARE_DIR, a temporary flash
 * file, fast timeouts. */
#ifndef CF_TEST_KATAPULT_FLASHTEST_H
#define CF_TEST_KATAPULT_FLASHTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
#include "katapult/katapult.h"

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/cf-kp-test-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
}

static void rm_tmpdir(void)
{
    char p[512];
    const char *names[] = {"flash.bin", "flash2.bin"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(p, sizeof(p), "%s/%s", tmpdir, names[i]);
        unlink(p);
    }
    rmdir(tmpdir);
}

static void firmware_path(const char *rel, char *out, size_t cap)
{
    const char *dir = getenv("CF_FIRMWARE_DIR");
    assert_non_null(dir);
    snprintf(out, cap, "%s/%s", dir, rel);
    assert_int_equal(access(out, R_OK), 0);
}

static void load_image(const char *rel, cf_image *img)
{
    char path[1024];
    firmware_path(rel, path, sizeof(path));
    cf_image_load_opts o = {.default_address = 0x08002000};
    cf_error err;
    cf_error_reset(&err);
    cf_code rc = cf_image_load(path, &o, img, &err);
    if (rc)
        fail_msg("%s: %s", path, err.message);
}

static void fast_timing(cf_kp_timing *t)
{
    cf_kp_timing_default(t);
    t->reply_ms = 300;
    t->block_reply_ms = 400;
    t->drain_ms = 60;
    t->pause_ms = 20;
    t->busy_ms = 50;
}

/* The emulated flash file equals the image at 0x08002000 byte for byte. */
static void assert_flash_holds(const char *flash_path, const cf_image *img)
{
    uint8_t *data;
    size_t size;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_read_file(flash_path, 1 << 20, &data, &size, &err), CF_OK);
    uint32_t start = cf_image_start(img), end = cf_image_end(img);
    assert_true(end - 0x08000000u <= size);
    size_t diffs = 0;
    for (uint32_t a = start; a < end; a++) {
        uint8_t b = 0xFF;
        cf_image_byte(img, a, &b);
        diffs += data[a - 0x08000000u] != b;
    }
    free(data);
    assert_int_equal(diffs, 0);
}

static size_t flash_diffs(const char *flash_path, const cf_image *img)
{
    uint8_t *data;
    size_t size;
    cf_error err;
    cf_error_reset(&err);
    if (cf_read_file(flash_path, 1 << 20, &data, &size, &err))
        return (size_t)-1;
    size_t diffs = 0;
    for (uint32_t a = cf_image_start(img); a < cf_image_end(img); a++) {
        uint8_t b = 0xFF;
        cf_image_byte(img, a, &b);
        diffs += data[a - 0x08000000u] != b;
    }
    free(data);
    return diffs;
}

typedef struct events_seen {
    size_t write_done, write_total, verify_done, verify_total;
    unsigned notices;
} events_seen;

static void on_progress(void *user, cf_flash_phase ph, size_t done, size_t total)
{
    events_seen *e = user;
    if (ph == CF_PHASE_WRITE) {
        e->write_done = done;
        e->write_total = total;
    } else if (ph == CF_PHASE_VERIFY) {
        e->verify_done = done;
        e->verify_total = total;
    }
}

static void on_notice(void *user, bool warning, const char *text)
{
    events_seen *e = user;
    (void)warning;
    e->notices++;
    if (getenv("CF_TEST_VERBOSE"))
        fprintf(stderr, "  notice: %s\n", text);
}

#endif
