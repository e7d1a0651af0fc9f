/* Shared by the files of src/update/ (see update.h). */
#ifndef CF_UPDATE_INTERNAL_H
#define CF_UPDATE_INTERNAL_H

#include "klipper/cameback.h"
#include "update/update.h"

void cf_up_note(const cf_update_events *ev, cf_update_note kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* --version V: the catalogue image with that version that fits filter. */
cf_code cf_up_pick_version(cf_catalog *cat, const cf_catalog_filter *filter, const char *want,
                           cf_catalog_entry *out, cf_error *err);
/* Refuses an image whose manifest needs a newer plugin than the installed one. */
cf_code cf_up_plugin_gate(const cf_update_opts *o, const cf_update_events *ev,
                          const cf_catalog_entry *target, cf_error *err);
/* After the flash the probe was seen (cb): confirmed when it runs the image's
 * build; a different build, or none read, is CF_ERR_VERIFY. */
cf_code cf_up_confirm(const cf_update_events *ev, const cf_came_back *cb, cf_update_result *res,
                      cf_error *err);
/* The probe in DFU mode (update_dfu.c). */
cf_code cf_up_run_dfu(const cf_update_opts *o, const cf_update_events *ev, cf_update_result *res,
                      cf_error *err);

#endif
