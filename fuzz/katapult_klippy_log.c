/* libFuzzer: klippy.log scanning (config dumps and canbus_uuid mentions). */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "katapult/katapult.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_kp_cfg_entry e[8];
    size_t n = 99;
    cf_kp_klippy_log_scan_text((const char *)data, size, "klippy.log", e, 8, &n);
    if (n > 8)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (memchr(e[i].value, 0, sizeof(e[i].value)) == NULL)
            abort();
        if (e[i].can) {
            if (strlen(e[i].value) != 12)
                abort();
            for (int k = 0; k < 12; k++)
                if (!isxdigit((unsigned char)e[i].value[k]))
                    abort();
        }
    }
    return 0;
}
