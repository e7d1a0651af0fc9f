/* Flash model: erased 0xFF, programming only clears bits, non-erased units
 * refused, page granularity, G4 double-words, backing file. */
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

#include "emu_helpers.h"

#define FLASH 0x08000000u

static void set_address(cf_emu *emu, uint32_t addr)
{
    dfu_status st = dfuse_cmd_polled(emu, 0x21, addr);
    assert_int_equal(st.status, S_OK);
    assert_int_equal(st.state, ST_DNLOAD_IDLE);
}

static void test_erased_at_start(void **state)
{
    (void)state;
    cf_emu *emu = emu_make(CF_EMU_CHIP_F042, false);
    uint32_t base = 0;
    size_t size = 0;
    const uint8_t *fl = cf_emu_flash(emu, &base, &size);
    assert_int_equal(base, FLASH);
    assert_int_equal(size, 32768);
    for (size_t i = 0; i < size; i++) {
        assert_int_equal(fl[i], 0xFF);
    }
    cf_emu_free(emu);
    emu = emu_make(CF_EMU_CHIP_G431, false);
    fl = cf_emu_flash(emu, &base, &size);
    assert_int_equal(size, 131072);
    assert_int_equal(fl[size - 1], 0xFF);
    cf_emu_free(emu);
}

static void test_program_and_refuse_non_erased(void **state)
{
    (void)state;
    cf_emu *emu = emu_make(CF_EMU_CHIP_F042, false);
    const uint8_t *fl = cf_emu_flash(emu, NULL, NULL);
    uint8_t a[4] = {0x12, 0x34, 0xFF, 0xFF};
    set_address(emu, FLASH);
    dfu_status st = write_polled(emu, 2, a, 4);
    assert_int_equal(st.state, ST_DNLOAD_IDLE);
    assert_int_equal(st.status, S_OK);
    assert_memory_equal(fl, a, 4);
    /* The second half-word is still erased (0xFFFF): writable again. */
    uint8_t b[2] = {0xAB, 0xCD};
    set_address(emu, FLASH + 2);
    st = write_polled(emu, 2, b, 2);
    assert_int_equal(st.status, S_OK);
    assert_int_equal(fl[2], 0xAB);
    /* The first half-word is programmed: writing it again fails (PGERR),
     * even with a value that would only clear bits, and nothing changes. */
    uint8_t c[2] = {0x10, 0x30};
    set_address(emu, FLASH);
    st = write_polled(emu, 2, c, 2);
    assert_int_equal(st.state, ST_ERROR);
    assert_int_equal(st.status, S_PROG);
    assert_int_equal(fl[0], 0x12);
    assert_int_equal(fl[1], 0x34);
    assert_int_equal(clrstatus(emu), CF_EMU_ACK);
    /* Writing all-zero over anything is what silicon allows. */
    uint8_t z[2] = {0, 0};
    set_address(emu, FLASH);
    st = write_polled(emu, 2, z, 2);
    assert_int_equal(st.status, S_OK);
    assert_int_equal(fl[0], 0x00);
    assert_int_equal(fl[1], 0x00);
    cf_emu_free(emu);
}

static void test_odd_length_padded(void **state)
{
    (void)state;
    cf_emu *emu = emu_make(CF_EMU_CHIP_F042, false);
    const uint8_t *fl = cf_emu_flash(emu, NULL, NULL);
    uint8_t a[3] = {0x01, 0x02, 0x03};
    set_address(emu, FLASH);
    dfu_status st = write_polled(emu, 2, a, 3);
    assert_int_equal(st.status, S_OK);
    assert_memory_equal(fl, a, 3);
    assert_int_equal(fl[3], 0xFF); /* padding kept the cell erased ... */
    /* ... but the half-word was programmed, so byte 3 cannot be written now. */
    uint8_t b[1] = {0x04};
    set_address(emu, FLASH + 3);
    st = write_polled(emu, 2, b, 1);
    assert_int_equal(st.status, S_PROG);
    cf_emu_free(emu);
}

static void test_configurable_error_code(void **state)
{
    (void)state;
    cf_emu_config cfg;
    cf_emu_config_default(&cfg);
    cfg.timing = false;
    cfg.not_erased_status = S_VERIFY;
    cf_emu *emu = emu_make_cfg(&cfg);
    uint8_t a[2] = {0x00, 0x11};
    set_address(emu, FLASH);
    assert_int_equal(write_polled(emu, 2, a, 2).status, S_OK);
    set_address(emu, FLASH);
    dfu_status st = write_polled(emu, 2, a, 2);
    assert_int_equal(st.state, ST_ERROR);
    assert_int_equal(st.status, S_VERIFY);
    cf_emu_free(emu);
}

static void test_page_erase_granularity(void **state)
{
    (void)state;
    cf_emu *emu = emu_make(CF_EMU_CHIP_F042, false);
    const uint8_t *fl = cf_emu_flash(emu, NULL, NULL);
    uint8_t zeros[2048];
    memset(zeros, 0, sizeof zeros);
    set_address(emu, FLASH);
    assert_int_equal(write_polled(emu, 2, zeros, 2048).status, S_OK);
    assert_int_equal(write_polled(emu, 3, zeros, 2048).status, S_OK); /* 0x08000800.. */
    /* Erase with an unaligned address: the 1 KiB page containing it. */
    dfu_status st = dfuse_cmd_polled(emu, 0x41, FLASH + 0x400 + 0x123);
    assert_int_equal(st.status, S_OK);
    for (size_t i = 0; i < 4096; i++) {
        uint8_t want = (i >= 0x400 && i < 0x800) ? 0xFF : 0x00;
        if (fl[i] != want) {
            fail_msg("byte %zu is 0x%02x, want 0x%02x", i, fl[i], want);
        }
    }
    /* Mass erase: everything. */
    uint8_t mass[1] = {0x41};
    assert_int_equal(dnload(emu, 0, mass, 1), CF_EMU_ACK);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_DNBUSY);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.status, S_OK);
    for (size_t i = 0; i < 32768; i++) {
        assert_int_equal(fl[i], 0xFF);
    }
    cf_emu_free(emu);
}

/* The F446 (a mainboard's chip, RM0390 §3.3) erases whole sectors of 16, 64
 * and 128 KiB: one erase command clears the sector holding its address and
 * nothing else. */
static void test_f446_sector_erase(void **state)
{
    (void)state;
    cf_emu *emu = emu_make(CF_EMU_CHIP_F446, false);
    size_t size = 0;
    uint32_t base = 0;
    const uint8_t *fl = cf_emu_flash(emu, &base, &size);
    assert_int_equal(base, FLASH);
    assert_int_equal(size, 512 * 1024);
    uint8_t zeros[2048];
    memset(zeros, 0, sizeof zeros);
    /* Zeros at the end of sector 0, the start of sector 1, inside sector 4
     * (64 KiB) and at the start of sectors 5 and 6 (128 KiB). */
    static const uint32_t at[] = {0x3800, 0x4000, 0x18000, 0x20000, 0x40000};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        set_address(emu, FLASH + at[i]);
        assert_int_equal(write_polled(emu, 2, zeros, 2048).status, S_OK);
    }
    assert_int_equal(dfuse_cmd_polled(emu, 0x41, FLASH + 0x10123).status, S_OK); /* sector 4 */
    for (uint32_t i = 0x10000; i < 0x20000; i++) {
        if (fl[i] != 0xFF) {
            fail_msg("sector 4 byte 0x%x is 0x%02x after its erase", i, fl[i]);
        }
    }
    assert_int_equal(fl[0x3800], 0x00); /* sector 0 untouched */
    assert_int_equal(fl[0x4000], 0x00); /* sector 1 untouched */
    assert_int_equal(fl[0x20000], 0x00);
    assert_int_equal(dfuse_cmd_polled(emu, 0x41, FLASH + 0x3FFF).status, S_OK); /* sector 0 */
    assert_int_equal(fl[0x3800], 0xFF);
    assert_int_equal(fl[0x4000], 0x00);
    assert_int_equal(dfuse_cmd_polled(emu, 0x41, FLASH + 0x3FFFF).status, S_OK); /* sector 5 */
    for (uint32_t i = 0x20000; i < 0x40000; i++) {
        if (fl[i] != 0xFF) {
            fail_msg("sector 5 byte 0x%x is 0x%02x after its erase", i, fl[i]);
        }
    }
    assert_int_equal(fl[0x40000], 0x00); /* sector 6 untouched */
    /* Past the end of flash there is nothing to erase. */
    assert_int_equal(dfuse_cmd_polled(emu, 0x41, FLASH + 0x80000).status, S_TARGET);
    cf_emu_free(emu);
}

static void test_writes_checked_against_map(void **state)
{
    (void)state;
    cf_emu *emu = emu_make(CF_EMU_CHIP_F042, false);
    uint8_t d[2048];
    memset(d, 0x5A, sizeof d);
    /* Running past the end of flash. */
    set_address(emu, 0x08007C00);
    dfu_status st = write_polled(emu, 2, d, 2048);
    assert_int_equal(st.state, ST_ERROR);
    assert_int_equal(st.status, S_TARGET);
    assert_int_equal(clrstatus(emu), CF_EMU_ACK);
    /* Block 3 from 0x08007800 lands at 0x08008000: unmapped. */
    set_address(emu, 0x08007800);
    st = write_polled(emu, 3, d, 16);
    assert_int_equal(st.status, S_TARGET);
    assert_int_equal(clrstatus(emu), CF_EMU_ACK);
    /* System memory is mapped but read-only. */
    set_address(emu, 0x1FFFC400);
    st = write_polled(emu, 2, d, 16);
    assert_int_equal(st.status, S_TARGET);
    assert_int_equal(clrstatus(emu), CF_EMU_ACK);
    /* RAM is plain memory: writable twice. */
    set_address(emu, 0x20000000);
    assert_int_equal(write_polled(emu, 2, d, 16).status, S_OK);
    set_address(emu, 0x20000000);
    assert_int_equal(write_polled(emu, 2, d, 16).status, S_OK);
    cf_emu_free(emu);
}

static void test_g431_double_words(void **state)
{
    (void)state;
    cf_emu *emu = emu_make(CF_EMU_CHIP_G431, false);
    const uint8_t *fl = cf_emu_flash(emu, NULL, NULL);
    uint8_t a[4] = {1, 2, 3, 4};
    set_address(emu, FLASH);
    assert_int_equal(write_polled(emu, 2, a, 4).status, S_OK);
    assert_memory_equal(fl, a, 4);
    /* Bytes 4..7 are erased but share the double-word: refused. */
    set_address(emu, FLASH + 4);
    dfu_status st = write_polled(emu, 2, a, 4);
    assert_int_equal(st.status, S_PROG);
    assert_int_equal(clrstatus(emu), CF_EMU_ACK);
    /* The next double-word is free. */
    set_address(emu, FLASH + 8);
    assert_int_equal(write_polled(emu, 2, a, 4).status, S_OK);
    /* 2 KiB pages: erasing 0x08000000 leaves 0x08000800 alone. */
    uint8_t big[2048];
    memset(big, 0x00, sizeof big);
    set_address(emu, FLASH + 2048);
    assert_int_equal(write_polled(emu, 2, big, 2048).status, S_OK);
    st = dfuse_cmd_polled(emu, 0x41, FLASH + 0x7FF);
    assert_int_equal(st.status, S_OK);
    assert_int_equal(fl[0], 0xFF);
    assert_int_equal(fl[8], 0xFF);
    assert_int_equal(fl[2047], 0xFF);
    assert_int_equal(fl[2048], 0x00);
    assert_int_equal(fl[4095], 0x00);
    /* Last page of the 128 KiB. */
    st = dfuse_cmd_polled(emu, 0x41, FLASH + 0x1F800);
    assert_int_equal(st.status, S_OK);
    st = dfuse_cmd_polled(emu, 0x41, FLASH + 0x20000);
    assert_int_equal(st.status, S_TARGET);
    assert_int_equal(clrstatus(emu), CF_EMU_ACK);
    /* OTP: program once, never erased. */
    set_address(emu, 0x1FFF7000);
    assert_int_equal(write_polled(emu, 2, a, 4).status, S_OK);
    set_address(emu, 0x1FFF7000);
    st = write_polled(emu, 2, a, 4);
    assert_int_equal(st.status, S_PROG);
    assert_int_equal(clrstatus(emu), CF_EMU_ACK);
    set_address(emu, 0x1FFF7000);
    assert_int_equal(abort_req(emu), CF_EMU_ACK);
    uint8_t rb[8];
    size_t len;
    assert_int_equal(upload(emu, 2, rb, 8, &len), CF_EMU_ACK);
    assert_memory_equal(rb, a, 4);
    assert_int_equal(rb[4], 0xFF);
    cf_emu_free(emu);
}

static char *temp_path(void)
{
    char *p = strdup("/tmp/cf_emu_flash_XXXXXX");
    int fd = mkstemp(p);
    assert_true(fd >= 0);
    close(fd);
    unlink(p); /* let the emulator create it */
    return p;
}

static void test_backing_file(void **state)
{
    (void)state;
    char *path = temp_path();
    cf_emu_config cfg;
    cf_emu_config_default(&cfg);
    cfg.timing = false;
    cfg.flash_path = path;
    cf_emu *emu = emu_make_cfg(&cfg);
    /* Created erased, whole chip size. */
    struct stat stt;
    assert_int_equal(stat(path, &stt), 0);
    assert_int_equal(stt.st_size, 32768);
    uint8_t d[2048];
    for (size_t i = 0; i < sizeof d; i++) {
        d[i] = (uint8_t)(i ^ 0xA5);
    }
    set_address(emu, FLASH + 0x400);
    assert_int_equal(write_polled(emu, 2, d, 2048).status, S_OK);
    /* Written through right away: another reader sees it while we run. */
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t got[32768];
    assert_int_equal(fread(got, 1, sizeof got, f), sizeof got);
    fclose(f);
    assert_memory_equal(got + 0x400, d, 2048);
    assert_int_equal(got[0], 0xFF);
    assert_int_equal(got[0x400 + 2048], 0xFF);
    /* Erase also goes through. */
    dfu_status st = dfuse_cmd_polled(emu, 0x41, FLASH + 0x400);
    assert_int_equal(st.status, S_OK);
    cf_emu_free(emu);

    /* A second instance (a second run) sees the first one's result. */
    emu = emu_make_cfg(&cfg);
    const uint8_t *fl = cf_emu_flash(emu, NULL, NULL);
    for (size_t i = 0; i < 1024; i++) {
        assert_int_equal(fl[0x400 + i], 0xFF); /* erased page */
    }
    assert_memory_equal(fl + 0x800, d + 0x400, 1024); /* second page kept */
    /* And it still refuses to program over that data. */
    set_address(emu, FLASH + 0x800);
    assert_int_equal(write_polled(emu, 2, d, 2).status, S_PROG);
    cf_emu_free(emu);

    /* Wrong size: a clear error, not a silent resize. */
    cfg.chip = CF_EMU_CHIP_G431;
    cf_emu *bad = NULL;
    cf_error err = {0};
    assert_int_equal(cf_emu_new(&cfg, &bad, &err), CF_ERR_USAGE);
    assert_null(bad);
    assert_non_null(strstr(err.message, "32768"));
    assert_non_null(strstr(err.message, "131072"));
    assert_true(err.hint[0] != '\0');
    assert_int_equal(stat(path, &stt), 0);
    assert_int_equal(stt.st_size, 32768); /* untouched */
    unlink(path);
    free(path);

    /* A path that cannot be created. */
    cfg.flash_path = "/nonexistent-dir/x/flash.bin";
    cf_error_reset(&err);
    assert_int_equal(cf_emu_new(&cfg, &bad, &err), CF_ERR_IO);
    assert_non_null(strstr(err.message, "/nonexistent-dir/x/flash.bin"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_erased_at_start),
        cmocka_unit_test(test_program_and_refuse_non_erased),
        cmocka_unit_test(test_odd_length_padded),
        cmocka_unit_test(test_configurable_error_code),
        cmocka_unit_test(test_page_erase_granularity),
        cmocka_unit_test(test_f446_sector_erase),
        cmocka_unit_test(test_writes_checked_against_map),
        cmocka_unit_test(test_g431_double_words),
        cmocka_unit_test(test_backing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
