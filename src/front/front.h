/* What both front ends (the commands in src/cli, the interactive flasher in
 * src/menu) share: the global options, opening the USB backend (real or
 * simulated) and reporting an error value with its hint.
 *
 * Only front ends print; this library prints for them, the layers below never do.
 */
#ifndef CF_FRONT_FRONT_H
#define CF_FRONT_FRONT_H

#include <stdbool.h>

#include "common/error.h"
#include "usb/usb.h"

/* The global options of cartoflash, parsed once by src/cli/main.c. */
typedef struct cf_front {
    const char
        *simulate;   /* SPEC after --simulate ("" for bare --simulate), NULL if not simulating */
    bool color;      /* ANSI colours allowed on stdout */
    bool tty;        /* stdout is a terminal */
    bool json;       /* --json: stdout is one JSON document (result or error), text on stderr */
    const char *log; /* --log FILE: the debug log of flash, backup and update; NULL = cli.log */
} cf_front;

/* Opens the USB backend for DFU work: the simulated probe when fe->simulate is
 * set (the emulator is created from the SPEC and owned by the backend wrapper),
 * libusb otherwise. Free with cf_front_close_backend(). */
cf_code cf_front_open_backend(const cf_front *fe, cf_usb_backend **be, cf_error *err);
void cf_front_close_backend(cf_usb_backend *be);

/* Prints "cartoflash: error: <message>" and, if present, "  next: <hint>" to stderr
 * and returns the exit status for err->code. With fe->json it also prints
 * {"schema": 1, "error": {...}} on stdout. The error is recorded in the debug
 * log (common/log.h) when one is open. */
int cf_front_report_error(const cf_front *fe, const cf_error *err);

/* The JSON contract (docs/schema/cartoflash.schema.json): every document has
 * "schema": CF_JSON_SCHEMA at the top; a failure is {"schema", "error"}. */
#define CF_JSON_SCHEMA 1
struct json_t;
/* {"code": exit status, "class": cf_code_name, "message", "hint"}. */
struct json_t *cf_front_json_error(const cf_error *err);
/* A JSON string for text from outside (device strings, file names): as is when
 * it is UTF-8, else escaped as cf_safe() does. Dumps use JSON_ENSURE_ASCII, so
 * control characters and C1 codes come out as \uXXXX. */
struct json_t *cf_front_json_text(const char *s);
/* Dumps root on stdout (ASCII, indented, keys in order) and frees it. */
void cf_front_json_print(struct json_t *root);

/* Why a probe running Klipper may not answer a CAN query (shown by `list`
 * and the menu's Katapult CAN page next to an empty answer). */
extern const char cf_front_can_claimed_note[];

#endif
