/* ST DfuSe extensions: commands carried in DNLOAD block 0 (set address,
 * erase), memory write/read in blocks >= 2, and leave. Sequences follow
 * ST AN3156 (AN2662 §4) and dfu-util 0.11's src/dfuse.c. */
#include <string.h>

#include "common/clock.h"
#include "dfu/dfu_internal.h"

#define CMD_SET_ADDRESS 0x21
#define CMD_ERASE 0x41
#define MAX_STALLED_POLLS 3      /* STM32L4 STALLs polls that come too early */
#define MAX_ZERO_BUSY_POLLS 5000 /* DNBUSY with bwPollTimeout 0; 1 ms apart */
#define MAX_SYNC_POLLS 1000      /* write: DNLOAD-SYNC replies before giving up */

static bool is_dfuse(cf_dfu *dfu, const char *op, cf_error *err)
{
    if (dfu->dfu_version == 0x011A)
        return true;
    cf_fail(err, CF_ERR_UNSUPPORTED,
            "%s needs ST DfuSe (DFU version 0x011a), the device reports DFU version 0x%04x", op,
            dfu->dfu_version);
    cf_hint(err, "this does not look like an STM32 bootloader; check it with `cartoflash list`");
    return false;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Polls after a DNLOAD until the device is no longer busy. For special
 * commands the first reply must be dfuDNBUSY (the ROM executes on it). */
static cf_code poll_until_done(cf_dfu *dfu, bool command, const char *what, const char *op,
                               uint32_t addr, cf_error *err)
{
    cf_dfu_status st;
    cf_error e = {0};
    char where[64];
    if (cf_dfu_get_status(dfu, &st, &e) != CF_OK)
        return cf_dfu_fail_cause(dfu, err, &e, op, addr);
    if (st.status != CF_DFU_STATUS_OK)
        return cf_dfu_fail_status(err, &st, op, addr);
    if (command && st.state != CF_DFU_DNBUSY) {
        cf_fail(err, CF_ERR_PROTOCOL, "%s failed: wrong state after %s: %s (expected dfuDNBUSY)",
                cf_dfu_where(where, sizeof(where), op, addr), what, cf_dfu_state_name(st.state));
        cf_dfu_retry_hint(err, CF_ERR_PROTOCOL);
        return CF_ERR_PROTOCOL;
    }

    unsigned stalls = 0, zero_busy = 0, syncs = 0;
    uint64_t deadline = cf_now_ns() + (uint64_t)dfu->busy_limit_ms * 1000000u;
    while (st.state == CF_DFU_DNBUSY || st.state == CF_DFU_DNLOAD_SYNC) {
        uint32_t last_poll = st.poll_timeout_ms;
        if (cf_now_ns() >= deadline) {
            cf_fail(err, CF_ERR_TIMEOUT,
                    "%s failed: the device still answers %s %u ms after %s, longer than the "
                    "chip takes",
                    cf_dfu_where(where, sizeof(where), op, addr), cf_dfu_state_name(st.state),
                    (unsigned)dfu->busy_limit_ms, what);
            cf_dfu_retry_hint(err, CF_ERR_TIMEOUT);
            return CF_ERR_TIMEOUT;
        }
        cf_dfu_clip_poll(dfu, deadline);
        if (st.state == CF_DFU_DNLOAD_SYNC && ++syncs > MAX_SYNC_POLLS)
            break;
        if (st.state == CF_DFU_DNBUSY && last_poll == 0) {
            if (++zero_busy > MAX_ZERO_BUSY_POLLS) {
                cf_fail(err, CF_ERR_TIMEOUT, "%s failed: device stayed busy after %s",
                        cf_dfu_where(where, sizeof(where), op, addr), what);
                cf_dfu_retry_hint(err, CF_ERR_TIMEOUT);
                return CF_ERR_TIMEOUT;
            }
            cf_sleep_ns(1000000u);
        }
        cf_error_reset(&e);
        cf_code rc = cf_dfu_get_status(dfu, &st, &e);
        if (rc == CF_ERR_STALL && last_poll > 0 && stalls < MAX_STALLED_POLLS) {
            /* Polled too early: wait the same time again and keep going. */
            stalls++;
            st.state = CF_DFU_DNBUSY;
            st.poll_timeout_ms = last_poll;
            dfu->poll_deadline_ns = cf_now_ns() + (uint64_t)last_poll * 1000000u;
            continue;
        }
        if (rc != CF_OK)
            return cf_dfu_fail_cause(dfu, err, &e, op, addr);
    }
    if (st.status != CF_DFU_STATUS_OK)
        return cf_dfu_fail_status(err, &st, op, addr);
    if (st.state != CF_DFU_DNLOAD_IDLE) {
        cf_fail(err, CF_ERR_PROTOCOL,
                "%s failed: wrong state after %s: %s (expected dfuDNLOAD-IDLE)",
                cf_dfu_where(where, sizeof(where), op, addr), what, cf_dfu_state_name(st.state));
        cf_dfu_retry_hint(err, CF_ERR_PROTOCOL);
        return CF_ERR_PROTOCOL;
    }
    return CF_OK;
}

static cf_code command(cf_dfu *dfu, const uint8_t *cmd, uint16_t len, const char *what,
                       const char *op, uint32_t addr, cf_error *err)
{
    cf_error e = {0};
    if (cf_dfu_request_out(dfu, CF_DFU_REQ_DNLOAD, 0, cmd, len, &e) != CF_OK)
        return cf_dfu_fail_cause(dfu, err, &e, op, addr);
    return poll_until_done(dfu, true, what, op, addr, err);
}

/* A DfuSe command that names an address: its code byte, then the address
 * (32-bit little-endian). */
static cf_code address_command(cf_dfu *dfu, uint8_t code, uint32_t addr, const char *what,
                               const char *op, cf_error *err)
{
    if (!is_dfuse(dfu, op, err))
        return CF_ERR_UNSUPPORTED;
    uint8_t cmd[5] = {code};
    put_le32(cmd + 1, addr);
    return command(dfu, cmd, sizeof(cmd), what, op, addr, err);
}

cf_code cf_dfuse_set_address(cf_dfu *dfu, uint32_t addr, cf_error *err)
{
    return address_command(dfu, CMD_SET_ADDRESS, addr, "SET_ADDRESS", "set address", err);
}

cf_code cf_dfuse_erase_page(cf_dfu *dfu, uint32_t addr, cf_error *err)
{
    return address_command(dfu, CMD_ERASE, addr, "ERASE_PAGE", "page erase", err);
}

cf_code cf_dfuse_mass_erase(cf_dfu *dfu, cf_error *err)
{
    if (!is_dfuse(dfu, "mass erase", err))
        return CF_ERR_UNSUPPORTED;
    uint8_t cmd[1] = {CMD_ERASE};
    return command(dfu, cmd, sizeof(cmd), "MASS_ERASE", "mass erase", CF_DFU_NO_ADDRESS, err);
}

/* ---- write ---- */

static cf_code write_block(cf_dfu *dfu, uint16_t block, uint32_t addr, const uint8_t *data,
                           size_t len, cf_error *err)
{
    const uint8_t *payload = data;
    size_t n = len;
    if (n & 1) {
        /* F0 programs half-words; pad the odd byte with the erased value. */
        memcpy(dfu->buf, data, n);
        dfu->buf[n++] = 0xFF;
        payload = dfu->buf;
    }
    cf_error e = {0};
    if (cf_dfu_request_out(dfu, CF_DFU_REQ_DNLOAD, block, payload, (uint16_t)n, &e) != CF_OK)
        return cf_dfu_fail_cause(dfu, err, &e, "write", addr);
    return poll_until_done(dfu, false, "DNLOAD", "write", addr, err);
}

/* Walks a transfer of len bytes at addr in blocks of wTransferSize, and says
 * where a Set Address must come first: the ROM computes the address of block
 * b as (b - 2) * wTransferSize + the address last set; whether a short block
 * uses its own length is not documented, so a short block (and a wrapped
 * block number) starts from a fresh pointer. Reads and writes share it. */
typedef struct chunk_iter {
    uint32_t addr;
    size_t len, ts;
    size_t off;       /* offset of this block in the transfer */
    size_t n;         /* its length */
    uint32_t at;      /* its address */
    uint32_t block;   /* its block number; 0 before the first */
    bool set_address; /* a Set Address to `at` must come first */
} chunk_iter;

static void chunks_begin(chunk_iter *it, uint32_t addr, size_t len, size_t ts)
{
    memset(it, 0, sizeof(*it));
    it->addr = addr;
    it->len = len;
    it->ts = ts;
}

/* Moves to the next block; false after the last. */
static bool chunks_next(chunk_iter *it)
{
    if (it->block != 0) {
        it->off += it->n;
        it->block++;
    }
    if (it->off >= it->len)
        return false;
    it->n = it->len - it->off < it->ts ? it->len - it->off : it->ts;
    it->at = it->addr + (uint32_t)it->off;
    it->set_address = it->block == 0 || it->n != it->ts || it->block > 0xFFFF;
    if (it->set_address)
        it->block = 2;
    return true;
}

/* ---- read ---- */

/* ABORT, then GETSTATUS must show dfuIDLE/OK (UPLOAD needs dfuIDLE). */
static cf_code abort_to_idle(cf_dfu *dfu, const char *op, uint32_t addr, cf_error *err)
{
    cf_error e = {0};
    cf_dfu_status st;
    if (cf_dfu_abort(dfu, &e) != CF_OK || cf_dfu_get_status(dfu, &st, &e) != CF_OK)
        return cf_dfu_fail_cause(dfu, err, &e, op, addr);
    if (st.status != CF_DFU_STATUS_OK)
        return cf_dfu_fail_status(err, &st, op, addr);
    if (st.state != CF_DFU_IDLE) {
        cf_fail(err, CF_ERR_PROTOCOL, "%s at 0x%08x failed: state %s after ABORT, expected dfuIDLE",
                op, (unsigned)addr, cf_dfu_state_name(st.state));
        cf_dfu_retry_hint(err, CF_ERR_PROTOCOL);
        return CF_ERR_PROTOCOL;
    }
    return CF_OK;
}

/* Set Address to `at` from any state: it is a DNLOAD, refused in
 * dfuUPLOAD-IDLE (mid-read) and the like, so such a state is left first. */
static cf_code set_address_anywhere(cf_dfu *dfu, const char *op, uint32_t at, cf_error *err)
{
    if (dfu->state != CF_DFU_IDLE && dfu->state != CF_DFU_DNLOAD_IDLE) {
        cf_code rc = abort_to_idle(dfu, op, at, err);
        if (rc != CF_OK)
            return rc;
    }
    return cf_dfuse_set_address(dfu, at, err);
}

/* Set Address, then back to dfuIDLE so UPLOAD is allowed. */
static cf_code point_for_upload(cf_dfu *dfu, uint32_t at, cf_error *err)
{
    cf_code rc = set_address_anywhere(dfu, "read", at, err);
    if (rc != CF_OK)
        return rc;
    return abort_to_idle(dfu, "read", at, err);
}

static cf_code upload_block(cf_dfu *dfu, uint16_t block, uint32_t at, uint8_t *out, size_t n,
                            cf_error *err)
{
    cf_error e = {0};
    size_t got = 0;
    if (cf_dfu_request_in(dfu, CF_DFU_REQ_UPLOAD, block, out, (uint16_t)n, &got, &e) != CF_OK)
        return cf_dfu_fail_cause(dfu, err, &e, "read", at);
    dfu->state = CF_DFU_STATE_UNKNOWN;
    if (got != n) {
        cf_fail(err, CF_ERR_PROTOCOL, "read at 0x%08x failed: device returned %zu of %zu bytes",
                (unsigned)at, got, n);
        cf_dfu_retry_hint(err, CF_ERR_PROTOCOL);
        return CF_ERR_PROTOCOL;
    }
    return CF_OK;
}

/* ---- transfers: write and read ---- */

/* A read or write of len bytes at addr: DfuSe only, and not past 4 GiB. */
static cf_code check_transfer(cf_dfu *dfu, const char *op, uint32_t addr, size_t len, cf_error *err)
{
    if (!is_dfuse(dfu, op, err))
        return CF_ERR_UNSUPPORTED;
    if (len > (uint64_t)UINT32_MAX + 1 - addr)
        return cf_fail(err, CF_ERR_USAGE, "%s of %zu bytes at 0x%08x runs past 4 GiB", op, len,
                       (unsigned)addr);
    return CF_OK;
}

/* One block of a transfer, after its Set Address when one is due: read
 * into out when it is given, else written from data. */
static cf_code transfer_block(cf_dfu *dfu, const chunk_iter *it, const uint8_t *data, uint8_t *out,
                              cf_error *err)
{
    uint16_t block = (uint16_t)it->block;
    if (out) {
        cf_code rc = it->set_address ? point_for_upload(dfu, it->at, err) : CF_OK;
        return rc != CF_OK ? rc : upload_block(dfu, block, it->at, out + it->off, it->n, err);
    }
    cf_code rc = it->set_address ? cf_dfuse_set_address(dfu, it->at, err) : CF_OK;
    return rc != CF_OK ? rc : write_block(dfu, block, it->at, data + it->off, it->n, err);
}

/* Every block of a transfer of len bytes at addr, in order, with progress
 * after each. */
static cf_code transfer(cf_dfu *dfu, uint32_t addr, const uint8_t *data, uint8_t *out, size_t len,
                        cf_dfu_progress_fn progress, void *user, cf_error *err)
{
    chunk_iter it;
    for (chunks_begin(&it, addr, len, dfu->transfer_size); chunks_next(&it);) {
        cf_code rc = transfer_block(dfu, &it, data, out, err);
        if (rc != CF_OK)
            return rc;
        if (progress)
            progress(user, it.off + it.n, len);
    }
    return CF_OK;
}

cf_code cf_dfuse_write(cf_dfu *dfu, uint32_t addr, const uint8_t *data, size_t len,
                       cf_dfu_progress_fn progress, void *user, cf_error *err)
{
    cf_code rc = check_transfer(dfu, "write", addr, len, err);
    if (rc != CF_OK)
        return rc;
    return transfer(dfu, addr, data, NULL, len, progress, user, err);
}

cf_code cf_dfuse_read(cf_dfu *dfu, uint32_t addr, uint8_t *out, size_t len,
                      cf_dfu_progress_fn progress, void *user, cf_error *err)
{
    cf_code rc = check_transfer(dfu, "read", addr, len, err);
    if (rc == CF_OK && dfu->state != CF_DFU_IDLE)
        rc = abort_to_idle(dfu, "read", addr, err);
    if (rc == CF_OK)
        rc = transfer(dfu, addr, NULL, out, len, progress, user, err);
    if (rc != CF_OK)
        return rc;
    /* Leave the device idle for whatever comes next. */
    cf_error e = {0};
    if (cf_dfu_abort(dfu, &e) != CF_OK)
        return cf_dfu_fail_cause(dfu, err, &e, "read", addr + (uint32_t)len);
    return CF_OK;
}

/* ---- leave ---- */

cf_code cf_dfuse_leave(cf_dfu *dfu, uint32_t jump_address, cf_error *err)
{
    if (!is_dfuse(dfu, "leave", err))
        return CF_ERR_UNSUPPORTED;
    cf_code rc = set_address_anywhere(dfu, "leave", jump_address, err);
    if (rc != CF_OK)
        return rc;

    cf_error e = {0};
    if (cf_dfu_request_out(dfu, CF_DFU_REQ_DNLOAD, 2, NULL, 0, &e) != CF_OK)
        return cf_dfu_fail_cause(dfu, err, &e, "leave", jump_address);

    cf_dfu_status st;
    rc = cf_dfu_get_status(dfu, &st, &e);
    if (rc == CF_ERR_GONE)
        return CF_OK; /* accepted the leave request and dropped off the bus to jump */
    if (rc != CF_OK)
        return cf_dfu_fail_cause(dfu, err, &e, "leave", jump_address);
    if (st.status != CF_DFU_STATUS_OK)
        return cf_dfu_fail_status(err, &st, "leave", jump_address);
    if (st.state != CF_DFU_MANIFEST) {
        cf_fail(err, CF_ERR_PROTOCOL, "leave at 0x%08x failed: state %s, expected dfuMANIFEST",
                (unsigned)jump_address, cf_dfu_state_name(st.state));
        cf_dfu_retry_hint(err, CF_ERR_PROTOCOL);
        return CF_ERR_PROTOCOL;
    }
    /* dfuMANIFEST acknowledged: the ROM now disconnects and jumps. Nothing
     * more is sent, so its disappearance cannot turn this into a failure. */
    dfu->poll_deadline_ns = 0;
    return CF_OK;
}
