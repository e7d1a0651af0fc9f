/* Find device (dfu-device-found-2.png): "Querying DFU devices..", the BOOT0 /
 * RESET instructions, up to 30 s of waiting with a countdown that any key
 * stops, then "Detected DFU device: 0483:df11" / "Success: DFU Device Found"
 * and the options Select / Check Again / Back / Back to main menu / Exit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/safe.h"
#include "menu/menu.h"

#define WAIT_SECONDS 30
#define MAX_FOUND 8
#define MAX_RUNTIME 4

enum { A_CHECK = 100, A_BACK, A_MAIN, A_SELECT = 200 };

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
static bool offerable(const cf_usb_dfu_info *d)
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
            yes = yes || (list[i].dfu_mode && offerable(&list[i]));
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

/* One line per DFU-mode device, always with what its chip is (a mainboard in
 * DFU mode is also 0483:df11); the bus path only when there are several. */
static void describe(const cf_usb_dfu_info *d, bool several, char *out, size_t size)
{
    cf_dfu_kind kind;
    cf_dfu_identify(d, &kind);
    char where[48] = "";
    if (several)
        snprintf(where, sizeof(where), " at %s", d->bus_path);
    if (d->access_denied)
        snprintf(out, size, "%04x:%04x%s (chip unknown: no permission to read it)", d->vid, d->pid,
                 where);
    else if (kind.probe)
        snprintf(out, size, "%04x:%04x%s (%s, %s)", d->vid, d->pid, where, kind.probe->mcu,
                 kind.probe->probe);
    else
        snprintf(out, size, "%04x:%04x%s (%.100s: NOT a Cartographer probe)", d->vid, d->pid, where,
                 kind.what);
}

static void select_device(menu_ctx *ctx, const cf_usb_dfu_info *d, bool several)
{
    if (several)
        menu_copy(ctx->device, sizeof(ctx->device), d->bus_path);
    else
        snprintf(ctx->device, sizeof(ctx->device), "%04x:%04x", d->vid, d->pid);
    describe(d, several, ctx->device_label, sizeof(ctx->device_label));
    const cf_chip *chip = cf_chip_from_device(d);
    menu_copy(ctx->device_chip, sizeof(ctx->device_chip), chip ? chip->mcu : "");
    if (ctx->have_firmware) { /* judge the chosen firmware again against this chip */
        /* menu_fw_examine() clears its output first: pass copies, not ctx->fw's own fields. */
        menu_fw chosen = ctx->fw;
        menu_fw_examine(ctx, NULL, chosen.path, chosen.label, &ctx->fw);
    }
    menu_log(false, "device selected: %s (%s)", ctx->device_label, ctx->device_chip);
}

menu_page page_dfu_device(menu_ctx *ctx)
{
    scr_header(ctx);
    scr_page("Querying DFU devices..");
    printf("You can now bridge the %sBOOT0%s pins while plugging in Cartographer via USB at the "
           "same time.\n",
           scr_code(COL_YELLOW), scr_reset());
    printf("Already plugged in? Keep %sBOOT0%s bridged and briefly bridge the %sRESET%s pads.\n",
           scr_code(COL_YELLOW), scr_reset(), scr_code(COL_YELLOW), scr_reset());
    printf(
        "No LED is lit in DFU mode; a blue LED, even flickering, means it is not in DFU mode.\n\n");

    cf_usb_dfu_info found;
    cf_error err;
    cf_error_reset(&err);
    cf_code rc = menu_wait_dfu(ctx, NULL, WAIT_SECONDS, &found, &err);
    if (rc == CF_ERR_CANCELLED && term_interrupted())
        return PAGE_INTERRUPT;

    cf_usb_dfu_info devs[MAX_FOUND];
    size_t ndev = 0;
    if ((rc == CF_OK || rc == CF_ERR_AMBIGUOUS) && ctx->be) {
        cf_usb_dfu_info *list = NULL;
        size_t count = 0;
        if (cf_usb_list_dfu(ctx->be, &list, &count, NULL) == CF_OK)
            for (size_t i = 0; i < count && ndev < MAX_FOUND; i++)
                if (list[i].dfu_mode)
                    devs[ndev++] = list[i];
        free(list);
        if (ndev == 0 && rc == CF_OK)
            devs[ndev++] = found;
        /* Probes first, so the number the Cartographer docs tell you to press
         * (1) is never another board; stable otherwise. */
        for (size_t i = 1; i < ndev; i++)
            for (size_t j = i; j > 0 && offerable(&devs[j]) && !offerable(&devs[j - 1]); j--) {
                cf_usb_dfu_info t = devs[j];
                devs[j] = devs[j - 1];
                devs[j - 1] = t;
            }
    }

    bool several = ndev > 1;
    if (ndev > 0) {
        for (size_t i = 0; i < ndev; i++) {
            char line[192];
            describe(&devs[i], several, line, sizeof(line));
            printf("Detected DFU device: %s\n", cf_safe(line));
            if (devs[i].access_denied)
                scr_warn("%s Use Install Prerequisites (main menu) to add the udev rule.",
                         devs[i].note[0] ? devs[i].note : "No permission to open it.");
            else if (!offerable(&devs[i]))
                scr_warn("Not offered: this menu flashes only Cartographer probes (STM32F042 or "
                         "STM32G431). It is probably a printer mainboard or toolhead board in "
                         "DFU mode.");
        }
        size_t probes = 0;
        for (size_t i = 0; i < ndev; i++)
            probes += offerable(&devs[i]);
        if (probes)
            scr_success("DFU Device Found");
        else
            scr_error("No Cartographer probe in DFU mode: put the probe itself in DFU mode (BOOT0 "
                      "bridged while plugging it in), then Check Again.");
        menu_log(false, "DFU devices found: %zu (%zu Cartographer)", ndev, probes);
    } else if (rc == CF_ERR_CANCELLED) {
        /* the user pressed a key: not an error */
        scr_say(COL_YELLOW, "%s", err.message);
        printf("Bridge BOOT0 while plugging the probe in, then Check Again.\n");
    } else if (rc == CF_ERR_NOT_FOUND || rc == CF_ERR_TIMEOUT) {
        /* cf_usb_wait_dfu() says CF_ERR_NOT_FOUND when the time is up */
        scr_error("No device in DFU mode appeared within %d s.", WAIT_SECONDS);
        printf("Check the cable carries data, bridge BOOT0 while plugging in, then Check Again.\n");
    } else {
        scr_cf_error(&err);
    }

    menu m;
    menu_init(&m, "Options");
    size_t offered = 0;
    for (size_t i = 0; i < ndev; i++) {
        if (!offerable(&devs[i]))
            continue;
        char line[192];
        describe(&devs[i], several, line, sizeof(line));
        menu_add(&m, A_SELECT + (int)i, COL_NONE, "Select %s", line);
        offered++;
    }
    if (offered > 0)
        menu_sep(&m);
    menu_add(&m, A_CHECK, COL_NONE, "Check Again");
    menu_sep(&m);
    menu_add(&m, A_BACK, COL_NONE, "Back");
    menu_add(&m, A_MAIN, COL_CYAN, "Back to main menu");
    menu_sep(&m);
    menu_add_exit(&m);

    int a = menu_show(&m);
    if (a >= A_SELECT && a < A_SELECT + (int)ndev && offerable(&devs[a - A_SELECT])) {
        select_device(ctx, &devs[a - A_SELECT], several);
        return ctx->confirm_first && ctx->have_firmware ? PAGE_DFU_CONFIRM : PAGE_DFU;
    }
    switch (a) {
    case A_CHECK:
        return PAGE_DFU_DEVICE;
    case A_BACK:
        return PAGE_DFU;
    case A_MAIN:
        return PAGE_MAIN;
    case MENU_ACT_EXIT:
        return PAGE_EXIT;
    default:
        return PAGE_INTERRUPT;
    }
}
