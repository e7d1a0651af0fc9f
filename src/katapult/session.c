/* Katapult request/response with retries (as send_command in Katapult's
 * scripts/flashtool.py). */
#include "katapult/session.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"

void cf_kp_timing_default(cf_kp_timing *t)
{
    t->reply_ms = 2000;
    t->block_reply_ms = 5000;
    t->tries = 5;
    t->block_tries = 3;
    t->drain_ms = 250;
    t->pause_ms = 500;
    t->busy_ms = 1500;
}

void cf_kp_session_init(cf_kp_session *ss, cf_kp_stream *s, const cf_kp_timing *t)
{
    memset(ss, 0, sizeof(*ss));
    ss->s = s;
    if (t)
        ss->t = *t;
    else
        cf_kp_timing_default(&ss->t);
    cf_kp_decoder_reset(&ss->dec);
}

typedef enum try_result { TRY_OK, TRY_TIMEOUT, TRY_NACK, TRY_ERROR, TRY_BUSY } try_result;

/* One read of what arrives before deadline (its wait rounded up to whole
 * ms), handed to the decoder when `feed`; *over, and no read, when the
 * deadline has passed. */
static cf_code read_before(cf_kp_session *ss, uint64_t deadline, bool feed, bool *over,
                           cf_error *err)
{
    uint64_t now = cf_now_ns();
    *over = now >= deadline;
    if (*over)
        return CF_OK;
    uint8_t buf[256];
    size_t got = 0;
    cf_code rc =
        ss->s->read(ss->s, buf, sizeof(buf), &got, (int)((deadline - now + 999999) / 1000000), err);
    if (!rc && feed)
        cf_kp_decoder_feed(&ss->dec, buf, got);
    return rc;
}

/* Reads until a frame answering (cmd, addr) arrives or the time is up. */
static cf_code await_answer(cf_kp_session *ss, uint8_t cmd, const uint8_t *req, size_t req_len,
                            unsigned timeout_ms, uint8_t *reply, size_t cap, size_t *reply_len,
                            try_result *res, cf_error *err)
{
    bool echoes_addr = cmd == CF_KP_CMD_SEND_BLOCK || cmd == CF_KP_CMD_REQUEST_BLOCK;
    uint64_t deadline = cf_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    for (;;) {
        cf_kp_frame f;
        while (cf_kp_decoder_next(&ss->dec, &f)) {
            if (f.code == CF_KP_RESP_NACK) {
                *res = TRY_NACK;
                return CF_OK;
            }
            if (f.code == CF_KP_RESP_ERROR) {
                *res = TRY_ERROR;
                return CF_OK;
            }
            if (f.code == CF_KP_RESP_BUSY) {
                *res = TRY_BUSY;
                return CF_OK;
            }
            if (f.code != CF_KP_RESP_ACK || f.payload_len < 4)
                continue; /* not an answer at all: ignore */
            bool stale = cf_kp_le32(f.payload) != cmd;
            if (!stale && echoes_addr)
                stale = f.payload_len < 8 || req_len < 4 || memcmp(f.payload + 4, req, 4) != 0;
            if (stale) {
                ss->stale++;
                continue;
            }
            size_t n = f.payload_len - 4;
            if (n > cap)
                n = cap;
            memcpy(reply, f.payload + 4, n);
            *reply_len = n;
            *res = TRY_OK;
            return CF_OK;
        }
        bool over;
        cf_code rc = read_before(ss, deadline, true, &over, err);
        if (rc)
            return rc;
        if (over) {
            *res = TRY_TIMEOUT;
            return CF_OK;
        }
    }
}

static cf_code drain(cf_kp_session *ss, cf_error *err)
{
    uint64_t deadline = cf_now_ns() + (uint64_t)ss->t.drain_ms * 1000000ull;
    for (bool over = false; !over;) {
        cf_code rc = read_before(ss, deadline, false, &over, err);
        if (rc)
            return rc;
    }
    cf_kp_decoder_reset(&ss->dec);
    return CF_OK;
}

cf_code cf_kp_cmd(cf_kp_session *ss, uint8_t cmd, const uint8_t *payload, size_t len,
                  uint8_t *reply, size_t cap, size_t *reply_len, cf_error *err)
{
    uint8_t frame[CF_KP_FRAME_MAX];
    size_t flen = cf_kp_frame_encode(cmd, payload, len, frame, sizeof(frame));
    if (!flen)
        return cf_fail(err, CF_ERR_USAGE, "internal: bad %s payload", cf_kp_code_name(cmd));
    bool block = cmd == CF_KP_CMD_SEND_BLOCK;
    unsigned tries = block ? ss->t.block_tries : ss->t.tries;
    unsigned timeout = block ? ss->t.block_reply_ms : ss->t.reply_ms;
    try_result last = TRY_TIMEOUT;
    *reply_len = 0;
    for (unsigned i = 0; i < tries; i++) {
        if (i) {
            ss->retries++;
            cf_code rc = drain(ss, err);
            if (!rc)
                cf_sleep_ns((uint64_t)(ss->t.pause_ms + (last == TRY_BUSY ? ss->t.busy_ms : 0)) *
                            1000000ull);
            if (rc)
                return rc;
        }
        cf_code rc = ss->s->write(ss->s, frame, flen, err);
        if (rc)
            return rc;
        rc = await_answer(ss, cmd, payload, len, timeout, reply, cap, reply_len, &last, err);
        if (rc)
            return rc;
        if (last == TRY_OK)
            return CF_OK;
        ss->nacks += last == TRY_NACK;
        ss->errors += last == TRY_ERROR;
        ss->busy += last == TRY_BUSY;
        ss->timeouts += last == TRY_TIMEOUT;
    }
    const char *name = cf_kp_code_name(cmd);
    switch (last) {
    case TRY_ERROR:
        return cf_fail(err, CF_ERR_DEVICE, "the node refused %s %u times (COMMAND ERROR)", name,
                       tries);
    case TRY_NACK:
        return cf_fail(err, CF_ERR_PROTOCOL,
                       "the node kept rejecting %s as garbled (NACK after %u tries)", name, tries);
    case TRY_BUSY:
        return cf_fail(err, CF_ERR_PROTOCOL, "the node stayed BUSY for %s (%u tries)", name, tries);
    default:
        return cf_fail(err, CF_ERR_TIMEOUT, "no answer to %s after %u tries (%u ms each)", name,
                       tries, timeout);
    }
}
