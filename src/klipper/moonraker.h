/* Moonraker, Klipper's API server, asked what the host's Klipper knows: the
 * print state (for the menu, before it stops Klipper) and, while Klipper
 * holds the probe, the firmware the probe reported to it (for `status` and
 * `update`). Shared by the menu and the command line.
 *
 * Facts (Moonraker's documentation, "Printer Administration / Query printer
 * object status" and "Authorization"; Klipper's docs/Status_Reference.md and
 * klippy/mcu.py):
 *  - GET /printer/objects/query?OBJ[=attr,...]&... answers
 *    {"result": {"status": {OBJ: {...}}}}; objects Klipper does not have are
 *    left out. An API key goes in the X-Api-Key header; without the key a
 *    Moonraker with [authorization] answers 401.
 *  - Klipper's object "mcu NAME" carries mcu_version (the data dictionary's
 *    "version") and mcu_constants (its "config" object: MCU, CLOCK_FREQ,
 *    CANBUS_FREQUENCY, RESERVE_PINS_*), the very fields identify reads. The
 *    Cartographer plugin's MCU is "mcu scanner" ([scanner]) or "mcu
 *    cartographer" ([cartographer]).
 *  - "configfile" attribute "settings" holds each section's parsed options:
 *    settings.scanner.serial / settings.scanner.canbus_uuid say which device
 *    that MCU is.
 *  - Each printer's folder (~/printer_data, ~/printer_data_2, ...) has a
 *    config/moonraker.conf naming its instance's [server] port (default 7125).
 *
 * libcurl is loaded on first use (catalog/dlib.h). Nothing prints.
 */
#ifndef CF_KLIPPER_MOONRAKER_H
#define CF_KLIPPER_MOONRAKER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "image/image.h"

#define CF_MR_DEFAULT_PORT 7125u /* Moonraker's documented default */
#define CF_MR_DEFAULT_URL "http://127.0.0.1:7125"
#define CF_MR_MAX 8u /* instances asked */

/* The API key to send as X-Api-Key; NULL or "" falls back to $MOONRAKER_API_KEY. */
void cf_mr_set_key(const char *key);

/* The [server] port of a moonraker.conf (text need not be NUL-terminated);
 * CF_MR_DEFAULT_PORT when the file sets none. A port that is not a number
 * from 1 to 65535 is CF_ERR_FORMAT. */
cf_code cf_mr_conf_port(const char *text, size_t len, unsigned *port, cf_error *err);

/* The base URLs to ask: setting when it is given and not the default, else
 * http://127.0.0.1:PORT for the config/moonraker.conf of each printer
 * folder under home (the default URL when none is found). Returns
 * how many were written (at least 1 when max > 0). *found (may be NULL):
 * whether a moonraker.conf or a setting named them, i.e. Moonraker is
 * installed here. */
size_t cf_mr_urls(const char *setting, const char *home, char urls[][256], size_t max, bool *found);

/* GET base + path_query; *body (malloc'd, NUL-terminated) on HTTP success.
 * 401/403 is CF_ERR_ACCESS naming the key; no answer is CF_ERR_IO. */
cf_code cf_mr_get(const char *base, const char *path_query, char **body, size_t *len,
                  cf_error *err);

/* What Klipper's Cartographer MCU object says. */
typedef struct cf_mr_mcu {
    char object[32];      /* "mcu scanner" or "mcu cartographer" */
    cf_image_info fw;     /* version, mcu, iface, can_bitrate as identify would give them */
    char serial[256];     /* the section's serial: option, "" if none */
    char canbus_uuid[13]; /* the section's canbus_uuid: option (lower case), "" if none */
    char url[256];        /* the Moonraker that answered */
} cf_mr_mcu;

/* The query that asks for both possible objects and their config sections. */
extern const char cf_mr_mcu_query[];

/* Parses a reply to cf_mr_mcu_query: up to cap MCUs (*n). A reply that is
 * not {"result": {"status": {...}}}, or an MCU object without a string
 * mcu_version or whose constants do not parse, is CF_ERR_FORMAT. Fuzzed. */
cf_code cf_mr_parse_mcus(const char *json, size_t len, cf_mr_mcu *out, size_t cap, size_t *n,
                         cf_error *err);

/* Asks every URL; fills up to cap MCUs. why gets what each Moonraker that
 * did not answer said ("" when all did). */
size_t cf_mr_query_mcus(char urls[][256], size_t nurls, cf_mr_mcu *out, size_t cap, char *why,
                        size_t why_size);

#endif
