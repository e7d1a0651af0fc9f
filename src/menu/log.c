/* Debug log of the interactive flasher: $XDG_STATE_HOME/cartoflash/menu.log,
 * written and rotated by the shared log (common/log.h). */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "common/log.h"
#include "menu/engine.h"

cf_code menu_log_open(bool debug, const char *path, cf_error *err)
{
    char def[PATH_MAX];
    cf_log_set_debug(debug);
    if (path) { /* asked for: a log that cannot be written is an error */
        cf_code rc = cf_log_open(path, err);
        if (rc != CF_OK) {
            cf_hint(err, "name a regular file in a folder you can write (--log FILE); a "
                         "symbolic link is never followed");
            return rc;
        }
    } else if (cf_log_default_path("menu.log", def, sizeof(def), NULL) != CF_OK ||
               cf_log_open(def, NULL) != CF_OK) {
        return CF_OK; /* the menu runs without its default log rather than not at all */
    }
    menu_log(false, "cartoflash %s menu started", CF_VERSION);
    return CF_OK;
}

void menu_log_set_debug(bool debug)
{
    cf_log_set_debug(debug);
}

const char *menu_log_path(void)
{
    return cf_log_path();
}

void menu_log(bool debug_only, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    cf_log(debug_only, "%s", text);
}

void menu_log_close(void)
{
    if (cf_log_path()) {
        menu_log(false, "menu closed");
        cf_log_close();
    }
}
