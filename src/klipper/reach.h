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

/* What identify over CAN leaves behind, for front ends to show. */
extern const char cf_kl_can_note[];

#endif
