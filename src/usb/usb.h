/* USB transport: the only thing the DFU engine knows about the bus.
 *
 * Backends implement it (libusb's split, in small): usb_libusb.c talks to
 * real devices through libusb-1.0; another backend may be simulated (it
 * fills in the same ops table, below). The engine cannot tell them apart.
 *
 * Contract:
 *  - cf_usb_list_dfu() lists every DFU-capable interface (class 0xFE,
 *    subclass 0x01) now attached, with its functional descriptor and the name
 *    of every alt setting. A device in run-time mode (protocol 1) is listed too,
 *    flagged by dfu_mode == false.
 *  - cf_usb_select() picks exactly one entry by a selector: "" or NULL (the
 *    only DFU-mode device), "VID:PID" (hex), a bus path "1-1.3", or
 *    "serial=XYZ" / a bare serial. Two matches is CF_ERR_AMBIGUOUS with the
 *    candidates listed in the message, never a guess. A single match that
 *    this user may not open (access_denied) is CF_ERR_ACCESS with the udev
 *    rule as hint.
 *  - cf_usb_open() opens, claims the interface and selects alt setting 0.
 *  - cf_usb_control() is one control transfer. STALL -> CF_ERR_STALL,
 *    timeout -> CF_ERR_TIMEOUT, device gone -> CF_ERR_GONE, permission ->
 *    CF_ERR_ACCESS. `*actual` gets the bytes moved in the data stage.
 *  - cf_usb_wait_dfu() waits up to timeout_ms for a DFU-mode device matching
 *    the selector to appear (hotplug where available, fast polling otherwise),
 *    calling `tick` about every 100 ms so a front end can draw a countdown or
 *    cancel (tick returns false to stop: CF_ERR_CANCELLED). Nothing by the
 *    deadline is CF_ERR_NOT_FOUND (with the "put it in DFU mode" hint); two
 *    matching devices is CF_ERR_AMBIGUOUS at once. A device found but not
 *    openable for lack of permission is CF_ERR_ACCESS (with the udev rule
 *    as hint) after up to 1 s of grace for udev to apply the rule.
 */
#ifndef CF_USB_USB_H
#define CF_USB_USB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/usbid.h"

#define CF_USB_MAX_ALTS 8

/* DFU functional descriptor (DFU 1.1 table 4.2). */
typedef struct cf_dfu_functional {
    uint8_t attributes; /* bmAttributes: bit0 download, bit1 upload, bit2 manifestation tolerant,
                           bit3 will detach */
    uint16_t detach_timeout; /* ms */
    uint16_t transfer_size;  /* wTransferSize */
    uint16_t dfu_version;    /* bcdDFUVersion, 0x011A for DfuSe */
} cf_dfu_functional;

typedef struct cf_usb_dfu_info {
    uint16_t vid, pid, bcd_device;
    uint8_t bus, address;
    char bus_path[32]; /* "1-1.3": bus number, then port numbers */
    char manufacturer[128];
    char product[128];
    char serial[128];
    uint8_t interface_number;
    bool dfu_mode; /* interface protocol 2 (DFU mode) vs 1 (run-time) */
    bool has_functional;
    cf_dfu_functional functional;
    /* Opening the device to read its strings failed with LIBUSB_ERROR_ACCESS:
     * strings are empty and `note` says why (the udev rule fixes it). */
    bool access_denied;
    char note[160];
    int alt_count;
    struct {
        uint8_t alt;
        char name[256]; /* iInterface string, e.g. "@Internal Flash  /0x08000000/032*0001Kg" */
    } alts[CF_USB_MAX_ALTS];
} cf_usb_dfu_info;

typedef struct cf_usb_setup {
    uint8_t request_type; /* bmRequestType; bit 7 set = device-to-host */
    uint8_t request;
    uint16_t value;
    uint16_t index;
    uint16_t length;
} cf_usb_setup;

typedef struct cf_usb_backend cf_usb_backend;
typedef struct cf_usb_dev cf_usb_dev;

/* Backends. */
cf_code cf_usb_backend_libusb(cf_usb_backend **out, cf_error *err);
void cf_usb_backend_free(cf_usb_backend *be);

/* Enumeration; free the list with free(). */
cf_code cf_usb_list_dfu(cf_usb_backend *be, cf_usb_dfu_info **list, size_t *count, cf_error *err);

/* Picks one DFU-mode entry of `list` matching `selector`; sets *index. */
cf_code cf_usb_select(const cf_usb_dfu_info *list, size_t count, const char *selector,
                      size_t *index, cf_error *err);

typedef bool (*cf_usb_tick_fn)(void *user, uint64_t elapsed_ms, uint64_t timeout_ms);
/* Waits for a DFU-mode device matching selector; fills *found. */
cf_code cf_usb_wait_dfu(cf_usb_backend *be, const char *selector, uint64_t timeout_ms,
                        cf_usb_tick_fn tick, void *user, cf_usb_dfu_info *found, cf_error *err);

cf_code cf_usb_open(cf_usb_backend *be, const cf_usb_dfu_info *info, cf_usb_dev **out,
                    cf_error *err);
cf_code cf_usb_set_alt(cf_usb_dev *dev, uint8_t alt, cf_error *err);
cf_code cf_usb_control(cf_usb_dev *dev, const cf_usb_setup *setup, uint8_t *data, size_t *actual,
                       unsigned timeout_ms, cf_error *err);
/* Releases the interface and closes; safe on a device that has gone. */
void cf_usb_close(cf_usb_dev *dev);

/* cf_usb_identity: common/usbid.h. */

/* A USB device without a DFU interface: what a probe's firmware enumerates
 * as once it runs (Cartographer/Klipper 1d50:614e, Katapult 1d50:6177). */
typedef struct cf_usb_runtime_info {
    cf_usb_identity id;
} cf_usb_runtime_info;

/* Devices of the bus that are not DFU interfaces. The libusb backend reads
 * sysfs (cf_usb_sysfs_list: no device is opened, no permission needed).
 * Another backend may model them (a simulated one does: after leave its probe
 * runs what its flash holds, so the Cartographer app appears here about a
 * second later, on the same port). Cheap and safe to call from a
 * cf_usb_wait_dfu() tick. */
cf_code cf_usb_list_runtime(cf_usb_backend *be, cf_usb_runtime_info *out, size_t cap, size_t *count,
                            cf_error *err);
/* True when the backend reaches the firmware of the run-time devices it lists
 * through cf_usb_open_runtime_line() (they have no tty of this machine): its
 * cf_usb_list_runtime() is then the whole of the machine's USB. */
bool cf_usb_backend_has_runtime_lines(const cf_usb_backend *be);

/* ---- sysfs (usb/sysfs.c): the one reader of USB devices in /sys ---- */

/* The identity of the USB device whose sysfs folder is devdir; false when it
 * has no idVendor/idProduct (a root hub's interface, not a device). */
bool cf_usb_sysfs_identity(const char *devdir, cf_usb_identity *out);
/* Every USB device under sysfs_root/bus/usb/devices ("/sys" on a host) that
 * has no DFU-mode interface. */
cf_code cf_usb_sysfs_list(const char *sysfs_root, cf_usb_runtime_info *out, size_t cap,
                          size_t *count, cf_error *err);
/* Called for each tty of a USB interface (tty "ttyACM0", devdir the USB
 * device's sysfs folder); false stops the walk. */
typedef bool (*cf_usb_tty_fn)(void *user, const char *tty, const char *devdir,
                              const cf_usb_identity *id);
/* Walks sysfs_root/class/tty: the ttys whose device is a USB interface, with
 * the identity of the USB device above it. */
cf_code cf_usb_sysfs_ttys(const char *sysfs_root, cf_usb_tty_fn fn, void *user, cf_error *err);

struct cf_kp_stream; /* katapult/stream.h: a byte line */
/* A byte line to the firmware of the run-time device on bus_path, as its
 * serial port would carry it, for a backend that models what that firmware
 * answers (a simulated one may), so a client can ask it what it runs (Klipper's
 * identify). Close with cf_kp_stream_close(). On hardware open the device's
 * tty instead: the libusb backend returns CF_ERR_UNSUPPORTED. A device whose
 * firmware answers nothing is CF_ERR_TIMEOUT. */
cf_code cf_usb_open_runtime_line(cf_usb_backend *be, const char *bus_path,
                                 struct cf_kp_stream **out, cf_error *err);

/* Finds the DFU functional descriptor (type 0x21) in a blob of descriptors
 * (an interface's or configuration's "extra" bytes, or a GET_DESCRIPTOR reply),
 * walking bLength-prefixed descriptors with bounds checks. Accepts DFU 1.0's
 * 7-byte form (dfu_version reported as 0x0100). CF_ERR_NOT_FOUND if absent,
 * CF_ERR_FORMAT if the blob is malformed. */
cf_code cf_usb_parse_functional(const uint8_t *buf, size_t len, cf_dfu_functional *out,
                                cf_error *err);

/* The one udev rule, data/udev/70-cartoflash.rules as built in: 0483:df11 (the
 * STM32 DFU bootloader) only, uaccess plus group plugdev 0660. No rule is
 * needed for a probe running Klipper or Katapult (a serial device: dialout). */
const char *cf_usb_udev_rule(void);
/* What to run to install that rule (used in hints); contains the rule verbatim. */
const char *cf_usb_udev_hint(void);

/* ---- backend implementation interface (usb_backend.h style, kept here) ---- */
struct cf_usb_backend_ops {
    const char *name;
    cf_code (*list)(cf_usb_backend *be, cf_usb_dfu_info **list, size_t *count, cf_error *err);
    /* Optional: block up to timeout_ms for an arrival (hotplug). CF_OK when a
     * device arrived, CF_ERR_TIMEOUT when none did. NULL = poll. */
    cf_code (*wait_arrival)(cf_usb_backend *be, unsigned timeout_ms, cf_error *err);
    cf_code (*open)(cf_usb_backend *be, const cf_usb_dfu_info *info, cf_usb_dev **out,
                    cf_error *err);
    cf_code (*set_alt)(cf_usb_dev *dev, uint8_t alt, cf_error *err);
    cf_code (*control)(cf_usb_dev *dev, const cf_usb_setup *setup, uint8_t *data, size_t *actual,
                       unsigned timeout_ms, cf_error *err);
    void (*close)(cf_usb_dev *dev);
    void (*free)(cf_usb_backend *be);
    /* Optional: cf_usb_list_runtime(). NULL = CF_ERR_UNSUPPORTED. */
    cf_code (*list_runtime)(cf_usb_backend *be, cf_usb_runtime_info *out, size_t cap, size_t *count,
                            cf_error *err);
    /* Optional: cf_usb_open_runtime_line(). NULL = CF_ERR_UNSUPPORTED. */
    cf_code (*open_runtime_line)(cf_usb_backend *be, const char *bus_path,
                                 struct cf_kp_stream **out, cf_error *err);
};

/* Every backend struct starts with this header. */
struct cf_usb_backend {
    const struct cf_usb_backend_ops *ops;
};
struct cf_usb_dev {
    const struct cf_usb_backend_ops *ops;
};

#endif
