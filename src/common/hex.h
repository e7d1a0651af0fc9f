/* Hexadecimal digits, for the parsers of serial numbers, UIDs and Intel HEX. */
#ifndef CF_COMMON_HEX_H
#define CF_COMMON_HEX_H

/* The value of one hex digit (either case), or -1 for anything else. */
int cf_hex_digit(int c);

#endif
