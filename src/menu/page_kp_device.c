/* Find the probe for a Katapult flash: a CAN query, printer.cfg, klippy.log or
 * a typed UUID on CAN; USB devices from sysfs. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/host.h"
#include "katapult/katapult.h"
#include "menu/menu.h"

#define MAX_DEVS 16

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
        printf("%s\n", cf_front_can_claimed_note);

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

enum { A_ENTER = 1, A_BACK, A_PICK = 200 };

menu_page page_kp_device(menu_ctx *ctx)
{
    scr_header(ctx);
    scr_page(menu_kp_via_can(ctx) ? "Querying CAN devices.." : "Querying USB devices..");
    cf_kp_env env;
    kp_choice c[MAX_DEVS];
    size_t n = 0;
    if (menu_kp_env(ctx, &env))
        n = menu_kp_via_can(ctx) ? find_can(ctx, &env, c) : find_usb(&env, c);
    if (n)
        scr_success("%zu device%s found", n, n == 1 ? "" : "s");
    else
        scr_error("No Cartographer found %s.",
                  menu_kp_via_can(ctx) ? "on the CAN bus or in printer.cfg" : "on USB");
    if (!n && !menu_kp_via_can(ctx))
        printf("If the probe is connected over CAN, use Katapult - CAN from the main menu.\n");

    menu m;
    menu_init(&m, "Options");
    for (size_t i = 0; i < n; i++)
        menu_add(&m, A_PICK + (int)i, COL_NONE, "Select %s", c[i].label);
    if (n)
        menu_sep(&m);
    if (menu_kp_via_can(ctx))
        menu_add(&m, A_ENTER, COL_NONE, "Enter UUID");
    menu_add(&m, MENU_ACT_GO(PAGE_KP_DEVICE), COL_NONE, "Check Again");
    menu_add_footer(&m, A_BACK, MENU_ACT_GO(PAGE_MAIN), NULL);

    int a = menu_show(&m);
    if (a >= A_PICK && a < A_PICK + (int)n) {
        menu_copy(ctx->kp_device, sizeof(ctx->kp_device), c[a - A_PICK].id);
        menu_copy(ctx->kp_label, sizeof(ctx->kp_label), c[a - A_PICK].label);
        menu_log(false, "katapult device selected: %s", ctx->kp_label);
        return menu_kp_back_page(ctx);
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
        return menu_kp_back_page(ctx);
    }
    case A_BACK:
        return menu_kp_back_page(ctx);
    default:
        return menu_next_page(a);
    }
}
