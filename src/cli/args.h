/* Small argument helpers shared by the commands. */
#ifndef CF_CLI_ARGS_H
#define CF_CLI_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "image/image.h"

/* Parses "0x08002000" / decimal into a 32-bit address. */
cf_code cf_parse_address(const char *text, uint32_t *out, cf_error *err);
/* Parses a non-negative number of seconds (decimals allowed) into ms. */
cf_code cf_parse_seconds(const char *text, uint64_t *ms, cf_error *err);

/* Prints "Firmware: FILE" and what inspection says about it (two lines). */
void cf_cli_print_firmware(const char *file, const cf_image *img);
/* Asks "Flash this firmware? [y/N]" on stdin; true only for an explicit yes. */
bool cf_cli_confirm(void);
/* The one way every flash asks before it changes anything: with `yes` it goes
 * on; without a terminal on stdin it refuses (CF_ERR_USAGE, naming --yes);
 * otherwise it asks (on stderr when stdout carries JSON) and a "no" is
 * CF_ERR_CANCELLED. */
cf_code cf_cli_ask(bool yes, bool json, cf_error *err);

#endif
