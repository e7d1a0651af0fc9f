/* The image's own version string: semantic version and the variant words
 * ("lite", "K1", "HT") that decide which probes an image is for. */
#ifndef CF_CATALOG_VERSION_H
#define CF_CATALOG_VERSION_H

#include <stdbool.h>

/* Finds the first "x.y" or "x.y.z" number group (digits only, each part below
 * 100000) standing as its own word and stores it in v[3] (z = 0 when absent).
 * "CARTOGRAPHER V4 6.1.0 lite" -> 6.1.0; "CARTOGRAPHER V3" -> false. */
bool cf_semver_parse(const char *s, int v[3]);

/* <0, 0, >0 like strcmp; a version without semver sorts below every semver. */
int cf_semver_cmp(bool a_has, const int a[3], bool b_has, const int b[3]);

typedef struct cf_version_flags {
    bool lite;      /* word "lite" (any case) */
    bool kseries;   /* word "K1" (any case), e.g. "CARTOGRAPHER K1 5.1.0" */
    bool high_temp; /* word "HT" (any case), e.g. "Cartographer HT 5.1.0" */
} cf_version_flags;

/* Words are split on anything that is not a letter, digit or '.'. */
void cf_version_flags_parse(const char *s, cf_version_flags *out);

#endif
