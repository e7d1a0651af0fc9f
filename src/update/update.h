/* The one-command update: find the probe, read what it runs, pick the image,
 * flash it over the transport the probe is on, read the new version back.
 * `cartoflash update` and the menu's "Update Cartographer (automatic)" both
 * run this code; they differ only in how they show the notes and ask.
 *
 * It sits above klipper/ (what the probe runs), catalog/ (which image),
 * katapult/ and flash/ (how it is written): none of those layers knows the
 * others' flows, and klipper/ stays free of flashing.
 *
 * Contract:
 *  - cf_update_run() scans with cf_status_scan(). One probe running its
 *    firmware is updated through Katapult on its own transport (USB serial or
 *    CAN); none running and one in DFU mode is updated over DFU with the
 *    combined image, the interface, bitrate and flavour kept from the
 *    firmware its flash holds (read with DfuSe upload before anything is
 *    erased) unless fw_iface says it. Two candidates, an unreadable version,
 *    no fitting image or no interface to keep: an error naming the flag that
 *    settles it, the candidates in result->choices; nothing is changed.
 *  - Every choice is reported through events->note with its reason, in the
 *    order made; events->confirm is asked once, after the last choice and
 *    before the first change (a bootloader request or an erase); an error
 *    from it (CF_ERR_CANCELLED) stops with nothing changed.
 *  - The probe already running the chosen build is "nothing to do": CF_OK,
 *    result->nothing_to_do, no bootloader request.
 *  - Success means written, verified and the new version read back from the
 *    device (a CAN build flashed over DFU cannot be seen on USB: said so).
 *  - dry_run: every choice and check as above, then the flash's plan in
 *    result->kp or result->dfu (result->planned), and nothing is sent:
 *    confirm is not asked, no bootloader request, no erase.
 *  - Nothing prints.
 */
#ifndef CF_UPDATE_UPDATE_H
#define CF_UPDATE_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "flash/flash.h"
#include "image/image.h"
#include "katapult/katapult.h"
#include "klipper/status.h"

typedef enum cf_update_note {
    CF_UPN_PROBE,     /* which probe, what it runs and who said so, or that it sits in DFU mode */
    CF_UPN_HOLDS,     /* DFU: what its flash holds */
    CF_UPN_INTERFACE, /* DFU: the link the new firmware talks on, and why */
    CF_UPN_IMAGE,     /* the image picked, and why */
    CF_UPN_PLUGIN,    /* the Cartographer Klipper plugin check */
    CF_UPN_CHECK,     /* what the probe runs, asked again just before the flash */
    CF_UPN_NOTHING,   /* nothing to do, and why */
    CF_UPN_WRITTEN,   /* written and verified */
    CF_UPN_BACK,      /* the probe seen again after the flash: where (klipper/cameback.h) */
    CF_UPN_CONFIRMED  /* what the device reports after the flash */
} cf_update_note;

typedef struct cf_update_plan {
    bool dfu; /* over DFU (the probe sits in DFU mode), else through Katapult */
    const cf_probe_status *probe;
    const cf_catalog_entry *target;
    const cf_image *img;
} cf_update_plan;

typedef struct cf_update_events {
    void *user;
    void (*note)(void *user, cf_update_note kind, const char *text);
    cf_code (*confirm)(void *user, const cf_update_plan *plan, cf_error *err);
    const cf_flash_events *flash; /* progress of the flash; NULL = none */
} cf_update_events;

typedef struct cf_update_opts {
    const char *version; /* x.y.z; NULL = the newest that fits */
    const char *device;  /* the USB probe (tty, port or serial); NULL = the only one */
    const char *uuid;    /* the CAN probe; NULL = the only one */
    cf_iface fw_iface;   /* DFU: the new firmware's link; CF_IFACE_UNKNOWN = kept from the flash */
    uint32_t fw_bitrate; /* DFU with CAN: the bus bitrate; 0 = kept from the flash */
    const char *fw_iface_why; /* who chose fw_iface, for the note; NULL = "--firmware-interface" */
    const char *fw_bitrate_why; /* who chose fw_bitrate; NULL = "--bitrate" */
    cf_status_opts status;      /* how probes are found; status.env flashes through Katapult,
                                   status.dfu over DFU */
    const char *home;           /* where the plugin is looked for; NULL = $HOME */
    bool dry_run;               /* plan the flash and stop before anything is sent */
} cf_update_opts;

#define CF_UPDATE_MAX_CHOICES 8

typedef struct cf_update_choice {
    bool can;        /* chosen with uuid, else with device */
    char value[64];  /* the UUID or the USB port / DFU bus path */
    char label[512]; /* the probe's status line */
} cf_update_choice;

typedef struct cf_update_result {
    bool found; /* probe holds the probe that was chosen */
    cf_probe_status probe;
    bool picked; /* target holds the image that was chosen */
    cf_catalog_entry target;
    bool nothing_to_do;  /* it already ran that; nothing was sent */
    bool flashed;        /* written and verified */
    bool planned;        /* dry run: the plan is in kp (Katapult) or dfu (DFU) */
    bool planned_dfu;    /* the plan is dfu's, else kp's */
    bool planned_can;    /* a Katapult plan over CAN, else over USB */
    cf_kp_report kp;     /* dry run through Katapult: its plan */
    cf_flash_report dfu; /* dry run over DFU: its plan */
    char now[160];       /* what the device reports after the flash, "" if not read */
    size_t choice_count; /* CF_ERR_AMBIGUOUS between probes: which could be meant */
    cf_update_choice choices[CF_UPDATE_MAX_CHOICES];
} cf_update_result;

cf_code cf_update_run(const cf_update_opts *o, const cf_update_events *ev, cf_update_result *res,
                      cf_error *err);

#endif
