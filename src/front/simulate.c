/* --simulate in a build with the simulator: forwards to src/sim/ (sim/sim.h). */
#include "front/simulate.h"

#include <string.h>

#include "sim/sim.h"

const char *cf_front_simulate_usage(void)
{
    return "[--simulate[=SPEC]] ";
}

/* Fault injection is compiled only into builds with the test suite. */
#ifdef CF_SIM_FAULTS
#define DFU_FAULTS_HELP                                                                            \
    " fault=KIND@N\n"                                                                              \
    "                     (stall, timeout, errwrite, errerase, bitflip, disconnect),\n"
#else
#define DFU_FAULTS_HELP "\n"
#endif

const char *cf_front_simulate_help(void)
{
    return "  --simulate[=SPEC]  use the simulated probe instead of hardware. SPEC is a comma\n"
           "                     list: dfu | dfu:f042 | dfu:g431, flash=PATH," DFU_FAULTS_HELP
           "                     appear=SECONDS, timing=on|off, start=idle|error;\n"
           "                     katapult-can | katapult-usb for the Katapult node (app=PATH:\n"
           "                     the firmware it runs; record=PATH: what it was asked)\n";
}

#ifndef CF_SIM_FAULTS
/* True when one of SPEC's comma-separated items is a fault=... key. */
static bool has_fault_item(const char *spec)
{
    for (const char *p = spec; p; p = strchr(p, ',')) {
        if (*p == ',')
            p++;
        if (strncmp(p, "fault=", 6) == 0)
            return true;
    }
    return false;
}
#endif

cf_code cf_front_check_simulator(const char *spec, cf_error *err)
{
#ifndef CF_SIM_FAULTS
    /* Said before any command runs, the same way for DFU and Katapult (the
     * parsers refuse it too). */
    if (has_fault_item(spec)) {
        cf_fail(err, CF_ERR_USAGE, "--simulate=%s: fault injection is not in this build", spec);
        cf_hint(err, "It comes with the test suite: build with -DCF_TESTS=ON.");
        return CF_ERR_USAGE;
    }
#endif
    (void)spec;
    (void)err;
    return CF_OK;
}

bool cf_front_sim_is_katapult(const char *spec)
{
    return cf_sim_spec_is_katapult(spec);
}

bool cf_front_sim_has_usb(const char *spec)
{
    return cf_sim_spec_has_usb(spec);
}

cf_code cf_front_sim_katapult(const char *spec, cf_kp_transport **out, cf_error *err)
{
    cf_sim_kp *sim = NULL;
    cf_code rc = cf_sim_kp_new(spec, &sim, err);
    *out = cf_sim_kp_transport(sim);
    return rc;
}

bool cf_front_sim_has_mainboard(cf_kp_transport *t)
{
    cf_sim_kp *sim = cf_sim_kp_of(t);
    return sim && cf_sim_kp_has_mainboard(sim);
}

cf_code cf_front_sim_usb(const char *spec, cf_usb_backend **out, cf_error *err)
{
    return cf_sim_usb_open(spec, out, err);
}

const char *cf_front_sim_no_can(const char *spec)
{
    return spec ? "the simulated probe has no CAN bus" : NULL;
}
