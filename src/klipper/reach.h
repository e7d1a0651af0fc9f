/* Reaching a probe that runs its firmware, to identify it: over its USB
 * serial port (only while no other program holds the port) or over CAN (only
 * while no Klipper holds the node). Uses the Katapult layer's transports.
 *
 * Contract:
 *  - cf_kl_identify_usb() refuses (CF_ERR_GATE, naming the process) a port
 *    another program has open, e.g. a running Klipper; it never sends the
 *    1200-baud touch and never changes the line in any way Klipper reads as
 *    a request.
 *  - cf_kl_identify_can() first asks QUERY_UNASSIGNED: a node that does not
 *    answer is held by a Klipper (or was given an id since its last reset)
 *    and is left alone (CF_ERR_GATE). Otherwise it gives the node the
 *    temporary id CF_KL_CAN_TEMP_NODEID and identifies it over that id. The
 *    node keeps that id until its next reset (Klipper has no command to take
 *    it back); cf_kl_ident.note says so.
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

/* What identify over CAN leaves behind, for front ends to show. */
extern const char cf_kl_can_note[];

#endif
