/* The one USB identity: who a USB device says it is, as sysfs shows it
 * (idVendor, idProduct, bcdDevice and the three strings; Linux
 * Documentation/ABI/stable/sysfs-bus-usb), and where it is plugged in. The
 * usb layer's sysfs reader fills it on a host; the simulated probe, its
 * boot model and the emulated Katapult node describe themselves with it. */
#ifndef CF_COMMON_USBID_H
#define CF_COMMON_USBID_H

#include <stdint.h>

typedef struct cf_usb_identity {
    uint16_t vid, pid, bcd_device;
    char bus_path[32];     /* "1-1.3": bus number, then port numbers; "" when not known */
    char manufacturer[64]; /* "" when the device sends none */
    char product[64];
    char serial[64];
} cf_usb_identity;

#endif
