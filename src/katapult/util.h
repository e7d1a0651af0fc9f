/* Internal helpers of the katapult layer. */
#ifndef CF_KATAPULT_UTIL_H
#define CF_KATAPULT_UTIL_H

#include <stddef.h>
#include <string.h>

/* Copies src into dst (cap bytes), truncating; always terminates. */
static inline void cf_kp_strlcpy(char *dst, size_t cap, const char *src)
{
    if (!cap)
        return;
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = 0;
}

#endif
