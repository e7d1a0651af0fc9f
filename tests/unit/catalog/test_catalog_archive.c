/* Safe extraction: archives made here with libarchive's writer, holding
 * traversal, absolute paths, links out of the tree, device files and fifos.
 * Every hostile archive must be refused, and nothing may appear outside the
 * extraction folder (checked by listing its parent before and after). */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog/archive.h"

typedef struct spec {
    const char *path;
    unsigned type; /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFIFO; 0 = hard link */
    const char *data_or_target;
} spec;

static uint8_t tar_buf[1 << 20];

/* Builds a tar (gzip when `gz`) in tar_buf; returns its size. */
static size_t make_tar(const spec *s, size_t n, bool gz)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (gz)
        archive_write_add_filter_gzip(a);
    size_t used = 0;
    assert_int_equal(archive_write_open_memory(a, tar_buf, sizeof(tar_buf), &used), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, s[i].path);
        archive_entry_set_perm(e, 0644);
        size_t len = 0;
        if (s[i].type == 0) {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_hardlink(e, s[i].data_or_target);
        } else {
            archive_entry_set_filetype(e, s[i].type);
            if (s[i].type == AE_IFLNK)
                archive_entry_set_symlink(e, s[i].data_or_target);
            if (s[i].type == AE_IFREG) {
                len = strlen(s[i].data_or_target);
                archive_entry_set_size(e, (la_int64_t)len);
            }
            if (s[i].type == AE_IFCHR)
                archive_entry_set_rdev(e, makedev(1, 3));
        }
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        if (len)
            assert_int_equal(archive_write_data(a, s[i].data_or_target, len), (la_ssize_t)len);
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    return used;
}

typedef struct sandbox {
    char parent[256];
    char dest[300];
} sandbox;

static void sandbox_open(sandbox *sb)
{
    snprintf(sb->parent, sizeof(sb->parent), "/tmp/cf_catalog_archive.XXXXXX");
    assert_non_null(mkdtemp(sb->parent));
    snprintf(sb->dest, sizeof(sb->dest), "%s/dest", sb->parent);
    assert_int_equal(mkdir(sb->dest, 0755), 0);
}

/* The parent must hold only "dest": nothing escaped. */
static void assert_nothing_outside(const sandbox *sb)
{
    DIR *d = opendir(sb->parent);
    assert_non_null(d);
    struct dirent *e;
    int count = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        assert_string_equal(e->d_name, "dest");
        count++;
    }
    closedir(d);
    assert_int_equal(count, 1);
    /* the usual targets of these attacks were not touched either */
    assert_int_not_equal(access("/tmp/cf_catalog_escaped", F_OK), 0);
}

static void sandbox_close(sandbox *sb)
{
    assert_int_equal(cf_remove_tree(sb->parent, NULL), CF_OK);
    assert_int_not_equal(access(sb->parent, F_OK), 0);
}

typedef struct seen {
    char paths[8][64];
    char sha[8][65];
    int n;
} seen;

static cf_code on_file(void *ctx, const char *rel, uint64_t size, const char *hex, cf_error *err)
{
    (void)size;
    (void)err;
    seen *s = ctx;
    if (s->n < 8) {
        snprintf(s->paths[s->n], sizeof(s->paths[0]), "%s", rel);
        snprintf(s->sha[s->n], sizeof(s->sha[0]), "%s", hex);
        s->n++;
    }
    return CF_OK;
}

static void test_path_rules(void **state)
{
    (void)state;
    assert_null(cf_archive_path_problem("repo-master/firmware/v4/a.bin"));
    assert_null(cf_archive_path_problem("./a/./b"));
    assert_null(cf_archive_path_problem("a/..b/c..")); /* dots inside names are fine */
    assert_non_null(cf_archive_path_problem("/etc/passwd"));
    assert_non_null(cf_archive_path_problem("a/../../b"));
    assert_non_null(cf_archive_path_problem(".."));
    assert_non_null(cf_archive_path_problem("a/.."));
    assert_non_null(cf_archive_path_problem(""));
    assert_non_null(cf_archive_path_problem(NULL));
    char longp[1100];
    memset(longp, 'a', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = '\0';
    assert_non_null(cf_archive_path_problem(longp));

    assert_null(cf_archive_link_problem("sub/file.bin"));
    assert_non_null(cf_archive_link_problem("/etc/passwd"));
    assert_non_null(cf_archive_link_problem("../../outside"));
    assert_non_null(cf_archive_link_problem("a/../b")); /* any ".." in a link is refused */
    assert_non_null(cf_archive_link_problem(""));
}

static void test_good_archive(void **state)
{
    (void)state;
    const spec s[] = {
        {"./", AE_IFDIR, NULL},
        {"repo-master/", AE_IFDIR, NULL},
        {"repo-master/firmware/v4/a.bin", AE_IFREG, "hello"},
        {"repo-master/firmware/link.bin", AE_IFLNK, "v4/a.bin"},
        {"repo-master/firmware/hard.bin", 0, "repo-master/firmware/v4/a.bin"},
        {"repo-master/firmware/v4/a.bin", AE_IFREG, "hello again"}, /* later entry wins */
    };
    size_t len = make_tar(s, sizeof(s) / sizeof(s[0]), true);
    sandbox sb;
    sandbox_open(&sb);
    seen got = {0};
    cf_extract_opts o = {.on_file = on_file, .ctx = &got};
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_archive_extract_memory(tar_buf, len, "good.tar.gz", sb.dest, &o, &err),
                     CF_OK);
    char p[512], buf[64] = {0};
    snprintf(p, sizeof(p), "%s/repo-master/firmware/v4/a.bin", sb.dest);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    assert_true(fgets(buf, sizeof(buf), f) != NULL);
    fclose(f);
    assert_string_equal(buf, "hello again");
    snprintf(p, sizeof(p), "%s/repo-master/firmware/link.bin", sb.dest);
    char target[64] = {0};
    assert_int_equal(readlink(p, target, sizeof(target) - 1), 8);
    assert_string_equal(target, "v4/a.bin");
    snprintf(p, sizeof(p), "%s/repo-master/firmware/hard.bin", sb.dest);
    struct stat st;
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(got.n, 2);
    assert_string_equal(got.paths[0], "repo-master/firmware/v4/a.bin");
    /* sha256("hello") */
    assert_string_equal(got.sha[0],
                        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    assert_nothing_outside(&sb);
    sandbox_close(&sb);
}

/* Each hostile archive: a harmless file first (so extraction has started),
 * then the attack, then a file that must not be written after the refusal. */
static void refuse(const spec *attack, size_t n, const char *needle)
{
    spec s[8];
    s[0] = (spec){"top/ok.bin", AE_IFREG, "fine"};
    memcpy(s + 1, attack, n * sizeof(*attack));
    s[n + 1] = (spec){"top/after.bin", AE_IFREG, "must not exist"};
    size_t len = make_tar(s, n + 2, false);
    sandbox sb;
    sandbox_open(&sb);
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_archive_extract_memory(tar_buf, len, "evil.tar", sb.dest, NULL, &err),
                     CF_ERR_FORMAT);
    if (!strstr(err.message, needle))
        fail_msg("message \"%s\" lacks \"%s\"", err.message, needle);
    assert_non_null(strstr(err.message, "refused"));
    char p[512];
    snprintf(p, sizeof(p), "%s/top/after.bin", sb.dest);
    assert_int_not_equal(access(p, F_OK), 0);
    assert_nothing_outside(&sb);
    sandbox_close(&sb);
}

static void test_traversal(void **state)
{
    (void)state;
    const spec dotdot[] = {{"../cf_catalog_escaped", AE_IFREG, "x"}};
    refuse(dotdot, 1, "\"..\"");
    const spec deep[] = {{"top/../../cf_catalog_escaped", AE_IFREG, "x"}};
    refuse(deep, 1, "\"..\"");
    const spec abs[] = {{"/tmp/cf_catalog_escaped", AE_IFREG, "x"}};
    refuse(abs, 1, "absolute");
}

static void test_links(void **state)
{
    (void)state;
    const spec sym_abs[] = {{"top/etc", AE_IFLNK, "/tmp"}};
    refuse(sym_abs, 1, "absolute");
    const spec sym_up[] = {{"top/up", AE_IFLNK, "../.."}};
    refuse(sym_up, 1, "\"..\"");
    /* a link to a folder, then a file written "through" it */
    const spec through[] = {{"top/sub", AE_IFDIR, NULL},
                            {"top/via", AE_IFLNK, "sub"},
                            {"top/via/x.bin", AE_IFREG, "x"}};
    refuse(through, 3, "through a link");
    const spec hard_abs[] = {{"top/passwd", 0, "/etc/passwd"}};
    refuse(hard_abs, 1, "absolute");
    const spec hard_up[] = {{"top/h", 0, "../cf_catalog_escaped"}};
    refuse(hard_up, 1, "\"..\"");
    const spec hard_missing[] = {{"top/h", 0, "top/nothing"}};
    refuse(hard_missing, 1, "not an extracted file");
    /* a file must not replace a link (writing through it later) */
    const spec replace[] = {{"top/l", AE_IFLNK, "ok.bin"}, {"top/l", AE_IFREG, "x"}};
    refuse(replace, 2, "replace");
}

static void test_special_files(void **state)
{
    (void)state;
    const spec dev[] = {{"top/null", AE_IFCHR, NULL}};
    refuse(dev, 1, "device");
    const spec fifo[] = {{"top/pipe", AE_IFIFO, NULL}};
    refuse(fifo, 1, "fifo");
}

static void test_corrupt_and_limits(void **state)
{
    (void)state;
    sandbox sb;
    sandbox_open(&sb);
    cf_error err;
    cf_error_reset(&err);
    static const uint8_t junk[] = "this is not a tarball at all, just text that goes on.";
    assert_int_equal(
        cf_archive_extract_memory(junk, sizeof(junk), "junk.tar.gz", sb.dest, NULL, &err),
        CF_ERR_FORMAT);
    assert_non_null(strstr(err.message, "junk.tar.gz"));

    /* a gzip stream cut in half */
    const spec s[] = {{"top/a.bin", AE_IFREG, "0123456789012345678901234567890123456789"}};
    size_t len = make_tar(s, 1, true);
    cf_error_reset(&err);
    assert_int_equal(cf_archive_extract_memory(tar_buf, len / 2, "cut.tar.gz", sb.dest, NULL, &err),
                     CF_ERR_FORMAT);

    /* size limit */
    len = make_tar(s, 1, false);
    cf_extract_opts o = {.limits = {.max_file = 10}};
    cf_error_reset(&err);
    assert_int_equal(cf_archive_extract_memory(tar_buf, len, "big.tar", sb.dest, &o, &err),
                     CF_ERR_FORMAT);
    assert_non_null(strstr(err.message, "larger than"));
    /* entry limit */
    const spec many[] = {{"a/", AE_IFDIR, NULL}, {"b/", AE_IFDIR, NULL}, {"c/", AE_IFDIR, NULL}};
    len = make_tar(many, 3, false);
    cf_extract_opts o2 = {.limits = {.max_entries = 2}};
    cf_error_reset(&err);
    assert_int_equal(cf_archive_extract_memory(tar_buf, len, "many.tar", sb.dest, &o2, &err),
                     CF_ERR_FORMAT);
    assert_non_null(strstr(err.message, "entries"));
    assert_nothing_outside(&sb);
    sandbox_close(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_rules),    cmocka_unit_test(test_good_archive),
        cmocka_unit_test(test_traversal),     cmocka_unit_test(test_links),
        cmocka_unit_test(test_special_files), cmocka_unit_test(test_corrupt_and_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
