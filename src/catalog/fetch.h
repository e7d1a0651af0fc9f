/* HTTPS download of one file with libcurl, safely:
 *  - TLS peer and host verified (CA bundle from opts->ca_file or the system);
 *  - only https (http only when the URL itself says http, for local mirrors
 *    and tests); redirects never downgrade https to http;
 *  - connect/total/low-speed timeouts, a size limit checked on the announced
 *    length and on the bytes received;
 *  - resumable: a partial file left by an interrupted run is continued with a
 *    Range request guarded by If-Range (the server's ETag), so a changed file
 *    restarts from zero instead of being spliced; servers that ignore ranges
 *    simply send the whole file again.
 * The data goes to `part_path`; the caller renames or removes it. */
#ifndef CF_CATALOG_FETCH_H
#define CF_CATALOG_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "common/error.h"

typedef struct cf_fetch_opts {
    const char *ca_file;    /* NULL = system store */
    long connect_timeout_s; /* 0 = 15 */
    long timeout_s;         /* 0 = 300 */
    long low_speed_s;       /* 0 = 30 */
    uint64_t max_bytes;     /* 0 = CF_CATALOG_MAX_DOWNLOAD */
    cf_catalog_progress_fn progress;
    void *progress_ctx;
    const char *what;          /* label passed to progress */
    const char *if_none_match; /* ETag of the copy we have: 304 means "unchanged" */
} cf_fetch_opts;

typedef struct cf_fetch_result {
    long http_status;
    uint64_t bytes;      /* size of the complete file */
    uint64_t resumed_at; /* bytes kept from an earlier partial download, 0 if restarted */
    char etag[128];
    bool not_modified; /* 304: the server's file is the one we have; part_path is empty */
} cf_fetch_result;

cf_code cf_fetch(const char *url, const char *part_path, const cf_fetch_opts *opts,
                 cf_fetch_result *res, cf_error *err);

#endif
