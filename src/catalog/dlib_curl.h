/* libcurl through dlopen (see dlib.h): call cf_dlib_curl() first, then the
 * sym_ pointers. curl.h defines curl_easy_setopt/getinfo as type-checking
 * macros too; `__typeof__(curl_easy_setopt)` (no parenthesis after the name)
 * is the function, so the pointers have the functions' own types. */
#ifndef CF_CATALOG_DLIB_CURL_H
#define CF_CATALOG_DLIB_CURL_H

#include <curl/curl.h>

#include "catalog/dlib.h"

#define CF_DLIB_CURL_SYMBOLS(X)                                                                    \
    X(curl_easy_init)                                                                              \
    X(curl_easy_setopt)                                                                            \
    X(curl_easy_getinfo)                                                                           \
    X(curl_easy_perform)                                                                           \
    X(curl_easy_cleanup)                                                                           \
    X(curl_easy_strerror)                                                                          \
    X(curl_slist_append)                                                                           \
    X(curl_slist_free_all)

#define CF_DLIB_DECLARE(fn) extern __typeof__(fn) *sym_##fn;
CF_DLIB_CURL_SYMBOLS(CF_DLIB_DECLARE)
#undef CF_DLIB_DECLARE

#endif
