/* Katapult command layer: one request, one answer, with flashtool's retry
 * rules (send_command in Katapult's scripts/flashtool.py) and two
 * improvements: a stale ACK (for another command or another address, e.g. a
 * late answer to a timed-out try) is skipped instead of burning a try, and a
 * vanished device fails at once. */
#ifndef CF_KATAPULT_SESSION_H
#define CF_KATAPULT_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "katapult/proto.h"
#include "katapult/stream.h"

typedef struct cf_kp_timing {
    unsigned reply_ms;       /* per-try answer timeout (flashtool: 2000) */
    unsigned block_reply_ms; /* SEND_BLOCK (flashtool: 5000) */
    unsigned tries;          /* flashtool: 5 */
    unsigned block_tries;    /* SEND_BLOCK, flashtool: 3 */
    unsigned drain_ms;       /* discard stray input after a failed try (250) */
    unsigned pause_ms;       /* then wait before resending (500) */
    unsigned busy_ms;        /* extra wait after BUSY (1500) */
} cf_kp_timing;

void cf_kp_timing_default(cf_kp_timing *t);

typedef struct cf_kp_session {
    cf_kp_stream *s;
    cf_kp_decoder dec;
    cf_kp_timing t;
    unsigned retries, nacks, busy, errors, timeouts, stale;
} cf_kp_session;

void cf_kp_session_init(cf_kp_session *ss, cf_kp_stream *s, const cf_kp_timing *t);

/* Sends cmd with payload and waits for its ACK. The reply words after the
 * acked-command word go to reply (*reply_len bytes). Failures:
 * CF_ERR_TIMEOUT (no answer), CF_ERR_PROTOCOL (NACK/garbage each time),
 * CF_ERR_DEVICE (the node answered COMMAND ERROR each time), CF_ERR_GONE. */
cf_code cf_kp_cmd(cf_kp_session *ss, uint8_t cmd, const uint8_t *payload, size_t len,
                  uint8_t *reply, size_t cap, size_t *reply_len, cf_error *err);

#endif
