/* Progress bars of a flash (dfu-flashed-1.png shows what users know): one line
 * per phase, redrawn in place on a terminal, start and end lines otherwise.
 * Notices that arrive while bars are being redrawn are kept and printed after
 * them (so they do not tear them); the others are printed at once. */
#include <stdio.h>
#include <string.h>

#include "menu/engine.h"

#define BAR_WIDTH 25
enum { BAR_BACKUP = 0, BAR_ERASE, BAR_WRITE, BAR_VERIFY };
static const char *const bar_names[MENU_BAR_COUNT] = {"Backup", "Erase", "Download", "Verify"};

static int bar_of(cf_flash_phase p)
{
    switch (p) {
    case CF_PHASE_READ:
        return BAR_BACKUP;
    case CF_PHASE_ERASE:
        return BAR_ERASE;
    case CF_PHASE_WRITE:
        return BAR_WRITE;
    case CF_PHASE_VERIFY:
        return BAR_VERIFY;
    default:
        return -1;
    }
}

static void print_bar(const menu_progress *v, int b)
{
    int pct = v->pct[b];
    int fill = pct * BAR_WIDTH / 100;
    printf("%-10s[", bar_names[b]);
    for (int i = 0; i < BAR_WIDTH; i++)
        fputc(i < fill ? '=' : ' ', stdout);
    printf("] %3d%% %10zu bytes%s\n", pct, v->done[b],
           v->done[b] == v->total[b] && v->total[b] ? "  done." : "");
}

static void redraw(menu_progress *v)
{
    if (scr_tty() && v->drawn > 0)
        printf("\033[%dA", v->drawn);
    v->drawn = 0;
    for (int b = 0; b < MENU_BAR_COUNT; b++) {
        if (!v->started[b])
            continue;
        if (scr_tty())
            printf("\r\033[K");
        print_bar(v, b);
        v->drawn++;
    }
    fflush(stdout);
}

static void on_progress(void *user, cf_flash_phase phase, size_t done, size_t total)
{
    menu_progress *v = user;
    int b = bar_of(phase);
    if (b < 0 || v->leave_said)
        return; /* after "Leaving DFU mode" the bars are final */
    int pct = total ? (int)(done * 100 / total) : 100;
    bool first = !v->started[b];
    bool changed = first || pct != v->pct[b] || done == total;
    v->started[b] = true;
    v->done[b] = done;
    v->total[b] = total;
    v->pct[b] = pct;
    if (scr_tty()) {
        if (changed)
            redraw(v);
    } else if (first || done == total) {
        print_bar(v, b); /* not a terminal: one line at the start and end of a phase */
    }
    if (b == BAR_VERIFY && done == total && total && !v->leave_said) {
        v->leave_said = true;
        v->drawn = 0; /* the bars stay above; nothing redraws past this line */
        printf("%s\n", v->after_verify);
        fflush(stdout);
    }
}

static void on_notice(void *user, bool warning, const char *text)
{
    menu_progress *v = user;
    menu_log(false, "flash %s: %s", warning ? "warning" : "notice", text);
    if (v->drawn == 0) { /* no bar on screen to tear: say it now, in order */
        if (warning)
            scr_warn("%s", text);
        else
            printf("%s\n", text);
        fflush(stdout);
        return;
    }
    if (v->nnotices < MENU_MAX_NOTICES) {
        menu_copy(v->notices[v->nnotices], sizeof(v->notices[0]), text);
        v->notice_warn[v->nnotices++] = warning;
    }
}

void menu_progress_init(menu_progress *v, const char *after_verify, cf_flash_events *ev)
{
    memset(v, 0, sizeof(*v));
    v->after_verify = after_verify;
    memset(ev, 0, sizeof(*ev));
    ev->user = v;
    ev->progress = on_progress;
    ev->notice = on_notice;
}

void menu_progress_notices(const menu_progress *v)
{
    for (size_t i = 0; i < v->nnotices; i++) {
        if (v->notice_warn[i])
            scr_warn("%s", v->notices[i]);
        else
            printf("%s\n", v->notices[i]);
    }
}
