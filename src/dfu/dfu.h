/* DFU 1.1 + ST DfuSe protocol engine over a cf_usb_dev.
 *
 * Contract:
 *  - Every request uses a per-transfer timeout (5000 ms) and honours the
 *    device's bwPollTimeout before the next GETSTATUS.
 *  - cf_dfu_start() brings the device to dfuIDLE: CLRSTATUS only in dfuERROR,
 *    ABORT in dnload/upload-idle, with a retry cap.
 *  - DfuSe commands (set address, page erase, mass erase) follow the ST flow:
 *    first poll must show dfuDNBUSY, then poll until not busy, status must be OK.
 *  - On failure the cf_error names the operation, the address and, for a
 *    device-reported error, the DFU status by name and meaning; the engine
 *    never sends leave on its own.
 *  - No printing. Progress is reported through cf_dfu_progress_fn.
 */
#ifndef CF_DFU_DFU_H
#define CF_DFU_DFU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "usb/usb.h"

/* DFU states (bState) and statuses (bStatus). */
enum {
    CF_DFU_APP_IDLE = 0,
    CF_DFU_APP_DETACH = 1,
    CF_DFU_IDLE = 2,
    CF_DFU_DNLOAD_SYNC = 3,
    CF_DFU_DNBUSY = 4,
    CF_DFU_DNLOAD_IDLE = 5,
    CF_DFU_MANIFEST_SYNC = 6,
    CF_DFU_MANIFEST = 7,
    CF_DFU_MANIFEST_WAIT_RESET = 8,
    CF_DFU_UPLOAD_IDLE = 9,
    CF_DFU_ERROR = 10
};
enum {
    CF_DFU_STATUS_OK = 0x00,
    CF_DFU_ERR_TARGET = 0x01,
    CF_DFU_ERR_FILE = 0x02,
    CF_DFU_ERR_WRITE = 0x03,
    CF_DFU_ERR_ERASE = 0x04,
    CF_DFU_ERR_CHECK_ERASED = 0x05,
    CF_DFU_ERR_PROG = 0x06,
    CF_DFU_ERR_VERIFY = 0x07,
    CF_DFU_ERR_ADDRESS = 0x08,
    CF_DFU_ERR_NOTDONE = 0x09,
    CF_DFU_ERR_FIRMWARE = 0x0A,
    CF_DFU_ERR_VENDOR = 0x0B,
    CF_DFU_ERR_USBR = 0x0C,
    CF_DFU_ERR_POR = 0x0D,
    CF_DFU_ERR_UNKNOWN = 0x0E,
    CF_DFU_ERR_STALLEDPKT = 0x0F
};
/* Class requests. */
enum {
    CF_DFU_REQ_DETACH = 0,
    CF_DFU_REQ_DNLOAD = 1,
    CF_DFU_REQ_UPLOAD = 2,
    CF_DFU_REQ_GETSTATUS = 3,
    CF_DFU_REQ_CLRSTATUS = 4,
    CF_DFU_REQ_GETSTATE = 5,
    CF_DFU_REQ_ABORT = 6
};

typedef struct cf_dfu_status {
    uint8_t status;
    uint32_t poll_timeout_ms;
    uint8_t state;
    uint8_t istring;
} cf_dfu_status;

const char *cf_dfu_state_name(uint8_t state);      /* "dfuIDLE", ... */
const char *cf_dfu_status_name(uint8_t status);    /* "OK", "errWRITE", ... */
const char *cf_dfu_status_meaning(uint8_t status); /* DFU 1.1 text */

/* ---- DfuSe memory layout (alt-setting name) ---- */
#define CF_DFUSE_MAX_SEGMENTS 16
#define CF_DFUSE_READABLE 1
#define CF_DFUSE_ERASABLE 2
#define CF_DFUSE_WRITABLE 4
typedef struct cf_dfuse_segment {
    uint32_t start;
    uint32_t page_size;
    uint32_t page_count;
    uint8_t type; /* CF_DFUSE_* bits */
} cf_dfuse_segment;
typedef struct cf_dfuse_layout {
    char name[64]; /* e.g. "Internal Flash" (trailing spaces trimmed) */
    size_t segment_count;
    cf_dfuse_segment segments[CF_DFUSE_MAX_SEGMENTS];
} cf_dfuse_layout;

/* The most memory one layout may describe: 4 MiB, the largest internal flash of
 * any STM32 (the STM32U5 line's 4 Mbytes, e.g. STM32U5G9, per ST's product
 * selector), so no real ROM layout is refused and nothing larger is derived. */
#define CF_DFUSE_MAX_BYTES (4u * 1024u * 1024u)
/* Parses "@Internal Flash  /0x08000000/032*0001Kg" (several blocks and segments).
 * Blocks must be in address order without overlapping and add up to at most
 * CF_DFUSE_MAX_BYTES. */
cf_code cf_dfuse_parse_layout(const char *text, cf_dfuse_layout *out, cf_error *err);
/* Bytes from the first segment's start through every segment that directly
 * follows it (no gap): what a whole-memory read covers. */
uint32_t cf_dfuse_contiguous_bytes(const cf_dfuse_layout *layout);
/* Segment containing addr, or NULL. */
const cf_dfuse_segment *cf_dfuse_find(const cf_dfuse_layout *layout, uint32_t addr);
/* End (exclusive) of a segment. */
uint32_t cf_dfuse_segment_end(const cf_dfuse_segment *seg);

/* ---- engine ---- */
typedef void (*cf_dfu_progress_fn)(void *user, size_t done, size_t total);

typedef struct cf_dfu cf_dfu;

/* Wraps an open device (not owned). transfer_size from the functional descriptor. */
cf_code cf_dfu_new(cf_usb_dev *dev, const cf_usb_dfu_info *info, cf_dfu **out, cf_error *err);
void cf_dfu_free(cf_dfu *dfu);

/* Every wait for a busy device (dfuDNBUSY after a command or a block, the
 * polls of cf_dfu_start) ends with CF_ERR_TIMEOUT, naming the state, once the
 * device has been busy this long. The default suits a device whose chip is
 * unknown: it is the longest bwPollTimeout believed at all. Callers that know
 * the chip set its datasheet maximum with a margin. */
#define CF_DFU_BUSY_LIMIT_DEFAULT_MS 60000u
void cf_dfu_set_busy_limit(cf_dfu *dfu, uint32_t ms);

cf_code cf_dfu_get_status(cf_dfu *dfu, cf_dfu_status *st, cf_error *err);
cf_code cf_dfu_get_state(cf_dfu *dfu, uint8_t *state, cf_error *err);
cf_code cf_dfu_clear_status(cf_dfu *dfu, cf_error *err);
cf_code cf_dfu_abort(cf_dfu *dfu, cf_error *err);
/* Brings the device to dfuIDLE/OK (recovery from dfuERROR at start). */
cf_code cf_dfu_start(cf_dfu *dfu, cf_error *err);

cf_code cf_dfuse_set_address(cf_dfu *dfu, uint32_t addr, cf_error *err);
cf_code cf_dfuse_erase_page(cf_dfu *dfu, uint32_t addr, cf_error *err);
cf_code cf_dfuse_mass_erase(cf_dfu *dfu, cf_error *err);
/* Writes len bytes at addr in transfer_size blocks (odd length padded with 0xFF).
 * Uses one Set Address per contiguous run and increasing block numbers. */
cf_code cf_dfuse_write(cf_dfu *dfu, uint32_t addr, const uint8_t *data, size_t len,
                       cf_dfu_progress_fn progress, void *user, cf_error *err);
/* Reads len bytes from addr (ABORT to idle first, Set Address, UPLOAD blocks). */
cf_code cf_dfuse_read(cf_dfu *dfu, uint32_t addr, uint8_t *out, size_t len,
                      cf_dfu_progress_fn progress, void *user, cf_error *err);
/* Leave: Set Address(jump), zero-length DNLOAD, GETSTATUS must show dfuMANIFEST.
 * The device vanishing after that acknowledgement is success. */
cf_code cf_dfuse_leave(cf_dfu *dfu, uint32_t jump_address, cf_error *err);

uint16_t cf_dfu_transfer_size(const cf_dfu *dfu);

#endif
