/* Debug log of the interactive flasher: $XDG_STATE_HOME/cartoflash/menu.log.
 * It rotates when it passes LOG_MAX bytes (menu.log -> menu.log.1 -> .2 -> .3),
 * so a probe that is flashed every week never fills a Pi's SD card.
 * Logging never fails the program: a log that cannot be opened is skipped. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fileio.h"
#include "menu/menu.h"

#define LOG_MAX (256L * 1024L)
#define LOG_KEEP 3

static FILE *log_file;
static bool log_debug;
static char log_path[PATH_MAX];

static void rotate(const char *path)
{
    struct stat st;
    /* lstat: a link planted at the name is not a log of ours and is not rotated */
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < LOG_MAX)
        return;
    char from[PATH_MAX + 8], to[PATH_MAX + 8];
    for (int i = LOG_KEEP - 1; i >= 1; i--) {
        snprintf(from, sizeof(from), "%s.%d", path, i);
        snprintf(to, sizeof(to), "%s.%d", path, i + 1);
        rename(from, to); /* missing older files are fine */
    }
    snprintf(to, sizeof(to), "%s.1", path);
    rename(path, to);
}

void menu_log_open(bool debug)
{
    char dir[PATH_MAX];
    log_debug = debug;
    if (cf_xdg_dir("state", dir, sizeof(dir), NULL) != CF_OK || cf_mkdirs(dir, 0700, NULL) != CF_OK)
        return;
    if ((size_t)snprintf(log_path, sizeof(log_path), "%s/menu.log", dir) >= sizeof(log_path))
        return;
    rotate(log_path);
    /* O_NOFOLLOW: a symbolic link planted at menu.log is refused, never appended to */
    int fd;
    if (cf_open_append_nofollow(log_path, &fd, NULL) != CF_OK)
        return;
    log_file = fdopen(fd, "a");
    if (!log_file)
        close(fd);
    if (log_file)
        menu_log(false, "cartoflash %s menu started", CF_VERSION);
}

void menu_log_set_debug(bool debug)
{
    log_debug = debug;
}

const char *menu_log_path(void)
{
    return log_file ? log_path : NULL;
}

void menu_log(bool debug_only, const char *fmt, ...)
{
    if (!log_file || (debug_only && !log_debug))
        return;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
    fprintf(log_file, "%s %s ", stamp, debug_only ? "DEBUG" : "INFO ");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log_file, fmt, ap);
    va_end(ap);
    fputc('\n', log_file);
    fflush(log_file);
}

void menu_log_close(void)
{
    if (log_file) {
        menu_log(false, "menu closed");
        fclose(log_file);
        log_file = NULL;
    }
}
