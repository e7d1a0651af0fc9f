/* Safe extraction of a downloaded tarball (tar, optionally gzip/bzip2/xz/zstd
 * compressed; zip too) into a folder, with libarchive reading and our own
 * writer so that nothing can land outside the folder:
 *  - entry paths must be relative, without ".." and shorter than 1024 bytes;
 *  - every folder on the way is opened with O_NOFOLLOW, so an entry can never
 *    be written through a symbolic link;
 *  - symbolic links are kept only when their target is relative and has no
 *    ".." (it then stays in the tree whatever else is there); hard links only
 *    to a regular file already extracted;
 *  - device files, fifos and sockets are refused;
 *  - total size, file size and entry count are limited.
 * Any refused entry fails the whole extraction (CF_ERR_FORMAT naming it); the
 * caller removes the half-filled folder (cf_remove_tree). */
#ifndef CF_CATALOG_ARCHIVE_H
#define CF_CATALOG_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct cf_extract_limits {
    uint64_t max_total; /* bytes of file data; 0 = 256 MiB */
    uint64_t max_file;  /* bytes per file; 0 = 64 MiB */
    size_t max_entries; /* 0 = 50000 */
} cf_extract_limits;

/* Called for every regular file written (path relative to the folder). */
typedef cf_code (*cf_extract_file_fn)(void *ctx, const char *rel_path, uint64_t size,
                                      const char *sha256_hex, cf_error *err);

typedef struct cf_extract_opts {
    cf_extract_limits limits;
    cf_extract_file_fn on_file; /* may be NULL */
    void *ctx;
} cf_extract_opts;

/* Returns NULL when an archive entry path is acceptable, else why not. */
const char *cf_archive_path_problem(const char *path);
/* Returns NULL when a symbolic link target is acceptable, else why not. */
const char *cf_archive_link_problem(const char *target);

cf_code cf_archive_extract_file(const char *archive_path, const char *dest_dir,
                                const cf_extract_opts *opts, cf_error *err);
cf_code cf_archive_extract_memory(const void *buf, size_t len, const char *name,
                                  const char *dest_dir, const cf_extract_opts *opts, cf_error *err);

/* rm -r that never follows symbolic links and stays on the folder's tree. */
cf_code cf_remove_tree(const char *path, cf_error *err);

#endif
