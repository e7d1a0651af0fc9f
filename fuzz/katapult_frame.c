/* libFuzzer: Katapult frame decoding, both sides. The host's decoder (and its
 * CONNECT parser) and the emulated node's frame finder and command handlers
 * get arbitrary byte streams; every frame the host decodes must have a valid
 * CRC and trailer, and nothing may read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/node.h"
#include "katapult/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void host_side(const uint8_t *data, size_t size)
{
    cf_kp_decoder d;
    cf_kp_decoder_reset(&d);
    size_t chunk = size ? (size_t)(data[0] % 17) + 1 : 1;
    for (size_t i = 0; i < size; i += chunk) {
        size_t n = size - i < chunk ? size - i : chunk;
        cf_kp_decoder_feed(&d, data + i, n);
        cf_kp_frame f;
        while (cf_kp_decoder_next(&d, &f)) {
            uint8_t again[CF_KP_FRAME_MAX];
            size_t len = cf_kp_frame_encode(f.code, f.payload, f.payload_len, again, sizeof(again));
            if (len != f.payload_len + 8)
                abort(); /* a decoded frame always re-encodes */
            if (f.code == CF_KP_RESP_ACK && f.payload_len >= 4) {
                cf_kp_connect_info ci;
                if (cf_kp_parse_connect(f.payload + 4, f.payload_len - 4, &ci) &&
                    (strlen(ci.mcu) >= sizeof(ci.mcu) || strlen(ci.version) >= sizeof(ci.version)))
                    abort();
            }
        }
    }
}

static void node_side(const uint8_t *data, size_t size)
{
    cf_kpn_config cfg;
    cf_kpn_config_default(&cfg);
    cfg.link = size && (data[0] & 1) ? CF_KPN_CAN : CF_KPN_USB;
    cfg.start_katapult = true;
    cfg.timing = false;
    cfg.wedge = size > 1 && (data[1] & 1);
    cf_kpn *n;
    if (cf_kpn_new(&cfg, 0, &n, NULL))
        abort();
    uint8_t out[4096];
    if (cfg.link == CF_KPN_USB) {
        cf_kpn_stream_rx(n, 1, data, size);
        while (cf_kpn_stream_tx(n, 2, out, sizeof(out)))
            ;
    } else {
        /* Give the node id 0x81 then feed 8-byte frames on 0x202 (and some on
         * other ids, chosen by the data). */
        uint8_t set[8] = {0x11};
        memcpy(set + 1, cf_kpn_uuid(n), 6);
        set[7] = 0x81;
        cf_kpn_can_rx(n, 0, 0x3F0, set, 8);
        for (size_t i = 0; i < size; i += 8) {
            uint8_t dlc = (uint8_t)(size - i < 8 ? size - i : 8);
            uint32_t id = data[i] == 0x3F ? 0x3F0 : 0x202;
            cf_kpn_can_rx(n, i, id, data + i, dlc);
            uint32_t oid;
            uint8_t od[8], odlc;
            while (cf_kpn_can_tx(n, i, &oid, od, &odlc))
                if (odlc > 8)
                    abort();
        }
    }
    cf_kpn_free(n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    host_side(data, size);
    node_side(data, size);
    return 0;
}
