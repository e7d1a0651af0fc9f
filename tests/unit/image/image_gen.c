#include "image_gen.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

void gen_put(gen_buf *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + len)
            cap *= 2;
        uint8_t *p = realloc(b->buf, cap);
        if (!p)
            abort();
        b->buf = p;
        b->cap = cap;
    }
    if (len)
        memcpy(b->buf + b->len, data, len);
    b->len += len;
}

void gen_printf(gen_buf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        abort();
    gen_put(b, tmp, (size_t)n);
}

void gen_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void gen_le32(gen_buf *b, uint32_t v)
{
    uint8_t p[4];
    gen_put_le32(p, v);
    gen_put(b, p, 4);
}

void gen_free(gen_buf *b)
{
    free(b->buf);
    memset(b, 0, sizeof(*b));
}

void gen_hex_record(gen_buf *b, uint8_t type, uint16_t offset, const uint8_t *data, uint8_t n,
                    const char *eol)
{
    unsigned sum = n + (offset >> 8) + (offset & 0xFF) + type;
    gen_printf(b, ":%02X%04X%02X", n, offset, type);
    for (unsigned i = 0; i < n; i++) {
        gen_printf(b, "%02X", data[i]);
        sum += data[i];
    }
    gen_printf(b, "%02X%s", (unsigned)(-sum & 0xFF), eol);
}

void gen_hex_data(gen_buf *b, uint32_t addr, const uint8_t *data, size_t len, size_t per_line,
                  const char *eol)
{
    uint32_t upper = 0xFFFFFFFFu;
    size_t pos = 0;
    while (pos < len) {
        uint32_t a = addr + (uint32_t)pos;
        if ((a >> 16) != upper) {
            upper = a >> 16;
            uint8_t ela[2] = {(uint8_t)(upper >> 8), (uint8_t)upper};
            gen_hex_record(b, 0x04, 0, ela, 2, eol);
        }
        size_t n = len - pos < per_line ? len - pos : per_line;
        uint32_t room = 0x10000u - (a & 0xFFFF); /* never cross a 64 KiB boundary */
        if (n > room)
            n = room;
        gen_hex_record(b, 0x00, (uint16_t)(a & 0xFFFF), data + pos, (uint8_t)n, eol);
        pos += n;
    }
}

void gen_hex_eof(gen_buf *b, const char *eol)
{
    gen_hex_record(b, 0x01, 0, NULL, 0, eol);
}

void gen_dfuse_begin(gen_dfuse *d)
{
    memset(d, 0, sizeof(*d));
    uint8_t prefix[11] = {'D', 'f', 'u', 'S', 'e', 1};
    gen_put(&d->b, prefix, sizeof(prefix));
}

static void close_target(gen_dfuse *d)
{
    if (!d->target_at)
        return;
    uint8_t *t = d->b.buf + d->target_at;
    gen_put_le32(t + 266, (uint32_t)(d->b.len - d->target_at - 274));
    gen_put_le32(t + 270, d->elements);
    d->target_at = 0;
}

void gen_dfuse_target(gen_dfuse *d, uint8_t alt, const char *name)
{
    close_target(d);
    uint8_t t[274] = {'T', 'a', 'r', 'g', 'e', 't', alt};
    if (name) {
        gen_put_le32(t + 7, 1);
        strncpy((char *)t + 11, name, 254);
    }
    d->target_at = d->b.len;
    d->elements = 0;
    d->targets++;
    gen_put(&d->b, t, sizeof(t));
}

void gen_dfuse_element(gen_dfuse *d, uint32_t addr, const uint8_t *data, size_t len)
{
    gen_le32(&d->b, addr);
    gen_le32(&d->b, (uint32_t)len);
    gen_put(&d->b, data, len);
    d->elements++;
}

void gen_fix_crc(uint8_t *buf, size_t len)
{
    uint32_t crc = (uint32_t)crc32(0, buf, (uInt)(len - 4)) ^ 0xFFFFFFFFu;
    gen_put_le32(buf + len - 4, crc);
}

static void put_suffix(gen_buf *b, uint16_t vid, uint16_t pid, uint16_t bcd)
{
    uint8_t s[16] = {0,
                     0,
                     (uint8_t)pid,
                     (uint8_t)(pid >> 8),
                     (uint8_t)vid,
                     (uint8_t)(vid >> 8),
                     (uint8_t)bcd,
                     (uint8_t)(bcd >> 8),
                     'U',
                     'F',
                     'D',
                     16};
    gen_put(b, s, sizeof(s));
    gen_fix_crc(b->buf, b->len);
}

void gen_dfuse_end(gen_dfuse *d, uint16_t vid, uint16_t pid)
{
    close_target(d);
    d->b.buf[10] = d->targets;
    gen_put_le32(d->b.buf + 6, (uint32_t)(d->b.len + 16));
    put_suffix(&d->b, vid, pid, 0x011A);
}

void gen_dfuse_end_tools(gen_dfuse *d, uint16_t vid, uint16_t pid)
{
    close_target(d);
    d->b.buf[10] = d->targets;
    gen_put_le32(d->b.buf + 6, (uint32_t)d->b.len);
    put_suffix(&d->b, vid, pid, 0x011A);
}

void gen_add_suffix(gen_buf *b, uint16_t vid, uint16_t pid)
{
    put_suffix(b, vid, pid, 0x0100);
}

const char *gen_firmware_dir(void)
{
    const char *dir = getenv("CF_FIRMWARE_DIR");
    return dir && *dir ? dir : NULL;
}

uint8_t *gen_read_firmware(const char *rel, size_t *len)
{
    const char *dir = gen_firmware_dir();
    if (!dir)
        return NULL;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    gen_buf b = {0};
    uint8_t chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        gen_put(&b, chunk, n);
    fclose(f);
    *len = b.len;
    return b.buf;
}
