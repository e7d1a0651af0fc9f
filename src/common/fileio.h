/* Small file helpers shared by every layer. All return cf_code and never print. */
#ifndef CF_COMMON_FILEIO_H
#define CF_COMMON_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Reads a whole regular file into a malloc'd buffer (caller frees).
 * Files larger than max_size are refused with CF_ERR_FORMAT. */
cf_code cf_read_file(const char *path, size_t max_size, uint8_t **data, size_t *size,
                     cf_error *err);

/* Writes data to path atomically: a temp file with a random name made with
 * O_EXCL in the same folder (never a planted link), fsync of the file, rename
 * over path (a link at path is replaced, its target never written), fsync of
 * the folder. */
cf_code cf_write_file_atomic(const char *path, const void *data, size_t size, cf_error *err);

/* The same, but path must not exist yet (not even as a dangling link): an
 * existing name is an error and is left as it is. */
cf_code cf_write_file_new(const char *path, const void *data, size_t size, cf_error *err);

/* Opens path for appending, creating it 0600; a symbolic link or anything but a
 * regular file at path is refused. */
cf_code cf_open_append_nofollow(const char *path, int *fd_out, cf_error *err);

/* True when paths a and b name the same file (links resolved). */
bool cf_same_path(const char *a, const char *b);

/* mkdir -p with the given mode for created folders. */
cf_code cf_mkdirs(const char *path, unsigned mode, cf_error *err);

/* XDG base folders for cartoflash: "$XDG_<KIND>_HOME/cartoflash", falling back to
 * ~/.cache, ~/.local/state, ~/.config. kind is "cache", "state" or "config".
 * The folder is not created. */
cf_code cf_xdg_dir(const char *kind, char *out, size_t out_size, cf_error *err);

#endif
