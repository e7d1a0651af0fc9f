/* The interactive flasher's terminal and engine: colours, numbered menus as
 * data, everything that prints (screen.c), keyboard input (term.c), the debug
 * log (log.c), progress bars (progress.c) and child processes (run.c).
 * Internal to src/menu/; it knows nothing of the session or the pages
 * (menu/menu.h), which are built on it.
 */
#ifndef CF_MENU_ENGINE_H
#define CF_MENU_ENGINE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "flash/flash.h"

#define MENU_WIDTH 89 /* firmware.py's PAGE_WIDTH; the screenshots are drawn at it */

/* ---- colours (screen.c) ---- */
typedef enum menu_color {
    COL_NONE = 0,
    COL_RED,
    COL_GREEN,
    COL_YELLOW,
    COL_MAGENTA,
    COL_CYAN
} menu_color;

/* Copies src into dst[size], cutting it if needed (always NUL-terminated). */
static inline void menu_copy(char *dst, size_t size, const char *src)
{
    size_t n = 0;
    if (size == 0)
        return;
    while (src[n] && n + 1 < size)
        n++;
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i];
    dst[n] = '\0';
}

/* ---- menu_engine.c: a numbered menu is data ---- */
#define MENU_MAX_ITEMS 64
enum { MENU_ACT_EXIT = -1, MENU_ACT_QUIT = -2, MENU_ACT_NONE = -3 };
/* An item whose choice only leads elsewhere carries where to as its action:
 * MENU_ACT_GO(target) (the pages' target is a menu_page, menu/menu.h), so a
 * page needs no case for it; menu_go_target() gives the target back, or -1. */
#define MENU_ACT_GO_BASE (-100)
#define MENU_ACT_GO(target) (MENU_ACT_GO_BASE - (int)(target))
static inline int menu_go_target(int action)
{
    return action <= MENU_ACT_GO_BASE ? MENU_ACT_GO_BASE - action : -1;
}

typedef struct menu_item {
    bool separator; /* a dashed line; it still takes a number, as in the old screens */
    int number;
    int action; /* what the page does when this number is chosen */
    menu_color color;
    char label[192];
    char tag[64]; /* yellow note in a second column ("[For Flashing via CAN]") */
} menu_item;

typedef struct menu {
    char title[96];
    menu_item items[MENU_MAX_ITEMS];
    size_t count;
    int next_number;
} menu;

void menu_init(menu *m, const char *title);
void menu_add(menu *m, int action, menu_color color, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void menu_tag(menu *m, const char *tag); /* sets the tag of the last item */
void menu_sep(menu *m);
/* A dashed line that takes no number: an item added in a separator's place
 * keeps the numbers after it as they were. */
void menu_rule(menu *m);
void menu_add_exit(menu *m); /* "0. Exit" in red */
/* The end of most menus: a dashed line, "Back" (unless back is MENU_ACT_NONE),
 * the way to the main menu in cyan (main_label; NULL for "Back to main menu"),
 * a dashed line and "0. Exit". */
void menu_add_footer(menu *m, int back, int main_menu, const char *main_label);
void menu_render(const menu *m);
/* Prompts until a listed number is typed; returns its action, MENU_ACT_EXIT for
 * 0, MENU_ACT_QUIT on Ctrl-C / end of input. Invalid input re-prompts. */
int menu_ask(const menu *m);
int menu_show(const menu *m); /* render + ask */
/* Number shown for an action (tests of layout, pages that mention numbers). */
int menu_number_of(const menu *m, int action);

/* ---- screen.c: everything that prints ---- */
void scr_init(bool color, bool tty);
bool scr_color(void);
bool scr_tty(void);
const char *scr_code(menu_color c); /* escape sequence, "" without colour */
const char *scr_reset(void);
void scr_clear(void);
void scr_rule(char ch); /* a MENU_WIDTH line of ch */
void scr_pad(size_t n); /* n spaces */
void scr_center(menu_color c, const char *text);
void scr_page(const char *title); /* "=====\n  title (cyan)\n=====" */
void scr_label(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void scr_success(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void scr_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void scr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void scr_say(menu_color c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void scr_cf_error(const cf_error *err); /* "Error: message" + "Next: hint" */
void scr_flush(void);

/* ---- term.c: input and terminal state ---- */
void term_init(void);    /* saves termios, installs SIGINT/SIGTERM handlers */
void term_restore(void); /* puts the terminal back; safe to call twice */
bool term_interrupted(void);
/* During a flash Ctrl-C is held until the flash ends (a half-written probe is worse). */
void term_hold_interrupt(bool hold);
/* Reads one line (without newline). false on Ctrl-C or end of input. */
bool term_read_line(char *buf, size_t size);
/* Raw, non-blocking key poll for countdowns: true if a key was pressed (consumed). */
void term_raw_begin(void);
void term_raw_end(void);
bool term_key_pressed(void);
/* Drops keys typed while we were busy, so they do not answer the next question. */
void term_discard_input(void);
/* "Press Enter to continue..." (yellow). false on Ctrl-C / end of input. */
bool term_pause(const char *text);

/* ---- log.c: debug log under $XDG_STATE_HOME/cartoflash ---- */
/* Opens path (--log FILE), else menu.log there; only a path asked for and not
 * writable is an error (the menu runs without its default log). */
cf_code menu_log_open(bool debug, const char *path, cf_error *err);
void menu_log_set_debug(bool debug);
void menu_log(bool debug_only, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void menu_log_close(void);
const char *menu_log_path(void);

/* ---- progress.c: flash progress bars ---- */
#define MENU_BAR_COUNT 4
#define MENU_MAX_NOTICES 8
typedef struct menu_progress {
    bool started[MENU_BAR_COUNT];
    size_t done[MENU_BAR_COUNT], total[MENU_BAR_COUNT];
    int pct[MENU_BAR_COUNT];
    int drawn; /* bar lines on screen (terminal: redrawn in place) */
    bool leave_said;
    const char *after_verify; /* "Leaving DFU mode", printed when verify completes */
    char notices[MENU_MAX_NOTICES][256];
    bool notice_warn[MENU_MAX_NOTICES];
    size_t nnotices;
} menu_progress;
void menu_progress_init(menu_progress *v, const char *after_verify, cf_flash_events *ev);
void menu_progress_notices(const menu_progress *v);

/* ---- run.c: child processes with argv vectors (never a shell string) ---- */
/* Runs argv[0] (searched in PATH) with stdin from /dev/null; captures up to
 * out_size-1 bytes of stdout (stderr merged when merge_stderr). Returns the exit
 * status, or -1 if it could not be started (err filled). */
int menu_run(const char *const argv[], char *out, size_t out_size, bool merge_stderr,
             cf_error *err);

#endif
