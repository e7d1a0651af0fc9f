/* What the flows need from the in-process simulator (katapult.h has the rest). */
#ifndef CF_KATAPULT_SIM_INTERNAL_H
#define CF_KATAPULT_SIM_INTERNAL_H

#include "katapult/can.h"
#include "katapult/katapult.h"

/* A bus handle on the simulated CAN bus (CF_ERR_UNSUPPORTED for a USB sim). */
cf_code cf_kp_sim_can_open(cf_kp_sim *sim, const char *ifname, cf_kp_can **out, cf_error *err);
/* The emulated USB device as sysfs would show it (0 or 1 entries). */
size_t cf_kp_sim_usb_list(cf_kp_sim *sim, cf_kp_usb_dev *devs, size_t cap);
bool cf_kp_sim_is_can(const cf_kp_sim *sim);

#endif
