/* Fault injection: each kind fires once, at the Nth download block (or erase),
 * and a new emulator without the fault (a retry in a new process) succeeds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "emu_helpers.h"

#define FLASH 0x08000000u

static cf_emu *with_fault(cf_emu_fault fault, unsigned at)
{
    cf_emu_config cfg;
    cf_emu_config_default(&cfg);
    cfg.timing = false;
    cfg.fault = fault;
    cfg.fault_at = at;
    return emu_make_cfg(&cfg);
}

static void fill(uint8_t *b, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++) {
        b[i] = (uint8_t)(seed + i * 3);
    }
}

/* Writes blocks 1..n-1 fine (each at its own 2 KiB), then returns with block n
 * sent (DNLOAD only) and its result. */
static cf_emu_result write_until(cf_emu *emu, unsigned n, uint8_t *data)
{
    for (unsigned k = 1; k < n; k++) {
        dfu_status st = dfuse_cmd_polled(emu, 0x21, FLASH + (k - 1) * 2048);
        assert_int_equal(st.status, S_OK);
        st = write_polled(emu, 2, data, 2048);
        assert_int_equal(st.status, S_OK);
    }
    dfu_status st = dfuse_cmd_polled(emu, 0x21, FLASH + (n - 1) * 2048);
    assert_int_equal(st.status, S_OK);
    return dnload(emu, 2, data, 2048);
}

static void test_stall(void **state)
{
    (void)state;
    uint8_t d[2048];
    fill(d, sizeof d, 1);
    cf_emu *emu = with_fault(CF_EMU_FAULT_STALL, 3);
    assert_int_equal(write_until(emu, 3, d), CF_EMU_STALL);
    assert_int_equal(getstate(emu), ST_DNLOAD_IDLE); /* unchanged */
    const uint8_t *fl = cf_emu_flash(emu, NULL, NULL);
    assert_memory_equal(fl + 2048, d, 2048);
    assert_int_equal(fl[4096], 0xFF); /* block 3 not written */
    /* Once only: the same block again goes through. */
    dfu_status st = write_polled(emu, 2, d, 2048);
    assert_int_equal(st.status, S_OK);
    assert_memory_equal(fl + 4096, d, 2048);
    cf_emu_free(emu);
}

static void test_timeout(void **state)
{
    (void)state;
    uint8_t d[2048];
    fill(d, sizeof d, 2);
    cf_emu *emu = with_fault(CF_EMU_FAULT_TIMEOUT, 1);
    assert_int_equal(write_until(emu, 1, d), CF_EMU_NO_ANSWER);
    /* Later requests are answered; the unanswered block was not taken. */
    assert_int_equal(getstate(emu), ST_DNLOAD_IDLE);
    const uint8_t *fl = cf_emu_flash(emu, NULL, NULL);
    assert_int_equal(fl[0], 0xFF);
    dfu_status st = write_polled(emu, 2, d, 2048);
    assert_int_equal(st.status, S_OK);
    assert_memory_equal(fl, d, 2048);
    cf_emu_free(emu);
}

static void test_errwrite(void **state)
{
    (void)state;
    uint8_t d[2048];
    fill(d, sizeof d, 3);
    cf_emu *emu = with_fault(CF_EMU_FAULT_ERRWRITE, 2);
    assert_int_equal(write_until(emu, 2, d), CF_EMU_ACK);
    dfu_status st;
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_DNBUSY);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_ERROR);
    assert_int_equal(st.status, S_WRITE);
    const uint8_t *fl = cf_emu_flash(emu, NULL, NULL);
    for (size_t i = 2048; i < 4096; i++) {
        assert_int_equal(fl[i], 0xFF); /* nothing written */
    }
    /* Recoverable: CLRSTATUS, retry the block. */
    assert_int_equal(clrstatus(emu), CF_EMU_ACK);
    st = dfuse_cmd_polled(emu, 0x21, FLASH + 2048);
    st = write_polled(emu, 2, d, 2048);
    assert_int_equal(st.status, S_OK);
    assert_memory_equal(fl + 2048, d, 2048);
    cf_emu_free(emu);
}

static void test_errerase(void **state)
{
    (void)state;
    uint8_t z[2048] = {0};
    cf_emu *emu = with_fault(CF_EMU_FAULT_ERRERASE, 2);
    /* Program zeros to pages 0..1 first (these blocks do not count erases). */
    dfu_status st = dfuse_cmd_polled(emu, 0x21, FLASH);
    st = write_polled(emu, 2, z, 2048);
    assert_int_equal(st.status, S_OK);
    st = dfuse_cmd_polled(emu, 0x41, FLASH); /* erase #1 fine */
    assert_int_equal(st.status, S_OK);
    st = dfuse_cmd_polled(emu, 0x41, FLASH + 1024); /* erase #2 fails */
    assert_int_equal(st.state, ST_ERROR);
    assert_int_equal(st.status, S_ERASE);
    const uint8_t *fl = cf_emu_flash(emu, NULL, NULL);
    assert_int_equal(fl[0], 0xFF);
    assert_int_equal(fl[1024], 0x00); /* page untouched */
    assert_int_equal(fl[2047], 0x00);
    assert_int_equal(clrstatus(emu), CF_EMU_ACK);
    st = dfuse_cmd_polled(emu, 0x41, FLASH + 1024);
    assert_int_equal(st.status, S_OK);
    assert_int_equal(fl[1024], 0xFF);
    cf_emu_free(emu);

    /* Mass erase counts as an erase too. */
    emu = with_fault(CF_EMU_FAULT_ERRERASE, 1);
    uint8_t mass[1] = {0x41};
    assert_int_equal(dnload(emu, 0, mass, 1), CF_EMU_ACK);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.status, S_ERASE);
    cf_emu_free(emu);
}

static void test_bitflip(void **state)
{
    (void)state;
    uint8_t d[2048];
    fill(d, sizeof d, 0x40);
    cf_emu *emu = with_fault(CF_EMU_FAULT_BITFLIP, 1);
    assert_int_equal(write_until(emu, 1, d), CF_EMU_ACK);
    dfu_status st;
    do {
        assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    } while (st.state == ST_DNBUSY);
    assert_int_equal(st.status, S_OK); /* the chip reports success ... */
    const uint8_t *fl = cf_emu_flash(emu, NULL, NULL);
    /* ... but read-back differs by exactly one bit that should be 1. */
    size_t diff_bytes = 0;
    for (size_t i = 0; i < sizeof d; i++) {
        if (fl[i] != d[i]) {
            diff_bytes++;
            uint8_t x = fl[i] ^ d[i];
            assert_int_equal(x & (x - 1), 0); /* one bit */
            assert_int_equal(fl[i] & x, 0);   /* it reads 0 */
            assert_int_equal(d[i] & x, x);    /* where 1 was written */
        }
    }
    assert_int_equal(diff_bytes, 1);
    assert_int_equal(abort_req(emu), CF_EMU_ACK);
    uint8_t back[2048];
    size_t len;
    st = dfuse_cmd_polled(emu, 0x21, FLASH);
    assert_int_equal(abort_req(emu), CF_EMU_ACK);
    assert_int_equal(upload(emu, 2, back, 2048, &len), CF_EMU_ACK);
    assert_memory_not_equal(back, d, 2048);
    cf_emu_free(emu);
}

static void test_disconnect_and_retry(void **state)
{
    (void)state;
    uint8_t d[2048];
    fill(d, sizeof d, 9);
    cf_emu *emu = with_fault(CF_EMU_FAULT_DISCONNECT, 2);
    unsigned gen = cf_emu_generation(emu);
    assert_int_equal(write_until(emu, 2, d), CF_EMU_GONE);
    assert_false(cf_emu_present(emu));
    dfu_status st;
    assert_int_equal(getstatus(emu, &st), CF_EMU_GONE);
    assert_int_equal(getstatus(emu, &st), CF_EMU_GONE);
    uint32_t jump;
    assert_false(cf_emu_left(emu, &jump));
    /* Replug (BOOT0 again): back in DFU mode, flash kept, fault disarmed. */
    cf_emu_replug(emu);
    assert_true(cf_emu_present(emu));
    assert_int_equal(cf_emu_generation(emu), gen + 1);
    assert_int_equal(getstate(emu), ST_IDLE);
    const uint8_t *fl = cf_emu_flash(emu, NULL, NULL);
    assert_memory_equal(fl, d, 2048);
    assert_int_equal(fl[2048], 0xFF);
    /* The retry erases what it rewrites (programmed cells refuse a rewrite). */
    for (uint32_t a = FLASH; a < FLASH + 4096; a += 1024) {
        assert_int_equal(dfuse_cmd_polled(emu, 0x41, a).status, S_OK);
    }
    assert_int_equal(write_until(emu, 2, d), CF_EMU_ACK);
    do {
        assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    } while (st.state == ST_DNBUSY);
    assert_int_equal(st.status, S_OK);
    assert_memory_equal(fl + 2048, d, 2048);
    cf_emu_free(emu);

    /* A new emulator (new process) without the fault: everything works. */
    emu = with_fault(CF_EMU_FAULT_NONE, 1);
    assert_int_equal(write_until(emu, 3, d), CF_EMU_ACK);
    do {
        assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    } while (st.state == ST_DNBUSY);
    assert_int_equal(st.status, S_OK);
    cf_emu_free(emu);
}

static void test_commands_do_not_count_as_blocks(void **state)
{
    (void)state;
    cf_emu *emu = with_fault(CF_EMU_FAULT_STALL, 1);
    /* Many commands and erases: no fault yet. */
    for (int i = 0; i < 5; i++) {
        dfu_status st = dfuse_cmd_polled(emu, 0x41, FLASH + (uint32_t)i * 1024);
        assert_int_equal(st.status, S_OK);
    }
    /* Zero-length DNLOAD (leave) is not a data block either: check with
     * GETSTATE only. The first data block stalls. */
    uint8_t d[16] = {0};
    assert_int_equal(dnload(emu, 2, d, 16), CF_EMU_STALL);
    assert_int_equal(dnload(emu, 2, d, 16), CF_EMU_ACK);
    cf_emu_free(emu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stall),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_errwrite),
        cmocka_unit_test(test_errerase),
        cmocka_unit_test(test_bitflip),
        cmocka_unit_test(test_disconnect_and_retry),
        cmocka_unit_test(test_commands_do_not_count_as_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
