/* libFuzzer: parsing of RTM_NEWLINK replies for CAN bitrate and state. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "katapult/canlink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_kp_canlink l;
    if (cf_kp_canlink_parse(data, size, &l)) {
        if (memchr(l.kind, 0, sizeof(l.kind)) == NULL)
            abort();
        if (l.has_bitrate && strcmp(l.kind, "can") != 0)
            abort(); /* only a real CAN link reports bit timing */
    }
    return 0;
}
