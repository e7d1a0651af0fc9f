/* Shared by the catalogue's files; not part of the contract. */
#ifndef CF_CATALOG_INTERNAL_H
#define CF_CATALOG_INTERNAL_H

#include "catalog/cache.h"
#include "catalog/catalog.h"
#include "catalog/manifest.h"

#define CF_CATALOG_MAX_ROOTS 4
#define CF_CATALOG_MAX_FILES 5000

/* One classified file, before any filter. */
typedef struct cf_catalog_item {
    cf_catalog_entry e; /* excluded/reason unset */
    char unusable[256]; /* why this file can never be chosen, "" if it can */
} cf_catalog_item;

/* What a root brings to classification besides its files. */
typedef struct cf_root_ctx {
    cf_manifest manifest; /* empty when the tree has no firmware_list.csv */
    bool has_manifest;
    cf_cache_sums sums; /* checksums recorded when the tree was downloaded */
    bool has_sums;
    char sums_prefix[512]; /* firmware folder's path inside the snapshot's tree/, with '/' */
} cf_root_ctx;

struct cf_catalog {
    cf_catalog_root roots[CF_CATALOG_MAX_ROOTS];
    size_t root_count;
    cf_catalog_item *items;
    size_t count, cap;
    char warnings[1024];
};

/* Inspects one file and fills item (never fails on odd content: what is
 * wrong goes into item->unusable / item->e.notes). */
cf_code cf_catalog_classify(const char *abs_path, const char *rel_path, const cf_catalog_root *root,
                            const cf_root_ctx *ctx, cf_catalog_item *item, cf_error *err);

/* Walks root->dir (or the single file) and appends an item per firmware file. */
cf_code cf_catalog_scan(cf_catalog *cat, const cf_catalog_root *root, const cf_root_ctx *ctx,
                        const char *single_file, cf_error *err);

/* Applies the filter to one item: false with `reason` filled if excluded. */
bool cf_catalog_match(const cf_catalog_item *item, const cf_catalog_filter *f, char *reason,
                      size_t size);

/* snprintf that says whether everything fitted (the text is cut otherwise). */
bool cf_catalog_fmt(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends to the text already in buf (cut when full). */
void cf_catalog_append(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Adds a "; "-separated note. */
void cf_catalog_note(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
