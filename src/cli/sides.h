/* Where status and update look for probes: under --simulate=katapult-... the
 * simulated Katapult node, under any other --simulate the simulated DFU probe,
 * on hardware both libusb (DFU) and the real serial and CAN buses. */
#ifndef CF_CLI_SIDES_H
#define CF_CLI_SIDES_H

#include <stdbool.h>

#include "catalog/catalog.h"
#include "front/front.h"
#include "katapult/katapult.h"
#include "klipper/status.h"

typedef struct cf_cli_sides {
    cf_kp_transport *sim; /* the simulated Katapult node, else NULL */
    cf_usb_backend *dfu;  /* the DFU side, else NULL */
    bool kp_side;         /* there is a Katapult (serial and CAN) side */
    cf_kp_env env;        /* that side: sim, or the real buses */
    cf_catalog *cat;      /* the catalogue, NULL when it could not be opened: */
    cf_code cat_rc;       /* why (cat_err) */
    cf_error cat_err;
} cf_cli_sides;

/* Opens the sides, then the catalogue copts names, and points the status scan
 * so at them (and at printer.cfg on hardware, and at Moonraker). On hardware a
 * USB backend that cannot be opened leaves only the serial and CAN side (no
 * libusb access is no reason to hide those probes); under --simulate it is
 * an error, as is a side that cannot be opened. A catalogue that cannot be
 * opened is no error here: each command decides. s must outlive the scan;
 * close it with cf_cli_sides_close() after a success. */
cf_code cf_cli_sides_open(const cf_front *cli, const cf_catalog_opts *copts, cf_cli_sides *s,
                          cf_status_opts *so, cf_error *err);
/* Adds one --interface IF to the CAN interfaces a scan asks (past the
 * table's room, ignored). */
void cf_cli_add_can_if(cf_status_opts *so, const char *name);
void cf_cli_sides_close(cf_cli_sides *s);

#endif
