/* cartoflash update [--yes] [--version V] [--device SEL | --uuid UUID] [--interface IF]
 *                   [--source DIR|URL] [--branch B] [--offline] [--force]
 *                   [--firmware-interface usb|can] [--bitrate N]
 * Finds the probe, reads what it runs, picks the image (same chip, interface,
 * bitrate and flavour; newest unless --version), flashes it through Katapult
 * on the transport the probe is on, and reads the new version back. A probe in
 * DFU mode gets the combined image over DFU, its interface taken from the
 * firmware its flash holds. Every choice is printed with its reason; anything
 * ambiguous fails naming the flag that settles it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/version.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "cli/dryrun.h"
#include "cli/progress.h"
#include "common/clock.h"
#include "flash/flash.h"
#include "klipper/plugin.h"
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
    "  --uuid UUID      the CAN probe when more than one is on the bus\n"
    "  A probe in DFU mode gets the newest combined image over DFU; the interface is kept\n"
    "  from the firmware its flash holds, or given with:\n"
    "  --firmware-interface usb|can   the link the new firmware talks on\n"
    "  --bitrate N      the CAN bus bitrate the new firmware uses (with can)\n"
    "  --dry-run        choose the image and print the flash's plan; nothing is flashed\n";

typedef struct up_args {
    bool yes, json, dry_run;
    const char *version, *device, *uuid;
    cf_iface fw_iface;   /* --firmware-interface, CF_IFACE_UNKNOWN = not given */
    uint32_t fw_bitrate; /* --bitrate, 0 = not given */
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
    /* No probe runs its firmware: one in DFU mode is updated over DFU. */
    list[0] = 0;
    for (size_t i = 0; i < n; i++) {
        cf_probe_status *r = &rows[i];
        if (!row_matches(r, a) || strcmp(r->mode, "dfu") != 0)
            continue;
        size_t used = strlen(list);
        snprintf(list + used, sizeof(list) - used, "%s--device %s", used ? "; " : "", r->port);
        hits++;
        *out = r;
    }
    if (hits > 1) {
        *out = NULL;
        cf_fail(err, CF_ERR_AMBIGUOUS, "%zu probes sit in DFU mode: %s", hits, list);
        cf_hint(err, "add one of those flags; cartoflash never guesses");
        return CF_ERR_AMBIGUOUS;
    }
    if (hits == 1)
        return CF_OK;
    cf_fail(err, CF_ERR_NOT_FOUND, "no probe running its firmware or in DFU mode was found%s%s",
            a->device || a->uuid ? " matching " : "",
            a->device ? a->device
            : a->uuid ? a->uuid
                      : "");
    cf_hint(err, "`cartoflash status` shows every probe and why it could not be asked");
    return CF_ERR_NOT_FOUND;
}

/* --version V: the catalogue image with that version for this probe. */
static cf_code pick_version(cf_catalog *cat, const cf_catalog_filter *filter, const char *want,
                            cf_catalog_entry *out, cf_error *err)
{
    int v[3];
    if (!cf_semver_parse(want, v))
        return cf_fail(err, CF_ERR_USAGE, "--version wants x.y.z, e.g. 5.1.0");
    cf_catalog_filter f = *filter;
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
        rc = cf_fail(err, CF_ERR_NOT_FOUND, "the catalogue has no %s %s %s %s image %s", want,
                     f.mcu, cf_iface_name(f.iface) ? cf_iface_name(f.iface) : "",
                     f.mode == CF_CATALOG_DFU ? "combined" : "app", "for this probe");
    return rc;
}

static cf_code run_update_dfu(const cf_cli *cli, const up_args *a, cf_usb_backend *be,
                              const cf_kp_env *env, cf_catalog *cat, const cf_probe_status *r,
                              cf_error *err);

/* The image's firmware talks to the Cartographer Klipper plugin: one that
 * needs a newer plugin than the installed one is refused before anything is
 * flashed (the catalogue manifest's min_plugin_version). */
static cf_code plugin_gate(const cf_catalog_entry *target, cf_error *err)
{
    if (!target->min_plugin[0])
        return CF_OK;
    cf_plugin p;
    cf_code rc = cf_plugin_find(getenv("HOME"), &p, err);
    if (rc != CF_OK) {
        cf_hint(err,
                "the plugin's version could not be read, so %s (which needs %s or newer) "
                "was not flashed; reinstall the plugin",
                target->rel_path, target->min_plugin);
        return rc;
    }
    char note[512];
    rc = cf_plugin_check(&p, target->rel_path, target->min_plugin, note, sizeof(note), err);
    if (rc == CF_OK && p.found)
        printf("Plugin: Cartographer Klipper plugin %s (%s) - the image needs %s or newer.\n",
               p.version, p.where, target->min_plugin);
    else if (rc == CF_OK)
        printf("Note: %s.\n", note);
    return rc;
}

static cf_code run_update(const cf_cli *cli, up_args *a, cf_usb_backend *be, cf_kp_env *env,
                          cf_catalog *cat, cf_error *err)
{
    cf_probe_status *rows = calloc(MAX_ROWS, sizeof(*rows));
    if (!rows)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    size_t n = 0;
    cf_probe_status *r = NULL;
    cf_code rc = cf_status_scan(&a->so, rows, MAX_ROWS, &n, err);
    if (rc == CF_OK)
        rc = choose_probe(rows, n, a, &r, err);
    if (rc == CF_OK && strcmp(r->mode, "dfu") == 0) {
        rc = run_update_dfu(cli, a, be, a->so.env ? env : NULL, cat, r, err);
        free(rows);
        return rc;
    }
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
        cf_version_flags fl;
        cf_version_flags_parse(r->fw.version, &fl);
        cf_catalog_filter f = {.mode = CF_CATALOG_KATAPULT,
                               .mcu = r->fw.mcu,
                               .iface = r->fw.iface,
                               .bitrate = r->fw.iface == CF_IFACE_CAN ? r->fw.can_bitrate : 0,
                               .high_temp = fl.high_temp,
                               .kseries = fl.kseries,
                               .lite = fl.lite};
        rc = pick_version(cat, &f, a->version, &target, err);
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
        rc = plugin_gate(&target, err);
    }
    if (rc == CF_OK) {
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
    opts.dry_run = a->dry_run;
    /* asked the same way as every flash: without a terminal, only with --yes */
    if (rc == CF_OK && !a->dry_run)
        rc = cf_cli_ask(a->yes, false, err);
    if (rc == CF_OK) {
        cf_progress_view view;
        cf_flash_events ev;
        cf_kp_report rep;
        cf_progress_view_init(&view, stdout, cli->tty);
        cf_progress_view_events(&view, &ev);
        rc = can ? cf_kp_flash_can(env, &img, &opts, &ev, &rep, err)
                 : cf_kp_flash_usb(env, &img, &opts, &ev, &rep, err);
        if (rc == CF_OK && a->dry_run)
            cf_cli_print_kp_plan(can, &rep);
        else if (rc == CF_OK)
            printf("Written and verified %zu bytes on %s.\n", rep.bytes_verified, rep.device);
    }
    if (rc == CF_OK && !a->dry_run) {
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

/* What the flash of a probe in DFU mode holds, read with DfuSe upload (ST
 * AN3156 §6: the ROM bootloader reads flash back while read protection is
 * off); nothing is erased or written and leave is not sent. */
static cf_code read_dfu_firmware(cf_usb_backend *be, const cf_probe_status *r, cf_image_info *info,
                                 cf_error *err)
{
    memset(info, 0, sizeof(*info));
    uint8_t *buf = NULL;
    size_t size = 0;
    uint32_t start = 0;
    cf_flash_report rep;
    cf_code rc = cf_read_flash_dfu(be, r->port, &buf, &size, &start, NULL, &rep, err);
    if (rc != CF_OK) {
        cf_hint(err, "nothing was changed; the interface the new firmware uses is read from "
                     "the flash before anything is erased");
        return rc;
    }
    cf_image img = {0};
    char name[96];
    snprintf(name, sizeof(name), "flash of %s", r->port);
    cf_image_load_opts lo = {.address = start, .address_given = true};
    rc = cf_image_parse(buf, size, name, &lo, &img, err);
    free(buf);
    if (rc == CF_OK)
        cf_image_inspect(&img, info);
    cf_image_free(&img);
    return rc;
}

/* After leave: a USB build enumerates as the Cartographer app on the same port
 * about a second later (boot/boot.h); asked with identify where the serial
 * side can be reached. A CAN build shows nothing on USB. */
static cf_code confirm_dfu(cf_usb_backend *be, const cf_kp_env *env, const cf_probe_status *r,
                           const cf_image *img, const cf_catalog_entry *target, cf_iface iface,
                           cf_error *err)
{
    if (iface == CF_IFACE_CAN) {
        printf("A CAN build shows nothing on USB: once the probe is cabled to the CAN bus, "
               "`cartoflash status` asks it what it runs.\n");
        return CF_OK;
    }
    /* Katapult's double-reset window plus enumeration, with room to spare. */
    uint64_t deadline = cf_now_ns() + 5000000000ull;
    cf_usb_runtime_info dev = {0};
    bool seen = false, runtime = true;
    while (!seen && runtime && cf_now_ns() < deadline) {
        cf_usb_runtime_info list[16];
        size_t count = 0;
        cf_error lerr = {0};
        if (cf_usb_list_runtime(be, list, 16, &count, &lerr) != CF_OK) {
            runtime = false; /* hardware: the serial side below finds it */
            break;
        }
        for (size_t i = 0; i < count && !seen; i++)
            if (strcmp(list[i].bus_path, r->port) == 0) {
                dev = list[i];
                seen = true;
            }
        if (!seen)
            cf_sleep_ns(100000000ull);
    }
    if (runtime && !seen) {
        cf_fail(err, CF_ERR_VERIFY,
                "written and verified, but nothing appeared on USB port %s after leaving DFU mode",
                r->port);
        cf_hint(err, "power-cycle the probe and run `cartoflash status`");
        return CF_ERR_VERIFY;
    }
    /* Cartographer's app enumerates as 1d50:614e, Katapult as 1d50:6177. */
    if (seen && !(dev.vid == 0x1d50 && dev.pid == 0x614e)) {
        cf_fail(err, CF_ERR_VERIFY,
                "after leaving DFU mode port %s shows %04x:%04x (%s), not the Cartographer app "
                "(1d50:614e)",
                r->port, dev.vid, dev.pid, dev.product[0] ? dev.product : "no product string");
        cf_hint(err, "`cartoflash status` shows what it runs now");
        return CF_ERR_VERIFY;
    }
    if (seen)
        printf("The probe came back as the Cartographer app on USB port %s (1d50:614e, serial "
               "%s).\n",
               dev.bus_path, dev.serial[0] ? dev.serial : "none");
    if (!env) {
        printf("Its version cannot be asked here (no serial side); the written bytes were read "
               "back and match %s.\n",
               target->rel_path);
        return CF_OK;
    }
    cf_kl_ident id = {0};
    cf_error ierr = {0};
    cf_code irc = CF_ERR_NOT_FOUND;
    /* By port: the ROM bootloader's serial string is not the app's (the app
     * sends the chip's unique ID in hex), but both sit on the same port. */
    const char *sel = r->port;
    while (cf_now_ns() < deadline + 5000000000ull) {
        cf_error_reset(&ierr);
        irc = cf_kl_identify_usb_select(env, sel, &id, &ierr);
        if (irc == CF_OK)
            break;
        cf_sleep_ns(250000000ull);
    }
    cf_code rc = CF_OK;
    if (irc == CF_OK && cf_kl_image_is_running(&id, img)) {
        char now[160];
        cf_kl_describe(&id.info, now, sizeof(now));
        printf("The probe now runs %s (read back with %s).\n", now, id.source);
    } else if (irc == CF_OK) {
        rc = cf_fail(err, CF_ERR_VERIFY, "after the flash the probe reports %s, not %s",
                     id.info.version, target->version);
    } else {
        rc = cf_fail(err, CF_ERR_VERIFY,
                     "written and verified, but the new version could not be read back: %s",
                     ierr.message);
        cf_hint(err, "check `cartoflash status` once the probe has restarted");
    }
    cf_kl_ident_free(&id);
    return rc;
}

static cf_code run_update_dfu(const cf_cli *cli, const up_args *a, cf_usb_backend *be,
                              const cf_kp_env *env, cf_catalog *cat, const cf_probe_status *r,
                              cf_error *err)
{
    printf("Probe: %s, %s (%s), in DFU mode (the STM32 ROM bootloader).\n", r->device, r->mcu,
           r->generation);
    cf_image_info now;
    cf_code rc = read_dfu_firmware(be, r, &now, err);
    if (rc != CF_OK)
        return rc;
    /* Only a dictionary built for this very chip says what the probe ran. */
    bool known = now.has_dictionary && now.iface != CF_IFACE_UNKNOWN &&
                 strcmp(now.mcu, r->mcu) == 0 && (now.iface == CF_IFACE_USB || now.can_bitrate);
    char held[160] = "";
    if (known) {
        cf_kl_describe(&now, held, sizeof(held));
        printf("Its flash holds %s (its Klipper data dictionary, read with DfuSe upload).\n", held);
    } else {
        printf("Its flash holds no Cartographer firmware for %s (read with DfuSe upload).\n",
               r->mcu);
    }
    cf_iface iface = CF_IFACE_UNKNOWN;
    uint32_t bitrate = 0;
    if (a->fw_iface != CF_IFACE_UNKNOWN) {
        iface = a->fw_iface;
        bitrate = a->fw_bitrate;
        if (iface == CF_IFACE_CAN && !bitrate && known && now.iface == CF_IFACE_CAN)
            bitrate = now.can_bitrate;
        if (iface == CF_IFACE_CAN && !bitrate) {
            cf_fail(err, CF_ERR_AMBIGUOUS,
                    "a CAN build needs the bus bitrate, and the flash does not say it");
            cf_hint(err, "add --bitrate N (the bitrate of your CAN bus, e.g. 1000000)");
            return CF_ERR_AMBIGUOUS;
        }
        printf("Interface: %s - from --firmware-interface.\n",
               iface == CF_IFACE_CAN ? "CAN" : "USB");
        if (iface == CF_IFACE_CAN)
            printf("Bitrate: %u bit/s - %s.\n", (unsigned)bitrate,
                   a->fw_bitrate ? "from --bitrate" : "kept from the firmware in its flash");
    } else if (known) {
        iface = now.iface;
        bitrate = now.iface == CF_IFACE_CAN ? now.can_bitrate : 0;
        if (iface == CF_IFACE_CAN)
            printf("Interface: CAN at %u bit/s - kept from the firmware its flash holds.\n",
                   (unsigned)bitrate);
        else
            printf("Interface: USB - kept from the firmware its flash holds.\n");
    } else {
        cf_fail(err, CF_ERR_AMBIGUOUS,
                "which link the new firmware talks on cannot be read from %s: its flash holds "
                "no Cartographer firmware to keep it from",
                r->device);
        cf_hint(err, "add --firmware-interface usb, or --firmware-interface can --bitrate N "
                     "(your CAN bus bitrate, e.g. 1000000)");
        return CF_ERR_AMBIGUOUS;
    }
    cf_version_flags fl = {0};
    if (known)
        cf_version_flags_parse(now.version, &fl);
    cf_catalog_filter f = {.mode = CF_CATALOG_DFU,
                           .mcu = r->mcu,
                           .iface = iface,
                           .bitrate = bitrate,
                           .high_temp = fl.high_temp,
                           .kseries = fl.kseries,
                           .lite = fl.lite};
    cf_catalog_entry target;
    rc = a->version ? pick_version(cat, &f, a->version, &target, err)
                    : cf_catalog_pick(cat, &f, &target, err);
    if (rc != CF_OK)
        return rc;
    char link[32];
    if (iface == CF_IFACE_CAN)
        snprintf(link, sizeof(link), "CAN %u", (unsigned)bitrate);
    else
        snprintf(link, sizeof(link), "USB");
    printf("Image: %s (%s) - %s combined image (Katapult + app) for %s %s%s.\n", target.version,
           target.rel_path, a->version ? "the" : "the newest", r->mcu, link,
           known ? ", in the flavour the flash held"
                 : ", standard flavour (no firmware in the flash to keep one from)");
    rc = plugin_gate(&target, err);
    if (rc != CF_OK)
        return rc;
    cf_image img = {0};
    cf_image_load_opts lo = {.default_address = 0x08000000u};
    rc = cf_image_load(target.abs_path, &lo, &img, err);
    if (rc != CF_OK)
        return rc;
    if (!a->dry_run && !a->yes && isatty(STDIN_FILENO) && !cf_cli_confirm()) {
        cf_image_free(&img);
        return cf_fail(err, CF_ERR_CANCELLED, "cancelled; nothing was changed");
    }
    cf_progress_view view;
    cf_flash_events ev;
    cf_flash_report rep;
    cf_progress_view_init(&view, stdout, cli->tty);
    cf_progress_view_events(&view, &ev);
    cf_flash_opts fo = {.device = r->port, .dry_run = a->dry_run};
    rc = cf_flash_dfu(be, &img, &fo, &ev, &rep, err);
    if (rc == CF_OK && a->dry_run) {
        cf_cli_print_dfu_plan(&rep);
    } else if (rc == CF_OK) {
        printf("Written and verified %zu bytes over DFU (%zu of %zu pages changed); left DFU "
               "mode.\n",
               rep.bytes_verified, rep.pages_changed, rep.pages_total);
        rc = confirm_dfu(be, env, r, &img, &target, iface, err);
    }
    cf_image_free(&img);
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
        {"firmware-interface", required_argument, NULL, 'F'},
        {"bitrate", required_argument, NULL, 'B'},
        {"dry-run", no_argument, NULL, 'D'},
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
        case 'D':
            a.dry_run = true;
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
        case 'F':
            if (strcmp(optarg, "usb") == 0) {
                a.fw_iface = CF_IFACE_USB;
            } else if (strcmp(optarg, "can") == 0) {
                a.fw_iface = CF_IFACE_CAN;
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
            a.fw_bitrate = (uint32_t)v;
            break;
        }
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
    if (a.fw_bitrate && a.fw_iface != CF_IFACE_CAN) {
        fprintf(stderr, "cartoflash: --bitrate goes with --firmware-interface can\n");
        return 64;
    }
    /* The Katapult simulation is a probe running its firmware; any other
     * simulation is the DFU side (a probe in DFU mode); hardware has both. */
    bool kp_side = !cli->simulate || cf_kp_spec_is_katapult(cli->simulate);
    cf_kp_sim *sim = NULL;
    if (cli->simulate && kp_side && cf_kp_sim_new(cli->simulate, &sim, &err) != CF_OK)
        return cf_cli_report_error(cli, &err);
    cf_usb_backend *be = NULL;
    if (!cli->simulate || !kp_side) {
        if (cf_cli_open_backend(cli, &be, &err) != CF_OK) {
            if (cli->simulate)
                return cf_cli_report_error(cli, &err);
            /* No libusb access is no reason to hide the serial and CAN probes. */
            cf_error_reset(&err);
            be = NULL;
        }
    }
    cf_catalog *cat = NULL;
    cf_code rc = cf_catalog_open(&a.copts, &cat, &err);
    if (rc == CF_OK)
        printf("Catalogue: %s\n", cf_catalog_root_at(cat, 0)->label);
    cf_kp_env env = {.sim = sim};
    a.so.env = kp_side ? &env : NULL;
    a.so.dfu = be;
    a.so.config = !cli->simulate;
    a.so.catalog = cat;
    if (rc == CF_OK)
        rc = run_update(cli, &a, be, &env, cat, &err);
    cf_catalog_close(cat);
    cf_cli_close_backend(be);
    cf_kp_sim_free(sim);
    if (rc != CF_OK)
        return cf_cli_report_error(cli, &err);
    return 0;
}
