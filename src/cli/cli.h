/* Command-line front end: shared state and the command table.
 *
 * main.c parses the global options (they may appear before the command):
 *   --simulate[=SPEC]   replace hardware with the emulators (SPEC: see sim/stm32_dfu.h;
 *                       "katapult-can"/"katapult-usb" for the Katapult node)
 *   --no-color          (also NO_COLOR in the environment, or stdout not a terminal)
 *   --log FILE          the debug log that flash, backup and update append to
 *                       (default $XDG_STATE_HOME/cartoflash/cli.log, rotated; common/log.h)
 *   -h/--help, --version
 * then calls one command function with the remaining argv (argv[0] = command name).
 * With no command the interactive flasher (menu/menu.h) runs; the flags of
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
#include "image/image.h"
#include "usb/usb.h"

typedef struct cf_cli {
    const char
        *simulate;   /* SPEC after --simulate ("" for bare --simulate), NULL if not simulating */
    bool color;      /* ANSI colours allowed on stdout */
    bool tty;        /* stdout is a terminal */
    bool json;       /* --json: stdout is one JSON document (result or error), text on stderr */
    const char *log; /* --log FILE: the debug log of flash, backup and update; NULL = cli.log */
} cf_cli;

/* Opens the USB backend for DFU work: the simulated probe when cli->simulate is
 * set (the emulator is created from the SPEC and owned by the backend wrapper),
 * libusb otherwise. Free with cf_cli_close_backend(). */
cf_code cf_cli_open_backend(const cf_cli *cli, cf_usb_backend **be, cf_error *err);
void cf_cli_close_backend(cf_usb_backend *be);

/* Prints "cartoflash: error: <message>" and, if present, "  next: <hint>" to stderr
 * and returns the exit status for err->code. With cli->json it also prints
 * {"schema": 1, "error": {...}} on stdout. */
int cf_cli_report_error(const cf_cli *cli, const cf_error *err);
/* Prints a command's usage text to stderr (and, with cli->json, the usage error
 * as JSON on stdout); returns the usage exit status. */
int cf_cli_usage_error(const cf_cli *cli, const char *usage);
/* Opens the debug log (cli->log, else cli.log in the state folder) and records
 * the command line. A log that cannot be opened is a warning on stderr when it
 * is the default one, and an error (returned) when --log named it. */
cf_code cf_cli_log_open(const cf_cli *cli, int argc, char **argv, cf_error *err);

/* The JSON contract (docs/schema/cartoflash.schema.json): every document has
 * "schema": CF_JSON_SCHEMA at the top; a failure is {"schema", "error"}. */
#define CF_JSON_SCHEMA 1
/* True when "--json" is among argv[1..] (before any "--"), so that even an
 * error found while parsing the options is reported as JSON. */
bool cf_cli_wants_json(int argc, char **argv);
/* A new top-level object holding "schema" and "command". */
struct json_t *cf_cli_json_root(const char *command);
/* {"code": exit status, "class": cf_code_name, "message", "hint"}. */
struct json_t *cf_cli_json_error(const cf_error *err);
/* What a firmware file is: file, format, kind, version, mcu, interface,
 * can_bitrate, size, load_address (the keys `inspect --json` gives too). */
struct json_t *cf_cli_json_firmware(const char *file, const cf_image *img);
/* Dumps root on stdout (ASCII, indented, keys in order) and frees it. */
void cf_cli_json_print(struct json_t *root);
/* A JSON string for text from outside (device strings, file names): as is when
 * it is UTF-8, else escaped as cf_safe() does. Dumps use JSON_ENSURE_ASCII, so
 * control characters and C1 codes come out as \uXXXX. */
struct json_t;
struct json_t *cf_cli_json_text(const char *s);
/* One probe as `status --json` lists it (cmd_status.c); `switch --json` ends with it. */
struct cf_probe_status;
struct json_t *cf_cli_json_probe(const struct cf_probe_status *r);

/* Commands (each in its own cmd_*.c). */
int cf_cmd_list(const cf_cli *cli, int argc, char **argv);
int cf_cmd_inspect(const cf_cli *cli, int argc, char **argv);
int cf_cmd_flash(const cf_cli *cli, int argc, char **argv);    /* flash dfu|can|usb */
int cf_cmd_backup(const cf_cli *cli, int argc, char **argv);   /* backup dfu */
int cf_cmd_firmware(const cf_cli *cli, int argc, char **argv); /* firmware list|pick (catalog) */
int cf_cmd_status(const cf_cli *cli, int argc, char **argv);   /* status (cmd_status.c) */
int cf_cmd_update(const cf_cli *cli, int argc, char **argv);   /* update (cmd_update.c) */
int cf_cmd_switch(const cf_cli *cli, int argc, char **argv);   /* switch (cmd_switch.c) */

/* Plug-in points owned by other layers' front-end files:
 *  - cmd_flash.c handles "flash dfu" and hands "flash can" / "flash usb" to
 *    cf_cmd_flash_can() / cf_cmd_flash_usb() (cmd_flash_katapult.c), argv[0] = "can"/"usb".
 *  - cmd_list.c prints DFU devices, then calls cf_list_katapult() (cmd_list_katapult.c)
 *    to add Katapult- and Klipper-mode probes (USB and CAN). With json != NULL it
 *    appends objects to that jansson array instead of printing.
 *  - With no command, or with firmware.py's flags, main.c calls cf_menu_main()
 *    (src/menu/) with the full argv (argv[0] = program name). */
int cf_cmd_flash_can(const cf_cli *cli, int argc, char **argv);
int cf_cmd_flash_usb(const cf_cli *cli, int argc, char **argv);
struct json_t;
void cf_list_katapult(const cf_cli *cli, struct json_t *json);
/* cmd_current.c: true (and printed) when the probe already runs img's build,
 * asked from the probe before flash can|usb requests its bootloader. */
struct cf_kp_env;
struct cf_kp_opts;
bool cf_cli_already_runs(FILE *out, const struct cf_kp_env *env, bool can,
                         const struct cf_kp_opts *o, const cf_image *img);
/* The same, refusing (CF_ERR_GATE) firmware for another chip than the probe
 * runs; *same when it already runs img's build. */
cf_code cf_cli_precheck(FILE *out, const struct cf_kp_env *env, bool can,
                        const struct cf_kp_opts *o, const cf_image *img, bool *same, cf_error *err);
int cf_menu_main(const cf_cli *cli, int argc, char **argv);

#endif
