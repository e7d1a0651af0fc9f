/* The shared flash events: phase names and the two calls every flash makes. */
#include "common/events.h"

#include "common/error.h" /* CF_FORMAT_ARGS */

void cf_flash_notice(const cf_flash_events *ev, bool warning, const char *fmt, ...)
{
    if (!ev || !ev->notice)
        return;
    char text[512];
    CF_FORMAT_ARGS(text, fmt);
    ev->notice(ev->user, warning, text);
}

void cf_flash_progress(const cf_flash_events *ev, cf_flash_phase phase, size_t done, size_t total)
{
    if (ev && ev->progress)
        ev->progress(ev->user, phase, done, total);
}

const char *cf_flash_phase_name(cf_flash_phase p)
{
    switch (p) {
    case CF_PHASE_CONNECT:
        return "connect";
    case CF_PHASE_CHECK:
        return "safety check";
    case CF_PHASE_READ:
        return "read-back";
    case CF_PHASE_ERASE:
        return "erase";
    case CF_PHASE_WRITE:
        return "download";
    case CF_PHASE_VERIFY:
        return "verify";
    case CF_PHASE_LEAVE:
        return "leave";
    case CF_PHASE_DONE:
        return "done";
    }
    return "unknown";
}
