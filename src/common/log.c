/* The rotated debug log shared by the menu and the command line (log.h). */
#include "common/log.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/safe.h"

static FILE *log_file;
static bool log_debug;
static char log_path[PATH_MAX];

cf_code cf_log_default_path(const char *name, char *out, size_t cap, cf_error *err)
{
    char dir[PATH_MAX];
    cf_code rc = cf_xdg_dir("state", dir, sizeof(dir), err);
    if (rc == CF_OK)
        rc = cf_mkdirs(dir, 0700, err);
    if (rc != CF_OK)
        return rc;
    if ((size_t)snprintf(out, cap, "%s/%s", dir, name) >= cap)
        return cf_fail(err, CF_ERR_USAGE, "the log path %s/%s is too long", dir, name);
    return CF_OK;
}

static void rotate(const char *path)
{
    struct stat st;
    /* lstat: a link planted at the name is not a log of ours and is not rotated */
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < CF_LOG_MAX)
        return;
    char from[PATH_MAX + 8], to[PATH_MAX + 8];
    for (int i = CF_LOG_KEEP - 1; i >= 1; i--) {
        snprintf(from, sizeof(from), "%s.%d", path, i);
        snprintf(to, sizeof(to), "%s.%d", path, i + 1);
        rename(from, to); /* missing older files are fine */
    }
    snprintf(to, sizeof(to), "%s.1", path);
    rename(path, to);
}

cf_code cf_log_open(const char *path, cf_error *err)
{
    cf_log_close();
    if ((size_t)snprintf(log_path, sizeof(log_path), "%s", path) >= sizeof(log_path))
        return cf_fail(err, CF_ERR_USAGE, "the log path is too long");
    rotate(log_path);
    int fd;
    cf_code rc = cf_open_append_nofollow(log_path, &fd, err);
    if (rc != CF_OK)
        return rc;
    log_file = fdopen(fd, "a");
    if (!log_file) {
        close(fd);
        return cf_fail(err, CF_ERR_IO, "cannot write the log %s", log_path);
    }
    return CF_OK;
}

void cf_log_set_debug(bool debug)
{
    log_debug = debug;
}

const char *cf_log_path(void)
{
    return log_file ? log_path : NULL;
}

void cf_log(bool debug_only, const char *fmt, ...)
{
    if (!log_file || (debug_only && !log_debug))
        return;
    char stamp[32], text[1024], safe[4096];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    /* one record per line: a newline inside a message is escaped too */
    fprintf(log_file, "%s %s %s\n", stamp, debug_only ? "DEBUG" : "INFO ",
            cf_safe_buf(safe, sizeof(safe), text));
    fflush(log_file);
}

void cf_log_close(void)
{
    if (log_file)
        fclose(log_file);
    log_file = NULL;
}
