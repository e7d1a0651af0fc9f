/* Klipper message blocks and VLQ integers (facts: klipper.h). */
#include <string.h>

#include "klipper/klipper.h"

uint16_t cf_kl_crc16(const uint8_t *buf, size_t len)
{
    /* CRC16-CCITT as Klipper computes it (docs/Protocol.md, msgproto.py
     * crc16_ccitt): init 0xffff, reflected polynomial 0x8408 — the same
     * value as the bitwise form below. */
    uint16_t crc = 0xffff;
    for (size_t i = 0; i < len; i++) {
        crc ^= buf[i];
        for (int b = 0; b < 8; b++)
            crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408u) : (uint16_t)(crc >> 1);
    }
    return crc;
}

size_t cf_kl_vlq_put(uint8_t *out, size_t cap, int64_t v)
{
    /* Byte count from the table in docs/Protocol.md "Variable Length
     * Quantities": each extra byte carries 7 more bits, and the first byte's
     * 0x60 bits tell a negative number from a positive one. */
    size_t n = 1;
    if (v >= 0xc000000 || v < -0x4000000)
        n = 5;
    else if (v >= 0x180000 || v < -0x80000)
        n = 4;
    else if (v >= 0x3000 || v < -0x1000)
        n = 3;
    else if (v >= 0x60 || v < -0x20)
        n = 2;
    if (cap < n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned shift = (unsigned)(7 * (n - 1 - i));
        uint8_t b = (uint8_t)(((uint64_t)v >> shift) & 0x7f);
        out[i] = i + 1 < n ? (uint8_t)(b | 0x80) : b;
    }
    return n;
}

bool cf_kl_vlq_get(const uint8_t *buf, size_t len, size_t *pos, uint32_t *out)
{
    size_t p = *pos;
    if (p >= len)
        return false;
    uint8_t c = buf[p++];
    uint32_t v = c & 0x7f;
    if ((c & 0x60) == 0x60)
        v |= ~(uint32_t)0x1f; /* negative: sign-extend from the first byte */
    for (int n = 1; c & 0x80; n++) {
        if (n >= 5 || p >= len)
            return false;
        c = buf[p++];
        v = (v << 7) | (c & 0x7f);
    }
    *pos = p;
    *out = v;
    return true;
}

size_t cf_kl_block_encode(uint8_t seq, const uint8_t *content, size_t len, uint8_t *out, size_t cap)
{
    size_t total = len + CF_KL_BLOCK_MIN;
    if (total > CF_KL_BLOCK_MAX || total > cap)
        return 0;
    out[0] = (uint8_t)total;
    out[1] = (uint8_t)(CF_KL_DEST | (seq & CF_KL_SEQ_MASK));
    if (len)
        memcpy(out + 2, content, len);
    uint16_t crc = cf_kl_crc16(out, len + 2);
    out[len + 2] = (uint8_t)(crc >> 8);
    out[len + 3] = (uint8_t)crc;
    out[len + 4] = CF_KL_SYNC;
    return total;
}

int cf_kl_block_find(const uint8_t *buf, size_t len, size_t *used)
{
    *used = 0;
    if (len == 0)
        return 0;
    if (buf[0] == CF_KL_SYNC) {
        *used = 1; /* a leading sync byte is no error */
        return -1;
    }
    size_t msglen = buf[0];
    if (msglen < CF_KL_BLOCK_MIN || msglen > CF_KL_BLOCK_MAX)
        goto resync;
    if (len >= 2 && (buf[1] & ~CF_KL_SEQ_MASK) != CF_KL_DEST)
        goto resync;
    if (len < msglen)
        return 0;
    if (buf[msglen - 1] != CF_KL_SYNC)
        goto resync;
    uint16_t crc = cf_kl_crc16(buf, msglen - 3);
    if (buf[msglen - 3] != (uint8_t)(crc >> 8) || buf[msglen - 2] != (uint8_t)crc)
        goto resync;
    *used = msglen;
    return 1;
resync:;
    /* Drop up to and including the next sync byte: a block always ends with one. */
    const uint8_t *next = memchr(buf, CF_KL_SYNC, len);
    *used = next ? (size_t)(next - buf) + 1 : len;
    return -1;
}

cf_code cf_kl_parse_identify_response(const uint8_t *content, size_t len, uint32_t *offset,
                                      const uint8_t **data, size_t *data_len, cf_error *err)
{
    size_t pos = 0;
    uint32_t id, off, n;
    if (!cf_kl_vlq_get(content, len, &pos, &id))
        return cf_fail(err, CF_ERR_FORMAT, "empty or truncated response id");
    if (id != CF_KL_ID_IDENTIFY_RESPONSE)
        return cf_fail(err, CF_ERR_FORMAT, "response id %u is not identify_response", (unsigned)id);
    if (!cf_kl_vlq_get(content, len, &pos, &off))
        return cf_fail(err, CF_ERR_FORMAT, "identify_response without an offset");
    if (!cf_kl_vlq_get(content, len, &pos, &n))
        return cf_fail(err, CF_ERR_FORMAT, "identify_response without a data length");
    if (n > len - pos)
        return cf_fail(err, CF_ERR_FORMAT,
                       "identify_response claims %u data bytes, the block holds %zu", (unsigned)n,
                       len - pos);
    if (pos + n != len)
        return cf_fail(err, CF_ERR_FORMAT, "identify_response has %zu bytes after its data",
                       len - pos - n);
    *offset = off;
    *data = content + pos;
    *data_len = n;
    return CF_OK;
}
