#include "catalog/version.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* A "word" is a maximal run of letters, digits and dots; version strings
 * separate their parts with spaces, underscores or dashes. */
static bool word_char(char c)
{
    return isalnum((unsigned char)c) || c == '.';
}

/* Parses "x.y" or "x.y.z" filling the whole word; false otherwise. */
static bool parse_word(const char *w, size_t len, int v[3])
{
    int parts[3] = {0, 0, 0};
    int count = 0;
    size_t i = 0;
    while (i < len) {
        if (count == 3)
            return false;
        long n = 0;
        size_t digits = 0;
        while (i < len && isdigit((unsigned char)w[i])) {
            n = n * 10 + (w[i] - '0');
            if (++digits > 5)
                return false;
            i++;
        }
        if (digits == 0)
            return false;
        parts[count++] = (int)n;
        if (i < len) {
            if (w[i] != '.' || i + 1 == len)
                return false;
            i++;
        }
    }
    if (count < 2)
        return false;
    memcpy(v, parts, sizeof(parts));
    return true;
}

/* The next word at or after *p (its length in *len), *p moved past it; NULL
 * when no word is left. */
static const char *next_word(const char **p, size_t *len)
{
    while (**p && !word_char(**p))
        (*p)++;
    const char *start = *p;
    while (**p && word_char(**p))
        (*p)++;
    *len = (size_t)(*p - start);
    return *len ? start : NULL;
}

bool cf_semver_parse(const char *s, int v[3])
{
    if (!s)
        return false;
    const char *p = s, *start;
    size_t len;
    while ((start = next_word(&p, &len)) != NULL)
        if (parse_word(start, len, v))
            return true;
    return false;
}

int cf_semver_cmp(bool a_has, const int a[3], bool b_has, const int b[3])
{
    if (a_has != b_has)
        return a_has ? 1 : -1;
    if (!a_has)
        return 0;
    for (int i = 0; i < 3; i++) {
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    }
    return 0;
}

void cf_version_flags_parse(const char *s, cf_version_flags *out)
{
    memset(out, 0, sizeof(*out));
    if (!s)
        return;
    const char *p = s, *start;
    size_t len;
    while ((start = next_word(&p, &len)) != NULL) {
        if (len == 4 && strncasecmp(start, "lite", 4) == 0)
            out->lite = true;
        else if (len == 2 && strncasecmp(start, "K1", 2) == 0)
            out->kseries = true;
        else if (len == 2 && strncasecmp(start, "HT", 2) == 0)
            out->high_temp = true;
    }
}
