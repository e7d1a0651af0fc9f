/* Replays of the request patterns of dfu-util 0.11, 0.9 and 0.7 (their
 * src/main.c and src/dfuse.c) against the emulator; each must end with the
 * image in flash and the device gone to the right jump address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "emu_helpers.h"

#define FLASH 0x08000000u
#define PAGE 1024u
#define XFER 2048u

static uint8_t *make_image(size_t size, unsigned seed)
{
    uint8_t *img = malloc(size);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < size; i++) {
        x = x * 1103515245u + 12345u;
        img[i] = (uint8_t)(x >> 16);
    }
    return img;
}

/* dfu-util's probe: LANGID, iInterface, serial; then SET_INTERFACE alt 0 and
 * the status loop of dfu-util's main.c (CLRSTATUS from dfuERROR). */
static void open_like_dfu_util(cf_emu *emu)
{
    uint8_t d[255];
    size_t len;
    assert_int_equal(ctl(emu, 0x80, 0x06, 0x0300, 0, d, 255, &len), CF_EMU_ACK);
    uint16_t langid = (uint16_t)(d[2] | d[3] << 8);
    assert_int_equal(langid, 0x0409);
    assert_int_equal(ctl(emu, 0x80, 0x06, 0x0304, langid, d, 255, &len), CF_EMU_ACK);
    assert_int_equal(ctl(emu, 0x80, 0x06, 0x0303, langid, d, 255, &len), CF_EMU_ACK);
    assert_int_equal(ctl(emu, 0x01, 0x0B, 0, 0, NULL, 0, NULL), CF_EMU_ACK);
    for (int tries = 0;; tries++) {
        assert_true(tries < 4);
        dfu_status st;
        assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
        cf_sleep_ns((uint64_t)st.poll_ms * 1000000u);
        if (st.state == ST_ERROR) {
            assert_int_equal(clrstatus(emu), CF_EMU_ACK);
        } else if (st.state == ST_DNLOAD_IDLE || st.state == ST_UPLOAD_IDLE) {
            assert_int_equal(abort_req(emu), CF_EMU_ACK);
        } else {
            assert_int_equal(st.state, ST_IDLE);
            assert_int_equal(st.status, S_OK);
            break;
        }
    }
}

/* dfuse_special_command() of 0.11/0.9: first poll must be DNBUSY, then poll
 * while busy, sleeping bwPollTimeout; final status must be OK. */
static void special_011(cf_emu *emu, uint8_t cmd, uint32_t addr)
{
    dfu_status st;
    assert_int_equal(dfuse_cmd(emu, cmd, addr), CF_EMU_ACK);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_DNBUSY);
    assert_true(st.poll_ms != 100); /* would make dfu-util sleep 35 s on mass erase */
    int zero_busy = 0;
    while (st.state == ST_DNBUSY) {
        cf_sleep_ns((uint64_t)st.poll_ms * 1000000u);
        zero_busy += st.poll_ms == 0;
        assert_true(zero_busy < 100); /* "Device stuck after special command request" */
        assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    }
    assert_int_equal(st.status, S_OK);
    assert_int_equal(st.state, ST_DNLOAD_IDLE);
}

/* dfuse_dnload_chunk(): DNLOAD then GETSTATUS until DNLOAD-IDLE/ERROR/MANIFEST. */
static void chunk_011(cf_emu *emu, uint16_t block, const uint8_t *data, uint16_t len)
{
    dfu_status st;
    assert_int_equal(dnload(emu, block, data, len), CF_EMU_ACK);
    do {
        assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
        cf_sleep_ns((uint64_t)st.poll_ms * 1000000u);
    } while (st.state != ST_DNLOAD_IDLE && st.state != ST_ERROR && st.state != ST_MANIFEST);
    assert_int_equal(st.status, S_OK);
    assert_int_equal(st.state, ST_DNLOAD_IDLE);
}

static void leave_011(cf_emu *emu, uint32_t addr)
{
    dfu_status st;
    special_011(emu, 0x21, addr);
    assert_int_equal(dnload(emu, 2, NULL, 0), CF_EMU_ACK);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_MANIFEST);
    assert_int_equal(st.status, S_OK);
    /* -R: DETACH fails ("can't detach"), the device has gone. */
    assert_int_equal(ctl(emu, 0x21, 0x00, 1000, 0, NULL, 0, NULL), CF_EMU_GONE);
}

static void check_result(cf_emu *emu, const uint8_t *img, size_t size, uint32_t jump_want)
{
    const uint8_t *fl = cf_emu_flash(emu, NULL, NULL);
    assert_memory_equal(fl, img, size);
    for (size_t i = size; i < 32768; i++) {
        assert_int_equal(fl[i], 0xFF);
    }
    uint32_t jump = 0;
    assert_false(cf_emu_present(emu));
    assert_true(cf_emu_left(emu, &jump));
    assert_int_equal(jump, jump_want);
}

static void run_011(bool start_in_error)
{
    size_t size = 30 * 1024 - 6; /* last chunk short */
    uint8_t *img = make_image(size, 11);
    cf_emu_config cfg;
    cf_emu_config_default(&cfg);
    cfg.timing = false;
    cfg.start_in_error = start_in_error;
    cf_emu *emu = emu_make_cfg(&cfg);
    /* Dirty flash first: the erase pass must really erase. */
    uint8_t zeros[XFER] = {0};
    if (start_in_error) {
        assert_int_equal(clrstatus(emu), CF_EMU_ACK);
    }
    special_011(emu, 0x21, FLASH);
    for (uint16_t b = 2; b < 2 + 16; b++) {
        chunk_011(emu, b, zeros, XFER);
    }
    assert_int_equal(abort_req(emu), CF_EMU_ACK);
    cf_emu_bus_reset(emu); /* power-on state again (dfuERROR with start_in_error) */

    open_like_dfu_util(emu);
    /* Erase pass: every 1 KiB page touched, no ABORT in between. */
    for (uint32_t a = FLASH; a < FLASH + size; a += PAGE) {
        special_011(emu, 0x41, a);
    }
    /* Write pass: Set Address before every chunk, always wBlockNum 2. */
    for (size_t off = 0; off < size; off += XFER) {
        uint16_t n = (uint16_t)(size - off < XFER ? size - off : XFER);
        special_011(emu, 0x21, FLASH + (uint32_t)off);
        chunk_011(emu, 2, img + off, n);
    }
    assert_int_equal(abort_req(emu), CF_EMU_ACK);
    dfu_status st;
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_IDLE);
    leave_011(emu, FLASH);
    /* Pages 30 and 31 were never erased by this run: still zero there. */
    const uint8_t *fl = cf_emu_flash(emu, NULL, NULL);
    assert_memory_equal(fl, img, size);
    assert_int_equal(fl[30 * 1024], 0x00);
    uint32_t jump = 0;
    assert_true(cf_emu_left(emu, &jump));
    assert_int_equal(jump, FLASH);
    cf_emu_free(emu);
    free(img);
}

static void test_dfu_util_011(void **state)
{
    (void)state;
    run_011(false);
}

static void test_dfu_util_011_start_in_error(void **state)
{
    (void)state;
    run_011(true);
}

/* 0.9: erase, Set Address and write interleaved per chunk. */
static void test_dfu_util_09(void **state)
{
    (void)state;
    size_t size = 12 * 1024 + 100;
    uint8_t *img = make_image(size, 9);
    cf_emu *emu = emu_make(CF_EMU_CHIP_F042, false);
    open_like_dfu_util(emu);
    for (size_t off = 0; off < size; off += XFER) {
        uint16_t n = (uint16_t)(size - off < XFER ? size - off : XFER);
        for (uint32_t a = (uint32_t)off; a < off + n; a += PAGE) {
            special_011(emu, 0x41, FLASH + a);
        }
        special_011(emu, 0x21, FLASH + (uint32_t)off);
        chunk_011(emu, 2, img + off, n);
    }
    leave_011(emu, FLASH);
    check_result(emu, img, size, FLASH);
    cf_emu_free(emu);
    free(img);
}

/* 0.7: each special command is DNLOAD, GETSTATUS (DNBUSY), GETSTATUS (OK),
 * ABORT, GETSTATUS (dfuIDLE). Leave sends no Set Address: zero-length DNLOAD,
 * its GETSTATUS, then one extra GETSTATUS that gets no answer. */
static void special_07(cf_emu *emu, uint8_t cmd, uint32_t addr)
{
    dfu_status st;
    assert_int_equal(dfuse_cmd(emu, cmd, addr), CF_EMU_ACK);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_DNBUSY);
    cf_sleep_ns((uint64_t)st.poll_ms * 1000000u);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.status, S_OK);
    assert_int_equal(abort_req(emu), CF_EMU_ACK);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_IDLE);
}

static void test_dfu_util_07(void **state)
{
    (void)state;
    size_t size = 6 * 1024 + 2;
    uint8_t *img = make_image(size, 7);
    cf_emu *emu = emu_make(CF_EMU_CHIP_F042, false);
    open_like_dfu_util(emu);
    uint32_t last = 0;
    for (size_t off = 0; off < size; off += XFER) {
        uint16_t n = (uint16_t)(size - off < XFER ? size - off : XFER);
        for (uint32_t a = (uint32_t)off; a < off + n; a += PAGE) {
            special_07(emu, 0x41, FLASH + a);
        }
        last = FLASH + (uint32_t)off;
        special_07(emu, 0x21, last);
        chunk_011(emu, 2, img + off, n);
    }
    dfu_status st;
    assert_int_equal(dnload(emu, 2, NULL, 0), CF_EMU_ACK);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_MANIFEST);
    assert_int_equal(getstatus(emu, &st), CF_EMU_GONE); /* the extra poll */
    /* No Set Address: the ROM jumps to the current pointer, the last chunk's. */
    check_result(emu, img, size, last);
    cf_emu_free(emu);
    free(img);
}

/* dfu-util -U (upload) after a write: ABORT, Set Address, ABORT, blocks 2.. */
static void test_dfu_util_upload(void **state)
{
    (void)state;
    size_t size = 5000;
    uint8_t *img = make_image(size, 5);
    cf_emu *emu = emu_make(CF_EMU_CHIP_F042, false);
    open_like_dfu_util(emu);
    for (size_t off = 0; off < size; off += XFER) {
        uint16_t n = (uint16_t)(size - off < XFER ? size - off : XFER);
        special_011(emu, 0x21, FLASH + (uint32_t)off);
        chunk_011(emu, 2, img + off, n);
    }
    assert_int_equal(abort_req(emu), CF_EMU_ACK);
    special_011(emu, 0x21, FLASH);
    assert_int_equal(abort_req(emu), CF_EMU_ACK);
    /* "Limiting upload to end of memory segment": exactly 32768 bytes. */
    uint8_t *back = malloc(32768);
    size_t total = 0, len = 0;
    for (uint16_t block = 2; total < 32768; block++) {
        assert_int_equal(upload(emu, block, back + total, XFER, &len), CF_EMU_ACK);
        assert_int_equal(len, XFER);
        total += len;
    }
    assert_int_equal(getstate(emu), ST_UPLOAD_IDLE);
    for (size_t i = size; i < 32768; i++) {
        assert_int_equal(back[i], 0xFF);
    }
    assert_memory_equal(back, img, size);
    assert_int_equal(abort_req(emu), CF_EMU_ACK);
    assert_int_equal(getstate(emu), ST_IDLE);
    free(back);
    cf_emu_free(emu);
    free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dfu_util_011),    cmocka_unit_test(test_dfu_util_011_start_in_error),
        cmocka_unit_test(test_dfu_util_09),     cmocka_unit_test(test_dfu_util_07),
        cmocka_unit_test(test_dfu_util_upload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
