/* libFuzzer target: random SETUP sequences into the emulator core (timing
 * off, no backing file). Input: 1 config byte, then records of an 8-byte
 * setup packet followed, for OUT requests, by up to wLength data bytes. The
 * core must never crash, never answer more than wLength, and only ever report
 * valid DFU states. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/stm32_dfu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t buf[65536];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    cf_emu_config cfg;
    cf_emu_config_default(&cfg);
    cfg.timing = false;
    cfg.chip = (data[0] & 1) ? CF_EMU_CHIP_G431 : CF_EMU_CHIP_F042;
    cfg.start_in_error = (data[0] & 2) != 0;
    cfg.fault = (cf_emu_fault)((data[0] >> 2) % 7);
    cfg.fault_at = 1u + (data[0] >> 5);
    cf_emu *emu = NULL;
    if (cf_emu_new(&cfg, &emu, NULL) != CF_OK) {
        abort();
    }
    size_t pos = 1;
    while (pos + 8 <= size) {
        const uint8_t *p = data + pos;
        cf_usb_setup s = {
            .request_type = p[0],
            .request = p[1],
            .value = (uint16_t)(p[2] | p[3] << 8),
            .index = (uint16_t)(p[4] | p[5] << 8),
            .length = (uint16_t)(p[6] | p[7] << 8),
        };
        pos += 8;
        memset(buf, 0xA5, s.length);
        if (!(s.request_type & 0x80)) {
            size_t n = size - pos < s.length ? size - pos : s.length;
            memcpy(buf, data + pos, n);
            pos += n;
        }
        size_t len = 0;
        cf_emu_result r = cf_emu_control(emu, &s, buf, &len);
        if (len > s.length) {
            abort();
        }
        if (r == CF_EMU_ACK && s.request_type == 0xA1 && s.request == 0x03 && len == 6 &&
            buf[4] > 10) {
            abort();
        }
        if (r == CF_EMU_GONE) {
            cf_emu_replug(emu);
        }
        if (cf_emu_dfu_state(emu) > 10) {
            abort();
        }
    }
    cf_emu_free(emu);
    return 0;
}
