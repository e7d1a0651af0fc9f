/* Shared by the files of the switch (see switch.h). */
#ifndef CF_UPDATE_SWITCH_INTERNAL_H
#define CF_UPDATE_SWITCH_INTERNAL_H

#include "update/switch.h"

typedef struct cf_sw_run {
    const cf_switch_opts *o;
    const cf_switch_events *ev;
    cf_switch_result *res;
    cf_catalog *cat;
    cf_kp_timing timing;
} cf_sw_run;

void cf_sw_note(const cf_sw_run *c, cf_switch_note kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The re-cabling instructions for the state's new link, as one note. */
void cf_sw_note_recable(const cf_sw_run *c);
/* Step "arrived": the same chip in Katapult on the new link (switch_wait.c). */
cf_code cf_sw_step_wait(cf_sw_run *c, cf_error *err);

#endif
