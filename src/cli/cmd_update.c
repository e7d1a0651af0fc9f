/* cartoflash update [--yes] [--version V] [--device SEL | --uuid UUID] [--interface IF]
 *                   [--source DIR|URL] [--branch B] [--offline] [--force]
 * Finds the probe, reads what it runs, picks the image (same chip, interface,
 * bitrate and flavour; newest unless --version), flashes it through Katapult
 * on the transport the probe is on, and reads the new version back. Every
 * choice is printed with its reason; anything ambiguous fails naming the flag
 * that settles it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/version.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "klipper/reach.h"
#include "klipper/status.h"

#define MAX_ROWS 32

static const char usage_text[] =
    "usage: cartoflash update [--yes] [--version V] [--device SEL | --uuid UUID]\n"
    "                         [--interface IF] [--source DIR|FILE|URL] [--branch B] [--offline]\n"
    "  Reads what the probe runs (Klipper's identify), picks the newest catalogue image for\n"
    "  the same chip, interface, CAN bitrate and flavour (or --version V), flashes it through\n"
    "  Katapult on the probe's own transport and reads the new version back.\n"
    "  --device SEL     the USB probe (tty, port or serial) when more than one is attached\n"
    "  --uuid UUID      the CAN probe when more than one is on the bus\n";

typedef struct up_args {
    bool yes, json;
    const char *version, *device, *uuid;
    cf_status_opts so;
    cf_catalog_opts copts;
} up_args;

static bool row_matches(const cf_probe_status *r, const up_args *a)
{
    if (a->uuid)
        return strcmp(r->uuid, a->uuid) == 0;
    if (a->device)
        return strcmp(r->device, a->device) == 0 || strcmp(r->port, a->device) == 0 ||
               strcmp(r->serial, a->device) == 0;
    return true;
}

/* The one probe to update, or an error naming the flag that chooses. */
static cf_code choose_probe(cf_probe_status *rows, size_t n, const up_args *a,
                            cf_probe_status **out, cf_error *err)
{
    *out = NULL;
    size_t hits = 0;
    char list[512] = "";
    for (size_t i = 0; i < n; i++) {
        cf_probe_status *r = &rows[i];
        if (!row_matches(r, a) || strcmp(r->mode, "klipper") != 0)
            continue;
        size_t used = strlen(list);
        snprintf(list + used, sizeof(list) - used, "%s%s %s", used ? "; " : "",
                 r->uuid[0] ? "--uuid" : "--device", r->uuid[0] ? r->uuid : r->port);
        hits++;
        *out = r;
    }
    if (hits > 1) {
        *out = NULL;
        cf_fail(err, CF_ERR_AMBIGUOUS, "%zu probes run their firmware: %s", hits, list);
        cf_hint(err, "add one of those flags; cartoflash never guesses");
        return CF_ERR_AMBIGUOUS;
    }
    if (hits == 1)
        return CF_OK;
    for (size_t i = 0; i < n; i++)
        if (row_matches(&rows[i], a) && strcmp(rows[i].mode, "dfu") == 0) {
            cf_fail(err, CF_ERR_UNSUPPORTED,
                    "the probe sits in DFU mode (%s); `update` works on a probe running its "
                    "firmware",
                    rows[i].device);
            cf_hint(err, "flash a combined image with `cartoflash flash dfu FILE` "
                         "(`cartoflash firmware pick --mode dfu ...` names it)");
            return CF_ERR_UNSUPPORTED;
        }
    cf_fail(err, CF_ERR_NOT_FOUND, "no probe running its firmware was found%s%s",
            a->device || a->uuid ? " matching " : "",
            a->device ? a->device
            : a->uuid ? a->uuid
                      : "");
    cf_hint(err, "`cartoflash status` shows every probe and why it could not be asked");
    return CF_ERR_NOT_FOUND;
}

/* --version V: the catalogue image with that version for this probe. */
static cf_code pick_version(cf_catalog *cat, const cf_probe_status *r, const char *want,
                            cf_catalog_entry *out, cf_error *err)
{
    int v[3];
    if (!cf_semver_parse(want, v))
        return cf_fail(err, CF_ERR_USAGE, "--version wants x.y.z, e.g. 5.1.0");
    cf_version_flags fl;
    cf_version_flags_parse(r->fw.version, &fl);
    cf_catalog_filter f = {.mode = CF_CATALOG_KATAPULT,
                           .mcu = r->fw.mcu,
                           .iface = r->fw.iface,
                           .bitrate = r->fw.iface == CF_IFACE_CAN ? r->fw.can_bitrate : 0,
                           .high_temp = fl.high_temp,
                           .kseries = fl.kseries,
                           .lite = fl.lite};
    cf_catalog_entry *e = NULL;
    size_t n = 0;
    cf_code rc = cf_catalog_list(cat, &f, &e, &n, err);
    if (rc)
        return rc;
    size_t hits = 0;
    for (size_t i = 0; i < n; i++)
        if (e[i].has_semver && cf_semver_cmp(true, v, true, e[i].semver) == 0) {
            if (hits && strcmp(out->sha256, e[i].sha256) != 0) {
                rc = cf_fail(err, CF_ERR_AMBIGUOUS, "two different %s images fit: %s and %s", want,
                             out->rel_path, e[i].rel_path);
                break;
            }
            if (!hits)
                *out = e[i];
            hits++;
        }
    cf_catalog_free_list(e);
    if (rc == CF_OK && !hits)
        rc = cf_fail(err, CF_ERR_NOT_FOUND, "the catalogue has no %s %s %s app image %s", want,
                     r->fw.mcu, cf_iface_name(r->fw.iface) ? cf_iface_name(r->fw.iface) : "",
                     "for this probe");
    return rc;
}

static cf_code run_update(const cf_cli *cli, up_args *a, cf_kp_env *env, cf_catalog *cat,
                          cf_error *err)
{
    cf_probe_status *rows = calloc(MAX_ROWS, sizeof(*rows));
    if (!rows)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    size_t n = 0;
    cf_probe_status *r = NULL;
    cf_code rc = cf_status_scan(&a->so, rows, MAX_ROWS, &n, err);
    if (rc == CF_OK)
        rc = choose_probe(rows, n, a, &r, err);
    if (rc == CF_OK && !r->has_firmware) {
        rc = cf_fail(err, CF_ERR_DEVICE, "cannot tell what %s runs: %s", r->device, r->why);
        cf_hint(err, "update reads the running version first and never guesses it");
    }
    char runs[160] = "";
    if (rc == CF_OK) {
        cf_kl_describe(&r->fw, runs, sizeof(runs));
        printf("Probe: %s, %s (%s), runs %s (%s).\n", r->device, r->mcu, r->generation, runs,
               r->source);
    }
    cf_catalog_entry target;
    if (rc == CF_OK && a->version) {
        rc = pick_version(cat, r, a->version, &target, err);
    } else if (rc == CF_OK) {
        if (!r->has_latest) {
            rc = cf_fail(err, CF_ERR_NOT_FOUND, "%s", r->why);
        } else if (r->state == CF_STATUS_UP_TO_DATE) {
            printf("Already up to date: the newest image that fits is %s (%s); nothing to do.\n",
                   r->latest.version, r->latest.rel_path);
            free(rows);
            return CF_OK;
        }
        target = r->latest;
    }
    cf_image img = {0};
    if (rc == CF_OK) {
        printf("Image: %s (%s) - %s for %s %s%s%s.\n", target.version, target.rel_path,
               a->version ? "the version asked for" : "the newest app image", r->fw.mcu,
               r->fw.iface == CF_IFACE_CAN ? "CAN" : "USB", r->fw.can_bitrate ? " " : "",
               r->fw.can_bitrate ? "at the probe's bitrate" : "");
        cf_image_load_opts lo = {.default_address = 0x08002000u};
        rc = cf_image_load(target.abs_path, &lo, &img, err);
    }
    bool can = r && strcmp(r->connection, "can") == 0;
    cf_kp_opts opts = {0};
    cf_kp_timing timing;
    cf_kp_timing_default(&timing);
    if (env->sim) { /* the simulated node answers at once */
        timing.reply_ms = 500;
        timing.block_reply_ms = 800;
    }
    opts.timing = &timing;
    if (rc == CF_OK) {
        if (can) {
            opts.uuid = r->uuid;
            opts.interface = r->interface;
            opts.bitrate = r->bus_bitrate;
        } else {
            opts.device = r->port[0] ? r->port : r->device;
        }
        if (cf_cli_already_runs(stdout, env, can, &opts, &img)) {
            cf_image_free(&img);
            free(rows);
            return CF_OK;
        }
    }
    /* asked the same way as every flash: without a terminal, only with --yes */
    if (rc == CF_OK)
        rc = cf_cli_ask(a->yes, false, err);
    if (rc == CF_OK) {
        cf_progress_view view;
        cf_flash_events ev;
        cf_kp_report rep;
        cf_progress_view_init(&view, stdout, cli->tty);
        cf_progress_view_events(&view, &ev);
        rc = can ? cf_kp_flash_can(env, &img, &opts, &ev, &rep, err)
                 : cf_kp_flash_usb(env, &img, &opts, &ev, &rep, err);
        if (rc == CF_OK)
            printf("Written and verified %zu bytes on %s.\n", rep.bytes_verified, rep.device);
    }
    if (rc == CF_OK) {
        /* Confirm from the device itself. */
        cf_kl_ident id = {0};
        cf_error ierr = {0};
        cf_code irc = can ? cf_kl_identify_can(env, opts.interface, opts.uuid, &id, &ierr)
                          : cf_kl_identify_usb_select(env, opts.device, &id, &ierr);
        if (irc == CF_OK && cf_kl_image_is_running(&id, &img)) {
            char now[160];
            cf_kl_describe(&id.info, now, sizeof(now));
            printf("The probe now runs %s (read back with %s).\n", now, id.source);
        } else if (irc == CF_OK) {
            rc = cf_fail(err, CF_ERR_VERIFY, "after the flash the probe reports %s, not %s",
                         id.info.version, target.version);
        } else {
            rc = cf_fail(err, CF_ERR_VERIFY,
                         "written and verified, but the new version could not be read back: %s",
                         ierr.message);
            cf_hint(err, "check `cartoflash status` once the probe has restarted");
        }
        cf_kl_ident_free(&id);
    }
    cf_image_free(&img);
    free(rows);
    return rc;
}

int cf_cmd_update(const cf_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"yes", no_argument, NULL, 'y'},
        {"version", required_argument, NULL, 'V'},
        {"device", required_argument, NULL, 'd'},
        {"uuid", required_argument, NULL, 'u'},
        {"interface", required_argument, NULL, 'i'},
        {"source", required_argument, NULL, 's'},
        {"branch", required_argument, NULL, 'b'},
        {"offline", no_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    up_args a = {0};
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "yh", longopts, NULL)) != -1;) {
        switch (c) {
        case 'y':
            a.yes = true;
            break;
        case 'V':
            a.version = optarg;
            break;
        case 'd':
            a.device = optarg;
            break;
        case 'u':
            a.uuid = optarg;
            break;
        case 'i':
            if (a.so.can_if_count < sizeof(a.so.can_ifs) / sizeof(a.so.can_ifs[0]))
                a.so.can_ifs[a.so.can_if_count++] = optarg;
            break;
        case 's':
            a.copts.source = optarg;
            break;
        case 'b':
            a.copts.branch = optarg;
            break;
        case 'o':
            a.copts.offline = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            fputs(usage_text, stderr);
            return 64;
        }
    }
    cf_error err = {0};
    if (optind != argc) {
        fputs(usage_text, stderr);
        return 64;
    }
    if (cli->simulate && !cf_kp_spec_is_katapult(cli->simulate)) {
        cf_fail(&err, CF_ERR_UNSUPPORTED,
                "update works on a probe running its firmware (Katapult USB or CAN)");
        cf_hint(&err, "use --simulate=katapult-usb or katapult-can; a probe in DFU mode is "
                      "flashed with `cartoflash flash dfu`");
        return cf_cli_report_error(cli, &err);
    }
    cf_kp_sim *sim = NULL;
    if (cli->simulate && cf_kp_sim_new(cli->simulate, &sim, &err) != CF_OK)
        return cf_cli_report_error(cli, &err);
    cf_catalog *cat = NULL;
    cf_code rc = cf_catalog_open(&a.copts, &cat, &err);
    if (rc == CF_OK)
        printf("Catalogue: %s\n", cf_catalog_root_at(cat, 0)->label);
    cf_kp_env env = {.sim = sim};
    a.so.env = &env;
    a.so.config = !sim;
    a.so.catalog = cat;
    if (rc == CF_OK)
        rc = run_update(cli, &a, &env, cat, &err);
    cf_catalog_close(cat);
    cf_kp_sim_free(sim);
    if (rc != CF_OK)
        return cf_cli_report_error(cli, &err);
    return 0;
}
