/* Small argument helpers shared by the commands. */
#ifndef CF_CLI_ARGS_H
#define CF_CLI_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "common/error.h"
#include "front/front.h"
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

/* The catalogue options of status, update and switch: applies --source,
 * --branch or --offline (c 's', 'b', 'o') to o; false for any other option. */
bool cf_cli_take_catalog_option(int c, const char *arg, cf_catalog_opts *o);

/* The usage of a command that prints it plainly (status, update, switch):
 * asked for (--help), on stdout and exit 0; else on stderr and exit 64. */
int cf_cli_usage_exit(const char *usage, bool asked);

/* What every flash (dfu, can, usb) takes alike; force and dry_run point into
 * the flow's own options. */
typedef struct cf_cli_flash_flags {
    bool yes;
    unsigned back_wait_ms; /* --back-wait, when back_wait_given */
    bool back_wait_given;
    bool *force;
    bool *dry_run;
} cf_cli_flash_flags;
/* How every flash ends its option switch: --force, --yes, --back-wait,
 * --dry-run into f; --json was taken before parsing (cf_cli_wants_json);
 * --help prints usage on stdout (exit 0); anything else is a usage error.
 * Returns -1 to go on, else the exit status (a bad value reported from err). */
int cf_cli_take_flash_option(const cf_front *cli, int c, const char *usage, cf_cli_flash_flags *f,
                             cf_error *err);

#endif
