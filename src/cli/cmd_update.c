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
#include "common/log.h"
#include "front/simulate.h"
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

static const struct option update_longopts[] = {
    {"yes", no_argument, NULL, 'y'},
    {"version", required_argument, NULL, 'V'},
    {"device", required_argument, NULL, 'd'},
    {"uuid", required_argument, NULL, 'u'},
    {"interface", required_argument, NULL, 'i'},
    {"source", required_argument, NULL, 's'},
    {"branch", required_argument, NULL, 'b'},
    {"offline", no_argument, NULL, 'o'},
    {"firmware-interface", required_argument, NULL, 'F'},
    {"bitrate", required_argument, NULL, 'B'},
    {"dry-run", no_argument, NULL, 'D'},
    {"help", no_argument, NULL, 'h'},
    {0, 0, 0, 0},
};

/* Applies one option getopt_long() returned; -1 to go on, else the exit status. */
static int take_update_option(int c, up_args *a, cf_update_opts *o, cf_catalog_opts *copts)
{
    switch (c) {
    case 'y':
        a->yes = true;
        break;
    case 'D':
        o->dry_run = true;
        break;
    case 'V':
        o->version = optarg;
        break;
    case 'd':
        o->device = optarg;
        break;
    case 'u':
        o->uuid = optarg;
        break;
    case 'i':
        if (o->status.can_if_count < sizeof(o->status.can_ifs) / sizeof(o->status.can_ifs[0]))
            o->status.can_ifs[o->status.can_if_count++] = optarg;
        break;
    case 's':
        copts->source = optarg;
        break;
    case 'b':
        copts->branch = optarg;
        break;
    case 'o':
        copts->offline = true;
        break;
    case 'F':
        if (strcmp(optarg, "usb") == 0) {
            o->fw_iface = CF_IFACE_USB;
        } else if (strcmp(optarg, "can") == 0) {
            o->fw_iface = CF_IFACE_CAN;
        } else {
            fprintf(stderr, "cartoflash: --firmware-interface wants usb or can\n");
            return 64;
        }
        break;
    case 'B': {
        char *end = NULL;
        unsigned long v = strtoul(optarg, &end, 10);
        /* ISO 11898-1 classic CAN tops out at 1 Mbit/s */
        if (!end || *end || optarg[0] < '1' || optarg[0] > '9' || v > 1000000ul) {
            fprintf(stderr, "cartoflash: --bitrate wants bit/s up to 1000000, e.g. 1000000\n");
            return 64;
        }
        o->fw_bitrate = (uint32_t)v;
        break;
    }
    case 'h':
        fputs(usage_text, stdout);
        return 0;
    default:
        fputs(usage_text, stderr);
        return 64;
    }
    return -1;
}

/* The options into a, o and copts; -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, up_args *a, cf_update_opts *o, cf_catalog_opts *copts)
{
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "yh", update_longopts, NULL)) != -1;) {
        int status = take_update_option(c, a, o, copts);
        if (status >= 0)
            return status;
    }
    if (optind != argc) {
        fputs(usage_text, stderr);
        return 64;
    }
    if (o->fw_bitrate && o->fw_iface != CF_IFACE_CAN) {
        fprintf(stderr, "cartoflash: --bitrate goes with --firmware-interface can\n");
        return 64;
    }
    return -1;
}

int cf_cmd_update(const cf_front *cli, int argc, char **argv)
{
    up_args a = {.cli = cli};
    cf_update_opts o = {0};
    cf_catalog_opts copts = {0};
    int status = parse_args(argc, argv, &a, &o, &copts);
    if (status >= 0)
        return status;
    cf_error err = {0};
    /* The Katapult simulation is a probe running its firmware; any other
     * simulation is the DFU side (a probe in DFU mode); hardware has both. */
    bool kp_side = !cli->simulate || cf_front_sim_is_katapult(cli->simulate);
    cf_kp_transport *sim = NULL;
    if (cli->simulate && kp_side && cf_front_sim_katapult(cli->simulate, &sim, &err) != CF_OK)
        return cf_front_report_error(cli, &err);
    cf_usb_backend *be = NULL;
    if (!cli->simulate || !kp_side) {
        if (cf_front_open_backend(cli, &be, &err) != CF_OK) {
            if (cli->simulate)
                return cf_front_report_error(cli, &err);
            /* No libusb access is no reason to hide the serial and CAN probes. */
            cf_error_reset(&err);
            be = NULL;
        }
    }
    cf_catalog *cat = NULL;
    cf_code rc = cf_catalog_open(&copts, &cat, &err);
    if (rc == CF_OK)
        printf("Catalogue: %s\n", cf_catalog_root_at(cat, 0)->label);
    cf_kp_env env = {.transport = sim};
    o.status.env = kp_side ? &env : NULL;
    o.status.dfu = be;
    o.status.config = !cli->simulate;
    o.status.moonraker = true;
    o.status.catalog = cat;
    if (rc == CF_OK)
        rc = run_update(cli, &a, &o, &err);
    cf_catalog_close(cat);
    cf_front_close_backend(be);
    cf_kp_transport_free(sim);
    if (rc != CF_OK)
        return cf_front_report_error(cli, &err);
    return 0;
}
