/* Every transition of the emulated DfuSe state machine (ST AN3156 / AN2662 §4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "emu_helpers.h"

#define FLASH 0x08000000u

static cf_emu *f042(void)
{
    return emu_make(CF_EMU_CHIP_F042, false);
}

/* Drives a fresh emulator into `state`. */
static void reach(cf_emu *emu, uint8_t state)
{
    dfu_status st;
    uint8_t b[4] = {1, 2, 3, 4};
    size_t len;
    switch (state) {
    case ST_IDLE:
        break;
    case ST_DNLOAD_SYNC:
        assert_int_equal(dfuse_cmd(emu, 0x21, FLASH), CF_EMU_ACK);
        break;
    case ST_DNLOAD_IDLE:
        st = dfuse_cmd_polled(emu, 0x21, FLASH);
        assert_int_equal(st.state, ST_DNLOAD_IDLE);
        break;
    case ST_MANIFEST_SYNC:
        assert_int_equal(dnload(emu, 2, NULL, 0), CF_EMU_ACK);
        break;
    case ST_UPLOAD_IDLE:
        assert_int_equal(upload(emu, 2, b, 4, &len), CF_EMU_ACK);
        assert_int_equal(len, 4);
        break;
    case ST_ERROR:
        assert_int_equal(clrstatus(emu), CF_EMU_ACK); /* ST-style: outside ERROR -> ERROR */
        break;
    default:
        fail();
    }
    assert_int_equal(getstate(emu), state);
}

static const uint8_t all_states[] = {ST_IDLE,          ST_DNLOAD_SYNC, ST_DNLOAD_IDLE,
                                     ST_MANIFEST_SYNC, ST_UPLOAD_IDLE, ST_ERROR};

static void test_initial_state(void **state)
{
    (void)state;
    cf_emu *emu = f042();
    dfu_status st;
    assert_true(cf_emu_present(emu));
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_IDLE);
    assert_int_equal(st.status, S_OK);
    assert_int_equal(st.poll_ms, 0);
    cf_emu_free(emu);

    cf_emu_config cfg;
    cf_emu_config_default(&cfg);
    cfg.timing = false;
    cfg.start_in_error = true;
    emu = emu_make_cfg(&cfg);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_ERROR);
    assert_int_equal(st.status, S_FIRMWARE);
    assert_int_equal(clrstatus(emu), CF_EMU_ACK);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_IDLE);
    assert_int_equal(st.status, S_OK);
    /* A bus reset brings the power-on state back. */
    cf_emu_bus_reset(emu);
    assert_int_equal(getstate(emu), ST_ERROR);
    cf_emu_free(emu);
}

static void test_getstate_any_state(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof all_states; i++) {
        cf_emu *emu = f042();
        reach(emu, all_states[i]);
        /* GETSTATE twice: no change. */
        assert_int_equal(getstate(emu), all_states[i]);
        assert_int_equal(getstate(emu), all_states[i]);
        cf_emu_free(emu);
    }
}

static void test_dnload_by_state(void **state)
{
    (void)state;
    uint8_t data[8] = {0};
    for (size_t i = 0; i < sizeof all_states; i++) {
        uint8_t s = all_states[i];
        cf_emu *emu = f042();
        reach(emu, s);
        cf_emu_result r = dnload(emu, 2, data, 8);
        if (s == ST_IDLE || s == ST_DNLOAD_IDLE) {
            assert_int_equal(r, CF_EMU_ACK);
            assert_int_equal(getstate(emu), ST_DNLOAD_SYNC);
        } else {
            assert_int_equal(r, CF_EMU_STALL);
            assert_int_equal(getstate(emu), s); /* unchanged */
        }
        cf_emu_free(emu);
        /* Zero length = leave request, same states only. */
        emu = f042();
        reach(emu, s);
        r = dnload(emu, 2, NULL, 0);
        if (s == ST_IDLE || s == ST_DNLOAD_IDLE) {
            assert_int_equal(r, CF_EMU_ACK);
            assert_int_equal(getstate(emu), ST_MANIFEST_SYNC);
        } else {
            assert_int_equal(r, CF_EMU_STALL);
            assert_int_equal(getstate(emu), s);
        }
        cf_emu_free(emu);
    }
}

static void test_block1_and_oversize_stall(void **state)
{
    (void)state;
    cf_emu *emu = f042();
    uint8_t data[4096] = {0};
    size_t len;
    assert_int_equal(dnload(emu, 1, data, 4), CF_EMU_STALL);
    assert_int_equal(getstate(emu), ST_IDLE);
    assert_int_equal(upload(emu, 1, data, 4, &len), CF_EMU_STALL);
    assert_int_equal(getstate(emu), ST_IDLE);
    assert_int_equal(dnload(emu, 2, data, 2049), CF_EMU_STALL);
    assert_int_equal(upload(emu, 2, data, 2049, &len), CF_EMU_STALL);
    assert_int_equal(getstate(emu), ST_IDLE);
    /* DETACH: the ROM fails it; state unchanged. */
    assert_int_equal(ctl(emu, 0x21, 0x00, 1000, 0, NULL, 0, NULL), CF_EMU_STALL);
    assert_int_equal(getstate(emu), ST_IDLE);
    /* Class request to another interface, unknown class request: STALL. */
    assert_int_equal(ctl(emu, 0xA1, 0x03, 0, 1, data, 6, &len), CF_EMU_STALL);
    assert_int_equal(ctl(emu, 0x21, 0x07, 0, 0, NULL, 0, NULL), CF_EMU_STALL);
    cf_emu_free(emu);
}

static void test_command_getstatus_sequence(void **state)
{
    (void)state;
    cf_emu *emu = f042();
    dfu_status st;
    assert_int_equal(dfuse_cmd(emu, 0x21, 0x08000400), CF_EMU_ACK);
    assert_int_equal(getstate(emu), ST_DNLOAD_SYNC);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_DNBUSY);
    assert_int_equal(st.status, S_OK);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_DNLOAD_IDLE);
    assert_int_equal(st.status, S_OK);
    assert_int_equal(st.poll_ms, 0);
    /* Stays in DNLOAD-IDLE; another command needs no ABORT. */
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_DNLOAD_IDLE);
    st = dfuse_cmd_polled(emu, 0x41, 0x08000400);
    assert_int_equal(st.state, ST_DNLOAD_IDLE);
    cf_emu_free(emu);
}

static void test_command_failures(void **state)
{
    (void)state;
    /* Set address to an unmapped address: errTARGET on the second GETSTATUS. */
    cf_emu *emu = f042();
    dfu_status st = dfuse_cmd_polled(emu, 0x21, 0x40000000);
    assert_int_equal(st.state, ST_ERROR);
    assert_int_equal(st.status, S_TARGET);
    /* Only CLRSTATUS leaves dfuERROR; ABORT does nothing there. */
    assert_int_equal(abort_req(emu), CF_EMU_ACK);
    assert_int_equal(getstate(emu), ST_ERROR);
    assert_int_equal(clrstatus(emu), CF_EMU_ACK);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_IDLE);
    assert_int_equal(st.status, S_OK);
    /* Page erase outside flash: errTARGET. */
    st = dfuse_cmd_polled(emu, 0x41, 0x08008000);
    assert_int_equal(st.state, ST_ERROR);
    assert_int_equal(st.status, S_TARGET);
    assert_int_equal(clrstatus(emu), CF_EMU_ACK);
    /* Unknown command byte: errSTALLEDPKT (AN2662 Fig. 55). */
    uint8_t bad[1] = {0x55};
    assert_int_equal(dnload(emu, 0, bad, 1), CF_EMU_ACK);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_DNBUSY);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_ERROR);
    assert_int_equal(st.status, S_STALLEDPKT);
    assert_int_equal(clrstatus(emu), CF_EMU_ACK);
    /* Set address with a wrong length: also errSTALLEDPKT. */
    uint8_t shortcmd[3] = {0x21, 0x00, 0x00};
    assert_int_equal(dnload(emu, 0, shortcmd, 3), CF_EMU_ACK);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.status, S_STALLEDPKT);
    cf_emu_free(emu);
}

static void test_valid_set_address_targets(void **state)
{
    (void)state;
    cf_emu *emu = f042();
    const uint32_t ok[] = {0x08000000, 0x08007FFF, 0x1FFFF800, 0x20000000, 0x1FFFC400};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        dfu_status st = dfuse_cmd_polled(emu, 0x21, ok[i]);
        assert_int_equal(st.status, S_OK);
    }
    const uint32_t bad[] = {0x08008000, 0x00000000, 0x1FFFF810, 0x20001800, 0xFFFFFFFF};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dfu_status st = dfuse_cmd_polled(emu, 0x21, bad[i]);
        assert_int_equal(st.status, S_TARGET);
        assert_int_equal(clrstatus(emu), CF_EMU_ACK);
    }
    cf_emu_free(emu);
}

static void test_manifest_and_leave(void **state)
{
    (void)state;
    cf_emu *emu = f042();
    dfu_status st = dfuse_cmd_polled(emu, 0x21, 0x08000000);
    assert_int_equal(st.state, ST_DNLOAD_IDLE);
    assert_int_equal(dnload(emu, 2, NULL, 0), CF_EMU_ACK);
    assert_int_equal(getstate(emu), ST_MANIFEST_SYNC);
    uint32_t jump = 0;
    assert_false(cf_emu_left(emu, &jump));
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_MANIFEST);
    assert_int_equal(st.status, S_OK);
    /* Then the device is gone: no second answer. */
    assert_false(cf_emu_present(emu));
    assert_true(cf_emu_left(emu, &jump));
    assert_int_equal(jump, 0x08000000);
    assert_int_equal(getstatus(emu, &st), CF_EMU_GONE);
    assert_int_equal(ctl(emu, 0x80, 0x06, 0x0100, 0, (uint8_t[18]){0}, 18, NULL), CF_EMU_GONE);
    /* Replug: back in DFU mode, flash kept. */
    cf_emu_replug(emu);
    assert_true(cf_emu_present(emu));
    assert_false(cf_emu_left(emu, NULL));
    assert_int_equal(getstate(emu), ST_IDLE);
    cf_emu_free(emu);

    /* Leave straight from dfuIDLE jumps to the current pointer (default
     * 0x08000000 when never set; here the last Set Address). */
    emu = f042();
    st = dfuse_cmd_polled(emu, 0x21, 0x08002000);
    assert_int_equal(abort_req(emu), CF_EMU_ACK);
    assert_int_equal(getstate(emu), ST_IDLE);
    assert_int_equal(dnload(emu, 2, NULL, 0), CF_EMU_ACK);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_MANIFEST);
    assert_true(cf_emu_left(emu, &jump));
    assert_int_equal(jump, 0x08002000);
    cf_emu_free(emu);
}

static void test_abort_by_state(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof all_states; i++) {
        uint8_t s = all_states[i];
        cf_emu *emu = f042();
        reach(emu, s);
        assert_int_equal(abort_req(emu), CF_EMU_ACK);
        dfu_status st;
        assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
        if (s == ST_ERROR) {
            assert_int_equal(st.state, ST_ERROR); /* ignored */
            assert_int_equal(st.status, S_UNKNOWN);
        } else {
            assert_int_equal(st.state, ST_IDLE);
            assert_int_equal(st.status, S_OK);
        }
        cf_emu_free(emu);
    }
    /* ABORT discards a buffered write: nothing is programmed. */
    cf_emu *emu = f042();
    uint8_t data[4] = {0x12, 0x34, 0x56, 0x78};
    assert_int_equal(dnload(emu, 2, data, 4), CF_EMU_ACK);
    assert_int_equal(abort_req(emu), CF_EMU_ACK);
    const uint8_t *fl = cf_emu_flash(emu, NULL, NULL);
    assert_int_equal(fl[0], 0xFF);
    assert_int_equal(getstate(emu), ST_IDLE);
    cf_emu_free(emu);
}

static void test_clrstatus_by_state(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof all_states; i++) {
        uint8_t s = all_states[i];
        cf_emu *emu = f042();
        reach(emu, s);
        bool was_error = s == ST_ERROR;
        assert_int_equal(clrstatus(emu), CF_EMU_ACK);
        dfu_status st;
        assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
        if (was_error) {
            assert_int_equal(st.state, ST_IDLE);
            assert_int_equal(st.status, S_OK);
        } else {
            assert_int_equal(st.state, ST_ERROR);
            assert_int_equal(st.status, S_UNKNOWN);
        }
        cf_emu_free(emu);
    }
}

static void test_upload(void **state)
{
    (void)state;
    cf_emu *emu = f042();
    uint8_t buf[2048];
    size_t len = 0;
    /* Block 0: Get Commands, short frame -> dfuIDLE. */
    assert_int_equal(upload(emu, 0, buf, 2048, &len), CF_EMU_ACK);
    assert_int_equal(len, 4);
    static const uint8_t cmds[4] = {0x00, 0x21, 0x41, 0x92};
    assert_memory_equal(buf, cmds, 4);
    assert_int_equal(getstate(emu), ST_IDLE);

    /* Write a pattern, then read it back with blocks 2, 3 at (block-2)*2048. */
    uint8_t pat[2048];
    for (size_t i = 0; i < sizeof pat; i++) {
        pat[i] = (uint8_t)(i * 7 + 1);
    }
    dfu_status st = write_polled(emu, 2, pat, 2048);
    assert_int_equal(st.state, ST_DNLOAD_IDLE);
    st = write_polled(emu, 3, pat, 1024);
    assert_int_equal(st.state, ST_DNLOAD_IDLE);
    /* UPLOAD needs IDLE: STALL in DNLOAD-IDLE, state unchanged. */
    assert_int_equal(upload(emu, 2, buf, 2048, &len), CF_EMU_STALL);
    assert_int_equal(getstate(emu), ST_DNLOAD_IDLE);
    assert_int_equal(abort_req(emu), CF_EMU_ACK);
    assert_int_equal(upload(emu, 2, buf, 2048, &len), CF_EMU_ACK);
    assert_int_equal(len, 2048);
    assert_memory_equal(buf, pat, 2048);
    assert_int_equal(getstate(emu), ST_UPLOAD_IDLE);
    /* Fixed 2048 multiplier even with a smaller wLength. */
    assert_int_equal(upload(emu, 3, buf, 16, &len), CF_EMU_ACK);
    assert_int_equal(len, 16);
    assert_memory_equal(buf, pat, 16);
    assert_int_equal(upload(emu, 3, buf, 2048, &len), CF_EMU_ACK);
    assert_memory_equal(buf, pat, 1024);
    assert_int_equal(buf[1024], 0xFF);
    assert_int_equal(getstate(emu), ST_UPLOAD_IDLE);
    /* Reading past the end of flash: short frame, back to dfuIDLE. */
    assert_int_equal(upload(emu, 17, buf, 2048, &len), CF_EMU_ACK); /* 0x08007800 */
    assert_int_equal(len, 2048);
    assert_int_equal(upload(emu, 2 + 16, buf, 2048, &len), CF_EMU_STALL); /* 0x08008000 */
    assert_int_equal(getstate(emu), ST_ERROR);
    assert_int_equal(clrstatus(emu), CF_EMU_ACK);
    st = dfuse_cmd_polled(emu, 0x21, 0x08007C00);
    assert_int_equal(abort_req(emu), CF_EMU_ACK);
    assert_int_equal(upload(emu, 2, buf, 2048, &len), CF_EMU_ACK);
    assert_int_equal(len, 1024);
    assert_int_equal(getstate(emu), ST_IDLE);
    /* Option bytes: 16 bytes, factory RDP level 0 (0xAA, 0x55). */
    st = dfuse_cmd_polled(emu, 0x21, 0x1FFFF800);
    assert_int_equal(abort_req(emu), CF_EMU_ACK);
    assert_int_equal(upload(emu, 2, buf, 2048, &len), CF_EMU_ACK);
    assert_int_equal(len, 16);
    assert_int_equal(buf[0], 0xAA);
    assert_int_equal(buf[1], 0x55);
    cf_emu_free(emu);
}

static void test_option_bytes_write_resets(void **state)
{
    (void)state;
    cf_emu *emu = f042();
    unsigned gen = cf_emu_generation(emu);
    dfu_status st = dfuse_cmd_polled(emu, 0x21, 0x1FFFF800);
    assert_int_equal(st.status, S_OK);
    uint8_t ob[16] = {0xAA, 0x55, 0x7F, 0x80, 0xFF, 0x00, 0xFF, 0x00,
                      0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00};
    assert_int_equal(dnload(emu, 2, ob, 16), CF_EMU_ACK);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_DNBUSY);
    /* The chip resets: the next request on this connection dies, then the
     * bootloader is back (BOOT0 still held) with the new option bytes. */
    assert_int_equal(getstatus(emu, &st), CF_EMU_GONE);
    assert_true(cf_emu_present(emu));
    assert_int_equal(cf_emu_generation(emu), gen + 1);
    assert_int_equal(getstate(emu), ST_IDLE);
    st = dfuse_cmd_polled(emu, 0x21, 0x1FFFF800);
    assert_int_equal(abort_req(emu), CF_EMU_ACK);
    uint8_t buf[16];
    size_t len;
    assert_int_equal(upload(emu, 2, buf, 16, &len), CF_EMU_ACK);
    assert_memory_equal(buf, ob, 16);
    cf_emu_free(emu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initial_state),
        cmocka_unit_test(test_getstate_any_state),
        cmocka_unit_test(test_dnload_by_state),
        cmocka_unit_test(test_block1_and_oversize_stall),
        cmocka_unit_test(test_command_getstatus_sequence),
        cmocka_unit_test(test_command_failures),
        cmocka_unit_test(test_valid_set_address_targets),
        cmocka_unit_test(test_manifest_and_leave),
        cmocka_unit_test(test_abort_by_state),
        cmocka_unit_test(test_clrstatus_by_state),
        cmocka_unit_test(test_upload),
        cmocka_unit_test(test_option_bytes_write_resets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
