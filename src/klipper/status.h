/* What every attached probe runs, and whether the catalogue has something
 * newer for it: the data behind `cartoflash status` and the menu's main
 * screen line.
 *
 * Contract:
 *  - cf_status_scan() looks at DFU devices (through the USB backend, when
 *    one is given), USB serial probes and CAN nodes (through the Katapult
 *    environment), and the canbus_uuid entries of printer.cfg that did not
 *    answer a query (hardware only). A probe running its firmware is asked
 *    with identify (klipper/reach.h); what it cannot be asked is "unknown"
 *    with the reason, never a guess.
 *  - With opts->moonraker, a probe a running Klipper holds gets what Klipper
 *    read from it (Moonraker's "mcu scanner" / "mcu cartographer"), matched by
 *    the section's canbus_uuid or serial, with source "moonraker"; a probe
 *    Moonraker reports that no scan saw is added as a row.
 *  - With a catalogue, each probe whose firmware is known gets the newest
 *    image that fits it: same MCU, interface and CAN bitrate, and the same
 *    lite / K-series / HT flavour (cf_catalog_pick, mode Katapult: the probe
 *    is updated through its bootloader).
 *  - Nothing prints.
 */
#ifndef CF_KLIPPER_STATUS_H
#define CF_KLIPPER_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "catalog/catalog.h"
#include "katapult/katapult.h"
#include "klipper/klipper.h"
#include "usb/usb.h"

typedef enum cf_status_state {
    CF_STATUS_UNKNOWN = 0,
    CF_STATUS_UP_TO_DATE,
    CF_STATUS_UPDATE
} cf_status_state;

typedef struct cf_probe_status {
    char connection[8];      /* "usb", "can", "dfu" */
    char mode[16];           /* "klipper" (running its firmware), "katapult", "dfu", "configured" */
    char device[160];        /* "/dev/ttyACM0", "can0 uuid 0123456789ab", "1-1 (0483:df11)" */
    char port[32];           /* USB port "1-1.3", "" on CAN */
    char serial[64];         /* USB serial (the chip ID), "" if none */
    char uuid[13];           /* CAN UUID, "" on USB */
    char interface[32];      /* CAN interface, "" on USB */
    uint32_t bus_bitrate;    /* CAN bus bitrate as the interface reports it, 0 if none */
    char mcu[32];            /* "stm32f042x6" / "stm32g431xx", "" if unknown */
    char generation[32];     /* "v2/v3", "v4", "HT", "v4/HT", "" */
    bool has_firmware;       /* fw holds what the device reported */
    cf_image_info fw;        /* version, iface, can_bitrate, clock of the running firmware */
    char source[64];         /* where fw came from: "identify over USB serial", ..., "moonraker" */
    char source_detail[384]; /* for "moonraker": which object of which Moonraker, "" otherwise */
    bool held;               /* a running Klipper holds it, so it was not asked itself */
    cf_status_state state;
    char why[384]; /* for UNKNOWN: why; otherwise a detail or "" */
    bool has_latest;
    cf_catalog_entry latest; /* the newest image that fits (when has_latest) */
} cf_probe_status;

typedef struct cf_status_opts {
    cf_usb_backend *dfu;    /* DFU side; NULL = none */
    const cf_kp_env *env;   /* USB serial and CAN side; NULL = none */
    const char *can_ifs[8]; /* CAN interfaces to query; none = every CAN interface that is up */
    size_t can_if_count;
    bool config; /* also printer.cfg's canbus_uuid entries (hardware) */
    /* Leave CAN nodes unasked (listed with the reason): asking gives a node
     * an id, after which it answers no CAN query until it restarts, and the
     * menu's CAN page finds probes by query. */
    bool skip_can_identify;
    /* Ask Moonraker for what a probe Klipper holds runs (klipper/moonraker.h):
     * when a row is held, or a Moonraker is installed here (a Klipper that
     * holds a CAN node keeps it from answering any query, so only Moonraker
     * tells it is there). moonraker_url: a base URL set by hand, NULL =
     * every moonraker.conf under $HOME. */
    bool moonraker;
    const char *moonraker_url;
    cf_catalog *catalog; /* NULL = no comparison; catalog_why says why */
    const char *catalog_why;
} cf_status_opts;

/* Fills up to cap rows; *n = probes found. CF_OK even when some probes
 * could not be asked (their rows say why). */
cf_code cf_status_scan(const cf_status_opts *opts, cf_probe_status *rows, size_t cap, size_t *n,
                       cf_error *err);

/* Compares a known firmware with the catalogue (fills state, why, latest). */
void cf_status_compare(cf_catalog *catalog, const char *catalog_why, cf_probe_status *row);

/* Whether Moonraker's MCU m is the probe of row r: the same CAN UUID, or
 * its serial option naming r's tty (directly or as a by-id link, whose name
 * carries the USB serial number). */
struct cf_mr_mcu;
bool cf_status_is_mcu(const cf_probe_status *r, const struct cf_mr_mcu *m);

/* "up to date", "update available", "unknown" */
const char *cf_status_state_name(cf_status_state s);

/* One line: "USB /dev/ttyACM0: stm32f042x6 (v2/v3) runs CARTOGRAPHER 5.0.0 (USB) - update
 * available: 6.1.0". */
void cf_status_line(const cf_probe_status *row, char *buf, size_t size);

#endif
