/* `cartoflash switch`: where a USB <-> CAN change stands, kept under XDG state
 * (switch) so that running it again continues from the step it stopped at.
 *
 * The file is "key=value" lines written by cartoflash (atomically, after each
 * step); it is still outside input on the next run: every value is checked
 * and a file that does not parse is reported, never half trusted. Nothing
 * prints. */
#ifndef CF_KLIPPER_SWITCHSTATE_H
#define CF_KLIPPER_SWITCHSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "image/image.h"

/* The last step completed. */
typedef enum cf_sw_step {
    CF_SW_FOUND = 0, /* the probe was found and identified on its old link */
    CF_SW_DEPLOYED,  /* the deployer is flashed: Katapult for the new link is installed */
    CF_SW_ARRIVED,   /* the probe was seen in that Katapult on the new link */
    CF_SW_APP        /* the application for the new link is flashed */
} cf_sw_step;

typedef struct cf_sw_state {
    cf_iface from, to;
    uint32_t bitrate; /* CAN bitrate of the new link, 0 for USB */
    cf_sw_step step;
    char mcu[32];                  /* "stm32f042x6" / "stm32g431xx" */
    char serial[32];               /* the chip's unique ID in hex (its USB serial) */
    char uuid[13];                 /* its CAN UUID (derived from the chip ID) */
    char interface[32];            /* CAN interface */
    char deployer[512];            /* the deployer that was flashed */
    bool lite, kseries, high_temp; /* the flavour of the app it ran */
} cf_sw_state;

const char *cf_sw_step_name(cf_sw_step s); /* "found", "deployed", "arrived", "app" */

/* Parses the file's text; false (with err naming the line) if anything is
 * missing or out of range. */
bool cf_sw_state_parse(const char *text, size_t len, cf_sw_state *out, cf_error *err);
/* The file's text; the length written (0 if it does not fit). */
size_t cf_sw_state_format(const cf_sw_state *st, char *buf, size_t cap);

/* *found false (CF_OK) when no switch is under way. */
cf_code cf_sw_state_load(cf_sw_state *out, bool *found, cf_error *err);
cf_code cf_sw_state_save(const cf_sw_state *st, cf_error *err);
cf_code cf_sw_state_clear(cf_error *err);
/* Where the file is, for messages. */
cf_code cf_sw_state_path(char *out, size_t size, cf_error *err);

#endif
