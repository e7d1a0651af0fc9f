/* Katapult wire protocol: CRC16, frame encoding, and a host-side frame finder.
 *
 * Frame (both directions, on CAN, USB-CDC and UART alike):
 *   01 88 | code | N | N*4 payload bytes | crc16 (LE) | 99 03
 * The CRC (CRC-16/MCRF4XX: reflected 0x1021, init 0xFFFF, no final xor)
 * covers code, N and the payload. Payload integers are 32-bit little-endian.
 * See Katapult's protocol.md, src/command.c and src/flashcmd.c, and
 * scripts/flashtool.py (github.com/Arksine/katapult).
 */
#ifndef CF_KATAPULT_PROTO_H
#define CF_KATAPULT_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CF_KP_STX1 0x01
#define CF_KP_STX2 0x88
#define CF_KP_ETX1 0x99
#define CF_KP_ETX2 0x03
#define CF_KP_FRAME_MIN 8u
#define CF_KP_MSG_MAX 128u               /* the node refuses longer frames (N > 30) */
#define CF_KP_FRAME_MAX (8u + 4u * 255u) /* what the length byte can express */

enum {
    CF_KP_CMD_CONNECT = 0x11,
    CF_KP_CMD_SEND_BLOCK = 0x12,
    CF_KP_CMD_SEND_EOF = 0x13,
    CF_KP_CMD_REQUEST_BLOCK = 0x14,
    CF_KP_CMD_COMPLETE = 0x15,
    CF_KP_CMD_GET_CANBUS_ID = 0x16,
    CF_KP_RESP_ACK = 0xA0,
    CF_KP_RESP_NACK = 0xF1,
    CF_KP_RESP_ERROR = 0xF2,
    CF_KP_RESP_BUSY = 0xF3
};

#define CF_KP_PROTO_VERSION 0x00010100u

uint16_t cf_kp_crc16(const uint8_t *data, size_t len);

/* Encodes a frame; payload_len must be a multiple of 4 and at most 1020.
 * Returns the frame length, or 0 if out does not have room. */
size_t cf_kp_frame_encode(uint8_t code, const uint8_t *payload, size_t payload_len, uint8_t *out,
                          size_t cap);

/* Name of a command or response code ("CONNECT", "NACK", ...), "0xNN" style
 * text is the caller's job for unknown codes: returns NULL then. */
const char *cf_kp_code_name(uint8_t code);

/* A decoded frame; payload points into the decoder's buffer (valid until the
 * next cf_kp_decoder_* call). */
typedef struct cf_kp_frame {
    uint8_t code;
    const uint8_t *payload;
    size_t payload_len;
} cf_kp_frame;

/* Host-side frame finder over a byte stream. Unlike the node it never wedges:
 * on any framing error it drops one byte and searches for the next 01 88. */
typedef struct cf_kp_decoder {
    uint8_t buf[2 * CF_KP_FRAME_MAX];
    size_t len;
    size_t consumed;  /* bytes of buf belonging to the frame last returned */
    unsigned dropped; /* bytes discarded as garbage (for diagnostics) */
    unsigned crc_errors;
} cf_kp_decoder;

void cf_kp_decoder_reset(cf_kp_decoder *d);
/* Appends bytes; returns how many were taken (less than len when full). */
size_t cf_kp_decoder_feed(cf_kp_decoder *d, const uint8_t *data, size_t len);
/* Extracts the next complete, CRC-valid frame. Returns false if none yet. */
bool cf_kp_decoder_next(cf_kp_decoder *d, cf_kp_frame *out);

static inline uint32_t cf_kp_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void cf_kp_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* CONNECT reply, parsed (payload after the acked-command word). */
typedef struct cf_kp_connect_info {
    uint32_t proto_version; /* 0x00010100 = 1.1.0 */
    uint32_t app_start;
    uint32_t block_size;
    char mcu[64];
    char version[64]; /* "" when the build reports none */
} cf_kp_connect_info;

/* Parses the words after word0 of a CONNECT ACK. False if malformed. */
bool cf_kp_parse_connect(const uint8_t *p, size_t len, cf_kp_connect_info *info);

#endif
