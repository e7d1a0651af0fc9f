/* Terminal progress for cf_flash_events: a one-line bar with percent, bytes and
 * rate on a terminal; plain lines otherwise. Writes to the given stream, and
 * every notice and each phase's start and end to the debug log (common/log.h). */
#ifndef CF_CLI_PROGRESS_H
#define CF_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

#include "common/clock.h"
#include "flash/flash.h"
#include "front/front.h"

/* One phase as the progress events reported it, for --json reports. */
typedef struct cf_progress_phase {
    cf_flash_phase phase;
    size_t bytes;      /* the phase's total */
    uint64_t start_ns; /* first event */
    uint64_t end_ns;   /* last event */
} cf_progress_phase;

typedef struct cf_progress_view {
    FILE *out;
    bool tty;
    bool quiet_notices;
    int phase;            /* current phase, -1 none */
    uint64_t phase_start; /* ns */
    int last_percent;
    bool end_logged;              /* the current phase's end is in the debug log */
    cf_progress_phase phases[16]; /* in the order they ran (a phase may run twice) */
    size_t phase_count;
} cf_progress_view;

void cf_progress_view_init(cf_progress_view *v, FILE *out, bool tty);
/* Fills ev with callbacks drawing into v. */
void cf_progress_view_events(cf_progress_view *v, cf_flash_events *ev);
/* Starts v for a command's flash and fills ev: on stderr without bars under
 * --json (stdout is the document), else on stdout with bars on a terminal. */
void cf_cli_progress_start(const cf_front *cli, cf_progress_view *v, cf_flash_events *ev);
/* The phases seen so far as a JSON array of {"name", "bytes", "seconds"}. */
struct json_t;
struct json_t *cf_progress_view_phases_json(const cf_progress_view *v);

#endif
