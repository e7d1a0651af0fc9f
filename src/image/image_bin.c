/* Raw binary images, with an optional DFU suffix (DFU 1.1 appendix B):
 * the last 16 bytes are bcdDevice, idProduct, idVendor, bcdDFU, "UFD",
 * bLength = 16 and dwCRC over everything before dwCRC. */
#include "image/image_internal.h"

#include <string.h>

#define SUFFIX_LEN 16

static bool has_suffix(const uint8_t *buf, size_t len)
{
    if (len < SUFFIX_LEN)
        return false;
    const uint8_t *s = buf + len - SUFFIX_LEN;
    return memcmp(s + 8, "UFD", 3) == 0 && s[11] == SUFFIX_LEN;
}

/* Checks and strips a DFU suffix; *len shrinks when one is present. */
static cf_code take_suffix(const uint8_t *buf, size_t *len, const char *name, cf_image *out,
                           cf_error *err)
{
    if (!has_suffix(buf, *len))
        return CF_OK;
    const uint8_t *s = buf + *len - SUFFIX_LEN;
    uint32_t want = cf_le32(s + 12);
    uint32_t got = cf_dfu_crc(buf, *len - 4);
    if (want != got) {
        cf_fail(err, CF_ERR_FORMAT,
                "%s offset %zu: DFU suffix CRC does not match (suffix says 0x%08X, the file "
                "gives 0x%08X)",
                name, *len - 4, want, got);
        cf_hint(err, "The file is damaged or was edited after the suffix was added; download it "
                     "again, or remove the suffix with 'dfu-suffix -D' if you changed it on "
                     "purpose");
        return CF_ERR_FORMAT;
    }
    out->had_suffix = true;
    out->suffix_pid = cf_le16(s + 2);
    out->suffix_vid = cf_le16(s + 4);
    *len -= SUFFIX_LEN;
    return CF_OK;
}

cf_code cf_image_parse_bin(const uint8_t *buf, size_t len, const char *name,
                           const cf_image_load_opts *opts, cf_image *out, cf_error *err)
{
    cf_code rc = take_suffix(buf, &len, name, out, err);
    if (rc != CF_OK)
        return rc;
    if (len == 0) {
        cf_fail(err, CF_ERR_FORMAT, "%s holds only a DFU suffix and no firmware", name);
        cf_hint(err, "Fetch the firmware file again");
        return CF_ERR_FORMAT;
    }
    uint32_t addr = 0;
    if (opts)
        addr = opts->address_given ? opts->address : opts->default_address;
    if (!cf_range_fits(addr, len)) {
        cf_fail(err, CF_ERR_FORMAT,
                "%s: %zu bytes at 0x%08X would place bytes past 0xFFFFFFFF (out of range)", name,
                len, addr);
        cf_hint(err, "Check --address: STM32 flash starts at 0x08000000");
        return CF_ERR_FORMAT;
    }
    cf_seg_list l = {0};
    rc = cf_seg_append(&l, addr, buf, len, 0, err);
    if (rc == CF_OK)
        rc = cf_seg_finish(&l, out, name, CF_ORIGIN_OFFSET, err);
    cf_seg_list_free(&l);
    return rc;
}
