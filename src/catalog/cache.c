#include "catalog/cache.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog/archive.h"
#include "catalog/fetch.h"
#include "catalog/sha256.h"
#include "common/fileio.h"
#include "common/mem.h"

#define SUMS_MAX_BYTES (16u * 1024u * 1024u)
#define LOCK_WAIT_MS 60000

static void sanitize(const char *in, size_t len, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < size; i++) {
        char c = in[i];
        out[o++] = (isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-') ? c : '_';
    }
    out[o] = '\0';
}

/* The repository name: the component before "tar.gz" in a codeload URL
 * (.../OWNER/REPO/tar.gz/refs/heads/BRANCH), else the file name without
 * its archive extension. */
static void url_name(const char *url, char *out, size_t size)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    p = strchr(p, '/');
    out[0] = '\0';
    if (!p)
        return;
    const char *comps[32];
    size_t lens[32];
    int n = 0;
    while (*p && n < 32) {
        while (*p == '/')
            p++;
        const char *start = p;
        while (*p && *p != '/' && *p != '?' && *p != '#')
            p++;
        if (p > start) {
            comps[n] = start;
            lens[n] = (size_t)(p - start);
            n++;
        }
        if (*p == '?' || *p == '#')
            break;
    }
    for (int i = 1; i < n; i++) {
        if ((lens[i] == 6 && strncmp(comps[i], "tar.gz", 6) == 0) ||
            (lens[i] == 7 && strncmp(comps[i], "tarball", 7) == 0)) {
            sanitize(comps[i - 1], lens[i - 1], out, size);
            return;
        }
    }
    if (n == 0)
        return;
    size_t len = lens[n - 1];
    static const char *const exts[] = {".tar.gz", ".tgz", ".tar"};
    for (size_t e = 0; e < 3; e++) {
        size_t el = strlen(exts[e]);
        if (len > el && strncmp(comps[n - 1] + len - el, exts[e], el) == 0) {
            len -= el;
            break;
        }
    }
    sanitize(comps[n - 1], len, out, size);
}

void cf_cache_slug(const char *url, const char *branch, char *out, size_t size)
{
    char name[64], br[64], hex[CF_SHA256_HEX];
    url_name(url, name, sizeof(name));
    sanitize(branch ? branch : "", branch ? strlen(branch) : 0, br, sizeof(br));
    if (cf_sha256_buf(url, strlen(url), hex, NULL) != CF_OK)
        snprintf(hex, sizeof(hex), "00000000");
    hex[8] = '\0';
    snprintf(out, size, "%s%s%s-%s", name[0] ? name : "archive", br[0] ? "-" : "", br, hex);
}

/* ---- small file-system helpers ---- */

static cf_code join(char *out, size_t size, const char *a, const char *b, cf_error *err)
{
    int n = snprintf(out, size, "%s/%s", a, b);
    if (n < 0 || (size_t)n >= size)
        return cf_fail(err, CF_ERR_USAGE, "path too long: %s/%s", a, b);
    return CF_OK;
}

/* Name of the snapshot "current" points to, "" if none or not a snapshot. */
static void current_snap(const char *dir, char *name, size_t size)
{
    char link[1100];
    name[0] = '\0';
    if (join(link, sizeof(link), dir, "current", NULL) != CF_OK)
        return;
    char buf[256];
    ssize_t n = readlink(link, buf, sizeof(buf) - 1);
    if (n <= 0)
        return;
    buf[n] = '\0';
    if (strncmp(buf, "snap.", 5) != 0 || strchr(buf, '/'))
        return;
    char snap[1400];
    struct stat st;
    if (join(snap, sizeof(snap), dir, buf, NULL) != CF_OK || lstat(snap, &st) != 0 ||
        !S_ISDIR(st.st_mode))
        return;
    snprintf(name, size, "%s", buf);
}

/* Removes snapshots other than `keep` (left by crashes or replaced). */
static void remove_other_snaps(const char *dir, const char *keep)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "snap.", 5) != 0 || strcmp(e->d_name, keep) == 0)
            continue;
        char path[1400];
        if (join(path, sizeof(path), dir, e->d_name, NULL) == CF_OK)
            (void)cf_remove_tree(path, NULL);
    }
    closedir(d);
}

static void read_source_field(const char *snap, const char *key, char *out, size_t size)
{
    char path[1400];
    out[0] = '\0';
    if (join(path, sizeof(path), snap, "source.txt", NULL) != CF_OK)
        return;
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    char line[2200];
    size_t klen = strlen(key);
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
            snprintf(out, size, "%s", line + klen + 1);
            break;
        }
    }
    fclose(f);
}

static cf_code file_sha256(const char *path, char hex[CF_SHA256_HEX], cf_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cf_fail(err, CF_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    cf_sha256 *sha;
    cf_code rc = cf_sha256_begin(&sha, err);
    if (rc != CF_OK) {
        close(fd);
        return rc;
    }
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = cf_fail(err, CF_ERR_IO, "cannot read %s: %s", path, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        if ((rc = cf_sha256_update(sha, buf, (size_t)n, err)) != CF_OK)
            break;
    }
    close(fd);
    if (rc != CF_OK) {
        cf_sha256_abort(sha);
        return rc;
    }
    return cf_sha256_end(sha, hex, err);
}

/* ---- manifest.tsv while extracting ---- */

typedef struct sums_writer {
    char *buf;
    size_t len, cap;
} sums_writer;

static cf_code sums_add(void *ctx, const char *rel, uint64_t size, const char *hex, cf_error *err)
{
    sums_writer *w = ctx;
    char line[1400];
    int n = snprintf(line, sizeof(line), "%s\t%" PRIu64 "\t%s\n", hex, size, rel);
    if (n < 0 || (size_t)n >= sizeof(line))
        return cf_fail(err, CF_ERR_FORMAT, "archive path too long: %s", rel);
    /* keep one record per line whatever the file name holds */
    for (int i = 64 + 1; i < n - 1; i++) {
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = '?';
    }
    char *b = cf_grow(w->buf, &w->cap, w->len + (size_t)n, 1, 8192);
    if (!b)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory recording checksums");
    w->buf = b;
    memcpy(w->buf + w->len, line, (size_t)n);
    w->len += (size_t)n;
    return CF_OK;
}

static void now_text(char *out, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%d %H:%M UTC", &tm);
}

/* Extracts the downloaded archive into a new snapshot and switches "current"
 * to it. On failure nothing visible changes. */
static cf_code install_snapshot(const char *dir, const char *archive, const char *url,
                                const char *branch, const cf_fetch_result *fr,
                                const cf_catalog_opts *opts, cf_cache_result *out, cf_error *err)
{
    char snap[1024], tree[1100], path[1300];
    cf_code rc = join(snap, sizeof(snap), dir, "snap.XXXXXX", err);
    if (rc != CF_OK)
        return rc;
    if (!mkdtemp(snap))
        return cf_fail(err, CF_ERR_IO, "cannot create a folder in %s: %s", dir, strerror(errno));
    sums_writer sums = {0};
    char archive_sha[CF_SHA256_HEX];
    rc = join(tree, sizeof(tree), snap, "tree", err);
    if (rc == CF_OK && mkdir(tree, 0755) != 0)
        rc = cf_fail(err, CF_ERR_IO, "cannot create %s: %s", tree, strerror(errno));
    if (rc == CF_OK)
        rc = file_sha256(archive, archive_sha, err);
    if (rc == CF_OK) {
        cf_extract_opts xo = {.on_file = sums_add, .ctx = &sums};
        (void)opts;
        rc = cf_archive_extract_file(archive, tree, &xo, err);
        if (rc != CF_OK)
            cf_error_prefix(err, "downloaded archive from %s refused", url);
    }
    if (rc == CF_OK && (rc = join(path, sizeof(path), snap, "manifest.tsv", err)) == CF_OK)
        rc = cf_write_file_atomic(path, sums.buf ? sums.buf : "", sums.len, err);
    free(sums.buf);
    char fetched[64];
    now_text(fetched, sizeof(fetched));
    if (rc == CF_OK && (rc = join(path, sizeof(path), snap, "source.txt", err)) == CF_OK) {
        char info[3000];
        int n = snprintf(info, sizeof(info),
                         "url=%s\nbranch=%s\nfetched=%s\narchive_sha256=%s\nbytes=%" PRIu64
                         "\netag=%s\n",
                         url, branch ? branch : "", fetched, archive_sha, fr->bytes, fr->etag);
        if (n < 0 || (size_t)n >= sizeof(info))
            rc = cf_fail(err, CF_ERR_USAGE, "URL too long: %s", url);
        else
            rc = cf_write_file_atomic(path, info, (size_t)n, err);
    }
    /* the switch: a new symlink renamed over "current" */
    const char *base = strrchr(snap, '/') + 1;
    char link_tmp[1100], link[1100];
    if (rc == CF_OK && (rc = join(link_tmp, sizeof(link_tmp), dir, "current.new", err)) == CF_OK &&
        (rc = join(link, sizeof(link), dir, "current", err)) == CF_OK) {
        unlink(link_tmp);
        if (symlink(base, link_tmp) != 0 || rename(link_tmp, link) != 0)
            rc = cf_fail(err, CF_ERR_IO, "cannot switch the cache to the new download: %s",
                         strerror(errno));
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
    }
    if (rc != CF_OK) {
        (void)cf_remove_tree(snap, NULL);
        return rc;
    }
    remove_other_snaps(dir, base);
    memcpy(out->snap, snap, sizeof(out->snap));
    memcpy(out->tree, tree, sizeof(out->tree));
    snprintf(out->fetched, sizeof(out->fetched), "%s", fetched);
    out->fetched_now = true;
    out->bytes = fr->bytes;
    out->resumed_at = fr->resumed_at;
    return CF_OK;
}

static cf_code use_current(const char *dir, const char *cur, cf_cache_result *out, cf_error *err)
{
    int n = snprintf(out->snap, sizeof(out->snap), "%s/%s", dir, cur);
    if (n < 0 || (size_t)n >= sizeof(out->snap))
        return cf_fail(err, CF_ERR_USAGE, "cache path too long: %s", dir);
    snprintf(out->tree, sizeof(out->tree), "%s/tree", out->snap);
    read_source_field(out->snap, "fetched", out->fetched, sizeof(out->fetched));
    return CF_OK;
}

/* The files of one cache entry. */
typedef struct cache_paths {
    char dir[1024], lock[1100], part[1100], meta[1200], archive[1100];
} cache_paths;

static cf_code paths_of(const char *base, const char *url, const char *branch, cache_paths *p,
                        cf_error *err)
{
    char slug[200];
    cf_cache_slug(url, branch, slug, sizeof(slug));
    cf_code rc = join(p->dir, sizeof(p->dir), base, slug, err);
    if (rc == CF_OK)
        rc = cf_mkdirs(p->dir, 0755, err);
    if (rc == CF_OK)
        rc = join(p->lock, sizeof(p->lock), p->dir, ".lock", err);
    if (rc == CF_OK)
        rc = join(p->part, sizeof(p->part), p->dir, "download.part", err);
    if (rc == CF_OK)
        rc = join(p->archive, sizeof(p->archive), p->dir, "download.tar.gz", err);
    if (rc == CF_OK)
        snprintf(p->meta, sizeof(p->meta), "%s.meta", p->part);
    return rc;
}

/* Locks the entry: another cartoflash updating it is waited for, not forever. */
static cf_code lock_entry(const char *lock, int *fd, cf_error *err)
{
    int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (lfd < 0)
        return cf_fail(err, CF_ERR_IO, "cannot open %s: %s", lock, strerror(errno));
    int tries = 0;
    while (flock(lfd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if ((e != EWOULDBLOCK && e != EINTR) || ++tries > LOCK_WAIT_MS / 100) {
            close(lfd);
            cf_code rc = cf_fail(
                err, e == EWOULDBLOCK ? CF_ERR_TIMEOUT : CF_ERR_IO, "cannot lock %s: %s", lock,
                e == EWOULDBLOCK ? "another cartoflash is updating this cache" : strerror(e));
            cf_hint(err, "wait for the other cartoflash to finish, then try again");
            return rc;
        }
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    *fd = lfd;
    return CF_OK;
}

static cf_code use_offline(const cache_paths *p, const char *cur, const char *url,
                           cf_cache_result *out, cf_error *err)
{
    if (!cur[0]) {
        cf_fail(err, CF_ERR_NOT_FOUND, "no downloaded copy of %s in %s (offline)", url, p->dir);
        cf_hint(err, "connect to the network and run without --offline once, or use a "
                     "local copy (--source DIR)");
        return CF_ERR_NOT_FOUND;
    }
    cf_code rc = use_current(p->dir, cur, out, err);
    out->stale = true;
    snprintf(out->note, sizeof(out->note), "offline: using the copy downloaded %s",
             out->fetched[0] ? out->fetched : "earlier");
    return rc;
}

/* After a failed download: a partial one is kept for resuming (an empty one
 * is not worth it), and the copy we have, if any, is used instead. */
static cf_code after_failure(const cache_paths *p, const char *cur, cf_code rc,
                             const cf_error *ferr, cf_cache_result *out, cf_error *err)
{
    struct stat pst;
    if (stat(p->part, &pst) == 0 && pst.st_size == 0) {
        unlink(p->part);
        unlink(p->meta);
    }
    if (rc == CF_ERR_CANCELLED) {
        *err = *ferr;
        return rc;
    }
    if (cur[0]) {
        cf_code urc = use_current(p->dir, cur, out, err);
        if (urc == CF_OK) {
            out->stale = true;
            snprintf(out->note, sizeof(out->note),
                     "download failed (%s); using the copy downloaded %s", ferr->message,
                     out->fetched[0] ? out->fetched : "earlier");
        }
        return urc;
    }
    if (err && err->code == CF_OK)
        *err = *ferr;
    return rc;
}

/* Downloads the entry again, or revalidates the copy we have (If-None-Match
 * with its ETag) instead of fetching it again. */
static cf_code refresh(const cache_paths *p, const char *cur, const char *url, const char *branch,
                       const cf_catalog_opts *opts, cf_cache_result *out, cf_error *err)
{
    char have_etag[128] = "";
    if (cur[0]) {
        char snap[1100];
        if (join(snap, sizeof(snap), p->dir, cur, NULL) == CF_OK)
            read_source_field(snap, "etag", have_etag, sizeof(have_etag));
    }
    cf_fetch_opts fo = {
        .ca_file = opts->ca_file,
        .connect_timeout_s = opts->connect_timeout_s,
        .timeout_s = opts->timeout_s,
        .low_speed_s = opts->low_speed_s,
        .max_bytes = opts->max_download,
        .progress = opts->progress,
        .progress_ctx = opts->progress_ctx,
        .what = url,
        .if_none_match = have_etag,
    };
    cf_fetch_result fr;
    cf_error ferr;
    cf_error_reset(&ferr);
    cf_code rc = cf_fetch(url, p->part, &fo, &fr, &ferr);
    if (rc == CF_OK && fr.not_modified && !cur[0])
        rc = cf_fail(&ferr, CF_ERR_PROTOCOL, "%s answered \"not modified\" to a first download",
                     url);
    if (rc == CF_OK && fr.not_modified) {
        unlink(p->part);
        rc = use_current(p->dir, cur, out, err);
        if (rc == CF_OK)
            snprintf(out->note, sizeof(out->note),
                     "unchanged on the server since it was downloaded %s",
                     out->fetched[0] ? out->fetched : "earlier");
        return rc;
    }
    if (rc == CF_OK) {
        if (rename(p->part, p->archive) != 0)
            rc = cf_fail(&ferr, CF_ERR_IO, "cannot rename %s: %s", p->part, strerror(errno));
        unlink(p->meta);
    }
    if (rc == CF_OK) {
        rc = install_snapshot(p->dir, p->archive, url, branch, &fr, opts, out, &ferr);
        unlink(p->archive); /* complete or corrupt, it is not needed again */
    }
    return rc == CF_OK ? CF_OK : after_failure(p, cur, rc, &ferr, out, err);
}

cf_code cf_cache_get(const char *base, const char *url, const char *branch,
                     const cf_catalog_opts *opts, cf_cache_result *out, cf_error *err)
{
    memset(out, 0, sizeof(*out));
    cache_paths p;
    int lfd = -1;
    cf_code rc = paths_of(base, url, branch, &p, err);
    if (rc == CF_OK)
        rc = lock_entry(p.lock, &lfd, err);
    if (rc != CF_OK)
        return rc;
    char cur[256];
    current_snap(p.dir, cur, sizeof(cur));
    remove_other_snaps(p.dir, cur); /* leftovers of an interrupted run */
    if (opts->offline)
        rc = use_offline(&p, cur, url, out, err);
    else
        rc = refresh(&p, cur, url, branch, opts, out, err);
    close(lfd);
    return rc;
}

/* ---- manifest.tsv reader ---- */

cf_code cf_cache_load_sums(const char *snap, cf_cache_sums *out, cf_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[1200];
    cf_code rc = join(path, sizeof(path), snap, "manifest.tsv", err);
    if (rc != CF_OK)
        return rc;
    uint8_t *data;
    size_t size;
    rc = cf_read_file(path, SUMS_MAX_BYTES, &data, &size, err);
    if (rc != CF_OK)
        return rc;
    size_t lines = 0;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    out->paths = calloc(lines + 1, sizeof(*out->paths));
    out->sha = calloc(lines + 1, sizeof(*out->sha));
    if (!out->paths || !out->sha) {
        free(data);
        cf_cache_free_sums(out);
        return cf_fail(err, CF_ERR_NOMEM, "out of memory reading %s", path);
    }
    char *p = (char *)data, *end = p + size;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        *nl = '\0';
        char *t1 = strchr(p, '\t');
        char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (t1 && t2 && t1 - p == 64) {
            char *copy = strdup(t2 + 1);
            if (!copy) {
                free(data);
                cf_cache_free_sums(out);
                return cf_fail(err, CF_ERR_NOMEM, "out of memory reading %s", path);
            }
            memcpy(out->sha[out->count], p, 64);
            out->sha[out->count][64] = '\0';
            out->paths[out->count++] = copy;
        }
        p = nl + 1;
    }
    free(data);
    return CF_OK;
}

const char *cf_cache_sum_for(const cf_cache_sums *s, const char *rel)
{
    for (size_t i = 0; s && i < s->count; i++) {
        if (strcmp(s->paths[i], rel) == 0)
            return s->sha[i];
    }
    return NULL;
}

void cf_cache_free_sums(cf_cache_sums *s)
{
    for (size_t i = 0; s->paths && i < s->count; i++)
        free(s->paths[i]);
    free(s->paths);
    free(s->sha);
    memset(s, 0, sizeof(*s));
}
