/* cf_update_run: the probe, the image and the flash through Katapult (see
 * update.h); the DFU-mode probe is update_dfu.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/version.h"
#include "klipper/plugin.h"
#include "klipper/reach.h"
#include "update/update_internal.h"

#define MAX_ROWS 32

void cf_up_note(const cf_update_events *ev, cf_update_note kind, const char *fmt, ...)
{
    if (!ev || !ev->note)
        return;
    char text[1024];
    CF_FORMAT_ARGS(text, fmt);
    ev->note(ev->user, kind, text);
}

static bool row_matches(const cf_probe_status *r, const cf_update_opts *o)
{
    if (o->uuid)
        return strcmp(r->uuid, o->uuid) == 0;
    if (o->device)
        return strcmp(r->device, o->device) == 0 || strcmp(r->port, o->device) == 0 ||
               strcmp(r->serial, o->device) == 0;
    return true;
}

/* The rows in mode `mode` that the options allow, as choices; the last one in *out. */
static size_t candidates(const cf_probe_status *rows, size_t n, const cf_update_opts *o,
                         const char *mode, cf_update_result *res, const cf_probe_status **out)
{
    size_t hits = 0;
    res->choice_count = 0;
    for (size_t i = 0; i < n; i++) {
        const cf_probe_status *r = &rows[i];
        if (!row_matches(r, o) || strcmp(r->mode, mode) != 0)
            continue;
        if (res->choice_count < CF_UPDATE_MAX_CHOICES) {
            cf_update_choice *c = &res->choices[res->choice_count++];
            c->can = r->uuid[0] != 0;
            snprintf(c->value, sizeof(c->value), "%s", c->can ? r->uuid : r->port);
            cf_status_line(r, c->label, sizeof(c->label));
        }
        hits++;
        *out = r;
    }
    return hits;
}

static cf_code ambiguous(const cf_update_result *res, size_t hits, const char *what, cf_error *err)
{
    char list[512] = "";
    for (size_t i = 0; i < res->choice_count; i++) {
        size_t used = strlen(list);
        const cf_update_choice *c = &res->choices[i];
        snprintf(list + used, sizeof(list) - used, "%s%s %s", used ? "; " : "",
                 c->can ? "--uuid" : "--device", c->value);
    }
    cf_fail(err, CF_ERR_AMBIGUOUS, "%zu probes %s: %s", hits, what, list);
    cf_hint(err, "add one of those flags; cartoflash never guesses");
    return CF_ERR_AMBIGUOUS;
}

/* The one probe to update, or an error naming the flag that chooses. */
static cf_code choose_probe(const cf_probe_status *rows, size_t n, const cf_update_opts *o,
                            cf_update_result *res, const cf_probe_status **out, cf_error *err)
{
    *out = NULL;
    size_t hits = candidates(rows, n, o, "klipper", res, out);
    if (hits > 1) {
        *out = NULL;
        return ambiguous(res, hits, "run their firmware", err);
    }
    if (hits == 1)
        return CF_OK;
    /* No probe runs its firmware: one in DFU mode is updated over DFU. */
    hits = candidates(rows, n, o, "dfu", res, out);
    if (hits > 1) {
        *out = NULL;
        return ambiguous(res, hits, "sit in DFU mode", err);
    }
    if (hits == 1)
        return CF_OK;
    res->choice_count = 0;
    cf_fail(err, CF_ERR_NOT_FOUND, "no probe running its firmware or in DFU mode was found%s%s",
            o->device || o->uuid ? " matching " : "",
            o->device ? o->device
            : o->uuid ? o->uuid
                      : "");
    cf_hint(err, "`cartoflash status` shows every probe and why it could not be asked");
    return CF_ERR_NOT_FOUND;
}

cf_code cf_up_pick_version(cf_catalog *cat, const cf_catalog_filter *filter, const char *want,
                           cf_catalog_entry *out, cf_error *err)
{
    int v[3];
    if (!cf_semver_parse(want, v))
        return cf_fail(err, CF_ERR_USAGE, "--version wants x.y.z, e.g. 5.1.0");
    cf_catalog_filter f = *filter;
    cf_catalog_entry *e = NULL;
    size_t n = 0;
    cf_code rc = cf_catalog_list(cat, &f, &e, &n, err);
    if (rc)
        return rc;
    size_t hits = 0;
    for (size_t i = 0; i < n; i++)
        if (e[i].has_semver && cf_semver_cmp(true, v, true, e[i].semver) == 0) {
            if (hits && strcmp(out->sha256, e[i].sha256) != 0) {
                rc = cf_fail(err, CF_ERR_AMBIGUOUS, "two different %s images fit: %s and %s", want,
                             out->rel_path, e[i].rel_path);
                break;
            }
            if (!hits)
                *out = e[i];
            hits++;
        }
    cf_catalog_free_list(e);
    if (rc == CF_OK && !hits)
        rc = cf_fail(err, CF_ERR_NOT_FOUND, "the catalogue has no %s %s %s %s image %s", want,
                     f.mcu, cf_iface_name(f.iface) ? cf_iface_name(f.iface) : "",
                     f.mode == CF_CATALOG_DFU ? "combined" : "app", "for this probe");
    return rc;
}

/* The image's firmware talks to the Cartographer Klipper plugin: one that
 * needs a newer plugin than the installed one is refused before anything is
 * flashed (the catalogue manifest's min_plugin_version). */
cf_code cf_up_plugin_gate(const cf_update_opts *o, const cf_update_events *ev,
                          const cf_catalog_entry *target, cf_error *err)
{
    if (!target->min_plugin[0])
        return CF_OK;
    cf_plugin p;
    cf_code rc = cf_plugin_find(o->home ? o->home : getenv("HOME"), &p, err);
    if (rc != CF_OK) {
        cf_hint(err,
                "the plugin's version could not be read, so %s (which needs %s or newer) "
                "was not flashed; reinstall the plugin",
                target->rel_path, target->min_plugin);
        return rc;
    }
    char note[512];
    rc = cf_plugin_check(&p, target->rel_path, target->min_plugin, note, sizeof(note), err);
    if (rc == CF_OK && p.found)
        cf_up_note(ev, CF_UPN_PLUGIN,
                   "Plugin: Cartographer Klipper plugin %s (%s) - the image needs %s or newer.",
                   p.version, p.where, target->min_plugin);
    else if (rc == CF_OK)
        cf_up_note(ev, CF_UPN_PLUGIN, "Note: %s.", note);
    return rc;
}

/* The image for a probe running its firmware: --version, else the newest
 * that status found for it (already up to date: nothing to do). */
static cf_code pick_app(const cf_update_opts *o, const cf_update_events *ev,
                        const cf_probe_status *r, cf_update_result *res, cf_error *err)
{
    if (o->version) {
        cf_version_flags fl;
        cf_version_flags_parse(r->fw.version, &fl);
        cf_catalog_filter f = {.mode = CF_CATALOG_KATAPULT,
                               .mcu = r->fw.mcu,
                               .iface = r->fw.iface,
                               .bitrate = r->fw.iface == CF_IFACE_CAN ? r->fw.can_bitrate : 0,
                               .high_temp = fl.high_temp,
                               .kseries = fl.kseries,
                               .lite = fl.lite};
        cf_code rc = cf_up_pick_version(o->status.catalog, &f, o->version, &res->target, err);
        res->picked = rc == CF_OK;
        return rc;
    }
    if (!r->has_latest)
        return cf_fail(err, CF_ERR_NOT_FOUND, "%s", r->why);
    res->target = r->latest;
    res->picked = true;
    if (r->state == CF_STATUS_UP_TO_DATE) {
        cf_up_note(ev, CF_UPN_NOTHING,
                   "Already up to date: the newest image that fits is %s (%s); nothing to do.",
                   r->latest.version, r->latest.rel_path);
        res->nothing_to_do = true;
    }
    return CF_OK;
}

/* Asked from the probe just before its bootloader is requested: the same
 * build is nothing to do. */
static bool already_runs(const cf_update_events *ev, const cf_kp_env *env, bool can,
                         const cf_kp_opts *ko, const cf_image *img)
{
    cf_kl_ident id = {0};
    cf_error err = {0};
    cf_code rc = can ? cf_kl_identify_can(env, ko->interface, ko->uuid, &id, &err)
                     : cf_kl_identify_usb_select(env, ko->device, &id, &err);
    bool same = false;
    if (rc == CF_OK) {
        char what[160];
        cf_kl_describe(&id.info, what, sizeof(what));
        same = cf_kl_image_is_running(&id, img);
        if (same)
            cf_up_note(ev, CF_UPN_NOTHING, "The probe already runs %s; nothing to do.\n  (%s, %s)",
                       what, id.device, id.source);
        else
            cf_up_note(ev, CF_UPN_CHECK, "The probe runs %s (%s); the image is a different build.",
                       what, id.source);
    } else {
        cf_up_note(ev, CF_UPN_CHECK,
                   "Could not read what the probe runs (%s); flashing without that check.",
                   err.message);
    }
    cf_kl_ident_free(&id);
    return same;
}

/* The probe is back: the flash is confirmed when it runs the image's build. */
cf_code cf_up_confirm(const cf_update_events *ev, const cf_came_back *cb, cf_update_result *res,
                      cf_error *err)
{
    cf_up_note(ev, CF_UPN_BACK, "The probe is back on %s (the same port and chip, or UUID).",
               cb->device);
    if (cb->runs[0])
        snprintf(res->now, sizeof(res->now), "%s", cb->runs);
    if (cb->same_build) {
        cf_up_note(ev, CF_UPN_CONFIRMED, "The probe now runs %s (read back with %s).", res->now,
                   cb->asked_with);
        return CF_OK;
    }
    if (cb->version[0])
        return cf_fail(err, CF_ERR_VERIFY, "after the flash the probe (%s) reports %s, not %s",
                       cb->device, cb->version, res->target.version);
    cf_fail(err, CF_ERR_VERIFY,
            "written and verified, and the probe is back (%s), but its new version could not "
            "be read back: %s",
            cb->device, cb->note[0] ? cb->note : "it did not answer identify");
    cf_hint(err, "check `cartoflash status` once no other program holds the probe");
    return CF_ERR_VERIFY;
}

/* After COMPLETE: the probe back on its own port with its own chip (or its
 * own UUID), and the new version from the device itself (klipper/cameback.h).
 * Not seen is CF_ERR_NOT_SEEN, as after every flash. */
static cf_code read_back(const cf_update_events *ev, const cf_kp_env *env, bool can,
                         const cf_kp_opts *ko, const cf_kp_report *rep, const cf_image *img,
                         cf_update_result *res, cf_error *err)
{
    cf_cb_want w = {.iface = can ? CF_IFACE_CAN : CF_IFACE_USB,
                    .wait_ms = can ? CF_CB_CAN_WAIT_MS : CF_CB_USB_WAIT_MS,
                    .img = img,
                    .port = rep->port,
                    .serial = rep->serial,
                    .can_if = ko->interface,
                    .uuid = can ? ko->uuid : NULL};
    cf_came_back cb;
    cf_code rc = cf_came_back_wait(NULL, env, &w, &cb, err);
    if (rc != CF_OK)
        return rc;
    return cf_up_confirm(ev, &cb, res, err);
}

static cf_code flash_katapult(const cf_update_opts *o, const cf_update_events *ev,
                              const cf_probe_status *r, const cf_image *img, cf_update_result *res,
                              cf_error *err)
{
    const cf_kp_env *env = o->status.env;
    bool can = strcmp(r->connection, "can") == 0;
    cf_kp_opts ko = {0};
    cf_kp_timing timing;
    cf_kp_timing_default(&timing);
    if (!cf_kp_env_on_machine(env)) { /* an in-process node answers at once */
        timing.reply_ms = 500;
        timing.block_reply_ms = 800;
    }
    ko.timing = &timing;
    if (can) {
        ko.uuid = r->uuid;
        ko.interface = r->interface;
        ko.bitrate = r->bus_bitrate;
    } else {
        ko.device = r->port[0] ? r->port : r->device;
    }
    if (already_runs(ev, env, can, &ko, img)) {
        res->nothing_to_do = true;
        return CF_OK;
    }
    cf_update_plan plan = {.dfu = false, .probe = r, .target = &res->target, .img = img};
    cf_code rc = !o->dry_run && ev && ev->confirm ? ev->confirm(ev->user, &plan, err) : CF_OK;
    if (rc != CF_OK)
        return rc;
    ko.dry_run = o->dry_run;
    ko.caller_waits = true; /* read_back() waits for the probe, as every flash does */
    cf_kp_report rep;
    const cf_flash_events *fev = ev ? ev->flash : NULL;
    rc = can ? cf_kp_flash_can(env, img, &ko, fev, &rep, err)
             : cf_kp_flash_usb(env, img, &ko, fev, &rep, err);
    if (rc != CF_OK)
        return rc;
    if (o->dry_run) {
        res->planned = true;
        res->planned_can = can;
        res->kp = rep;
        return CF_OK;
    }
    res->flashed = true;
    cf_up_note(ev, CF_UPN_WRITTEN, "Written and verified %zu bytes on %s.", rep.bytes_verified,
               rep.device);
    return read_back(ev, env, can, &ko, &rep, img, res, err);
}

/* A probe running its firmware: through Katapult on its own transport. */
static cf_code run_app(const cf_update_opts *o, const cf_update_events *ev, cf_update_result *res,
                       cf_error *err)
{
    const cf_probe_status *r = &res->probe;
    if (!r->has_firmware) {
        cf_fail(err, CF_ERR_DEVICE, "cannot tell what %s runs: %s", r->device, r->why);
        cf_hint(err, "update reads the running version first and never guesses it");
        return CF_ERR_DEVICE;
    }
    char runs[160];
    cf_kl_describe(&r->fw, runs, sizeof(runs));
    cf_up_note(ev, CF_UPN_PROBE, "Probe: %s, %s (%s), runs %s (%s).", r->device, r->mcu,
               r->generation, runs, r->source);
    cf_code rc = pick_app(o, ev, r, res, err);
    if (rc != CF_OK || res->nothing_to_do)
        return rc;
    const cf_catalog_entry *t = &res->target;
    cf_up_note(ev, CF_UPN_IMAGE, "Image: %s (%s) - %s for %s %s%s%s.", t->version, t->rel_path,
               o->version ? "the version asked for" : "the newest app image", r->fw.mcu,
               r->fw.iface == CF_IFACE_CAN ? "CAN" : "USB", r->fw.can_bitrate ? " " : "",
               r->fw.can_bitrate ? "at the probe's bitrate" : "");
    rc = cf_up_plugin_gate(o, ev, t, err);
    if (rc != CF_OK)
        return rc;
    cf_image img = {0};
    cf_image_load_opts lo = {.default_address = 0x08002000u};
    rc = cf_image_load(t->abs_path, &lo, &img, err);
    if (rc == CF_OK)
        rc = flash_katapult(o, ev, r, &img, res, err);
    cf_image_free(&img);
    return rc;
}

cf_code cf_update_run(const cf_update_opts *o, const cf_update_events *ev, cf_update_result *res,
                      cf_error *err)
{
    memset(res, 0, sizeof(*res));
    cf_probe_status *rows = calloc(MAX_ROWS, sizeof(*rows));
    if (!rows)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    size_t n = 0;
    const cf_probe_status *r = NULL;
    cf_code rc = cf_status_scan(&o->status, rows, MAX_ROWS, &n, err);
    if (rc == CF_OK)
        rc = choose_probe(rows, n, o, res, &r, err);
    if (rc == CF_OK) {
        res->probe = *r;
        res->found = true;
        res->choice_count = 0;
    }
    free(rows);
    if (rc != CF_OK)
        return rc;
    if (strcmp(res->probe.mode, "dfu") == 0)
        return cf_up_run_dfu(o, ev, res, err);
    return run_app(o, ev, res, err);
}
