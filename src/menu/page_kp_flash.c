/* The Katapult flash with progress bars, and whether the probe came back. */
#include <stdio.h>
#include <string.h>

#include "katapult/katapult.h"
#include "klipper/cameback.h"
#include "menu/menu.h"

static bool nothing_to_send(menu_ctx *ctx, const cf_kp_env *env, const cf_kp_opts *opts,
                            const cf_image *img, menu_page *next)
{
    char runs[600];
    bool same = false;
    if (menu_kp_precheck(env, menu_kp_via_can(ctx), opts, img, runs, sizeof(runs), &same,
                         &ctx->flash_err) != CF_OK) {
        scr_cf_error(&ctx->flash_err);
        printf("No bootloader request was sent: the probe still runs %s.\n", runs);
    } else if (same) {
        scr_success("The probe already runs %s; nothing to do.", runs);
        printf("No bootloader request was sent. Choose another firmware to change it.\n");
    } else {
        return false;
    }
    *next = term_pause(NULL) ? menu_kp_back_page(ctx) : PAGE_INTERRUPT;
    return true;
}

/* What a deployer made of the probe, and what to do next. */
static const char *deployer_next(const cf_kp_report *rep, bool can)
{
    static char buf[400];
    if (rep->installed_katapult == CF_IFACE_CAN && !can) {
        snprintf(buf, sizeof(buf),
                 "Katapult for CAN is installed and started: the probe has left USB.\n"
                 "Next: power off, wire the probe to the CAN bus (fit its 120 ohm terminator "
                 "jumper if it ends the bus), power on, and flash the CAN application to UUID %s "
                 "(Katapult - CAN).",
                 rep->can_uuid[0] ? rep->can_uuid : "(see Katapult - CAN)");
        return buf;
    }
    if (rep->installed_katapult == CF_IFACE_USB && can)
        return "Katapult for USB is installed and started: the probe has left the CAN bus.\n"
               "Next: power off, connect the probe by USB, power on, and flash the USB "
               "application (Katapult - USB).";
    return rep->came_back ? "Katapult is installed and the probe waits in it: flash the "
                            "application next."
                          : "Katapult is installed, but the probe was not seen in it.";
}

/* After COMPLETE: the same UUID on CAN, the same port and chip serial on
 * USB (klipper/cameback.h); one sentence for the result page. */
static void kp_came_back(menu_ctx *ctx, const cf_kp_env *env, const cf_image *img,
                         const cf_kp_report *rep, char *out, size_t size)
{
    cf_image_info info;
    cf_image_inspect(img, &info);
    cf_cb_want w = {.img = img,
                    .iface = info.kind == CF_KIND_DEPLOYER ? CF_IFACE_UNKNOWN : info.iface,
                    .port = rep->port,
                    .serial = rep->serial,
                    .can_if = ctx->set.can_interface,
                    .uuid = menu_kp_via_can(ctx) ? ctx->kp_device : NULL};
    w.wait_ms = w.iface == CF_IFACE_CAN ? CF_CB_CAN_WAIT_MS : CF_CB_USB_WAIT_MS;
    if (w.iface == CF_IFACE_UNKNOWN)
        w.why_not = "a deployer installs Katapult and leaves the probe in it (`cartoflash list`)";
    printf("Looking for the probe running its new firmware...\n");
    fflush(stdout);
    cf_came_back cb;
    cf_error err = {0};
    char line[768];
    if (cf_came_back_wait(NULL, env, &w, &cb, &err) == CF_OK) {
        cf_came_back_describe(&cb, line, sizeof(line));
        snprintf(out, size, "%s%s.", cb.looked ? "Came back: " : "Not looked for: ", line);
    } else {
        snprintf(out, size, "%.400s. Next: %.560s", err.message, err.hint);
    }
    menu_log(false, "came back: %s", out);
}

menu_page page_kp_flash(menu_ctx *ctx)
{
    char title[48];
    snprintf(title, sizeof(title), "Flashing via %s..", menu_kp_via_name(ctx));
    scr_header(ctx);
    scr_page(title);
    scr_label("Device:", "%s", ctx->kp_label);
    scr_label("Firmware:", "%s", ctx->kp_fw.label);
    ctx->kp_ok = false;
    ctx->kp_result[0] = '\0';
    ctx->kp_failed_phase = CF_PHASE_CONNECT;
    cf_error_reset(&ctx->flash_err);

    cf_kp_env env;
    if (!menu_kp_env(ctx, &env))
        return term_pause(NULL) ? menu_kp_back_page(ctx) : PAGE_INTERRUPT;
    cf_image img;
    cf_image_load_opts lo = {.default_address = 0x08002000u};
    if (cf_image_load(ctx->kp_fw.path, &lo, &img, &ctx->flash_err) != CF_OK)
        return PAGE_KP_RESULT;

    cf_kp_timing timing;
    cf_kp_timing_default(&timing);
    /* the emulated node answers at once: fail fast in fault demos */
    if (!cf_kp_env_on_machine(&env)) {
        timing.reply_ms = 500;
        timing.block_reply_ms = 800;
    }
    cf_kp_opts opts = {.interface = ctx->set.can_interface, .timing = &timing};
    if (menu_kp_via_can(ctx))
        opts.uuid = ctx->kp_device;
    else
        opts.device = ctx->kp_device;
    menu_page stop;
    if (nothing_to_send(ctx, &env, &opts, &img, &stop)) {
        cf_image_free(&img);
        return stop;
    }
    printf("Sending %zu bytes to 0x%08X\n\n", cf_image_size(&img), cf_image_start(&img));
    fflush(stdout);

    menu_progress view;
    cf_flash_events ev;
    menu_progress_init(&view, "Starting the new firmware", &ev);
    cf_kp_report rep;
    memset(&rep, 0, sizeof(rep));
    term_hold_interrupt(true);
    opts.caller_waits = true;
    cf_code rc = menu_kp_via_can(ctx)
                     ? cf_kp_flash_can(&env, &img, &opts, &ev, &rep, &ctx->flash_err)
                     : cf_kp_flash_usb(&env, &img, &opts, &ev, &rep, &ctx->flash_err);
    term_hold_interrupt(false);
    term_discard_input();
    menu_progress_notices(&view);
    ctx->kp_ok = rc == CF_OK;
    ctx->kp_failed_phase = rep.failed_phase;
    if (rc == CF_OK) {
        char back[1024];
        if (rep.installed_katapult != CF_IFACE_UNKNOWN) /* the deployer's flow waited */
            snprintf(back, sizeof(back), "%s", deployer_next(&rep, menu_kp_via_can(ctx)));
        else
            kp_came_back(ctx, &env, &img, &rep, back, sizeof(back));
        snprintf(ctx->kp_result, sizeof(ctx->kp_result),
                 "Written and verified %zu bytes on %s in %.1f s.\n%s", rep.bytes_verified,
                 rep.device, rep.transfer_seconds, back);
    }
    cf_image_free(&img);
    if (rc != CF_OK)
        snprintf(ctx->kp_result, sizeof(ctx->kp_result),
                 "%s failed after %zu bytes written, %zu "
                 "verified; %s",
                 cf_flash_phase_name(rep.failed_phase), rep.bytes_written, rep.bytes_verified,
                 rep.completed ? "COMPLETE was sent."
                               : "COMPLETE was not sent: the probe stays in Katapult and it is "
                                 "safe to retry.");
    menu_log(false, "katapult flash %s: %s", rc == CF_OK ? "ok" : "failed", ctx->kp_result);
    if (term_interrupted())
        return PAGE_INTERRUPT;
    if (rc == CF_OK && !term_pause("Press Enter to continue..."))
        return PAGE_INTERRUPT;
    return PAGE_KP_RESULT;
}
