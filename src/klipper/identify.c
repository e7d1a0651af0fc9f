/* The identify client: fetch the compressed data dictionary chunk by chunk,
 * inflate it and read it with the image layer's dictionary parser. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/clock.h"
#include "common/mem.h"
#include "klipper/klipper.h"

#define TRIES 5u
#define JSON_MAX (1024u * 1024u)

void cf_kl_ident_free(cf_kl_ident *id)
{
    if (!id)
        return;
    free(id->json);
    id->json = NULL;
    id->json_len = 0;
}

static char *inflate_all(const uint8_t *z, size_t len, size_t *out_len, const char **why)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit(&zs) != Z_OK) {
        *why = "zlib could not start";
        return NULL;
    }
    size_t cap = 16384, n = 0;
    char *buf = malloc(cap + 1);
    zs.next_in = (Bytef *)(uintptr_t)z;
    zs.avail_in = (uInt)len;
    int rc = Z_OK;
    while (buf && rc == Z_OK) {
        if (n == cap && cap >= JSON_MAX) {
            *why = "it inflates to more than 1 MiB";
            break;
        }
        if (n == cap && !cf_grow_text(&buf, &cap))
            break;
        zs.next_out = (Bytef *)buf + n;
        zs.avail_out = (uInt)(cap - n);
        rc = inflate(&zs, Z_NO_FLUSH);
        n = cap - zs.avail_out;
        if (rc == Z_BUF_ERROR || (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0)) {
            *why = "the zlib stream is cut short";
            rc = Z_DATA_ERROR;
        }
    }
    if (rc == Z_DATA_ERROR && !*why)
        *why = zs.msg ? zs.msg : "it is not zlib data";
    if (rc == Z_STREAM_END && zs.avail_in != 0) {
        *why = "bytes follow the end of the zlib stream";
        rc = Z_DATA_ERROR;
    }
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || !buf) {
        if (!*why)
            *why = "out of memory";
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *out_len = n;
    return buf;
}

cf_code cf_kl_decode_dictionary(const uint8_t *z, size_t len, const char *device, cf_kl_ident *out,
                                cf_error *err)
{
    memset(&out->info, 0, sizeof(out->info));
    if (len == 0) {
        cf_fail(err, CF_ERR_FORMAT, "%s sent an empty data dictionary", device);
        cf_hint(err, "the firmware is not a Klipper build cartoflash can read; flash a "
                     "Cartographer image");
        return CF_ERR_FORMAT;
    }
    const char *why = NULL;
    size_t jlen = 0;
    char *json = inflate_all(z, len, &jlen, &why);
    if (!json) {
        cf_fail(err, CF_ERR_FORMAT, "the data dictionary from %s does not inflate: %s", device,
                why);
        cf_hint(err, "ask again; if it persists the firmware sends a damaged dictionary");
        return CF_ERR_FORMAT;
    }
    cf_error perr = {0};
    if (cf_image_parse_dictionary(json, jlen, &out->info, &perr) != CF_OK) {
        free(json);
        cf_fail(err, CF_ERR_FORMAT, "the data dictionary from %s does not parse: %s", device,
                perr.message);
        cf_hint(err, "cartoflash reports nothing it cannot read; the firmware is not one "
                     "it knows");
        return CF_ERR_FORMAT;
    }
    free(out->json);
    out->json = json;
    out->json_len = jlen;
    out->compressed_len = len;
    return CF_OK;
}

/* Sends one identify request with sequence seq. */
static cf_code send_identify(cf_kp_stream *s, uint8_t seq, uint32_t offset, cf_error *err)
{
    uint8_t content[16], block[CF_KL_BLOCK_MAX];
    size_t n = cf_kl_vlq_put(content, sizeof(content), CF_KL_ID_IDENTIFY);
    n += cf_kl_vlq_put(content + n, sizeof(content) - n, offset);
    n += cf_kl_vlq_put(content + n, sizeof(content) - n, CF_KL_CHUNK);
    size_t len = cf_kl_block_encode(seq, content, n, block, sizeof(block));
    return s->write(s, block, len, err);
}

typedef struct rx_state {
    uint8_t buf[512];
    size_t len;
    bool heard; /* any valid block from the MCU so far */
} rx_state;

/* Waits for the answer to the identify for `offset`. Returns CF_OK with
 * *data/ *n set (data points into a copy in chunk), CF_ERR_TIMEOUT when
 * nothing came, or a nak's sequence in *nak_seq (>= 0) so the caller
 * resends with the sequence the MCU expects. */
static cf_code await_chunk(cf_kp_stream *s, rx_state *rx, uint32_t offset, unsigned reply_ms,
                           uint8_t sent_seq, uint8_t *chunk, size_t *n, int *nak_seq, cf_error *err)
{
    *nak_seq = -1;
    uint64_t deadline = cf_now_ns() + (uint64_t)reply_ms * 1000000ull;
    for (;;) {
        /* Everything already buffered first. */
        for (;;) {
            size_t used = 0;
            int r = cf_kl_block_find(rx->buf, rx->len, &used);
            if (r == 0)
                break;
            const uint8_t *b = rx->buf;
            bool done = false;
            rx->heard |= r > 0;
            if (r > 0 && used == CF_KL_BLOCK_MIN) {
                /* ack or nak: the sequence the MCU expects next. Equal to
                 * what we sent: a late ack of our previous block. Anything
                 * else without our answer before it (the MCU sends the
                 * answer, then the ack): a nak, or an ack whose answer was
                 * lost; either way the MCU now expects `expect`. */
                uint8_t expect = b[1] & CF_KL_SEQ_MASK;
                if (expect != (sent_seq & CF_KL_SEQ_MASK))
                    *nak_seq = expect;
            } else if (r > 0) {
                uint32_t off;
                const uint8_t *data;
                size_t dlen;
                if (cf_kl_parse_identify_response(b + 2, used - 5, &off, &data, &dlen, NULL) ==
                        CF_OK &&
                    off == offset && dlen <= CF_KL_CHUNK) {
                    memcpy(chunk, data, dlen);
                    *n = dlen;
                    done = true;
                }
                /* Any other response (a stale answer, another message) is skipped. */
            }
            memmove(rx->buf, rx->buf + used, rx->len - used);
            rx->len -= used;
            if (done)
                return CF_OK;
            if (*nak_seq >= 0)
                return CF_OK;
        }
        uint64_t now = cf_now_ns();
        if (now >= deadline)
            return CF_ERR_TIMEOUT;
        if (rx->len == sizeof(rx->buf))
            rx->len = 0; /* cannot happen with blocks of 64 bytes: drop garbage */
        size_t got = 0;
        cf_code rc = s->read(s, rx->buf + rx->len, sizeof(rx->buf) - rx->len, &got,
                             (int)((deadline - now + 999999) / 1000000), err);
        if (rc)
            return rc;
        rx->len += got;
    }
}

cf_code cf_kl_identify_stream(cf_kp_stream *s, const char *device, unsigned reply_ms,
                              cf_kl_ident *out, cf_error *err)
{
    if (!reply_ms)
        reply_ms = 500;
    snprintf(out->device, sizeof(out->device), "%s", device);
    uint8_t sync = CF_KL_SYNC;
    /* A lone sync byte ends whatever partial block the MCU may hold from an
     * earlier host, so our first block is read from its start. */
    cf_code rc = s->write(s, &sync, 1, err);
    if (rc)
        return rc;
    uint8_t *dict = malloc(CF_KL_DICT_MAX);
    if (!dict)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    rx_state rx = {.len = 0};
    size_t have = 0;
    uint8_t seq = 0; /* the MCU expects 0 after a reset; a nak tells otherwise */
    bool answered = false;
    for (;;) {
        uint8_t chunk[CF_KL_CHUNK];
        size_t n = 0;
        unsigned tries = 0;
        for (;;) {
            rc = send_identify(s, seq, (uint32_t)have, err);
            out->requests++;
            int nak = -1;
            if (rc == CF_OK)
                rc = await_chunk(s, &rx, (uint32_t)have, reply_ms, seq, chunk, &n, &nak, err);
            if (rc == CF_OK && nak < 0)
                break;
            if (rc != CF_OK && rc != CF_ERR_TIMEOUT)
                goto out;
            /* Klipper answers every block; a device that never sent one
             * valid block in two tries does not speak the protocol. */
            unsigned limit = !rx.heard ? 2u : TRIES + (nak >= 0 ? 16u : 0u);
            if (++tries >= limit) {
                if (answered)
                    rc = cf_fail(err, CF_ERR_TIMEOUT,
                                 "%s stopped answering identify at offset %zu of its data "
                                 "dictionary",
                                 device, have);
                else
                    rc = cf_fail(err, CF_ERR_TIMEOUT,
                                 "%s did not answer Klipper's identify command", device);
                cf_hint(err, "check that the probe runs its Cartographer firmware and that "
                             "nothing else talks to it (Klipper stopped)");
                goto out;
            }
            out->retries++;
            if (nak >= 0)
                seq = (uint8_t)nak; /* the MCU told us the sequence it expects */
            rc = CF_OK;
        }
        answered = true;
        seq = (uint8_t)((seq + 1) & CF_KL_SEQ_MASK);
        if (n == 0)
            break;
        if (have + n > CF_KL_DICT_MAX) {
            rc = cf_fail(err, CF_ERR_FORMAT, "%s sends a data dictionary larger than %u bytes",
                         device, CF_KL_DICT_MAX);
            goto out;
        }
        memcpy(dict + have, chunk, n);
        have += n;
    }
    rc = cf_kl_decode_dictionary(dict, have, device, out, err);
out:
    free(dict);
    return rc;
}

bool cf_kl_same_build(const char *json_a, size_t len_a, const char *json_b, size_t len_b)
{
    json_t *a = json_loadb(json_a, len_a, 0, NULL);
    json_t *b = json_loadb(json_b, len_b, 0, NULL);
    bool same = false;
    if (a && b) {
        json_t *va = json_object_get(a, "version"), *vb = json_object_get(b, "version");
        json_t *ca = json_object_get(a, "config"), *cb = json_object_get(b, "config");
        same = json_is_string(va) && json_equal(va, vb) && json_is_object(ca) && json_equal(ca, cb);
    }
    json_decref(a);
    json_decref(b);
    return same;
}

void cf_kl_describe(const cf_image_info *info, char *buf, size_t size)
{
    const char *v = info->version[0] ? info->version : "unknown version";
    if (info->iface == CF_IFACE_CAN && info->can_bitrate)
        snprintf(buf, size, "%s (CAN %u)", v, (unsigned)info->can_bitrate);
    else if (info->iface == CF_IFACE_CAN)
        snprintf(buf, size, "%s (CAN)", v);
    else if (info->iface == CF_IFACE_USB)
        snprintf(buf, size, "%s (USB)", v);
    else
        snprintf(buf, size, "%s", v);
}

bool cf_kl_image_is_running(const cf_kl_ident *id, const cf_image *img)
{
    if (!id->json)
        return false;
    size_t len = 0;
    char *json = cf_image_dictionary_json(img, &len);
    bool same = json && cf_kl_same_build(id->json, id->json_len, json, len);
    free(json);
    return same;
}
