/* Chooses the USB backend: the simulated probe behind --simulate, libusb otherwise. */
#include <string.h>

#include "emu/stm32_dfu.h"
#include "front/front.h"

/* A front end drives one probe per process, so one simulated probe at most
 * (and the mainboard next to it, with mainboard=...). */
static cf_emu *sim_emu, *sim_mainboard;

static void free_simulated(void)
{
    cf_emu_free(sim_emu);
    cf_emu_free(sim_mainboard);
    sim_emu = sim_mainboard = NULL;
}

/* --simulate[=SPEC]: the emulated probe (and mainboard) behind the simulated
 * backend. Everything the simulator needs from a front end is in here. */
static cf_code open_simulated(const char *spec, cf_usb_backend **be, cf_error *err)
{
    if (strncmp(spec, "katapult", 8) == 0) {
        cf_fail(err, CF_ERR_USAGE, "--simulate=%s simulates a Katapult node, not a DFU device",
                spec);
        cf_hint(err, "Use --simulate=dfu (or dfu:g431) for DFU commands.");
        return CF_ERR_USAGE;
    }
    cf_emu_config cfg;
    cf_emu_config_default(&cfg);
    cf_code rc = cf_emu_parse_spec(spec, &cfg, err);
    if (rc == CF_OK)
        rc = cf_emu_new(&cfg, &sim_emu, err);
    if (rc == CF_OK)
        rc = cf_usb_backend_sim(sim_emu, be, err);
    if (rc == CF_OK)
        rc = cf_usb_backend_sim_runtime(*be, cfg.noapp, cfg.mainboard_klipper, err);
    if (rc == CF_OK && cfg.mainboard) {
        cf_emu_config mb;
        cf_emu_config_default(&mb);
        mb.chip = cfg.mainboard_chip;
        mb.timing = cfg.timing;
        rc = cf_emu_new(&mb, &sim_mainboard, err);
        if (rc == CF_OK)
            rc = cf_usb_backend_sim_add(*be, sim_mainboard, err);
    }
    if (rc != CF_OK) {
        cf_usb_backend_free(*be);
        *be = NULL;
        free_simulated();
    }
    return rc;
}

cf_code cf_front_open_backend(const cf_front *fe, cf_usb_backend **be, cf_error *err)
{
    *be = NULL;
    if (fe->simulate)
        return open_simulated(fe->simulate, be, err);
    return cf_usb_backend_libusb(be, err);
}

void cf_front_close_backend(cf_usb_backend *be)
{
    if (be)
        cf_usb_backend_free(be);
    free_simulated();
}
