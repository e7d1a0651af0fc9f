/* Waiting for the probe in DFU mode: a countdown that any key stops, probes
 * seen in run-time mode meanwhile, and which DFU devices may be offered. Used
 * by the Find Device page and before a flash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/safe.h"
#include "menu/menu.h"

#define MAX_RUNTIME 4

typedef struct wait_state {
    menu_ctx *ctx;
    unsigned timeout_s;
    long shown;       /* seconds left last drawn */
    bool stopped;     /* a key was pressed */
    size_t runtime_n; /* run-time probes seen (drawn once each) */
    menu_runtime runtime[MAX_RUNTIME];
} wait_state;

static void draw_countdown(wait_state *w, long left)
{
    if (scr_tty())
        printf("\r\033[K");
    else if (left != (long)w->timeout_s && left % 10 != 0)
        return; /* a log, not a screen: one line every 10 s */
    printf("Waiting for a device in DFU mode: %s%2ld s%s left. Press any key to stop.",
           scr_code(COL_YELLOW), left, scr_reset());
    if (!scr_tty())
        fputc('\n', stdout);
    fflush(stdout);
}

/* Shows a probe seen in run-time mode once, above the countdown line. */
static void check_runtime(wait_state *w)
{
    menu_runtime seen[MAX_RUNTIME];
    size_t n = menu_runtime_scan(w->ctx, seen, MAX_RUNTIME, false);
    for (size_t i = 0; i < n; i++) {
        bool known = false;
        for (size_t j = 0; j < w->runtime_n; j++)
            if (strcmp(w->runtime[j].path, seen[i].path) == 0 && w->runtime[j].pid == seen[i].pid)
                known = true;
        if (known || w->runtime_n >= MAX_RUNTIME)
            continue;
        w->runtime[w->runtime_n++] = seen[i];
        char advice[512];
        menu_runtime_advice(&seen[i], advice, sizeof(advice));
        if (scr_tty())
            printf("\r\033[K");
        scr_warn("%s", advice);
        menu_log(false, "run-time probe seen: %s", advice);
        w->shown = -1; /* redraw the countdown below the warning */
    }
}

static bool on_tick(void *user, uint64_t elapsed_ms, uint64_t timeout_ms)
{
    wait_state *w = user;
    if (term_interrupted())
        return false;
    if (term_key_pressed()) {
        w->stopped = true;
        return false;
    }
    long left =
        (long)((timeout_ms - (elapsed_ms < timeout_ms ? elapsed_ms : timeout_ms) + 999) / 1000);
    if (left != w->shown) {
        if (left % 2 == 0 || w->shown < 0)
            check_runtime(w);
        draw_countdown(w, left);
        w->shown = left;
    }
    return true;
}

/* Only a Cartographer chip is offered (a device whose strings cannot be read
 * yet is offered too: the flash itself refuses it if it is not a probe). */
bool menu_dfu_offerable(const cf_usb_dfu_info *d)
{
    return d->access_denied || cf_chip_from_device(d) != NULL;
}

/* A DFU-mode device that may be the probe is attached now. */
static bool probe_attached(cf_usb_backend *be)
{
    cf_usb_dfu_info *list = NULL;
    size_t n = 0;
    bool yes = false;
    if (cf_usb_list_dfu(be, &list, &n, NULL) == CF_OK)
        for (size_t i = 0; i < n; i++)
            yes = yes || (list[i].dfu_mode && menu_dfu_offerable(&list[i]));
    free(list);
    return yes;
}

cf_code menu_wait_dfu(menu_ctx *ctx, const char *selector, unsigned timeout_s,
                      cf_usb_dfu_info *found, cf_error *err)
{
    cf_usb_backend *be = menu_backend(ctx);
    if (!be)
        return cf_fail(err, CF_ERR_IO, "the USB backend could not be opened");
    wait_state w = {.ctx = ctx, .timeout_s = timeout_s, .shown = -1};
    uint64_t start = cf_now_ns(), limit_ms = (uint64_t)timeout_s * 1000;
    term_raw_begin();
    cf_code rc = cf_usb_wait_dfu(be, selector, limit_ms, on_tick, &w, found, err);
    /* A mainboard or toolhead already in DFU mode does not end the search for
     * the probe: keep counting down until a probe appears too (a key shows
     * what is attached now). */
    if (!selector && (rc == CF_OK || rc == CF_ERR_AMBIGUOUS) && !probe_attached(be)) {
        if (scr_tty())
            printf("\r\033[K");
        scr_warn("A DFU device that is not a Cartographer probe is attached (a mainboard or "
                 "toolhead?); still waiting for the probe.");
        w.shown = -1;
        for (;;) {
            uint64_t elapsed = (cf_now_ns() - start) / 1000000u;
            if (elapsed >= limit_ms || probe_attached(be))
                break;
            if (!on_tick(&w, elapsed, limit_ms)) {
                if (!w.stopped) /* interrupted */
                    rc = CF_ERR_CANCELLED;
                break; /* a key: show what is attached */
            }
            cf_sleep_ns(100000000u);
        }
        if (rc != CF_ERR_CANCELLED)
            w.stopped = false;
    }
    term_raw_end();
    if (scr_tty())
        printf("\r\033[K");
    else
        fputc('\n', stdout);
    if (rc == CF_ERR_CANCELLED && !w.stopped && term_interrupted())
        return rc;
    if (rc == CF_ERR_CANCELLED && w.stopped) {
        cf_error_reset(err);
        cf_fail(err, CF_ERR_CANCELLED, "Stopped: no device in DFU mode was found yet.");
    }
    return rc;
}
