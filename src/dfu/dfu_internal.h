/* Shared between dfu.c (DFU 1.1 requests) and dfuse.c (ST extensions). */
#ifndef CF_DFU_INTERNAL_H
#define CF_DFU_INTERNAL_H

#include "dfu/dfu.h"

#define CF_DFU_TIMEOUT_MS 5000u   /* per control transfer, as dfu-util and the ROM expect */
#define CF_DFU_STATE_UNKNOWN 0xFF /* after a request whose outcome we have not polled */

struct cf_dfu {
    cf_usb_dev *dev;
    uint8_t interface_number;
    uint16_t transfer_size;
    uint16_t dfu_version;
    uint64_t poll_deadline_ns; /* no request before this (bwPollTimeout) */
    uint8_t state;             /* last state seen in GETSTATUS, or CF_DFU_STATE_UNKNOWN */
    uint8_t *buf;              /* transfer_size + 1 bytes, for padding */
    uint32_t busy_limit_ms;    /* longest a device may stay busy (cf_dfu_set_busy_limit) */
};

/* Waits for the next GETSTATUS, but never past deadline_ns: a device that
 * reports a huge bwPollTimeout is asked again when the overall wait runs out. */
void cf_dfu_clip_poll(cf_dfu *dfu, uint64_t deadline_ns);

/* Class requests on the DFU interface. Both wait out the last bwPollTimeout first. */
cf_code cf_dfu_request_out(cf_dfu *dfu, uint8_t request, uint16_t value, const uint8_t *data,
                           uint16_t len, cf_error *err);
cf_code cf_dfu_request_in(cf_dfu *dfu, uint8_t request, uint16_t value, uint8_t *data, uint16_t len,
                          size_t *actual, cf_error *err);

/* An operation without an address (mass erase): messages name the operation only. */
#define CF_DFU_NO_ADDRESS 0xFFFFFFFFu
/* "page erase at 0x08000400", or "mass erase" for CF_DFU_NO_ADDRESS. */
const char *cf_dfu_where(char *buf, size_t size, const char *op, uint32_t addr);

/* Failure reports that name the operation and address.
 * cf_dfu_fail_cause: the transfer failed (cause holds the transport error);
 *   after a STALL the device's status is read and added to the message.
 * cf_dfu_fail_status: the device reported an error status. */
cf_code cf_dfu_fail_cause(cf_dfu *dfu, cf_error *err, const cf_error *cause, const char *op,
                          uint32_t addr);
cf_code cf_dfu_fail_status(cf_error *err, const cf_dfu_status *st, const char *op, uint32_t addr);
/* The "still in DFU mode, safe to retry" hint for a code. */
void cf_dfu_retry_hint(cf_error *err, cf_code code);

#endif
