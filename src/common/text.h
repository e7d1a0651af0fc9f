/* Small text-parsing helpers shared by the parsers of serial numbers, UIDs,
 * Intel HEX, config files and logs. */
#ifndef CF_COMMON_TEXT_H
#define CF_COMMON_TEXT_H

#include <stddef.h>

/* The value of one hex digit (either case), or -1 for anything else. */
int cf_hex_digit(int c);

/* Narrows the span s[0..*n) to drop white space at both ends. */
void cf_trim(const char **s, size_t *n);

/* The line of text[0..len) that starts at *pos: its length without the '\n'
 * in *n ('\r' is kept: cf_next_line_crlf drops it), *pos moved past
 * it. NULL when *pos has reached len. */
const char *cf_next_line(const char *text, size_t len, size_t *pos, size_t *n);

/* The same for text that may end its lines with "\r\n": a '\r' before the
 * '\n' is left out of *n too. */
const char *cf_next_line_crlf(const char *text, size_t len, size_t *pos, size_t *n);

#endif
