/* Host-side helpers for driving the emulator core in tests: one function per
 * request a DFU host sends, returning the emulator's raw result. */
#ifndef CF_TEST_EMU_HELPERS_H
#define CF_TEST_EMU_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "sim/stm32_dfu.h"

/* DFU states and status codes the tests name (DFU 1.1). */
enum {
    ST_IDLE = 2,
    ST_DNLOAD_SYNC = 3,
    ST_DNBUSY = 4,
    ST_DNLOAD_IDLE = 5,
    ST_MANIFEST_SYNC = 6,
    ST_MANIFEST = 7,
    ST_UPLOAD_IDLE = 9,
    ST_ERROR = 10
};
enum {
    S_OK = 0,
    S_TARGET = 1,
    S_WRITE = 3,
    S_ERASE = 4,
    S_PROG = 6,
    S_VERIFY = 7,
    S_FIRMWARE = 0x0A,
    S_UNKNOWN = 0x0E,
    S_STALLEDPKT = 0x0F
};

typedef struct dfu_status {
    uint8_t status, state;
    uint32_t poll_ms;
} dfu_status;

/* A fresh emulator; timing off unless asked. Fails the test on error. */
cf_emu *emu_make(cf_emu_chip chip, bool timing);
cf_emu *emu_make_cfg(const cf_emu_config *cfg);

cf_emu_result ctl(cf_emu *emu, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
                  uint8_t *data, uint16_t length, size_t *len);
cf_emu_result dnload(cf_emu *emu, uint16_t block, const uint8_t *data, uint16_t length);
cf_emu_result upload(cf_emu *emu, uint16_t block, uint8_t *data, uint16_t length, size_t *len);
cf_emu_result getstatus(cf_emu *emu, dfu_status *st);
cf_emu_result clrstatus(cf_emu *emu);
cf_emu_result abort_req(cf_emu *emu);
uint8_t getstate(cf_emu *emu);

/* DfuSe command (0x21 set address / 0x41 erase) as DNLOAD block 0. */
cf_emu_result dfuse_cmd(cf_emu *emu, uint8_t cmd, uint32_t addr);
/* Command + GETSTATUS (must be DNBUSY) + GETSTATUS; returns the final status. */
dfu_status dfuse_cmd_polled(cf_emu *emu, uint8_t cmd, uint32_t addr);
/* DNLOAD block + GETSTATUS loop until not busy; returns the final status. */
dfu_status write_polled(cf_emu *emu, uint16_t block, const uint8_t *data, uint16_t length);

#endif
