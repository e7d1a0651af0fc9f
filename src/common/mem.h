/* The one growing-array rule: capacity doubles, from a first size, until it
 * holds what is needed. */
#ifndef CF_COMMON_MEM_H
#define CF_COMMON_MEM_H

#include <stdbool.h>
#include <stddef.h>

/* buf (holding *cap elements of elem bytes) made to hold at least need
 * elements: the new buffer, *cap updated. buf itself when it already does;
 * NULL, with buf and *cap untouched, when memory runs out. */
void *cf_grow(void *buf, size_t *cap, size_t need, size_t elem, size_t first);

/* Doubles the capacity of a text buffer of *cap bytes and room for a NUL
 * (*cap + 1 allocated); false, with both untouched, when memory runs out. */
bool cf_grow_text(char **buf, size_t *cap);

#endif
