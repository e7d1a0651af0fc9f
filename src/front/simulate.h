/* --simulate: the front ends' one way to the simulator (src/sim/).
 *
 * simulate.c forwards to it in a build with -DCF_SIMULATOR=ON; in one
 * without, simulate_off.c stands in and every entry fails with the same
 * usage error (src/cli/main.c refuses the option before any command runs).
 * The menu and the commands call these, never the simulator itself: front
 * is the one layer above sim (docs/architecture.md), and only cf_front links
 * cf_sim, so the simulator's code is linked only where it is built.
 */
#ifndef CF_FRONT_SIMULATE_H
#define CF_FRONT_SIMULATE_H

#include <stdbool.h>

#include "common/error.h"
#include "katapult/transport.h"
#include "usb/usb.h"

/* The usage line's "[--simulate[=SPEC]] " ("" without the simulator). */
const char *cf_front_simulate_usage(void);
/* The --help lines describing --simulate ("" without the simulator). */
const char *cf_front_simulate_help(void);
/* Whether this build can simulate SPEC, asked as the option is parsed: CF_OK
 * with the simulator; without it (-DCF_SIMULATOR=OFF) CF_ERR_USAGE saying
 * so; without the test suite a fault=KIND@N item is CF_ERR_USAGE too
 * (fault injection is not in such a build). */
cf_code cf_front_check_simulator(const char *spec, cf_error *err);

/* True when SPEC names the Katapult node ("katapult-..."). */
bool cf_front_sim_is_katapult(const char *spec);
/* True when such a SPEC puts something on USB (the node, or a mainboard). */
bool cf_front_sim_has_usb(const char *spec);
/* The emulated Katapult node SPEC describes, as a transport for cf_kp_env
 * (free with cf_kp_transport_free()). */
cf_code cf_front_sim_katapult(const char *spec, cf_kp_transport **out, cf_error *err);
/* True when that node's bus also holds a printer mainboard (mainboard=usb). */
bool cf_front_sim_has_mainboard(cf_kp_transport *t);
/* Why a probe simulated by SPEC cannot be looked for on CAN after a DFU flash
 * (the emulated ROM's bus is USB alone); NULL for no SPEC (hardware). */
const char *cf_front_sim_no_can(const char *spec);
/* The simulated USB bus of a DFU SPEC (free with cf_usb_backend_free()). */
cf_code cf_front_sim_usb(const char *spec, cf_usb_backend **out, cf_error *err);

#endif
