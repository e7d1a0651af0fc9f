/* cartoflash inspect [--json] [--address A] FILE... */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/safe.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "front/options.h"
#include "image/image.h"

#define FLASH_START 0x08000000u

/* Loads a file for inspection. A raw binary with no --address is placed where its
 * vector table says it was linked, so an app image reads as 0x08002000. */
static cf_code load_for_inspect(const char *path, bool address_given, uint32_t address,
                                cf_image *img, cf_image_info *info, cf_error *err)
{
    cf_image_load_opts opts = {
        .default_address = FLASH_START, .address = address, .address_given = address_given};
    cf_code rc = cf_image_load(path, &opts, img, err);
    if (rc != CF_OK)
        return rc;
    cf_image_inspect(img, info);
    if (img->format == CF_IMAGE_BIN && !address_given && info->linked_address &&
        info->linked_address != cf_image_start(img)) {
        cf_image_free(img);
        opts.address = info->linked_address;
        opts.address_given = true;
        rc = cf_image_load(path, &opts, img, err);
        if (rc != CF_OK)
            return rc;
        cf_image_inspect(img, info);
    }
    return CF_OK;
}

/* The Katapult an image carries or (deployer) installs: the chip its stack
 * names and the link it drives; null when there is none. Its CAN bitrate is
 * compiled into its code, so it is not told here. */
static json_t *katapult_json(const cf_image_info *info)
{
    if (!info->katapult_sp)
        return json_null();
    json_t *k = json_object();
    const char *iface = cf_iface_name(info->katapult_iface);
    json_object_set_new(k, "installs", json_boolean(info->kind == CF_KIND_DEPLOYER));
    json_object_set_new(k, "mcu",
                        info->katapult_mcu[0] ? json_string(info->katapult_mcu) : json_null());
    json_object_set_new(k, "interface", iface ? json_string(iface) : json_null());
    json_object_set_new(k, "initial_sp", json_integer(info->katapult_sp));
    json_object_set_new(k, "version",
                        info->katapult_version[0] ? cf_front_json_text(info->katapult_version)
                                                  : json_null());
    return k;
}

static json_t *info_json(const char *path, const cf_image *img, const cf_image_info *info)
{
    char hex[16];
    json_t *o = json_object();
    json_object_set_new(o, "file", cf_front_json_text(path));
    json_object_set_new(o, "format", json_string(cf_image_format_name(img->format)));
    json_object_set_new(o, "size", json_integer((json_int_t)info->size));
    json_object_set_new(o, "load_address", json_integer(info->load_address));
    snprintf(hex, sizeof(hex), "0x%08x", info->load_address);
    json_object_set_new(o, "load_address_hex", json_string(hex));
    json_object_set_new(o, "kind", json_string(cf_image_kind_name(info->kind)));
    json_object_set_new(o, "version",
                        info->version[0] ? cf_front_json_text(info->version) : json_null());
    const char *mcu = cf_image_target_mcu(info);
    json_object_set_new(o, "mcu", mcu[0] ? cf_front_json_text(mcu) : json_null());
    const char *iface = cf_iface_name(info->iface);
    json_object_set_new(o, "interface", iface ? json_string(iface) : json_null());
    json_object_set_new(o, "can_bitrate",
                        info->can_bitrate ? json_integer(info->can_bitrate) : json_null());
    json_object_set_new(o, "clock_freq",
                        info->clock_freq ? json_integer(info->clock_freq) : json_null());
    json_object_set_new(o, "initial_sp", json_integer(info->initial_sp));
    json_object_set_new(o, "reset_vector", json_integer(info->reset_vector));
    json_object_set_new(o, "linked_address",
                        info->linked_address ? json_integer(info->linked_address) : json_null());
    json_object_set_new(o, "app",
                        info->app_name[0] ? cf_front_json_text(info->app_name) : json_null());
    json_object_set_new(o, "katapult", katapult_json(info));
    json_t *problems = json_array();
    if (info->problems[0]) {
        char buf[sizeof(info->problems)];
        snprintf(buf, sizeof(buf), "%s", info->problems);
        for (char *save = NULL, *p = strtok_r(buf, ";", &save); p; p = strtok_r(NULL, ";", &save)) {
            while (*p == ' ')
                p++;
            if (*p)
                json_array_append_new(problems, cf_front_json_text(p));
        }
    }
    json_object_set_new(o, "problems", problems);
    return o;
}

static void print_info(const char *path, const cf_image *img, const cf_image_info *info)
{
    static const char *kind_text[] = {
        [CF_KIND_UNKNOWN] = "unknown",
        [CF_KIND_COMBINED] = "combined (Katapult bootloader + Cartographer app; for DFU)",
        [CF_KIND_APP] = "app (linked at 0x08002000; for a Katapult update)",
        [CF_KIND_KATAPULT] = "Katapult bootloader only",
        [CF_KIND_DEPLOYER] = "Katapult deployer (installs Katapult from a running app slot)",
    };
    printf("%s\n", cf_safe(path));
    printf("  format:        %s, %zu bytes in %zu segment%s\n", cf_image_format_name(img->format),
           info->size, img->segment_count, img->segment_count == 1 ? "" : "s");
    printf("  load address:  0x%08x\n", info->load_address);
    printf("  kind:          %s\n", kind_text[info->kind]);
    printf("  version:       %s\n", info->version[0] ? cf_safe(info->version) : "(none found)");
    if (info->mcu[0])
        printf("  mcu:           %s\n", cf_safe(info->mcu));
    else if (info->katapult_mcu[0])
        printf("  mcu:           %s (from its Katapult's stack pointer)\n", info->katapult_mcu);
    else
        printf("  mcu:           (unknown)\n");
    if (info->iface == CF_IFACE_CAN && info->can_bitrate)
        printf("  interface:     CAN at %u bit/s\n", info->can_bitrate);
    else if (info->iface == CF_IFACE_CAN)
        printf("  interface:     CAN (the image does not state the bitrate)\n");
    else if (info->iface == CF_IFACE_USB)
        printf("  interface:     USB\n");
    else
        printf("  interface:     (unknown)\n");
    if (info->katapult_sp) {
        const char *link = info->katapult_iface == CF_IFACE_CAN   ? "CAN"
                           : info->katapult_iface == CF_IFACE_USB ? "USB"
                                                                  : "an unknown link";
        printf("  katapult:      %s Katapult for %s on %s%s\n",
               info->kind == CF_KIND_DEPLOYER ? "installs" : "carries",
               info->katapult_mcu[0] ? info->katapult_mcu : "an unknown MCU", link,
               info->katapult_iface == CF_IFACE_CAN ? " (its bitrate is compiled into its code)"
                                                    : "");
    }
    printf("  vector table:  SP 0x%08x, reset 0x%08x", info->initial_sp, info->reset_vector);
    if (info->linked_address)
        printf(" (linked for 0x%08x)", info->linked_address);
    printf("\n  problems:      %s\n", info->problems[0] ? cf_safe(info->problems) : "none");
}

static const char inspect_usage[] = "usage: cartoflash inspect [--json] [--address A] FILE...\n";

int cf_cmd_inspect(const cf_front *outer, int argc, char **argv)
{
    struct option longopts[4];
    cf_front_longopts("json address help", longopts, 4);
    cf_front local = cf_cli_front_of(outer, argc, argv);
    const cf_front *cli = &local;
    bool json = local.json, address_given = false;
    uint32_t address = 0;
    cf_error err = {0};
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "ha:", longopts, NULL)) != -1;) {
        if (c == 'j') {
            json = true;
        } else if (c == 'a') {
            if (cf_parse_address(optarg, &address, &err) != CF_OK)
                return cf_front_report_error(cli, &err);
            address_given = true;
        } else {
            return cf_cli_help_or_usage_error(cli, c, inspect_usage);
        }
    }
    if (optind >= argc)
        return cf_cli_usage_error(cli, inspect_usage);
    int status = 0;
    json_t *all = json_array(), *first_error = NULL;
    /* each file's error goes to stderr here; the JSON document carries them all */
    cf_front text = local;
    text.json = false;
    for (int i = optind; i < argc; i++) {
        cf_image img = {0};
        cf_image_info info;
        cf_error_reset(&err);
        if (load_for_inspect(argv[i], address_given, address, &img, &info, &err) != CF_OK) {
            int st = cf_front_report_error(&text, &err);
            if (!status)
                status = st; /* the first failure, as the document's "error" */
            if (json) {
                json_t *o = json_object();
                json_object_set_new(o, "file", cf_front_json_text(argv[i]));
                json_object_set_new(o, "error", cf_front_json_error(&err));
                if (!first_error)
                    first_error = cf_front_json_error(&err);
                json_array_append_new(all, o);
            }
            continue;
        }
        if (json)
            json_array_append_new(all, info_json(argv[i], &img, &info));
        else
            print_info(argv[i], &img, &info);
        cf_image_free(&img);
    }
    if (json) {
        /* always an array, one entry per FILE in order, even for one file; when any
         * failed, the first failure is also the document's "error" */
        json_t *root = cf_cli_json_root("inspect");
        json_object_set_new(root, "files", all);
        if (first_error)
            json_object_set_new(root, "error", first_error);
        cf_front_json_print(root);
    } else {
        json_decref(all);
    }
    return status;
}
