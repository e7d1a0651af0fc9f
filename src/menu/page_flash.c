/* Flashing (dfu-flashed-1.png: erase and download bars), then the "Flashed
 * Successfully" page (dfu-flashed-2.png) with next steps, or a failure page
 * that says what failed and that the probe is still in DFU mode. */
#include <stdio.h>
#include <string.h>

#include "common/safe.h"
#include "common/clock.h"
#include "front/simulate.h"
#include "klipper/cameback.h"
#include "menu/menu.h"

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
    if (menu_wait_dfu(ctx, ctx->device, 30, &found, &err) == CF_OK) {
        menu_copy(ctx->device_port, sizeof(ctx->device_port), found.bus_path);
        menu_copy(ctx->device_serial, sizeof(ctx->device_serial), found.serial);
        return true;
    }
    scr_cf_error(&err);
    return false;
}

/* A CAN build will be looked for after leave as the node that was not there
 * before: ask the bus now (nothing to ask when it cannot be reached). */
static void remember_can_nodes(menu_ctx *ctx)
{
    ctx->can_before_count = 0;
    if (ctx->fw.info.iface == CF_IFACE_CAN && !cf_front_sim_no_can(ctx->cli->simulate))
        cf_came_back_can_before(NULL, ctx->set.can_interface, ctx->can_before, CF_CB_MAX_BEFORE,
                                &ctx->can_before_count);
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
    remember_can_nodes(ctx);
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

/* Does the probe come back running its firmware: a USB build on the port it
 * was flashed on, with the same chip (klipper/cameback.h; the simulated bus
 * answers the same question), a CAN build on the CAN interface when it is up? */
static void check_came_back(menu_ctx *ctx)
{
    cf_image img = {0};
    cf_image_load_opts lo = {.default_address = 0x08000000u};
    cf_error err = {0};
    bool have_img = cf_image_load(ctx->fw.path, &lo, &img, &err) == CF_OK;
    cf_cb_want w = {.img = have_img ? &img : NULL,
                    .iface = ctx->fw.info.iface,
                    .port = ctx->device_port,
                    .serial = ctx->device_serial,
                    .can_if = ctx->set.can_interface,
                    .no_can = cf_front_sim_no_can(ctx->cli->simulate),
                    .before = ctx->can_before,
                    .before_count = ctx->can_before_count};
    w.wait_ms = w.iface == CF_IFACE_CAN ? CF_CB_CAN_WAIT_MS : CF_CB_USB_WAIT_MS;
    printf("\nChecking that the probe comes back running its firmware (up to %u s)...\n",
           w.wait_ms / 1000);
    fflush(stdout);
    cf_came_back cb;
    cf_error_reset(&err);
    cf_kp_env env = {0};
    char line[768];
    if (cf_came_back_wait(ctx->be, &env, &w, &cb, &err) == CF_OK) {
        cf_came_back_describe(&cb, line, sizeof(line));
        if (cb.seen)
            scr_success("Came back: %s", line);
        else
            scr_warn("Not looked for: %s", line);
        menu_log(false, "came back: %s%s%s", line, cb.note[0] ? "; " : "", cb.note);
    } else {
        scr_cf_error(&err);
        menu_log(false, "not seen: %s", err.message);
    }
    cf_image_free(&img);
}

enum { A_START_KLIPPER = 1, A_MAIN };

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
    } else {
        printf("  Power-cycle the probe and check it shows up (lsusb, or your CAN query).\n");
    }
    if (ctx->flash_rep.left && in->iface != CF_IFACE_UNKNOWN)
        check_came_back(ctx);
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
        if (a == A_START_KLIPPER)
            return menu_klipper_restart(ctx) ? PAGE_DFU_SUCCESS : PAGE_INTERRUPT;
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
    menu_add(&m, MENU_ACT_GO(PAGE_DFU_FLASH), COL_NONE, "Retry");
    menu_add(&m, MENU_ACT_GO(PAGE_DFU), COL_NONE, "Back");
    menu_sep(&m);
    menu_add_exit(&m);
    return menu_next_page(menu_show(&m));
}
