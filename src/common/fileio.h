/* Small file helpers shared by every layer. All return cf_code and never print. */
#ifndef CF_COMMON_FILEIO_H
#define CF_COMMON_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Reads a whole regular file into a malloc'd buffer (caller frees).
 * Files larger than max_size are refused with CF_ERR_FORMAT. */
cf_code cf_read_file(const char *path, size_t max_size, uint8_t **data, size_t *size,
                     cf_error *err);

/* Writes data to path atomically (temp file in the same folder + fsync + rename). */
cf_code cf_write_file_atomic(const char *path, const void *data, size_t size, cf_error *err);

/* mkdir -p with the given mode for created folders. */
cf_code cf_mkdirs(const char *path, unsigned mode, cf_error *err);

/* XDG base folders for cartoflash: "$XDG_<KIND>_HOME/cartoflash", falling back to
 * ~/.cache, ~/.local/state, ~/.config. kind is "cache", "state" or "config".
 * The folder is not created. */
cf_code cf_xdg_dir(const char *kind, char *out, size_t out_size, cf_error *err);

#endif
