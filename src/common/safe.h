/* One output filter for every string that comes from outside cartoflash: USB
 * string descriptors, Katapult and Klipper replies, file and archive entry
 * names, CSV fields, config values. Such a string can carry terminal escape
 * sequences (ESC [ ... moves the cursor, rewrites the title, hides text) or
 * bytes a terminal decodes as C1 controls; printed raw, it could make a
 * refusal look like success. Front ends pass such strings through here
 * before printing them as text; JSON output is escaped by jansson instead. */
#ifndef CF_COMMON_SAFE_H
#define CF_COMMON_SAFE_H

#include <stdbool.h>
#include <stddef.h>

/* Copies src to dst (size > 0 bytes, always NUL-terminated, truncated with
 * "..." when it does not fit) with these written as \xNN: C0 controls
 * (0x00-0x1F, tab and newline included), DEL (0x7F), C1 controls (U+0080 to
 * U+009F, i.e. the UTF-8 pairs C2 80..C2 9F) and every byte that is not part
 * of well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF, no truncated sequence). Everything else, printable ASCII
 * and valid UTF-8 text such as accented names, is copied unchanged. NULL
 * src gives "(null)". Returns dst. */
const char *cf_safe_buf(char *dst, size_t size, const char *src);

/* The same, but newlines are kept (for multi-line hints). */
const char *cf_safe_text_buf(char *dst, size_t size, const char *src);

/* cf_safe_buf into one of 8 per-thread 4 KiB buffers, for printf arguments:
 * printf("%s %s", cf_safe(a), cf_safe(b)). A result stays valid until 8 more
 * calls on the same thread. */
const char *cf_safe(const char *src);

/* True when src needs no escaping (cf_safe would return it unchanged). */
bool cf_safe_is_clean(const char *src);

/* The one plain string copy: src into dst (cap bytes), cut where it does not
 * fit, always NUL-terminated when cap > 0. Returns true when all of src fit,
 * so a caller that must not keep a cut value can refuse it. */
bool cf_strlcpy(char *dst, size_t cap, const char *src);

#endif
