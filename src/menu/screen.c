/* Screen output: colours, page titles, messages (the header is header.c).
 * The only file of the menu that knows escape sequences. */
#include <stdio.h>
#include <string.h>

#include "common/safe.h"
#include "menu/engine.h"

static bool use_color;
static bool is_tty;

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

void scr_pad(size_t n)
{
    for (size_t i = 0; i < n; i++)
        fputc(' ', stdout);
}

void scr_center(menu_color c, const char *text)
{
    size_t len = strlen(text);
    scr_pad(len < MENU_WIDTH ? (MENU_WIDTH - len) / 2 : 0);
    printf("%s%s%s\n", scr_code(c), text, c != COL_NONE ? scr_reset() : "");
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

/* scr_success, scr_error and scr_warn differ only in their colour and prefix. */
#define SCR_PREFIXED(name, colour, prefix)                                                         \
    void name(const char *fmt, ...)                                                                \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        vsay(colour, prefix, fmt, ap);                                                             \
        va_end(ap);                                                                                \
    }

SCR_PREFIXED(scr_success, COL_GREEN, "Success:")
SCR_PREFIXED(scr_error, COL_RED, "Error:")
SCR_PREFIXED(scr_warn, COL_YELLOW, "Warning:")

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
