/* Katapult - CAN and Katapult - USB: the old script's menus, flashing through
 * the Katapult layer (katapult/katapult.h): find the probe (CAN query,
 * printer.cfg, klippy.log or a typed UUID; USB devices from sysfs), pick an
 * application image from the catalogue, confirm, flash with progress.
 * menu_katapult_available() is the one switch should a build lack it. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/simulate.h"
#include "common/safe.h"
#include "common/clock.h"
#include "common/host.h"
#include "katapult/katapult.h"
#include "klipper/cameback.h"
#include "menu/menu.h"

#define MAX_DEVS 16

bool menu_katapult_available(void)
{
    return true;
}

static bool via_can(const menu_ctx *ctx)
{
    return ctx->kp_via == MODE_CAN;
}

static const char *via_name(const menu_ctx *ctx)
{
    return via_can(ctx) ? "CAN" : "USB";
}

void menu_kp_close(menu_ctx *ctx)
{
    cf_kp_transport_free(ctx->kp_sim);
    ctx->kp_sim = NULL;
}

/* Hardware, or the emulated node under --simulate=katapult-...; false (with
 * a message) when the simulation is of something else, so that a simulated
 * session never touches the real bus. */
static bool kp_env(menu_ctx *ctx, cf_kp_env *env)
{
    memset(env, 0, sizeof(*env));
    const char *spec = ctx->cli->simulate;
    if (!spec)
        return true;
    const char *want = via_can(ctx) ? "katapult-can" : "katapult-usb";
    bool usable = via_can(ctx) ? cf_cli_sim_is_katapult(spec) && strncmp(spec, want, 12) == 0
                               : cf_cli_sim_has_usb(spec);
    if (!usable) {
        scr_error("The simulated probe (--simulate=%s) is not on %s through Katapult.", spec,
                  via_name(ctx));
        printf("Start cartoflash with --simulate=%s to try this menu without hardware.\n", want);
        return false;
    }
    if (!ctx->kp_sim) {
        cf_error err;
        cf_error_reset(&err);
        if (cf_cli_sim_katapult(spec, &ctx->kp_sim, &err) != CF_OK) {
            scr_cf_error(&err);
            return false;
        }
    }
    env->transport = ctx->kp_sim;
    return true;
}

static void enter(menu_ctx *ctx, menu_flash_mode via)
{
    if (ctx->kp_via != via) { /* a CAN selection means nothing to the USB menu */
        ctx->kp_via = via;
        ctx->kp_device[0] = '\0';
        ctx->kp_have_fw = false;
    }
}

enum { A_DEVICE = 1, A_FIRMWARE, A_FLASH, A_DFU, A_MAIN };

static menu_page katapult_menu(menu_ctx *ctx, menu_flash_mode via)
{
    enter(ctx, via);
    scr_header(ctx);
    if (ctx->kp_device[0])
        scr_label("Device Selected:", "%s", ctx->kp_label);
    if (ctx->kp_have_fw)
        scr_label("Firmware Selected:", "%s", ctx->kp_fw.label);
    if (!menu_katapult_available())
        scr_warn("This build of cartoflash cannot flash over Katapult (%s) yet; use DFU.",
                 via_name(ctx));

    menu m;
    menu_init(&m, "What would you like to do?");
    menu_add(&m, A_DEVICE, COL_NONE, "Find Cartographer Device");
    menu_add(&m, A_FIRMWARE, COL_NONE, "Select %s Firmware", via_name(ctx));
    if (ctx->kp_device[0] && ctx->kp_have_fw) {
        menu_sep(&m);
        menu_add(&m, A_FLASH, COL_NONE, "Flash Selected Firmware");
    }
    menu_sep(&m);
    menu_add(&m, A_MAIN, COL_CYAN, "Back to main menu");
    menu_sep(&m);
    menu_add_exit(&m);

    switch (menu_show(&m)) {
    case A_DEVICE:
        return menu_katapult_available()
                   ? PAGE_KP_DEVICE
                   : (via == MODE_CAN ? PAGE_KATAPULT_CAN : PAGE_KATAPULT_USB);
    case A_FIRMWARE:
        return menu_katapult_available()
                   ? PAGE_KP_FIRMWARE
                   : (via == MODE_CAN ? PAGE_KATAPULT_CAN : PAGE_KATAPULT_USB);
    case A_FLASH:
        return PAGE_KP_CONFIRM;
    case A_MAIN:
        return PAGE_MAIN;
    case MENU_ACT_EXIT:
        return PAGE_EXIT;
    default:
        return PAGE_INTERRUPT;
    }
}

menu_page page_katapult_can(menu_ctx *ctx)
{
    return katapult_menu(ctx, MODE_CAN);
}

menu_page page_katapult_usb(menu_ctx *ctx)
{
    return katapult_menu(ctx, MODE_USB);
}

static menu_page back_to_menu(const menu_ctx *ctx)
{
    return via_can(ctx) ? PAGE_KATAPULT_CAN : PAGE_KATAPULT_USB;
}

/* ---- find the device ---- */

typedef struct kp_choice {
    char id[192];
    char label[256];
} kp_choice;

static bool valid_uuid(const char *u)
{
    size_t n = 0;
    for (; u[n]; n++)
        if (!isxdigit((unsigned char)u[n]))
            return false;
    return n == 12;
}

static void add_choice(kp_choice *c, size_t *n, const char *id, const char *fmt, const char *a,
                       const char *b)
{
    for (size_t i = 0; i < *n; i++)
        if (strcasecmp(c[i].id, id) == 0)
            return; /* the same UUID from the bus and from printer.cfg: once */
    if (*n >= MAX_DEVS)
        return;
    menu_copy(c[*n].id, sizeof(c[*n].id), id);
    snprintf(c[*n].label, sizeof(c[*n].label), fmt, id, a, b);
    (*n)++;
}

static size_t find_can(menu_ctx *ctx, const cf_kp_env *env, kp_choice *c)
{
    size_t n = 0;
    cf_kp_found_uuid found[MAX_DEVS];
    size_t nf = 0;
    cf_error err;
    cf_error_reset(&err);
    printf("Asking %s for unassigned nodes...\n", ctx->set.can_interface);
    fflush(stdout);
    if (cf_kp_can_query_env(env, ctx->set.can_interface, 1000, found, MAX_DEVS, &nf, &err) != CF_OK)
        scr_cf_error(&err);
    for (size_t i = 0; i < nf; i++)
        add_choice(c, &n, found[i].uuid, "%s (%s, %s)", cf_kp_app_name(found[i].app),
                   found[i].source);
    if (nf == 0)
        printf("%s\n", cf_kp_claimed_note);

    if (!cf_kp_env_on_machine(env))
        return n; /* a simulated session reads no files of this machine */
    cf_kp_cfg_entry cfg[MAX_DEVS];
    size_t nc = 0;
    cf_host host;
    cf_host_detect(&host, NULL);
    const char *path = host.printer_cfg;
    cf_error_reset(&err);
    if (cf_kp_config_scan_file(path, cfg, MAX_DEVS, &nc, &err) == CF_OK)
        for (size_t i = 0; i < nc; i++)
            if (cfg[i].can && valid_uuid(cfg[i].value))
                add_choice(c, &n, cfg[i].value, "%s ([%s] in %s)", cfg[i].section, cfg[i].source);
    nc = 0;
    cf_error_reset(&err);
    if (cf_kp_klippy_log_scan_file(ctx->set.klippy_log, cfg, MAX_DEVS, &nc, &err) == CF_OK)
        for (size_t i = 0; i < nc; i++)
            if (cfg[i].can && valid_uuid(cfg[i].value))
                add_choice(c, &n, cfg[i].value, "%s ([%s] in %s)", cfg[i].section, cfg[i].source);
    return n;
}

static size_t find_usb(const cf_kp_env *env, kp_choice *c)
{
    cf_kp_usb_dev devs[MAX_DEVS];
    size_t nd = 0, n = 0;
    cf_error err;
    cf_error_reset(&err);
    printf("Looking for Cartographer on USB (Klipper or Katapult mode)...\n");
    fflush(stdout);
    /* give a probe that is just enumerating (or re-enumerating) two seconds */
    size_t probes = 0;
    for (int i = 0; i < 20 && probes == 0 && !term_interrupted(); i++) {
        cf_error_reset(&err);
        if (cf_kp_usb_list(env, devs, MAX_DEVS, &nd, &err) != CF_OK) {
            scr_cf_error(&err);
            break;
        }
        probes = 0;
        for (size_t k = 0; k < nd; k++)
            probes += cf_kp_usb_is_probe(env, &devs[k]);
        if (probes == 0)
            cf_sleep_ns(100000000ull);
    }
    for (size_t i = 0; i < nd && n < MAX_DEVS; i++) {
        /* Another board running Klipper (a mainboard is 1d50:614e too) is
         * shown, never offered: nothing is sent to it from this menu. */
        if (!cf_kp_usb_is_probe(env, &devs[i])) {
            scr_warn("%s %s (%s, %04x:%04x \"%s\" \"%s\") is not a Cartographer: not offered.",
                     devs[i].port, devs[i].tty, cf_kp_app_name(devs[i].app), devs[i].vid,
                     devs[i].pid, devs[i].manufacturer, devs[i].product);
            continue;
        }
        menu_copy(c[n].id, sizeof(c[n].id), devs[i].port[0] ? devs[i].port : devs[i].tty);
        snprintf(c[n].label, sizeof(c[n].label), "%s %s (%s, %s)", devs[i].port, devs[i].tty,
                 cf_kp_app_name(devs[i].app), devs[i].product[0] ? devs[i].product : "?");
        n++;
    }
    return n;
}

enum { A_CHECK = 100, A_ENTER, A_BACK, A_BACK_MAIN, A_PICK = 200 };

menu_page page_kp_device(menu_ctx *ctx)
{
    scr_header(ctx);
    scr_page(via_can(ctx) ? "Querying CAN devices.." : "Querying USB devices..");
    cf_kp_env env;
    kp_choice c[MAX_DEVS];
    size_t n = 0;
    if (kp_env(ctx, &env))
        n = via_can(ctx) ? find_can(ctx, &env, c) : find_usb(&env, c);
    if (n)
        scr_success("%zu device%s found", n, n == 1 ? "" : "s");
    else
        scr_error("No Cartographer found %s.",
                  via_can(ctx) ? "on the CAN bus or in printer.cfg" : "on USB");
    if (!n && !via_can(ctx))
        printf("If the probe is connected over CAN, use Katapult - CAN from the main menu.\n");

    menu m;
    menu_init(&m, "Options");
    for (size_t i = 0; i < n; i++)
        menu_add(&m, A_PICK + (int)i, COL_NONE, "Select %s", c[i].label);
    if (n)
        menu_sep(&m);
    if (via_can(ctx))
        menu_add(&m, A_ENTER, COL_NONE, "Enter UUID");
    menu_add(&m, A_CHECK, COL_NONE, "Check Again");
    menu_sep(&m);
    menu_add(&m, A_BACK, COL_NONE, "Back");
    menu_add(&m, A_BACK_MAIN, COL_CYAN, "Back to main menu");
    menu_sep(&m);
    menu_add_exit(&m);

    int a = menu_show(&m);
    if (a >= A_PICK && a < A_PICK + (int)n) {
        menu_copy(ctx->kp_device, sizeof(ctx->kp_device), c[a - A_PICK].id);
        menu_copy(ctx->kp_label, sizeof(ctx->kp_label), c[a - A_PICK].label);
        menu_log(false, "katapult device selected: %s", ctx->kp_label);
        return back_to_menu(ctx);
    }
    switch (a) {
    case A_ENTER: {
        char line[64];
        printf("Enter the CAN UUID (12 hex digits): ");
        if (!term_read_line(line, sizeof(line)))
            return PAGE_INTERRUPT;
        for (char *p = line; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        if (!valid_uuid(line)) {
            scr_error("\"%.20s\" is not a CAN UUID (12 hex digits, from printer.cfg's "
                      "canbus_uuid).",
                      line);
            return term_pause(NULL) ? PAGE_KP_DEVICE : PAGE_INTERRUPT;
        }
        menu_copy(ctx->kp_device, sizeof(ctx->kp_device), line);
        snprintf(ctx->kp_label, sizeof(ctx->kp_label), "%s (entered)", line);
        return back_to_menu(ctx);
    }
    case A_CHECK:
        return PAGE_KP_DEVICE;
    case A_BACK:
        return back_to_menu(ctx);
    case A_BACK_MAIN:
        return PAGE_MAIN;
    case MENU_ACT_EXIT:
        return PAGE_EXIT;
    default:
        return PAGE_INTERRUPT;
    }
}

/* ---- firmware ---- */

static uint32_t bus_bitrate(menu_ctx *ctx)
{
    cf_kp_env env;
    if (!via_can(ctx) || !kp_env(ctx, &env))
        return 0;
    cf_kp_canlink link;
    cf_error err;
    cf_error_reset(&err);
    if (cf_kp_can_bus_info(&env, ctx->set.can_interface, &link, &err) != CF_OK || !link.has_bitrate)
        return 0;
    return link.bitrate;
}

menu_page page_kp_firmware(menu_ctx *ctx)
{
    scr_header(ctx);
    scr_page(via_can(ctx) ? "CAN Firmware Menu" : "USB Firmware Menu");
    ctx->kp_bitrate = bus_bitrate(ctx);
    if (via_can(ctx)) {
        if (ctx->kp_bitrate)
            printf("%s runs at %u bit/s: CAN images for other bitrates are refused.\n",
                   ctx->set.can_interface, ctx->kp_bitrate);
        else
            printf("The bitrate of %s is unknown: pick the image matching your bus.\n",
                   ctx->set.can_interface);
    }
    menu_fw_want want = {.katapult = true,
                         .iface = via_can(ctx) ? CF_IFACE_CAN : CF_IFACE_USB,
                         .bitrate = ctx->kp_bitrate};
    menu_fw *list = NULL;
    size_t count = 0;
    char sources[2048];
    cf_error err;
    cf_error_reset(&err);
    cf_code rc = menu_fw_find(ctx, &want, &list, &count, sources, sizeof(sources), &err);
    fputs(sources, stdout);
    if (rc != CF_OK)
        scr_cf_error(&err);
    else if (count == 0)
        scr_error("No %s application image for Katapult was found.", via_name(ctx));

    menu m;
    menu_init(&m, "Select Firmware");
    bool show_refused = ctx->set.all_firmware || count <= 20;
    int map[MENU_MAX_ITEMS];
    size_t shown = 0, hidden = 0, refused = 0;
    for (size_t i = 0; i < count && m.count < MENU_MAX_ITEMS - 10; i++) {
        if (!list[i].usable && !show_refused) {
            hidden++;
            continue;
        }
        char line[sizeof(m.items[0].label)];
        menu_fw_item(&list[i], m.next_number, NULL, line, sizeof(line));
        map[shown] = (int)i;
        menu_add(&m, A_PICK + (int)shown, list[i].usable ? COL_NONE : COL_RED, "%s", line);
        shown++;
        refused += !list[i].usable;
    }
    if (refused)
        printf("Images marked [refused] cannot be flashed with these settings; choose one to see "
               "why.\n");
    if (hidden)
        printf("%zu more images that do not fit are hidden (advanced mode: Show All Firmware).\n",
               hidden);
    if (shown)
        menu_sep(&m);
    menu_add(&m, A_CHECK, COL_NONE, "Check Again");
    menu_sep(&m);
    menu_add(&m, A_BACK, COL_NONE, "Back");
    menu_add(&m, A_BACK_MAIN, COL_CYAN, "Back to main menu");
    menu_sep(&m);
    menu_add_exit(&m);

    int a = menu_show(&m);
    menu_page next;
    if (a >= A_PICK && a < A_PICK + (int)shown) {
        const menu_fw *fw = &list[map[a - A_PICK]];
        if (!fw->usable) {
            menu_fw_explain_refusal(fw, "Katapult");
            next = term_pause(NULL) ? PAGE_KP_FIRMWARE : PAGE_INTERRUPT;
        } else {
            ctx->kp_fw = *fw;
            ctx->kp_have_fw = true;
            menu_log(false, "katapult firmware selected: %s", fw->path);
            next = back_to_menu(ctx);
        }
    } else if (a == A_CHECK) {
        next = PAGE_KP_FIRMWARE;
    } else if (a == A_BACK) {
        next = back_to_menu(ctx);
    } else if (a == A_BACK_MAIN) {
        next = PAGE_MAIN;
    } else {
        next = a == MENU_ACT_EXIT ? PAGE_EXIT : PAGE_INTERRUPT;
    }
    free(list);
    return next;
}

/* ---- confirm, flash, result ---- */

enum { A_YES = 1, A_NO };

menu_page page_kp_confirm(menu_ctx *ctx)
{
    scr_header(ctx);
    char title[48];
    snprintf(title, sizeof(title), "Confirm %s Flash", via_name(ctx));
    scr_page(title);
    scr_label("Device to Flash:", "%s", ctx->kp_label);
    scr_label("Firmware to Flash:", "%s", ctx->kp_fw.label);
    char desc[160];
    menu_fw_describe(&ctx->kp_fw, desc, sizeof(desc));
    printf("  %s; written through Katapult from 0x08002000, read back before it is started.\n",
           cf_safe(desc));
    printf("\nAre these details correct?\n");
    menu m;
    menu_init(&m, "Confirmation");
    menu_add(&m, A_YES, COL_NONE, "Yes, proceed to flash");
    menu_add(&m, A_NO, COL_NONE, "No, return to %s menu", via_name(ctx));
    menu_add_exit(&m);
    switch (menu_show(&m)) {
    case A_YES: {
        /* a UUID printer.cfg or klippy.log gives to another board is never flashed from
         * the menu (the command line can, with --force) */
        cf_error err;
        cf_error_reset(&err);
        if (via_can(ctx) &&
            cf_kp_refuse_foreign_uuid(getenv("HOME"), ctx->kp_device, &err) != CF_OK) {
            menu_log(false, "refused: %s", err.message);
            scr_cf_error(&err);
            return term_pause(NULL) ? back_to_menu(ctx) : PAGE_INTERRUPT;
        }
        char detail[256];
        menu_svc st = menu_klipper_state(ctx, detail, sizeof(detail));
        ctx->klipper_was_running = st == SVC_ACTIVE;
        ctx->flash_page = PAGE_KP_FLASH;
        ctx->back_page = back_to_menu(ctx);
        return st == SVC_ACTIVE ? PAGE_DFU_KLIPPER : PAGE_KP_FLASH;
    }
    case A_NO:
        return back_to_menu(ctx);
    case MENU_ACT_EXIT:
        return PAGE_EXIT;
    default:
        return PAGE_INTERRUPT;
    }
}

/* Before the bootloader request: firmware for another chip than the probe
 * runs is refused, the build it already runs is nothing to do; *next is the
 * page to go to then. */
static bool nothing_to_send(menu_ctx *ctx, const cf_kp_env *env, const cf_kp_opts *opts,
                            const cf_image *img, menu_page *next)
{
    char runs[600];
    bool same = false;
    if (menu_kp_precheck(env, via_can(ctx), opts, img, runs, sizeof(runs), &same,
                         &ctx->flash_err) != CF_OK) {
        scr_cf_error(&ctx->flash_err);
        printf("No bootloader request was sent: the probe still runs %s.\n", runs);
    } else if (same) {
        scr_success("The probe already runs %s; nothing to do.", runs);
        printf("No bootloader request was sent. Choose another firmware to change it.\n");
    } else {
        return false;
    }
    *next = term_pause(NULL) ? back_to_menu(ctx) : PAGE_INTERRUPT;
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
                    .uuid = via_can(ctx) ? ctx->kp_device : NULL,
                    .can_reachable = true};
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
    snprintf(title, sizeof(title), "Flashing via %s..", via_name(ctx));
    scr_header(ctx);
    scr_page(title);
    scr_label("Device:", "%s", ctx->kp_label);
    scr_label("Firmware:", "%s", ctx->kp_fw.label);
    ctx->kp_ok = false;
    ctx->kp_result[0] = '\0';
    ctx->kp_failed_phase = CF_PHASE_CONNECT;
    cf_error_reset(&ctx->flash_err);

    cf_kp_env env;
    if (!kp_env(ctx, &env))
        return term_pause(NULL) ? back_to_menu(ctx) : PAGE_INTERRUPT;
    cf_image img;
    cf_image_load_opts lo = {.default_address = 0x08002000u};
    if (cf_image_load(ctx->kp_fw.path, &lo, &img, &ctx->flash_err) != CF_OK)
        return PAGE_KP_RESULT;

    cf_kp_timing timing;
    cf_kp_timing_default(&timing);
    if (!cf_kp_env_on_machine(
            &env)) { /* the emulated node answers at once: fail fast in fault demos */
        timing.reply_ms = 500;
        timing.block_reply_ms = 800;
    }
    cf_kp_opts opts = {.interface = ctx->set.can_interface, .timing = &timing};
    if (via_can(ctx))
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
    cf_code rc = via_can(ctx) ? cf_kp_flash_can(&env, &img, &opts, &ev, &rep, &ctx->flash_err)
                              : cf_kp_flash_usb(&env, &img, &opts, &ev, &rep, &ctx->flash_err);
    term_hold_interrupt(false);
    term_discard_input();
    menu_progress_notices(&view);
    ctx->kp_ok = rc == CF_OK;
    ctx->kp_failed_phase = rep.failed_phase;
    if (rc == CF_OK) {
        char back[1024];
        if (rep.installed_katapult != CF_IFACE_UNKNOWN) /* the deployer's flow waited */
            snprintf(back, sizeof(back), "%s", deployer_next(&rep, via_can(ctx)));
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

enum { A_RETRY = 1, A_BACKR, A_START_KLIPPER, A_MAINR };

menu_page page_kp_result(menu_ctx *ctx)
{
    scr_header(ctx);
    scr_page(ctx->kp_ok ? "Flashed Successfully" : "Flash Failed");
    if (ctx->kp_ok) {
        scr_success("Firmware flashed successfully to device!");
    } else {
        scr_cf_error(&ctx->flash_err);
        scr_label("Failed during:", "%s", cf_flash_phase_name(ctx->kp_failed_phase));
    }
    if (ctx->kp_result[0]) {
        /* two lines (what was written, then whether it came back): the
         * newline is ours, the rest quotes device strings and is filtered */
        char shown[sizeof(ctx->kp_result) * 4];
        printf("%s\n", cf_safe_text_buf(shown, sizeof(shown), ctx->kp_result));
    }
    if (ctx->klipper_stopped_by_us)
        printf("\nKlipper (%s) was stopped for the flash.\n", ctx->set.klipper_service);

    menu m;
    menu_init(&m, ctx->kp_ok ? "What next?" : "Options");
    if (!ctx->kp_ok) {
        menu_add(&m, A_RETRY, COL_NONE, "Retry");
        menu_add(&m, A_BACKR, COL_NONE, "Back");
    }
    if (ctx->kp_ok && ctx->klipper_stopped_by_us)
        menu_add(&m, A_START_KLIPPER, COL_NONE, "Start Klipper again (%s)",
                 ctx->set.klipper_service);
    if (ctx->kp_ok)
        menu_add(&m, A_MAINR, COL_CYAN, "Back to main menu");
    menu_sep(&m);
    menu_add_exit(&m);
    switch (menu_show(&m)) {
    case A_RETRY:
        return PAGE_KP_FLASH;
    case A_BACKR:
        return back_to_menu(ctx);
    case A_START_KLIPPER: {
        cf_error err;
        cf_error_reset(&err);
        if (menu_klipper_start(ctx, &err) == CF_OK) {
            scr_success("%s started.", ctx->set.klipper_service);
            ctx->klipper_stopped_by_us = false;
        } else {
            scr_cf_error(&err);
        }
        return term_pause(NULL) ? PAGE_KP_RESULT : PAGE_INTERRUPT;
    }
    case A_MAINR:
        ctx->kp_have_fw = false;
        return PAGE_MAIN;
    case MENU_ACT_EXIT:
        return PAGE_EXIT;
    default:
        return PAGE_INTERRUPT;
    }
}
