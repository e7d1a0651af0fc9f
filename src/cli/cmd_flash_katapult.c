/* cartoflash flash can --uuid UUID [--interface IF] FILE
 * cartoflash flash usb [--device PATH|SYSFS] FILE
 * Flashing through Katapult (katapult/katapult.h does the work). */
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
#include "front/options.h"
#include "front/simulate.h"
#include "katapult/katapult.h"

static const char can_usage[] =
    "usage: cartoflash flash can --uuid UUID [--interface IF] [--bitrate N] [--force] [--yes]\n"
    "                            [--wait SECONDS] [--back-wait SECONDS] [--timeout MS]\n"
    "                            [--dry-run] [--json] FILE\n"
    "  Sends the probe with this CAN UUID to Katapult (it may be running Klipper), writes\n"
    "  the application image FILE, verifies it by read-back and only then starts it, then\n"
    "  waits for the same UUID to answer as Klipper and asks it what it runs (exit 6 when\n"
    "  it does not).\n"
    "  --interface IF   CAN interface (default can0)\n"
    "  --bitrate N      bus bitrate to assume when the interface reports none (vcan)\n"
    "  --back-wait S    how long to look for the probe afterwards (default 15, 0 = do not look)\n"
    "  --dry-run        run every check and print the plan; no bootloader request is sent\n";

static const char usb_usage[] =
    "usage: cartoflash flash usb [--device PATH|SYSFS|PORT] [--force] [--yes]\n"
    "                            [--wait SECONDS] [--back-wait SECONDS] [--timeout MS]\n"
    "                            [--dry-run] [--json] FILE\n"
    "  Finds the probe on USB (Klipper or Katapult mode), asks Klipper to enter Katapult\n"
    "  (1200-baud touch), writes the application image FILE, verifies it by read-back,\n"
    "  starts it and waits for it to come back on the same port with the same chip serial,\n"
    "  then asks it what it runs (exit 6 when it does not come back).\n"
    "  --device SEL     /dev/ttyACM0, a /dev/serial/by-id link, a sysfs path or a port\n"
    "                   such as 1-1.3; needed when more than one probe is attached\n"
    "  --back-wait S    how long to look for the probe afterwards (default 10, 0 = do not look)\n"
    "  --dry-run        find the probe, run every check and print the plan; nothing is sent\n";

typedef struct kp_args {
    cf_kp_opts opts;
    cf_kp_timing timing;
    bool timing_given;
    cf_cli_flash_flags flags;
    const char *file;
} kp_args;

/* What an option is applied with: which command, its arguments and where an
 * error in a value goes. */
typedef struct kp_parse {
    const cf_front *cli;
    bool can;
    kp_args *a;
    cf_error err;
} kp_parse;

/* The options only flash can takes (--uuid, --interface, --bitrate); -1 to
 * go on, else the exit status. */
static int take_can_option(const cf_front *cli, int c, kp_args *a, cf_error *err)
{
    if (c == 'u') {
        a->opts.uuid = optarg;
    } else if (c == 'i') {
        a->opts.interface = optarg;
    } else {
        char *end;
        unsigned long v = strtoul(optarg, &end, 10);
        if (*end || v < 10000 || v > 8000000) {
            cf_fail(err, CF_ERR_USAGE, "--bitrate wants bits per second, e.g. 1000000");
            return cf_front_report_error(cli, err);
        }
        a->opts.bitrate = (uint32_t)v;
    }
    return -1;
}

/* Applies one option getopt_long() returned; -1 to go on, else the exit status. */
static int take_kp_option(void *user, int c)
{
    kp_parse *p = user;
    const cf_front *cli = p->cli;
    kp_args *a = p->a;
    cf_error *err = &p->err;
    const char *usage = p->can ? can_usage : usb_usage;
    uint64_t ms;
    char *end;
    switch (c) {
    case 'u':
    case 'i':
    case CF_OPT_BITRATE:
        if (!p->can)
            return cf_cli_usage_error(cli, usage);
        return take_can_option(cli, c, a, err);
    case 'd':
        if (p->can)
            return cf_cli_usage_error(cli, usage);
        a->opts.device = optarg;
        break;
    case 'w':
        if (cf_parse_seconds(optarg, &ms, err) != CF_OK)
            return cf_front_report_error(cli, err);
        a->opts.wait_ms = ms > 600000 ? 600000 : (unsigned)ms;
        break;
    case 't': {
        unsigned long v = strtoul(optarg, &end, 10);
        if (*end || v < 20 || v > 60000) {
            cf_fail(err, CF_ERR_USAGE, "--timeout wants milliseconds (20..60000)");
            return cf_front_report_error(cli, err);
        }
        a->timing.reply_ms = (unsigned)v;
        a->timing.block_reply_ms = (unsigned)v;
        a->timing_given = true;
        break;
    }
    default:
        return cf_cli_take_flash_option(cli, c, usage, &a->flags, err);
    }
    return -1;
}

/* Parses both commands' options; returns -1 to go on, else an exit status. */
static int parse(const cf_front *cli, bool can, int argc, char **argv, kp_args *a)
{
    const char *usage = can ? can_usage : usb_usage;
    kp_parse p = {.cli = cli, .can = can, .a = a};
    a->flags.force = &a->opts.force;
    a->flags.dry_run = &a->opts.dry_run;
    cf_kp_timing_default(&a->timing);
    /* flash can and flash usb know each other's options, to refuse them */
    struct option longopts[16];
    cf_front_longopts("uuid interface bitrate device force yes wait timeout back-wait json dry-run "
                      "help",
                      longopts, 16);
    int status =
        cf_front_getopt(argc, argv, can ? "u:i:yh" : "d:yh", longopts, take_kp_option, &p, -1);
    if (status >= 0)
        return status;
    if (optind != argc - 1)
        return cf_cli_usage_error(cli, usage);
    if (can && !a->opts.uuid) {
        cf_fail(&p.err, CF_ERR_USAGE, "flash can needs --uuid UUID");
        cf_hint(&p.err, "`cartoflash list` queries the CAN bus; printer.cfg has it as canbus_uuid");
        return cf_front_report_error(cli, &p.err);
    }
    a->file = argv[optind];
    return -1;
}

/* The emulated node for --simulate, or NULL for hardware. */
static cf_code open_sim(const cf_front *cli, bool can, cf_kp_transport **sim, cf_error *err)
{
    *sim = NULL;
    if (!cli->simulate)
        return CF_OK;
    const char *spec = cli->simulate;
    if (!spec[0])
        spec = can ? "katapult-can" : "katapult-usb";
    /* USB: the node on USB, or a simulated mainboard there (with the node on CAN). */
    if (can ? !cf_front_sim_is_katapult(spec) || strncmp(spec, "katapult-can", 12) != 0
            : !cf_front_sim_has_usb(spec)) {
        cf_fail(err, CF_ERR_USAGE, "--simulate=%s does not simulate a probe on %s", spec,
                can ? "CAN" : "USB");
        cf_hint(err, "use --simulate=%s[,OPTIONS]", can ? "katapult-can" : "katapult-usb");
        return CF_ERR_USAGE;
    }
    return cf_front_sim_katapult(spec, sim, err);
}

/* After a deployer: where the probe now waits, and what the user does next. */
static void print_deployed(bool can, const cf_kp_report *rep)
{
    bool to_can = rep->installed_katapult == CF_IFACE_CAN;
    if (to_can == can) {
        printf("Katapult for %s is installed%s.\n", to_can ? "CAN" : "USB",
               rep->came_back ? " and the probe waits in it"
                              : ", but the probe was not seen in it");
        printf("Next: flash the %s application image: cartoflash flash %s%s%s FILE\n",
               to_can ? "CAN" : "USB", to_can ? "can --uuid " : "usb", to_can ? rep->can_uuid : "",
               "");
        return;
    }
    printf("Katapult for %s is installed and started: the probe has left %s.\n",
           to_can ? "CAN" : "USB", can ? "the CAN bus" : "USB");
    if (to_can)
        printf("Next: power the printer off, wire the probe to the CAN bus (CAN H/L, 24 V, GND), "
               "fit its 120 ohm terminator jumper if it ends the bus, power on, then flash the CAN "
               "application: cartoflash flash can --uuid %s FILE\n",
               rep->can_uuid[0] ? rep->can_uuid : "UUID");
    else
        printf("Next: power the printer off, connect the probe by USB, power on, then flash the "
               "USB application: cartoflash flash usb FILE\n");
}

static void print_result(bool can, const cf_kp_report *rep)
{
    printf("Written and verified %zu bytes (%zu blocks, %u pages) on %s in %.2f s.\n",
           rep->bytes_verified, rep->blocks, (unsigned)rep->pages, rep->device,
           rep->transfer_seconds);
    if (can) {
        printf("CAN traffic: %lu frames sent, %lu received, %llu bits on the wire", rep->frames_out,
               rep->frames_in, rep->bits_out + rep->bits_in);
        if (rep->bus_bitrate)
            printf(" (%.3f s of bus time at %u bit/s)",
                   (double)(rep->bits_out + rep->bits_in) / rep->bus_bitrate,
                   (unsigned)rep->bus_bitrate);
        printf(".\n");
    }
    if (rep->installed_katapult != CF_IFACE_UNKNOWN)
        print_deployed(can, rep);
    else
        printf("Written, verified and started in %.1f s.\n", rep->seconds);
}

/* The "device" object of the flash can|usb JSON: the transport and the node. */
static json_t *device_json(bool can, const cf_kp_report *rep)
{
    json_t *dev = json_object();
    json_object_set_new(dev, "transport", json_string(can ? "can" : "usb"));
    json_object_set_new(dev, "name", cf_front_json_text(rep->device));
    return dev;
}

static void print_json(bool can, const char *file, const cf_image *img,
                       const cf_progress_view *view, const cf_kp_report *rep,
                       const cf_came_back *cb)
{
    json_t *root = cf_cli_json_root(can ? "flash can" : "flash usb");
    json_object_set_new(root, "device", device_json(can, rep));
    json_object_set_new(root, "firmware", cf_cli_json_firmware(file, img));
    json_object_set_new(root, "result", json_string("flashed"));
    json_object_set_new(root, "phases", cf_progress_view_phases_json(view));
    json_object_set_new(root, "blocks", json_integer((json_int_t)rep->blocks));
    json_object_set_new(root, "pages_written", json_integer(rep->pages));
    json_object_set_new(root, "bytes_written", json_integer((json_int_t)rep->bytes_written));
    json_object_set_new(root, "bytes_verified", json_integer((json_int_t)rep->bytes_verified));
    /* Katapult cannot read back what the probe held before: no backup */
    json_object_set_new(root, "backup_file", json_null());
    json_object_set_new(root, "was_klipper", json_boolean(rep->was_klipper));
    json_object_set_new(root, "came_back", cf_cli_came_back_json(cb));
    if (rep->installed_katapult != CF_IFACE_UNKNOWN) {
        json_t *k = json_object();
        json_object_set_new(k, "interface", json_string(cf_iface_name(rep->installed_katapult)));
        json_object_set_new(k, "can_uuid",
                            rep->can_uuid[0] ? json_string(rep->can_uuid) : json_null());
        json_object_set_new(root, "installed_katapult", k);
    }
    json_object_set_new(root, "duration_s", json_real(rep->seconds + cb->seconds));
    json_object_set_new(root, "transfer_s", json_real(rep->transfer_seconds));
    json_object_set_new(root, "bus_bitrate",
                        rep->bus_bitrate ? json_integer(rep->bus_bitrate) : json_null());
    cf_front_json_print(root);
}

/* --json when the probe already runs the image: nothing was sent to it. */
static void print_json_current(bool can, const char *file, const cf_image *img)
{
    json_t *root = cf_cli_json_root(can ? "flash can" : "flash usb");
    json_object_set_new(root, "firmware", cf_cli_json_firmware(file, img));
    json_object_set_new(root, "result", json_string("already-running"));
    json_object_set_new(root, "phases", json_array());
    json_object_set_new(root, "bytes_written", json_integer(0));
    json_object_set_new(root, "backup_file", json_null());
    json_object_set_new(root, "came_back", json_null());
    cf_front_json_print(root);
}

/* --dry-run --json: the firmware and the plan; nothing was sent to the probe. */
static void print_json_dry(bool can, const char *file, const cf_image *img, const cf_kp_report *rep)
{
    json_t *root = cf_cli_json_root(can ? "flash can" : "flash usb");
    json_object_set_new(root, "dry_run", json_true());
    json_object_set_new(root, "device", device_json(can, rep));
    json_object_set_new(root, "firmware", cf_cli_json_firmware(file, img));
    json_object_set_new(root, "result", json_string("would-flash"));
    json_object_set_new(root, "bus_bitrate",
                        rep->bus_bitrate ? json_integer(rep->bus_bitrate) : json_null());
    json_object_set_new(root, "plan", cf_cli_kp_plan_json(rep));
    cf_front_json_print(root);
}

/* --dry-run: every check before the bootloader request passed; the plan. */
static void show_plan(const cf_front *cli, bool can, const char *file, const cf_image *img,
                      const cf_kp_report *rep)
{
    cf_cli_log_kp_plan(rep);
    if (cli->json)
        print_json_dry(can, file, img, rep);
    else
        cf_cli_print_kp_plan(can, rep);
}

/* After the flash: says how it went, then looks for the probe (the same UUID
 * on CAN, the same port and chip serial on USB). */
static cf_code look_for_probe(const cf_front *cli, bool can, const kp_args *a, const cf_kp_env *env,
                              const cf_image *img, const cf_progress_view *view,
                              const cf_kp_report *rep, cf_error *err)
{
    if (!cli->json)
        print_result(can, rep);
    cf_cb_want want;
    cf_cli_back_want(img, a->flags.back_wait_ms, a->flags.back_wait_given, &want);
    want.port = rep->port;
    want.serial = rep->serial;
    want.can_if = a->opts.interface;
    want.uuid = can ? a->opts.uuid : NULL;
    cf_came_back cb;
    cf_code rc = cf_cli_came_back(view->out, NULL, env, &want, &cb, err);
    if (rc == CF_OK && cli->json)
        print_json(can, a->file, img, view, rep, &cb);
    return rc;
}

/* Runs the flow with its progress shown: with --dry-run every check before
 * the bootloader request and then the plan, else the flash and the look for
 * the probe. */
static cf_code flash_or_plan(const cf_front *cli, bool can, kp_args *a, cf_kp_transport *sim,
                             const cf_image *img, cf_error *err)
{
    cf_kp_env env = {.transport = sim};
    cf_progress_view view;
    cf_flash_events ev;
    cf_kp_report rep;
    bool dry = a->opts.dry_run;
    a->opts.caller_waits = !dry;
    cf_cli_progress_start(cli, &view, &ev);
    cf_code rc = can ? cf_kp_flash_can(&env, img, &a->opts, &ev, &rep, err)
                     : cf_kp_flash_usb(&env, img, &a->opts, &ev, &rep, err);
    cf_log(false, "device %s: %s", rep.device[0] ? rep.device : "not found",
           rc != CF_OK ? "stopped (see the error)"
           : dry       ? "every check before the bootloader request passed"
                       : "written, verified and started");
    if (rc == CF_OK && dry)
        show_plan(cli, can, a->file, img, &rep);
    else if (rc == CF_OK)
        rc = look_for_probe(cli, can, a, &env, img, &view, &rep, err);
    else if (!dry && rep.failed_phase >= CF_PHASE_WRITE && rep.failed_phase <= CF_PHASE_VERIFY)
        fprintf(stderr, "cartoflash: %s failed after %zu bytes written, %zu verified%s.\n",
                cf_flash_phase_name(rep.failed_phase), rep.bytes_written, rep.bytes_verified,
                rep.completed ? "" : "; COMPLETE was not sent");
    return rc;
}

static int flash_katapult(const cf_front *outer, bool can, int argc, char **argv)
{
    cf_front local = cf_cli_front_of(outer, argc, argv);
    const cf_front *cli = &local;
    kp_args a = {0};
    int status = parse(cli, can, argc, argv, &a);
    if (status >= 0)
        return status;
    cf_error err = {0};
    cf_kp_transport *sim = NULL;
    cf_image img = {0};
    cf_code rc = open_sim(cli, can, &sim, &err);
    /* a UUID printer.cfg gives to another board ([mcu], a toolhead) is refused before
     * anything is sent to it */
    if (rc == CF_OK && can && !a.opts.force)
        rc = cf_kp_refuse_foreign_uuid(getenv("HOME"), a.opts.uuid, &err);
    if (rc == CF_OK) {
        cf_image_load_opts lo = {.default_address = 0x08002000u};
        rc = cf_image_load(a.file, &lo, &img, &err);
    }
    if (rc == CF_OK) {
        if (!cli->json)
            cf_cli_print_firmware(a.file, &img);
        /* Simulated nodes answer in microseconds: fail faster in fault demos. */
        if (sim && !a.timing_given) {
            a.timing.reply_ms = 500;
            a.timing.block_reply_ms = 800;
        }
        a.opts.timing = &a.timing;
        cf_kp_env env = {.transport = sim};
        cf_image_info info;
        cf_kp_canlink link = {0};
        uint32_t bitrate = 0;
        if (can && cf_kp_can_bus_info(&env, a.opts.interface ? a.opts.interface : "can0", &link,
                                      &err) == CF_OK)
            bitrate = link.has_bitrate ? link.bitrate : a.opts.bitrate;
        cf_error_reset(&err);
        /* Refuse a wrong image before asking (the flow checks again). */
        rc = cf_kp_check_image(&img, can ? CF_IFACE_CAN : CF_IFACE_USB, can ? bitrate : 0,
                               a.opts.force, &info, &err);
        if (rc == CF_ERR_GATE && can && !bitrate)
            rc = CF_OK, cf_error_reset(&err); /* the flow explains the missing bitrate */
        cf_log(false, "firmware: %s, %s for 0x%08x, %s, %s; image checks %s", a.file,
               cf_image_kind_name(info.kind), cf_image_start(&img),
               info.version[0] ? info.version : "no version", info.mcu[0] ? info.mcu : "no MCU",
               rc == CF_OK ? "passed" : "refused it");
    }
    /* the running firmware's chip and build, before any bootloader request */
    if (rc == CF_OK) {
        cf_kp_env env = {.transport = sim};
        bool same = false;
        rc = cf_cli_precheck(cli->json ? stderr : stdout, &env, can, &a.opts, &img, &same, &err);
        if (rc == CF_OK && same && !a.opts.force) {
            cf_log(false, "the probe already runs this build: nothing to do, nothing sent");
            if (cli->json)
                print_json_current(can, a.file, &img);
            cf_image_free(&img);
            cf_kp_transport_free(sim);
            return 0;
        }
    }
    /* asked the same way as flash dfu: without a terminal, only with --yes */
    if (rc == CF_OK && !a.opts.dry_run) /* a dry run changes nothing: no yes needed */
        rc = cf_cli_ask(a.flags.yes, cli->json, &err);
    if (rc == CF_OK)
        rc = flash_or_plan(cli, can, &a, sim, &img, &err);
    cf_image_free(&img);
    cf_kp_transport_free(sim);
    if (rc != CF_OK)
        return cf_front_report_error(cli, &err);
    return 0;
}

int cf_cmd_flash_can(const cf_front *cli, int argc, char **argv)
{
    return flash_katapult(cli, true, argc, argv);
}

int cf_cmd_flash_usb(const cf_front *cli, int argc, char **argv)
{
    return flash_katapult(cli, false, argc, argv);
}
