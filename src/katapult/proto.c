/* Katapult framing and CRC (Katapult protocol.md, src/command.c,
 * src/generic/crc16_ccitt.c). */
#include "katapult/proto.h"

#include <string.h>

uint16_t cf_kp_crc16(const uint8_t *data, size_t len)
{
    /* Bit-serial form of the reflected CCITT polynomial; fast enough for
     * 64-byte blocks and obviously right. */
    uint16_t crc = 0xFFFF;
    for (size_t i = 0; i < len; i++) {
        crc ^= data[i];
        for (int b = 0; b < 8; b++)
            crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) : (uint16_t)(crc >> 1);
    }
    return crc;
}

size_t cf_kp_frame_encode(uint8_t code, const uint8_t *payload, size_t payload_len, uint8_t *out,
                          size_t cap)
{
    if (payload_len % 4 != 0 || payload_len > 4u * 255u)
        return 0;
    size_t total = payload_len + 8;
    if (total > cap)
        return 0;
    out[0] = CF_KP_STX1;
    out[1] = CF_KP_STX2;
    out[2] = code;
    out[3] = (uint8_t)(payload_len / 4);
    if (payload_len)
        memcpy(out + 4, payload, payload_len);
    uint16_t crc = cf_kp_crc16(out + 2, payload_len + 2);
    out[4 + payload_len] = (uint8_t)crc;
    out[5 + payload_len] = (uint8_t)(crc >> 8);
    out[6 + payload_len] = CF_KP_ETX1;
    out[7 + payload_len] = CF_KP_ETX2;
    return total;
}

const char *cf_kp_code_name(uint8_t code)
{
    switch (code) {
    case CF_KP_CMD_CONNECT:
        return "CONNECT";
    case CF_KP_CMD_SEND_BLOCK:
        return "SEND_BLOCK";
    case CF_KP_CMD_SEND_EOF:
        return "SEND_EOF";
    case CF_KP_CMD_REQUEST_BLOCK:
        return "REQUEST_BLOCK";
    case CF_KP_CMD_COMPLETE:
        return "COMPLETE";
    case CF_KP_CMD_GET_CANBUS_ID:
        return "GET_CANBUS_ID";
    case CF_KP_RESP_ACK:
        return "ACK";
    case CF_KP_RESP_NACK:
        return "NACK";
    case CF_KP_RESP_ERROR:
        return "COMMAND ERROR";
    case CF_KP_RESP_BUSY:
        return "BUSY";
    default:
        return NULL;
    }
}

void cf_kp_decoder_reset(cf_kp_decoder *d)
{
    d->len = 0;
    d->consumed = 0;
    d->dropped = 0;
    d->crc_errors = 0;
}

static void decoder_pop(cf_kp_decoder *d, size_t n)
{
    memmove(d->buf, d->buf + n, d->len - n);
    d->len -= n;
}

size_t cf_kp_decoder_feed(cf_kp_decoder *d, const uint8_t *data, size_t len)
{
    if (d->consumed) {
        decoder_pop(d, d->consumed);
        d->consumed = 0;
    }
    size_t room = sizeof(d->buf) - d->len;
    size_t n = len < room ? len : room;
    memcpy(d->buf + d->len, data, n);
    d->len += n;
    return n;
}

bool cf_kp_decoder_next(cf_kp_decoder *d, cf_kp_frame *out)
{
    if (d->consumed) {
        decoder_pop(d, d->consumed);
        d->consumed = 0;
    }
    for (;;) {
        /* Skip to a candidate start. */
        size_t skip = 0;
        while (skip < d->len && d->buf[skip] != CF_KP_STX1)
            skip++;
        if (skip) {
            d->dropped += (unsigned)skip;
            decoder_pop(d, skip);
        }
        if (d->len < 2)
            return false;
        if (d->buf[1] != CF_KP_STX2) {
            d->dropped++;
            decoder_pop(d, 1);
            continue;
        }
        if (d->len < CF_KP_FRAME_MIN)
            return false;
        size_t total = (size_t)d->buf[3] * 4 + 8;
        if (d->len < total)
            return false;
        uint16_t crc = cf_kp_crc16(d->buf + 2, total - 6);
        uint16_t got = (uint16_t)(d->buf[total - 4] | d->buf[total - 3] << 8);
        if (d->buf[total - 2] != CF_KP_ETX1 || d->buf[total - 1] != CF_KP_ETX2 || crc != got) {
            if (crc != got)
                d->crc_errors++;
            d->dropped++;
            decoder_pop(d, 1);
            continue;
        }
        out->code = d->buf[2];
        out->payload = d->buf + 4;
        out->payload_len = total - 8;
        d->consumed = total;
        return true;
    }
}

/* Copies a NUL-terminated (or area-bounded) string, keeping printable ASCII. */
static void copy_text(char *dst, size_t cap, const uint8_t *src, size_t len)
{
    size_t j = 0;
    for (size_t i = 0; i < len && src[i] && j + 1 < cap; i++)
        dst[j++] = (src[i] >= 0x20 && src[i] < 0x7F) ? (char)src[i] : '?';
    dst[j] = 0;
}

bool cf_kp_parse_connect(const uint8_t *p, size_t len, cf_kp_connect_info *info)
{
    memset(info, 0, sizeof(*info));
    if (len < 12)
        return false;
    info->proto_version = cf_kp_le32(p);
    info->app_start = cf_kp_le32(p + 4);
    info->block_size = cf_kp_le32(p + 8);
    const uint8_t *s = p + 12;
    size_t n = len - 12;
    copy_text(info->mcu, sizeof(info->mcu), s, n);
    if (info->proto_version < 0x00010100u)
        return true; /* CanBoot 1.0: MCU string only */
    /* MCU string, its NUL padding and a zero word, then the version: skip
     * every NUL in between (a naive split keeps them; connect_btl in
     * Katapult's scripts/flashtool.py strips them). */
    size_t i = 0;
    while (i < n && s[i])
        i++;
    while (i < n && !s[i])
        i++;
    if (i < n)
        copy_text(info->version, sizeof(info->version), s + i, n - i);
    return true;
}
