/* What the printer is doing, from every Moonraker on this host, before the
 * menu stops Klipper. A multi-instance host (KIAUH, or hand-made) has one
 * ~/printer_data* folder per printer, each with its own moonraker.conf and
 * port; all of them are asked. The answer fails closed: a Moonraker that
 * does not answer, wants an API key we do not have, or says something we
 * cannot read makes the state unknown, never "idle". */
#ifndef CF_MENU_MOONRAKER_H
#define CF_MENU_MOONRAKER_H

#include <stddef.h>

#include "common/error.h"

struct menu_ctx;

typedef enum menu_print_state {
    PRINT_IDLE,   /* every Moonraker answered and none is printing or paused */
    PRINT_BUSY,   /* a Moonraker reports printing or paused */
    PRINT_UNKNOWN /* at least one could not be asked (and none reports a print) */
} menu_print_state;

#define MENU_MOONRAKER_DEFAULT_PORT 7125u /* Moonraker's documented default */
#define MENU_MOONRAKER_MAX 8u             /* instances asked */

/* The next three are klipper/moonraker.h's cf_mr_set_key, cf_mr_conf_port
 * and cf_mr_urls under the menu's names. */
/* The API key to send as X-Api-Key (--moonraker-key); NULL or "" falls back
 * to $MOONRAKER_API_KEY. */
void menu_moonraker_set_key(const char *key);

/* The [server] port of a moonraker.conf (text need not be NUL-terminated);
 * MENU_MOONRAKER_DEFAULT_PORT when the file sets none. A port that is not a
 * number from 1 to 65535 is CF_ERR_FORMAT. */
cf_code menu_moonraker_conf_port(const char *text, size_t len, unsigned *port, cf_error *err);

/* The base URLs to ask: the moonraker_url setting when it was changed from
 * the default, else http://127.0.0.1:PORT for the config/moonraker.conf of each
 * HOME/printer_data* folder (the default port when a file sets none). Returns
 * how many were written (at least 1). */
size_t menu_moonraker_urls(const char *setting, const char *home, char urls[][256], size_t max);

/* Asks them all; detail says what each answered ("printing (127.0.0.1:7126)",
 * "no answer from ...", "401 ... API key"). */
menu_print_state menu_printer_state(const struct menu_ctx *ctx, char *detail, size_t size);

#endif
