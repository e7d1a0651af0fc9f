/* What the probe runs after leave, as a real USB device: the Cartographer
 * (Klipper) app the boot model (sim/boot.h) says the flash starts, plugged
 * into the guest's USB/IP host controller as the CDC ACM serial device its
 * own descriptors describe (identity from cf_boot), answering Klipper's
 * identify from the dictionary in that flash (klipper/klipper.h cf_kl_mcu).
 * So a flash over DFU can be seen coming back, on the same stack a Pi has. */
#ifndef CF_GUEST_APP_ACM_H
#define CF_GUEST_APP_ACM_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/boot.h"

typedef void (*app_acm_log)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Serves the app until *stop, until the host has asked identify and then
 * closed the port (DTR dropped), or for max_ms. Returns 0, or -1 on a
 * transport error. dict: the compressed dictionary in flash (may be NULL:
 * the app then answers nothing). */
int app_acm_serve(const cf_boot *boot, const uint8_t *dict, size_t dict_len, unsigned max_ms,
                  volatile sig_atomic_t *stop, app_acm_log log);

#endif
