#include "cli/args.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

cf_code cf_parse_address(const char *text, uint32_t *out, cf_error *err)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno || end == text || *end != '\0' || v > 0xFFFFFFFFull || text[0] == '-')
        return cf_fail(err, CF_ERR_USAGE, "'%s' is not an address (expected e.g. 0x08002000)",
                       text);
    *out = (uint32_t)v;
    return CF_OK;
}

cf_code cf_parse_seconds(const char *text, uint64_t *ms, cf_error *err)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !(v >= 0.0) || v > 86400.0 || isnan(v))
        return cf_fail(err, CF_ERR_USAGE, "'%s' is not a number of seconds", text);
    *ms = (uint64_t)llround(v * 1000.0);
    return CF_OK;
}
