/* Optional libraries loaded on first use, the way systemd loads its optional
 * dependencies: libcurl, libarchive and libcrypto (with their ~40 dependencies)
 * are never linked, so flashing a file never maps them. The first catalogue
 * download, extraction or checksum (or Moonraker query) dlopens the library by
 * its SONAME, read at configure time from the library pkg-config found
 * (cmake/cf_dlopen.cmake), and fills one function pointer per symbol used:
 * call sites write sym_curl_easy_init(...) instead of curl_easy_init(...).
 *
 * Each library has a header with the list of its symbols (dlib_curl.h,
 * dlib_archive.h, dlib_crypto.h) and one loader, cf_dlib_<name>(err):
 *  - the first call loads the library (thread-safe, pthread_once); later calls
 *    return the first call's result at the cost of an atomic load;
 *  - a library that cannot be loaded, or lacks a symbol, is CF_ERR_UNSUPPORTED
 *    naming the library, its SONAME, the Debian package that ships it and what
 *    works without it (flashing a file). Nothing aborts; the library is never
 *    unloaded. */
#ifndef CF_CATALOG_DLIB_H
#define CF_CATALOG_DLIB_H

#include <stdbool.h>

#include "common/error.h"

cf_code cf_dlib_curl(cf_error *err);
cf_code cf_dlib_archive(cf_error *err);
cf_code cf_dlib_crypto(cf_error *err);

/* Test hook: load library `name` ("libcurl", "libarchive", "libcrypto") from
 * `soname` instead. Only before that library's first use; returns false if
 * the name is unknown or the library was already loaded (or tried). */
bool cf_dlib_test_soname(const char *name, const char *soname);

#endif
