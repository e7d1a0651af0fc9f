/* Advanced mode: firmware.py's toggles and its flash-mode, branch and
 * directory menus. Changes are saved to the settings file at once (flags given
 * on the command line stay for this run only). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "menu/menu.h"

/* ---- Switch Flash Mode ---- */

enum { A_BACK_MAIN = 100, A_RESET, A_CUSTOM, A_PICK = 200 };

menu_page page_mode(menu_ctx *ctx)
{
    static const menu_flash_mode modes[] = {MODE_CAN, MODE_USB, MODE_DFU};
    scr_header(ctx);
    menu m;
    menu_init(&m, "Select a flashing mode");
    for (int i = 0; i < 3; i++)
        menu_add(&m, A_PICK + i, ctx->mode == modes[i] ? COL_GREEN : COL_NONE, "%s%s",
                 menu_mode_name(modes[i]), ctx->mode == modes[i] ? " (selected)" : "");
    menu_add_footer(&m, MENU_ACT_NONE, A_BACK_MAIN, "Back to Main Menu");
    int a = menu_show(&m);
    if (a >= A_PICK && a < A_PICK + 3) {
        ctx->mode = modes[a - A_PICK];
        static const menu_page go[] = {PAGE_KATAPULT_CAN, PAGE_KATAPULT_USB, PAGE_DFU};
        return go[a - A_PICK];
    }
    return a == A_BACK_MAIN ? PAGE_MAIN : a == MENU_ACT_EXIT ? PAGE_EXIT : PAGE_INTERRUPT;
}

/* ---- Switch Branch ---- */

static bool set_branch(menu_ctx *ctx, const char *branch)
{
    cf_error err;
    cf_error_reset(&err);
    if (menu_settings_set(&ctx->set, "branch", branch, &err) != CF_OK) {
        scr_cf_error(&err);
        return false;
    }
    menu_settings_set(&ctx->persist, "branch", branch, NULL);
    menu_log(false, "branch changed to %s", branch);
    menu_save_settings(ctx);
    return true;
}

menu_page page_branch(menu_ctx *ctx)
{
    static const char *const names[] = {"master", "beta", "develop"};
    static const char *const shown[] = {"Master", "Beta", "Develop"};
    scr_header(ctx);
    printf("%-10s | %s\n", "Branch", "Description");
    printf("--------------------------------------------------\n");
    printf("%-10s | %s\n", "Master", "The most stable firmware version.");
    printf("%-10s | %s\n", "Beta", "Firmware that is currently being tested.");
    printf("%-10s | %s\n", "Develop", "Extremely experimental firmware.");
    printf("%-10s | %s\n\n", "Custom", "Firmware from another branch.");

    menu m;
    menu_init(&m, "Select a Branch to Flash From");
    bool custom = true;
    for (int i = 0; i < 3; i++) {
        bool sel = strcmp(ctx->set.branch, names[i]) == 0;
        custom = custom && !sel;
        menu_add(&m, A_PICK + i, COL_NONE, "%s%s", shown[i], sel ? " (selected)" : "");
    }
    if (custom)
        menu_add(&m, A_CUSTOM, COL_NONE, "%s (selected) - enter another?", ctx->set.branch);
    else
        menu_add(&m, A_CUSTOM, COL_NONE, "Custom Branch");
    menu_add_footer(&m, MENU_ACT_NONE, A_BACK_MAIN, "Back to Main Menu");

    int a = menu_show(&m);
    if (a >= A_PICK && a < A_PICK + 3) {
        set_branch(ctx, names[a - A_PICK]);
        return PAGE_BRANCH;
    }
    if (a == A_CUSTOM) {
        char line[64];
        printf("Enter the name of the custom branch: ");
        if (!term_read_line(line, sizeof(line)))
            return PAGE_INTERRUPT;
        if (line[0] && !set_branch(ctx, line) && !term_pause(NULL))
            return PAGE_INTERRUPT;
        return PAGE_BRANCH;
    }
    return a == A_BACK_MAIN ? PAGE_MAIN : a == MENU_ACT_EXIT ? PAGE_EXIT : PAGE_INTERRUPT;
}

/* ---- Set Custom Directories ---- */

typedef struct dir_item {
    const char *title;
    const char *key;
    size_t offset;
} dir_item;

static const dir_item dir_items[] = {
    {"Firmware folder", "firmware_dir", offsetof(menu_settings, firmware_dir)},
    {"Klippy Logs", "klippy_log", offsetof(menu_settings, klippy_log)},
    {"Klipper", "klipper_dir", offsetof(menu_settings, klipper_dir)},
    {"Katapult", "katapult_dir", offsetof(menu_settings, katapult_dir)},
    {"Klipper service", "klipper_service", offsetof(menu_settings, klipper_service)},
    {"Moonraker URL", "moonraker_url", offsetof(menu_settings, moonraker_url)},
    {"CAN interface", "can_interface", offsetof(menu_settings, can_interface)},
};
#define DIR_COUNT (sizeof(dir_items) / sizeof(dir_items[0]))

menu_page page_dirs(menu_ctx *ctx)
{
    scr_header(ctx);
    if (ctx->config_path[0])
        printf("Saved in %s\n", ctx->config_path);
    menu m;
    menu_init(&m, "Which Directory do you want to change?");
    for (size_t i = 0; i < DIR_COUNT; i++) {
        const char *value = (const char *)&ctx->set + dir_items[i].offset;
        menu_add(&m, A_PICK + (int)i, COL_NONE, "%-16s %s", dir_items[i].title,
                 value[0] ? value : "(not set)");
    }
    menu_sep(&m);
    menu_add(&m, A_RESET, COL_NONE, "Reset to Defaults");
    menu_add_footer(&m, MENU_ACT_NONE, A_BACK_MAIN, "Back to Main Menu");

    int a = menu_show(&m);
    if (a >= A_PICK && a < A_PICK + (int)DIR_COUNT) {
        const dir_item *d = &dir_items[a - A_PICK];
        char line[PATH_MAX];
        printf("Current value for '%s': %s\n", d->title, (const char *)&ctx->set + d->offset);
        printf("Enter new value (or press Enter to keep current): ");
        if (!term_read_line(line, sizeof(line)))
            return PAGE_INTERRUPT;
        if (line[0]) {
            cf_error err;
            cf_error_reset(&err);
            if (menu_settings_set(&ctx->set, d->key, line, &err) == CF_OK) {
                menu_settings_set(&ctx->persist, d->key, line, NULL);
                menu_save_settings(ctx);
                scr_success("Updated '%s'.", d->title);
            } else {
                scr_cf_error(&err);
            }
            if (!term_pause(NULL))
                return PAGE_INTERRUPT;
        }
        return PAGE_DIRS;
    }
    if (a == A_RESET) {
        menu_settings defaults;
        menu_settings_default(&defaults);
        for (size_t i = 0; i < DIR_COUNT; i++) {
            const char *v = (const char *)&defaults + dir_items[i].offset;
            menu_settings_set(&ctx->set, dir_items[i].key, v, NULL);
            menu_settings_set(&ctx->persist, dir_items[i].key, v, NULL);
        }
        menu_save_settings(ctx);
        return PAGE_DIRS;
    }
    return a == A_BACK_MAIN ? PAGE_MAIN : a == MENU_ACT_EXIT ? PAGE_EXIT : PAGE_INTERRUPT;
}
