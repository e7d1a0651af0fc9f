/* The toggles of advanced mode (firmware.py's -a, -D, -k, -t, -H) and saving
 * the settings file: shared by the main menu, the advanced pages and the
 * firmware list (which names the toggle that would show a refused image). */
#include <stdio.h>

#include "menu/menu.h"

static const char *const toggle_names[TOGGLE_COUNT] = {
    "Show All Firmware",
    "Debugging",
    "Creality K Series Firmware",
    "Katapult Bootloader Firmware",
    "High Temp Firmware (HT Probes ONLY)",
};

const char *menu_toggle_name(menu_toggle t)
{
    return t < TOGGLE_COUNT ? toggle_names[t] : "";
}

static bool *toggle_field(menu_settings *s, menu_toggle t)
{
    switch (t) {
    case TOGGLE_ALL:
        return &s->all_firmware;
    case TOGGLE_DEBUG:
        return &s->debug;
    case TOGGLE_KSERIES:
        return &s->kseries;
    case TOGGLE_KATAPULT:
        return &s->katapult_type;
    case TOGGLE_HIGH_TEMP:
    case TOGGLE_COUNT:
        break;
    }
    return &s->high_temp;
}

bool menu_toggle_state(const menu_ctx *ctx, menu_toggle t)
{
    return *toggle_field((menu_settings *)&ctx->set, t);
}

bool menu_save_settings(menu_ctx *ctx)
{
    if (!ctx->config_path[0])
        return false;
    cf_error err;
    cf_error_reset(&err);
    if (menu_settings_save(ctx->config_path, &ctx->persist, &err) != CF_OK) {
        snprintf(ctx->notice, sizeof(ctx->notice), "Settings not saved: %s", err.message);
        return false;
    }
    menu_log(true, "settings saved to %s", ctx->config_path);
    return true;
}

void menu_toggle_setting(menu_ctx *ctx, menu_toggle t)
{
    bool on = !*toggle_field(&ctx->set, t);
    *toggle_field(&ctx->set, t) = on;
    *toggle_field(&ctx->persist, t) = on;
    if (t == TOGGLE_DEBUG)
        menu_log_set_debug(on);
    if (t == TOGGLE_KSERIES) /* K-series probes are flashed over USB, as in firmware.py */
        ctx->mode = on ? MODE_USB : MODE_NONE;
    menu_log(false, "%s %s", toggle_names[t], on ? "enabled" : "disabled");
    menu_save_settings(ctx);
}
