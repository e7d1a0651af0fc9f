/* The probe after a flash: seen again, matched, asked (see cameback.h). */
#include "klipper/cameback.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/chipid.h"
#include "common/clock.h"
#include "common/safe.h"
#include "klipper/klipper.h"
#include "klipper/reach.h"

/* A device on USB after the flash, from whichever bus lists it. */
typedef struct cb_usb {
    cf_usb_identity id; /* its port is id.bus_path */
    char tty[64];       /* "" for a device the USB backend listed itself (no tty here) */
} cb_usb;

bool cf_came_back_same_chip(const char *before, const char *now)
{
    uint8_t uid[CF_CHIPID_LEN];
    if (!before || !before[0])
        return true; /* nothing known before: the port decides */
    if (cf_chipid_from_klipper_serial(before, uid))
        return strcasecmp(before, now) == 0;
    if (!cf_chipid_rom_serial_names_chip(before))
        return true; /* the F042 ROM's fixed serial: the port decides */
    char rom[13];
    if (!cf_chipid_from_klipper_serial(now, uid))
        return false;
    cf_chipid_rom_serial(uid, rom);
    return strcasecmp(rom, before) == 0;
}

static size_t list_usb(cf_usb_backend *be, const cf_kp_env *env, cb_usb *out, size_t cap)
{
    size_t n = 0;
    cf_usb_runtime_info rt[8];
    size_t count = 0;
    cf_error tmp = {0};
    /* a backend that reaches run-time devices' firmware itself (one may be
     * simulated): it alone is the machine's USB */
    if (be && cf_usb_backend_has_runtime_lines(be) &&
        cf_usb_list_runtime(be, rt, 8, &count, &tmp) == CF_OK) {
        for (size_t i = 0; i < count && n < cap; i++, n++) {
            memset(&out[n], 0, sizeof(out[n]));
            out[n].id = rt[i].id;
        }
        return n;
    }
    cf_kp_usb_dev devs[16];
    cf_error_reset(&tmp);
    if (cf_kp_usb_list(env, devs, 16, &count, &tmp) != CF_OK)
        return 0;
    for (size_t i = 0; i < count && n < cap; i++, n++) {
        memset(&out[n], 0, sizeof(out[n]));
        cf_usb_identity *id = &out[n].id;
        cf_strlcpy(id->bus_path, sizeof(id->bus_path), devs[i].port);
        cf_strlcpy(out[n].tty, sizeof(out[n].tty), devs[i].tty);
        cf_strlcpy(id->serial, sizeof(id->serial), devs[i].serial);
        cf_strlcpy(id->product, sizeof(id->product), devs[i].product);
        id->vid = devs[i].vid;
        id->pid = devs[i].pid;
    }
    return n;
}

/* Asks a device the backend listed itself (it has no tty of this machine)
 * over the line the backend gives to its firmware. */
static cf_code identify_line(cf_usb_backend *be, const cb_usb *d, cf_kl_ident *id, cf_error *err)
{
    cf_kp_stream *st = NULL;
    cf_code rc = cf_usb_open_runtime_line(be, d->id.bus_path, &st, err);
    if (rc)
        return rc;
    rc = cf_kl_identify_stream(st, d->id.bus_path, 50, id, err);
    snprintf(id->source, sizeof(id->source), "identify over %.48s", st->name);
    cf_kp_stream_close(st);
    return rc;
}

/* ---- results ---- */

static void take_ident(cf_came_back *cb, const cf_cb_want *w, const cf_kl_ident *id)
{
    snprintf(cb->version, sizeof(cb->version), "%s", id->info.version);
    cf_kl_describe(&id->info, cb->runs, sizeof(cb->runs));
    snprintf(cb->mcu, sizeof(cb->mcu), "%s", id->info.mcu);
    snprintf(cb->asked_with, sizeof(cb->asked_with), "%s", id->source);
    cb->same_build = w->img && cf_kl_image_is_running(id, w->img);
}

static void add_note(cf_came_back *cb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_note(cf_came_back *cb, const char *fmt, ...)
{
    size_t len = strlen(cb->note);
    if (len + 3 >= sizeof(cb->note))
        return;
    if (len)
        snprintf(cb->note + len, sizeof(cb->note) - len, "; ");
    len = strlen(cb->note);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cb->note + len, sizeof(cb->note) - len, fmt, ap);
    va_end(ap);
}

/* Asks the probe seen on USB; a port that stays busy (udev, ModemManager,
 * a Klipper that just started) leaves it seen without a version. */
static void ask_usb(cf_usb_backend *be, const cf_kp_env *env, const cf_cb_want *w, const cb_usb *d,
                    cf_came_back *cb)
{
    cf_kl_ident id = {0};
    cf_error ierr = {0};
    cf_code rc = CF_ERR_NOT_FOUND;
    uint64_t until = cf_now_ns() + 3000000000ull;
    do {
        cf_kl_ident_free(&id);
        cf_error_reset(&ierr);
        rc = d->tty[0] ? cf_kl_identify_usb(env, d->tty, &id, &ierr)
                       : identify_line(be, d, &id, &ierr);
        if (rc == CF_OK || !d->tty[0])
            break;
        cf_sleep_ns(250000000ull);
    } while (cf_now_ns() < until);
    if (rc == CF_OK)
        take_ident(cb, w, &id);
    else
        add_note(cb, "not asked what it runs: %s", ierr.message);
    cf_kl_ident_free(&id);
}

/* The probe among the USB devices now attached; the others that look like
 * it (1d50:614e elsewhere, or on the port with another chip) go into the note. */
static const cb_usb *find_usb(const cf_cb_want *w, const cb_usb *devs, size_t n, cf_came_back *cb)
{
    const cb_usb *hit = NULL;
    cb->note[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const cb_usb *d = &devs[i];
        if (!(d->id.vid == 0x1d50 && d->id.pid == 0x614e))
            continue;
        if (strcmp(d->id.bus_path, w->port) != 0)
            add_note(cb, "ignored 1d50:614e on port %s (serial %s): not the probe's port",
                     d->id.bus_path, d->id.serial[0] ? d->id.serial : "none");
        else if (!cf_came_back_same_chip(w->serial, d->id.serial))
            add_note(cb, "ignored 1d50:614e on the probe's port with serial %s: not chip %s",
                     d->id.serial[0] ? d->id.serial : "none", w->serial);
        else
            hit = d;
    }
    return hit;
}

static cf_code wait_usb(cf_usb_backend *be, const cf_kp_env *env, const cf_cb_want *w,
                        cf_came_back *cb, cf_error *err)
{
    uint64_t t0 = cf_now_ns(), deadline = t0 + (uint64_t)w->wait_ms * 1000000ull;
    for (;;) {
        cb_usb devs[16];
        size_t n = list_usb(be, env, devs, 16);
        const cb_usb *d = find_usb(w, devs, n, cb);
        if (d) {
            cb->seen = true;
            cb->seconds = (double)(cf_now_ns() - t0) / 1e9;
            snprintf(cb->serial, sizeof(cb->serial), "%s", d->id.serial);
            if (d->tty[0])
                snprintf(cb->device, sizeof(cb->device), "%s (%s)", d->tty, d->id.bus_path);
            else
                snprintf(cb->device, sizeof(cb->device), "%s", d->id.bus_path);
            ask_usb(be, env, w, d, cb);
            return CF_OK;
        }
        if (cf_now_ns() >= deadline)
            break;
        cf_sleep_ns(100000000ull);
    }
    cb->seconds = (double)(cf_now_ns() - t0) / 1e9;
    cf_fail(err, CF_ERR_NOT_SEEN,
            "written, verified and started, but the probe was not seen on USB port %s within "
            "%.1f s",
            w->port, w->wait_ms / 1000.0);
    cf_hint(err,
            "check the USB cable and the probe's LED, then `cartoflash status`; a probe that "
            "stays dark needs DFU mode again (BOOT0) and a known-good image%s%s",
            cb->note[0] ? ". Seen instead: " : "", cb->note);
    return CF_ERR_NOT_SEEN;
}

/* ---- CAN ---- */

void cf_came_back_can_before(const cf_kp_env *env, const char *ifname, char (*out)[13], size_t cap,
                             size_t *count)
{
    *count = 0;
    cf_kp_canlink link;
    cf_error tmp = {0};
    if (cf_kp_can_bus_info(env, ifname, &link, &tmp) != CF_OK || !link.up)
        return;
    cf_kp_found_uuid found[CF_CB_MAX_BEFORE];
    size_t n = 0;
    cf_error_reset(&tmp);
    if (cf_kp_can_query_env(env, ifname, 300, found, CF_CB_MAX_BEFORE, &n, &tmp) != CF_OK)
        return;
    for (size_t i = 0; i < n && *count < cap; i++)
        memcpy(out[(*count)++], found[i].uuid, 13);
}

static bool was_there(const cf_cb_want *w, const char *uuid)
{
    for (size_t i = 0; i < w->before_count; i++)
        if (strcmp(w->before[i], uuid) == 0)
            return true;
    return false;
}

/* The UUID to look for: the one given, or the one a chip serial gives. */
static bool wanted_uuid(const cf_cb_want *w, char out[13])
{
    uint8_t uuid[6], uid[CF_CHIPID_LEN];
    if (w->uuid && w->uuid[0] && cf_kp_uuid_parse(w->uuid, uuid)) {
        cf_kp_uuid_format(uuid, out);
        return true;
    }
    if (w->serial && cf_chipid_from_klipper_serial(w->serial, uid)) {
        cf_chipid_can_uuid_hex(uid, out);
        return true;
    }
    return false;
}

/* One query round: the probe's UUID when it answers as Klipper; without a
 * UUID, a node new since the flash that runs the image's build. */
static bool can_round(const cf_kp_env *env, const cf_cb_want *w, const char *ifname,
                      const char *uuid, cf_came_back *cb, cf_kl_ident *id)
{
    cf_kp_found_uuid found[CF_CB_MAX_BEFORE];
    size_t n = 0;
    cf_error tmp = {0};
    if (cf_kp_can_query_env(env, ifname, 500, found, CF_CB_MAX_BEFORE, &n, &tmp) != CF_OK)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (found[i].app != CF_KP_APP_KLIPPER)
            continue;
        if (uuid[0] && strcmp(found[i].uuid, uuid) != 0) {
            add_note(cb, "ignored CAN node %s: not the probe's UUID", found[i].uuid);
            continue;
        }
        if (!uuid[0] && was_there(w, found[i].uuid))
            continue;
        cf_kl_ident_free(id);
        memset(id, 0, sizeof(*id));
        cf_error_reset(&tmp);
        cf_code rc = cf_kl_identify_can(env, ifname, found[i].uuid, id, &tmp);
        if (!uuid[0] && (rc != CF_OK || !(w->img && cf_kl_image_is_running(id, w->img)))) {
            add_note(cb, "ignored CAN node %s: not running the image just written", found[i].uuid);
            continue;
        }
        snprintf(cb->device, sizeof(cb->device), "%.32s uuid %.12s", ifname, found[i].uuid);
        if (rc != CF_OK)
            add_note(cb, "not asked what it runs: %s", tmp.message);
        else /* Klipper cannot take a node id back (klipper/reach.h) */
            add_note(cb, "identify gave it a node id of its own until it restarts; Klipper "
                         "assigns its own when it connects");
        return true;
    }
    return false;
}

static cf_code can_not_up(const cf_cb_want *w, const char *ifname, cf_came_back *cb)
{
    cb->looked = false;
    cf_image_info info = {0};
    if (w->img)
        cf_image_inspect(w->img, &info);
    snprintf(cb->note, sizeof(cb->note),
             "%s, so the probe was not looked for on CAN. Cable it to the CAN bus, bring the "
             "interface up (sudo ip link set %s up type can bitrate %u), then check with "
             "`cartoflash status --interface %s` or ~/klippy-env/bin/python "
             "~/klipper/scripts/canbus_query.py %s",
             w->no_can ? w->no_can : "the CAN interface is not up", ifname,
             info.can_bitrate ? (unsigned)info.can_bitrate : 1000000u, ifname, ifname);
    return CF_OK;
}

static cf_code wait_can(const cf_kp_env *env, const cf_cb_want *w, cf_came_back *cb, cf_error *err)
{
    const char *ifname = w->can_if ? w->can_if : "can0";
    cf_kp_canlink link;
    cf_error tmp = {0};
    if (w->no_can || cf_kp_can_bus_info(env, ifname, &link, &tmp) != CF_OK || !link.up)
        return can_not_up(w, ifname, cb);
    char uuid[13] = "";
    wanted_uuid(w, uuid);
    uint64_t t0 = cf_now_ns(), deadline = t0 + (uint64_t)w->wait_ms * 1000000ull;
    cf_kl_ident id = {0};
    bool seen = false;
    while (!seen) {
        cb->note[0] = '\0';
        seen = can_round(env, w, ifname, uuid, cb, &id);
        if (seen || cf_now_ns() >= deadline)
            break;
        cf_sleep_ns(100000000ull);
    }
    cb->seconds = (double)(cf_now_ns() - t0) / 1e9;
    if (seen) {
        cb->seen = true;
        if (id.info.version[0])
            take_ident(cb, w, &id);
        cf_kl_ident_free(&id);
        return CF_OK;
    }
    cf_kl_ident_free(&id);
    if (uuid[0])
        cf_fail(err, CF_ERR_NOT_SEEN,
                "written, verified and started, but node %s did not answer on %s as Klipper "
                "within %.1f s",
                uuid, ifname, w->wait_ms / 1000.0);
    else
        cf_fail(err, CF_ERR_NOT_SEEN,
                "written, verified and started, but no new node running this image answered on "
                "%s within %.1f s",
                ifname, w->wait_ms / 1000.0);
    cf_hint(err,
            "check the CAN wiring and the 120 ohm termination at both ends, that the bus "
            "runs at the image's bitrate (ip -details link show %s), and that no running "
            "Klipper has claimed the node (it then answers no query: sudo systemctl stop "
            "klipper, then `cartoflash status`)%s%s",
            ifname, cb->note[0] ? ". Seen instead: " : "", cb->note);
    return CF_ERR_NOT_SEEN;
}

cf_code cf_came_back_wait(cf_usb_backend *be, const cf_kp_env *env, const cf_cb_want *w,
                          cf_came_back *out, cf_error *err)
{
    memset(out, 0, sizeof(*out));
    out->iface = w->iface;
    if (w->wait_ms == 0) {
        snprintf(out->note, sizeof(out->note), "%s: `cartoflash status` shows what the probe runs",
                 w->why_not ? w->why_not : "--back-wait 0");
        return CF_OK;
    }
    out->looked = true;
    if (w->iface == CF_IFACE_CAN)
        return wait_can(env, w, out, err);
    if (w->iface != CF_IFACE_USB || !w->port || !w->port[0]) {
        out->looked = false;
        snprintf(out->note, sizeof(out->note), "%s: `cartoflash status` shows what the probe runs",
                 w->why_not ? w->why_not
                            : "the image names no USB or CAN link, so there is nothing to look "
                              "for");
        return CF_OK;
    }
    return wait_usb(be, env, w, out, err);
}

void cf_came_back_describe(const cf_came_back *cb, char *buf, size_t size)
{
    if (!cb->looked) {
        snprintf(buf, size, "%s", cb->note);
        return;
    }
    if (!cb->seen) {
        snprintf(buf, size, "the probe was not seen again within %.1f s", cb->seconds);
        return;
    }
    if (cb->version[0])
        snprintf(buf, size, "the probe is back on %s after %.1f s: it runs %s (%s, %s)%s",
                 cb->device, cb->seconds, cb->version, cb->mcu, cb->asked_with,
                 cb->same_build ? ", the image just written" : "");
    else
        snprintf(buf, size, "the probe is back on %s after %.1f s", cb->device, cb->seconds);
}
