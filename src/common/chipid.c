/* The UID's names: Klipper's USB serial, ST's ROM serial, Klipper's CAN UUID. */
#include "common/chipid.h"
#include "common/text.h"

#include <stdio.h>
#include <string.h>

static const char hexdig[] = "0123456789ABCDEF";

void cf_chipid_klipper_serial(const uint8_t uid[CF_CHIPID_LEN], char out[25])
{
    for (size_t i = 0; i < CF_CHIPID_LEN; i++) {
        out[2 * i] = hexdig[uid[i] >> 4];
        out[2 * i + 1] = hexdig[uid[i] & 0x0f];
    }
    out[2 * CF_CHIPID_LEN] = '\0';
}

bool cf_chipid_from_klipper_serial(const char *serial, uint8_t uid[CF_CHIPID_LEN])
{
    if (!serial || strlen(serial) != 2 * CF_CHIPID_LEN)
        return false;
    uint8_t tmp[CF_CHIPID_LEN];
    for (size_t i = 0; i < CF_CHIPID_LEN; i++) {
        int hi = cf_hex_digit(serial[2 * i]), lo = cf_hex_digit(serial[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        tmp[i] = (uint8_t)(hi << 4 | lo);
    }
    memcpy(uid, tmp, sizeof(tmp));
    return true;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* n hex digits of v, most significant first (ST's IntToUnicode). */
static void put_hex(uint32_t v, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = hexdig[v >> 28];
        v <<= 4;
    }
}

void cf_chipid_rom_serial(const uint8_t uid[CF_CHIPID_LEN], char out[13])
{
    uint32_t w0 = le32(uid), w1 = le32(uid + 4), w2 = le32(uid + 8);
    put_hex(w0 + w2, 8, out);
    put_hex(w1, 4, out + 8);
    out[12] = '\0';
}

bool cf_chipid_rom_serial_names_chip(const char *rom_serial)
{
    if (!rom_serial || strlen(rom_serial) != 12 ||
        strcmp(rom_serial, CF_CHIPID_F042_ROM_SERIAL) == 0)
        return false;
    for (size_t i = 0; i < 12; i++)
        if (cf_hex_digit(rom_serial[i]) < 0)
            return false;
    return true;
}

static uint64_t fh_mix(uint64_t h)
{
    h ^= h >> 23;
    h *= 0x2127599bf4325c37ULL;
    h ^= h >> 47;
    return h;
}

/* fasthash64 (Zilong Tan's, as Klipper's canserial.c uses it), tail read
 * little-endian as the MCU does. */
void cf_chipid_can_uuid(const uint8_t *uid, size_t len, uint8_t uuid[6])
{
    const uint64_t m = 0x880355f21e6d1965ULL;
    uint64_t h = 0xA16231A7ULL ^ (len * m);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t v = 0;
        for (int b = 0; b < 8; b++)
            v |= (uint64_t)uid[i + (size_t)b] << (8 * b);
        h ^= fh_mix(v);
        h *= m;
    }
    if (i < len) {
        uint64_t v = 0;
        for (int b = 0; i + (size_t)b < len; b++)
            v |= (uint64_t)uid[i + (size_t)b] << (8 * b);
        h ^= fh_mix(v);
        h *= m;
    }
    h = fh_mix(h);
    for (int b = 0; b < 6; b++)
        uuid[b] = (uint8_t)(h >> (8 * b));
}

void cf_chipid_can_uuid_hex(const uint8_t uid[CF_CHIPID_LEN], char out[13])
{
    uint8_t u[6];
    cf_chipid_can_uuid(uid, CF_CHIPID_LEN, u);
    for (size_t i = 0; i < 6; i++)
        snprintf(out + 2 * i, 3, "%02x", u[i]);
}
