/* libcurl, libarchive and libcrypto are loaded on first use (catalog/dlib.h).
 *
 * Without arguments: none of them is mapped at start; the first sha256 loads
 * libcrypto only (from four threads at once), the first extraction libarchive,
 * the first download libcurl, and each then works. The tests run in this order
 * and build on each other: the process's loaded libraries are the state.
 *
 * With "missing": the loader is pointed at SONAMEs that do not exist, and every
 * entry point fails with CF_ERR_UNSUPPORTED naming the library and the Debian
 * package, the same way on every call, without aborting and without creating
 * anything. The real libraries stay unloaded. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog/archive.h"
#include "catalog/dlib.h"
#include "catalog/fetch.h"
#include "catalog/sha256.h"

/* sha256("abc"), FIPS 180-2 appendix B.1 */
#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static bool loaded(const char *soname)
{
    void *h = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);
    if (h)
        dlclose(h);
    return h != NULL;
}

#define TAR_SIZE (4 * 512)

static char tmp[64];

static int make_tmp(void **state)
{
    (void)state;
    snprintf(tmp, sizeof(tmp), "/tmp/cf_catalog_dlopen.XXXXXX");
    return mkdtemp(tmp) ? 0 : -1;
}

static int remove_tmp(void **state)
{
    (void)state;
    return cf_remove_tree(tmp, NULL) == CF_OK ? 0 : -1;
}

/* A one-file ustar archive ("fw/a.bin" holding "abc"): header, data, two zero blocks. */
static size_t make_tar(uint8_t buf[TAR_SIZE])
{
    memset(buf, 0, TAR_SIZE);
    char *h = (char *)buf;
    strcpy(h, "fw/a.bin");
    memcpy(h + 100, "0000644", 8);
    memcpy(h + 108, "0000000", 8);
    memcpy(h + 116, "0000000", 8);
    memcpy(h + 124, "00000000003", 12);
    memcpy(h + 136, "00000000000", 12);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += buf[i];
    snprintf(h + 148, 8, "%06o", sum);
    memcpy(buf + 512, "abc", 3);
    return TAR_SIZE;
}

static cf_code note_file(void *ctx, const char *rel_path, uint64_t size, const char *sha256_hex,
                         cf_error *err)
{
    (void)err;
    assert_string_equal(rel_path, "fw/a.bin");
    assert_int_equal(size, 3);
    assert_string_equal(sha256_hex, ABC_SHA256);
    (*(int *)ctx)++;
    return CF_OK;
}

/* ---- loaded on first use ---- */

static void test_nothing_loaded_at_start(void **state)
{
    (void)state;
    assert_false(loaded(CF_SONAME_CURL));
    assert_false(loaded(CF_SONAME_ARCHIVE));
    assert_false(loaded(CF_SONAME_CRYPTO));
    /* what needs none of them loads none of them */
    assert_null(cf_archive_path_problem("fw/a.bin"));
    assert_non_null(cf_archive_link_problem("/etc"));
    assert_false(loaded(CF_SONAME_ARCHIVE));
}

static void *hash_abc(void *out)
{
    cf_code rc = cf_sha256_buf("abc", 3, out, NULL);
    if (rc != CF_OK)
        snprintf(out, CF_SHA256_HEX, "error: %s", cf_code_name(rc));
    return NULL;
}

static void test_first_hash_loads_libcrypto(void **state)
{
    (void)state;
    /* four threads race for the first use */
    pthread_t th[4];
    char hex[4][CF_SHA256_HEX];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, hash_abc, hex[i]), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_string_equal(hex[i], ABC_SHA256);
    }
    assert_true(loaded(CF_SONAME_CRYPTO));
    assert_false(loaded(CF_SONAME_ARCHIVE));
    assert_false(loaded(CF_SONAME_CURL));
    /* the test hook refuses a library already loaded */
    assert_false(cf_dlib_test_soname("libcrypto", "libcartoflash-missing.so.0"));
}

static void test_first_extract_loads_libarchive(void **state)
{
    (void)state;
    uint8_t tar[TAR_SIZE];
    size_t len = make_tar(tar);
    char dest[96];
    snprintf(dest, sizeof(dest), "%s/tree", tmp);
    assert_int_equal(mkdir(dest, 0755), 0);
    int files = 0;
    cf_extract_opts o = {.on_file = note_file, .ctx = &files};
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_archive_extract_memory(tar, len, "a.tar", dest, &o, &err), CF_OK);
    assert_int_equal(files, 1);
    assert_true(loaded(CF_SONAME_ARCHIVE));
    assert_false(loaded(CF_SONAME_CURL));

    /* libarchive's own diagnosis of bytes that are no archive */
    cf_error_reset(&err);
    assert_int_equal(cf_archive_extract_memory("not a tar", 9, "junk.tar", dest, &o, &err),
                     CF_ERR_FORMAT);
    assert_non_null(strstr(err.message, "junk.tar"));
}

static void test_first_download_loads_libcurl(void **state)
{
    (void)state;
    /* a bound port nobody listens on: the connection is refused at once */
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
    char url[64], part[96];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/fw.tar.gz", ntohs(a.sin_port));
    snprintf(part, sizeof(part), "%s/fw.part", tmp);

    cf_fetch_opts o = {.connect_timeout_s = 5, .timeout_s = 10};
    cf_fetch_result res;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_fetch(url, part, &o, &res, &err), CF_ERR_IO);
    close(s);
    assert_non_null(strstr(err.message, "cannot reach"));
    assert_true(loaded(CF_SONAME_CURL));
}

/* ---- cannot be loaded ---- */

static void expect_unsupported(const cf_error *err, cf_code rc, const char *lib, const char *pkg)
{
    assert_int_equal(rc, CF_ERR_UNSUPPORTED);
    assert_int_equal(err->code, CF_ERR_UNSUPPORTED);
    char missing[96];
    snprintf(missing, sizeof(missing), "%s-missing.so.0", lib);
    assert_non_null(strstr(err->message, lib));
    assert_non_null(strstr(err->message, missing));
    assert_non_null(strstr(err->hint, pkg));
    assert_non_null(strstr(err->hint, "flashing a firmware file"));
}

static void test_missing_libraries(void **state)
{
    (void)state;
    assert_true(cf_dlib_test_soname("libcurl", "libcurl-missing.so.0"));
    assert_true(cf_dlib_test_soname("libarchive", "libarchive-missing.so.0"));
    assert_true(cf_dlib_test_soname("libcrypto", "libcrypto-missing.so.0"));
    assert_false(cf_dlib_test_soname("libfoo", "libfoo.so.1"));

    for (int round = 0; round < 2; round++) { /* the first result is kept */
        cf_error err;
        char hex[CF_SHA256_HEX];
        cf_error_reset(&err);
        expect_unsupported(&err, cf_sha256_buf("abc", 3, hex, &err), "libcrypto", CF_DEBPKG_CRYPTO);

        char dest[96];
        snprintf(dest, sizeof(dest), "%s/tree%d", tmp, round);
        assert_int_equal(mkdir(dest, 0755), 0);
        uint8_t tar[TAR_SIZE];
        size_t len = make_tar(tar);
        cf_error_reset(&err);
        expect_unsupported(&err, cf_archive_extract_memory(tar, len, "a.tar", dest, NULL, &err),
                           "libarchive", CF_DEBPKG_ARCHIVE);
        char inside[128];
        snprintf(inside, sizeof(inside), "%s/fw", dest);
        assert_int_not_equal(access(inside, F_OK), 0);

        char part[96];
        snprintf(part, sizeof(part), "%s/fw.part", tmp);
        cf_fetch_opts o = {0};
        cf_fetch_result res;
        cf_error_reset(&err);
        expect_unsupported(&err, cf_fetch("https://127.0.0.1:9/fw.tar.gz", part, &o, &res, &err),
                           "libcurl", CF_DEBPKG_CURL);
        assert_int_not_equal(access(part, F_OK), 0);
    }
    /* usage errors are still reported first */
    cf_fetch_opts o = {0};
    cf_fetch_result res;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_fetch("ftp://example.org/x", "/nonexistent/x", &o, &res, &err),
                     CF_ERR_USAGE);

    assert_false(cf_dlib_test_soname("libcurl", "libcurl.so.4"));
    assert_false(loaded(CF_SONAME_CURL));
    assert_false(loaded(CF_SONAME_ARCHIVE));
    assert_false(loaded(CF_SONAME_CRYPTO));
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "missing") == 0) {
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_missing_libraries)};
        return cmocka_run_group_tests_name("catalog_dlopen_missing", tests, make_tmp, remove_tmp);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_loaded_at_start),
        cmocka_unit_test(test_first_hash_loads_libcrypto),
        cmocka_unit_test(test_first_extract_loads_libarchive),
        cmocka_unit_test(test_first_download_loads_libcurl),
    };
    return cmocka_run_group_tests_name("catalog_dlopen", tests, make_tmp, remove_tmp);
}
