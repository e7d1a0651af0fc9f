/* Opening a catalogue: resolving where firmware comes from and classifying
 * every file found there. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "catalog/catalog_internal.h"
#include "common/fileio.h"

static bool is_url(const char *s)
{
    return strncasecmp(s, "https://", 8) == 0 || strncasecmp(s, "http://", 7) == 0;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static void warn(cf_catalog *cat, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(cf_catalog *cat, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cf_catalog_note(cat->warnings, sizeof(cat->warnings), "%s", msg);
}

/* Replaces "{branch}" (every occurrence) in a URL template. */
static cf_code expand_url(const char *tmpl, const char *branch, char *out, size_t size,
                          cf_error *err)
{
    size_t o = 0;
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, "{branch}", 8) == 0) {
            size_t bl = strlen(branch);
            if (o + bl >= size)
                return cf_fail(err, CF_ERR_USAGE, "URL too long: %s", tmpl);
            memcpy(out + o, branch, bl);
            o += bl;
            p += 8;
        } else {
            if (o + 1 >= size)
                return cf_fail(err, CF_ERR_USAGE, "URL too long: %s", tmpl);
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    return CF_OK;
}

/* A branch name goes into a URL path: keep it to what git allows and what
 * needs no escaping. */
static bool branch_ok(const char *b)
{
    if (!*b || strlen(b) > 100 || strstr(b, "..") || b[0] == '/' || b[0] == '-')
        return false;
    for (const char *p = b; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '/'))
            return false;
    }
    return true;
}

static cf_catalog_root *new_root(cf_catalog *cat, cf_error *err)
{
    if (cat->root_count == CF_CATALOG_MAX_ROOTS) {
        cf_fail(err, CF_ERR_USAGE, "too many firmware sources");
        return NULL;
    }
    cf_catalog_root *r = &cat->roots[cat->root_count];
    memset(r, 0, sizeof(*r));
    return r;
}

/* A repository root (holding firmware/) or a firmware folder: fills r->dir and
 * loads firmware_list.csv when there is one (next to firmware/ or inside). */
static cf_code open_tree(cf_catalog *cat, cf_catalog_root *r, const char *dir, cf_root_ctx *ctx,
                         cf_error *err)
{
    char real[PATH_MAX], fw[PATH_MAX + 16], csv[PATH_MAX + 32];
    if (!realpath(dir, real))
        return cf_fail(err, errno == ENOENT ? CF_ERR_NOT_FOUND : CF_ERR_IO, "cannot open %s: %s",
                       dir, strerror(errno));
    cf_catalog_fmt(fw, sizeof(fw), "%s/firmware", real);
    bool repo = is_dir(fw);
    if (!repo)
        cf_catalog_fmt(fw, sizeof(fw), "%s", real);
    if (strlen(fw) >= sizeof(r->dir))
        return cf_fail(err, CF_ERR_USAGE, "path too long: %s", fw);
    cf_catalog_fmt(r->dir, sizeof(r->dir), "%s", fw);

    csv[0] = '\0';
    char try1[PATH_MAX + 32], try2[PATH_MAX + 32];
    cf_catalog_fmt(try1, sizeof(try1), "%s/firmware_list.csv", repo ? real : fw);
    cf_catalog_fmt(try2, sizeof(try2), "%s/firmware_list.csv", fw);
    if (is_file(try1))
        cf_catalog_fmt(csv, sizeof(csv), "%s", try1);
    else if (is_file(try2))
        cf_catalog_fmt(csv, sizeof(csv), "%s", try2);
    else if (!repo) {
        /* a firmware/ folder given directly: its manifest sits one level up */
        const char *slash = strrchr(fw, '/');
        if (slash && strcmp(slash, "/firmware") == 0) {
            cf_catalog_fmt(try1, sizeof(try1), "%.*s/firmware_list.csv", (int)(slash - fw), fw);
            if (is_file(try1))
                cf_catalog_fmt(csv, sizeof(csv), "%s", try1);
        }
    }
    if (csv[0]) {
        cf_error merr;
        cf_error_reset(&merr);
        if (cf_manifest_load(csv, &ctx->manifest, &merr) == CF_OK)
            ctx->has_manifest = true;
        else
            warn(cat, "manifest ignored: %s", merr.message);
    }
    return CF_OK;
}

static cf_code scan_root(cf_catalog *cat, cf_root_ctx *ctx, const char *single, cf_error *err)
{
    cf_catalog_root *r = &cat->roots[cat->root_count];
    cat->root_count++;
    cf_code rc = cf_catalog_scan(cat, r, ctx, single, err);
    cf_manifest_free(&ctx->manifest);
    if (ctx->has_sums)
        cf_cache_free_sums(&ctx->sums);
    return rc;
}

static cf_code open_file(cf_catalog *cat, const char *path, cf_error *err)
{
    cf_catalog_root *r = new_root(cat, err);
    if (!r)
        return CF_ERR_USAGE;
    char real[PATH_MAX];
    if (!realpath(path, real))
        return cf_fail(err, CF_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    char *slash = strrchr(real, '/');
    cf_catalog_fmt(r->label, sizeof(r->label), "file %s", real);
    cf_catalog_fmt(r->dir, sizeof(r->dir), "%.*s", slash && slash != real ? (int)(slash - real) : 1,
                   real);
    cf_root_ctx ctx = {0};
    return scan_root(cat, &ctx, real, err);
}

/* label_given: name the root by `dir` as given (local clones, which the user
 * knows by that name) rather than by its resolved path. */
static cf_code open_dir(cf_catalog *cat, const char *dir, const char *label_prefix,
                        bool label_given, cf_error *err)
{
    cf_catalog_root *r = new_root(cat, err);
    if (!r)
        return CF_ERR_USAGE;
    cf_root_ctx ctx = {0};
    cf_code rc = open_tree(cat, r, dir, &ctx, err);
    if (rc != CF_OK)
        return rc;
    cf_catalog_fmt(r->label, sizeof(r->label), "%s %s", label_prefix, label_given ? dir : r->dir);
    return scan_root(cat, &ctx, NULL, err);
}

/* GitHub tarballs hold one top folder ("cartographer-klipper-master/"). */
static void archive_top(const char *tree, char *out, size_t size)
{
    cf_catalog_fmt(out, size, "%s", tree);
    DIR *d = opendir(tree);
    if (!d)
        return;
    struct dirent *e;
    int count = 0;
    char only[256] = "";
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        count++;
        cf_catalog_fmt(only, sizeof(only), "%s", e->d_name);
    }
    closedir(d);
    char cand[1400];
    cf_catalog_fmt(cand, sizeof(cand), "%s/%s", tree, only);
    struct stat st;
    if (count == 1 && lstat(cand, &st) == 0 && S_ISDIR(st.st_mode))
        cf_catalog_fmt(out, size, "%s", cand);
}

static cf_code open_download(cf_catalog *cat, const cf_catalog_opts *opts, const char *url,
                             const char *branch, cf_error *err)
{
    char base[1024];
    cf_code rc;
    if (opts->cache_dir) {
        cf_catalog_fmt(base, sizeof(base), "%s", opts->cache_dir);
    } else {
        char xdg[900];
        if ((rc = cf_xdg_dir("cache", xdg, sizeof(xdg), err)) != CF_OK)
            return rc;
        cf_catalog_fmt(base, sizeof(base), "%s/firmware", xdg);
    }
    cf_catalog_opts o = *opts;
    if (!o.ca_file)
        o.ca_file = getenv("CARTOFLASH_CA_FILE");
    if (o.ca_file && !o.ca_file[0])
        o.ca_file = NULL;
    cf_cache_result res;
    if ((rc = cf_cache_get(base, url, branch, &o, &res, err)) != CF_OK)
        return rc;
    cf_catalog_root *r = new_root(cat, err);
    if (!r)
        return CF_ERR_USAGE;
    cf_root_ctx ctx = {0};
    char top[1400];
    archive_top(res.tree, top, sizeof(top));
    if ((rc = open_tree(cat, r, top, &ctx, err)) != CF_OK)
        return rc;
    r->from_cache = true;
    r->stale = res.stale;
    if (res.stale) {
        cf_catalog_fmt(r->label, sizeof(r->label), "cache of %.150s (downloaded %s)", url,
                       res.fetched[0] ? res.fetched : "earlier");
        cf_catalog_fmt(r->note, sizeof(r->note), "%s", res.note);
        warn(cat, "%s", res.note);
    } else if (!res.fetched_now) {
        cf_catalog_fmt(r->label, sizeof(r->label), "download %.200s (cached copy, up to date)",
                       url);
        cf_catalog_fmt(r->note, sizeof(r->note), "%s", res.note);
    } else {
        cf_catalog_fmt(r->label, sizeof(r->label), "download %.200s", url);
        if (res.resumed_at)
            cf_catalog_fmt(r->note, sizeof(r->note), "download resumed at byte %llu",
                           (unsigned long long)res.resumed_at);
    }
    if (strncasecmp(url, "http://", 7) == 0)
        warn(cat, "%s was fetched over plain HTTP (not protected against tampering)", url);
    /* checksums recorded at extraction: a cached file that changed is refused */
    char real_tree[PATH_MAX];
    if (realpath(res.tree, real_tree) && strncmp(r->dir, real_tree, strlen(real_tree)) == 0) {
        const char *inside = r->dir + strlen(real_tree);
        while (*inside == '/')
            inside++;
        cf_catalog_fmt(ctx.sums_prefix, sizeof(ctx.sums_prefix), "%s%s", inside,
                       *inside ? "/" : "");
        cf_error serr;
        cf_error_reset(&serr);
        if (cf_cache_load_sums(res.snap, &ctx.sums, &serr) == CF_OK)
            ctx.has_sums = true;
        else
            warn(cat, "cache checksums unreadable: %s", serr.message);
    }
    return scan_root(cat, &ctx, NULL, err);
}

static cf_code open_defaults(cf_catalog *cat, const cf_catalog_opts *opts, const char *branch,
                             cf_error *err)
{
    static const char *const urls[] = {CF_CATALOG_URL_KLIPPER, CF_CATALOG_URL_FIRMWARE};
    const char *env = getenv("CARTOFLASH_FIRMWARE_URL");
    size_t ok = 0;
    cf_error first;
    cf_error_reset(&first);
    for (size_t i = 0; i < 2; i++) {
        const char *tmpl = env && env[0] ? env : urls[i];
        char url[1024];
        cf_error e;
        cf_error_reset(&e);
        cf_code rc = expand_url(tmpl, branch, url, sizeof(url), &e);
        if (rc == CF_OK)
            rc = open_download(cat, opts, url, branch, &e);
        if (rc == CF_OK)
            ok++;
        else if (rc == CF_ERR_CANCELLED || rc == CF_ERR_NOMEM) {
            *err = e;
            return rc;
        } else {
            if (first.code == CF_OK)
                first = e;
            warn(cat, "%s", e.message);
        }
        if (env && env[0])
            break;
    }
    if (ok)
        return CF_OK;
    if (err)
        *err = first;
    return first.code ? first.code : CF_ERR_NOT_FOUND;
}

cf_code cf_catalog_open(const cf_catalog_opts *opts, cf_catalog **out, cf_error *err)
{
    *out = NULL;
    cf_catalog_opts none = {0};
    if (!opts)
        opts = &none;
    const char *branch = opts->branch && opts->branch[0] ? opts->branch : CF_CATALOG_DEFAULT_BRANCH;
    if (!branch_ok(branch))
        return cf_fail(err, CF_ERR_USAGE, "\"%s\" is not a branch name", branch);
    cf_catalog *cat = calloc(1, sizeof(*cat));
    if (!cat)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    cf_code rc = CF_OK;
    const char *src = opts->source && opts->source[0] ? opts->source : NULL;

    if (src && is_url(src)) {
        char url[1024];
        rc = expand_url(src, branch, url, sizeof(url), err);
        if (rc == CF_OK)
            /* a URL without "{branch}" names one archive: no branch involved */
            rc = open_download(cat, opts, url, strstr(src, "{branch}") ? branch : NULL, err);
    } else if (src) {
        struct stat st;
        if (stat(src, &st) != 0) {
            rc = cf_fail(err, CF_ERR_NOT_FOUND, "firmware source %s: %s", src, strerror(errno));
            cf_hint(err, "give an existing file or folder, or an https:// URL");
        } else if (S_ISREG(st.st_mode)) {
            rc = open_file(cat, src, err);
        } else if (S_ISDIR(st.st_mode)) {
            rc = open_dir(cat, src, "--source", false, err);
        } else {
            rc = cf_fail(err, CF_ERR_USAGE, "firmware source %s is not a file or folder", src);
        }
    } else {
        bool local = false;
        if (!opts->download) {
            const char *home = opts->home ? opts->home : getenv("HOME");
            static const char *const clones[] = {"cartographer-klipper", "cartographer_firmware"};
            for (size_t i = 0; home && home[0] == '/' && i < 2 && rc == CF_OK; i++) {
                char fw[PATH_MAX];
                cf_catalog_fmt(fw, sizeof(fw), "%s/%s/firmware", home, clones[i]);
                if (is_dir(fw)) {
                    rc = open_dir(cat, fw, "local clone", true, err);
                    local = true;
                }
            }
        }
        if (rc == CF_OK && !local)
            rc = open_defaults(cat, opts, branch, err);
    }
    if (rc != CF_OK) {
        cf_catalog_close(cat);
        return rc;
    }
    *out = cat;
    return CF_OK;
}

void cf_catalog_close(cf_catalog *cat)
{
    if (!cat)
        return;
    free(cat->items);
    free(cat);
}

size_t cf_catalog_root_count(const cf_catalog *cat)
{
    return cat->root_count;
}

const cf_catalog_root *cf_catalog_root_at(const cf_catalog *cat, size_t i)
{
    return i < cat->root_count ? &cat->roots[i] : NULL;
}

const char *cf_catalog_warnings(const cf_catalog *cat)
{
    return cat->warnings;
}
