/* After a flash: is the probe back, running the new firmware, and what does
 * it say it runs? One answer for every flash (DFU, Katapult over USB and CAN)
 * and every front end.
 *
 * Contract:
 *  - Only the probe counts. On USB a device is the probe when it is the
 *    Cartographer/Klipper app (1d50:614e) on the port the probe was on AND its
 *    chip serial agrees with the serial seen there before the flash: equal to
 *    a Klipper/Katapult chip serial, or giving the same ROM serial by ST's
 *    rule (common/chipid.h). The F042's ROM serial names no chip: then the
 *    port alone decides. A 1d50:614e on another port (a mainboard running
 *    Klipper) is never taken for it; the report names it as ignored.
 *  - On CAN a node is the probe when it answers a query as Klipper with the
 *    UUID asked for (the one flashed, or the one the chip serial gives).
 *    Without a UUID (a CAN image written over DFU: the ROM serial cannot be
 *    turned back into the chip's ID) it is the one node that did not answer
 *    before the flash and now runs the same build as the image.
 *  - What now runs is asked with Klipper's identify (klipper/reach.h; a
 *    device the USB backend lists itself, as a simulated bus does, is asked
 *    the same way over the line the backend gives, cf_usb_open_runtime_line()).
 *    A probe seen but not askable (its port held by another
 *    program) is still seen: the report says why the version is missing.
 *  - wait_ms 0 does not look (CF_OK, looked = false, and the note says so). A
 *    CAN image whose interface is not up is not looked for either (CF_OK):
 *    the note says exactly how to check. Not seen within wait_ms is
 *    CF_ERR_NOT_SEEN with what to check.
 *  - Nothing prints; tick (may be NULL) is called about every 100 ms.
 */
#ifndef CF_KLIPPER_CAMEBACK_H
#define CF_KLIPPER_CAMEBACK_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "image/image.h"
#include "katapult/katapult.h"
#include "usb/usb.h"

#define CF_CB_USB_WAIT_MS 10000u
#define CF_CB_CAN_WAIT_MS 15000u
#define CF_CB_MAX_BEFORE 32

typedef struct cf_cb_want {
    cf_iface iface;   /* the new firmware's link (USB or CAN) */
    unsigned wait_ms; /* 0 = do not look */
    /* Why nothing is looked for, with wait_ms 0 or iface unknown (NULL: --back-wait 0,
     * or "the image names no link") */
    const char *why_not;
    const cf_image *img; /* what was written: a UUID-less CAN match needs the same build */
    /* USB: the port the probe was on and the serial it showed there. */
    const char *port;
    const char *serial;
    /* CAN */
    const char *can_if; /* NULL = can0 */
    const char *uuid;   /* 12 hex digits, NULL/"" = from serial, else by build */
    /* UUIDs that answered on can_if before the flash (cf_came_back_can_before). */
    char (*before)[13];
    size_t before_count;
    /* Why the probe cannot be looked for on CAN from here, in words for the
     * note (the front end knows: a simulated DFU probe has no CAN bus); NULL
     * when it can. */
    const char *no_can;
} cf_cb_want;

typedef struct cf_came_back {
    bool looked;
    bool seen;
    cf_iface iface;
    char device[160]; /* "/dev/ttyACM0 (1-1.3)", "1-1.3", "can0 uuid 0123456789ab" */
    char serial[64];  /* the chip serial it showed on USB, "" on CAN */
    char version[96]; /* what identify reported; "" when it could not be asked */
    char runs[160];   /* the same with its link: "CARTOGRAPHER 5.1.0 (CAN 1000000)" */
    char mcu[32];
    char asked_with[64]; /* "identify over USB serial", ... */
    bool same_build;     /* identify's dictionary is the image's build */
    char note[512];      /* why it was not looked for / not asked; what was ignored */
    double seconds;      /* from the call to the sighting (or the give-up) */
} cf_came_back;

/* The UUIDs that answer a CAN query on ifname now (before a DFU flash of a
 * CAN image); *count 0 when the interface is down or unreachable. */
void cf_came_back_can_before(const cf_kp_env *env, const char *ifname, char (*out)[13], size_t cap,
                             size_t *count);

/* Waits for the probe as described above. be: the USB backend (a simulated
 * bus lists its devices itself), may be NULL; env: where USB serial and CAN
 * are reached (NULL = hardware). */
cf_code cf_came_back_wait(cf_usb_backend *be, const cf_kp_env *env, const cf_cb_want *w,
                          cf_came_back *out, cf_error *err);

/* True when the serial a device shows now names the chip that showed
 * `before` on the same port before the flash (the USB rule above). */
bool cf_came_back_same_chip(const char *before, const char *now);

/* One line for people: "seen: /dev/ttyACM0 (1-1.3) runs CARTOGRAPHER 5.1.0 (USB)" etc. */
void cf_came_back_describe(const cf_came_back *cb, char *buf, size_t size);

#endif
