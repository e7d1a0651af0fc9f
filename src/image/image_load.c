/* Image loading: format detection by content, the segment list shared by the
 * parsers, and the small accessors of the contract. */
#include "image/image_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/fileio.h"
#include "common/mem.h"

bool cf_range_fits(uint32_t addr, uint64_t len)
{
    /* The last byte must be at or below 0xFFFFFFFE so that "one past the end"
     * (cf_image_end) is still a 32-bit number. */
    return (uint64_t)addr + len <= 0xFFFFFFFFull;
}

uint32_t cf_dfu_crc(const uint8_t *buf, size_t len)
{
    /* zlib's crc32 takes a uInt length; feed it in pieces to stay portable. */
    uLong crc = crc32(0L, Z_NULL, 0);
    while (len > 0) {
        uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;
        crc = crc32(crc, buf, n);
        buf += n;
        len -= n;
    }
    return (uint32_t)crc ^ 0xFFFFFFFFu;
}

void cf_vnote(char *buf, size_t size, const char *fmt, va_list ap)
{
    size_t used = strnlen(buf, size);
    if (used + 1 >= size)
        return;
    if (used > 0) {
        int n = snprintf(buf + used, size - used, "; ");
        if (n < 0 || (size_t)n >= size - used)
            return;
        used += (size_t)n;
    }
    vsnprintf(buf + used, size - used, fmt, ap);
}

void cf_note(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cf_vnote(buf, size, fmt, ap);
    va_end(ap);
}

/* ---- segment list ---- */

static cf_code grow_entry(cf_seg_entry *e, size_t need, cf_error *err)
{
    uint8_t *p = cf_grow(e->data, &e->cap, need, 1, 256);
    if (!p)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory building the image");
    e->data = p;
    return CF_OK;
}

cf_code cf_seg_append(cf_seg_list *l, uint32_t addr, const uint8_t *data, size_t len,
                      unsigned long origin, cf_error *err)
{
    if (len == 0)
        return CF_OK;
    cf_seg_entry *last = l->count ? &l->v[l->count - 1] : NULL;
    if (!last || (uint64_t)last->address + last->size != addr) {
        cf_seg_entry *v = cf_grow(l->v, &l->cap, l->count + 1, sizeof(*v), 8);
        if (!v)
            return cf_fail(err, CF_ERR_NOMEM, "out of memory building the image");
        l->v = v;
        last = &l->v[l->count++];
        memset(last, 0, sizeof(*last));
        last->address = addr;
        last->origin = origin;
    }
    cf_code rc = grow_entry(last, (size_t)last->size + len, err);
    if (rc != CF_OK)
        return rc;
    memcpy(last->data + last->size, data, len);
    last->size += (uint32_t)len;
    return CF_OK;
}

void cf_seg_list_free(cf_seg_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->v[i].data);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static int entry_cmp(const void *a, const void *b)
{
    const cf_seg_entry *x = a, *y = b;
    if (x->address != y->address)
        return x->address < y->address ? -1 : 1;
    return x->origin < y->origin ? -1 : x->origin > y->origin;
}

static cf_code overlap_error(const cf_seg_entry *a, const cf_seg_entry *b, const char *name,
                             cf_origin_kind kind, cf_error *err)
{
    unsigned long first = a->origin < b->origin ? a->origin : b->origin;
    unsigned long second = a->origin < b->origin ? b->origin : a->origin;
    if (kind == CF_ORIGIN_LINE)
        cf_fail(err, CF_ERR_FORMAT,
                "%s line %lu: overlapping data: address 0x%08X was already given on line %lu", name,
                second, b->address, first);
    else
        cf_fail(err, CF_ERR_FORMAT,
                "%s offset %lu: overlapping data: element at 0x%08X overlaps the element at "
                "offset %lu",
                name, second, b->address, first);
    cf_hint(err, "The file writes the same flash bytes twice, so it is ambiguous; regenerate it "
                 "from the build or use the plain .bin");
    return CF_ERR_FORMAT;
}

cf_code cf_seg_finish(cf_seg_list *l, cf_image *img, const char *name, cf_origin_kind kind,
                      cf_error *err)
{
    qsort(l->v, l->count, sizeof(*l->v), entry_cmp);
    size_t out = 0;
    for (size_t i = 0; i < l->count; i++) {
        cf_seg_entry *cur = &l->v[i];
        if (out > 0) {
            cf_seg_entry *prev = &l->v[out - 1];
            uint64_t prev_end = (uint64_t)prev->address + prev->size;
            if (prev_end > cur->address)
                return overlap_error(prev, cur, name, kind, err);
            if (prev_end == cur->address) {
                cf_code rc = grow_entry(prev, (size_t)prev->size + cur->size, err);
                if (rc != CF_OK)
                    return rc;
                memcpy(prev->data + prev->size, cur->data, cur->size);
                prev->size += cur->size;
                free(cur->data);
                cur->data = NULL;
                continue;
            }
        }
        l->v[out++] = *cur;
        if (&l->v[out - 1] != cur)
            cur->data = NULL;
    }
    l->count = out;
    img->segments = calloc(out ? out : 1, sizeof(*img->segments));
    if (!img->segments)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory building the image");
    for (size_t i = 0; i < out; i++) {
        img->segments[i].address = l->v[i].address;
        img->segments[i].size = l->v[i].size;
        img->segments[i].data = l->v[i].data;
        l->v[i].data = NULL;
    }
    img->segment_count = out;
    cf_seg_list_free(l);
    return CF_OK;
}

/* ---- detection ---- */

static bool is_hex_digit(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

/* Intel HEX: optional leading blank lines, then ':' and two hex digits. A
 * Cortex-M binary never starts that way (its first word is a stack pointer). */
static bool looks_like_hex(const uint8_t *buf, size_t len)
{
    size_t i = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    return i + 2 < len && buf[i] == ':' && is_hex_digit(buf[i + 1]) && is_hex_digit(buf[i + 2]);
}

static bool looks_like_dfuse(const uint8_t *buf, size_t len)
{
    return len >= 5 && memcmp(buf, "DfuSe", 5) == 0;
}

cf_code cf_image_parse(const uint8_t *buf, size_t len, const char *name,
                       const cf_image_load_opts *opts, cf_image *out, cf_error *err)
{
    memset(out, 0, sizeof(*out));
    out->dfuse_alt = -1;
    if (!name)
        name = "image";
    if (len > CF_IMAGE_MAX_SIZE) {
        cf_fail(err, CF_ERR_FORMAT, "%s is %zu bytes, more than the %u allowed", name, len,
                CF_IMAGE_MAX_SIZE);
        cf_hint(err, "No Cartographer firmware is that large; check that this is the right file");
        return CF_ERR_FORMAT;
    }
    if (len == 0) {
        cf_fail(err, CF_ERR_FORMAT, "%s is empty", name);
        cf_hint(err, "The download or copy probably failed; fetch the firmware file again");
        return CF_ERR_FORMAT;
    }
    cf_code rc;
    if (looks_like_dfuse(buf, len)) {
        out->format = CF_IMAGE_DFUSE;
        rc = cf_image_parse_dfuse(buf, len, name, out, err);
    } else if (looks_like_hex(buf, len)) {
        out->format = CF_IMAGE_HEX;
        rc = cf_image_parse_hex(buf, len, name, out, err);
    } else {
        out->format = CF_IMAGE_BIN;
        rc = cf_image_parse_bin(buf, len, name, opts, out, err);
    }
    if (rc != CF_OK)
        cf_image_free(out);
    return rc;
}

cf_code cf_image_load(const char *path, const cf_image_load_opts *opts, cf_image *out,
                      cf_error *err)
{
    memset(out, 0, sizeof(*out));
    out->dfuse_alt = -1;
    uint8_t *buf = NULL;
    size_t len = 0;
    cf_code rc = cf_read_file(path, CF_IMAGE_MAX_SIZE, &buf, &len, err);
    if (rc != CF_OK) {
        if (rc == CF_ERR_FORMAT)
            cf_hint(err, "No Cartographer firmware is that large; check that this is the right "
                         "file");
        return rc;
    }
    rc = cf_image_parse(buf, len, path, opts, out, err);
    free(buf);
    return rc;
}

void cf_image_free(cf_image *img)
{
    if (!img)
        return;
    for (size_t i = 0; i < img->segment_count; i++)
        free(img->segments[i].data);
    free(img->segments);
    img->segments = NULL;
    img->segment_count = 0;
}

/* ---- accessors ---- */

uint32_t cf_image_start(const cf_image *img)
{
    return img->segment_count ? img->segments[0].address : 0;
}

uint32_t cf_image_end(const cf_image *img)
{
    if (!img->segment_count)
        return 0;
    const cf_image_segment *s = &img->segments[img->segment_count - 1];
    /* The parsers refuse bytes at 0xFFFFFFFF, so this cannot wrap. */
    return s->address + s->size;
}

size_t cf_image_size(const cf_image *img)
{
    size_t n = 0;
    for (size_t i = 0; i < img->segment_count; i++)
        n += img->segments[i].size;
    return n;
}

bool cf_image_byte(const cf_image *img, uint32_t addr, uint8_t *out)
{
    size_t lo = 0, hi = img->segment_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const cf_image_segment *s = &img->segments[mid];
        if (addr < s->address)
            hi = mid;
        else if (addr - s->address >= s->size)
            lo = mid + 1;
        else {
            *out = s->data[addr - s->address];
            return true;
        }
    }
    return false;
}

const char *cf_image_format_name(cf_image_format f)
{
    switch (f) {
    case CF_IMAGE_BIN:
        return "bin";
    case CF_IMAGE_HEX:
        return "hex";
    case CF_IMAGE_DFUSE:
        return "dfuse";
    }
    return "unknown";
}
