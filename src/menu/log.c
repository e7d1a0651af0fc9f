/* Debug log of the interactive flasher: $XDG_STATE_HOME/cartoflash/menu.log,
 * written and rotated by the shared log (common/log.h). */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "common/log.h"
#include "menu/engine.h"

void menu_log_open(bool debug)
{
    char path[PATH_MAX];
    cf_log_set_debug(debug);
    if (cf_log_default_path("menu.log", path, sizeof(path), NULL) != CF_OK ||
        cf_log_open(path, NULL) != CF_OK)
        return; /* the menu runs without a log rather than not at all */
    menu_log(false, "cartoflash %s menu started", CF_VERSION);
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
