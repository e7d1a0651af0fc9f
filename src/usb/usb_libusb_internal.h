/* Internal to the libusb backend; exposed only so unit tests can check the
 * error mapping without hardware. */
#ifndef CF_USB_LIBUSB_INTERNAL_H
#define CF_USB_LIBUSB_INTERNAL_H

#include "common/error.h"

/* Maps a negative libusb return code to a cf_code, filling err with
 * "<what>: <explanation> (LIBUSB_ERROR_x)" and, for EACCES, the udev hint. */
cf_code cf_usb_libusb_error(int rc, cf_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
