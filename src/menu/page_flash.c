/* Flashing (dfu-flashed-1.png: erase and download bars), then the "Flashed
 * Successfully" page (dfu-flashed-2.png) with next steps, or a failure page
 * that says what failed and that the probe is still in DFU mode. */
#include <stdio.h>
#include <string.h>

#include "common/safe.h"
#include "common/clock.h"
#include "menu/menu.h"

#define RUNTIME_CHECK_S 5

/* Makes sure the selected device is there, waiting with the countdown if not. */
static bool device_ready(menu_ctx *ctx)
{
    cf_usb_backend *be = menu_backend(ctx);
    if (!be)
        return false;
    cf_usb_dfu_info found;
    cf_error err;
    cf_error_reset(&err);
    printf("Looking for %s in DFU mode...\n", cf_safe(ctx->device_label));
    if (menu_wait_dfu(ctx, ctx->device, 30, &found, &err) == CF_OK)
        return true;
    scr_cf_error(&err);
    return false;
}

menu_page page_dfu_flash(menu_ctx *ctx)
{
    scr_header(ctx);
    scr_page("Flashing via DFU..");
    scr_label("Device:", "%s", ctx->device_label);
    scr_label("Firmware:", "%s", ctx->fw.label);
    cf_error_reset(&ctx->flash_err);
    memset(&ctx->flash_rep, 0, sizeof(ctx->flash_rep));

    if (!device_ready(ctx)) {
        if (term_interrupted())
            return PAGE_INTERRUPT;
        return term_pause(NULL) ? PAGE_DFU : PAGE_INTERRUPT;
    }

    cf_image img;
    cf_image_load_opts lo = {.default_address = 0x08000000u};
    if (cf_image_load(ctx->fw.path, &lo, &img, &ctx->flash_err) != CF_OK) {
        ctx->flash_rep.failed_phase = CF_PHASE_CHECK;
        ctx->flash_rep.still_in_dfu = true;
        return PAGE_DFU_FAILED;
    }
    printf("Downloading %zu bytes to address 0x%08X\n\n", cf_image_size(&img),
           cf_image_start(&img));
    fflush(stdout);

    menu_progress view;
    cf_flash_events ev;
    menu_progress_init(&view, "Leaving DFU mode", &ev);
    cf_flash_opts opts = {.device = ctx->device};
    ctx->flash_is_usb_image = ctx->fw.info.iface == CF_IFACE_USB;
    menu_log(false, "flash start: %s -> %s", ctx->fw.path, ctx->device);

    term_hold_interrupt(true); /* a half-written probe is worse than a late exit */
    cf_code rc = cf_flash_dfu(ctx->be, &img, &opts, &ev, &ctx->flash_rep, &ctx->flash_err);
    term_hold_interrupt(false);
    cf_image_free(&img);
    term_discard_input();

    menu_progress_notices(&view);
    menu_log(false, "flash %s: %s", rc == CF_OK ? "ok" : "failed",
             rc == CF_OK ? ctx->flash_rep.device_path : ctx->flash_err.message);
    if (rc != CF_OK)
        return term_interrupted() ? PAGE_INTERRUPT : PAGE_DFU_FAILED;

    const cf_flash_report *r = &ctx->flash_rep;
    printf("File downloaded and verified: %zu of %zu pages changed%s, %zu bytes read back in "
           "%.1f s.\n",
           r->pages_changed, r->pages_total, r->mass_erased ? " (one mass erase)" : "",
           r->bytes_verified, r->seconds);
    if (r->left)
        printf("Left DFU mode: the probe is starting the new firmware.\n");
    if (term_interrupted())
        return PAGE_INTERRUPT;
    return term_pause("Press Enter to continue...") ? PAGE_DFU_SUCCESS : PAGE_INTERRUPT;
}

/* For a USB image: does the probe come back on USB running its firmware?
 * Real probes are seen through sysfs; the simulated one boots what its
 * emulated flash holds (boot/boot.h), so both answer the same question. */
static void check_came_back(menu_ctx *ctx)
{
    printf("\nChecking that the probe comes back in run-time mode (up to %d s)...\n",
           RUNTIME_CHECK_S);
    fflush(stdout);
    uint64_t start = cf_now_ns();
    menu_runtime katapult;
    memset(&katapult, 0, sizeof(katapult));
    bool saw_katapult = false;
    while (cf_now_ns() - start < (uint64_t)RUNTIME_CHECK_S * 1000000000ull) {
        menu_runtime seen[4];
        size_t n = menu_runtime_scan(ctx, seen, 4, true);
        for (size_t i = 0; i < n; i++) {
            if (seen[i].vid == 0x1d50 && seen[i].pid == 0x614e) {
                scr_success("Cartographer is back on USB running its firmware: %04x:%04x at %s%s%s",
                            seen[i].vid, seen[i].pid, seen[i].path, seen[i].product[0] ? ", " : "",
                            seen[i].product);
                menu_log(false, "run-time probe back: %04x:%04x at %s", seen[i].vid, seen[i].pid,
                         seen[i].path);
                return;
            }
            if (seen[i].vid == 0x1d50 && seen[i].pid == 0x6177) {
                katapult = seen[i];
                saw_katapult = true;
            }
        }
        if (term_interrupted())
            return;
        cf_sleep_ns(250000000ull);
    }
    menu_log(false, "no run-time probe within %d s%s", RUNTIME_CHECK_S,
             saw_katapult ? " (Katapult seen)" : "");
    if (saw_katapult)
        scr_warn("Katapult (1d50:6177) is on USB at %s, but the Cartographer firmware did not "
                 "start within %d s. Flash again over DFU.",
                 katapult.path, RUNTIME_CHECK_S);
    else
        scr_warn("No Cartographer (1d50:614e) appeared on USB within %d s. Power-cycle it; if it "
                 "still does not show up in lsusb, flash again over DFU.",
                 RUNTIME_CHECK_S);
}

enum { A_START_KLIPPER = 1, A_MAIN, A_DFU, A_RETRY };

menu_page page_dfu_success(menu_ctx *ctx)
{
    scr_header(ctx);
    scr_page("Flashed Successfully");
    scr_success("Firmware flashed successfully to device!");
    printf("\n");
    scr_label("Flashed:", "%s to %s", ctx->fw.label, ctx->device_label);
    if (ctx->flash_rep.backup_path[0])
        scr_label("Previous contents saved to:", "%s", ctx->flash_rep.backup_path);

    printf("\n%sNext steps:%s\n", scr_code(COL_YELLOW), scr_reset());
    const cf_image_info *in = &ctx->fw.info;
    if (in->iface == CF_IFACE_CAN) {
        printf("  This is CAN firmware (%u bit/s): unplug the USB cable and connect Cartographer\n"
               "  to your CAN bus. Your CAN interface must run at the same bitrate.\n",
               in->can_bitrate);
    } else if (in->iface == CF_IFACE_USB) {
        printf("  This is USB firmware: if the probe does not show up by itself, power-cycle it\n"
               "  (unplug it and plug it back in).\n");
        check_came_back(ctx);
    } else {
        printf("  Power-cycle the probe and check it shows up (lsusb, or your CAN query).\n");
    }
    if (ctx->klipper_stopped_by_us)
        printf("\nKlipper (%s) was stopped for the flash.\n", ctx->set.klipper_service);
    else if (ctx->klipper_was_running)
        printf("\nKlipper (%s) kept running; restart it from your printer UI so it reconnects.\n",
               ctx->set.klipper_service);

    menu m;
    menu_init(&m, "What next?");
    if (ctx->klipper_stopped_by_us)
        menu_add(&m, A_START_KLIPPER, COL_NONE, "Start Klipper again (%s)",
                 ctx->set.klipper_service);
    menu_add(&m, A_MAIN, COL_CYAN, "Back to main menu");
    menu_sep(&m);
    menu_add_exit(&m);
    for (;;) {
        int a = menu_show(&m);
        if (a == A_START_KLIPPER) {
            cf_error err;
            cf_error_reset(&err);
            if (menu_klipper_start(ctx, &err) == CF_OK) {
                scr_success("%s started.", ctx->set.klipper_service);
                ctx->klipper_stopped_by_us = false;
            } else {
                scr_cf_error(&err);
            }
            if (!term_pause(NULL))
                return PAGE_INTERRUPT;
            return PAGE_DFU_SUCCESS;
        }
        if (a == A_MAIN) {
            ctx->have_firmware = false; /* a new flash starts from a clean selection */
            return PAGE_MAIN;
        }
        return a == MENU_ACT_EXIT ? PAGE_EXIT : PAGE_INTERRUPT;
    }
}

menu_page page_dfu_failed(menu_ctx *ctx)
{
    const cf_flash_report *r = &ctx->flash_rep;
    scr_header(ctx);
    scr_page("Flash Failed");
    scr_cf_error(&ctx->flash_err);
    printf("\n");
    if (r->failed_address)
        scr_label("Failed during:", "%s at 0x%08X", cf_flash_phase_name(r->failed_phase),
                  r->failed_address);
    else
        scr_label("Failed during:", "%s", cf_flash_phase_name(r->failed_phase));
    /* The error's hint already says whether the probe is still in DFU mode and
     * safe to flash again (or dropped off USB); only the rare case after leave
     * needs its own words. */
    if (!r->still_in_dfu)
        printf("The probe was told to leave DFU mode; power-cycle it and check it shows up.\n");
    if (r->backup_path[0])
        scr_label("Previous contents saved to:", "%s", r->backup_path);
    if (ctx->klipper_stopped_by_us)
        printf("Klipper (%s) is stopped; it is offered again after a successful flash.\n",
               ctx->set.klipper_service);

    menu m;
    menu_init(&m, "Options");
    menu_add(&m, A_RETRY, COL_NONE, "Retry");
    menu_add(&m, A_DFU, COL_NONE, "Back");
    menu_sep(&m);
    menu_add_exit(&m);
    switch (menu_show(&m)) {
    case A_RETRY:
        return PAGE_DFU_FLASH;
    case A_DFU:
        return PAGE_DFU;
    case MENU_ACT_EXIT:
        return PAGE_EXIT;
    default:
        return PAGE_INTERRUPT;
    }
}
