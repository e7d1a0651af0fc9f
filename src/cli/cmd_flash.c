/* cartoflash flash dfu [...] FILE — and the dispatch to flash can|usb. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/back.h"
#include "cli/cli.h"
#include "cli/dryrun.h"
#include "cli/progress.h"
#include "common/log.h"
#include "flash/flash.h"
#include "front/options.h"
#include "front/simulate.h"

static const char flash_dfu_usage[] =
    "usage: cartoflash flash dfu [--device SEL] [--address A] [--full] [--force] [--yes]\n"
    "                            [--erase auto|pages|mass] [--mass-erase] [--no-leave]\n"
    "                            [--backup-dir DIR] [--wait SECONDS] [--back-wait SECONDS]\n"
    "                            [--interface IF] [--dry-run] [--json] FILE\n"
    "  --dry-run   find the device, run every check, read what it holds and print the plan\n"
    "              (pages that change, erase method, backup file); nothing is erased,\n"
    "              written or backed up, and the probe stays in DFU mode\n"
    "  After leaving DFU mode it looks for the probe running the new firmware: a USB build\n"
    "  on the same port with the same chip, a CAN build on IF (default can0) when it is up,\n"
    "  and asks it what it runs (exit 6 when it is not seen).\n"
    "  --back-wait S    how long to look (default 10 for USB, 15 for CAN; 0 = do not look)\n"
    "  --interface IF   the CAN interface a CAN build is looked for on (default can0)\n";

typedef struct flash_args {
    cf_flash_opts opts;
    cf_cli_flash_flags flags;
    bool address_given;
    uint32_t address;
    uint64_t wait_ms;
    const char *can_if;
    const char *file;
} flash_args;

/* What an option is applied with: the command's arguments and where an
 * error in a value goes. */
typedef struct dfu_parse {
    const cf_front *cli;
    flash_args *a;
    cf_error err;
} dfu_parse;

/* --erase auto|pages|mass; false for anything else. */
static bool parse_erase(const char *v, cf_erase_method *out)
{
    if (strcmp(v, "auto") == 0)
        *out = CF_ERASE_AUTO;
    else if (strcmp(v, "pages") == 0)
        *out = CF_ERASE_PAGES;
    else if (strcmp(v, "mass") == 0)
        *out = CF_ERASE_MASS;
    else
        return false;
    return true;
}

/* Applies one option getopt_long() returned; -1 to go on, else the exit status. */
static int take_flash_dfu_option(void *user, int c)
{
    const cf_front *cli = ((dfu_parse *)user)->cli;
    flash_args *a = ((dfu_parse *)user)->a;
    cf_error *err = &((dfu_parse *)user)->err;
    switch (c) {
    case 'd':
        a->opts.device = optarg;
        break;
    case 'a':
        if (cf_parse_address(optarg, &a->address, err) != CF_OK)
            return cf_front_report_error(cli, err);
        a->address_given = true;
        break;
    case 'F':
        a->opts.full = true;
        break;
    case 'm':
        a->opts.erase = CF_ERASE_MASS;
        break;
    case 'e':
        if (!parse_erase(optarg, &a->opts.erase)) {
            cf_fail(err, CF_ERR_USAGE, "--erase takes auto, pages or mass, not '%s'", optarg);
            return cf_front_report_error(cli, err);
        }
        break;
    case 'n':
        a->opts.no_leave = true;
        break;
    case 'b':
        a->opts.backup_dir = optarg;
        break;
    case 'w':
        if (cf_parse_seconds(optarg, &a->wait_ms, err) != CF_OK)
            return cf_front_report_error(cli, err);
        break;
    case 'i':
        a->can_if = optarg;
        break;
    default:
        return cf_cli_take_flash_option(cli, c, flash_dfu_usage, &a->flags, err);
    }
    return -1;
}

static int parse_flash_dfu(const cf_front *cli, int argc, char **argv, flash_args *a)
{
    dfu_parse p = {.cli = cli, .a = a};
    a->flags.force = &a->opts.force;
    a->flags.dry_run = &a->opts.dry_run;
    struct option longopts[20];
    cf_front_longopts("device address full force yes mass-erase erase no-leave backup-dir wait "
                      "back-wait interface json dry-run help",
                      longopts, 20);
    int status = cf_front_getopt(argc, argv, "d:a:yh", longopts, take_flash_dfu_option, &p, -1);
    if (status >= 0)
        return status;
    if (optind != argc - 1)
        return cf_cli_usage_error(cli, flash_dfu_usage);
    a->file = argv[optind];
    return -1; /* parsed; go on */
}

/* Finds the device to flash (waiting if asked) so it can be shown before asking. */
static cf_code find_device(cf_usb_backend *be, const flash_args *a, cf_usb_dfu_info *dev,
                           cf_error *err)
{
    if (a->wait_ms > 0)
        return cf_usb_wait_dfu(be, a->opts.device, a->wait_ms, NULL, NULL, dev, err);
    cf_usb_dfu_info *list = NULL;
    size_t count = 0, index = 0;
    cf_code rc = cf_usb_list_dfu(be, &list, &count, err);
    if (rc == CF_OK)
        rc = cf_usb_select(list, count, a->opts.device, &index, err);
    if (rc == CF_OK)
        *dev = list[index];
    if (rc == CF_ERR_AMBIGUOUS) /* say which one is the probe */
        for (size_t i = 0; i < count; i++) {
            cf_dfu_kind kind;
            cf_dfu_identify(&list[i], &kind);
            if (list[i].dfu_mode)
                cf_hint_more(err, "%s is %s.", list[i].bus_path, kind.summary);
        }
    free(list);
    return rc;
}

/* The device and the image, in the debug log whether or not they are printed. */
static void log_identity(const cf_usb_dfu_info *dev, const char *file, const cf_image *img)
{
    cf_dfu_kind kind;
    cf_dfu_identify(dev, &kind);
    cf_image_info info;
    cf_image_inspect(img, &info);
    cf_log(false, "device: %04x:%04x at %s, serial %s, %s", dev->vid, dev->pid, dev->bus_path,
           dev->serial, kind.summary);
    cf_log(false, "firmware: %s, %s for 0x%08x, %s, %s", file, cf_image_kind_name(info.kind),
           cf_image_start(img), info.version[0] ? info.version : "no version",
           info.mcu[0] ? info.mcu : "no MCU");
}

/* What the gates decided, for the debug log (a refusal is logged as the error). */
static void log_gates(const cf_flash_report *rep, cf_code rc)
{
    if (rc == CF_OK || rep->failed_phase > CF_PHASE_CHECK)
        cf_log(false, "safety checks passed: a Cartographer chip (%s), firmware for it that fits",
               rep->chip);
    else if (rep->failed_phase == CF_PHASE_CHECK)
        cf_log(false, "safety checks refused the flash; nothing was erased");
}

static void describe(const cf_usb_dfu_info *dev, const char *file, const cf_image *img)
{
    cf_dfu_kind kind;
    cf_dfu_identify(dev, &kind);
    printf("Device:   %04x:%04x at %s, %s\n", dev->vid, dev->pid, dev->bus_path, kind.summary);
    cf_cli_print_firmware(file, img);
}

static void print_result(const cf_flash_report *rep)
{
    if (rep->pages_changed == 0)
        printf("0 of %zu pages changed: the probe already holds this image (checked by "
               "read-back).\n",
               rep->pages_total);
    else if (rep->mass_erased)
        printf("%zu of %zu pages changed: one mass erase, %zu bytes written and verified"
               " (%zu unchanged page%s written back).\n",
               rep->pages_changed, rep->pages_total, rep->bytes_written, rep->pages_restored,
               rep->pages_restored == 1 ? "" : "s");
    else
        printf("%zu of %zu pages changed: %zu bytes written and verified.\n", rep->pages_changed,
               rep->pages_total, rep->bytes_written);
    if (rep->left)
        printf("Left DFU mode: the probe is starting its new firmware (%.1f s in all).\n",
               rep->seconds);
    else
        printf("Stayed in DFU mode as asked (--no-leave) (%.1f s in all).\n", rep->seconds);
}

static json_t *device_json(const cf_usb_dfu_info *dev)
{
    cf_dfu_kind kind;
    cf_dfu_identify(dev, &kind);
    const cf_chip *chip = cf_chip_from_device(dev);
    json_t *o = json_object();
    json_object_set_new(o, "id", cf_cli_json_usb_id(dev->vid, dev->pid));
    json_object_set_new(o, "bus_path", cf_front_json_text(dev->bus_path));
    json_object_set_new(o, "serial", cf_front_json_text(dev->serial));
    json_object_set_new(o, "chip", chip ? json_string(chip->mcu) : json_null());
    json_object_set_new(o, "identified_as", cf_front_json_text(kind.summary));
    return o;
}

static void print_json(const cf_usb_dfu_info *dev, const char *file, const cf_image *img,
                       const cf_progress_view *view, const cf_flash_report *rep,
                       const cf_came_back *cb)
{
    json_t *root = cf_cli_json_root("flash dfu");
    json_object_set_new(root, "device", device_json(dev));
    json_object_set_new(root, "firmware", cf_cli_json_firmware(file, img));
    json_object_set_new(root, "result", json_string(rep->pages_changed ? "flashed" : "unchanged"));
    json_object_set_new(root, "phases", cf_progress_view_phases_json(view));
    json_object_set_new(root, "pages_total", json_integer((json_int_t)rep->pages_total));
    json_object_set_new(root, "pages_changed", json_integer((json_int_t)rep->pages_changed));
    json_object_set_new(root, "pages_erased", json_integer((json_int_t)rep->pages_erased));
    json_object_set_new(root, "pages_restored", json_integer((json_int_t)rep->pages_restored));
    json_object_set_new(root, "mass_erased", json_boolean(rep->mass_erased));
    json_object_set_new(root, "bytes_written", json_integer((json_int_t)rep->bytes_written));
    json_object_set_new(root, "bytes_verified", json_integer((json_int_t)rep->bytes_verified));
    json_object_set_new(root, "backup_file",
                        rep->backup_path[0] ? cf_front_json_text(rep->backup_path) : json_null());
    json_object_set_new(root, "left_bootloader", json_boolean(rep->left));
    json_object_set_new(root, "came_back", cf_cli_came_back_json(cb));
    json_object_set_new(root, "duration_s", json_real(rep->seconds + cb->seconds));
    cf_front_json_print(root);
}

/* --dry-run --json: the device, the firmware and the plan; nothing ran. */
static void print_json_dry(const cf_usb_dfu_info *dev, const char *file, const cf_image *img,
                           const cf_flash_report *rep)
{
    json_t *root = cf_cli_json_root("flash dfu");
    json_object_set_new(root, "dry_run", json_true());
    json_object_set_new(root, "device", device_json(dev));
    json_object_set_new(root, "firmware", cf_cli_json_firmware(file, img));
    json_object_set_new(root, "result",
                        json_string(rep->pages_changed ? "would-flash" : "unchanged"));
    json_object_set_new(root, "plan", cf_cli_dfu_plan_json(rep));
    cf_front_json_print(root);
}

/* Runs the flow (the dry run with a->opts.dry_run) on the device that was
 * shown (by its bus path), its progress in view; rep says how far it came. */
static cf_code dfu_flow(const cf_front *cli, cf_usb_backend *be, flash_args *a,
                        const cf_usb_dfu_info *dev, const cf_image *img, cf_progress_view *view,
                        cf_flash_report *rep, cf_error *err)
{
    a->opts.device = dev->bus_path;
    cf_flash_events ev;
    cf_cli_progress_start(cli, view, &ev);
    cf_code rc = cf_flash_dfu(be, img, &a->opts, &ev, rep, err);
    log_gates(rep, rc);
    return rc;
}

/* --dry-run: the gates and the plan; nothing is erased, written or left. */
static cf_code plan_dfu(const cf_front *cli, cf_usb_backend *be, flash_args *a,
                        const cf_usb_dfu_info *dev, const cf_image *img, cf_error *err)
{
    cf_progress_view view;
    cf_flash_report rep;
    cf_code rc = dfu_flow(cli, be, a, dev, img, &view, &rep, err);
    if (rc != CF_OK)
        return rc;
    cf_cli_log_dfu_plan(&rep);
    if (cli->json)
        print_json_dry(dev, a->file, img, &rep);
    else
        cf_cli_print_dfu_plan(&rep);
    return CF_OK;
}

/* What to look for after leave: the image's link, the probe's port and ROM
 * serial; for a CAN build, the nodes that answered before (under --simulate
 * there is no CAN bus to ask). */
static void dfu_want(const cf_front *cli, const flash_args *a, const cf_usb_dfu_info *dev,
                     const cf_image *img, char (*before)[13], cf_cb_want *w)
{
    cf_cli_back_want(img, a->flags.back_wait_ms, a->flags.back_wait_given, w);
    w->port = dev->bus_path;
    w->serial = dev->serial;
    w->can_if = a->can_if ? a->can_if : "can0";
    w->no_can = cf_front_sim_no_can(cli->simulate);
    w->before = before;
    if (w->iface == CF_IFACE_CAN && w->wait_ms && !w->no_can)
        cf_came_back_can_before(NULL, w->can_if, before, CF_CB_MAX_BEFORE, &w->before_count);
}

/* Flashes exactly the device that was shown (by its bus path), then looks
 * for it running the new firmware. */
static cf_code run_dfu(const cf_front *cli, cf_usb_backend *be, flash_args *a,
                       const cf_usb_dfu_info *dev, const cf_image *img, cf_error *err)
{
    char before[CF_CB_MAX_BEFORE][13];
    cf_cb_want want;
    dfu_want(cli, a, dev, img, before, &want);
    cf_progress_view view;
    cf_flash_report rep;
    cf_code rc = dfu_flow(cli, be, a, dev, img, &view, &rep, err);
    if (rc != CF_OK) {
        if (rep.failed_phase > CF_PHASE_CHECK && err->code != CF_ERR_VERIFY) {
            if (rep.failed_address)
                cf_error_prefix(err, "%s failed at 0x%08x", cf_flash_phase_name(rep.failed_phase),
                                rep.failed_address);
            else
                cf_error_prefix(err, "%s failed", cf_flash_phase_name(rep.failed_phase));
        }
        return rc;
    }
    cf_log(false, "flashed: %zu of %zu pages changed, %zu bytes written and verified, %s%s",
           rep.pages_changed, rep.pages_total, rep.bytes_written,
           rep.left ? "left DFU" : "stayed in DFU", rep.backup_path[0] ? "" : ", no backup");
    if (!cli->json)
        print_result(&rep);
    if (!rep.left) {
        want.wait_ms = 0;
        want.why_not = "it stays in DFU mode (--no-leave)";
    }
    cf_came_back cb;
    cf_kp_env env = {0};
    rc = cf_cli_came_back(view.out, be, &env, &want, &cb, err);
    if (rc == CF_OK && cli->json)
        print_json(dev, a->file, img, &view, &rep, &cb);
    return rc;
}

static int flash_dfu(const cf_front *outer, int argc, char **argv)
{
    cf_front local = cf_cli_front_of(outer, argc, argv);
    const cf_front *cli = &local;
    flash_args a = {0};
    int status = parse_flash_dfu(cli, argc, argv, &a);
    if (status >= 0)
        return status;
    cf_error err = {0};
    cf_usb_backend *be = NULL;
    cf_image img = {0};
    cf_usb_dfu_info dev;
    cf_code rc = cf_front_open_backend(cli, &be, &err);
    if (rc == CF_OK)
        rc = find_device(be, &a, &dev, &err);
    if (rc == CF_OK) {
        const cf_chip *chip = cf_chip_from_device(&dev);
        cf_image_load_opts lo = {.default_address = chip ? chip->flash_start : 0x08000000u,
                                 .address = a.address,
                                 .address_given = a.address_given};
        rc = cf_image_load(a.file, &lo, &img, &err);
    }
    if (rc != CF_OK) {
        cf_front_close_backend(be);
        return cf_front_report_error(cli, &err);
    }
    log_identity(&dev, a.file, &img);
    if (!cli->json)
        describe(&dev, a.file, &img);
    /* a dry run changes nothing, so it needs no yes */
    rc = a.opts.dry_run ? CF_OK : cf_cli_ask(a.flags.yes, cli->json, &err);
    if (rc == CF_OK && a.opts.dry_run)
        rc = plan_dfu(cli, be, &a, &dev, &img, &err);
    else if (rc == CF_OK)
        rc = run_dfu(cli, be, &a, &dev, &img, &err);
    cf_image_free(&img);
    cf_front_close_backend(be);
    return rc == CF_OK ? 0 : cf_front_report_error(cli, &err);
}

int cf_cmd_flash(const cf_front *cli, int argc, char **argv)
{
    cf_front local = cf_cli_front_of(cli, argc, argv);
    if (argc < 2)
        return cf_cli_usage_error(&local, "usage: cartoflash flash dfu|can|usb [options] FILE\n");
    if (strcmp(argv[1], "dfu") == 0)
        return flash_dfu(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "can") == 0)
        return cf_cmd_flash_can(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "usb") == 0)
        return cf_cmd_flash_usb(cli, argc - 1, argv + 1);
    cf_error err = {0};
    cf_fail(&err, CF_ERR_USAGE, "unknown flash method '%s' (dfu, can or usb)", argv[1]);
    return cf_front_report_error(&local, &err);
}
