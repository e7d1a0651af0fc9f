/* DfuSe memory layout from an alt setting's name (UM0424 grammar):
 *   "@" name ( "/0x" hexaddr "/" seg { "," seg } )+
 *   seg = count "*" size mult type    mult: B, K, M or ' '    type: a..g
 * e.g. "@Internal Flash  /0x08000000/032*0001Kg". Counts and sizes are
 * decimal even with leading zeros. The text comes from the device, so every
 * step is bounds- and overflow-checked; anything unexpected is an error. */
#include <ctype.h>
#include <string.h>

#include "dfu/dfu.h"

typedef struct cursor {
    const char *s;
    const char *start;
} cursor;

static size_t pos(const cursor *c)
{
    return (size_t)(c->s - c->start);
}

static cf_code bad(cf_error *err, const cursor *c, const char *what)
{
    return cf_fail(err, CF_ERR_FORMAT, "memory layout \"%.120s\": %s at offset %zu", c->start, what,
                   pos(c));
}

static bool read_decimal(cursor *c, uint32_t max, uint32_t *out)
{
    if (!isdigit((unsigned char)*c->s))
        return false;
    uint64_t v = 0;
    while (isdigit((unsigned char)*c->s)) {
        v = v * 10 + (uint64_t)(*c->s - '0');
        if (v > max)
            return false;
        c->s++;
    }
    *out = (uint32_t)v;
    return true;
}

static bool read_hex32(cursor *c, uint32_t *out)
{
    if (c->s[0] != '0' || (c->s[1] != 'x' && c->s[1] != 'X'))
        return false;
    c->s += 2;
    if (!isxdigit((unsigned char)*c->s))
        return false;
    uint64_t v = 0;
    while (isxdigit((unsigned char)*c->s)) {
        int ch = tolower((unsigned char)*c->s);
        v = v * 16 + (uint64_t)(isdigit(ch) ? ch - '0' : ch - 'a' + 10);
        if (v > UINT32_MAX)
            return false;
        c->s++;
    }
    *out = (uint32_t)v;
    return true;
}

static bool at_segment_end(const cursor *c)
{
    return *c->s == ',' || *c->s == '/' || *c->s == '\0';
}

static int type_bits(char ch)
{
    if (ch >= 'a' && ch <= 'g')
        return ch - 'a' + 1;
    if (ch >= 'A' && ch <= 'G') /* UM0290's own examples print them in upper case */
        return ch - 'A' + 1;
    return -1;
}

/* One "count*size<mult><type>" at *addr; advances *addr past it. */
static cf_code parse_segment(cursor *c, uint64_t *addr, cf_dfuse_layout *out, cf_error *err)
{
    uint32_t count, size;
    if (!read_decimal(c, 0xFFFF, &count))
        return bad(err, c, "expected a page count");
    if (*c->s != '*')
        return bad(err, c, "expected '*' after the page count");
    c->s++;
    if (!read_decimal(c, 0xFFFF, &size))
        return bad(err, c, "expected a page size");

    uint64_t mult = 1;
    int type = -1;
    char m = *c->s;
    if (m == 'B' || m == ' ') {
        c->s++;
    } else if (m == 'K') {
        mult = 1024;
        c->s++;
    } else if (m == 'M') {
        mult = 1024 * 1024;
        c->s++;
    } else if (type_bits(m) > 0 && at_segment_end(&(cursor){c->s + 1, c->start})) {
        /* Type letter with the multiplier left out: plain bytes. */
    } else {
        return bad(err, c, "expected a size multiplier (B, K, M or space)");
    }
    type = type_bits(*c->s);
    if (type < 0)
        return bad(err, c, "expected a memory type letter a..g");
    c->s++;
    if (!at_segment_end(c))
        return bad(err, c, "unexpected text after the memory type");

    if (count == 0 || size == 0)
        return bad(err, c, "segment with no pages or zero-sized pages");
    uint64_t page = (uint64_t)size * mult;
    uint64_t end = *addr + page * count;
    if (page > UINT32_MAX || end > UINT32_MAX)
        return bad(err, c, "segment runs past the 4 GiB address space");
    if (out->segment_count >= CF_DFUSE_MAX_SEGMENTS)
        return bad(err, c, "too many segments");
    cf_dfuse_segment *seg = &out->segments[out->segment_count++];
    seg->start = (uint32_t)*addr;
    seg->page_size = (uint32_t)page;
    seg->page_count = count;
    seg->type = (uint8_t)type;
    *addr = end;
    return CF_OK;
}

static void copy_name(const char *from, size_t n, cf_dfuse_layout *out)
{
    while (n > 0 && isspace((unsigned char)*from)) {
        from++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)from[n - 1]))
        n--;
    if (n >= sizeof(out->name))
        n = sizeof(out->name) - 1;
    memcpy(out->name, from, n);
    out->name[n] = '\0';
}

/* Everything later derives sizes from the segments (a backup reads from the
 * first start to the end of the flash), so a layout in which a block starts
 * below the end of the one before, or that adds up to more memory than any
 * STM32 has, is refused here rather than turned into a 4 GiB read. */
static cf_code check_bounds(const char *text, const cf_dfuse_layout *l, cf_error *err)
{
    uint64_t total = 0;
    for (size_t i = 0; i < l->segment_count; i++) {
        const cf_dfuse_segment *g = &l->segments[i];
        uint64_t bytes = (uint64_t)g->page_size * g->page_count;
        if (i > 0 && g->start < cf_dfuse_segment_end(&l->segments[i - 1]))
            return cf_fail(err, CF_ERR_FORMAT,
                           "memory layout \"%.120s\": the block at 0x%08x starts before the one "
                           "before it ends (0x%08x); blocks must be in address order without "
                           "overlapping",
                           text, (unsigned)g->start,
                           (unsigned)cf_dfuse_segment_end(&l->segments[i - 1]));
        total += bytes;
        if (total > CF_DFUSE_MAX_BYTES)
            return cf_fail(err, CF_ERR_FORMAT,
                           "memory layout \"%.120s\" describes more than %u MiB, more than any "
                           "STM32 has",
                           text, (unsigned)(CF_DFUSE_MAX_BYTES >> 20));
    }
    return CF_OK;
}

uint32_t cf_dfuse_contiguous_bytes(const cf_dfuse_layout *l)
{
    if (l->segment_count == 0)
        return 0;
    uint32_t end = cf_dfuse_segment_end(&l->segments[0]);
    for (size_t i = 1; i < l->segment_count && l->segments[i].start == end; i++)
        end = cf_dfuse_segment_end(&l->segments[i]);
    return end - l->segments[0].start;
}

cf_code cf_dfuse_parse_layout(const char *text, cf_dfuse_layout *out, cf_error *err)
{
    memset(out, 0, sizeof(*out));
    cursor c = {text, text};
    if (*c.s != '@')
        return bad(err, &c, "expected '@' (not a DfuSe memory layout)");
    c.s++;
    const char *slash = strchr(c.s, '/');
    if (!slash)
        return bad(err, &c, "no address block");
    copy_name(c.s, (size_t)(slash - c.s), out);
    c.s = slash;

    size_t blocks = 0;
    while (*c.s == '/') {
        c.s++;
        if (*c.s == '\0' && blocks > 0)
            break; /* tolerate a trailing '/' */
        blocks++;
        uint32_t base;
        if (!read_hex32(&c, &base))
            return bad(err, &c, "expected a 0x... start address");
        if (*c.s != '/')
            return bad(err, &c, "expected '/' after the start address");
        c.s++;
        uint64_t addr = base;
        for (;;) {
            cf_code rc = parse_segment(&c, &addr, out, err);
            if (rc != CF_OK)
                return rc;
            if (*c.s != ',')
                break;
            c.s++;
        }
    }
    if (*c.s != '\0')
        return bad(err, &c, "unexpected text");
    return check_bounds(text, out, err);
}

uint32_t cf_dfuse_segment_end(const cf_dfuse_segment *seg)
{
    return seg->start + seg->page_size * seg->page_count;
}

const cf_dfuse_segment *cf_dfuse_find(const cf_dfuse_layout *layout, uint32_t addr)
{
    for (size_t i = 0; i < layout->segment_count; i++) {
        const cf_dfuse_segment *seg = &layout->segments[i];
        if (addr >= seg->start && addr < cf_dfuse_segment_end(seg))
            return seg;
    }
    return NULL;
}
