/* The `cartoflash switch` state file (read back on the next run). */
#include <stddef.h>
#include <stdint.h>

#include "klipper/switchstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_sw_state st;
    cf_error err = {0};
    if (cf_sw_state_parse((const char *)data, size, &st, &err)) {
        char text[1400];
        cf_sw_state again;
        size_t n = cf_sw_state_format(&st, text, sizeof(text));
        /* what it writes, it reads back the same */
        if (n && (!cf_sw_state_parse(text, n, &again, &err) || again.step != st.step ||
                  again.to != st.to || again.bitrate != st.bitrate))
            __builtin_trap();
    }
    return 0;
}
