/* cf_status_scan: every attached probe and what it runs (see status.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/version.h"
#include "common/clock.h"
#include "flash/flash.h"
#include "klipper/moonraker.h"
#include "klipper/reach.h"
#include "klipper/status.h"
#include "common/safe.h"

#define CAN_QUERY_MS 500

const char *cf_status_state_name(cf_status_state s)
{
    return s == CF_STATUS_UP_TO_DATE ? "up to date"
           : s == CF_STATUS_UPDATE   ? "update available"
                                     : "unknown";
}

static void set_why(cf_probe_status *r, const char *fmt, const char *arg)
{
    /* A reason longer than the field is cut: it is for display only. */
    if (snprintf(r->why, sizeof(r->why), fmt, arg) >= (int)sizeof(r->why))
        r->why[sizeof(r->why) - 2] = '.';
}

static void generation(const char *mcu, const char *version, char *out, size_t size)
{
    cf_version_flags fl = {0};
    if (version)
        cf_version_flags_parse(version, &fl);
    if (strcmp(mcu, "stm32f042x6") == 0)
        snprintf(out, size, "v2/v3");
    else if (strcmp(mcu, "stm32g431xx") == 0)
        snprintf(out, size, "%s", !version ? "v4/HT" : fl.high_temp ? "HT" : "v4");
    else
        out[0] = 0;
}

void cf_status_compare(cf_catalog *catalog, const char *catalog_why, cf_probe_status *r)
{
    r->state = CF_STATUS_UNKNOWN;
    r->has_latest = false;
    if (!r->has_firmware)
        return; /* why is already set */
    if (!catalog) {
        set_why(r, "no firmware catalogue: %s", catalog_why ? catalog_why : "none opened");
        return;
    }
    int run[3];
    if (!cf_semver_parse(r->fw.version, run)) {
        set_why(r, "the running version '%s' has no version number to compare", r->fw.version);
        return;
    }
    cf_version_flags fl;
    cf_version_flags_parse(r->fw.version, &fl);
    cf_catalog_filter f = {
        .mode = CF_CATALOG_KATAPULT,
        .mcu = r->fw.mcu,
        .iface = r->fw.iface,
        .bitrate = r->fw.iface == CF_IFACE_CAN ? r->fw.can_bitrate : 0,
        .high_temp = fl.high_temp,
        .kseries = fl.kseries,
        .lite = fl.lite,
    };
    cf_error err = {0};
    if (cf_catalog_pick(catalog, &f, &r->latest, &err) != CF_OK) {
        set_why(r, "no catalogue image to compare with: %s", err.message);
        return;
    }
    r->has_latest = true;
    int cmp = cf_semver_cmp(true, run, r->latest.has_semver, r->latest.semver);
    if (cmp < 0) {
        r->state = CF_STATUS_UPDATE;
        cf_strlcpy(r->why, sizeof(r->why), r->latest.version);
    } else {
        r->state = CF_STATUS_UP_TO_DATE;
        if (cmp > 0)
            snprintf(r->why, sizeof(r->why), "newer than the catalogue's newest (%d.%d.%d)",
                     r->latest.semver[0], r->latest.semver[1], r->latest.semver[2]);
        else
            r->why[0] = 0;
    }
}

static cf_probe_status *add_row(cf_probe_status *rows, size_t cap, size_t *n)
{
    if (*n >= cap)
        return NULL;
    cf_probe_status *r = &rows[(*n)++];
    memset(r, 0, sizeof(*r));
    return r;
}

static void take_ident(cf_probe_status *r, cf_code rc, cf_kl_ident *id, const cf_error *err)
{
    if (rc == CF_OK) {
        r->has_firmware = true;
        r->fw = id->info;
        snprintf(r->source, sizeof(r->source), "%s", id->source);
        if (r->fw.mcu[0])
            snprintf(r->mcu, sizeof(r->mcu), "%s", r->fw.mcu);
        generation(r->mcu, r->fw.version, r->generation, sizeof(r->generation));
    } else {
        cf_strlcpy(r->why, sizeof(r->why), err->message);
        r->held = rc == CF_ERR_GATE;
    }
    cf_kl_ident_free(id);
}

static void scan_dfu(const cf_status_opts *o, cf_probe_status *rows, size_t cap, size_t *n)
{
    cf_usb_dfu_info *list = NULL;
    size_t count = 0;
    cf_error err = {0};
    if (cf_usb_list_dfu(o->dfu, &list, &count, &err) != CF_OK)
        return;
    for (size_t i = 0; i < count; i++) {
        const cf_usb_dfu_info *d = &list[i];
        const cf_chip *chip = cf_chip_from_device(d);
        if (!d->dfu_mode || !chip)
            continue; /* run-time DFU interfaces and other chips are not probes in DFU mode */
        cf_probe_status *r = add_row(rows, cap, n);
        if (!r)
            break;
        snprintf(r->connection, sizeof(r->connection), "dfu");
        snprintf(r->mode, sizeof(r->mode), "dfu");
        snprintf(r->device, sizeof(r->device), "%s (%04x:%04x)", d->bus_path, d->vid, d->pid);
        snprintf(r->port, sizeof(r->port), "%s", d->bus_path);
        cf_strlcpy(r->serial, sizeof(r->serial), d->serial);
        snprintf(r->mcu, sizeof(r->mcu), "%s", chip->mcu);
        generation(chip->mcu, NULL, r->generation, sizeof(r->generation));
        set_why(r, "%s",
                "in DFU mode: the STM32 ROM bootloader does not report the firmware; "
                "flash it, or start it and ask again");
    }
    free(list);
}

static void scan_usb(const cf_status_opts *o, cf_probe_status *rows, size_t cap, size_t *n)
{
    cf_kp_usb_dev devs[16];
    size_t count = 0;
    cf_error err = {0};
    /* The simulated probe enumerates a moment after it is created, as a
     * probe just plugged in does. */
    bool in_process = !cf_kp_env_on_machine(o->env);
    for (int i = 0; i < (in_process ? 100 : 1); i++) {
        if (cf_kp_usb_list(o->env, devs, 16, &count, &err) != CF_OK || count)
            break;
        if (in_process)
            cf_sleep_ns(10000000);
    }
    for (size_t i = 0; i < count; i++) {
        const cf_kp_usb_dev *d = &devs[i];
        cf_probe_status *r = add_row(rows, cap, n);
        if (!r)
            break;
        snprintf(r->connection, sizeof(r->connection), "usb");
        snprintf(r->device, sizeof(r->device), "%s", d->tty);
        snprintf(r->port, sizeof(r->port), "%s", d->port);
        cf_strlcpy(r->serial, sizeof(r->serial), d->serial);
        if (d->app == CF_KP_APP_KATAPULT) {
            snprintf(r->mode, sizeof(r->mode), "katapult");
            /* Katapult's USB product string is the MCU it was built for. */
            cf_strlcpy(r->mcu, sizeof(r->mcu), d->product);
            generation(r->mcu, NULL, r->generation, sizeof(r->generation));
            set_why(r, "%s",
                    "in Katapult (its bootloader), which does not report the "
                    "application's version");
            continue;
        }
        snprintf(r->mode, sizeof(r->mode), "klipper");
        cf_kl_ident id = {0};
        cf_error_reset(&err);
        cf_code rc = cf_kl_identify_usb(o->env, d->tty, &id, &err);
        take_ident(r, rc, &id, &err);
    }
}

static void scan_can_if(const cf_status_opts *o, const char *ifname, cf_probe_status *rows,
                        size_t cap, size_t *n)
{
    cf_error err = {0};
    cf_kp_canlink link;
    if (cf_kp_can_bus_info(o->env, ifname, &link, &err) != CF_OK || !link.up)
        return;
    cf_kp_found_uuid found[32];
    size_t count = 0;
    cf_error_reset(&err);
    if (cf_kp_can_query_env(o->env, ifname, CAN_QUERY_MS, found, 32, &count, &err) != CF_OK)
        return;
    for (size_t i = 0; i < count; i++) {
        cf_probe_status *r = add_row(rows, cap, n);
        if (!r)
            break;
        snprintf(r->connection, sizeof(r->connection), "can");
        snprintf(r->interface, sizeof(r->interface), "%s", ifname);
        snprintf(r->uuid, sizeof(r->uuid), "%.12s", found[i].uuid);
        snprintf(r->device, sizeof(r->device), "%.32s uuid %.12s", ifname, found[i].uuid);
        r->bus_bitrate = link.has_bitrate ? link.bitrate : 0;
        if (found[i].app != CF_KP_APP_KLIPPER) {
            snprintf(r->mode, sizeof(r->mode), "%s",
                     found[i].app == CF_KP_APP_KATAPULT ? "katapult" : "unknown");
            set_why(r, "%s",
                    found[i].app == CF_KP_APP_KATAPULT
                        ? "in Katapult (its bootloader), which does not report the "
                          "application's version"
                        : "the node runs an application that is neither Klipper nor Katapult");
            continue;
        }
        snprintf(r->mode, sizeof(r->mode), "klipper");
        if (o->skip_can_identify) {
            set_why(r, "%s",
                    "running its firmware; not asked here (`cartoflash status` asks; the probe "
                    "then keeps a node id until it restarts)");
            continue;
        }
        cf_kl_ident id = {0};
        cf_error_reset(&err);
        cf_code rc = cf_kl_identify_can(o->env, ifname, found[i].uuid, &id, &err);
        take_ident(r, rc, &id, &err);
    }
    /* Probes identified before keep the id cartoflash gave them and stay
     * silent to queries: ask them on that id. */
    const char *seen[32];
    for (size_t i = 0; i < count; i++)
        seen[i] = found[i].uuid;
    cf_kl_ident ids[8];
    char uuids[8][13];
    size_t k = cf_kl_can_unanswered(o->env, ifname, seen, count, ids, uuids, 8);
    for (size_t i = 0; i < k; i++) {
        cf_probe_status *r = add_row(rows, cap, n);
        if (!r) {
            cf_kl_ident_free(&ids[i]);
            continue;
        }
        snprintf(r->connection, sizeof(r->connection), "can");
        snprintf(r->mode, sizeof(r->mode), "klipper");
        snprintf(r->interface, sizeof(r->interface), "%s", ifname);
        snprintf(r->uuid, sizeof(r->uuid), "%.12s", uuids[i]);
        snprintf(r->device, sizeof(r->device), "%.32s uuid %.12s", ifname, uuids[i]);
        r->bus_bitrate = link.has_bitrate ? link.bitrate : 0;
        take_ident(r, CF_OK, &ids[i], NULL);
    }
}

/* printer.cfg's canbus_uuid entries no query answered: a running Klipper
 * holds them (or they are off the bus). */
static void scan_config(cf_probe_status *rows, size_t cap, size_t *n)
{
    const char *home = getenv("HOME");
    if (!home)
        return;
    char cfg[512];
    snprintf(cfg, sizeof(cfg), "%s/printer_data/config/printer.cfg", home);
    cf_kp_cfg_entry e[32];
    size_t count = 0;
    cf_error err = {0};
    if (cf_kp_config_scan_file(cfg, e, 32, &count, &err) != CF_OK)
        return;
    for (size_t i = 0; i < count; i++) {
        if (!e[i].can)
            continue;
        bool seen = false;
        for (size_t k = 0; k < *n; k++)
            seen |= strcmp(rows[k].uuid, e[i].value) == 0;
        if (seen)
            continue;
        cf_probe_status *r = add_row(rows, cap, n);
        if (!r)
            break;
        snprintf(r->connection, sizeof(r->connection), "can");
        snprintf(r->mode, sizeof(r->mode), "configured");
        r->held = true;
        snprintf(r->uuid, sizeof(r->uuid), "%.12s", e[i].value);
        snprintf(r->device, sizeof(r->device), "uuid %s ([%.40s], %.80s)", r->uuid, e[i].section,
                 e[i].source);
        set_why(r, "%s",
                "it does not answer a CAN query: a running Klipper holds it (its Moonraker "
                "reports mcu_version), or it is not on the bus");
    }
}

/* The Moonraker MCU that is this row's probe: the same CAN UUID, or the
 * serial option naming its tty (a /dev/serial/by-id name carries the USB
 * serial number, the chip ID). */
bool cf_status_is_mcu(const cf_probe_status *r, const cf_mr_mcu *m)
{
    if (m->canbus_uuid[0])
        return strcmp(r->connection, "can") == 0 && strcmp(r->uuid, m->canbus_uuid) == 0;
    if (!m->serial[0] || strcmp(r->connection, "usb") != 0)
        return false;
    char real[PATH_MAX];
    if (realpath(m->serial, real) && strcmp(real, r->device) == 0)
        return true;
    return r->serial[0] && strstr(m->serial, r->serial) != NULL;
}

static void take_moonraker(cf_probe_status *r, const cf_mr_mcu *m)
{
    r->has_firmware = true;
    r->fw = m->fw;
    snprintf(r->source, sizeof(r->source), "moonraker");
    snprintf(r->source_detail, sizeof(r->source_detail),
             "Klipper holds the probe; what it read from it, from Moonraker at %.200s (\"%s\")",
             m->url, m->object);
    snprintf(r->mode, sizeof(r->mode), "klipper");
    if (r->fw.mcu[0])
        snprintf(r->mcu, sizeof(r->mcu), "%s", r->fw.mcu);
    generation(r->mcu, r->fw.version, r->generation, sizeof(r->generation));
    r->why[0] = 0;
}

/* A probe Moonraker reports that no scan saw (a CAN node Klipper holds
 * answers no query): a row of its own. */
static void add_moonraker_row(const cf_mr_mcu *m, cf_probe_status *rows, size_t cap, size_t *n)
{
    if (!m->canbus_uuid[0] && !m->serial[0])
        return; /* nothing says which device it is */
    cf_probe_status *r = add_row(rows, cap, n);
    if (!r)
        return;
    bool can = m->canbus_uuid[0] != 0;
    snprintf(r->connection, sizeof(r->connection), "%s", can ? "can" : "usb");
    if (can) {
        snprintf(r->uuid, sizeof(r->uuid), "%s", m->canbus_uuid);
        snprintf(r->device, sizeof(r->device), "uuid %s ([%.40s], Moonraker)", r->uuid,
                 m->object + 4);
    } else {
        snprintf(r->device, sizeof(r->device), "%.150s", m->serial);
    }
    r->held = true;
    take_moonraker(r, m);
}

static void scan_moonraker(const cf_status_opts *o, cf_probe_status *rows, size_t cap, size_t *n)
{
    bool held = false, installed = false;
    for (size_t i = 0; i < *n; i++)
        held |= rows[i].held && !rows[i].has_firmware;
    char urls[CF_MR_MAX][256];
    size_t nu = cf_mr_urls(o->moonraker_url, getenv("HOME"), urls, CF_MR_MAX, &installed);
    if (!held && !installed)
        return;
    cf_mr_mcu m[4];
    char why[600];
    size_t k = cf_mr_query_mcus(urls, nu, m, 4, why, sizeof(why));
    for (size_t i = 0; i < k; i++) {
        cf_probe_status *hit = NULL;
        for (size_t j = 0; j < *n && !hit; j++)
            if (cf_status_is_mcu(&rows[j], &m[i]))
                hit = &rows[j];
        if (hit && !hit->has_firmware)
            take_moonraker(hit, &m[i]);
        else if (!hit)
            add_moonraker_row(&m[i], rows, cap, n);
    }
    for (size_t j = 0; j < *n && why[0]; j++)
        if (rows[j].held && !rows[j].has_firmware) {
            size_t used = strlen(rows[j].why);
            snprintf(rows[j].why + used, sizeof(rows[j].why) - used, "; Moonraker: %s", why);
        }
}

cf_code cf_status_scan(const cf_status_opts *o, cf_probe_status *rows, size_t cap, size_t *n,
                       cf_error *err)
{
    (void)err;
    *n = 0;
    if (o->dfu)
        scan_dfu(o, rows, cap, n);
    if (o->env) {
        if (cf_kp_env_probe_may_be_on(o->env, CF_IFACE_USB))
            scan_usb(o, rows, cap, n);
        if (o->can_if_count) {
            for (size_t i = 0; i < o->can_if_count; i++)
                scan_can_if(o, o->can_ifs[i], rows, cap, n);
        } else if (cf_kp_env_probe_may_be_on(o->env, CF_IFACE_CAN)) {
            char names[8][CF_KP_IFNAME_MAX];
            size_t k = cf_kp_env_can_interfaces(o->env, names, 8);
            for (size_t i = 0; i < k; i++)
                scan_can_if(o, names[i], rows, cap, n);
        }
    }
    if (o->config)
        scan_config(rows, cap, n);
    if (o->moonraker)
        scan_moonraker(o, rows, cap, n);
    for (size_t i = 0; i < *n; i++)
        if (rows[i].has_firmware)
            cf_status_compare(o->catalog, o->catalog_why, &rows[i]);
    return CF_OK;
}

void cf_status_line(const cf_probe_status *r, char *buf, size_t size)
{
    char fw[160];
    if (r->has_firmware)
        cf_kl_describe(&r->fw, fw, sizeof(fw));
    const char *conn = strcmp(r->connection, "dfu") == 0   ? "DFU"
                       : strcmp(r->connection, "can") == 0 ? "CAN"
                                                           : "USB";
    char chip[80] = "";
    if (r->mcu[0])
        snprintf(chip, sizeof(chip), " %s%s%s%s", r->mcu, r->generation[0] ? " (" : "",
                 r->generation, r->generation[0] ? ")" : "");
    if (!r->has_firmware) {
        snprintf(buf, size, "%s %s:%s - unknown (%s)", conn, r->device, chip, r->why);
        return;
    }
    if (r->state == CF_STATUS_UNKNOWN)
        snprintf(buf, size, "%s %s:%s runs %s - unknown (%s)", conn, r->device, chip, fw, r->why);
    else
        snprintf(buf, size, "%s %s:%s runs %s - %s%s%s%s", conn, r->device, chip, fw,
                 cf_status_state_name(r->state), r->why[0] ? " (" : "", r->why,
                 r->why[0] ? ")" : "");
}
