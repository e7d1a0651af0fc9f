#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cf_error_reset(cf_error *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
}

cf_code cf_fail(cf_error *err, cf_code code, const char *fmt, ...)
{
    if (!err || err->code != CF_OK)
        return code;
    err->code = code;
    CF_FORMAT_ARGS(err->message, fmt);
    return code;
}

void cf_hint(cf_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    CF_FORMAT_ARGS(err->hint, fmt);
}

void cf_hint_more(cf_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char more[sizeof(err->hint)];
    CF_FORMAT_ARGS(more, fmt);
    size_t used = strlen(err->hint);
    const char *glue = used == 0 ? "" : err->hint[used - 1] == '.' ? " " : ". ";
    snprintf(err->hint + used, sizeof(err->hint) - used, "%s%s", glue, more);
}

void cf_error_prefix(cf_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[256];
    CF_FORMAT_ARGS(prefix, fmt);
    /* Room for both; the result is cut to the message size on purpose. */
    char joined[sizeof(prefix) + 2 + sizeof(err->message)];
    snprintf(joined, sizeof(joined), "%s: %s", prefix, err->message);
    snprintf(err->message, sizeof(err->message), "%.*s", (int)sizeof(err->message) - 1, joined);
}

const char *cf_code_name(cf_code code)
{
    switch (code) {
    case CF_OK:
        return "ok";
    case CF_ERR_USAGE:
        return "usage";
    case CF_ERR_IO:
        return "io";
    case CF_ERR_NOMEM:
        return "nomem";
    case CF_ERR_FORMAT:
        return "format";
    case CF_ERR_NOT_FOUND:
        return "not-found";
    case CF_ERR_AMBIGUOUS:
        return "ambiguous";
    case CF_ERR_ACCESS:
        return "access";
    case CF_ERR_TIMEOUT:
        return "timeout";
    case CF_ERR_STALL:
        return "stall";
    case CF_ERR_GONE:
        return "gone";
    case CF_ERR_PROTOCOL:
        return "protocol";
    case CF_ERR_DEVICE:
        return "device";
    case CF_ERR_GATE:
        return "gate";
    case CF_ERR_VERIFY:
        return "verify";
    case CF_ERR_CANCELLED:
        return "cancelled";
    case CF_ERR_UNSUPPORTED:
        return "unsupported";
    case CF_ERR_NOT_SEEN:
        return "not-seen";
    }
    return "unknown";
}

int cf_exit_status(cf_code code)
{
    /* Stable for scripts: one status per class of failure. 64..77 follow BSD
     * sysexits.h; the small ones are cartoflash's own; 130 is 128 + SIGINT, what
     * a shell reports for a run stopped with Ctrl-C. */
    switch (code) {
    case CF_OK:
        return 0;
    case CF_ERR_GATE:
        return 3; /* refused before anything was erased */
    case CF_ERR_AMBIGUOUS:
        return 4; /* several devices match: nothing was sent to any */
    case CF_ERR_VERIFY:
        return 5; /* the device was not told to leave its bootloader */
    case CF_ERR_NOT_SEEN:
        return 6; /* the flash itself succeeded */
    case CF_ERR_TIMEOUT:
        return 7;
    case CF_ERR_USAGE:
        return 64; /* EX_USAGE */
    case CF_ERR_FORMAT:
        return 65; /* EX_DATAERR */
    case CF_ERR_NOT_FOUND:
    case CF_ERR_UNSUPPORTED:
        return 69; /* EX_UNAVAILABLE */
    case CF_ERR_IO:
    case CF_ERR_NOMEM:
    case CF_ERR_GONE:
        return 74; /* EX_IOERR */
    case CF_ERR_PROTOCOL:
    case CF_ERR_DEVICE:
    case CF_ERR_STALL:
        return 76; /* EX_PROTOCOL */
    case CF_ERR_ACCESS:
        return 77; /* EX_NOPERM */
    case CF_ERR_CANCELLED:
        return 130;
    }
    return 74;
}

const cf_exit_class cf_exit_classes[] = {
    {0, "success (flashed, verified and started; or nothing to do)"},
    {3, "refused by a safety gate; nothing was erased"},
    {4, "ambiguous: several devices match; name one with --device or --uuid"},
    {5, "verify failed: the device was left in its bootloader, flashing again is safe"},
    {6, "written, verified and started, but the probe was not seen again"},
    {7, "timeout: the device stopped answering"},
    {64, "usage: bad arguments, or a flash without a terminal and without --yes"},
    {65, "bad file: the firmware or a reply is malformed"},
    {69, "not found: no such device, file or catalogue entry (or a library missing)"},
    {74, "I/O error (file system or USB; device disconnected)"},
    {76, "protocol error: the device answered something unexpected or reported an error"},
    {77, "permission denied (see the udev rule in the hint)"},
    {130, "cancelled by the user"},
};
const size_t cf_exit_class_count = sizeof(cf_exit_classes) / sizeof(cf_exit_classes[0]);
