/* The CONNECT .. COMPLETE sequence shared by CAN and USB (the gates it
 * applies are in gates.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "katapult/engine.h"

const char *cf_kp_app_name(cf_kp_app app)
{
    switch (app) {
    case CF_KP_APP_KLIPPER:
        return "Klipper";
    case CF_KP_APP_KATAPULT:
        return "Katapult";
    default:
        return "unknown";
    }
}

unsigned cf_kp_wait_ms(const cf_kp_opts *opts)
{
    return opts->wait_ms ? opts->wait_ms : 10000;
}

uint64_t cf_kp_report_begin(cf_kp_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    rep->failed_phase = CF_PHASE_CHECK;
    return cf_now_ns();
}

/* The image as one buffer from its start, gaps 0xFF, padded to whole blocks. */
static cf_code flatten(const cf_image *img, uint32_t block, uint8_t **out, size_t *len,
                       cf_error *err)
{
    uint32_t start = cf_image_start(img), end = cf_image_end(img);
    size_t n = end - start;
    n = (n + block - 1) / block * block;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    memset(buf, 0xFF, n);
    for (size_t i = 0; i < img->segment_count; i++) {
        const cf_image_segment *s = &img->segments[i];
        memcpy(buf + (s->address - start), s->data, s->size);
    }
    *out = buf;
    *len = n;
    return CF_OK;
}

static void still_in_katapult(cf_error *err)
{
    cf_hint(err, "nothing was started: the probe stays in Katapult (COMPLETE was not sent); "
                 "run the same flash command again. If it no longer answers, power-cycle it "
                 "(or double-tap reset) and retry");
}

cf_code cf_kp_connect(cf_kp_session *ss, cf_kp_connect_info *node, cf_error *err)
{
    uint8_t r[128];
    size_t rl;
    cf_code rc = cf_kp_cmd(ss, CF_KP_CMD_CONNECT, NULL, 0, r, sizeof(r), &rl, err);
    if (rc)
        return rc;
    if (!cf_kp_parse_connect(r, rl, node))
        return cf_fail(err, CF_ERR_PROTOCOL, "malformed CONNECT answer (%zu bytes)", rl);
    return CF_OK;
}

/* What CONNECT said, as a notice. */
static void announce_node(const cf_kp_session *ss, const cf_kp_connect_info *node,
                          const cf_flash_events *ev)
{
    cf_flash_notice(ev, false,
                    "Katapult %s on %s: MCU %s, application at 0x%08X, block %u bytes, "
                    "protocol %u.%u.%u",
                    node->version[0] ? node->version : "(no version)", ss->s->name, node->mcu,
                    (unsigned)node->app_start, (unsigned)node->block_size,
                    (unsigned)(node->proto_version >> 16 & 0xFF),
                    (unsigned)(node->proto_version >> 8 & 0xFF),
                    (unsigned)(node->proto_version & 0xFF));
}

/* CAN: the node in Katapult must be the one asked for (GET_CANBUS_ID). */
static cf_code check_uuid(cf_kp_session *ss, const uint8_t *expect_uuid, cf_error *err)
{
    uint8_t r[128];
    size_t rl;
    cf_code rc = cf_kp_cmd(ss, CF_KP_CMD_GET_CANBUS_ID, NULL, 0, r, sizeof(r), &rl, err);
    if (rc)
        return rc;
    if (rl >= 6 && memcmp(r, expect_uuid, 6) == 0)
        return CF_OK;
    char want[13], got[13] = "?";
    cf_kp_uuid_format(expect_uuid, want);
    if (rl >= 6)
        cf_kp_uuid_format(r, got);
    cf_fail(err, CF_ERR_GATE, "the node that answered has UUID %s, not %s", got, want);
    cf_hint(err, "another node holds the same node id; flash with only one node in "
                 "Katapult at a time");
    return CF_ERR_GATE;
}

/* The image as the node's blocks: `len` bytes (padded) from `base`. */
typedef struct transfer {
    const uint8_t *data;
    size_t len, blocks;
    uint32_t bs, base;
} transfer;

/* SEND_BLOCK every block, then SEND_EOF. buf holds 4 + bs bytes. */
static cf_code write_blocks(cf_kp_session *ss, const transfer *t, uint8_t *buf,
                            const cf_flash_events *ev, cf_kp_report *rep, cf_error *err)
{
    uint8_t r[128];
    size_t rl;
    cf_code rc = CF_OK;
    rep->failed_phase = CF_PHASE_WRITE;
    cf_flash_progress(ev, CF_PHASE_WRITE, 0, t->len);
    for (size_t i = 0; i < t->blocks && !rc; i++) {
        uint32_t addr = t->base + (uint32_t)(i * t->bs);
        cf_kp_put_le32(buf, addr);
        memcpy(buf + 4, t->data + i * t->bs, t->bs);
        rc = cf_kp_cmd(ss, CF_KP_CMD_SEND_BLOCK, buf, 4 + t->bs, r, sizeof(r), &rl, err);
        if (rc) {
            rep->failed_address = addr;
            cf_error_prefix(err, "writing the block at 0x%08X", (unsigned)addr);
        } else {
            rep->bytes_written += t->bs;
            cf_flash_progress(ev, CF_PHASE_WRITE, (i + 1) * t->bs, t->len);
        }
    }
    if (!rc) {
        rc = cf_kp_cmd(ss, CF_KP_CMD_SEND_EOF, NULL, 0, r, sizeof(r), &rl, err);
        if (!rc && rl >= 4)
            rep->pages = cf_kp_le32(r);
    }
    return rc;
}

/* Block i as read back (rb, rl bytes) against what was written: CF_OK, or
 * CF_ERR_VERIFY naming the first differing byte. */
static cf_code compare_block(const transfer *t, size_t i, const uint8_t *rb, size_t rl,
                             cf_kp_report *rep, cf_error *err)
{
    uint32_t bs = t->bs, addr = t->base + (uint32_t)(i * bs);
    const uint8_t *want = t->data + i * bs;
    if (rl >= 4 + bs && memcmp(rb + 4, want, bs) == 0)
        return CF_OK;
    size_t k = 0;
    while (rl >= 4 + bs && k < bs && rb[4 + k] == want[k])
        k++;
    rep->failed_address = addr + (uint32_t)k;
    return cf_fail(
        err, CF_ERR_VERIFY, "read-back differs at 0x%08X: wrote 0x%02X, the probe holds 0x%02X",
        (unsigned)(addr + k), want[k < bs ? k : 0], rl >= 4 + bs ? rb[4 + (k < bs ? k : 0)] : 0);
}

/* REQUEST_BLOCK every block and compare it byte for byte. buf holds 4 + bs bytes. */
static cf_code verify_blocks(cf_kp_session *ss, const transfer *t, uint8_t *buf,
                             const cf_flash_events *ev, cf_kp_report *rep, cf_error *err)
{
    rep->failed_phase = CF_PHASE_VERIFY;
    cf_flash_progress(ev, CF_PHASE_VERIFY, 0, t->len);
    uint8_t *rb = malloc(4 + t->bs);
    if (!rb)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    cf_code rc = CF_OK;
    for (size_t i = 0; i < t->blocks && !rc; i++) {
        uint32_t addr = t->base + (uint32_t)(i * t->bs);
        size_t rl;
        cf_kp_put_le32(buf, addr);
        rc = cf_kp_cmd(ss, CF_KP_CMD_REQUEST_BLOCK, buf, 4, rb, 4 + t->bs, &rl, err);
        if (rc) {
            rep->failed_address = addr;
            cf_error_prefix(err, "reading back 0x%08X", (unsigned)addr);
        } else if ((rc = compare_block(t, i, rb, rl, rep, err)) == CF_OK) {
            rep->bytes_verified += t->bs;
            cf_flash_progress(ev, CF_PHASE_VERIFY, (i + 1) * t->bs, t->len);
        }
    }
    free(rb);
    return rc;
}

/* The failure hint of a transfer that stopped: COMPLETE was never sent. */
static void transfer_failed(cf_code rc, cf_error *err)
{
    if (rc != CF_ERR_GONE)
        still_in_katapult(err);
    else
        cf_hint(err, "the probe vanished mid-flash and COMPLETE was not sent: reconnect or "
                     "power-cycle it (it stays in Katapult while its application is "
                     "incomplete, else double-tap reset) and flash again");
}

cf_code cf_kp_run(cf_kp_session *ss, const cf_kp_connect_info *node, const cf_image *img,
                  const cf_image_info *info, const uint8_t *expect_uuid, bool force,
                  const cf_flash_events *ev, cf_kp_report *rep, cf_error *err)
{
    rep->node = *node;
    rep->failed_phase = CF_PHASE_CHECK;
    announce_node(ss, node, ev);
    cf_code rc = cf_kp_connect_gates(node, img, info, force, err);
    if (rc)
        return rc;
    if (expect_uuid) {
        rep->failed_phase = CF_PHASE_CONNECT;
        rc = check_uuid(ss, expect_uuid, err);
        if (rc)
            return rc;
    }
    transfer t = {.bs = node->block_size, .base = node->app_start};
    uint8_t *data = NULL;
    rc = flatten(img, t.bs, &data, &t.len, err);
    if (rc)
        return rc;
    t.data = data;
    t.blocks = t.len / t.bs;
    rep->blocks = t.blocks;
    uint8_t *buf = malloc(4 + t.bs);
    if (!buf) {
        free(data);
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    }
    rc = write_blocks(ss, &t, buf, ev, rep, err);
    if (!rc)
        rc = verify_blocks(ss, &t, buf, ev, rep, err);
    free(buf);
    free(data);
    rep->retries = ss->retries;
    if (rc) {
        transfer_failed(rc, err);
        return rc;
    }

    /* Verified: only now start the application. */
    uint8_t r[128];
    size_t rl;
    rep->failed_phase = CF_PHASE_LEAVE;
    rc = cf_kp_cmd(ss, CF_KP_CMD_COMPLETE, NULL, 0, r, sizeof(r), &rl, err);
    rep->retries = ss->retries;
    if (rc) {
        cf_error_prefix(err, "starting the application");
        cf_hint(err, "the image is written and verified; power-cycle the probe to start it");
        return rc;
    }
    rep->completed = true;
    rep->failed_phase = CF_PHASE_DONE;
    return CF_OK;
}
