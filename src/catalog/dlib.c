#include "catalog/dlib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "catalog/dlib_archive.h"
#include "catalog/dlib_crypto.h"
#include "catalog/dlib_curl.h"

/* CF_SONAME_* and CF_DEBPKG_* come from cmake/cf_dlopen.cmake. */
#if !defined(CF_SONAME_CURL) || !defined(CF_SONAME_ARCHIVE) || !defined(CF_SONAME_CRYPTO) ||       \
    !defined(CF_DEBPKG_CURL) || !defined(CF_DEBPKG_ARCHIVE) || !defined(CF_DEBPKG_CRYPTO)
#error "build with CMake: cmake/cf_dlopen.cmake defines the SONAMEs and Debian packages"
#endif

/* The function pointers, all NULL until their library is loaded. */
#define CF_DLIB_DEFINE(fn) __typeof__(fn) *sym_##fn;
CF_DLIB_CURL_SYMBOLS(CF_DLIB_DEFINE)
CF_DLIB_ARCHIVE_SYMBOLS(CF_DLIB_DEFINE)
CF_DLIB_CRYPTO_SYMBOLS(CF_DLIB_DEFINE)
#undef CF_DLIB_DEFINE

typedef struct dlib_sym {
    const char *name;
    void **slot; /* &sym_<name>, written as POSIX specifies: *(void **)&fptr = dlsym() */
} dlib_sym;

#define CF_DLIB_ENTRY(fn) {#fn, (void **)&sym_##fn},
static const dlib_sym curl_syms[] = {CF_DLIB_CURL_SYMBOLS(CF_DLIB_ENTRY)};
static const dlib_sym archive_syms[] = {CF_DLIB_ARCHIVE_SYMBOLS(CF_DLIB_ENTRY)};
static const dlib_sym crypto_syms[] = {CF_DLIB_CRYPTO_SYMBOLS(CF_DLIB_ENTRY)};
#undef CF_DLIB_ENTRY

typedef struct dlib {
    const char *name;       /* "libcurl" */
    const char *soname;     /* "libcurl.so.4" */
    const char *package;    /* Debian package shipping it */
    const char *needed_for; /* completes "needed ..." */
    const dlib_sym *syms;
    size_t nsyms;
    pthread_once_t once;
    bool tried;
    bool loaded;
    char problem[400]; /* dlerror() of the failed load */
} dlib;

/* One library's record: KEY picks its CF_SONAME_KEY and CF_DEBPKG_KEY. */
#define CF_DLIB_LIB(lib_name, KEY, why, sym_table)                                                 \
    {                                                                                              \
        .name = lib_name, .soname = CF_SONAME_##KEY, .package = CF_DEBPKG_##KEY,                   \
        .needed_for = why, .syms = sym_table, .nsyms = sizeof(sym_table) / sizeof((sym_table)[0]), \
        .once = PTHREAD_ONCE_INIT,                                                                 \
    }
static dlib curl_lib =
    CF_DLIB_LIB("libcurl", CURL,
                "to download firmware and to ask Moonraker whether a print is running", curl_syms);
static dlib archive_lib =
    CF_DLIB_LIB("libarchive", ARCHIVE, "to unpack downloaded firmware", archive_syms);
static dlib crypto_lib = CF_DLIB_LIB(
    "libcrypto", CRYPTO, "to compute the sha256 of firmware in the catalogue", crypto_syms);
#undef CF_DLIB_LIB

static void dlib_open(dlib *lib)
{
    lib->tried = true;
    /* RTLD_NOW: a missing symbol of its own dependencies fails here, not in
     * the middle of a download. Never dlclose'd: it stays until exit. */
    void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(lib->problem, sizeof(lib->problem), "%s", why ? why : "dlopen failed");
        return;
    }
    for (size_t i = 0; i < lib->nsyms; i++) {
        (void)dlerror();
        *lib->syms[i].slot = dlsym(h, lib->syms[i].name);
        if (!*lib->syms[i].slot) {
            const char *why = dlerror();
            if (why)
                snprintf(lib->problem, sizeof(lib->problem), "%s", why);
            else
                snprintf(lib->problem, sizeof(lib->problem), "%s: %s is NULL", lib->soname,
                         lib->syms[i].name);
            for (size_t j = 0; j <= i; j++)
                *lib->syms[j].slot = NULL;
            dlclose(h);
            return;
        }
    }
    lib->loaded = true;
}

static cf_code dlib_result(const dlib *lib, cf_error *err)
{
    if (lib->loaded)
        return CF_OK;
    cf_code rc = cf_fail(err, CF_ERR_UNSUPPORTED, "cannot load %s (%s), needed %s: %s", lib->name,
                         lib->soname, lib->needed_for, lib->problem);
    cf_hint(err,
            "install the Debian package %s (apt install %s); flashing a firmware file "
            "(cartoflash flash dfu|can|usb FILE) works without it",
            lib->package, lib->package);
    return rc;
}

/* cf_dlib_<lib>(): the library's first use loads it, once (pthread_once
 * runs a function without arguments, hence open_<lib>). */
#define CF_DLIB_LOADER(lib)                                                                        \
    static void open_##lib(void)                                                                   \
    {                                                                                              \
        dlib_open(&lib##_lib);                                                                     \
    }                                                                                              \
    cf_code cf_dlib_##lib(cf_error *err)                                                           \
    {                                                                                              \
        pthread_once(&lib##_lib.once, open_##lib);                                                 \
        return dlib_result(&lib##_lib, err);                                                       \
    }
CF_DLIB_LOADER(curl)
CF_DLIB_LOADER(archive)
CF_DLIB_LOADER(crypto)
#undef CF_DLIB_LOADER

bool cf_dlib_test_soname(const char *name, const char *soname)
{
    dlib *libs[] = {&curl_lib, &archive_lib, &crypto_lib};
    for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
        if (strcmp(libs[i]->name, name) == 0 && !libs[i]->tried) {
            libs[i]->soname = soname;
            return true;
        }
    }
    return false;
}
