/* cartoflash backup dfu [--device SEL] OUT: the whole flash, read over DFU. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/safe.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "flash/flash.h"

static const char backup_usage[] = "usage: cartoflash backup dfu [--device SEL] OUT\n";

int cf_cmd_backup(const cf_cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"device", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    if (argc < 2 || strcmp(argv[1], "dfu") != 0) {
        fputs(backup_usage, stderr);
        return 64;
    }
    argc--;
    argv++;
    const char *device = NULL;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "d:h", longopts, NULL)) != -1;) {
        if (c == 'd') {
            device = optarg;
        } else {
            fputs(backup_usage, c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 64;
        }
    }
    if (optind != argc - 1) {
        fputs(backup_usage, stderr);
        return 64;
    }
    cf_error err = {0};
    cf_usb_backend *be = NULL;
    cf_code rc = cf_cli_open_backend(cli, &be, &err);
    if (rc == CF_OK) {
        cf_progress_view view;
        cf_flash_events ev;
        cf_flash_report rep;
        cf_progress_view_init(&view, stdout, cli->tty);
        cf_progress_view_events(&view, &ev);
        rc = cf_backup_dfu(be, device, argv[optind], &ev, &rep, &err);
        if (rc == CF_OK)
            printf("Saved %zu bytes of %s flash to %s (the device stays in DFU mode).\n",
                   rep.bytes_verified, strcmp(rep.chip, "unknown") != 0 ? rep.chip : "the device's",
                   cf_safe(rep.backup_path));
    }
    cf_cli_close_backend(be);
    return rc == CF_OK ? 0 : cf_cli_report_error(cli, &err);
}
