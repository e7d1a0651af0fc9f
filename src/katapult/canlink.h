/* State and bitrate of a CAN network interface, read through rtnetlink
 * (RTM_GETLINK: IFLA_LINKINFO / IFLA_INFO_DATA / IFLA_CAN_BITTIMING), never by
 * parsing `ip` output. */
#ifndef CF_KATAPULT_CANLINK_H
#define CF_KATAPULT_CANLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct cf_kp_canlink {
    bool up;          /* IFF_UP */
    char kind[16];    /* IFLA_INFO_KIND: "can", "vcan", "" */
    bool has_bitrate; /* real CAN controllers report one; vcan does not */
    uint32_t bitrate;
    bool has_state;
    uint32_t state;    /* enum can_state: 0 active, 1 warning, 2 passive, 3 bus-off, 4 stopped */
    uint8_t operstate; /* IFLA_OPERSTATE, RFC 2863 (linux/if.h IF_OPER_*); 0 = unknown */
    uint32_t txqlen;   /* IFLA_TXQLEN; 0 when not reported */
} cf_kp_canlink;

/* CF_ERR_NOT_FOUND when there is no such interface. */
cf_code cf_kp_canlink_get(const char *ifname, cf_kp_canlink *out, cf_error *err);

/* Parses one RTM_NEWLINK message (nlmsghdr included). Exposed for fuzzing.
 * Returns false when it is not a well-formed RTM_NEWLINK. */
bool cf_kp_canlink_parse(const uint8_t *msg, size_t len, cf_kp_canlink *out);

const char *cf_kp_can_state_name(uint32_t state);
/* The operational state as `ip link` names it: "UP", "DOWN", "UNKNOWN", ... */
const char *cf_kp_oper_state_name(uint8_t operstate);

#endif
