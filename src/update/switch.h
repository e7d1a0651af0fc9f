/* The USB <-> CAN switch as resumable steps: find the probe running its
 * firmware, flash the Katapult deployer for its chip and the new link over
 * the old one, have the user re-cable it, wait for the same chip in Katapult
 * on the new link, flash the application for that link, read its status.
 * `cartoflash switch` and the menu's "Switch USB <-> CAN" both run this code;
 * they differ only in how they show the notes, ask and count down.
 *
 * Contract:
 *  - Where it stands is the state file (klipper/switchstate.h), saved after
 *    each step: a run with a state file continues after its step (to unset,
 *    or the same link and bitrate as the state's; another one is a usage
 *    error naming restart); restart forgets it first.
 *  - Every choice and instruction is reported through events->note, in the
 *    order made; events->confirm is asked before each flash (the deployer,
 *    the application) and an error from it stops with the state as it was.
 *  - During the wait events->waiting is called about every 200 ms with the
 *    time left; false stops the wait (CF_ERR_CANCELLED): the state stays at
 *    "deployed", so running again continues there.
 *  - The probe already on the asked link: CF_OK, result->nothing_to_do, no
 *    state file written.
 *  - Success: the application flashed and seen running on the new link, its
 *    status row in result->status (result->has_status), the state file gone.
 *  - Nothing prints.
 */
#ifndef CF_UPDATE_SWITCH_H
#define CF_UPDATE_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "flash/flash.h"
#include "katapult/katapult.h"
#include "klipper/status.h"
#include "klipper/switchstate.h"

typedef enum cf_switch_note {
    CF_SWN_RESUME,  /* continuing a switch under way, after which step */
    CF_SWN_PROBE,   /* which probe, what it runs and who said so */
    CF_SWN_NOTHING, /* already on the asked link */
    CF_SWN_STEP,    /* "== Step N of 3: ..." as a step begins */
    CF_SWN_IMAGE,   /* the deployer or application picked, and why */
    CF_SWN_CHECK,   /* what the probe runs, asked just before the deployer */
    CF_SWN_RECABLE, /* how to re-cable (several lines) */
    CF_SWN_WAIT,    /* waiting for the probe on the new link */
    CF_SWN_STOPPED, /* stopped after the deployer, as asked */
    CF_SWN_DONE     /* the probe runs its application on the new link */
} cf_switch_note;

typedef struct cf_switch_plan {
    cf_sw_step step;                /* CF_SW_DEPLOYED or CF_SW_APP: what the flash completes */
    cf_iface via;                   /* the link it is sent over */
    const cf_catalog_entry *target; /* the deployer or the application */
    const cf_sw_state *state;
} cf_switch_plan;

typedef struct cf_switch_events {
    void *user;
    void (*note)(void *user, cf_switch_note kind, const char *text);
    cf_code (*confirm)(void *user, const cf_switch_plan *plan, cf_error *err);
    bool (*waiting)(void *user, unsigned left_ms); /* NULL = wait the whole time */
    const cf_flash_events *flash;                  /* progress of each flash; NULL = none */
} cf_switch_events;

typedef struct cf_switch_opts {
    cf_iface to;      /* the new link; CF_IFACE_UNKNOWN = the one under way */
    uint32_t bitrate; /* CAN: bit/s; 0 = the interface's */
    bool restart;     /* forget a switch under way */
    bool stop_after_deployed;
    const char *device;    /* the USB probe (tty, port or serial); NULL = the only one */
    const char *uuid;      /* the CAN probe; NULL = the only one */
    const char *interface; /* CAN interface; NULL = the probe's, else can0 */
    unsigned wait_ms;      /* for the probe on the new link (0: look once) */
    const cf_kp_env *env;  /* how USB serial and CAN are reached */
    bool config;           /* also printer.cfg's canbus_uuid entries (hardware) */
    cf_catalog_opts catalog;
} cf_switch_opts;

typedef struct cf_switch_result {
    bool resumed;          /* a state file was continued */
    cf_sw_step resumed_at; /* its step */
    bool nothing_to_do;
    bool stopped; /* after the deployer, as asked */
    size_t steps_done;
    cf_sw_step done[3]; /* the steps this run completed, in order */
    cf_sw_state state;  /* where it stands (also on failure) */
    bool has_state;     /* state holds a probe */
    bool has_deployer, has_app;
    cf_catalog_entry deployer, app; /* the images picked this run */
    bool has_status;
    cf_probe_status status; /* the probe on its new link, at the end */
} cf_switch_result;

cf_code cf_switch_run(const cf_switch_opts *o, const cf_switch_events *ev, cf_switch_result *res,
                      cf_error *err);

/* "USB" / "CAN". */
const char *cf_switch_link_word(cf_iface i);

#endif
