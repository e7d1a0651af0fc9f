/* cartoflash backup dfu [--device SEL] OUT: the whole flash, read over DFU. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/safe.h"
#include "cli/cli.h"
#include "front/options.h"
#include "cli/progress.h"
#include "flash/flash.h"

static const char backup_usage[] = "usage: cartoflash backup dfu [--device SEL] [--json] OUT\n";

int cf_cmd_backup(const cf_front *outer, int argc, char **argv)
{
    struct option longopts[4];
    cf_front_longopts("device json help", longopts, 4);
    cf_front local = cf_cli_front_of(outer, argc, argv);
    const cf_front *cli = &local;
    if (argc < 2 || strcmp(argv[1], "dfu") != 0)
        return cf_cli_usage_error(cli, backup_usage);
    argc--;
    argv++;
    const char *device = NULL;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1;) {
        if (c == 'd') {
            device = optarg;
        } else if (c != 'j') {
            return cf_cli_help_or_usage_error(cli, c, backup_usage);
        }
    }
    if (optind != argc - 1)
        return cf_cli_usage_error(cli, backup_usage);
    cf_error err = {0};
    cf_usb_backend *be = NULL;
    cf_code rc = cf_front_open_backend(cli, &be, &err);
    if (rc == CF_OK) {
        cf_progress_view view;
        cf_flash_events ev;
        cf_flash_report rep;
        cf_cli_progress_start(cli, &view, &ev);
        rc = cf_backup_dfu(be, device, argv[optind], &ev, &rep, &err);
        if (rc == CF_OK && cli->json) {
            json_t *root = cf_cli_json_root("backup dfu");
            json_t *dev = json_object();
            json_object_set_new(dev, "bus_path", cf_front_json_text(rep.device_path));
            json_object_set_new(dev, "chip",
                                strcmp(rep.chip, "unknown") != 0 ? json_string(rep.chip)
                                                                 : json_null());
            json_object_set_new(root, "device", dev);
            json_object_set_new(root, "phases", cf_progress_view_phases_json(&view));
            json_object_set_new(root, "bytes", json_integer((json_int_t)rep.bytes_verified));
            json_object_set_new(root, "backup_file", cf_front_json_text(rep.backup_path));
            json_object_set_new(root, "duration_s", json_real(rep.seconds));
            cf_front_json_print(root);
        } else if (rc == CF_OK)
            printf("Saved %zu bytes of %s flash to %s (the device stays in DFU mode).\n",
                   rep.bytes_verified, strcmp(rep.chip, "unknown") != 0 ? rep.chip : "the device's",
                   cf_safe(rep.backup_path));
    }
    cf_front_close_backend(be);
    return rc == CF_OK ? 0 : cf_front_report_error(cli, &err);
}
