#include "common/mem.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

void *cf_grow(void *buf, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap && buf)
        return buf;
    size_t n = *cap ? *cap : first;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return NULL;
        n *= 2;
    }
    if (elem && n > SIZE_MAX / elem)
        return NULL;
    void *p = realloc(buf, n * elem);
    if (p)
        *cap = n;
    return p;
}

bool cf_grow_text(char **buf, size_t *cap)
{
    if (*cap > (SIZE_MAX - 1) / 2)
        return false;
    char *nb = realloc(*buf, *cap * 2 + 1);
    if (!nb)
        return false;
    *buf = nb;
    *cap *= 2;
    return true;
}
