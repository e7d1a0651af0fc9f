/* Walking a firmware tree: every file that looks like firmware is classified.
 * Symbolic links are not followed (a tree cannot send us elsewhere). */
#include <dirent.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "catalog/catalog_internal.h"
#include "common/mem.h"

#define MAX_DEPTH 12

static bool firmware_name(const char *name)
{
    static const char *const exts[] = {".bin", ".hex", ".dfu", ".uf2"};
    size_t len = strlen(name);
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        size_t el = strlen(exts[i]);
        if (len > el && strcasecmp(name + len - el, exts[i]) == 0)
            return true;
    }
    return false;
}

static cf_code add_item(cf_catalog *cat, const char *abs, const char *rel,
                        const cf_catalog_root *root, const cf_root_ctx *ctx, cf_error *err)
{
    if (cat->count == CF_CATALOG_MAX_FILES)
        return cf_fail(err, CF_ERR_FORMAT, "%s holds more than %u firmware files", root->dir,
                       CF_CATALOG_MAX_FILES);
    cf_catalog_item *v = cf_grow(cat->items, &cat->cap, cat->count + 1, sizeof(*v), 64);
    if (!v)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory listing firmware");
    cat->items = v;
    cf_code rc = cf_catalog_classify(abs, rel, root, ctx, &cat->items[cat->count], err);
    if (rc == CF_OK)
        cat->count++;
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static cf_code walk(cf_catalog *cat, const cf_catalog_root *root, const cf_root_ctx *ctx,
                    const char *abs, const char *rel, int depth, cf_error *err)
{
    if (depth > MAX_DEPTH)
        return CF_OK;
    DIR *d = opendir(abs);
    if (!d)
        return cf_fail(err, errno == EACCES ? CF_ERR_ACCESS : CF_ERR_IO, "cannot read %s: %s", abs,
                       strerror(errno));
    /* sorted, so listings are stable */
    char **names = NULL;
    size_t n = 0, cap = 0;
    cf_code rc = CF_OK;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue; /* ".", "..", ".git" and other hidden entries */
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **v = realloc(names, cap * sizeof(*v));
            if (!v) {
                rc = cf_fail(err, CF_ERR_NOMEM, "out of memory listing %s", abs);
                break;
            }
            names = v;
        }
        if (!(names[n] = strdup(de->d_name))) {
            rc = cf_fail(err, CF_ERR_NOMEM, "out of memory listing %s", abs);
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == CF_OK && n)
        qsort(names, n, sizeof(*names), name_cmp);
    for (size_t i = 0; i < n && rc == CF_OK; i++) {
        char a[1024], r[512];
        int la = snprintf(a, sizeof(a), "%s/%s", abs, names[i]);
        int lr = rel[0] ? snprintf(r, sizeof(r), "%s/%s", rel, names[i])
                        : snprintf(r, sizeof(r), "%s", names[i]);
        if (la < 0 || (size_t)la >= sizeof(a) || lr < 0 || (size_t)lr >= sizeof(r))
            continue; /* cannot be named in an entry */
        struct stat st;
        if (lstat(a, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            rc = walk(cat, root, ctx, a, r, depth + 1, err);
        else if (S_ISREG(st.st_mode) && firmware_name(names[i]))
            rc = add_item(cat, a, r, root, ctx, err);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

cf_code cf_catalog_scan(cf_catalog *cat, const cf_catalog_root *root, const cf_root_ctx *ctx,
                        const char *single_file, cf_error *err)
{
    if (single_file) {
        const char *base = strrchr(single_file, '/');
        return add_item(cat, single_file, base ? base + 1 : single_file, root, ctx, err);
    }
    return walk(cat, root, ctx, root->dir, "", 0, err);
}
