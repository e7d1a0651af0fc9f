/* DfuSe .dfu files (ST UM0391), all little-endian:
 *   prefix  "DfuSe" bVersion=1 DFUImageSize(4) bTargets(1)
 *   target  "Target" bAlternateSetting(1) bTargetNamed(4) szTargetName(255)
 *           dwTargetSize(4, element headers + data) dwNbElements(4)
 *   element dwElementAddress(4) dwElementSize(4) data
 *   suffix  bcdDevice idProduct idVendor bcdDFU=0x011A "UFD" 16 dwCRC
 * Only alt setting 0 (internal flash) is kept; other targets are noted.
 * DFUImageSize is the whole file in UM0391's wording, but ST's DFU File
 * Manager and dfu-util's dfuse-pack.py write the length without the 16-byte
 * suffix, and dfu-util never reads the field: both values are accepted. What
 * proves the file whole is the suffix CRC and every target's and element's
 * own size, each checked against the bytes that are really there. */
#include "image/image_internal.h"

#include <stdio.h>
#include <string.h>

#define PREFIX_LEN 11
#define TARGET_LEN 274
#define ELEMENT_LEN 8
#define SUFFIX_LEN 16

typedef struct dfuse_state {
    const uint8_t *buf;
    size_t body_end; /* start of the suffix */
    const char *name;
    cf_image *out;
    cf_seg_list segs;
    bool have_alt0;
} dfuse_state;

static const char fix_hint[] =
    "The .dfu file is damaged or was built wrongly; download it again or use the plain .bin";

static cf_code dfuse_fail(const dfuse_state *st, size_t offset, const char *what, cf_error *err)
{
    cf_fail(err, CF_ERR_FORMAT, "%s offset %zu: %s", st->name, offset, what);
    cf_hint(err, "%s", fix_hint);
    return CF_ERR_FORMAT;
}

static cf_code check_suffix(dfuse_state *st, size_t len, cf_error *err)
{
    char what[200];
    const uint8_t *s = st->buf + len - SUFFIX_LEN;
    if (memcmp(s + 8, "UFD", 3) != 0 || s[11] != SUFFIX_LEN)
        return dfuse_fail(st, len - SUFFIX_LEN, "no DFU suffix (\"UFD\", length 16) at the end",
                          err);
    uint32_t want = cf_le32(s + 12), got = cf_dfu_crc(st->buf, len - 4);
    if (want != got) {
        snprintf(what, sizeof(what),
                 "DFU suffix CRC does not match (suffix says 0x%08X, the file gives 0x%08X)", want,
                 got);
        return dfuse_fail(st, len - 4, what, err);
    }
    uint16_t bcd = cf_le16(s + 6);
    if (bcd != 0x011A) {
        snprintf(what, sizeof(what), "suffix bcdDFU is 0x%04X, a DfuSe file needs 0x011A", bcd);
        return dfuse_fail(st, len - 10, what, err);
    }
    st->out->had_suffix = true;
    st->out->suffix_pid = cf_le16(s + 2);
    st->out->suffix_vid = cf_le16(s + 4);
    return CF_OK;
}

static cf_code parse_elements(dfuse_state *st, size_t pos, size_t tend, uint32_t count,
                              unsigned alt, cf_error *err)
{
    char what[200];
    for (uint32_t i = 0; i < count; i++) {
        if (tend - pos < ELEMENT_LEN) {
            snprintf(what, sizeof(what),
                     "truncated element %u of %u: its 8-byte header does not fit in the target "
                     "(dwTargetSize)",
                     i + 1, count);
            return dfuse_fail(st, pos, what, err);
        }
        uint32_t addr = cf_le32(st->buf + pos), size = cf_le32(st->buf + pos + 4);
        size_t data = pos + ELEMENT_LEN;
        if (size > st->body_end - data) {
            snprintf(what, sizeof(what),
                     "element %u (%u bytes at 0x%08X) runs past the end of the file", i + 1, size,
                     addr);
            return dfuse_fail(st, pos, what, err);
        }
        if (size > tend - data) {
            snprintf(what, sizeof(what),
                     "element %u (%u bytes at 0x%08X) runs past the end of its target "
                     "(dwTargetSize)",
                     i + 1, size, addr);
            return dfuse_fail(st, pos, what, err);
        }
        if (!cf_range_fits(addr, size)) {
            snprintf(what, sizeof(what),
                     "element %u (%u bytes at 0x%08X) would place bytes past 0xFFFFFFFF (out of "
                     "range)",
                     i + 1, size, addr);
            return dfuse_fail(st, pos, what, err);
        }
        if (alt == 0) {
            cf_code rc = cf_seg_append(&st->segs, addr, st->buf + data, size, pos, err);
            if (rc != CF_OK)
                return rc;
        }
        pos = data + size;
    }
    if (pos != tend) {
        snprintf(what, sizeof(what),
                 "element sizes are inconsistent with dwTargetSize: %zu bytes left over in the "
                 "target",
                 tend - pos);
        return dfuse_fail(st, pos, what, err);
    }
    return CF_OK;
}

static cf_code parse_target(dfuse_state *st, size_t *pos, unsigned index, cf_error *err)
{
    char what[200];
    const uint8_t *t = st->buf + *pos;
    if (st->body_end - *pos < TARGET_LEN) {
        snprintf(what, sizeof(what), "truncated target %u: its 274-byte header is cut off",
                 index + 1);
        return dfuse_fail(st, *pos, what, err);
    }
    if (memcmp(t, "Target", 6) != 0) {
        snprintf(what, sizeof(what), "target %u does not start with \"Target\"", index + 1);
        return dfuse_fail(st, *pos, what, err);
    }
    unsigned alt = t[6];
    uint32_t tsize = cf_le32(t + 266), count = cf_le32(t + 270);
    size_t start = *pos + TARGET_LEN;
    if (tsize > st->body_end - start) {
        snprintf(what, sizeof(what),
                 "target %u: dwTargetSize says %u bytes but only %zu remain before the suffix",
                 index + 1, tsize, st->body_end - start);
        return dfuse_fail(st, *pos, what, err);
    }
    cf_code rc = parse_elements(st, start, start + tsize, count, alt, err);
    if (rc != CF_OK)
        return rc;
    if (alt == 0)
        st->have_alt0 = true;
    else
        cf_note(st->out->notes, sizeof(st->out->notes),
                "DfuSe target for alt setting %u (%u element%s, %u bytes) ignored: only alt 0 "
                "(internal flash) is flashed",
                alt, count, count == 1 ? "" : "s", tsize);
    *pos = start + tsize;
    return CF_OK;
}

cf_code cf_image_parse_dfuse(const uint8_t *buf, size_t len, const char *name, cf_image *out,
                             cf_error *err)
{
    dfuse_state st = {.buf = buf, .name = name, .out = out};
    char what[200];
    if (len < PREFIX_LEN + SUFFIX_LEN) {
        snprintf(what, sizeof(what), "file is %zu bytes, too short for a DfuSe file", len);
        return dfuse_fail(&st, 0, what, err);
    }
    st.body_end = len - SUFFIX_LEN;
    if (buf[5] != 1) {
        snprintf(what, sizeof(what), "DfuSe prefix version is %u, only 1 is known", buf[5]);
        return dfuse_fail(&st, 5, what, err);
    }
    /* The size check comes first: a cut-off download fails here with the
     * clearest message, before the missing suffix is noticed. */
    uint32_t image_size = cf_le32(buf + 6);
    if (image_size != len && image_size != len - SUFFIX_LEN) {
        snprintf(what, sizeof(what),
                 "bad prefix size: DFUImageSize says %u bytes but the file has %zu (%zu without "
                 "its suffix)%s",
                 image_size, len, len - SUFFIX_LEN,
                 image_size > len ? " (the file is truncated)" : "");
        return dfuse_fail(&st, 6, what, err);
    }
    cf_code rc = check_suffix(&st, len, err);
    if (rc != CF_OK)
        return rc;
    unsigned targets = buf[10];
    if (targets == 0)
        return dfuse_fail(&st, 10, "the file declares no targets (bTargets is 0)", err);
    out->dfuse_alt = 0;
    size_t pos = PREFIX_LEN;
    for (unsigned i = 0; i < targets && rc == CF_OK; i++)
        rc = parse_target(&st, &pos, i, err);
    if (rc == CF_OK && pos != st.body_end) {
        snprintf(what, sizeof(what), "%zu unexpected bytes after the last target",
                 st.body_end - pos);
        rc = dfuse_fail(&st, pos, what, err);
    }
    if (rc == CF_OK && !st.have_alt0)
        rc = dfuse_fail(&st, PREFIX_LEN, "no target for alt setting 0 (internal flash)", err);
    if (rc == CF_OK && st.segs.count == 0)
        rc = dfuse_fail(&st, PREFIX_LEN, "the alt setting 0 target holds no data", err);
    if (rc == CF_OK)
        rc = cf_seg_finish(&st.segs, out, name, CF_ORIGIN_OFFSET, err);
    cf_seg_list_free(&st.segs);
    return rc;
}
