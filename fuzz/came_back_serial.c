/* libFuzzer: the serial strings a device shows after a flash (USB strings
 * are outside input) against the chip serial seen before. Any pair is
 * answered without reading past either string, and a serial that parses as
 * a chip ID gives that ID's Klipper serial back (the round trip). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/chipid.h"
#include "klipper/cameback.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char before[64] = "", now[64] = "";
    size_t cut = size ? data[0] % (size + 1) : 0;
    const uint8_t *rest = size ? data + 1 : data;
    size_t left = size ? size - 1 : 0;
    if (cut > left)
        cut = left;
    memcpy(before, rest, cut < 63 ? cut : 63);
    memcpy(now, rest + cut, left - cut < 63 ? left - cut : 63);
    (void)cf_came_back_same_chip(before, now);
    uint8_t uid[CF_CHIPID_LEN] = {0};
    if (cf_chipid_from_klipper_serial(now, uid)) {
        char back[25];
        cf_chipid_klipper_serial(uid, back);
        if (strcasecmp(back, now) != 0)
            abort();
        if (!cf_came_back_same_chip(back, now))
            abort();
    }
    if (cf_chipid_rom_serial_names_chip(before))
        (void)cf_chipid_rom_serial(uid, before);
    return 0;
}
