/* cf_menu_main(): the flags of cartographer-klipper's firmware.py, the
 * settings file, and the page loop. A page returns the next page; nothing
 * recurses, so "Back" simply returns. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/fileio.h"
#include "front/options.h"
#include "front/simulate.h"
#include "menu/menu.h"
#include "menu/menu_main.h"
#include "menu/moonraker.h"

static const menu_page_fn pages[PAGE_COUNT] = {
    [PAGE_MAIN] = page_main,
    [PAGE_DFU] = page_dfu,
    [PAGE_DFU_DEVICE] = page_dfu_device,
    [PAGE_DFU_FIRMWARE] = page_dfu_firmware,
    [PAGE_DFU_CONFIRM] = page_dfu_confirm,
    [PAGE_DFU_KLIPPER] = page_dfu_klipper,
    [PAGE_DFU_FLASH] = page_dfu_flash,
    [PAGE_DFU_SUCCESS] = page_dfu_success,
    [PAGE_DFU_FAILED] = page_dfu_failed,
    [PAGE_KATAPULT_CAN] = page_katapult_can,
    [PAGE_KATAPULT_USB] = page_katapult_usb,
    [PAGE_KP_DEVICE] = page_kp_device,
    [PAGE_KP_FIRMWARE] = page_kp_firmware,
    [PAGE_KP_CONFIRM] = page_kp_confirm,
    [PAGE_KP_FLASH] = page_kp_flash,
    [PAGE_KP_RESULT] = page_kp_result,
    [PAGE_PREREQ] = page_prereq,
    [PAGE_DIRS] = page_dirs,
    [PAGE_MODE] = page_mode,
    [PAGE_BRANCH] = page_branch,
    [PAGE_UPDATE] = page_update,
    [PAGE_SWITCH] = page_switch,
};

static void usage(FILE *f)
{
    fprintf(f, "usage: cartoflash %s[--no-color] [options of the old firmware.py]\n",
            cf_front_simulate_usage());
    fputs("  -f, --flash CAN|USB|DFU   open that flashing menu directly (any case)\n"
          "  -d, --device ID           device to flash (DFU: 0483:df11 or a bus path)\n"
          "      --firmware FILE       firmware file to flash (with -f DFU -d ID: straight to\n"
          "                            the confirmation screen)\n"
          "      --firmware-dir DIR    also list firmware found in DIR\n"
          "  -b, --branch NAME         firmware branch (master, beta, develop, ...)\n"
          "  -a, --all                 show all firmware\n"
          "  -D, --debug               debugging (verbose log)\n"
          "  -k, --kseries             Creality K-series firmware (USB mode)\n"
          "  -t, --type                Katapult bootloader (deployer) firmware\n"
          "  -H, --high-temp           high-temperature probe firmware\n"
          "      --moonraker-key KEY   Moonraker API key (else $MOONRAKER_API_KEY), to ask\n"
          "                            whether a print is running before Klipper is stopped\n",
          f);
}

/* What a flag is applied with: the menu, the command line and where an error goes. */
typedef struct flag_parse {
    menu_ctx *ctx;
    char **argv;
    cf_error *err;
} flag_parse;

/* Applies one flag getopt_long() returned: 0 to go on, 1 after --help, -1 on an error. */
static int take_flag(void *user, int c)
{
    menu_ctx *ctx = ((flag_parse *)user)->ctx;
    char **argv = ((flag_parse *)user)->argv;
    cf_error *err = ((flag_parse *)user)->err;
    switch (c) {
    case 'f':
        if (strcasecmp(optarg, "can") == 0)
            ctx->mode = MODE_CAN;
        else if (strcasecmp(optarg, "usb") == 0)
            ctx->mode = MODE_USB;
        else if (strcasecmp(optarg, "dfu") == 0)
            ctx->mode = MODE_DFU;
        else {
            cf_fail(err, CF_ERR_USAGE, "-f/--flash takes CAN, USB or DFU, not \"%s\"", optarg);
            return -1;
        }
        break;
    case 'b':
        if (menu_settings_set(&ctx->set, "branch", optarg, err) != CF_OK)
            return -1;
        break;
    case 'D':
        ctx->set.debug = true;
        break;
    case 't':
        ctx->set.katapult_type = true;
        ctx->set.all_firmware = true; /* as firmware.py does */
        break;
    case 'H':
        ctx->set.high_temp = true;
        break;
    case 'a':
        ctx->set.all_firmware = true;
        break;
    case 'k':
        ctx->set.kseries = true;
        ctx->mode = MODE_USB; /* K-series probes are flashed over USB */
        break;
    case 'd':
        if (strlen(optarg) >= sizeof(ctx->device) || optarg[0] == '\0') {
            cf_fail(err, CF_ERR_USAGE, "-d/--device: \"%.40s\" is not a device id", optarg);
            return -1;
        }
        menu_copy(ctx->device, sizeof(ctx->device), optarg);
        menu_copy(ctx->device_label, sizeof(ctx->device_label), optarg);
        break;
    case CF_OPT_FIRMWARE:
        ctx->flag_firmware = optarg;
        break;
    case CF_OPT_FIRMWARE_DIR: {
        /* Settings hold absolute paths; a relative one is the user's current folder. */
        char resolved[PATH_MAX];
        if (!realpath(optarg, resolved)) {
            cf_fail(err, CF_ERR_NOT_FOUND, "--firmware-dir %.200s: %s", optarg, strerror(errno));
            cf_hint(err, "Give the folder that holds the firmware tree.");
            return -1;
        }
        if (menu_settings_set(&ctx->set, "firmware_dir", resolved, err) != CF_OK)
            return -1;
        break;
    }
    case CF_OPT_MOONRAKER_KEY:
        menu_moonraker_set_key(optarg); /* kept in memory only, never saved or logged */
        break;
    case CF_OPT_SIMULATE: /* global options main.c has already applied; accepted here too */
    case CF_OPT_NO_COLOR:
        break;
    case 'h':
        usage(stdout);
        return 1;
    case ':':
        cf_fail(err, CF_ERR_USAGE, "option %s needs a value", argv[optind - 1]);
        return -1;
    default:
        cf_fail(err, CF_ERR_USAGE, "unknown option %s", argv[optind - 1]);
        cf_hint(err, "Run cartoflash --help for the options.");
        return -1;
    }
    return 0;
}

/* Parses firmware.py's flags on top of the loaded settings: 0 to go on,
 * 1 after --help, -1 on an error (in err). */
static int parse_flags(menu_ctx *ctx, int argc, char **argv, cf_error *err)
{
    opterr = 0;
    flag_parse p = {ctx, argv, err};
    struct option longopts[16];
    cf_front_longopts("flash branch debug type high-temp all kseries device firmware firmware-dir "
                      "moonraker-key simulate no-color help",
                      longopts, 16);
    int r = cf_front_getopt(argc, argv, ":f:b:DtHakd:h", longopts, take_flag, &p, 0);
    if (r != 0)
        return r;
    if (optind < argc) {
        cf_fail(err, CF_ERR_USAGE, "unexpected argument \"%s\"", argv[optind]);
        cf_hint(err, "Run cartoflash --help for the commands and options.");
        return -1;
    }
    return 0;
}

static void load_settings(menu_ctx *ctx)
{
    menu_settings_default(&ctx->set);
    char dir[PATH_MAX - 16];
    cf_error err;
    cf_error_reset(&err);
    if (cf_xdg_dir("config", dir, sizeof(dir), &err) != CF_OK) {
        snprintf(ctx->notice, sizeof(ctx->notice), "Settings are not saved: %s", err.message);
        ctx->persist = ctx->set;
        return;
    }
    snprintf(ctx->config_path, sizeof(ctx->config_path), "%s/config", dir);
    if (menu_settings_load(ctx->config_path, &ctx->set, &err) != CF_OK)
        snprintf(ctx->notice, sizeof(ctx->notice), "Settings: %s %s", err.message, err.hint);
    ctx->persist = ctx->set;
}

/* Where firmware.py's flags lead. */
static menu_page start_page(menu_ctx *ctx)
{
    if (ctx->flag_firmware) {
        menu_fw_examine(ctx, NULL, ctx->flag_firmware, NULL, &ctx->fw);
        ctx->have_firmware = true;
    }
    switch (ctx->mode) {
    case MODE_DFU:
        if (ctx->device[0] && ctx->have_firmware)
            return PAGE_DFU_CONFIRM;
        if (ctx->device[0]) {
            ctx->confirm_first = true; /* pick a firmware, then confirm */
            return PAGE_DFU_FIRMWARE;
        }
        return PAGE_DFU;
    case MODE_CAN:
        return PAGE_KATAPULT_CAN;
    case MODE_USB:
        return PAGE_KATAPULT_USB;
    case MODE_NONE:
        break;
    }
    return PAGE_MAIN;
}

int cf_menu_main(const cf_front *cli, int argc, char **argv)
{
    menu_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx) {
        fputs("cartoflash: error: out of memory\n", stderr);
        return cf_exit_status(CF_ERR_NOMEM);
    }
    ctx->cli = cli;
    load_settings(ctx);

    cf_error err;
    cf_error_reset(&err);
    int pr = parse_flags(ctx, argc, argv, &err);
    if (pr != 0) {
        free(ctx);
        return pr > 0 ? 0 : cf_front_report_error(cli, &err);
    }

    if (menu_log_open(ctx->set.debug, cli->log, &err) != CF_OK) {
        free(ctx);
        return cf_front_report_error(cli, &err);
    }
    scr_init(cli->color, cli->tty);
    term_init();
    menu_log(false, "mode=%s device=%s firmware=%s branch=%s", menu_mode_name(ctx->mode),
             ctx->device, ctx->flag_firmware ? ctx->flag_firmware : "", ctx->set.branch);

    menu_page page = start_page(ctx);
    while (page != PAGE_EXIT && page != PAGE_INTERRUPT) {
        if (term_interrupted()) {
            page = PAGE_INTERRUPT;
            break;
        }
        menu_log(true, "page %d", (int)page);
        page = pages[page](ctx);
    }

    int status = 0;
    if (page == PAGE_INTERRUPT) {
        printf("\n%sInterrupted. Exiting...%s\n", scr_code(COL_CYAN), scr_reset());
        status = 130;
    } else {
        printf("%sExiting...%s\n", scr_code(COL_CYAN), scr_reset());
    }
    term_restore();
    if (ctx->be)
        cf_front_close_backend(ctx->be);
    menu_kp_close(ctx);
    if (ctx->klipper_stopped_by_us)
        printf("Klipper (%s) is still stopped: start it with systemctl start %s\n",
               ctx->set.klipper_service, ctx->set.klipper_service);
    menu_log(false, "exit status %d", status);
    menu_log_close();
    free(ctx);
    return status;
}
