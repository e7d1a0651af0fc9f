/* cartoflash status [--json] [--interface IF]... [--source DIR|URL] [--branch B] [--offline]
 * Every attached probe, what it runs (asked from the device itself) and
 * whether the catalogue has something newer (klipper/status.h). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/version.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "cli/sides.h"
#include "front/options.h"
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

/* What the options ask for. */
typedef struct status_args {
    bool json;
    cf_catalog_opts copts;
    cf_status_opts so;
} status_args;

/* Applies one option getopt_long() returned; -1 to go on, else the exit status. */
static int take_status_option(void *user, int c)
{
    status_args *a = user;
    if (c == 'j')
        a->json = true;
    else if (c == 'i')
        cf_cli_add_can_if(&a->so, optarg);
    else if (!cf_cli_take_catalog_option(c, optarg, &a->copts))
        return cf_cli_usage_exit(usage_text, c == 'h');
    return -1;
}

/* The options into a; -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, status_args *a)
{
    struct option longopts[8];
    cf_front_longopts("json interface source branch offline help", longopts, 8);
    int status = cf_front_getopt(argc, argv, "h", longopts, take_status_option, a, -1);
    if (status < 0 && optind != argc)
        return cf_cli_usage_exit(usage_text, false);
    return status;
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
    status_args a = {0};
    int status = parse_args(argc, argv, &a);
    if (status >= 0)
        return status;
    cf_error err = {0};
    cf_cli_sides sides;
    if (cf_cli_sides_open(cli, &a.copts, &sides, &a.so, &err) != CF_OK)
        return cf_front_report_error(cli, &err);
    a.so.catalog_why = sides.cat_err.message;
    cf_probe_status *rows = calloc(MAX_ROWS, sizeof(*rows));
    status_found f = {.rows = rows, .cat = sides.cat, .cat_why = sides.cat_err.message};
    cf_code rc = CF_OK;
    if (!rows)
        rc = cf_fail(&err, CF_ERR_NOMEM, "out of memory");
    else
        rc = cf_status_scan(&a.so, rows, MAX_ROWS, &f.n, &err);
    for (size_t i = 0; rc == CF_OK && i < f.n; i++)
        f.any_can_ident |= rows[i].has_firmware && strcmp(rows[i].connection, "can") == 0;
    if (rc == CF_OK && a.json)
        print_json(&f);
    else if (rc == CF_OK)
        print_text(&f);
    free(rows);
    cf_cli_sides_close(&sides);
    return rc == CF_OK ? 0 : cf_front_report_error(cli, &err);
}
