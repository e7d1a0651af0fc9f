#include "catalog/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/dlib_archive.h"
#include "catalog/sha256.h"

#define PATH_LIMIT 1024

const char *cf_archive_path_problem(const char *path)
{
    if (!path || !*path)
        return "empty path";
    if (path[0] == '/')
        return "absolute path";
    if (strlen(path) >= PATH_LIMIT)
        return "path too long";
    const char *p = path;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return "path contains \"..\"";
        p += len;
        if (*p == '/')
            p++;
    }
    return NULL;
}

const char *cf_archive_link_problem(const char *target)
{
    if (!target || !*target)
        return "link with an empty target";
    if (target[0] == '/')
        return "link to an absolute path (out of the tree)";
    const char *why = cf_archive_path_problem(target);
    if (why)
        return strcmp(why, "path contains \"..\"") == 0 ? "link climbing out with \"..\"" : why;
    return NULL;
}

/* "./a//b/" -> "a/b"; returns false if nothing is left (the archive's "./"). */
static bool normalize(const char *in, char *out, size_t size)
{
    size_t o = 0;
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 0)
            break;
        if (!(len == 1 && p[0] == '.')) {
            if (o + len + 2 > size)
                return false;
            if (o)
                out[o++] = '/';
            memcpy(out + o, p, len);
            o += len;
        }
        p += len;
    }
    out[o] = '\0';
    return o > 0;
}

typedef struct extractor {
    const char *name;
    int root;
    const cf_extract_opts *opts;
    uint64_t max_total, max_file, total;
    size_t max_entries, entries;
} extractor;

/* Opens the folder that holds `path`'s last component, creating folders on the
 * way when `create`. Never follows a symbolic link. Returns the fd or -1. */
static int open_parent(extractor *x, const char *path, bool create, const char **leaf,
                       cf_error *err)
{
    int fd = dup(x->root);
    if (fd < 0) {
        cf_fail(err, CF_ERR_IO, "cannot open the extraction folder: %s", strerror(errno));
        return -1;
    }
    char comp[PATH_LIMIT];
    const char *p = path;
    for (;;) {
        const char *slash = strchr(p, '/');
        if (!slash)
            break;
        size_t len = (size_t)(slash - p);
        memcpy(comp, p, len);
        comp[len] = '\0';
        int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT && create) {
            if (mkdirat(fd, comp, 0755) != 0 && errno != EEXIST) {
                cf_fail(err, CF_ERR_IO, "%s: cannot create folder for %s: %s", x->name, path,
                        strerror(errno));
                close(fd);
                return -1;
            }
            next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (next < 0) {
            int e = errno;
            close(fd);
            if (e == ELOOP || e == ENOTDIR)
                cf_fail(err, CF_ERR_FORMAT,
                        "%s: entry \"%s\" would be written through a link or a file; archive "
                        "refused",
                        x->name, path);
            else
                cf_fail(err, CF_ERR_IO, "%s: cannot open folder for %s: %s", x->name, path,
                        strerror(e));
            return -1;
        }
        close(fd);
        fd = next;
        p = slash + 1;
    }
    *leaf = p;
    return fd;
}

static cf_code make_dir(extractor *x, const char *path, cf_error *err)
{
    const char *leaf;
    int dir = open_parent(x, path, true, &leaf, err);
    if (dir < 0)
        return err && err->code ? err->code : CF_ERR_IO;
    cf_code rc = CF_OK;
    if (mkdirat(dir, leaf, 0755) != 0) {
        struct stat st;
        if (errno != EEXIST || fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISDIR(st.st_mode))
            rc = cf_fail(err, CF_ERR_FORMAT, "%s: cannot create folder \"%s\" (%s)", x->name, path,
                         errno == EEXIST ? "something else has that name" : strerror(errno));
    }
    close(dir);
    return rc;
}

static cf_code write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return CF_ERR_IO;
        p += n;
        len -= (size_t)n;
    }
    return CF_OK;
}

static cf_code copy_data(extractor *x, struct archive *a, int fd, const char *path, uint64_t *size,
                         char hex[CF_SHA256_HEX], cf_error *err)
{
    cf_sha256 *sha;
    cf_code rc = cf_sha256_begin(&sha, err);
    if (rc != CF_OK)
        return rc;
    char buf[16384];
    uint64_t got = 0;
    for (;;) {
        la_ssize_t n = sym_archive_read_data(a, buf, sizeof(buf));
        if (n == 0)
            break;
        if (n < 0) {
            rc = cf_fail(err, CF_ERR_FORMAT, "%s: cannot read \"%s\" from the archive: %s", x->name,
                         path, sym_archive_error_string(a));
            break;
        }
        got += (uint64_t)n;
        x->total += (uint64_t)n;
        if (got > x->max_file) {
            rc = cf_fail(err, CF_ERR_FORMAT, "%s: \"%s\" is larger than %llu bytes", x->name, path,
                         (unsigned long long)x->max_file);
            break;
        }
        if (x->total > x->max_total) {
            rc = cf_fail(err, CF_ERR_FORMAT, "%s: archive expands to more than %llu bytes", x->name,
                         (unsigned long long)x->max_total);
            break;
        }
        if (write_all(fd, buf, (size_t)n) != CF_OK) {
            rc = cf_fail(err, CF_ERR_IO, "%s: cannot write \"%s\": %s", x->name, path,
                         strerror(errno));
            break;
        }
        if ((rc = cf_sha256_update(sha, buf, (size_t)n, err)) != CF_OK)
            break;
    }
    if (rc != CF_OK) {
        cf_sha256_abort(sha);
        return rc;
    }
    *size = got;
    return cf_sha256_end(sha, hex, err);
}

static cf_code make_file(extractor *x, struct archive *a, const char *path, cf_error *err)
{
    const char *leaf;
    int dir = open_parent(x, path, true, &leaf, err);
    if (dir < 0)
        return err && err->code ? err->code : CF_ERR_IO;
    /* tar lets a later entry replace an earlier file; never replace anything else */
    struct stat st;
    if (fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!S_ISREG(st.st_mode) || unlinkat(dir, leaf, 0) != 0) {
            close(dir);
            return cf_fail(err, CF_ERR_FORMAT,
                           "%s: entry \"%s\" would replace a folder or link; archive refused",
                           x->name, path);
        }
    }
    int fd = openat(dir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    close(dir);
    if (fd < 0)
        return cf_fail(err, CF_ERR_IO, "%s: cannot create \"%s\": %s", x->name, path,
                       strerror(errno));
    uint64_t size = 0;
    char hex[CF_SHA256_HEX];
    cf_code rc = copy_data(x, a, fd, path, &size, hex, err);
    if (close(fd) != 0 && rc == CF_OK)
        rc = cf_fail(err, CF_ERR_IO, "%s: cannot write \"%s\": %s", x->name, path, strerror(errno));
    if (rc == CF_OK && x->opts && x->opts->on_file)
        rc = x->opts->on_file(x->opts->ctx, path, size, hex, err);
    return rc;
}

static cf_code make_symlink(extractor *x, const char *path, const char *target, cf_error *err)
{
    const char *why = cf_archive_link_problem(target);
    if (why)
        return cf_fail(err, CF_ERR_FORMAT, "%s: entry \"%s\" is a %s; archive refused", x->name,
                       path, why);
    const char *leaf;
    int dir = open_parent(x, path, true, &leaf, err);
    if (dir < 0)
        return err && err->code ? err->code : CF_ERR_IO;
    cf_code rc = CF_OK;
    if (symlinkat(target, dir, leaf) != 0)
        rc = cf_fail(err, CF_ERR_FORMAT, "%s: cannot create link \"%s\": %s", x->name, path,
                     strerror(errno));
    close(dir);
    return rc;
}

static cf_code make_hardlink(extractor *x, const char *path, const char *raw_target, cf_error *err)
{
    char target[PATH_LIMIT];
    const char *why = cf_archive_path_problem(raw_target);
    if (why || !normalize(raw_target, target, sizeof(target)))
        return cf_fail(err, CF_ERR_FORMAT,
                       "%s: entry \"%s\" is a hard link to \"%s\" (%s); archive refused", x->name,
                       path, raw_target ? raw_target : "", why ? why : "empty target");
    const char *tleaf, *leaf;
    int tdir = open_parent(x, target, false, &tleaf, err);
    if (tdir < 0)
        return cf_fail(err, CF_ERR_FORMAT,
                       "%s: entry \"%s\" is a hard link to \"%s\", which is not in the archive; "
                       "archive refused",
                       x->name, path, target);
    struct stat st;
    if (fstatat(tdir, tleaf, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
        close(tdir);
        return cf_fail(err, CF_ERR_FORMAT,
                       "%s: entry \"%s\" is a hard link to \"%s\", not an extracted file; "
                       "archive refused",
                       x->name, path, target);
    }
    int dir = open_parent(x, path, true, &leaf, err);
    if (dir < 0) {
        close(tdir);
        return err && err->code ? err->code : CF_ERR_IO;
    }
    cf_code rc = CF_OK;
    if (linkat(tdir, tleaf, dir, leaf, 0) != 0)
        rc = cf_fail(err, CF_ERR_FORMAT, "%s: cannot create hard link \"%s\": %s", x->name, path,
                     strerror(errno));
    close(dir);
    close(tdir);
    return rc;
}

static cf_code extract_entry(extractor *x, struct archive *a, struct archive_entry *e,
                             cf_error *err)
{
    const char *raw = sym_archive_entry_pathname(e);
    const char *why = cf_archive_path_problem(raw);
    if (why)
        return cf_fail(err, CF_ERR_FORMAT, "%s: entry \"%s\" refused (%s); archive refused",
                       x->name, raw ? raw : "", why);
    char path[PATH_LIMIT];
    if (!normalize(raw, path, sizeof(path)))
        return CF_OK; /* "./" itself */
    if (++x->entries > x->max_entries)
        return cf_fail(err, CF_ERR_FORMAT, "%s: more than %zu entries", x->name, x->max_entries);
    const char *hard = sym_archive_entry_hardlink(e);
    if (hard)
        return make_hardlink(x, path, hard, err);
    switch (sym_archive_entry_filetype(e)) {
    case AE_IFDIR:
        return make_dir(x, path, err);
    case AE_IFREG:
        return make_file(x, a, path, err);
    case AE_IFLNK:
        return make_symlink(x, path, sym_archive_entry_symlink(e), err);
    case AE_IFCHR:
    case AE_IFBLK:
        return cf_fail(err, CF_ERR_FORMAT, "%s: entry \"%s\" is a device file; archive refused",
                       x->name, path);
    case AE_IFIFO:
        return cf_fail(err, CF_ERR_FORMAT, "%s: entry \"%s\" is a fifo; archive refused", x->name,
                       path);
    default:
        return cf_fail(err, CF_ERR_FORMAT,
                       "%s: entry \"%s\" is not a file, folder or link; archive refused", x->name,
                       path);
    }
}

static cf_code extract(struct archive *a, const char *name, const char *dest_dir,
                       const cf_extract_opts *opts, cf_error *err)
{
    extractor x = {.name = name, .opts = opts};
    x.max_total = opts && opts->limits.max_total ? opts->limits.max_total : 256ull << 20;
    x.max_file = opts && opts->limits.max_file ? opts->limits.max_file : 64ull << 20;
    x.max_entries = opts && opts->limits.max_entries ? opts->limits.max_entries : 50000;
    x.root = open(dest_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (x.root < 0)
        return cf_fail(err, CF_ERR_IO, "cannot open %s: %s", dest_dir, strerror(errno));
    cf_code rc = CF_OK;
    bool any = false;
    for (;;) {
        struct archive_entry *e;
        int r = sym_archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            rc = cf_fail(err, CF_ERR_FORMAT, "%s is not a readable archive: %s", name,
                         sym_archive_error_string(a) ? sym_archive_error_string(a)
                                                     : "unknown error");
            break;
        }
        any = true;
        if ((rc = extract_entry(&x, a, e, err)) != CF_OK)
            break;
    }
    if (rc == CF_OK && !any)
        rc = cf_fail(err, CF_ERR_FORMAT, "%s is an empty archive", name);
    close(x.root);
    return rc;
}

static struct archive *new_reader(void)
{
    struct archive *a = sym_archive_read_new();
    if (!a)
        return NULL;
    /* gzip is built into libarchive through zlib; other filters could spawn
     * external programs, so they are not enabled. */
    sym_archive_read_support_filter_gzip(a);
    sym_archive_read_support_filter_none(a);
    sym_archive_read_support_format_tar(a);
    return a;
}

/* A reader for name, with libarchive loaded (here, on first use). */
static cf_code start_reader(const char *name, struct archive **a, cf_error *err)
{
    cf_code rc = cf_dlib_archive(err);
    if (rc != CF_OK)
        return rc;
    *a = new_reader();
    if (!*a)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory opening %s", name);
    return CF_OK;
}

/* Extracts what the opened reader a holds (open_rc is how opening it went),
 * then frees the reader. */
static cf_code extract_opened(struct archive *a, int open_rc, const char *name,
                              const char *dest_dir, const cf_extract_opts *opts, cf_error *err)
{
    cf_code rc;
    if (open_rc != ARCHIVE_OK)
        rc = cf_fail(err, CF_ERR_FORMAT, "%s is not a readable archive: %s", name,
                     sym_archive_error_string(a) ? sym_archive_error_string(a) : "unknown error");
    else
        rc = extract(a, name, dest_dir, opts, err);
    sym_archive_read_free(a);
    return rc;
}

cf_code cf_archive_extract_file(const char *archive_path, const char *dest_dir,
                                const cf_extract_opts *opts, cf_error *err)
{
    struct archive *a = NULL;
    cf_code rc = start_reader(archive_path, &a, err);
    if (rc != CF_OK)
        return rc;
    return extract_opened(a, sym_archive_read_open_filename(a, archive_path, 65536), archive_path,
                          dest_dir, opts, err);
}

cf_code cf_archive_extract_memory(const void *buf, size_t len, const char *name,
                                  const char *dest_dir, const cf_extract_opts *opts, cf_error *err)
{
    struct archive *a = NULL;
    cf_code rc = start_reader(name, &a, err);
    if (rc != CF_OK)
        return rc;
    return extract_opened(a, sym_archive_read_open_memory(a, buf, len), name, dest_dir, opts, err);
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type == FTW_DP)
        return rmdir(path) == 0 || errno == ENOENT ? 0 : -1;
    return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

cf_code cf_remove_tree(const char *path, cf_error *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT
                   ? CF_OK
                   : cf_fail(err, CF_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return unlink(path) == 0
                   ? CF_OK
                   : cf_fail(err, CF_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
    if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0)
        return cf_fail(err, CF_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
    return CF_OK;
}
