/* cf_switch_run: the USB <-> CAN switch's steps (see switch.h); the wait
 * for the probe on its new link is switch_wait.c. */
#include "update/switch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/version.h"
#include "common/safe.h"
#include "klipper/reach.h"
#include "update/switch_internal.h"

#define MAX_ROWS 32

const char *cf_switch_link_word(cf_iface i)
{
    return i == CF_IFACE_CAN ? "CAN" : "USB";
}

void cf_sw_note(const cf_sw_run *c, cf_switch_note kind, const char *fmt, ...)
{
    if (!c->ev || !c->ev->note)
        return;
    char text[1024];
    CF_FORMAT_ARGS(text, fmt);
    c->ev->note(c->ev->user, kind, text);
}

/* The one probe running its firmware, identified. */
static cf_code choose_probe(const cf_sw_run *c, cf_probe_status *rows, size_t n,
                            cf_probe_status **out, cf_error *err)
{
    const cf_switch_opts *o = c->o;
    size_t hits = 0;
    for (size_t i = 0; i < n; i++) {
        cf_probe_status *r = &rows[i];
        bool ours = o->uuid ? strcmp(r->uuid, o->uuid) == 0
                    : o->device
                        ? strcmp(r->device, o->device) == 0 || strcmp(r->port, o->device) == 0 ||
                              strcasecmp(r->serial, o->device) == 0
                        : true;
        if (ours && strcmp(r->mode, "klipper") == 0 && r->has_firmware && (hits++ == 0))
            *out = r;
    }
    if (hits == 1)
        return CF_OK;
    if (hits == 0) {
        cf_fail(err, CF_ERR_NOT_FOUND, "no probe running its firmware was found%s",
                o->uuid || o->device ? " that matches" : "");
        cf_hint(err, "switch reads the chip and firmware from the running probe first: "
                     "`cartoflash status` shows what it sees (stop Klipper if it holds the probe)");
        return CF_ERR_NOT_FOUND;
    }
    cf_fail(err, CF_ERR_AMBIGUOUS, "%zu probes run their firmware", hits);
    cf_hint(err, "name one with --device SEL (USB) or --uuid UUID (CAN)");
    return CF_ERR_AMBIGUOUS;
}

/* The bitrate of the new CAN link: asked for, else the interface's. */
static cf_code can_bitrate(cf_sw_run *c, cf_error *err)
{
    cf_sw_state *st = &c->res->state;
    cf_kp_canlink link = {0};
    cf_error e = {0};
    bool known = cf_kp_can_bus_info(c->o->env, st->interface, &link, &e) == CF_OK &&
                 link.has_bitrate && link.bitrate;
    uint32_t want = c->o->bitrate;
    if (want && known && link.bitrate != want) {
        cf_fail(err, CF_ERR_GATE, "%s runs at %u bit/s, not the %u asked for", st->interface,
                (unsigned)link.bitrate, (unsigned)want);
        cf_hint(err,
                "the probe would not be heard on the bus: set the interface's bitrate (sudo "
                "ip link set %s down; sudo ip link set %s up type can bitrate %u) or ask "
                "for can@%u",
                st->interface, st->interface, (unsigned)want, (unsigned)link.bitrate);
        return CF_ERR_GATE;
    }
    st->bitrate = want ? want : known ? link.bitrate : 0;
    if (st->bitrate)
        return CF_OK;
    cf_fail(err, CF_ERR_USAGE, "the CAN bitrate is not known (%s reports none)", st->interface);
    cf_hint(err, "give it: --to can@1000000 (the bitrate your CAN bus runs at)");
    return CF_ERR_USAGE;
}

/* The state of a new switch from the probe's status row. */
static void state_from_row(cf_sw_run *c, const cf_probe_status *r)
{
    cf_sw_state *st = &c->res->state;
    memset(st, 0, sizeof(*st));
    st->from = strcmp(r->connection, "can") == 0 ? CF_IFACE_CAN : CF_IFACE_USB;
    st->to = c->o->to;
    cf_strlcpy(st->mcu, sizeof(st->mcu), r->mcu);
    cf_strlcpy(st->serial, sizeof(st->serial), r->serial);
    if (st->from == CF_IFACE_CAN)
        cf_strlcpy(st->uuid, sizeof(st->uuid), r->uuid);
    else if (!cf_kp_uuid_from_serial(st->serial, st->uuid))
        st->uuid[0] = '\0';
    cf_strlcpy(st->interface, sizeof(st->interface),
                  r->interface[0] ? r->interface : c->o->interface ? c->o->interface : "can0");
    cf_version_flags fl;
    cf_version_flags_parse(r->fw.version, &fl);
    st->lite = fl.lite, st->kseries = fl.kseries, st->high_temp = fl.high_temp;
    c->res->has_state = true;
}

/* Step "found": what the probe is and runs, and where it is. */
static cf_code step_find(cf_sw_run *c, cf_error *err)
{
    cf_probe_status *rows = calloc(MAX_ROWS, sizeof(*rows)), *r = NULL;
    if (!rows)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    cf_status_opts so = {.env = c->o->env, .config = c->o->config};
    if (c->o->interface)
        so.can_ifs[so.can_if_count++] = c->o->interface;
    size_t n = 0;
    cf_code rc = cf_status_scan(&so, rows, MAX_ROWS, &n, err);
    if (rc == CF_OK)
        rc = choose_probe(c, rows, n, &r, err);
    if (rc == CF_OK) {
        state_from_row(c, r);
        char runs[160];
        cf_kl_describe(&r->fw, runs, sizeof(runs));
        cf_sw_note(c, CF_SWN_PROBE, "Probe: %s, %s (%s), runs %s (%s).", r->device, r->mcu,
                   r->generation, runs, r->source);
    }
    free(rows);
    const cf_sw_state *st = &c->res->state;
    if (rc == CF_OK && st->from == st->to) {
        cf_sw_note(c, CF_SWN_NOTHING, "The probe is already on %s; nothing to switch.",
                   cf_switch_link_word(st->to));
        c->res->nothing_to_do = true;
        return CF_OK;
    }
    if (rc == CF_OK && st->to == CF_IFACE_CAN)
        rc = can_bitrate(c, err);
    return rc;
}

/* The catalogue image of `mode` for this chip and the new link. */
static cf_code pick(cf_sw_run *c, cf_catalog_mode mode, cf_catalog_entry *out, cf_error *err)
{
    const cf_sw_state *st = &c->res->state;
    cf_catalog_filter f = {.mode = mode,
                           .mcu = st->mcu,
                           .iface = st->to,
                           .bitrate = st->to == CF_IFACE_CAN ? st->bitrate : 0,
                           .high_temp = st->high_temp,
                           .kseries = st->kseries,
                           .lite = st->lite && mode == CF_CATALOG_KATAPULT};
    cf_code rc = cf_catalog_pick(c->cat, &f, out, err);
    if (rc == CF_OK)
        cf_sw_note(c, CF_SWN_IMAGE, "%s: %s%s%s (%s for %s on %s%s)",
                   mode == CF_CATALOG_DEPLOYER ? "Deployer" : "Application", out->rel_path,
                   out->version[0] ? ", " : "", out->version,
                   mode == CF_CATALOG_DEPLOYER ? "installs Katapult" : "the newest app", st->mcu,
                   cf_switch_link_word(st->to),
                   st->to == CF_IFACE_CAN ? " at the asked bitrate" : "");
    return rc;
}

/* What the probe runs, against the deployer, before any bootloader request. */
static cf_code precheck(cf_sw_run *c, const cf_kp_opts *ko, const cf_image *img, cf_error *err)
{
    cf_kl_precheck pc;
    cf_code rc =
        cf_kl_precheck_flash(c->o->env, c->res->state.from == CF_IFACE_CAN, ko, img, &pc, err);
    if (!pc.identified)
        cf_sw_note(c, CF_SWN_CHECK,
                   "Could not read what the probe runs (%s); its MCU is checked when Katapult "
                   "answers.",
                   pc.why);
    else if (rc != CF_OK)
        cf_sw_note(c, CF_SWN_CHECK, "The probe runs %s on %s (%s).", pc.runs, pc.mcu, pc.source);
    else
        cf_sw_note(c, CF_SWN_CHECK, "The probe runs %s (%s); the image is a different build.",
                   pc.runs, pc.source);
    return rc;
}

/* Flashes the entry through Katapult for `step` (the probe found by serial or UUID). */
static cf_code flash_entry(cf_sw_run *c, cf_sw_step step, const cf_catalog_entry *e,
                           cf_kp_report *rep, cf_error *err)
{
    const cf_sw_state *st = &c->res->state;
    cf_iface via = step == CF_SW_DEPLOYED ? st->from : st->to;
    cf_image img = {0};
    cf_image_load_opts lo = {.default_address = 0x08002000u};
    cf_code rc = cf_image_load(e->abs_path, &lo, &img, err);
    char sel[48];
    snprintf(sel, sizeof(sel), "serial=%s", st->serial);
    cf_kp_opts ko = {.timing = &c->timing};
    if (via == CF_IFACE_CAN)
        ko.uuid = st->uuid, ko.interface = st->interface, ko.bitrate = st->bitrate;
    else
        ko.device = st->serial[0] ? sel : c->o->device;
    if (rc == CF_OK && step == CF_SW_DEPLOYED)
        rc = precheck(c, &ko, &img, err);
    cf_switch_plan plan = {.step = step, .via = via, .target = e, .state = st};
    if (rc == CF_OK && c->ev && c->ev->confirm)
        rc = c->ev->confirm(c->ev->user, &plan, err);
    const cf_flash_events *fev = c->ev ? c->ev->flash : NULL;
    if (rc == CF_OK)
        rc = via == CF_IFACE_CAN ? cf_kp_flash_can(c->o->env, &img, &ko, fev, rep, err)
                                 : cf_kp_flash_usb(c->o->env, &img, &ko, fev, rep, err);
    cf_image_free(&img);
    return rc;
}

/* A step's image picked from the catalogue (*has says whether one was) and flashed. */
static cf_code pick_and_flash(cf_sw_run *c, cf_catalog_mode kind, cf_sw_step step,
                              cf_catalog_entry *e, bool *has, cf_kp_report *rep, cf_error *err)
{
    cf_code rc = pick(c, kind, e, err);
    *has = rc == CF_OK;
    return rc == CF_OK ? flash_entry(c, step, e, rep, err) : rc;
}

/* Step "deployed": Katapult for the new link, flashed over the old one. */
static cf_code step_deployer(cf_sw_run *c, cf_error *err)
{
    cf_switch_result *res = c->res;
    cf_kp_report rep;
    cf_code rc = pick_and_flash(c, CF_CATALOG_DEPLOYER, CF_SW_DEPLOYED, &res->deployer,
                                &res->has_deployer, &rep, err);
    if (rc == CF_OK && rep.installed_katapult != res->state.to) {
        rc = cf_fail(err, CF_ERR_PROTOCOL, "%s did not install Katapult for %s",
                     res->deployer.rel_path, cf_switch_link_word(res->state.to));
        cf_hint(err, "the probe runs that Katapult now; `cartoflash status` shows where it is");
    }
    if (rc == CF_OK)
        cf_strlcpy(res->state.deployer, sizeof(res->state.deployer), res->deployer.abs_path);
    return rc;
}

/* Step "app": the application for the new link, over it. */
static cf_code step_app(cf_sw_run *c, cf_error *err)
{
    cf_switch_result *res = c->res;
    cf_kp_report rep;
    cf_code rc =
        pick_and_flash(c, CF_CATALOG_KATAPULT, CF_SW_APP, &res->app, &res->has_app, &rep, err);
    if (rc == CF_OK && !rep.came_back) {
        rc = cf_fail(err, CF_ERR_NOT_SEEN,
                     "the application was written and started, but the "
                     "probe was not seen running it on %s",
                     cf_switch_link_word(res->state.to));
        cf_hint(err, "check `cartoflash status`; run `cartoflash switch` again to retry");
    }
    return rc;
}

/* The last step: what the probe reports now, as `status` shows it. */
static void read_status(cf_sw_run *c)
{
    cf_probe_status *rows = calloc(MAX_ROWS, sizeof(*rows));
    if (!rows)
        return;
    cf_status_opts so = {.env = c->o->env, .config = c->o->config, .catalog = c->cat};
    size_t n = 0;
    cf_error err = {0};
    const cf_sw_state *st = &c->res->state;
    if (cf_status_scan(&so, rows, MAX_ROWS, &n, &err) == CF_OK)
        for (size_t i = 0; i < n && !c->res->has_status; i++)
            if ((rows[i].uuid[0] && strcmp(rows[i].uuid, st->uuid) == 0) ||
                (rows[i].serial[0] && strcasecmp(rows[i].serial, st->serial) == 0)) {
                c->res->status = rows[i];
                c->res->has_status = true;
            }
    free(rows);
}

static const char *step_title(cf_sw_step s)
{
    return s == CF_SW_DEPLOYED  ? "flash the Katapult deployer"
           : s == CF_SW_ARRIVED ? "re-cable, and find the probe on the new link"
                                : "flash the application for the new link";
}

/* Runs the steps from the one after the state's, saving after each. */
static cf_code run_steps(cf_sw_run *c, cf_error *err)
{
    cf_switch_result *res = c->res;
    cf_code rc = CF_OK;
    while (rc == CF_OK && res->state.step != CF_SW_APP) {
        cf_sw_step next = (cf_sw_step)(res->state.step + 1);
        cf_sw_note(c, CF_SWN_STEP, "== Step %d of 3: %s", (int)next, step_title(next));
        rc = next == CF_SW_DEPLOYED  ? step_deployer(c, err)
             : next == CF_SW_ARRIVED ? cf_sw_step_wait(c, err)
                                     : step_app(c, err);
        if (rc == CF_OK) {
            res->state.step = next;
            res->done[res->steps_done++] = next;
            rc = cf_sw_state_save(&res->state, err);
        }
        if (rc == CF_OK && next == CF_SW_DEPLOYED && c->o->stop_after_deployed) {
            cf_sw_note_recable(c);
            cf_sw_note(c, CF_SWN_STOPPED,
                       "Stopped after the deployer (--stop-after deployed): re-cable the probe, "
                       "then run `cartoflash switch` to continue.");
            res->stopped = true;
            return CF_OK;
        }
    }
    if (rc == CF_OK) {
        cf_sw_note(c, CF_SWN_DONE, "The probe now runs its application on %s.",
                   cf_switch_link_word(res->state.to));
        read_status(c);
        rc = cf_sw_state_clear(err);
    }
    return rc;
}

/* A switch under way continues; a new one starts with finding the probe. */
static cf_code resume_or_start(cf_sw_run *c, cf_error *err)
{
    const cf_switch_opts *o = c->o;
    cf_switch_result *res = c->res;
    cf_sw_state *st = &res->state;
    bool found = false;
    cf_code rc = o->restart ? cf_sw_state_clear(err) : cf_sw_state_load(st, &found, err);
    if (rc)
        return rc;
    if (found && o->to && (o->to != st->to || (o->bitrate && o->bitrate != st->bitrate))) {
        cf_fail(err, CF_ERR_USAGE, "a switch to %s is under way (after step %s)",
                cf_switch_link_word(st->to), cf_sw_step_name(st->step));
        cf_hint(err, "run `cartoflash switch` to continue it, or add --restart to start afresh");
        return CF_ERR_USAGE;
    }
    if (found) {
        res->has_state = res->resumed = true;
        res->resumed_at = st->step;
        cf_sw_note(c, CF_SWN_RESUME,
                   "Continuing the switch from %s to %s (%s, %s) after step \"%s\".",
                   cf_switch_link_word(st->from), cf_switch_link_word(st->to), st->mcu,
                   st->uuid[0] ? st->uuid : st->serial, cf_sw_step_name(st->step));
        return CF_OK;
    }
    if (!o->to) {
        cf_fail(err, CF_ERR_USAGE, "no switch is under way");
        cf_hint(err, "start one: cartoflash switch --to can@1000000 (or --to usb)");
        return CF_ERR_USAGE;
    }
    rc = step_find(c, err);
    if (rc == CF_OK && !res->nothing_to_do)
        rc = cf_sw_state_save(st, err);
    return rc;
}

cf_code cf_switch_run(const cf_switch_opts *o, const cf_switch_events *ev, cf_switch_result *res,
                      cf_error *err)
{
    memset(res, 0, sizeof(*res));
    cf_sw_run c = {.o = o, .ev = ev, .res = res};
    cf_kp_timing_default(&c.timing);
    if (o->env && !cf_kp_env_on_machine(o->env)) { /* an in-process node answers at once */
        c.timing.reply_ms = 500;
        c.timing.block_reply_ms = 800;
    }
    cf_code rc = resume_or_start(&c, err);
    if (rc == CF_OK && !res->nothing_to_do)
        rc = cf_catalog_open(&o->catalog, &c.cat, err);
    if (rc == CF_OK && !res->nothing_to_do)
        rc = run_steps(&c, err);
    cf_catalog_close(c.cat);
    return rc;
}
