/* Screen output: colours, header with the logo, page titles, messages.
 * The only file of the menu that knows escape sequences. */
#include <stdio.h>
#include <string.h>

#include "common/safe.h"
#include "menu/menu.h"

static bool use_color;
static bool is_tty;

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

void scr_init(bool color, bool tty)
{
    use_color = color;
    is_tty = tty;
}

bool scr_color(void)
{
    return use_color;
}

bool scr_tty(void)
{
    return is_tty;
}

/* Bright colours, as cartographer-klipper's firmware.py uses (91..96). */
const char *scr_code(menu_color c)
{
    if (!use_color)
        return "";
    switch (c) {
    case COL_RED:
        return "\033[91m";
    case COL_GREEN:
        return "\033[92m";
    case COL_YELLOW:
        return "\033[93m";
    case COL_MAGENTA:
        return "\033[95m";
    case COL_CYAN:
        return "\033[96m";
    case COL_NONE:
        break;
    }
    return "";
}

const char *scr_reset(void)
{
    return use_color ? "\033[0m" : "";
}

void scr_clear(void)
{
    if (is_tty)
        fputs("\033[H\033[2J\033[3J", stdout);
    else
        fputs("\n", stdout);
}

void scr_rule(char ch)
{
    char line[MENU_WIDTH + 2];
    memset(line, ch, MENU_WIDTH);
    line[MENU_WIDTH] = '\n';
    line[MENU_WIDTH + 1] = '\0';
    fputs(line, stdout);
}

static void pad(size_t n)
{
    for (size_t i = 0; i < n; i++)
        fputc(' ', stdout);
}

void scr_center(menu_color c, const char *text)
{
    size_t len = strlen(text);
    pad(len < MENU_WIDTH ? (MENU_WIDTH - len) / 2 : 0);
    printf("%s%s%s\n", scr_code(c), text, c != COL_NONE ? scr_reset() : "");
}

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
        pad((MENU_WIDTH - LOGO_WIDTH) / 2);
        printf("%s%s%s\n", scr_code(COL_GREEN), logo[i], scr_reset());
    }
    scr_rule('=');

    char title[96];
    snprintf(title, sizeof(title), "CARTOGRAPHER FIRMWARE FLASHER v%s", CF_VERSION);
    size_t len = strlen(title);
    pad((MENU_WIDTH - len) / 2);
    printf("%sCARTOGRAPHER FIRMWARE FLASHER%s %sv%s%s\n", scr_code(COL_CYAN), scr_reset(),
           scr_code(COL_RED), CF_VERSION, scr_reset());

    char modes[256];
    scr_mode_line(ctx, modes, sizeof(modes));
    scr_center(COL_RED, modes);
    scr_rule('=');
}

void scr_page(const char *title)
{
    scr_rule('=');
    scr_center(COL_CYAN, title);
    scr_rule('=');
}

static void vsay(menu_color c, const char *prefix, const char *fmt, va_list ap)
{
    if (prefix)
        printf("%s%s%s ", scr_code(c), prefix, scr_reset());
    else
        fputs(scr_code(c), stdout);
    /* the text quotes device strings, file names and replies: it goes through the
     * output filter (colours are added around it, never inside) */
    char text[2048], safe[sizeof(text) * 4];
    vsnprintf(text, sizeof(text), fmt, ap);
    fputs(cf_safe_text_buf(safe, sizeof(safe), text), stdout);
    if (!prefix)
        fputs(c != COL_NONE ? scr_reset() : "", stdout);
    fputc('\n', stdout);
}

void scr_label(const char *label, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(COL_MAGENTA, label, fmt, ap);
    va_end(ap);
}

void scr_success(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(COL_GREEN, "Success:", fmt, ap);
    va_end(ap);
}

void scr_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(COL_RED, "Error:", fmt, ap);
    va_end(ap);
}

void scr_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(COL_YELLOW, "Warning:", fmt, ap);
    va_end(ap);
}

void scr_say(menu_color c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(c, NULL, fmt, ap);
    va_end(ap);
}

void scr_cf_error(const cf_error *err)
{
    scr_error("%s", err->message[0] ? err->message : cf_code_name(err->code));
    if (err->hint[0])
        printf("%sNext:%s %s\n", scr_code(COL_YELLOW), scr_reset(), cf_safe(err->hint));
}

void scr_flush(void)
{
    fflush(stdout);
}
