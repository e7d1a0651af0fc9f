/* The print-state question (see moonraker.h): GET
 * /printer/objects/query?print_stats, result.status.print_stats.state
 * (Moonraker's documentation, "Printer Administration / Query printer object
 * status"). Discovery, the API key and the GET itself are klipper/moonraker.h,
 * shared with `status`. */
#include "menu/moonraker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "klipper/moonraker.h"
#include "menu/menu.h"

void menu_moonraker_set_key(const char *key)
{
    cf_mr_set_key(key);
}

cf_code menu_moonraker_conf_port(const char *text, size_t len, unsigned *port, cf_error *err)
{
    return cf_mr_conf_port(text, len, port, err);
}

size_t menu_moonraker_urls(const char *setting, const char *home, char urls[][256], size_t max)
{
    return cf_mr_urls(setting, home, urls, max, NULL);
}

static cf_code ask(const char *base, char *state, size_t size, cf_error *err)
{
    char *body = NULL;
    size_t len = 0;
    cf_code rc = cf_mr_get(base, "/printer/objects/query?print_stats", &body, &len, err);
    if (rc == CF_OK)
        rc = menu_moonraker_parse(body, len, state, size, err);
    free(body);
    return rc;
}

cf_code menu_moonraker_state(const menu_ctx *ctx, char *state, size_t size, cf_error *err)
{
    return ask(ctx->set.moonraker_url, state, size, err);
}

menu_print_state menu_printer_state(const menu_ctx *ctx, char *detail, size_t size)
{
    char urls[MENU_MOONRAKER_MAX][256];
    size_t n =
        menu_moonraker_urls(ctx->set.moonraker_url, getenv("HOME"), urls, MENU_MOONRAKER_MAX);
    menu_print_state result = PRINT_IDLE;
    detail[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char state[64] = "", part[700];
        cf_error err;
        cf_error_reset(&err);
        const char *where = strncmp(urls[i], "http://", 7) == 0 ? urls[i] + 7 : urls[i];
        if (ask(urls[i], state, sizeof(state), &err) == CF_OK) {
            snprintf(part, sizeof(part), "%.63s (%.255s)", state, where);
            if (menu_moonraker_busy(state))
                result = PRINT_BUSY;
        } else {
            snprintf(part, sizeof(part), "%s", err.message);
            if (result != PRINT_BUSY)
                result = PRINT_UNKNOWN;
        }
        menu_log(false, "moonraker %s: %s", urls[i], part);
        size_t used = strlen(detail);
        snprintf(detail + used, size - used, "%s%s", used ? "; " : "", part);
    }
    return result;
}
