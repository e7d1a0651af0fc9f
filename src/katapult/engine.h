/* Internal: shared pieces of the CAN and USB flows. */
#ifndef CF_KATAPULT_ENGINE_H
#define CF_KATAPULT_ENGINE_H

#include <stdarg.h>

#include "katapult/can.h"
#include "katapult/katapult.h"
#include "katapult/session.h"

/* What a flow waits for the bootloader or the app: opts->wait_ms, 10 s
 * when it is 0 (katapult.h). */
unsigned cf_kp_wait_ms(const cf_kp_opts *opts);

/* Clears rep for a flow that starts with its checks (failed_phase
 * CF_PHASE_CHECK); returns the time it starts at, for rep->seconds. */
uint64_t cf_kp_report_begin(cf_kp_report *rep);

cf_code cf_kp_connect(cf_kp_session *ss, cf_kp_connect_info *node, cf_error *err);

/* Gates on CONNECT's answer (gates.c): a valid block size, the image's
 * address as the application start, the image's MCU (required unless
 * forced) and its fit in that MCU's flash. */
cf_code cf_kp_connect_gates(const cf_kp_connect_info *node, const cf_image *img,
                            const cf_image_info *info, bool force, cf_error *err);

/* After a successful CONNECT: gates, (CAN) UUID check, write, EOF, verify,
 * COMPLETE only when everything was verified. */
cf_code cf_kp_run(cf_kp_session *ss, const cf_kp_connect_info *node, const cf_image *img,
                  const cf_image_info *info, const uint8_t *expect_uuid, bool force,
                  const cf_flash_events *ev, cf_kp_report *rep, cf_error *err);

#endif
