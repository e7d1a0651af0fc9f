/* Reaching a probe that runs its firmware, to identify it: over its USB
 * serial port (only while no other program holds the port) or over CAN (only
 * while no Klipper holds the node). Uses the Katapult layer's transports.
 *
 * Contract:
 *  - cf_kl_identify_usb() refuses (CF_ERR_GATE, naming the process) a port
 *    another program has open, e.g. a running Klipper; it never sends the
 *    1200-baud touch and never changes the line in any way Klipper reads as
 *    a request.
 *  - cf_kl_identify_can() first asks QUERY_UNASSIGNED. A node that answers
 *    (nobody holds it) gets its own node id (cf_kl_can_temp_id: one per UUID,
 *    remembered, so no two nodes ever get the same id, which would shut the
 *    first one down) and is identified over it; it keeps that id until its
 *    next reset (Klipper has no command to take it back; cf_kl_can_note).
 *    A node that does not answer is only tried on the id cartoflash gave it
 *    earlier, never assigned: if a Klipper holds it, it listens on Klipper's
 *    id and nothing answers (CF_ERR_GATE).
 */
#ifndef CF_KLIPPER_REACH_H
#define CF_KLIPPER_REACH_H

#include "katapult/katapult.h"
#include "klipper/klipper.h"

cf_code cf_kl_identify_usb(const cf_kp_env *env, const char *tty, cf_kl_ident *out, cf_error *err);
/* The probe `flash usb --device SEL` means (a tty, a by-id link, a sysfs
 * path or a port; NULL = the only one running its firmware), identified. */
cf_code cf_kl_identify_usb_select(const cf_kp_env *env, const char *selector, cf_kl_ident *out,
                                  cf_error *err);
cf_code cf_kl_identify_can(const cf_kp_env *env, const char *ifname, const char *uuid,
                           cf_kl_ident *out, cf_error *err);

/* Remembered UUIDs (cf_kl_can_temp_id) that did not answer the query on
 * ifname (not in seen) but still answer identify on the id we gave them:
 * up to cap idents (free each) with their UUIDs. */
size_t cf_kl_can_unanswered(const cf_kp_env *env, const char *ifname, const char *const *seen,
                            size_t seen_count, cf_kl_ident *out, char (*uuids)[13], size_t cap);

/* Before flash can|usb sends any bootloader request: what the probe runs,
 * asked with identify (never disturbing it), against the image.
 *  - out->identified: the probe answered; out->runs describes its firmware,
 *    out->same when it already runs this very build (nothing to do);
 *  - CF_ERR_GATE (naming both chips) when it runs firmware for another MCU
 *    than the image is for (a deployer: the chip its Katapult is built for);
 *  - a probe that cannot be asked is no error: out->why says why, and the
 *    flow checks the MCU Katapult reports after CONNECT instead. */
typedef struct cf_kl_precheck {
    bool identified;
    bool same;
    char runs[160];   /* "CARTOGRAPHER 5.1.0 (USB)" */
    char mcu[32];     /* the MCU its dictionary names, "" if none */
    char device[160]; /* where it was asked */
    char source[64];  /* "identify over USB serial", ... */
    char why[256];    /* why it could not be asked */
} cf_kl_precheck;

cf_code cf_kl_precheck_flash(const cf_kp_env *env, bool can, const cf_kp_opts *o,
                             const cf_image *img, cf_kl_precheck *out, cf_error *err);

/* What identify over CAN leaves behind, for front ends to show. */
extern const char cf_kl_can_note[];

#endif
