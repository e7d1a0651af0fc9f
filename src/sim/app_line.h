/* Internal to the simulator: a byte line whose far end is a simulated app. */
#ifndef CF_SIM_APP_LINE_H
#define CF_SIM_APP_LINE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "katapult/stream.h"

/* A line to the app that runs from `code` (len bytes: its flash from the
 * vector table on): Klipper's MCU side (klipper/klipper.h cf_kl_mcu)
 * answers what a host writes, from the data dictionary in those bytes, which
 * must stay put while the line is open. No code, or code without a
 * dictionary, answers nothing: CF_ERR_TIMEOUT naming `port`. */
cf_code cf_sim_app_line_open(const uint8_t *code, size_t len, const char *port, cf_kp_stream **out,
                             cf_error *err);

#endif
