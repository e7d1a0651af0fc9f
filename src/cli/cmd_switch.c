/* cartoflash switch --to can[@BITRATE]|usb [--yes] [--device SEL | --uuid UUID]
 *                   [--interface IF] [--source DIR|URL] [--branch B] [--offline]
 *                   [--wait SECONDS] [--stop-after deployed] [--restart]
 * The USB <-> CAN change as steps that survive an interruption: find the
 * probe, flash the deployer for its chip and the new link, have the user
 * re-cable it, wait for it in the new Katapult (same chip: the UUID its chip
 * serial gives), flash the application for the new link, show its status.
 * After each step the state file (klipper/switchstate.h) says where it
 * stands; `cartoflash switch` run again continues there. The steps are the
 * update layer's (update/switch.h); this file parses, prints and asks. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "common/log.h"
#include "front/options.h"
#include "front/simulate.h"
#include "update/switch.h"

static const char usage_text[] =
    "usage: cartoflash switch --to can[@BITRATE]|usb [--yes] [--device SEL | --uuid UUID]\n"
    "                         [--interface IF] [--source DIR|FILE|URL] [--branch B] [--offline]\n"
    "                         [--wait SECONDS] [--stop-after deployed] [--restart] [--json]\n"
    "  Moves the probe from USB to CAN or back: flashes the Katapult deployer for its chip\n"
    "  and the new link, tells you how to re-cable it, waits for it on the new link (the\n"
    "  same chip), flashes the application for that link and shows its status. Each step\n"
    "  is remembered ($XDG_STATE_HOME/cartoflash/switch): run `cartoflash switch` again to\n"
    "  continue after an interruption.\n"
    "  --to can@N|usb   the new link; CAN at N bit/s (default: the CAN interface's bitrate)\n"
    "  --wait SECONDS   how long to wait for the probe on the new link (default 120)\n"
    "  --stop-after deployed  stop once the deployer is flashed (re-cable, then run again)\n"
    "  --restart        forget a switch under way and start afresh\n"
    "  --json           one JSON document on stdout (steps, state, images, status)\n";

typedef struct sw_args {
    bool yes;
    const cf_front *cli;
    FILE *out; /* the notes: stdout, stderr with --json */
} sw_args;

/* "usb", "can", "can@1000000". */
static bool parse_to(const char *v, cf_iface *to, uint32_t *bitrate)
{
    *bitrate = 0;
    if (strcmp(v, "usb") == 0)
        return (*to = CF_IFACE_USB, true);
    if (strncmp(v, "can", 3) != 0 || (v[3] && v[3] != '@'))
        return false;
    *to = CF_IFACE_CAN;
    if (!v[3])
        return true;
    char *end = NULL;
    unsigned long b = strtoul(v + 4, &end, 10);
    /* ISO 11898-1 classic CAN tops out at 1 Mbit/s */
    if (!end || *end || v[4] < '1' || v[4] > '9' || b < 10000ul || b > 1000000ul)
        return false;
    *bitrate = (uint32_t)b;
    return true;
}

/* What the options ask for. */
typedef struct switch_args {
    sw_args *a;
    cf_switch_opts *o;
} switch_args;

/* The options that take a value that can be wrong: --to, --wait, --stop-after;
 * -1 when c is none of them or its value is good, else the exit status. */
static int take_checked_option(int c, cf_switch_opts *o)
{
    uint64_t ms;
    cf_error err = {0};
    if (c == 't' && !parse_to(optarg, &o->to, &o->bitrate)) {
        fprintf(stderr, "cartoflash: --to wants usb, can or can@BITRATE (up to 1000000)\n");
        return 64;
    } else if (c == 'w') {
        if (cf_parse_seconds(optarg, &ms, &err) != CF_OK) {
            fprintf(stderr, "cartoflash: %s\n", err.message);
            return 64;
        }
        o->wait_ms = ms > 3600000 ? 3600000 : (unsigned)ms;
    } else if (c == 'S' && strcmp(optarg, "deployed") != 0) {
        fprintf(stderr, "cartoflash: --stop-after knows one step: deployed\n");
        return 64;
    }
    return -1;
}

/* Applies one option getopt_long() returned; -1 to go on, else the exit status. */
static int take_switch_option(void *user, int c)
{
    sw_args *a = ((switch_args *)user)->a;
    cf_switch_opts *o = ((switch_args *)user)->o;
    int status = take_checked_option(c, o);
    if (status >= 0)
        return status;
    if (c == 'h' || c == '?' || c == ':')
        return cf_cli_usage_exit(usage_text, c == 'h');
    a->yes |= c == 'y';
    o->restart |= c == 'R';
    o->stop_after_deployed |= c == 'S';
    o->device = c == 'd' ? optarg : o->device;
    o->uuid = c == 'u' ? optarg : o->uuid;
    o->interface = c == 'i' ? optarg : o->interface;
    cf_cli_take_catalog_option(c, optarg, &o->catalog);
    return -1;
}

static int parse_args(int argc, char **argv, sw_args *a, cf_switch_opts *o)
{
    o->wait_ms = 120000;
    switch_args both = {a, o};
    struct option longopts[16];
    cf_front_longopts("to yes device uuid interface source branch offline wait stop-after restart "
                      "json help",
                      longopts, 16);
    int status = cf_front_getopt(argc, argv, "yh", longopts, take_switch_option, &both, -1);
    if (status < 0 && optind != argc)
        return cf_cli_usage_exit(usage_text, false);
    return status;
}

/* The layer's notes as lines; a step, the re-cabling and the end stand apart. */
static void on_note(void *user, cf_switch_note kind, const char *text)
{
    const sw_args *a = user;
    bool apart = kind == CF_SWN_STEP || kind == CF_SWN_RECABLE || kind == CF_SWN_DONE;
    fprintf(a->out, "%s%s\n", apart ? "\n" : "", text);
    fflush(a->out);
    cf_log(false, "switch: %s", text);
}

/* Asked the same way as every flash: without a terminal, only with --yes. */
static cf_code on_confirm(void *user, const cf_switch_plan *plan, cf_error *err)
{
    const sw_args *a = user;
    cf_log(false, "switch: flashing %s over %s", plan->target->abs_path,
           cf_switch_link_word(plan->via));
    return cf_cli_ask(a->yes, a->cli->json, err);
}

static const char *iface_name(cf_iface i)
{
    return i == CF_IFACE_CAN ? "can" : i == CF_IFACE_USB ? "usb" : NULL;
}

static json_t *entry_json(bool has, const cf_catalog_entry *e)
{
    if (!has)
        return json_null();
    json_t *o = json_object();
    char sv[40];
    snprintf(sv, sizeof(sv), "%d.%d.%d", e->semver[0], e->semver[1], e->semver[2]);
    json_object_set_new(o, "path", json_string(e->rel_path));
    json_object_set_new(o, "file", json_string(e->abs_path));
    json_object_set_new(o, "version", e->version[0] ? json_string(e->version) : json_null());
    json_object_set_new(o, "semver", e->has_semver ? json_string(sv) : json_null());
    json_object_set_new(o, "sha256", json_string(e->sha256));
    return o;
}

static json_t *state_json(const cf_switch_result *res)
{
    const cf_sw_state *st = &res->state;
    if (!res->has_state)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "step", json_string(cf_sw_step_name(st->step)));
    json_object_set_new(o, "from", json_string(iface_name(st->from)));
    json_object_set_new(o, "to", json_string(iface_name(st->to)));
    json_object_set_new(o, "can_bitrate",
                        st->to == CF_IFACE_CAN ? json_integer(st->bitrate) : json_null());
    json_object_set_new(o, "mcu", json_string(st->mcu));
    json_object_set_new(o, "serial", st->serial[0] ? json_string(st->serial) : json_null());
    json_object_set_new(o, "uuid", st->uuid[0] ? json_string(st->uuid) : json_null());
    json_object_set_new(o, "interface", json_string(st->interface));
    return o;
}

static void print_json(const cf_switch_result *res)
{
    json_t *root = cf_cli_json_root("switch");
    json_t *steps = json_array();
    for (size_t i = 0; i < res->steps_done; i++)
        json_array_append_new(steps, json_string(cf_sw_step_name(res->done[i])));
    json_object_set_new(root, "result",
                        json_string(res->nothing_to_do ? "nothing to do"
                                    : res->stopped     ? "stopped after deployed"
                                                       : "switched"));
    json_object_set_new(root, "resumed_after",
                        res->resumed ? json_string(cf_sw_step_name(res->resumed_at)) : json_null());
    json_object_set_new(root, "steps_done", steps);
    json_object_set_new(root, "state", state_json(res));
    json_object_set_new(root, "deployer", entry_json(res->has_deployer, &res->deployer));
    json_object_set_new(root, "app", entry_json(res->has_app, &res->app));
    json_object_set_new(root, "status",
                        res->has_status ? cf_cli_json_probe(&res->status) : json_null());
    cf_front_json_print(root);
}

static void print_status(const cf_switch_result *res)
{
    if (!res->has_status)
        return;
    char line[1024];
    cf_status_line(&res->status, line, sizeof(line));
    printf("Status: %s\n", line);
}

int cf_cmd_switch(const cf_front *cli_in, int argc, char **argv)
{
    cf_front local = cf_cli_front_of(cli_in, argc, argv);
    const cf_front *cli = &local;
    sw_args a = {.cli = cli, .out = cli->json ? stderr : stdout};
    cf_switch_opts o = {.config = !cli->simulate};
    int status = parse_args(argc, argv, &a, &o);
    if (status >= 0)
        return status;
    cf_error err = {0};
    cf_kp_transport *sim = NULL;
    cf_code rc = CF_OK;
    if (cli->simulate && !cf_front_sim_is_katapult(cli->simulate)) {
        rc = cf_fail(&err, CF_ERR_USAGE, "switch simulates a probe running its firmware");
        cf_hint(&err, "use --simulate=katapult-usb or --simulate=katapult-can");
    } else if (cli->simulate) {
        rc = cf_front_sim_katapult(cli->simulate, &sim, &err);
    }
    cf_kp_env env = {.transport = sim};
    o.env = &env;
    cf_progress_view view;
    cf_flash_events fev;
    cf_cli_progress_start(cli, &view, &fev); /* on a.out */
    cf_switch_events ev = {.user = &a, .note = on_note, .confirm = on_confirm, .flash = &fev};
    cf_switch_result *res = calloc(1, sizeof(*res));
    if (rc == CF_OK && !res)
        rc = cf_fail(&err, CF_ERR_NOMEM, "out of memory");
    if (rc == CF_OK)
        rc = cf_switch_run(&o, &ev, res, &err);
    if (rc == CF_OK && cli->json)
        print_json(res);
    else if (rc == CF_OK)
        print_status(res);
    free(res);
    cf_kp_transport_free(sim);
    if (rc != CF_OK)
        return cf_front_report_error(cli, &err);
    return 0;
}
