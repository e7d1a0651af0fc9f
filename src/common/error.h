/* Errors are values: every fallible function returns a cf_code and, when the
 * caller passes a cf_error, fills in what went wrong and what to do next.
 *
 * Contract:
 *  - CF_OK is 0; any other code is a failure.
 *  - cf_fail() records the first failure; later cf_fail() calls on the same
 *    cf_error are ignored so the root cause is what the user sees. Use
 *    cf_error_reset() to reuse a cf_error for a new operation.
 *  - cf_hint() sets (or replaces) the "what to do next" text; cf_hint_more()
 *    adds a sentence to it.
 *  - No function in any layer prints; front ends print err->message and
 *    err->hint.
 */
#ifndef CF_COMMON_ERROR_H
#define CF_COMMON_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum cf_code {
    CF_OK = 0,
    CF_ERR_USAGE,       /* bad arguments or options */
    CF_ERR_IO,          /* file system or USB I/O failure */
    CF_ERR_NOMEM,       /* allocation failed */
    CF_ERR_FORMAT,      /* malformed outside input (file, descriptor, reply) */
    CF_ERR_NOT_FOUND,   /* no such device / file / entry */
    CF_ERR_AMBIGUOUS,   /* more than one candidate; never guess */
    CF_ERR_ACCESS,      /* permission denied (e.g. LIBUSB_ERROR_ACCESS) */
    CF_ERR_TIMEOUT,     /* a transfer or wait timed out */
    CF_ERR_STALL,       /* USB STALL (LIBUSB_ERROR_PIPE) */
    CF_ERR_GONE,        /* device disconnected */
    CF_ERR_PROTOCOL,    /* peer answered something the protocol forbids */
    CF_ERR_DEVICE,      /* device reported an error status (e.g. DFU errWRITE) */
    CF_ERR_GATE,        /* a safety gate refused the operation */
    CF_ERR_VERIFY,      /* read-back did not match what was written */
    CF_ERR_CANCELLED,   /* the user stopped it */
    CF_ERR_UNSUPPORTED, /* not possible with this device/build */
    CF_ERR_NOT_SEEN     /* written, verified and started, but the probe was not seen again */
} cf_code;

typedef struct cf_error {
    cf_code code;
    char message[512]; /* what went wrong, one sentence, no trailing newline */
    char hint[768];    /* what to do next; may be empty */
} cf_error;

void cf_error_reset(cf_error *err);

/* Records a failure (printf-style message) unless one is already recorded.
 * Returns `code` so callers can write `return cf_fail(err, CF_ERR_IO, ...)`.
 * `err` may be NULL. */
cf_code cf_fail(cf_error *err, cf_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets the "what to do next" text. `err` may be NULL. */
void cf_hint(cf_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Adds one more sentence to the "what to do next" text, ending the previous
 * one with a full stop first if it has none. `err` may be NULL. */
void cf_hint_more(cf_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes the existing message with context ("erase at 0x08000400: ..."). */
void cf_error_prefix(cf_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Short stable name of a code, e.g. "io", "gate". */
const char *cf_code_name(cf_code code);

/* Process exit status for a code (sysexits-like, stable for scripts). */
int cf_exit_status(cf_code code);

/* Every status cf_exit_status() can return, with what it means, in
 * increasing order: the one table `--help` prints and the README repeats. */
typedef struct cf_exit_class {
    int status;
    const char *meaning;
} cf_exit_class;
extern const cf_exit_class cf_exit_classes[];
extern const size_t cf_exit_class_count;

/* Formats the calling variadic function's arguments after fmt into the
 * array buf (cut to fit, always terminated): the va_list steps of every
 * printf-like helper, written once. */
#define CF_FORMAT_ARGS(buf, fmt)                                                                   \
    do {                                                                                           \
        va_list cf_ap_;                                                                            \
        va_start(cf_ap_, fmt);                                                                     \
        vsnprintf((buf), sizeof(buf), (fmt), cf_ap_);                                              \
        va_end(cf_ap_);                                                                            \
    } while (0)

#endif
