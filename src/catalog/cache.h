/* The download cache: $XDG_CACHE_HOME/cartoflash/firmware/<name>-<branch>-<hash>/
 *
 *   .lock              flock()ed while a cartoflash updates this entry
 *   download.part      the tarball being downloaded (+ .meta: URL and ETag, for resuming)
 *   snap.XXXXXX/       one complete snapshot:
 *       tree/          the extracted archive (GitHub layout: one top folder)
 *       manifest.tsv   "sha256<TAB>size<TAB>path" of every extracted file
 *       source.txt     url, branch, fetch time, archive sha256, ETag
 *   current -> snap.XXXXXX   switched atomically (rename of a symlink) only
 *                            after a snapshot is complete
 *
 * A failed or interrupted download, or a corrupt archive, leaves "current" as
 * it was; the caller is told (stale + note) and uses it. */
#ifndef CF_CATALOG_CACHE_H
#define CF_CATALOG_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "common/error.h"

typedef struct cf_cache_result {
    char snap[1024]; /* absolute snapshot folder */
    char tree[1100]; /* snap + "/tree" */
    bool stale;      /* an older snapshot is used (download failed or offline) */
    bool fetched_now;
    char note[640];
    char fetched[64]; /* when the snapshot was downloaded, "" if unknown */
    uint64_t bytes;   /* archive size when fetched now */
    uint64_t resumed_at;
} cf_cache_result;

/* Entry folder name for a URL: "<name>-<branch>-<8 hex>" made of [A-Za-z0-9._-]. */
void cf_cache_slug(const char *url, const char *branch, char *out, size_t size);

/* Downloads `url` (unless opts->offline) into the cache under `base` and
 * returns the snapshot to use. */
cf_code cf_cache_get(const char *base, const char *url, const char *branch,
                     const cf_catalog_opts *opts, cf_cache_result *out, cf_error *err);

/* sha256 recorded for `rel` (path inside tree/) in a snapshot's manifest.tsv. */
typedef struct cf_cache_sums {
    char **paths;
    char (*sha)[65];
    size_t count;
} cf_cache_sums;
cf_code cf_cache_load_sums(const char *snap, cf_cache_sums *out, cf_error *err);
const char *cf_cache_sum_for(const cf_cache_sums *s, const char *rel);
void cf_cache_free_sums(cf_cache_sums *s);

#endif
