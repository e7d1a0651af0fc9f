/* cartoflash status [--json] [--interface IF]... [--source DIR|URL] [--branch B] [--offline]
 * Every attached probe, what it runs (asked from the device itself) and
 * whether the catalogue has something newer (klipper/status.h). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/version.h"
#include "cli/cli.h"
#include "front/simulate.h"
#include "klipper/reach.h"
#include "klipper/status.h"

#define MAX_ROWS 32

static const char usage_text[] =
    "usage: cartoflash status [--json] [--interface IF]... [--source DIR|FILE|URL]\n"
    "                         [--branch B] [--offline]\n"
    "  Every probe attached (DFU, Katapult, or running its firmware on USB or CAN): how it\n"
    "  is connected, its chip, the firmware it reports, and the newest catalogue image\n"
    "  that fits it. A probe running its firmware is asked with Klipper's identify\n"
    "  command, only while no Klipper holds it; nothing is reset or reconfigured. What a\n"
    "  probe Klipper holds runs comes from Moonraker (source \"moonraker\"; an API key from\n"
    "  MOONRAKER_API_KEY).\n"
    "  --interface IF   CAN interface to query (default: every CAN interface that is up)\n"
    "  --source, --branch, --offline   where the catalogue comes from (see firmware list)\n";

static json_t *str_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

json_t *cf_cli_json_probe(const cf_probe_status *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "connection", json_string(r->connection));
    json_object_set_new(o, "mode", json_string(r->mode));
    json_object_set_new(o, "device", json_string(r->device));
    json_object_set_new(o, "port", str_or_null(r->port));
    json_object_set_new(o, "serial", str_or_null(r->serial));
    json_object_set_new(o, "uuid", str_or_null(r->uuid));
    json_object_set_new(o, "interface", str_or_null(r->interface));
    json_object_set_new(o, "bus_bitrate",
                        r->bus_bitrate ? json_integer(r->bus_bitrate) : json_null());
    json_object_set_new(o, "mcu", str_or_null(r->mcu));
    json_object_set_new(o, "generation", str_or_null(r->generation));
    if (r->has_firmware) {
        int v[3];
        char sv[40] = "";
        if (cf_semver_parse(r->fw.version, v))
            snprintf(sv, sizeof(sv), "%d.%d.%d", v[0], v[1], v[2]);
        json_object_set_new(o, "version", json_string(r->fw.version));
        json_object_set_new(o, "semver", str_or_null(sv));
        json_object_set_new(o, "firmware_interface", str_or_null(cf_iface_name(r->fw.iface)));
        json_object_set_new(o, "can_bitrate",
                            r->fw.can_bitrate ? json_integer(r->fw.can_bitrate) : json_null());
        json_object_set_new(o, "source", json_string(r->source));
        json_object_set_new(o, "source_detail", str_or_null(r->source_detail));
    } else {
        json_object_set_new(o, "version", json_null());
        json_object_set_new(o, "semver", json_null());
        json_object_set_new(o, "firmware_interface", json_null());
        json_object_set_new(o, "can_bitrate", json_null());
        json_object_set_new(o, "source", json_null());
        json_object_set_new(o, "source_detail", json_null());
    }
    json_object_set_new(o, "state", json_string(cf_status_state_name(r->state)));
    json_object_set_new(o, "reason", str_or_null(r->why));
    if (r->has_latest) {
        json_t *l = json_object();
        char sv[40];
        snprintf(sv, sizeof(sv), "%d.%d.%d", r->latest.semver[0], r->latest.semver[1],
                 r->latest.semver[2]);
        json_object_set_new(l, "version", json_string(r->latest.version));
        json_object_set_new(l, "semver", json_string(sv));
        json_object_set_new(l, "path", json_string(r->latest.abs_path));
        json_object_set_new(l, "sha256", json_string(r->latest.sha256));
        json_object_set_new(o, "latest", l);
    } else {
        json_object_set_new(o, "latest", json_null());
    }
    return o;
}

/* The probe side of the environment: the simulated Katapult node or hardware. */
static cf_code open_sides(const cf_front *cli, cf_kp_transport **sim, cf_usb_backend **be,
                          bool *hardware, cf_error *err)
{
    *sim = NULL;
    *be = NULL;
    *hardware = !cli->simulate;
    if (cli->simulate && cf_front_sim_is_katapult(cli->simulate))
        return cf_front_sim_katapult(cli->simulate, sim, err);
    cf_code rc = cf_front_open_backend(cli, be, err);
    if (rc != CF_OK && !cli->simulate) {
        /* No libusb access is no reason to hide the serial and CAN probes. */
        cf_error_reset(err);
        *be = NULL;
        return CF_OK;
    }
    return rc;
}

static const struct option status_longopts[] = {
    {"json", no_argument, NULL, 'j'},
    {"interface", required_argument, NULL, 'i'},
    {"source", required_argument, NULL, 's'},
    {"branch", required_argument, NULL, 'b'},
    {"offline", no_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {0, 0, 0, 0},
};

/* The options into json, copts and so; -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, bool *json, cf_catalog_opts *copts, cf_status_opts *so)
{
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "h", status_longopts, NULL)) != -1;) {
        switch (c) {
        case 'j':
            *json = true;
            break;
        case 'i':
            if (so->can_if_count < sizeof(so->can_ifs) / sizeof(so->can_ifs[0]))
                so->can_ifs[so->can_if_count++] = optarg;
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
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            fputs(usage_text, stderr);
            return 64;
        }
    }
    if (optind != argc) {
        fputs(usage_text, stderr);
        return 64;
    }
    return -1;
}

/* What status found, and where the catalogue is (or why there is none). */
typedef struct status_found {
    const cf_probe_status *rows;
    size_t n;
    const cf_catalog *cat;
    const char *cat_why;
    bool any_can_ident; /* a probe on CAN identified itself: the note about CAN */
} status_found;

static void print_json(const status_found *f)
{
    json_t *root = cf_cli_json_root("status"), *arr = json_array();
    for (size_t i = 0; i < f->n; i++)
        json_array_append_new(arr, cf_cli_json_probe(&f->rows[i]));
    json_object_set_new(root, "probes", arr);
    json_object_set_new(root, "catalog",
                        f->cat ? json_string(cf_catalog_root_at(f->cat, 0)->label) : json_null());
    json_object_set_new(root, "catalog_error", f->cat ? json_null() : json_string(f->cat_why));
    json_object_set_new(root, "notes",
                        f->any_can_ident ? json_string(cf_kl_can_note) : json_null());
    cf_front_json_print(root);
}

static void print_text(const status_found *f)
{
    if (!f->n)
        printf("No probes found (DFU, Katapult, or running firmware on USB or CAN).\n");
    for (size_t i = 0; i < f->n; i++) {
        const cf_probe_status *r = &f->rows[i];
        char line[1024];
        cf_status_line(r, line, sizeof(line));
        printf("%s\n", line);
        if (r->has_firmware && r->source_detail[0])
            printf("    reported by %s (%s)\n", r->source, r->source_detail);
        else if (r->has_firmware)
            printf("    reported by the probe (%s)\n", r->source);
        if (r->has_latest)
            printf("    newest that fits: %s (%s)\n", r->latest.version, r->latest.rel_path);
    }
    if (f->cat)
        printf("Catalogue: %s\n", cf_catalog_root_at(f->cat, 0)->label);
    else
        printf("Catalogue: none (%s)\n", f->cat_why);
    if (f->any_can_ident)
        printf("Note: %s.\n", cf_kl_can_note);
}

int cf_cmd_status(const cf_front *cli, int argc, char **argv)
{
    bool json = false;
    cf_catalog_opts copts = {0};
    cf_status_opts so = {0};
    int status = parse_args(argc, argv, &json, &copts, &so);
    if (status >= 0)
        return status;
    cf_error err = {0};
    cf_kp_transport *sim = NULL;
    cf_usb_backend *be = NULL;
    bool hardware = false;
    cf_code rc = open_sides(cli, &sim, &be, &hardware, &err);
    if (rc != CF_OK)
        return cf_front_report_error(cli, &err);

    cf_catalog *cat = NULL;
    cf_error cerr = {0};
    if (cf_catalog_open(&copts, &cat, &cerr) != CF_OK)
        cat = NULL;
    cf_kp_env env = {.transport = sim};
    so.dfu = be;
    /* A DFU simulation has no Katapult side; hardware has both. */
    so.env = (sim || hardware) ? &env : NULL;
    so.config = hardware;
    so.moonraker = true;
    so.catalog = cat;
    so.catalog_why = cerr.message;
    cf_probe_status *rows = calloc(MAX_ROWS, sizeof(*rows));
    status_found f = {.rows = rows, .cat = cat, .cat_why = cerr.message};
    if (!rows)
        rc = cf_fail(&err, CF_ERR_NOMEM, "out of memory");
    else
        rc = cf_status_scan(&so, rows, MAX_ROWS, &f.n, &err);
    for (size_t i = 0; rc == CF_OK && i < f.n; i++)
        f.any_can_ident |= rows[i].has_firmware && strcmp(rows[i].connection, "can") == 0;
    if (rc == CF_OK && json)
        print_json(&f);
    else if (rc == CF_OK)
        print_text(&f);
    free(rows);
    cf_catalog_close(cat);
    cf_front_close_backend(be);
    cf_kp_transport_free(sim);
    if (rc != CF_OK)
        return cf_front_report_error(cli, &err);
    return 0;
}
