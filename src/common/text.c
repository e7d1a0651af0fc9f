#include "common/text.h"

#include <ctype.h>
#include <string.h>

int cf_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void cf_trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

const char *cf_next_line(const char *text, size_t len, size_t *pos, size_t *n)
{
    if (*pos >= len)
        return NULL;
    const char *line = text + *pos;
    const char *nl = memchr(line, '\n', len - *pos);
    *n = nl ? (size_t)(nl - line) : len - *pos;
    *pos += *n + 1;
    return line;
}

const char *cf_next_line_crlf(const char *text, size_t len, size_t *pos, size_t *n)
{
    const char *line = cf_next_line(text, len, pos, n);
    if (line && *n && line[*n - 1] == '\r')
        (*n)--;
    return line;
}
