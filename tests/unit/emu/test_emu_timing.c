/* Timing model: bwPollTimeout = the operation's datasheet duration rounded up
 * to ms; a request arriving while the chip is busy waits until it is done. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "emu_helpers.h"

#define FLASH 0x08000000u
#define MS 1000000ull

/* Sends a DfuSe command and returns the DNBUSY reply's bwPollTimeout. */
static uint32_t poll_of_cmd(cf_emu *emu, const uint8_t *cmd, uint16_t len)
{
    dfu_status st;
    assert_int_equal(dnload(emu, 0, cmd, len), CF_EMU_ACK);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_DNBUSY);
    uint32_t poll = st.poll_ms;
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.status, S_OK);
    assert_int_equal(st.poll_ms, 0); /* idle replies report 0, as ST ROMs do */
    return poll;
}

static uint32_t poll_of_write(cf_emu *emu, uint16_t len)
{
    uint8_t d[2048];
    memset(d, 0x00, sizeof d);
    dfu_status st;
    assert_int_equal(dnload(emu, 2, d, len), CF_EMU_ACK);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_DNBUSY);
    uint32_t poll = st.poll_ms;
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.status, S_OK);
    return poll;
}

static void test_poll_timeouts_and_busy_f042(void **state)
{
    (void)state;
    cf_emu *emu = emu_make(CF_EMU_CHIP_F042, true);
    const uint8_t set[5] = {0x21, 0x00, 0x00, 0x00, 0x08};
    const uint8_t erase[5] = {0x41, 0x00, 0x00, 0x00, 0x08};
    uint64_t t0 = cf_now_ns();
    assert_int_equal(poll_of_cmd(emu, set, 5), 0);
    assert_int_equal(cf_emu_busy_ns(emu), 0);
    assert_int_equal(poll_of_cmd(emu, erase, 5), 25); /* page erase, 20..40 ms */
    assert_int_equal(poll_of_cmd(emu, set, 5), 0);
    assert_int_equal(poll_of_write(emu, 2048), 55); /* 1024 x 53.5 us */
    assert_int_equal(cf_emu_busy_ns(emu), 25 * MS + 1024 * 53500ull);
    uint64_t elapsed = cf_now_ns() - t0;
    /* The modelled work really took its time (requests were held). */
    assert_true(elapsed >= cf_emu_busy_ns(emu));
    cf_emu_free(emu);
}

static void test_request_during_busy_is_delayed(void **state)
{
    (void)state;
    cf_emu *emu = emu_make(CF_EMU_CHIP_F042, true);
    const uint8_t mass[1] = {0x41};
    dfu_status st;
    assert_int_equal(dnload(emu, 0, mass, 1), CF_EMU_ACK);
    uint64_t before = cf_now_ns();
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_DNBUSY);
    assert_int_equal(st.poll_ms, 40); /* never exactly 100 */
    /* A host that ignores bwPollTimeout: GETSTATE right away waits (NAK)
     * until the 40 ms of work that began with the DNBUSY reply are over. */
    uint8_t s = getstate(emu);
    uint64_t after = cf_now_ns();
    assert_int_equal(s, ST_DNLOAD_SYNC);
    assert_true(after - before >= 40 * MS);
    assert_int_equal(cf_emu_busy_ns(emu), 40 * MS);
    cf_emu_free(emu);
}

static void test_g431_durations(void **state)
{
    (void)state;
    cf_emu_config cfg;
    cf_emu_config_default(&cfg);
    cfg.chip = CF_EMU_CHIP_G431;
    cf_emu *emu = emu_make_cfg(&cfg);
    const uint8_t erase[5] = {0x41, 0x00, 0x08, 0x00, 0x08};
    const uint8_t set[5] = {0x21, 0x00, 0x08, 0x00, 0x08};
    assert_int_equal(poll_of_cmd(emu, erase, 5), 23); /* 22.02 ms typ */
    assert_int_equal(poll_of_cmd(emu, set, 5), 0);
    assert_int_equal(poll_of_write(emu, 2048), 21); /* 256 x 81.7 us = 20.9 ms */
    assert_int_equal(cf_emu_busy_ns(emu), 22020000ull + 256 * 81700ull);
    cf_emu_free(emu);
}

/* F446 sector erase times by sector size (DS10693, x32): 16 KiB 250 ms,
 * 64 KiB 550 ms; word programming 16 us. */
static void test_f446_sector_durations(void **state)
{
    (void)state;
    cf_emu *emu = emu_make(CF_EMU_CHIP_F446, true);
    const uint8_t erase16[5] = {0x41, 0x00, 0x40, 0x00, 0x08}; /* 0x08004000: sector 1 */
    const uint8_t erase64[5] = {0x41, 0x00, 0x00, 0x01, 0x08}; /* 0x08010000: sector 4 */
    const uint8_t set[5] = {0x21, 0x00, 0x00, 0x00, 0x08};
    assert_int_equal(poll_of_cmd(emu, erase16, 5), 250);
    assert_int_equal(poll_of_cmd(emu, erase64, 5), 550);
    assert_int_equal(poll_of_cmd(emu, set, 5), 0);
    assert_int_equal(poll_of_write(emu, 2048), 9); /* 512 words x 16 us = 8.2 ms */
    assert_int_equal(cf_emu_busy_ns(emu), 800000000ull + 512 * 16000ull);
    cf_emu_free(emu);
}

static void test_timing_off(void **state)
{
    (void)state;
    cf_emu *emu = emu_make(CF_EMU_CHIP_F042, false);
    uint64_t t0 = cf_now_ns();
    for (uint32_t a = FLASH; a < FLASH + 32768; a += 1024) {
        dfu_status st = dfuse_cmd_polled(emu, 0x41, a);
        assert_int_equal(st.status, S_OK);
    }
    for (uint32_t a = FLASH; a < FLASH + 32768; a += 2048) {
        const uint8_t set[5] = {0x21, (uint8_t)a, (uint8_t)(a >> 8), (uint8_t)(a >> 16),
                                (uint8_t)(a >> 24)};
        assert_int_equal(poll_of_cmd(emu, set, 5), 0);
        assert_int_equal(poll_of_write(emu, 2048), 0);
    }
    assert_int_equal(cf_emu_busy_ns(emu), 0);
    /* 32 erases + 16 writes would take ~1.7 s with timing on. */
    assert_true(cf_now_ns() - t0 < 1000 * MS);
    cf_emu_free(emu);
}

static void test_appear_delay(void **state)
{
    (void)state;
    cf_emu_config cfg;
    cf_emu_config_default(&cfg);
    cfg.timing = false;
    cfg.appear_ms = 80;
    uint64_t t0 = cf_now_ns();
    cf_emu *emu = emu_make_cfg(&cfg);
    assert_false(cf_emu_present(emu));
    dfu_status st;
    assert_int_equal(getstatus(emu, &st), CF_EMU_GONE);
    while (!cf_emu_present(emu)) {
        cf_sleep_ns(2 * MS);
        assert_true(cf_now_ns() - t0 < 2000 * MS);
    }
    assert_true(cf_now_ns() - t0 >= 80 * MS);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_IDLE);
    cf_emu_free(emu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poll_timeouts_and_busy_f042),
        cmocka_unit_test(test_request_during_busy_is_delayed),
        cmocka_unit_test(test_g431_durations),
        cmocka_unit_test(test_f446_sector_durations),
        cmocka_unit_test(test_timing_off),
        cmocka_unit_test(test_appear_delay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
