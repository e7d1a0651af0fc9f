/* Internal helpers of the katapult layer. */
#ifndef CF_KATAPULT_UTIL_H
#define CF_KATAPULT_UTIL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
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

/* True when paths a and b name the same file (links resolved). */
static inline bool cf_kp_same_path(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    if (strcmp(a, b) == 0)
        return true;
    if (!realpath(a, ra) || !realpath(b, rb))
        return false;
    return strcmp(ra, rb) == 0;
}

#endif
