/* SHA-256 through OpenSSL's EVP interface, as lowercase hex. */
#ifndef CF_CATALOG_SHA256_H
#define CF_CATALOG_SHA256_H

#include <stddef.h>

#include "common/error.h"

#define CF_SHA256_HEX 65 /* 64 hex digits + NUL */

typedef struct cf_sha256 cf_sha256;

cf_code cf_sha256_begin(cf_sha256 **ctx, cf_error *err);
cf_code cf_sha256_update(cf_sha256 *ctx, const void *data, size_t len, cf_error *err);
/* Writes the hex digest and frees ctx. */
cf_code cf_sha256_end(cf_sha256 *ctx, char hex[CF_SHA256_HEX], cf_error *err);
void cf_sha256_abort(cf_sha256 *ctx);

cf_code cf_sha256_buf(const void *data, size_t len, char hex[CF_SHA256_HEX], cf_error *err);

#endif
