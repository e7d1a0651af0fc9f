/* Chooses the USB backend: the simulated probe behind --simulate, libusb otherwise. */
#include "front/front.h"
#include "front/simulate.h"

/* --simulate[=SPEC]: the emulated probe (and mainboard) behind the simulated
 * backend, which owns them. Everything the simulator needs from a front end
 * to open a DFU bus is in here; without the simulator (-DCF_SIMULATOR=OFF)
 * this refuses with a usage error. */
static cf_code open_simulated(const char *spec, cf_usb_backend **be, cf_error *err)
{
    return cf_front_sim_usb(spec, be, err);
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
    cf_usb_backend_free(be); /* a simulated bus frees its emulators with it */
}
