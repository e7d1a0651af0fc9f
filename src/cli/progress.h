/* Terminal progress for cf_flash_events: a one-line bar with percent, bytes and
 * rate on a terminal; plain lines otherwise. Writes to the given stream. */
#ifndef CF_CLI_PROGRESS_H
#define CF_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

#include "common/clock.h"
#include "flash/flash.h"

typedef struct cf_progress_view {
    FILE *out;
    bool tty;
    bool quiet_notices;
    int phase;            /* current phase, -1 none */
    uint64_t phase_start; /* ns */
    int last_percent;
} cf_progress_view;

void cf_progress_view_init(cf_progress_view *v, FILE *out, bool tty);
/* Fills ev with callbacks drawing into v. */
void cf_progress_view_events(cf_progress_view *v, cf_flash_events *ev);

#endif
