/* Command-line front end: the commands and what they share (the global
 * options themselves are front/front.h's cf_front, shared with the menu).
 *
 * main.c parses the global options (they may appear before the command):
 *   --simulate[=SPEC]   replace hardware with the emulators (SPEC: see sim/stm32_dfu.h;
 *                       "katapult-can"/"katapult-usb" for the Katapult node)
 *   --no-color          (also NO_COLOR in the environment, or stdout not a terminal)
 *   --log FILE          the debug log that flash, backup and update append to
 *                       (default $XDG_STATE_HOME/cartoflash/cli.log, rotated; common/log.h)
 *   -h/--help, --version
 * then calls one command function with the remaining argv (argv[0] = command name).
 * With no command the interactive flasher (menu/menu_main.h) runs; the flags of
 * cartographer-klipper's scripts/firmware.py (-f/--flash, -b, -D, -t, -H, -a,
 * -k, -d) select that too.
 *
 * Commands return a process exit status (cf_exit_status()).
 * Only front ends print: commands print to stdout/stderr, layers never do.
 */
#ifndef CF_CLI_CLI_H
#define CF_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "common/error.h"
#include "front/front.h"
#include "image/image.h"
#include "menu/menu_main.h"
#include "usb/usb.h"

/* Prints a command's usage text to stderr (and, with cli->json, the usage error
 * as JSON on stdout); returns the usage exit status. */
int cf_cli_usage_error(const cf_front *cli, const char *usage);
/* Opens the debug log (cli->log, else cli.log in the state folder) and records
 * the command line. A log that cannot be opened is a warning on stderr when it
 * is the default one, and an error (returned) when --log named it. */
cf_code cf_cli_log_open(const cf_front *cli, int argc, char **argv, cf_error *err);

/* The JSON contract is described in front/front.h (CF_JSON_SCHEMA, the error
 * object, text and printing); these are the pieces only commands use. */
/* True when "--json" is among argv[1..] (before any "--"), so that even an
 * error found while parsing the options is reported as JSON. */
bool cf_cli_wants_json(int argc, char **argv);
/* The global options as a command sees them: json also when "--json" is
 * among its argv (cf_cli_wants_json). */
cf_front cf_cli_front_of(const cf_front *outer, int argc, char **argv);
/* --help (c 'h'): the usage on stdout, exit 0; any other option getopt_long()
 * returned is a usage error (cf_cli_usage_error). */
int cf_cli_help_or_usage_error(const cf_front *cli, int c, const char *usage);
/* A USB id as the JSON gives it: "vvvv:pppp" in hex. */
struct json_t *cf_cli_json_usb_id(unsigned vid, unsigned pid);
/* A new top-level object holding "schema" and "command". */
struct json_t *cf_cli_json_root(const char *command);
/* What a firmware file is: file, format, kind, version, mcu, interface,
 * can_bitrate, size, load_address (the keys `inspect --json` gives too). */
struct json_t *cf_cli_json_firmware(const char *file, const cf_image *img);
/* One probe as `status --json` lists it (cmd_status.c); `switch --json` ends with it. */
struct cf_probe_status;
struct json_t *cf_cli_json_probe(const struct cf_probe_status *r);

/* Commands (each in its own cmd_*.c). */
int cf_cmd_list(const cf_front *cli, int argc, char **argv);
int cf_cmd_inspect(const cf_front *cli, int argc, char **argv);
int cf_cmd_flash(const cf_front *cli, int argc, char **argv);    /* flash dfu|can|usb */
int cf_cmd_backup(const cf_front *cli, int argc, char **argv);   /* backup dfu */
int cf_cmd_firmware(const cf_front *cli, int argc, char **argv); /* firmware list|pick (catalog) */
int cf_cmd_status(const cf_front *cli, int argc, char **argv);   /* status (cmd_status.c) */
int cf_cmd_update(const cf_front *cli, int argc, char **argv);   /* update (cmd_update.c) */
int cf_cmd_switch(const cf_front *cli, int argc, char **argv);   /* switch (cmd_switch.c) */

/* Plug-in points owned by other layers' front-end files:
 *  - cmd_flash.c handles "flash dfu" and hands "flash can" / "flash usb" to
 *    cf_cmd_flash_can() / cf_cmd_flash_usb() (cmd_flash_katapult.c), argv[0] = "can"/"usb".
 *  - cmd_list.c prints DFU devices, then calls cf_list_katapult() (cmd_list_katapult.c)
 *    to add Katapult- and Klipper-mode probes (USB and CAN). With json != NULL it
 *    appends objects to that jansson array instead of printing.
 *  - With no command, or with firmware.py's flags, main.c calls cf_menu_main()
 *    (menu/menu_main.h) with the full argv (argv[0] = program name). */
int cf_cmd_flash_can(const cf_front *cli, int argc, char **argv);
int cf_cmd_flash_usb(const cf_front *cli, int argc, char **argv);
struct json_t;
void cf_list_katapult(const cf_front *cli, struct json_t *json);
/* cmd_current.c: what the probe runs, asked from the probe (and printed on
 * out) before flash can|usb requests its bootloader, refusing (CF_ERR_GATE)
 * firmware for another chip than the probe runs; *same when it already runs
 * img's build. */
struct cf_kp_env;
struct cf_kp_opts;
cf_code cf_cli_precheck(FILE *out, const struct cf_kp_env *env, bool can,
                        const struct cf_kp_opts *o, const cf_image *img, bool *same, cf_error *err);

#endif
