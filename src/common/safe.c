#include "common/safe.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (RFC 3629 table 3-7 of the
 * Unicode standard), or 0 when the bytes there are not one. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        return 4;
    }
    return 0;
}

static const char *filter(char *dst, size_t size, const char *src, bool keep_newline)
{
    if (!src)
        src = "(null)";
    const unsigned char *s = (const unsigned char *)src;
    size_t o = 0, mark = 0; /* mark: the last piece boundary with room for "...\0" after it */
    while (*s) {
        char piece[12];
        size_t n;
        size_t len = utf8_len(s);
        if (len == 1 && (*s < 0x20 || *s == 0x7F) && !(keep_newline && *s == '\n')) {
            n = (size_t)snprintf(piece, sizeof(piece), "\\x%02X", *s);
        } else if (len == 2 && s[0] == 0xC2 && s[1] < 0xA0) {
            /* C1 control: both bytes escaped, so nothing decodes them */
            n = (size_t)snprintf(piece, sizeof(piece), "\\x%02X\\x%02X", s[0], s[1]);
        } else if (len == 0) {
            n = (size_t)snprintf(piece, sizeof(piece), "\\x%02X", *s);
            len = 1;
        } else {
            memcpy(piece, s, len);
            n = len;
        }
        if (o + n + 1 > size) {
            /* does not fit: end at a piece boundary (never inside an escape or a
             * character) and say it was cut */
            o = mark;
            if (o + 4 <= size) {
                memcpy(dst + o, "...", 3);
                o += 3;
            }
            break;
        }
        memcpy(dst + o, piece, n);
        o += n;
        if (o + 4 <= size)
            mark = o;
        s += len;
    }
    if (size)
        dst[o < size ? o : size - 1] = '\0';
    return dst;
}

const char *cf_safe_buf(char *dst, size_t size, const char *src)
{
    return filter(dst, size, src, false);
}

const char *cf_safe_text_buf(char *dst, size_t size, const char *src)
{
    return filter(dst, size, src, true);
}

const char *cf_safe(const char *src)
{
    static _Thread_local char bufs[8][4096];
    static _Thread_local unsigned next;
    char *b = bufs[next++ % 8];
    return cf_safe_buf(b, sizeof(bufs[0]), src);
}

bool cf_safe_is_clean(const char *src)
{
    if (!src)
        return false;
    for (const unsigned char *s = (const unsigned char *)src; *s;) {
        size_t len = utf8_len(s);
        if (len == 0 || (len == 1 && (*s < 0x20 || *s == 0x7F)) ||
            (len == 2 && s[0] == 0xC2 && s[1] < 0xA0))
            return false;
        s += len;
    }
    return true;
}

bool cf_strlcpy(char *dst, size_t cap, const char *src)
{
    if (cap == 0)
        return false;
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
    return src[n] == '\0';
}
