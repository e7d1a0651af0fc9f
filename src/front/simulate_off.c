/* --simulate in a build without the simulator (-DCF_SIMULATOR=OFF): nothing
 * of src/sim/ is linked; every entry refuses with the same usage error. */
#include "front/simulate.h"

#include <stddef.h>

const char *cf_front_simulate_usage(void)
{
    return "";
}

const char *cf_front_simulate_help(void)
{
    return "";
}

cf_code cf_front_check_simulator(const char *spec, cf_error *err)
{
    (void)spec;
    cf_fail(err, CF_ERR_USAGE,
            "this cartoflash was built without the simulator (-DCF_SIMULATOR=OFF)");
    cf_hint(err, "Build with -DCF_SIMULATOR=ON to use --simulate.");
    return CF_ERR_USAGE;
}

bool cf_front_sim_is_katapult(const char *spec)
{
    (void)spec;
    return false;
}

bool cf_front_sim_has_usb(const char *spec)
{
    (void)spec;
    return false;
}

cf_code cf_front_sim_katapult(const char *spec, cf_kp_transport **out, cf_error *err)
{
    (void)spec;
    *out = NULL;
    return cf_front_check_simulator(spec, err);
}

bool cf_front_sim_has_mainboard(cf_kp_transport *t)
{
    (void)t;
    return false;
}

cf_code cf_front_sim_usb(const char *spec, cf_usb_backend **out, cf_error *err)
{
    (void)spec;
    *out = NULL;
    return cf_front_check_simulator(spec, err);
}

const char *cf_front_sim_no_can(const char *spec)
{
    (void)spec;
    return NULL;
}
