/* Internal to the libusb backend; exposed only so unit tests can check the
 * error mapping without hardware. */
#ifndef CF_USB_LIBUSB_INTERNAL_H
#define CF_USB_LIBUSB_INTERNAL_H

#include <libusb.h>
#include <stdbool.h>

#include "common/error.h"
#include "usb/usb.h"

/* Maps a negative libusb return code to a cf_code, filling err with
 * "<what>: <explanation> (LIBUSB_ERROR_x)" and, for EACCES, the udev hint. */
cf_code cf_usb_libusb_error(int rc, cf_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Class 0xFE, subclass 0x01 on the interface's first alt setting. */
bool cf_usb_libusb_is_dfu(const struct libusb_interface *itf);

/* Fills the descriptor-derived fields of *d (IDs, interface, DFU mode, alt
 * settings, functional descriptor; names when h is an open handle). Bus
 * position is the caller's. denied: opening failed with EACCES. */
void cf_usb_libusb_describe(const struct libusb_device_descriptor *dd,
                            const struct libusb_config_descriptor *cfg,
                            const struct libusb_interface *itf, libusb_device_handle *h,
                            bool denied, cf_usb_dfu_info *d);

#endif
