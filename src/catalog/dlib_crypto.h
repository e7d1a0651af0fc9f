/* libcrypto (OpenSSL EVP) through dlopen (see dlib.h): call cf_dlib_crypto()
 * first, then the sym_ pointers. */
#ifndef CF_CATALOG_DLIB_CRYPTO_H
#define CF_CATALOG_DLIB_CRYPTO_H

#include <openssl/evp.h>

#include "catalog/dlib.h"

#define CF_DLIB_CRYPTO_SYMBOLS(X)                                                                  \
    X(EVP_MD_CTX_new)                                                                              \
    X(EVP_MD_CTX_free)                                                                             \
    X(EVP_sha256)                                                                                  \
    X(EVP_DigestInit_ex)                                                                           \
    X(EVP_DigestUpdate)                                                                            \
    X(EVP_DigestFinal_ex)

#define CF_DLIB_DECLARE(fn) extern __typeof__(fn) *sym_##fn;
CF_DLIB_CRYPTO_SYMBOLS(CF_DLIB_DECLARE)
#undef CF_DLIB_DECLARE

#endif
