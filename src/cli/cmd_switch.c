/* cartoflash switch --to can[@BITRATE]|usb [--yes] [--device SEL | --uuid UUID]
 *                   [--interface IF] [--source DIR|URL] [--branch B] [--offline]
 *                   [--wait SECONDS] [--stop-after deployed] [--restart]
 * The USB <-> CAN change as steps that survive an interruption: find the
 * probe, flash the deployer for its chip and the new link, have the user
 * re-cable it, wait for it in the new Katapult (same chip: the UUID its chip
 * serial gives), flash the application for the new link, show its status.
 * After each step the state file (klipper/switchstate.h) says where it
 * stands; `cartoflash switch` run again continues there. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/version.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "common/clock.h"
#include "katapult/util.h"
#include "klipper/reach.h"
#include "klipper/status.h"
#include "klipper/switchstate.h"

#define MAX_ROWS 32

static const char usage_text[] =
    "usage: cartoflash switch --to can[@BITRATE]|usb [--yes] [--device SEL | --uuid UUID]\n"
    "                         [--interface IF] [--source DIR|FILE|URL] [--branch B] [--offline]\n"
    "                         [--wait SECONDS] [--stop-after deployed] [--restart]\n"
    "  Moves the probe from USB to CAN or back: flashes the Katapult deployer for its chip\n"
    "  and the new link, tells you how to re-cable it, waits for it on the new link (the\n"
    "  same chip), flashes the application for that link and shows its status. Each step\n"
    "  is remembered ($XDG_STATE_HOME/cartoflash/switch): run `cartoflash switch` again to\n"
    "  continue after an interruption.\n"
    "  --to can@N|usb   the new link; CAN at N bit/s (default: the CAN interface's bitrate)\n"
    "  --wait SECONDS   how long to wait for the probe on the new link (default 120)\n"
    "  --stop-after deployed  stop once the deployer is flashed (re-cable, then run again)\n"
    "  --restart        forget a switch under way and start afresh\n";

typedef struct sw_args {
    cf_iface to;
    uint32_t bitrate;
    bool yes, restart, stop_after_deployed;
    const char *device, *uuid, *interface;
    unsigned wait_ms;
    cf_catalog_opts copts;
} sw_args;

typedef struct sw_ctx {
    const cf_cli *cli;
    sw_args *a;
    cf_kp_env env;
    cf_catalog *cat;
    cf_sw_state st;
    cf_kp_timing timing;
    bool nothing; /* the probe is on the asked link already */
} sw_ctx;

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

static int parse_args(int argc, char **argv, sw_args *a)
{
    static const struct option longopts[] = {
        {"to", required_argument, NULL, 't'},
        {"yes", no_argument, NULL, 'y'},
        {"device", required_argument, NULL, 'd'},
        {"uuid", required_argument, NULL, 'u'},
        {"interface", required_argument, NULL, 'i'},
        {"source", required_argument, NULL, 's'},
        {"branch", required_argument, NULL, 'b'},
        {"offline", no_argument, NULL, 'o'},
        {"wait", required_argument, NULL, 'w'},
        {"stop-after", required_argument, NULL, 'S'},
        {"restart", no_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    a->wait_ms = 120000;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "yh", longopts, NULL)) != -1;) {
        uint64_t ms;
        cf_error err = {0};
        if (c == 't' && !parse_to(optarg, &a->to, &a->bitrate)) {
            fprintf(stderr, "cartoflash: --to wants usb, can or can@BITRATE (up to 1000000)\n");
            return 64;
        } else if (c == 'w') {
            if (cf_parse_seconds(optarg, &ms, &err) != CF_OK) {
                fprintf(stderr, "cartoflash: %s\n", err.message);
                return 64;
            }
            a->wait_ms = ms > 3600000 ? 3600000 : (unsigned)ms;
        } else if (c == 'S' && strcmp(optarg, "deployed") != 0) {
            fprintf(stderr, "cartoflash: --stop-after knows one step: deployed\n");
            return 64;
        } else if (c == 'h') {
            fputs(usage_text, stdout);
            return 0;
        } else if (c == '?' || c == ':') {
            fputs(usage_text, stderr);
            return 64;
        }
        a->yes |= c == 'y';
        a->restart |= c == 'R';
        a->stop_after_deployed |= c == 'S';
        a->device = c == 'd' ? optarg : a->device;
        a->uuid = c == 'u' ? optarg : a->uuid;
        a->interface = c == 'i' ? optarg : a->interface;
        a->copts.source = c == 's' ? optarg : a->copts.source;
        a->copts.branch = c == 'b' ? optarg : a->copts.branch;
        a->copts.offline |= c == 'o';
    }
    if (optind != argc) {
        fputs(usage_text, stderr);
        return 64;
    }
    return -1;
}

static const char *link_word(cf_iface i)
{
    return i == CF_IFACE_CAN ? "CAN" : "USB";
}

/* The one probe running its firmware (or in Katapult), identified. */
static cf_code choose_probe(sw_ctx *c, cf_probe_status *rows, size_t n, cf_probe_status **out,
                            cf_error *err)
{
    size_t hits = 0;
    for (size_t i = 0; i < n; i++) {
        cf_probe_status *r = &rows[i];
        bool ours = c->a->uuid     ? strcmp(r->uuid, c->a->uuid) == 0
                    : c->a->device ? strcmp(r->device, c->a->device) == 0 ||
                                         strcmp(r->port, c->a->device) == 0 ||
                                         strcasecmp(r->serial, c->a->device) == 0
                                   : true;
        if (ours && strcmp(r->mode, "klipper") == 0 && r->has_firmware && (hits++ == 0))
            *out = r;
    }
    if (hits == 1)
        return CF_OK;
    if (hits == 0) {
        cf_fail(err, CF_ERR_NOT_FOUND, "no probe running its firmware was found%s",
                c->a->uuid || c->a->device ? " that matches" : "");
        cf_hint(err, "switch reads the chip and firmware from the running probe first: "
                     "`cartoflash status` shows what it sees (stop Klipper if it holds the probe)");
        return CF_ERR_NOT_FOUND;
    }
    cf_fail(err, CF_ERR_AMBIGUOUS, "%zu probes run their firmware", hits);
    cf_hint(err, "name one with --device SEL (USB) or --uuid UUID (CAN)");
    return CF_ERR_AMBIGUOUS;
}

/* The bitrate of the new CAN link: asked for, else the interface's. */
static cf_code can_bitrate(sw_ctx *c, cf_error *err)
{
    cf_kp_canlink link = {0};
    cf_error e = {0};
    bool known = cf_kp_can_bus_info(&c->env, c->st.interface, &link, &e) == CF_OK &&
                 link.has_bitrate && link.bitrate;
    if (c->a->bitrate && known && link.bitrate != c->a->bitrate) {
        cf_fail(err, CF_ERR_GATE, "%s runs at %u bit/s, not the %u asked for", c->st.interface,
                (unsigned)link.bitrate, (unsigned)c->a->bitrate);
        cf_hint(err,
                "the probe would not be heard on the bus: set the interface's bitrate (sudo "
                "ip link set %s down; sudo ip link set %s up type can bitrate %u) or ask "
                "for can@%u",
                c->st.interface, c->st.interface, (unsigned)c->a->bitrate, (unsigned)link.bitrate);
        return CF_ERR_GATE;
    }
    c->st.bitrate = c->a->bitrate ? c->a->bitrate : known ? link.bitrate : 0;
    if (c->st.bitrate)
        return CF_OK;
    cf_fail(err, CF_ERR_USAGE, "the CAN bitrate is not known (%s reports none)", c->st.interface);
    cf_hint(err, "give it: --to can@1000000 (the bitrate your CAN bus runs at)");
    return CF_ERR_USAGE;
}

/* Step "found": what the probe is and runs, and where it is. */
static cf_code step_find(sw_ctx *c, cf_error *err)
{
    cf_probe_status *rows = calloc(MAX_ROWS, sizeof(*rows)), *r = NULL;
    if (!rows)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    cf_status_opts so = {.env = &c->env, .config = !c->cli->simulate};
    if (c->a->interface)
        so.can_ifs[so.can_if_count++] = c->a->interface;
    size_t n = 0;
    cf_code rc = cf_status_scan(&so, rows, MAX_ROWS, &n, err);
    if (rc == CF_OK)
        rc = choose_probe(c, rows, n, &r, err);
    cf_sw_state *st = &c->st;
    if (rc == CF_OK) {
        memset(st, 0, sizeof(*st));
        st->from = strcmp(r->connection, "can") == 0 ? CF_IFACE_CAN : CF_IFACE_USB;
        st->to = c->a->to;
        cf_kp_strlcpy(st->mcu, sizeof(st->mcu), r->mcu);
        cf_kp_strlcpy(st->serial, sizeof(st->serial), r->serial);
        if (st->from == CF_IFACE_CAN)
            cf_kp_strlcpy(st->uuid, sizeof(st->uuid), r->uuid);
        else if (!cf_kp_uuid_from_serial(st->serial, st->uuid))
            st->uuid[0] = '\0';
        cf_kp_strlcpy(st->interface, sizeof(st->interface),
                      r->interface[0] ? r->interface : c->a->interface ? c->a->interface : "can0");
        cf_version_flags fl;
        cf_version_flags_parse(r->fw.version, &fl);
        st->lite = fl.lite, st->kseries = fl.kseries, st->high_temp = fl.high_temp;
        char runs[160];
        cf_kl_describe(&r->fw, runs, sizeof(runs));
        printf("Probe: %s, %s (%s), runs %s (%s).\n", r->device, r->mcu, r->generation, runs,
               r->source);
    }
    free(rows);
    if (rc == CF_OK && st->from == st->to) {
        printf("The probe is already on %s; nothing to switch.\n", link_word(st->to));
        c->nothing = true;
        return CF_OK;
    }
    if (rc == CF_OK && st->to == CF_IFACE_CAN)
        rc = can_bitrate(c, err);
    return rc;
}

/* The catalogue image of `mode` for this chip and the new link. */
static cf_code pick(sw_ctx *c, cf_catalog_mode mode, cf_catalog_entry *out, cf_error *err)
{
    const cf_sw_state *st = &c->st;
    cf_catalog_filter f = {.mode = mode,
                           .mcu = st->mcu,
                           .iface = st->to,
                           .bitrate = st->to == CF_IFACE_CAN ? st->bitrate : 0,
                           .high_temp = st->high_temp,
                           .kseries = st->kseries,
                           .lite = st->lite && mode == CF_CATALOG_KATAPULT};
    cf_code rc = cf_catalog_pick(c->cat, &f, out, err);
    if (rc == CF_OK)
        printf("%s: %s%s%s (%s for %s on %s%s)\n",
               mode == CF_CATALOG_DEPLOYER ? "Deployer" : "Application", out->rel_path,
               out->version[0] ? ", " : "", out->version,
               mode == CF_CATALOG_DEPLOYER ? "installs Katapult" : "the newest app", st->mcu,
               link_word(st->to), st->to == CF_IFACE_CAN ? " at the asked bitrate" : "");
    return rc;
}

/* Flashes the file through Katapult on `via` (the probe found by serial or UUID). */
static cf_code flash_file(sw_ctx *c, cf_iface via, const char *path, bool precheck,
                          cf_kp_report *rep, cf_error *err)
{
    cf_image img = {0};
    cf_image_load_opts lo = {.default_address = 0x08002000u};
    cf_code rc = cf_image_load(path, &lo, &img, err);
    char sel[48];
    snprintf(sel, sizeof(sel), "serial=%s", c->st.serial);
    cf_kp_opts o = {.timing = &c->timing};
    if (via == CF_IFACE_CAN)
        o.uuid = c->st.uuid, o.interface = c->st.interface, o.bitrate = c->st.bitrate;
    else
        o.device = c->st.serial[0] ? sel : c->a->device;
    bool same = false;
    if (rc == CF_OK && precheck)
        rc = cf_cli_precheck(stdout, &c->env, via == CF_IFACE_CAN, &o, &img, &same, err);
    if (rc == CF_OK)
        rc = cf_cli_ask(c->a->yes, false, err);
    if (rc == CF_OK) {
        cf_progress_view view;
        cf_flash_events ev;
        cf_progress_view_init(&view, stdout, c->cli->tty);
        cf_progress_view_events(&view, &ev);
        rc = via == CF_IFACE_CAN ? cf_kp_flash_can(&c->env, &img, &o, &ev, rep, err)
                                 : cf_kp_flash_usb(&c->env, &img, &o, &ev, rep, err);
    }
    cf_image_free(&img);
    return rc;
}

/* Step "deployed": Katapult for the new link, flashed over the old one. */
static cf_code step_deployer(sw_ctx *c, cf_error *err)
{
    cf_catalog_entry dep;
    cf_code rc = pick(c, CF_CATALOG_DEPLOYER, &dep, err);
    cf_kp_report rep;
    if (rc == CF_OK)
        rc = flash_file(c, c->st.from, dep.abs_path, true, &rep, err);
    if (rc == CF_OK && rep.installed_katapult != c->st.to) {
        rc = cf_fail(err, CF_ERR_PROTOCOL, "%s did not install Katapult for %s", dep.rel_path,
                     link_word(c->st.to));
        cf_hint(err, "the probe runs that Katapult now; `cartoflash status` shows where it is");
    }
    if (rc == CF_OK)
        cf_kp_strlcpy(c->st.deployer, sizeof(c->st.deployer), dep.abs_path);
    return rc;
}

static void print_recable(const cf_sw_state *st)
{
    printf("\nNow move the probe to %s:\n", link_word(st->to));
    printf("  1. Power the printer off.\n");
    if (st->to == CF_IFACE_CAN) {
        printf("  2. Unplug the USB cable; wire the probe to the CAN bus (CAN H, CAN L, 24 V, "
               "GND).\n");
        printf("  3. If the probe ends the bus, fit its 120 ohm terminator jumper (a bus has "
               "exactly two, one at each end).\n");
        printf("  4. Power on. %s must be up at %u bit/s.\n", st->interface, (unsigned)st->bitrate);
    } else {
        printf("  2. Disconnect the CAN wiring; if the probe's 120 ohm terminator jumper was "
               "fitted, the bus needs a terminator at that end again.\n");
        printf("  3. Connect the probe with a USB data cable, and power on.\n");
    }
    printf("If this computer goes off with the printer, run `cartoflash switch` once it is back: "
           "it continues from here.\n");
}

/* Step "arrived": the same chip in Katapult on the new link. */
static cf_code step_wait(sw_ctx *c, cf_error *err)
{
    const cf_sw_state *st = &c->st;
    print_recable(st);
    printf("Waiting up to %.0f s for the probe in Katapult on %s (%s %s)...\n",
           c->a->wait_ms / 1000.0, link_word(st->to), st->serial[0] ? "chip" : "CAN UUID",
           st->serial[0] ? st->serial : st->uuid);
    fflush(stdout);
    uint64_t deadline = cf_now_ns() + (uint64_t)c->a->wait_ms * 1000000ull;
    do {
        if (st->to == CF_IFACE_CAN) {
            cf_kp_found_uuid f[32];
            size_t n = 0;
            cf_error e = {0};
            if (cf_kp_can_query_env(&c->env, st->interface, 300, f, 32, &n, &e) == CF_OK)
                for (size_t i = 0; i < n; i++)
                    if (strcmp(f[i].uuid, st->uuid) == 0 && f[i].app == CF_KP_APP_KATAPULT)
                        return CF_OK;
        } else {
            cf_kp_usb_dev d[16];
            size_t n = 0;
            cf_error e = {0};
            char u[13];
            if (cf_kp_usb_list(&c->env, d, 16, &n, &e) == CF_OK)
                for (size_t i = 0; i < n; i++)
                    if (d[i].app == CF_KP_APP_KATAPULT && cf_kp_uuid_from_serial(d[i].serial, u) &&
                        strcmp(u, st->uuid) == 0) {
                        cf_kp_strlcpy(c->st.serial, sizeof(c->st.serial), d[i].serial);
                        return CF_OK;
                    }
        }
        cf_sleep_ns(200000000);
    } while (cf_now_ns() < deadline);
    cf_fail(err, CF_ERR_TIMEOUT, "the probe was not seen in Katapult on %s within %.0f s",
            link_word(st->to), c->a->wait_ms / 1000.0);
    cf_hint(err, st->to == CF_IFACE_CAN
                     ? "check the CAN wiring, the termination and that the interface runs at the "
                       "probe's bitrate; then run `cartoflash switch` again: it continues from here"
                     : "check the USB cable (a data cable) and the port; then run `cartoflash "
                       "switch` again: it continues from here");
    return CF_ERR_TIMEOUT;
}

/* Step "app": the application for the new link, over it. */
static cf_code step_app(sw_ctx *c, cf_error *err)
{
    cf_catalog_entry app;
    cf_code rc = pick(c, CF_CATALOG_KATAPULT, &app, err);
    cf_kp_report rep;
    if (rc == CF_OK)
        rc = flash_file(c, c->st.to, app.abs_path, false, &rep, err);
    if (rc == CF_OK && !rep.came_back) {
        rc = cf_fail(err, CF_ERR_NOT_SEEN,
                     "the application was written and started, but the "
                     "probe was not seen running it on %s",
                     link_word(c->st.to));
        cf_hint(err, "check `cartoflash status`; run `cartoflash switch` again to retry");
    }
    return rc;
}

/* The last step: what the probe reports now, as `status` shows it. */
static void show_status(sw_ctx *c)
{
    cf_probe_status *rows = calloc(MAX_ROWS, sizeof(*rows));
    if (!rows)
        return;
    cf_status_opts so = {.env = &c->env, .config = !c->cli->simulate, .catalog = c->cat};
    size_t n = 0;
    cf_error err = {0};
    if (cf_status_scan(&so, rows, MAX_ROWS, &n, &err) == CF_OK)
        for (size_t i = 0; i < n; i++)
            if ((rows[i].uuid[0] && strcmp(rows[i].uuid, c->st.uuid) == 0) ||
                (rows[i].serial[0] && strcasecmp(rows[i].serial, c->st.serial) == 0)) {
                char line[1024];
                cf_status_line(&rows[i], line, sizeof(line));
                printf("Status: %s\n", line);
            }
    free(rows);
}

/* Runs the steps from the one after c->st.step, saving after each. */
static cf_code run_steps(sw_ctx *c, cf_error *err)
{
    cf_code rc = CF_OK;
    while (rc == CF_OK && c->st.step != CF_SW_APP) {
        cf_sw_step next = (cf_sw_step)(c->st.step + 1);
        printf("\n== Step %d of 3: %s\n", (int)next,
               next == CF_SW_DEPLOYED  ? "flash the Katapult deployer"
               : next == CF_SW_ARRIVED ? "re-cable, and find the probe on the new link"
                                       : "flash the application for the new link");
        rc = next == CF_SW_DEPLOYED  ? step_deployer(c, err)
             : next == CF_SW_ARRIVED ? step_wait(c, err)
                                     : step_app(c, err);
        if (rc == CF_OK) {
            c->st.step = next;
            rc = cf_sw_state_save(&c->st, err);
        }
        if (rc == CF_OK && next == CF_SW_DEPLOYED && c->a->stop_after_deployed) {
            print_recable(&c->st);
            printf("Stopped after the deployer (--stop-after deployed): re-cable the probe, then "
                   "run `cartoflash switch` to continue.\n");
            return CF_OK;
        }
    }
    if (rc == CF_OK) {
        printf("\nThe probe now runs its application on %s.\n", link_word(c->st.to));
        show_status(c);
        rc = cf_sw_state_clear(err);
    }
    return rc;
}

/* A switch under way continues; a new one starts with finding the probe. */
static cf_code resume_or_start(sw_ctx *c, cf_error *err)
{
    bool found = false;
    cf_code rc = c->a->restart ? cf_sw_state_clear(err) : cf_sw_state_load(&c->st, &found, err);
    if (rc)
        return rc;
    if (found && c->a->to &&
        (c->a->to != c->st.to || (c->a->bitrate && c->a->bitrate != c->st.bitrate))) {
        cf_fail(err, CF_ERR_USAGE, "a switch to %s is under way (after step %s)",
                link_word(c->st.to), cf_sw_step_name(c->st.step));
        cf_hint(err, "run `cartoflash switch` to continue it, or add --restart to start afresh");
        return CF_ERR_USAGE;
    }
    if (found) {
        printf("Continuing the switch from %s to %s (%s, %s) after step \"%s\".\n",
               link_word(c->st.from), link_word(c->st.to), c->st.mcu,
               c->st.uuid[0] ? c->st.uuid : c->st.serial, cf_sw_step_name(c->st.step));
        return CF_OK;
    }
    if (!c->a->to) {
        cf_fail(err, CF_ERR_USAGE, "no switch is under way");
        cf_hint(err, "start one: cartoflash switch --to can@1000000 (or --to usb)");
        return CF_ERR_USAGE;
    }
    rc = step_find(c, err);
    if (rc == CF_OK && !c->nothing)
        rc = cf_sw_state_save(&c->st, err);
    return rc;
}

int cf_cmd_switch(const cf_cli *cli, int argc, char **argv)
{
    sw_args a = {0};
    int status = parse_args(argc, argv, &a);
    if (status >= 0)
        return status;
    sw_ctx c = {.cli = cli, .a = &a};
    cf_error err = {0};
    cf_kp_sim *sim = NULL;
    cf_code rc = CF_OK;
    if (cli->simulate && !cf_kp_spec_is_katapult(cli->simulate)) {
        rc = cf_fail(&err, CF_ERR_USAGE, "switch simulates a probe running its firmware");
        cf_hint(&err, "use --simulate=katapult-usb or --simulate=katapult-can");
    } else if (cli->simulate) {
        rc = cf_kp_sim_new(cli->simulate, &sim, &err);
    }
    c.env.sim = sim;
    cf_kp_timing_default(&c.timing);
    if (sim) { /* the simulated node answers at once */
        c.timing.reply_ms = 500;
        c.timing.block_reply_ms = 800;
    }
    if (rc == CF_OK)
        rc = resume_or_start(&c, &err);
    if (rc == CF_OK && !c.nothing)
        rc = cf_catalog_open(&a.copts, &c.cat, &err);
    if (rc == CF_OK && !c.nothing)
        rc = run_steps(&c, &err);
    cf_catalog_close(c.cat);
    cf_kp_sim_free(sim);
    if (rc != CF_OK)
        return cf_cli_report_error(cli, &err);
    return 0;
}
