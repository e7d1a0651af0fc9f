/* cartoflash update [--yes] [--version V] [--device SEL | --uuid UUID] [--interface IF]
 *                   [--source DIR|URL] [--branch B] [--offline] [--force]
 *                   [--firmware-interface usb|can] [--bitrate N]
 * Finds the probe, reads what it runs, picks the image (same chip, interface,
 * bitrate and flavour; newest unless --version), flashes it through Katapult
 * on the transport the probe is on, and reads the new version back. A probe in
 * DFU mode gets the combined image over DFU, its interface taken from the
 * firmware its flash holds. Every choice is printed with its reason; anything
 * ambiguous fails naming the flag that settles it. The flow is the update
 * layer's (update/update.h); this file parses, prints and asks. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/dryrun.h"
#include "cli/progress.h"
#include "cli/sides.h"
#include "common/log.h"
#include "front/options.h"
#include "update/update.h"

static const char usage_text[] =
    "usage: cartoflash update [--yes] [--version V] [--device SEL | --uuid UUID]\n"
    "                         [--interface IF] [--source DIR|FILE|URL] [--branch B] [--offline]\n"
    "  Reads what the probe runs (Klipper's identify), picks the newest catalogue image for\n"
    "  the same chip, interface, CAN bitrate and flavour (or --version V), flashes it through\n"
    "  Katapult on the probe's own transport and reads the new version back.\n"
    "  --device SEL     the USB probe (tty, port or serial) when more than one is attached\n"
    "  --uuid UUID      the CAN probe when more than one is on the bus\n"
    "  A probe in DFU mode gets the newest combined image over DFU; the interface is kept\n"
    "  from the firmware its flash holds, or given with:\n"
    "  --firmware-interface usb|can   the link the new firmware talks on\n"
    "  --bitrate N      the CAN bus bitrate the new firmware uses (with can)\n"
    "  --dry-run        choose the image and print the flash's plan; nothing is flashed\n";

typedef struct up_args {
    bool yes;
    const cf_front *cli;
} up_args;

/* The library's choices, one line each, as they are made. */
static void on_note(void *user, cf_update_note kind, const char *text)
{
    (void)user;
    (void)kind;
    printf("%s\n", text);
    cf_log(false, "update: %s", text);
}

/* Asked the same way as every flash: without a terminal, only with --yes. A
 * probe in DFU mode is asked only on a terminal, as `flash dfu --yes` is. */
static cf_code on_confirm(void *user, const cf_update_plan *plan, cf_error *err)
{
    const up_args *a = user;
    if (!plan->dfu)
        return cf_cli_ask(a->yes, false, err);
    if (!a->yes && isatty(STDIN_FILENO) && !cf_cli_confirm())
        return cf_fail(err, CF_ERR_CANCELLED, "cancelled; nothing was changed");
    return CF_OK;
}

static cf_code run_update(const cf_front *cli, up_args *a, const cf_update_opts *o, cf_error *err)
{
    cf_progress_view view;
    cf_flash_events fev;
    cf_progress_view_init(&view, stdout, cli->tty);
    cf_progress_view_events(&view, &fev);
    cf_update_events ev = {.user = a, .note = on_note, .confirm = on_confirm, .flash = &fev};
    cf_update_result *res = malloc(sizeof(*res));
    if (!res)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    cf_code rc = cf_update_run(o, &ev, res, err);
    if (rc == CF_OK && res->planned && res->planned_dfu)
        cf_cli_print_dfu_plan(&res->dfu);
    else if (rc == CF_OK && res->planned)
        cf_cli_print_kp_plan(res->planned_can, &res->kp);
    free(res);
    return rc;
}

/* What the options ask for. */
typedef struct update_args {
    up_args up;
    cf_update_opts o;
    cf_catalog_opts copts;
} update_args;

/* --firmware-interface usb|can (the names cf_iface_name() gives); false for
 * anything else. */
static bool parse_fw_iface(const char *v, cf_iface *out)
{
    static const cf_iface known[] = {CF_IFACE_USB, CF_IFACE_CAN};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(v, cf_iface_name(known[i])) == 0)
            return (*out = known[i], true);
    return false;
}

/* --bitrate N: bit/s, up to ISO 11898-1's 1 Mbit/s for classic CAN. */
static bool parse_fw_bitrate(const char *v, uint32_t *out)
{
    char *end = NULL;
    unsigned long b = strtoul(v, &end, 10);
    if (!end || *end || v[0] < '1' || v[0] > '9' || b > 1000000ul)
        return false;
    *out = (uint32_t)b;
    return true;
}

/* Applies one option getopt_long() returned; -1 to go on, else the exit status. */
static int take_update_option(void *user, int c)
{
    update_args *a = user;
    cf_update_opts *o = &a->o;
    if (c == 'F' && !parse_fw_iface(optarg, &o->fw_iface)) {
        fprintf(stderr, "cartoflash: --firmware-interface wants usb or can\n");
        return 64;
    }
    if (c == CF_OPT_BITRATE && !parse_fw_bitrate(optarg, &o->fw_bitrate)) {
        fprintf(stderr, "cartoflash: --bitrate wants bit/s up to 1000000, e.g. 1000000\n");
        return 64;
    }
    if (c == 'y')
        a->up.yes = true;
    else if (c == 'D')
        o->dry_run = true;
    else if (c == 'V')
        o->version = optarg;
    else if (c == 'd')
        o->device = optarg;
    else if (c == 'u')
        o->uuid = optarg;
    else if (c == 'i')
        cf_cli_add_can_if(&o->status, optarg);
    else if (c != 'F' && c != CF_OPT_BITRATE && !cf_cli_take_catalog_option(c, optarg, &a->copts))
        return cf_cli_usage_exit(usage_text, c == 'h');
    return -1;
}

/* The options into a; -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, update_args *a)
{
    struct option longopts[16];
    cf_front_longopts("yes version device uuid interface source branch offline firmware-interface "
                      "bitrate dry-run help",
                      longopts, 16);
    int status = cf_front_getopt(argc, argv, "yh", longopts, take_update_option, a, -1);
    if (status >= 0)
        return status;
    if (optind != argc)
        return cf_cli_usage_exit(usage_text, false);
    if (a->o.fw_bitrate && a->o.fw_iface != CF_IFACE_CAN) {
        fprintf(stderr, "cartoflash: --bitrate goes with --firmware-interface can\n");
        return 64;
    }
    return -1;
}

int cf_cmd_update(const cf_front *cli, int argc, char **argv)
{
    update_args a = {.up = {.cli = cli}};
    int status = parse_args(argc, argv, &a);
    if (status >= 0)
        return status;
    cf_error err = {0};
    cf_cli_sides sides;
    if (cf_cli_sides_open(cli, &a.copts, &sides, &a.o.status, &err) != CF_OK)
        return cf_front_report_error(cli, &err);
    cf_code rc = sides.cat_rc;
    if (rc == CF_OK)
        printf("Catalogue: %s\n", cf_catalog_root_at(sides.cat, 0)->label);
    else
        err = sides.cat_err; /* there is no update without a catalogue */
    if (rc == CF_OK)
        rc = run_update(cli, &a.up, &a.o, &err);
    cf_cli_sides_close(&sides);
    return rc == CF_OK ? 0 : cf_front_report_error(cli, &err);
}
