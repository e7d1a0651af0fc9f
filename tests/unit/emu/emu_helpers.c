#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "emu_helpers.h"

cf_emu *emu_make_cfg(const cf_emu_config *cfg)
{
    cf_emu *emu = NULL;
    cf_error err = {0};
    cf_code rc = cf_emu_new(cfg, &emu, &err);
    if (rc != CF_OK) {
        fail_msg("cf_emu_new: %s", err.message);
    }
    return emu;
}

cf_emu *emu_make(cf_emu_chip chip, bool timing)
{
    cf_emu_config cfg;
    cf_emu_config_default(&cfg);
    cfg.chip = chip;
    cfg.timing = timing;
    return emu_make_cfg(&cfg);
}

cf_emu_result ctl(cf_emu *emu, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
                  uint8_t *data, uint16_t length, size_t *len)
{
    cf_usb_setup s = {
        .request_type = type, .request = req, .value = value, .index = index, .length = length};
    size_t dummy = 0;
    return cf_emu_control(emu, &s, data, len ? len : &dummy);
}

cf_emu_result dnload(cf_emu *emu, uint16_t block, const uint8_t *data, uint16_t length)
{
    uint8_t buf[4096];
    for (size_t i = 0; i < length && i < sizeof buf; i++) {
        buf[i] = data[i];
    }
    return ctl(emu, 0x21, 0x01, block, 0, length ? buf : NULL, length, NULL);
}

cf_emu_result upload(cf_emu *emu, uint16_t block, uint8_t *data, uint16_t length, size_t *len)
{
    return ctl(emu, 0xA1, 0x02, block, 0, data, length, len);
}

cf_emu_result getstatus(cf_emu *emu, dfu_status *st)
{
    uint8_t r[6] = {0};
    size_t len = 0;
    cf_emu_result res = ctl(emu, 0xA1, 0x03, 0, 0, r, 6, &len);
    if (res == CF_EMU_ACK) {
        assert_int_equal(len, 6);
        st->status = r[0];
        st->poll_ms = (uint32_t)r[1] | (uint32_t)r[2] << 8 | (uint32_t)r[3] << 16;
        st->state = r[4];
        assert_int_equal(r[5], 0); /* iString */
    }
    return res;
}

cf_emu_result clrstatus(cf_emu *emu)
{
    return ctl(emu, 0x21, 0x04, 0, 0, NULL, 0, NULL);
}

cf_emu_result abort_req(cf_emu *emu)
{
    return ctl(emu, 0x21, 0x06, 0, 0, NULL, 0, NULL);
}

uint8_t getstate(cf_emu *emu)
{
    uint8_t s = 0xEE;
    size_t len = 0;
    assert_int_equal(ctl(emu, 0xA1, 0x05, 0, 0, &s, 1, &len), CF_EMU_ACK);
    assert_int_equal(len, 1);
    return s;
}

cf_emu_result dfuse_cmd(cf_emu *emu, uint8_t cmd, uint32_t addr)
{
    uint8_t b[5] = {cmd, (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
                    (uint8_t)(addr >> 24)};
    return dnload(emu, 0, b, 5);
}

dfu_status dfuse_cmd_polled(cf_emu *emu, uint8_t cmd, uint32_t addr)
{
    dfu_status st = {0};
    assert_int_equal(dfuse_cmd(emu, cmd, addr), CF_EMU_ACK);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    assert_int_equal(st.state, ST_DNBUSY);
    assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    return st;
}

dfu_status write_polled(cf_emu *emu, uint16_t block, const uint8_t *data, uint16_t length)
{
    dfu_status st = {0};
    assert_int_equal(dnload(emu, block, data, length), CF_EMU_ACK);
    do {
        assert_int_equal(getstatus(emu, &st), CF_EMU_ACK);
    } while (st.state == ST_DNBUSY);
    return st;
}
