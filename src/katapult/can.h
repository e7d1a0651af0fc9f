/* CAN side of Katapult: a bus handle (SocketCAN raw socket, or any fd that
 * carries struct can_frame records, such as a socketpair of a bus that may be
 * simulated), the admin messages on 0x3F0/0x3F1, and one node's byte stream.
 * Facts: Katapult src/generic/canserial.c and scripts/flashtool.py, Klipper
 * src/generic/canserial.c and scripts/canbus_query.py. */
#ifndef CF_KATAPULT_CAN_H
#define CF_KATAPULT_CAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "katapult/stream.h"

#define CF_KP_CAN_ADMIN 0x3F0u
#define CF_KP_CAN_ADMIN_REPLY 0x3F1u
#define CF_KP_FLASH_NODEID                                                                         \
    0x81u /* 129, as flashtool: host sends on 0x202, node answers on 0x203                         \
           */

typedef struct cf_kp_can cf_kp_can;

/* Opens a CAN_RAW socket bound to ifname (classic frames, no own echo). */
cf_code cf_kp_can_open(const char *ifname, cf_kp_can **out, cf_error *err);
/* Wraps an fd carrying struct can_frame records (takes ownership). */
cf_code cf_kp_can_from_fd(int fd, const char *name, cf_kp_can **out, cf_error *err);
void cf_kp_can_close(cf_kp_can *can);

cf_code cf_kp_can_send(cf_kp_can *can, uint32_t id, const uint8_t *data, uint8_t dlc,
                       cf_error *err);
/* Waits up to timeout_ms for one frame; *got false on timeout. */
cf_code cf_kp_can_recv(cf_kp_can *can, uint32_t *id, uint8_t *data, uint8_t *dlc, int timeout_ms,
                       bool *got, cf_error *err);

/* Traffic so far: frames and bits (stuffed, per canbits.h) each way. */
void cf_kp_can_counters(const cf_kp_can *can, unsigned long *frames_out, unsigned long *frames_in,
                        unsigned long long *bits_out, unsigned long long *bits_in);

/* UUID text <-> bytes: 12 hex digits, wire order. */
bool cf_kp_uuid_parse(const char *text, uint8_t uuid[6]);
void cf_kp_uuid_format(const uint8_t uuid[6], char out[13]);

typedef struct cf_kp_can_node {
    uint8_t uuid[6];
    uint8_t app; /* 0x01 Klipper, 0x11 Katapult, other = unknown */
} cf_kp_can_node;

/* QUERY_UNASSIGNED, collecting answers for wait_ms. Nodes already given an id
 * (e.g. claimed by a running Klipper) never answer. */
cf_code cf_kp_can_query(cf_kp_can *can, int wait_ms, cf_kp_can_node *nodes, size_t cap,
                        size_t *count, cf_error *err);
cf_code cf_kp_can_request_bootloader(cf_kp_can *can, const uint8_t uuid[6], cf_error *err);
cf_code cf_kp_can_clear_ids(cf_kp_can *can, cf_error *err);
cf_code cf_kp_can_set_id(cf_kp_can *can, const uint8_t uuid[6], uint8_t nodeid, cf_error *err);

/* The byte stream of one node (host sends on 0x100+2*id, reads 0x100+2*id+1).
 * The stream borrows can; close the stream before the bus. */
cf_code cf_kp_can_stream(cf_kp_can *can, uint8_t nodeid, cf_kp_stream **out, cf_error *err);

#endif
