/* DFU 1.1 core: the class requests, the names of states and statuses, and
 * bringing a device to dfuIDLE. ST's extensions live in dfuse.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "dfu/dfu_internal.h"

#define START_ATTEMPTS 8   /* cf_dfu_start(): requests before giving up */
#define MAX_POLL_MS 60000u /* a bwPollTimeout beyond this is treated as a lie */

static const char *const state_names[] = {
    "appIDLE",        "appDETACH",        "dfuIDLE",     "dfuDNLOAD-SYNC",         "dfuDNBUSY",
    "dfuDNLOAD-IDLE", "dfuMANIFEST-SYNC", "dfuMANIFEST", "dfuMANIFEST-WAIT-RESET", "dfuUPLOAD-IDLE",
    "dfuERROR",
};

/* Names as the DFU 1.1 specification and dfu-util spell them; meanings are
 * the specification's descriptions. */
static const struct {
    const char *name, *meaning;
} statuses[] = {
    {"OK", "No error condition is present"},
    {"errTARGET", "File is not targeted for use by this device"},
    {"errFILE", "File is for this device but fails some vendor-specific test"},
    {"errWRITE", "Device is unable to write memory"},
    {"errERASE", "Memory erase function failed"},
    {"errCHECK_ERASED", "Memory erase check failed"},
    {"errPROG", "Program memory function failed"},
    {"errVERIFY", "Programmed memory failed verification"},
    {"errADDRESS", "Cannot program memory due to received address that is out of range"},
    {"errNOTDONE", "Received DFU_DNLOAD with wLength = 0, but device does not think that it "
                   "has all data yet"},
    {"errFIRMWARE",
     "Device's firmware is corrupt. It cannot return to run-time (non-DFU) operations"},
    {"errVENDOR", "iString indicates a vendor specific error"},
    {"errUSBR", "Device detected unexpected USB reset signalling"},
    {"errPOR", "Device detected unexpected power on reset"},
    {"errUNKNOWN", "Something went wrong, but the device does not know what it was"},
    {"errSTALLEDPKT", "Device stalled an unexpected request"},
};

const char *cf_dfu_state_name(uint8_t state)
{
    return state < sizeof(state_names) / sizeof(state_names[0]) ? state_names[state] : "INVALID";
}

const char *cf_dfu_status_name(uint8_t status)
{
    return status < sizeof(statuses) / sizeof(statuses[0]) ? statuses[status].name : "INVALID";
}

const char *cf_dfu_status_meaning(uint8_t status)
{
    return status < sizeof(statuses) / sizeof(statuses[0]) ? statuses[status].meaning
                                                           : "Status code not defined by DFU 1.1";
}

/* ---- failure reports ---- */

void cf_dfu_retry_hint(cf_error *err, cf_code code)
{
    switch (code) {
    case CF_ERR_GONE:
        cf_hint(err, "the probe dropped off USB (cable, hub or power); put it back in DFU mode "
                     "(BOOT0 + RESET) and flash again");
        break;
    case CF_ERR_ACCESS:
        cf_hint(err, "%s", cf_usb_udev_hint());
        break;
    default:
        cf_hint(err, "the probe is still in DFU mode and was not told to leave: it is safe "
                     "to flash again");
        break;
    }
}

const char *cf_dfu_where(char *buf, size_t size, const char *op, uint32_t addr)
{
    if (addr == CF_DFU_NO_ADDRESS)
        snprintf(buf, size, "%s", op);
    else
        snprintf(buf, size, "%s at 0x%08x", op, (unsigned)addr);
    return buf;
}

cf_code cf_dfu_fail_status(cf_error *err, const cf_dfu_status *st, const char *op, uint32_t addr)
{
    char where[64];
    cf_fail(err, CF_ERR_DEVICE, "%s failed: DFU status %s (%s), state %s",
            cf_dfu_where(where, sizeof(where), op, addr), cf_dfu_status_name(st->status),
            cf_dfu_status_meaning(st->status), cf_dfu_state_name(st->state));
    if (st->status == CF_DFU_ERR_VENDOR)
        cf_hint(err, "the probe is still in DFU mode; on STM32 errVENDOR means read-out "
                     "protection is active, which blocks reading, erasing and writing");
    else if (st->status == CF_DFU_ERR_TARGET || st->status == CF_DFU_ERR_ADDRESS)
        cf_hint(err,
                "the probe is still in DFU mode; the device refused the address 0x%08x, "
                "check --address and that the image is for this chip",
                (unsigned)addr);
    else
        cf_dfu_retry_hint(err, CF_ERR_DEVICE);
    return CF_ERR_DEVICE;
}

cf_code cf_dfu_fail_cause(cf_dfu *dfu, cf_error *err, const cf_error *cause, const char *op,
                          uint32_t addr)
{
    char extra[192] = "";
    if (cause->code == CF_ERR_STALL) {
        /* A STALL says nothing about why; the status usually does. */
        cf_dfu_status st;
        cf_error ignored = {0};
        if (cf_dfu_get_status(dfu, &st, &ignored) == CF_OK && st.status != CF_DFU_STATUS_OK)
            snprintf(extra, sizeof(extra), "; device reports %s (%s), state %s",
                     cf_dfu_status_name(st.status), cf_dfu_status_meaning(st.status),
                     cf_dfu_state_name(st.state));
    }
    char where[64];
    cf_fail(err, cause->code, "%s failed: %s%s", cf_dfu_where(where, sizeof(where), op, addr),
            cause->message, extra);
    if (cause->hint[0] && cause->code == CF_ERR_ACCESS)
        cf_hint(err, "%s", cause->hint);
    else
        cf_dfu_retry_hint(err, cause->code);
    return cause->code;
}

/* ---- requests ---- */

static void wait_poll(cf_dfu *dfu)
{
    if (dfu->poll_deadline_ns) {
        cf_sleep_until_ns(dfu->poll_deadline_ns);
        dfu->poll_deadline_ns = 0;
    }
}

/* A class request to the DFU interface (DFU 1.1 section 3: bmRequestType
 * 0x21 host-to-device, 0xA1 device-to-host), once the poll time is over. */
static cf_usb_setup class_request(cf_dfu *dfu, uint8_t type, uint8_t request, uint16_t value,
                                  uint16_t len)
{
    wait_poll(dfu);
    return (cf_usb_setup){.request_type = type,
                          .request = request,
                          .value = value,
                          .index = dfu->interface_number,
                          .length = len};
}

cf_code cf_dfu_request_out(cf_dfu *dfu, uint8_t request, uint16_t value, const uint8_t *data,
                           uint16_t len, cf_error *err)
{
    cf_usb_setup s = class_request(dfu, 0x21, request, value, len);
    size_t actual = 0;
    /* The transport takes a non-const buffer for both directions; OUT never writes it. */
    cf_code rc =
        cf_usb_control(dfu->dev, &s, (uint8_t *)(uintptr_t)data, &actual, CF_DFU_TIMEOUT_MS, err);
    dfu->state = CF_DFU_STATE_UNKNOWN;
    return rc;
}

cf_code cf_dfu_request_in(cf_dfu *dfu, uint8_t request, uint16_t value, uint8_t *data, uint16_t len,
                          size_t *actual, cf_error *err)
{
    cf_usb_setup s = class_request(dfu, 0xA1, request, value, len);
    return cf_usb_control(dfu->dev, &s, data, actual, CF_DFU_TIMEOUT_MS, err);
}

cf_code cf_dfu_get_status(cf_dfu *dfu, cf_dfu_status *st, cf_error *err)
{
    uint8_t b[6];
    size_t n = 0;
    cf_code rc = cf_dfu_request_in(dfu, CF_DFU_REQ_GETSTATUS, 0, b, sizeof(b), &n, err);
    if (rc != CF_OK)
        return rc;
    if (n != sizeof(b)) {
        dfu->state = CF_DFU_STATE_UNKNOWN;
        return cf_fail(err, CF_ERR_PROTOCOL, "GETSTATUS reply was %zu bytes, expected 6", n);
    }
    st->status = b[0];
    st->poll_timeout_ms = (uint32_t)b[1] | (uint32_t)b[2] << 8 | (uint32_t)b[3] << 16;
    st->state = b[4];
    st->istring = b[5];
    dfu->state = st->state;
    uint32_t poll = st->poll_timeout_ms < MAX_POLL_MS ? st->poll_timeout_ms : MAX_POLL_MS;
    dfu->poll_deadline_ns = poll ? cf_now_ns() + (uint64_t)poll * 1000000u : 0;
    return CF_OK;
}

cf_code cf_dfu_get_state(cf_dfu *dfu, uint8_t *state, cf_error *err)
{
    size_t n = 0;
    cf_code rc = cf_dfu_request_in(dfu, CF_DFU_REQ_GETSTATE, 0, state, 1, &n, err);
    if (rc != CF_OK)
        return rc;
    if (n != 1)
        return cf_fail(err, CF_ERR_PROTOCOL, "GETSTATE reply was %zu bytes, expected 1", n);
    return CF_OK;
}

cf_code cf_dfu_clear_status(cf_dfu *dfu, cf_error *err)
{
    return cf_dfu_request_out(dfu, CF_DFU_REQ_CLRSTATUS, 0, NULL, 0, err);
}

cf_code cf_dfu_abort(cf_dfu *dfu, cf_error *err)
{
    return cf_dfu_request_out(dfu, CF_DFU_REQ_ABORT, 0, NULL, 0, err);
}

static cf_code start_failed(cf_error *err, const cf_error *cause)
{
    cf_fail(err, cause->code, "reading the DFU state failed: %s", cause->message);
    if (cause->code == CF_ERR_ACCESS)
        cf_hint(err, "%s", cause->hint);
    else
        cf_dfu_retry_hint(err, cause->code);
    return cause->code;
}

cf_code cf_dfu_start(cf_dfu *dfu, cf_error *err)
{
    cf_dfu_status st = {0};
    uint64_t deadline = cf_now_ns() + (uint64_t)dfu->busy_limit_ms * 1000000u;
    for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        cf_error e = {0};
        if (attempt > 0 && st.state == CF_DFU_DNBUSY && cf_now_ns() >= deadline)
            break;
        cf_dfu_clip_poll(dfu, deadline);
        if (cf_dfu_get_status(dfu, &st, &e) != CF_OK)
            return start_failed(err, &e);
        cf_code rc = CF_OK;
        switch (st.state) {
        case CF_DFU_IDLE:
            if (st.status == CF_DFU_STATUS_OK)
                return CF_OK;
            rc = cf_dfu_clear_status(dfu, &e); /* dfu-util does the same */
            break;
        case CF_DFU_ERROR:
            /* Many ST ROMs start in dfuERROR/errFIRMWARE; only here is CLRSTATUS safe. */
            rc = cf_dfu_clear_status(dfu, &e);
            break;
        case CF_DFU_APP_IDLE:
        case CF_DFU_APP_DETACH:
            cf_fail(err, CF_ERR_UNSUPPORTED,
                    "device is in run-time mode (%s), not in its DFU "
                    "bootloader",
                    cf_dfu_state_name(st.state));
            cf_hint(err, "put the probe in DFU mode: hold BOOT0 while plugging it in or pressing "
                         "RESET, then flash again");
            return CF_ERR_UNSUPPORTED;
        case CF_DFU_DNBUSY:
            break; /* get_status set the poll deadline; ask again after it */
        default:
            /* DNLOAD-IDLE, UPLOAD-IDLE, the SYNC states: ABORT returns to dfuIDLE. */
            rc = cf_dfu_abort(dfu, &e);
            break;
        }
        if (rc != CF_OK)
            return start_failed(err, &e);
    }
    if (st.state == CF_DFU_DNBUSY) {
        cf_fail(err, CF_ERR_TIMEOUT,
                "device did not reach dfuIDLE: still in state %s after %u ms (status %s)",
                cf_dfu_state_name(st.state), (unsigned)dfu->busy_limit_ms,
                cf_dfu_status_name(st.status));
        cf_hint(err, "unplug the probe, put it back in DFU mode (BOOT0 + RESET) and try again");
        return CF_ERR_TIMEOUT;
    }
    cf_fail(err, CF_ERR_PROTOCOL,
            "device did not reach dfuIDLE after %d attempts (last: state %s, status %s)",
            START_ATTEMPTS, cf_dfu_state_name(st.state), cf_dfu_status_name(st.status));
    cf_hint(err, "unplug the probe, put it back in DFU mode (BOOT0 + RESET) and try again");
    return CF_ERR_PROTOCOL;
}

/* ---- lifetime ---- */

cf_code cf_dfu_new(cf_usb_dev *dev, const cf_usb_dfu_info *info, cf_dfu **out, cf_error *err)
{
    *out = NULL;
    if (!info->has_functional || info->functional.transfer_size == 0) {
        cf_fail(err, CF_ERR_UNSUPPORTED,
                "the DFU device %04x:%04x has no DFU functional descriptor (transfer size "
                "unknown)",
                info->vid, info->pid);
        cf_hint(err, "this does not look like an STM32 bootloader; check the device with "
                     "`cartoflash list`");
        return CF_ERR_UNSUPPORTED;
    }
    cf_dfu *dfu = calloc(1, sizeof(*dfu));
    uint8_t *buf = malloc((size_t)info->functional.transfer_size + 1);
    if (!dfu || !buf) {
        free(dfu);
        free(buf);
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    }
    dfu->dev = dev;
    dfu->interface_number = info->interface_number;
    dfu->transfer_size = info->functional.transfer_size;
    dfu->dfu_version = info->functional.dfu_version;
    dfu->state = CF_DFU_STATE_UNKNOWN;
    dfu->buf = buf;
    dfu->busy_limit_ms = CF_DFU_BUSY_LIMIT_DEFAULT_MS;
    *out = dfu;
    return CF_OK;
}

void cf_dfu_set_busy_limit(cf_dfu *dfu, uint32_t ms)
{
    dfu->busy_limit_ms = ms ? ms : CF_DFU_BUSY_LIMIT_DEFAULT_MS;
}

void cf_dfu_clip_poll(cf_dfu *dfu, uint64_t deadline_ns)
{
    if (dfu->poll_deadline_ns > deadline_ns)
        dfu->poll_deadline_ns = deadline_ns;
}

void cf_dfu_free(cf_dfu *dfu)
{
    if (!dfu)
        return;
    free(dfu->buf);
    free(dfu);
}

uint16_t cf_dfu_transfer_size(const cf_dfu *dfu)
{
    return dfu->transfer_size;
}
