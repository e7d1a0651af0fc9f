/* cartoflash list [--json] [--wait SECONDS]: DFU devices (and, through
 * cf_list_katapult, Katapult/Klipper-mode probes) attached now. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/safe.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "front/options.h"
#include "dfu/dfu.h"
#include "flash/flash.h"

static const char *type_text(uint8_t type, char *buf)
{
    snprintf(buf, 8, "%s%s%s", type & CF_DFUSE_READABLE ? "r" : "-",
             type & CF_DFUSE_ERASABLE ? "e" : "-", type & CF_DFUSE_WRITABLE ? "w" : "-");
    return buf;
}

static json_t *device_json(const cf_usb_dfu_info *d)
{
    const cf_chip *chip = cf_chip_from_device(d);
    cf_dfu_kind kind;
    cf_dfu_identify(d, &kind);
    json_t *o = json_object();
    json_object_set_new(o, "id", cf_cli_json_usb_id(d->vid, d->pid));
    json_object_set_new(o, "vid", json_integer(d->vid));
    json_object_set_new(o, "pid", json_integer(d->pid));
    json_object_set_new(o, "bus_path", json_string(d->bus_path));
    json_object_set_new(o, "serial", cf_front_json_text(d->serial));
    json_object_set_new(o, "manufacturer", cf_front_json_text(d->manufacturer));
    json_object_set_new(o, "product", cf_front_json_text(d->product));
    json_object_set_new(o, "mode", json_string(d->dfu_mode ? "dfu" : "runtime"));
    json_object_set_new(o, "access_denied", json_boolean(d->access_denied));
    json_object_set_new(o, "note", d->note[0] ? cf_front_json_text(d->note) : json_null());
    json_object_set_new(o, "chip", chip ? json_string(chip->mcu) : json_null());
    json_object_set_new(o, "probe", chip ? json_string(chip->probe) : json_null());
    /* What it is when it is not a probe (chip family from its layout). */
    json_object_set_new(o, "cartographer", json_boolean(chip != NULL));
    json_object_set_new(o, "family", json_string(kind.family));
    json_object_set_new(o, "flash_size",
                        kind.flash_size ? json_integer(kind.flash_size) : json_null());
    json_object_set_new(o, "identified_as", json_string(kind.summary));
    json_object_set_new(o, "transfer_size",
                        d->has_functional ? json_integer(d->functional.transfer_size)
                                          : json_null());
    json_t *alts = json_array();
    for (int i = 0; i < d->alt_count; i++) {
        json_t *a = json_object();
        json_object_set_new(a, "alt", json_integer(d->alts[i].alt));
        json_object_set_new(a, "name", cf_front_json_text(d->alts[i].name));
        cf_dfuse_layout layout;
        if (cf_dfuse_parse_layout(d->alts[i].name, &layout, NULL) == CF_OK) {
            json_object_set_new(a, "memory", cf_front_json_text(layout.name));
            json_t *segs = json_array();
            for (size_t s = 0; s < layout.segment_count; s++) {
                const cf_dfuse_segment *g = &layout.segments[s];
                char t[8];
                json_t *so = json_object();
                json_object_set_new(so, "start", json_integer(g->start));
                json_object_set_new(so, "page_size", json_integer(g->page_size));
                json_object_set_new(so, "pages", json_integer(g->page_count));
                json_object_set_new(so, "access", json_string(type_text(g->type, t)));
                json_array_append_new(segs, so);
            }
            json_object_set_new(a, "segments", segs);
        }
        json_array_append_new(alts, a);
    }
    json_object_set_new(o, "alts", alts);
    return o;
}

static void print_device(const cf_usb_dfu_info *d)
{
    const cf_chip *chip = cf_chip_from_device(d);
    printf("%04x:%04x  path %s  serial %s  \"%s\"  %s\n", d->vid, d->pid, d->bus_path,
           d->serial[0] ? cf_safe(d->serial) : "-", d->product[0] ? cf_safe(d->product) : "?",
           d->dfu_mode ? "DFU mode" : "run-time mode (not flashable until in DFU mode)");
    if (d->access_denied || d->note[0])
        printf("  note: %s\n", d->note[0] ? cf_safe(d->note) : "this user may not open it");
    if (d->access_denied)
        printf("  fix:  %s\n", cf_usb_udev_hint());
    if (chip) {
        printf("  chip: %s (%s), %u KiB flash in %u-byte pages\n", chip->mcu, chip->probe,
               chip->flash_size / 1024, chip->page_size);
    } else if (d->dfu_mode && !d->access_denied) {
        cf_dfu_kind kind;
        cf_dfu_identify(d, &kind);
        printf("  chip: %s\n", kind.summary);
        printf("        (a printer mainboard or toolhead board in DFU mode?); `flash dfu` "
               "refuses it without --force\n");
    }
    for (int i = 0; i < d->alt_count; i++) {
        cf_dfuse_layout layout;
        printf("  alt %u: %s\n", d->alts[i].alt, cf_safe(d->alts[i].name));
        if (cf_dfuse_parse_layout(d->alts[i].name, &layout, NULL) != CF_OK)
            continue;
        for (size_t s = 0; s < layout.segment_count; s++) {
            const cf_dfuse_segment *g = &layout.segments[s];
            char t[8];
            printf("         %s: 0x%08x, %u x %u bytes (%s)\n", cf_safe(layout.name), g->start,
                   g->page_count, g->page_size, type_text(g->type, t));
        }
    }
}

static const char list_usage[] = "usage: cartoflash list [--json] [--wait SECONDS]\n";

int cf_cmd_list(const cf_front *outer, int argc, char **argv)
{
    struct option longopts[4];
    cf_front_longopts("json wait help", longopts, 4);
    cf_front local = cf_cli_front_of(outer, argc, argv);
    const cf_front *cli = &local;
    bool json = local.json;
    uint64_t wait_ms = 0;
    cf_error err = {0};
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1;) {
        if (c == 'j') {
            json = true;
        } else if (c == 'w') {
            if (cf_parse_seconds(optarg, &wait_ms, &err) != CF_OK)
                return cf_front_report_error(cli, &err);
        } else {
            return cf_cli_help_or_usage_error(cli, c, list_usage);
        }
    }
    if (optind != argc)
        return cf_cli_usage_error(cli, list_usage);
    cf_usb_backend *be = NULL;
    cf_usb_dfu_info *list = NULL;
    size_t count = 0;
    /* A simulated Katapult node has no DFU side: list only the probes. */
    bool dfu_side = !(cli->simulate && strncmp(cli->simulate, "katapult", 8) == 0);
    cf_code rc = dfu_side ? cf_front_open_backend(cli, &be, &err) : CF_OK;
    if (rc == CF_OK && dfu_side && wait_ms > 0) {
        cf_usb_dfu_info found;
        rc = cf_usb_wait_dfu(be, NULL, wait_ms, NULL, NULL, &found, &err);
        /* Nothing appearing is a valid answer, and a device this user may not
         * open is listed below with the fix. */
        if (rc == CF_ERR_NOT_FOUND || rc == CF_ERR_TIMEOUT || rc == CF_ERR_ACCESS) {
            rc = CF_OK;
            cf_error_reset(&err);
        }
    }
    if (rc == CF_OK && dfu_side)
        rc = cf_usb_list_dfu(be, &list, &count, &err);
    if (rc != CF_OK) {
        cf_front_close_backend(be);
        return cf_front_report_error(cli, &err);
    }
    if (json) {
        json_t *root = cf_cli_json_root("list"), *dfu = json_array(), *probes = json_array();
        for (size_t i = 0; i < count; i++)
            json_array_append_new(dfu, device_json(&list[i]));
        json_object_set_new(root, "dfu", dfu);
        cf_list_katapult(cli, probes);
        json_object_set_new(root, "probes", probes);
        cf_front_json_print(root);
    } else {
        if (count == 0 && dfu_side)
            printf("No DFU devices found.\n");
        for (size_t i = 0; i < count; i++)
            print_device(&list[i]);
        cf_list_katapult(cli, NULL);
    }
    free(list);
    cf_front_close_backend(be);
    return 0;
}
