/* The one growing-array rule: capacity doubles, from a first size, until it
 * holds what is needed. */
#ifndef CF_COMMON_MEM_H
#define CF_COMMON_MEM_H

#include <stddef.h>

/* buf (holding *cap elements of elem bytes) made to hold at least need
 * elements: the new buffer, *cap updated. buf itself when it already does;
 * NULL, with buf and *cap untouched, when memory runs out. */
void *cf_grow(void *buf, size_t *cap, size_t need, size_t elem, size_t first);

#endif
