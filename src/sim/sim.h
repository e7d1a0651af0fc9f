/* The simulator (library cf_sim, built with -DCF_SIMULATOR=ON): what
 * `--simulate` puts in place of hardware, and what tests, fuzz targets and
 * the benchmark drive directly. Product code never includes this; the front
 * ends reach it only through their --simulate handling (front/simulate.h).
 *
 * Parts (one folder, one library):
 *  - stm32_dfu.h: the STM32 system-bootloader DFU emulator (emu_*.c);
 *  - boot.h: what a chip runs after that ROM lets go (boot.c);
 *  - usb_sim.c: the emulator behind the USB backend table (usb/usb.h),
 *    declared below;
 *  - node.h: the emulated Katapult node (node.c);
 *  - kp_sim.c: in-process buses serving that node behind the Katapult
 *    transport table (katapult/transport.h), declared below.
 *
 * SPEC is the text after --simulate=: "dfu[:CHIP][,KEY=VALUE...]"
 * (stm32_dfu.h) or "katapult-can" / "katapult-usb" with node.h's keys.
 * Fault injection (fault=KIND@N) exists only in builds with the test suite
 * (CF_TESTS) or the fuzz targets (CF_FUZZ): elsewhere such a key is refused,
 * saying so.
 */
#ifndef CF_SIM_SIM_H
#define CF_SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "katapult/transport.h"
#include "usb/usb.h"

/* ---- the simulated USB bus (--simulate=dfu...) ---- */

struct cf_emu;
/* A backend serving emu (not owned) at port 1-1.3. */
cf_code cf_sim_usb_backend(struct cf_emu *emu, cf_usb_backend **out, cf_error *err);
/* Puts a second emulated DFU device on the simulated bus, at port 1-1.4 (the
 * first is at 1-1.3); not owned either. Only the first boots after leave. */
cf_code cf_sim_usb_add(cf_usb_backend *be, struct cf_emu *emu, cf_error *err);
/* What else the simulated bus shows after leave: `noapp` keeps the probe's
 * firmware off the bus (it never enumerates), `klipper_mainboard` adds a
 * printer mainboard running Klipper (1d50:614e "Klipper", another chip) at
 * port 1-1.4, which is not the probe. */
cf_code cf_sim_usb_runtime(cf_usb_backend *be, bool noapp, bool klipper_mainboard, cf_error *err);
/* The whole bus a DFU SPEC describes: the probe's emulator, and a mainboard's
 * with mainboard=CHIP, owned by the backend (cf_usb_backend_free() frees
 * them). A Katapult SPEC is CF_ERR_USAGE. */
cf_code cf_sim_usb_open(const char *spec, cf_usb_backend **out, cf_error *err);

/* ---- the emulated Katapult node (--simulate=katapult-can / katapult-usb) ---- */

typedef struct cf_sim_kp cf_sim_kp;

/* True when a SPEC names the Katapult node ("katapult-..."). */
bool cf_sim_spec_is_katapult(const char *spec);
/* True when such a SPEC puts something on USB: the node (katapult-usb) or the
 * simulated Klipper mainboard (mainboard=usb). */
bool cf_sim_spec_has_usb(const char *spec);
/* Starts the emulated node in-process (a thread serving a socketpair CAN bus
 * with bitrate timing, or a pty for USB). SPEC as in sim/node.h. */
cf_code cf_sim_kp_new(const char *spec, cf_sim_kp **out, cf_error *err);
void cf_sim_kp_free(cf_sim_kp *sim);
/* The node's buses as a Katapult transport (cf_kp_env.transport); freeing
 * the transport (cf_kp_transport_free()) frees sim. */
cf_kp_transport *cf_sim_kp_transport(cf_sim_kp *sim);
/* The node behind a transport from cf_sim_kp_transport(), else NULL. */
cf_sim_kp *cf_sim_kp_of(cf_kp_transport *t);
/* True when the simulated probe sits on CAN (else on USB). */
bool cf_sim_kp_is_can(const cf_sim_kp *sim);

/* ---- for tests and the benchmark ---- */
/* Copies the emulated flash (whole chip) to buf; returns the bytes copied. */
size_t cf_sim_kp_flash_copy(cf_sim_kp *sim, uint8_t *buf, size_t cap, uint32_t *base);
const char *cf_sim_kp_uuid(cf_sim_kp *sim);
uint32_t cf_sim_kp_bitrate(cf_sim_kp *sim);
/* What the emulated node did: COMPLETEs acknowledged, blocks stored, bootloader requests. */
void cf_sim_kp_node_stats(cf_sim_kp *sim, unsigned *completes, unsigned *blocks_written,
                          unsigned *bootloader_requests);
/* Bus time of every frame the simulated bus carried, and their count. */
void cf_sim_kp_bus_stats(cf_sim_kp *sim, unsigned long *frames, unsigned long long *bits,
                         uint64_t *flash_busy_ns);
/* What the simulated mainboard (mainboard=usb) received from any host. */
typedef struct cf_sim_kp_mainboard {
    bool present;
    char tty[64];
    unsigned long bytes;          /* written to its port */
    unsigned line_changes;        /* line rates set on its port */
    unsigned bootloader_requests; /* of them, 1200 baud (Klipper's bootloader request) */
} cf_sim_kp_mainboard;
void cf_sim_kp_mainboard_record(cf_sim_kp *sim, cf_sim_kp_mainboard *out);
bool cf_sim_kp_has_mainboard(const cf_sim_kp *sim);

#endif
