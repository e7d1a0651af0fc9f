/* The top of every screen: the logo, the title with the version and the mode
 * line that says which settings are in effect. */
#include <stdio.h>
#include <string.h>

#include "menu/menu.h"

/* "Cartographer" in the figlet "standard" letter shapes, like the old
 * script's banner (composed for cartoflash, 79 columns). */
static const char *const logo[] = {
    "  ____               _                                      _",
    " / ___|  __ _  _ __ | |_   ___    __ _  _ __   __ _  _ __  | |__    ___   _ __",
    "| |     / _` || '__|| __| / _ \\  / _` || '__| / _` || '_ \\ | '_ \\  / _ \\ | '__|",
    "| |___ | (_| || |   | |_ | (_) || (_| || |   | (_| || |_) || | | ||  __/ | |",
    " \\____| \\__,_||_|    \\__| \\___/  \\__, ||_|    \\__,_|| .__/ |_| |_| \\___| |_|",
    "                                 |___/              |_|",
};
#define LOGO_WIDTH 79

void scr_mode_line(const menu_ctx *ctx, char *out, size_t size)
{
    const menu_settings *s = &ctx->set;
    size_t used = 0;
    out[0] = '\0';
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (used < size) {                                                                         \
            int n_ = snprintf(out + used, size - used, "%s", used ? " | " : "");                   \
            used += n_ > 0 ? (size_t)n_ : 0;                                                       \
        }                                                                                          \
        if (used < size) {                                                                         \
            int n_ = snprintf(out + used, size - used, __VA_ARGS__);                               \
            used += n_ > 0 ? (size_t)n_ : 0;                                                       \
        }                                                                                          \
    } while (0)

    char branch[64];
    size_t i = 0;
    for (; s->branch[i] && i < sizeof(branch) - 1; i++)
        branch[i] =
            (char)((s->branch[i] >= 'a' && s->branch[i] <= 'z') ? s->branch[i] - 32 : s->branch[i]);
    branch[i] = '\0';
    ADD("BRANCH: %s", branch);
    if (s->all_firmware)
        ADD("ALL FIRMWARE");
    if (ctx->advanced)
        ADD("ADVANCED");
    if (ctx->mode != MODE_NONE)
        ADD("%s MODE", menu_mode_name(ctx->mode));
    if (s->kseries)
        ADD("K SERIES");
    if (s->high_temp)
        ADD("HIGH TEMP");
    if (s->debug)
        ADD("DEBUGGING");
    if (s->katapult_type)
        ADD("FLASH KATAPULT");
    if (ctx->cli && ctx->cli->simulate)
        ADD("SIMULATED PROBE");
#undef ADD
}

void scr_header(const menu_ctx *ctx)
{
    scr_clear();
    scr_rule('=');
    for (size_t i = 0; i < sizeof(logo) / sizeof(logo[0]); i++) {
        scr_pad((MENU_WIDTH - LOGO_WIDTH) / 2);
        printf("%s%s%s\n", scr_code(COL_GREEN), logo[i], scr_reset());
    }
    scr_rule('=');

    char title[96];
    snprintf(title, sizeof(title), "CARTOGRAPHER FIRMWARE FLASHER v%s", CF_VERSION);
    size_t len = strlen(title);
    scr_pad((MENU_WIDTH - len) / 2);
    printf("%sCARTOGRAPHER FIRMWARE FLASHER%s %sv%s%s\n", scr_code(COL_CYAN), scr_reset(),
           scr_code(COL_RED), CF_VERSION, scr_reset());

    char modes[256];
    scr_mode_line(ctx, modes, sizeof(modes));
    scr_center(COL_RED, modes);
    scr_rule('=');
}
