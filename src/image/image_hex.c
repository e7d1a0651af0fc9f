/* Intel HEX: ":" count(1) offset(2) type(1) data(count) checksum(1), as hex
 * digits, one record per line (LF or CRLF). Record types: 00 data, 01 end of
 * file, 02 extended segment address, 03 start segment address (ignored),
 * 04 extended linear address, 05 start linear address (ignored). */
#include "common/text.h"
#include "image/image_internal.h"

#include <stdio.h>
#include <string.h>

typedef struct hex_state {
    const char *name;
    unsigned long line;
    uint32_t base; /* from record 02 or 04 */
    bool seen_eof;
    cf_seg_list segs;
} hex_state;

static const char fix_hint[] = "The HEX file is damaged or truncated; download or export it again";

static cf_code hex_fail(hex_state *st, cf_error *err, const char *what)
{
    cf_fail(err, CF_ERR_FORMAT, "%s line %lu: %s", st->name, st->line, what);
    cf_hint(err, "%s", fix_hint);
    return CF_ERR_FORMAT;
}

/* A record of a type with a fixed length that carries another. */
static cf_code wrong_count(hex_state *st, cf_error *err, uint8_t type, uint8_t count, unsigned want)
{
    char what[96];
    snprintf(what, sizeof(what), "record type %02X must carry %u bytes, not %u", type, want, count);
    return hex_fail(st, err, what);
}

/* Decodes the digits after ':' into rec; *n is the number of bytes. */
static cf_code decode_record(hex_state *st, const uint8_t *p, size_t len, uint8_t *rec, size_t *n,
                             cf_error *err)
{
    char what[160];
    for (size_t i = 0; i < len; i++) {
        if (cf_hex_digit(p[i]) < 0) {
            if (p[i] >= 0x20 && p[i] < 0x7F)
                snprintf(what, sizeof(what), "column %zu: '%c' is not a hexadecimal digit", i + 2,
                         p[i]);
            else
                snprintf(what, sizeof(what), "column %zu: byte 0x%02X is not a hexadecimal digit",
                         i + 2, p[i]);
            return hex_fail(st, err, what);
        }
    }
    if (len < 10) {
        snprintf(what, sizeof(what), "truncated record: %zu hex digits, a record needs at least 10",
                 len);
        return hex_fail(st, err, what);
    }
    size_t count = (size_t)(cf_hex_digit(p[0]) << 4 | cf_hex_digit(p[1]));
    size_t want = 2 * (count + 5);
    if (len < want) {
        snprintf(what, sizeof(what),
                 "truncated record: its byte count says %zu hex digits, the line has %zu", want,
                 len);
        return hex_fail(st, err, what);
    }
    if (len > want) {
        snprintf(what, sizeof(what),
                 "record is longer than its byte count says (%zu hex digits, expected %zu)", len,
                 want);
        return hex_fail(st, err, what);
    }
    unsigned sum = 0;
    for (size_t i = 0; i < count + 5; i++) {
        rec[i] = (uint8_t)(cf_hex_digit(p[2 * i]) << 4 | cf_hex_digit(p[2 * i + 1]));
        sum += rec[i];
    }
    if ((sum & 0xFF) != 0) {
        uint8_t given = rec[count + 4];
        uint8_t right = (uint8_t)(given - sum);
        snprintf(what, sizeof(what), "bad checksum: record says 0x%02X, its bytes give 0x%02X",
                 given, right);
        return hex_fail(st, err, what);
    }
    *n = count + 5;
    return CF_OK;
}

static cf_code apply_record(hex_state *st, const uint8_t *rec, cf_error *err)
{
    uint8_t count = rec[0];
    uint16_t offset = (uint16_t)(rec[1] << 8 | rec[2]);
    uint8_t type = rec[3];
    const uint8_t *data = rec + 4;
    char what[160];

    switch (type) {
    case 0x00: {
        /* base <= 0xFFFF0000 and offset <= 0xFFFF, so this cannot wrap. */
        uint64_t addr = (uint64_t)st->base + offset;
        if (!cf_range_fits((uint32_t)addr, count)) {
            snprintf(what, sizeof(what),
                     "data at 0x%08llX would place bytes past 0xFFFFFFFF (out of range)",
                     (unsigned long long)addr);
            return hex_fail(st, err, what);
        }
        return cf_seg_append(&st->segs, (uint32_t)addr, data, count, st->line, err);
    }
    case 0x01:
        if (count != 0)
            return hex_fail(st, err, "end-of-file record with a non-zero byte count");
        st->seen_eof = true;
        return CF_OK;
    case 0x02:
    case 0x04:
        if (count != 2)
            return wrong_count(st, err, type, count, 2);
        st->base = type == 0x02 ? (uint32_t)(data[0] << 8 | data[1]) << 4
                                : (uint32_t)(data[0] << 8 | data[1]) << 16;
        return CF_OK;
    case 0x03:
    case 0x05:
        if (count != 4)
            return wrong_count(st, err, type, count, 4);
        return CF_OK; /* start address: meaningless for flashing */
    default:
        snprintf(what, sizeof(what), "unknown record type 0x%02X", type);
        return hex_fail(st, err, what);
    }
}

static bool is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0x1A /* DOS EOF */;
}

static cf_code parse_lines(hex_state *st, const uint8_t *buf, size_t len, cf_error *err)
{
    uint8_t rec[256 + 5];
    size_t pos = 0;
    while (pos < len) {
        st->line++;
        const uint8_t *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        size_t next = nl ? end + 1 : len;
        /* Trailing CR and blanks are tolerated; so are empty lines. */
        while (end > pos && (buf[end - 1] == '\r' || buf[end - 1] == ' ' || buf[end - 1] == '\t'))
            end--;
        if (end == pos) {
            pos = next;
            continue;
        }
        if (st->seen_eof) {
            bool only_blank = true;
            for (size_t i = pos; i < end && only_blank; i++)
                only_blank = is_blank(buf[i]);
            if (only_blank) {
                pos = next;
                continue;
            }
            return hex_fail(st, err, "data after the end-of-file record");
        }
        if (buf[pos] != ':')
            return hex_fail(st, err, "line does not start with ':' (not an Intel HEX record)");
        size_t digits = end - pos - 1;
        if (digits > 2 * sizeof(rec)) {
            char what[96];
            snprintf(what, sizeof(what), "record is too long (%zu characters)", digits + 1);
            return hex_fail(st, err, what);
        }
        size_t n = 0;
        cf_code rc = decode_record(st, buf + pos + 1, digits, rec, &n, err);
        if (rc == CF_OK)
            rc = apply_record(st, rec, err);
        if (rc != CF_OK)
            return rc;
        pos = next;
    }
    return CF_OK;
}

cf_code cf_image_parse_hex(const uint8_t *buf, size_t len, const char *name, cf_image *out,
                           cf_error *err)
{
    hex_state st = {.name = name};
    cf_code rc = parse_lines(&st, buf, len, err);
    if (rc == CF_OK && !st.seen_eof) {
        cf_fail(err, CF_ERR_FORMAT,
                "%s line %lu: missing end-of-file record (:00000001FF), the file is truncated",
                name, st.line);
        cf_hint(err, "%s", fix_hint);
        rc = CF_ERR_FORMAT;
    }
    if (rc == CF_OK && st.segs.count == 0) {
        cf_fail(err, CF_ERR_FORMAT, "%s: the HEX file holds no data records", name);
        cf_hint(err, "%s", fix_hint);
        rc = CF_ERR_FORMAT;
    }
    if (rc == CF_OK)
        rc = cf_seg_finish(&st.segs, out, name, CF_ORIGIN_LINE, err);
    cf_seg_list_free(&st.segs);
    return rc;
}
