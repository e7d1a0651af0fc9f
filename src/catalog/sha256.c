#include "catalog/sha256.h"

#include "catalog/dlib_crypto.h"

/* cf_sha256 is never defined: a cf_sha256 * is an EVP_MD_CTX * in disguise. */

cf_code cf_sha256_begin(cf_sha256 **ctx, cf_error *err)
{
    *ctx = NULL;
    cf_code rc = cf_dlib_crypto(err); /* libcrypto is loaded here, on first use */
    if (rc != CF_OK)
        return rc;
    EVP_MD_CTX *md = sym_EVP_MD_CTX_new();
    if (!md)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory starting a sha256");
    if (sym_EVP_DigestInit_ex(md, sym_EVP_sha256(), NULL) != 1) {
        sym_EVP_MD_CTX_free(md);
        return cf_fail(err, CF_ERR_UNSUPPORTED, "OpenSSL refused to start a sha256");
    }
    /* the wrapper is the EVP context itself: no extra allocation */
    *ctx = (cf_sha256 *)md;
    return CF_OK;
}

cf_code cf_sha256_update(cf_sha256 *ctx, const void *data, size_t len, cf_error *err)
{
    if (len && sym_EVP_DigestUpdate((EVP_MD_CTX *)ctx, data, len) != 1)
        return cf_fail(err, CF_ERR_UNSUPPORTED, "OpenSSL sha256 update failed");
    return CF_OK;
}

cf_code cf_sha256_end(cf_sha256 *ctx, char hex[CF_SHA256_HEX], cf_error *err)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    int ok = sym_EVP_DigestFinal_ex((EVP_MD_CTX *)ctx, md, &len);
    sym_EVP_MD_CTX_free((EVP_MD_CTX *)ctx);
    if (ok != 1 || len != 32)
        return cf_fail(err, CF_ERR_UNSUPPORTED, "OpenSSL sha256 final failed");
    for (unsigned i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
    return CF_OK;
}

void cf_sha256_abort(cf_sha256 *ctx)
{
    if (ctx)
        sym_EVP_MD_CTX_free((EVP_MD_CTX *)ctx);
}

cf_code cf_sha256_buf(const void *data, size_t len, char hex[CF_SHA256_HEX], cf_error *err)
{
    cf_sha256 *ctx;
    cf_code rc = cf_sha256_begin(&ctx, err);
    if (rc != CF_OK)
        return rc;
    rc = cf_sha256_update(ctx, data, len, err);
    if (rc != CF_OK) {
        cf_sha256_abort(ctx);
        return rc;
    }
    return cf_sha256_end(ctx, hex, err);
}
