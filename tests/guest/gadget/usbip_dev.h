/* A USB device served from user space through the kernel's USB/IP virtual
 * host controller (vhci_hcd), on the same machine.
 *
 * Why not GadgetFS: its ep0 buffer is 256 bytes, and since the 2021 fix for
 * oversized ep0 requests it STALLs every control OUT longer than that and
 * truncates longer INs, so a DFU block of wTransferSize 2048 can never pass
 * (measured in the guest with Debian's 6.1 kernel). FunctionFS refuses the DFU
 * functional descriptor. USB/IP carries each control transfer whole: the
 * kernel's vhci_hcd sends every URB of the attached device over a socket as a
 * USBIP_CMD_SUBMIT and we answer with USBIP_RET_SUBMIT, so usbcore, usbfs and
 * libusb on the host side are the real, unmodified stack.
 *
 * The device is attached by handing one end of a socketpair to
 * /sys/devices/platform/vhci_hcd.0/attach; detaching it (or closing the
 * socket) is an unplug as far as usbcore is concerned.
 *
 * Wire format (Documentation/usb/usbip_protocol.rst): 48-byte headers, all
 * fields big-endian except the 8 setup bytes, which are as on the USB wire.
 */
#ifndef CF_GUEST_USBIP_DEV_H
#define CF_GUEST_USBIP_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    USBIP_CMD_SUBMIT = 1,
    USBIP_CMD_UNLINK = 2,
    USBIP_RET_SUBMIT = 3,
    USBIP_RET_UNLINK = 4,
};
#define USBIP_DIR_OUT 0
#define USBIP_DIR_IN 1
#define USBIP_HEADER_SIZE 48

/* One request from the host (a decoded CMD_SUBMIT or CMD_UNLINK). */
typedef struct usbip_cmd {
    uint32_t command;
    uint32_t seqnum;
    uint32_t direction;
    uint32_t ep;
    uint32_t buffer_length; /* CMD_SUBMIT: bytes of data (OUT: follow the header) */
    uint8_t setup[8];       /* CMD_SUBMIT on ep0 */
    uint32_t unlink_seqnum; /* CMD_UNLINK */
} usbip_cmd;

typedef struct usbip_dev {
    int fd;   /* our end of the socketpair, -1 when detached */
    int port; /* vhci port number, -1 when detached */
} usbip_dev;

/* Plugs a device of the given USB speed (2 = full speed) into a free port of
 * the virtual host controller. On failure returns -1 with a message in msg. */
int usbip_attach(usbip_dev *dev, unsigned speed, char *msg, size_t msg_cap);
/* Unplugs it (detach + close); safe when already detached. */
void usbip_detach(usbip_dev *dev);
/* Waits (up to timeout_ms) until the kernel has read everything we sent, so a
 * reply is delivered before an unplug that follows it. */
void usbip_drain(usbip_dev *dev, unsigned timeout_ms);

/* Reads one command header. Returns 1 on success, 0 when the host side closed
 * the connection, -1 on error (errno set; EINTR when a signal arrived). */
int usbip_read_cmd(usbip_dev *dev, usbip_cmd *cmd);
/* Reads exactly len bytes of OUT data. Returns 0 or -1. */
int usbip_read_data(usbip_dev *dev, uint8_t *buf, size_t len);
/* Sends RET_SUBMIT (status is 0 or a negative errno such as -EPIPE) followed
 * by `actual` bytes of IN data when `in_data` is not NULL. Returns 0 or -1. */
int usbip_ret_submit(usbip_dev *dev, uint32_t seqnum, int32_t status, uint32_t actual,
                     const uint8_t *in_data);
int usbip_ret_unlink(usbip_dev *dev, uint32_t seqnum, int32_t status);

#endif
