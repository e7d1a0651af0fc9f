/* libFuzzer: the output filter for outside strings. Whatever goes in, what
 * comes out fits the buffer, holds no control byte (C0, DEL, C1) and is
 * well-formed UTF-8, so nothing it prints can act on a terminal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/safe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *out, size_t cap)
{
    size_t n = strlen(out);
    if (n >= cap)
        abort();
    const unsigned char *s = (const unsigned char *)out;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c < 0x20 || c == 0x7F)
            abort();
        size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (c >= 0x80 && (c < 0xC2 || c > 0xF4))
            abort();
        if (i + len > n)
            abort();
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                abort();
        if (c == 0xC2 && s[i + 1] < 0xA0)
            abort();
        i += len;
    }
    if (!cf_safe_is_clean(out))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char small[24], big[8192];
    check(cf_safe_buf(small, sizeof(small), text), sizeof(small));
    check(cf_safe_buf(big, sizeof(big), text), sizeof(big));
    /* clean input comes out unchanged when it fits */
    if (cf_safe_is_clean(text) && size < sizeof(big) && strcmp(big, text) != 0)
        abort();
    free(text);
    return 0;
}
