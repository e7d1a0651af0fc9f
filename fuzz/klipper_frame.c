/* libFuzzer: Klipper message blocks, both sides. The host's block finder and
 * identify_response parser, and the simulated MCU's input handler, get
 * arbitrary byte streams; every block found must re-encode to the same
 * bytes, a parsed response must lie inside its block, and nothing may read
 * out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "klipper/klipper.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void host_side(const uint8_t *data, size_t size)
{
    size_t pos = 0;
    while (pos < size) {
        size_t used = 0;
        int r = cf_kl_block_find(data + pos, size - pos, &used);
        if (r == 0)
            break;
        if (used == 0 || used > size - pos)
            abort(); /* progress, inside the input */
        if (r > 0) {
            const uint8_t *b = data + pos;
            uint8_t again[CF_KL_BLOCK_MAX];
            size_t n = cf_kl_block_encode(b[1], b + 2, used - 5, again, sizeof(again));
            if (n != used || memcmp(again, b, n) != 0)
                abort();
            uint32_t off;
            const uint8_t *d;
            size_t dl;
            if (cf_kl_parse_identify_response(b + 2, used - 5, &off, &d, &dl, NULL) == CF_OK &&
                (d < b + 2 || d + dl != b + used - 3))
                abort();
        }
        pos += used;
    }
}

static void mcu_side(const uint8_t *data, size_t size)
{
    static const uint8_t dict[100] = {0x78, 0x9c};
    cf_kl_mcu m;
    cf_kl_mcu_reset(&m, dict, sizeof(dict));
    uint8_t out[4096];
    size_t chunk = size ? (size_t)(data[0] % 23) + 1 : 1;
    for (size_t i = 0; i < size; i += chunk) {
        size_t out_len = 0;
        cf_kl_mcu_input(&m, data + i, size - i < chunk ? size - i : chunk, out, sizeof(out),
                        &out_len);
        if (out_len > sizeof(out))
            abort();
        host_side(out, out_len); /* what the MCU sends is always well formed */
        size_t p = 0;
        while (p < out_len) {
            size_t used;
            if (cf_kl_block_find(out + p, out_len - p, &used) != 1)
                abort();
            p += used;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    host_side(data, size);
    mcu_side(data, size);
    return 0;
}
