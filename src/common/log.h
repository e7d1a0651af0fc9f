/* The debug log the front ends keep (the menu's menu.log, the command line's
 * cli.log, or a file named with --log): one line per event, time-stamped,
 * appended, and rotated when it passes CF_LOG_MAX bytes (NAME -> NAME.1 ->
 * .2 -> .3, the oldest dropped), so a probe flashed every week never fills a
 * Pi's SD card. A symbolic link planted at the name is never followed, written
 * or rotated (O_NOFOLLOW). One log per process; only front ends write to it.
 * Logging never fails an operation: cf_log() on a log that is not open does
 * nothing. */
#ifndef CF_COMMON_LOG_H
#define CF_COMMON_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define CF_LOG_MAX (256L * 1024L)
#define CF_LOG_KEEP 3

/* "$XDG_STATE_HOME/cartoflash/NAME", its folder created (0700). */
cf_code cf_log_default_path(const char *name, char *out, size_t cap, cf_error *err);
/* Rotates path if it is a regular file of CF_LOG_MAX bytes or more, then opens
 * it for appending. Fails (and logs nothing) for a link or a non-regular file. */
cf_code cf_log_open(const char *path, cf_error *err);
/* Whether debug-only lines are written (off by default). */
void cf_log_set_debug(bool debug);
/* One line: time, INFO or DEBUG, the text with control characters and
 * malformed UTF-8 escaped (device strings and file names come from outside). */
void cf_log(bool debug_only, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The open log's path, NULL when none is open. */
const char *cf_log_path(void);
void cf_log_close(void);

#endif
