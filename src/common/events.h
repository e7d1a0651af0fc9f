/* What a flash (over DFU or through Katapult) tells its front end while it
 * runs: which phase it is in, how far it got, and one-line notices. The
 * flash layers report through these; the CLI and the menu listen. */
#ifndef CF_COMMON_EVENTS_H
#define CF_COMMON_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum cf_flash_phase {
    CF_PHASE_CONNECT = 0,
    CF_PHASE_CHECK, /* safety gates */
    CF_PHASE_READ,  /* read current contents / backup */
    CF_PHASE_ERASE,
    CF_PHASE_WRITE,
    CF_PHASE_VERIFY,
    CF_PHASE_LEAVE,
    CF_PHASE_DONE
} cf_flash_phase;

const char *cf_flash_phase_name(cf_flash_phase p); /* "connect", "erase", ... */

/* Progress and notices for front ends; both optional. */
typedef struct cf_flash_events {
    void *user;
    /* done/total in bytes for READ/ERASE/WRITE/VERIFY; called with done == 0 at
     * the start of a phase and done == total at its end. */
    void (*progress)(void *user, cf_flash_phase phase, size_t done, size_t total);
    /* One line of information or warning ("backup saved to ...", forced gate). */
    void (*notice)(void *user, bool warning, const char *text);
} cf_flash_events;

/* Formats one notice and hands it to ev->notice; nothing when ev or its
 * notice is NULL. */
void cf_flash_notice(const cf_flash_events *ev, bool warning, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Calls ev->progress when there is one. */
void cf_flash_progress(const cf_flash_events *ev, cf_flash_phase phase, size_t done, size_t total);

#endif
