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

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
static dlib curl_lib = {
    .name = "libcurl",
    .soname = CF_SONAME_CURL,
    .package = CF_DEBPKG_CURL,
    .needed_for = "to download firmware and to ask Moonraker whether a print is running",
    .syms = curl_syms,
    .nsyms = COUNT(curl_syms),
    .once = PTHREAD_ONCE_INIT,
};
static dlib archive_lib = {
    .name = "libarchive",
    .soname = CF_SONAME_ARCHIVE,
    .package = CF_DEBPKG_ARCHIVE,
    .needed_for = "to unpack downloaded firmware",
    .syms = archive_syms,
    .nsyms = COUNT(archive_syms),
    .once = PTHREAD_ONCE_INIT,
};
static dlib crypto_lib = {
    .name = "libcrypto",
    .soname = CF_SONAME_CRYPTO,
    .package = CF_DEBPKG_CRYPTO,
    .needed_for = "to compute the sha256 of firmware in the catalogue",
    .syms = crypto_syms,
    .nsyms = COUNT(crypto_syms),
    .once = PTHREAD_ONCE_INIT,
};
#undef COUNT

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

static void open_curl(void)
{
    dlib_open(&curl_lib);
}

static void open_archive(void)
{
    dlib_open(&archive_lib);
}

static void open_crypto(void)
{
    dlib_open(&crypto_lib);
}

cf_code cf_dlib_curl(cf_error *err)
{
    pthread_once(&curl_lib.once, open_curl);
    return dlib_result(&curl_lib, err);
}

cf_code cf_dlib_archive(cf_error *err)
{
    pthread_once(&archive_lib.once, open_archive);
    return dlib_result(&archive_lib, err);
}

cf_code cf_dlib_crypto(cf_error *err)
{
    pthread_once(&crypto_lib.once, open_crypto);
    return dlib_result(&crypto_lib, err);
}

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
