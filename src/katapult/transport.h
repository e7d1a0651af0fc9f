/* Where the Katapult layer reaches its buses: a table of functions, as
 * usb/usb.h has one for USB. The flows, discovery and the front ends go
 * through it and cannot tell one implementation from another.
 *
 * This machine's table (transport_host.c) opens SocketCAN sockets, reads CAN
 * interfaces through rtnetlink and USB serial devices through sysfs. Another
 * table may serve buses that exist only inside this process (a backend may
 * be simulated): it fills the same records, and says so through `machine`, so
 * that nothing of this machine (its /dev/serial names, a running klippy,
 * sysfs) is taken to describe those buses.
 *
 * A transport is created by whoever serves it and freed with
 * cf_kp_transport_free(); cf_kp_env.transport == NULL means this machine.
 */
#ifndef CF_KATAPULT_TRANSPORT_H
#define CF_KATAPULT_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "image/image.h"
#include "katapult/can.h"
#include "katapult/canlink.h"

struct cf_kp_usb_dev; /* katapult.h */

/* The longest CAN interface name a transport lists (IFNAMSIZ is 16). */
#define CF_KP_IFNAME_MAX 32

typedef struct cf_kp_transport cf_kp_transport;

struct cf_kp_transport_ops {
    const char *name; /* for messages: "host", ... */
    /* True when the buses are this machine's, so its files, processes and
     * device names describe them; false for buses that exist only in this
     * process (they also answer at once: no wait for udev or a reboot). */
    bool machine;
    /* A bus handle on ifname (never NULL). */
    cf_code (*can_open)(cf_kp_transport *t, const char *ifname, cf_kp_can **out, cf_error *err);
    /* Bus state and bitrate of ifname. */
    cf_code (*can_info)(cf_kp_transport *t, const char *ifname, cf_kp_canlink *out, cf_error *err);
    /* The CAN interfaces there are (at most cap names); returns their count. */
    size_t (*can_interfaces)(cf_kp_transport *t, char names[][CF_KP_IFNAME_MAX], size_t cap);
    /* Katapult- and Klipper-mode USB serial devices now attached.
     * sysfs_root: the fake tree tests pass, NULL for "/sys". */
    cf_code (*usb_list)(cf_kp_transport *t, const char *sysfs_root, struct cf_kp_usb_dev *devs,
                        size_t cap, size_t *count, cf_error *err);
    /* Whether a probe may be found on `link` (CF_IFACE_CAN or CF_IFACE_USB). */
    bool (*probe_may_be_on)(cf_kp_transport *t, cf_iface link);
    /* Optional: releases what the transport holds. NULL = nothing to free. */
    void (*free)(cf_kp_transport *t);
};

/* Every transport struct starts with this header. */
struct cf_kp_transport {
    const struct cf_kp_transport_ops *ops;
};

/* This machine's buses. Not freed. */
cf_kp_transport *cf_kp_transport_host(void);
/* Frees a transport; NULL and the host's are ignored. */
void cf_kp_transport_free(cf_kp_transport *t);

#endif
