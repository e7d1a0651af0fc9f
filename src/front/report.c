/* Errors as both front ends print them, and the JSON pieces that say them. */
#include <stdio.h>

#include <jansson.h>

#include "common/log.h"
#include "common/safe.h"
#include "front/front.h"

json_t *cf_front_json_text(const char *s)
{
    /* jansson refuses a string that is not UTF-8 (json_string gives NULL and the
     * key would silently go missing): such a string is shown escaped instead */
    json_t *j = json_string(s ? s : "");
    return j ? j : json_string(cf_safe(s));
}

json_t *cf_front_json_error(const cf_error *err)
{
    cf_code code = err->code == CF_OK ? CF_ERR_IO : err->code;
    json_t *o = json_object();
    json_object_set_new(o, "code", json_integer(cf_exit_status(code)));
    json_object_set_new(o, "class", json_string(cf_code_name(code)));
    json_object_set_new(o, "message",
                        cf_front_json_text(err->message[0] ? err->message : cf_code_name(code)));
    json_object_set_new(o, "hint", cf_front_json_text(err->hint));
    return o;
}

void cf_front_json_print(json_t *root)
{
    /* durations to the microsecond at most, not 17 digits of binary fraction */
    json_dumpf(root, stdout,
               JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6));
    putchar('\n');
    fflush(stdout);
    json_decref(root);
}

int cf_front_report_error(const cf_front *fe, const cf_error *err)
{
    int status = cf_exit_status(err->code == CF_OK ? CF_ERR_IO : err->code);
    cf_log(false, "error (exit %d, %s): %s%s%s", status, cf_code_name(err->code), err->message,
           err->hint[0] ? "; next: " : "", err->hint);
    if (fe->json) {
        json_t *root = json_object();
        json_object_set_new(root, "schema", json_integer(CF_JSON_SCHEMA));
        json_object_set_new(root, "error", cf_front_json_error(err));
        cf_front_json_print(root);
    }
    const char *red = fe->color ? "\033[31m" : "", *reset = fe->color ? "\033[0m" : "";
    /* messages quote file names, device strings and replies: shown through the filter */
    char msg[sizeof(err->message) * 4], hint[sizeof(err->hint) * 4];
    fprintf(stderr, "%scartoflash: error:%s %s\n", red, reset,
            err->message[0] ? cf_safe_buf(msg, sizeof(msg), err->message)
                            : cf_code_name(err->code));
    if (err->hint[0])
        fprintf(stderr, "  next: %s\n", cf_safe_text_buf(hint, sizeof(hint), err->hint));
    return status;
}

/* Katapult and Klipper answer the UUID query only while unassigned: a node id
 * from a connected Klipper silences it (Klipper's docs/CANBUS.md). */
const char cf_front_can_claimed_note[] =
    "A node only answers a CAN query while it has no node id. A Klipper that is running and "
    "connected to the probe has given it one, so the probe stays silent: stop Klipper (sudo "
    "systemctl stop klipper) to see it, or use the UUID from printer.cfg/klippy.log.";
