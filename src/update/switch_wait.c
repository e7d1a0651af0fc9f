/* The switch's re-cabling instructions and its wait for the probe on the new
 * link (see switch.h). */
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/safe.h"
#include "update/switch_internal.h"

void cf_sw_note_recable(const cf_sw_run *c)
{
    const cf_sw_state *st = &c->res->state;
    char power[96];
    snprintf(power, sizeof(power), "%s must be up at %u bit/s.", st->interface,
             (unsigned)st->bitrate);
    if (st->to == CF_IFACE_CAN)
        cf_sw_note(c, CF_SWN_RECABLE,
                   "Now move the probe to CAN:\n"
                   "  1. Power the printer off.\n"
                   "  2. Unplug the USB cable; wire the probe to the CAN bus (CAN H, CAN L, "
                   "24 V, GND).\n"
                   "  3. If the probe ends the bus, fit its 120 ohm terminator jumper (a bus "
                   "has exactly two, one at each end).\n"
                   "  4. Power on. %s\n"
                   "If this computer goes off with the printer, run `cartoflash switch` once it "
                   "is back: it continues from here.",
                   power);
    else
        cf_sw_note(c, CF_SWN_RECABLE,
                   "Now move the probe to USB:\n"
                   "  1. Power the printer off.\n"
                   "  2. Disconnect the CAN wiring; if the probe's 120 ohm terminator jumper "
                   "was fitted, the bus needs a terminator at that end again.\n"
                   "  3. Connect the probe with a USB data cable, and power on.\n"
                   "If this computer goes off with the printer, run `cartoflash switch` once it "
                   "is back: it continues from here.");
}

/* One look for the probe in Katapult on the new link; on USB its serial is
 * taken from the device whose serial gives the remembered UUID. */
static bool seen(cf_sw_run *c)
{
    cf_sw_state *st = &c->res->state;
    cf_error e = {0};
    size_t n = 0;
    if (st->to == CF_IFACE_CAN) {
        cf_kp_found_uuid f[32];
        if (cf_kp_can_query_env(c->o->env, st->interface, 300, f, 32, &n, &e) == CF_OK)
            for (size_t i = 0; i < n; i++)
                if (strcmp(f[i].uuid, st->uuid) == 0 && f[i].app == CF_KP_APP_KATAPULT)
                    return true;
        return false;
    }
    cf_kp_usb_dev d[16];
    char u[13];
    if (cf_kp_usb_list(c->o->env, d, 16, &n, &e) == CF_OK)
        for (size_t i = 0; i < n; i++)
            if (d[i].app == CF_KP_APP_KATAPULT && cf_kp_uuid_from_serial(d[i].serial, u) &&
                strcmp(u, st->uuid) == 0) {
                cf_strlcpy(st->serial, sizeof(st->serial), d[i].serial);
                return true;
            }
    return false;
}

cf_code cf_sw_step_wait(cf_sw_run *c, cf_error *err)
{
    const cf_sw_state *st = &c->res->state;
    unsigned wait_ms = c->o->wait_ms;
    cf_sw_note_recable(c);
    cf_sw_note(c, CF_SWN_WAIT, "Waiting up to %.0f s for the probe in Katapult on %s (%s %s)...",
               wait_ms / 1000.0, cf_switch_link_word(st->to), st->serial[0] ? "chip" : "CAN UUID",
               st->serial[0] ? st->serial : st->uuid);
    uint64_t deadline = cf_now_ns() + (uint64_t)wait_ms * 1000000ull;
    for (uint64_t now = cf_now_ns();; now = cf_now_ns()) { /* looks once even with no time */
        if (seen(c))
            return CF_OK;
        if (now >= deadline)
            break;
        unsigned left = (unsigned)((deadline - now) / 1000000ull);
        if (c->ev && c->ev->waiting && !c->ev->waiting(c->ev->user, left)) {
            cf_fail(err, CF_ERR_CANCELLED, "stopped waiting for the probe on %s",
                    cf_switch_link_word(st->to));
            cf_hint(err, "the deployer is flashed; re-cable the probe and run the switch again: "
                         "it continues from here");
            return CF_ERR_CANCELLED;
        }
        cf_sleep_ns(200000000);
    }
    cf_fail(err, CF_ERR_TIMEOUT, "the probe was not seen in Katapult on %s within %.0f s",
            cf_switch_link_word(st->to), wait_ms / 1000.0);
    cf_hint(err, st->to == CF_IFACE_CAN
                     ? "check the CAN wiring, the termination and that the interface runs at the "
                       "probe's bitrate; then run `cartoflash switch` again: it continues from here"
                     : "check the USB cable (a data cable) and the port; then run `cartoflash "
                       "switch` again: it continues from here");
    return CF_ERR_TIMEOUT;
}
