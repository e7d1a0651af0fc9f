/* What a probe running its Cartographer (Klipper) firmware says about itself:
 * Klipper's MCU protocol, just enough to ask for the data dictionary with
 * `identify` and decode it, without disturbing the firmware.
 *
 * Facts (Klipper docs/Protocol.md "Message Blocks", "Variable Length
 * Quantities", "Data Dictionary", "Message flow"; klippy/msgproto.py;
 * src/command.c, src/basecmd.c; docs/CANBUS_protocol.md, src/generic/canserial.c):
 *  - A message block is <len><seq><content><crc16 hi><crc16 lo><0x7e>; len
 *    counts the whole block (5..64), seq is 0x10 | a 4-bit sequence number,
 *    the CRC16-CCITT covers len, seq and content. Leading 0x7e bytes are
 *    ignored by the MCU.
 *  - Content is VLQ integers (7 bits per byte, high bit = more follows, the
 *    first byte's 0x60 bits set = negative); a string is a VLQ length and the
 *    bytes.
 *  - `identify offset=%u count=%c` has the hard-coded command id 1, its
 *    answer `identify_response offset=%u data=%.*s` the response id 0. The
 *    dictionary is zlib-compressed JSON; the host asks for 40-byte chunks
 *    until a chunk comes back empty (klippy/serialhdl.py).
 *  - The MCU accepts only the block whose sequence it expects next and
 *    answers every block with an empty "ack"/"nak" block carrying that
 *    sequence, so a host that does not know it yet learns it from the first
 *    nak (what klippy/chelper/serialqueue.c does on connect).
 *  - CAN (canserial.c): admin id 0x3f0, answers on 0x3f1. QUERY_UNASSIGNED
 *    (0x00) is answered by a node without a node id with 0x20 + UUID + 0x01;
 *    SET_KLIPPER_NODEID (0x01 + UUID + id) gives it id N: the host then sends
 *    on 0x100 + 2N and the node on 0x100 + 2N + 1. Klipper has no command to
 *    take an id back: the node keeps it until it is reset, and a Klipper that
 *    starts later simply assigns its own. A node given an id no longer
 *    answers QUERY_UNASSIGNED.
 *
 * Nothing here resets or reconfigures the MCU: the only commands sent are
 * `identify` and, on CAN, the node id assignment Klipper itself uses.
 * Nothing prints.
 */
#ifndef CF_KLIPPER_KLIPPER_H
#define CF_KLIPPER_KLIPPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "image/image.h"
#include "katapult/stream.h"

#define CF_KL_BLOCK_MIN 5u
#define CF_KL_BLOCK_MAX 64u
#define CF_KL_SYNC 0x7eu
#define CF_KL_DEST 0x10u
#define CF_KL_SEQ_MASK 0x0fu
#define CF_KL_ID_IDENTIFY_RESPONSE 0u
#define CF_KL_ID_IDENTIFY 1u
#define CF_KL_CHUNK 40u               /* what klippy asks for per identify */
#define CF_KL_DICT_MAX (256u * 1024u) /* refuse a larger compressed dictionary */

/* ---- framing (pure) ---- */

uint16_t cf_kl_crc16(const uint8_t *buf, size_t len);

/* Appends v as a Klipper VLQ; returns bytes written (1..5), 0 if cap is short. */
size_t cf_kl_vlq_put(uint8_t *out, size_t cap, int64_t v);
/* Reads one VLQ at *pos (advanced); false if it runs past len or is longer than 5 bytes. */
bool cf_kl_vlq_get(const uint8_t *buf, size_t len, size_t *pos, uint32_t *out);

/* Builds a block around content; returns its length, 0 if it does not fit 64 bytes. */
size_t cf_kl_block_encode(uint8_t seq, const uint8_t *content, size_t len, uint8_t *out,
                          size_t cap);

/* Looks for one block at the start of buf. Returns 1 = a valid block of *used
 * bytes, 0 = need more input (*used = 0), -1 = *used bytes are not a block
 * and are to be dropped (a resync to the next 0x7e). */
int cf_kl_block_find(const uint8_t *buf, size_t len, size_t *used);

/* Parses the content of a block (without header and trailer) as an
 * identify_response. Returns CF_ERR_FORMAT (with the reason) when it is not
 * one: another response id, a truncated or over-long field, trailing bytes. */
cf_code cf_kl_parse_identify_response(const uint8_t *content, size_t len, uint32_t *offset,
                                      const uint8_t **data, size_t *data_len, cf_error *err);

/* ---- the identify client ---- */

typedef struct cf_kl_ident {
    cf_image_info info; /* version, mcu, iface, can_bitrate, clock_freq from the dictionary */
    char *json;         /* the inflated dictionary (malloc'd, NUL-terminated) */
    size_t json_len;
    size_t compressed_len;
    unsigned requests, retries;
    char device[160]; /* "/dev/ttyACM0" or "can0 uuid 0123456789ab" */
    char source[64];  /* "identify over USB serial", "identify over CAN", "Moonraker" */
} cf_kl_ident;

void cf_kl_ident_free(cf_kl_ident *id);

/* Fetches the whole dictionary over an open stream and decodes it.
 * reply_ms: per-request answer timeout (0 = 500). A dictionary that does
 * not inflate or parse is CF_ERR_FORMAT naming `device`; no answer at all is
 * CF_ERR_TIMEOUT. */
cf_code cf_kl_identify_stream(cf_kp_stream *s, const char *device, unsigned reply_ms,
                              cf_kl_ident *out, cf_error *err);

/* Decodes a compressed dictionary (the concatenated identify data). */
cf_code cf_kl_decode_dictionary(const uint8_t *z, size_t len, const char *device, cf_kl_ident *out,
                                cf_error *err);

/* True when two dictionaries describe the same build: the same "version"
 * and an identical "config" object (every build constant). */
bool cf_kl_same_build(const char *json_a, size_t len_a, const char *json_b, size_t len_b);

/* True when img carries the same build as the running firmware id reported
 * (cf_kl_same_build on the two dictionaries): flashing it changes nothing. */
bool cf_kl_image_is_running(const cf_kl_ident *id, const cf_image *img);

/* One line: "CARTOGRAPHER 5.1.0 (CAN 1000000)" / "CARTOGRAPHER 5.1.0 (USB)". */
void cf_kl_describe(const cf_image_info *info, char *buf, size_t size);

/* ---- CAN node ids given for identify (nodeids.c) ---- */

typedef struct cf_kl_nodeid {
    char uuid[13];
    uint8_t id;
} cf_kl_nodeid;

/* The node id this UUID gets for identify: the one remembered for it under
 * XDG state (*known), else a new one no other remembered UUID has (then
 * remembered before it is used). */
cf_code cf_kl_can_temp_id(const char *uuid, uint8_t *id, bool *known, cf_error *err);
/* Every remembered UUID and id. */
size_t cf_kl_nodeids_load(cf_kl_nodeid *out, size_t cap);
/* Parses the state file's text ("<uuid> <id>" lines; others skipped). For fuzzing. */
size_t cf_kl_nodeids_parse(const char *text, size_t len, cf_kl_nodeid *out, size_t cap);

/* ---- the simulated MCU's side (for the emulated probe) ---- */

typedef struct cf_kl_mcu {
    const uint8_t *dict; /* the compressed dictionary as it sits in flash (borrowed) */
    size_t dict_len;
    uint8_t next_seq; /* 0x10 | sequence expected next; 0x10 after reset */
    bool need_sync, nak_sent;
    uint8_t rx[192]; /* the MCU's receive window */
    size_t rx_len;
    unsigned identifies; /* identify commands answered */
    unsigned others;     /* other commands (ignored: this model knows only identify) */
} cf_kl_mcu;

void cf_kl_mcu_reset(cf_kl_mcu *m, const uint8_t *dict, size_t dict_len);
/* Feeds host bytes; appends the MCU's answers to out (up to cap, *out_len
 * updated). Blocks that would not fit are dropped, as a full TX queue would. */
void cf_kl_mcu_input(cf_kl_mcu *m, const uint8_t *data, size_t len, uint8_t *out, size_t cap,
                     size_t *out_len);

#endif
