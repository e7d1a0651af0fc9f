/* libFuzzer: printer.cfg scanning for the probe's canbus_uuid / serial. Every
 * CAN entry found must be 12 lower-case hex digits and every field terminated. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "katapult/katapult.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void cf_kp_fuzz_check_entries(const cf_kp_cfg_entry *e, size_t n);
void cf_kp_fuzz_check_entries(const cf_kp_cfg_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (memchr(e[i].value, 0, sizeof(e[i].value)) == NULL ||
            memchr(e[i].source, 0, sizeof(e[i].source)) == NULL ||
            memchr(e[i].section, 0, sizeof(e[i].section)) == NULL)
            abort();
        if (!e[i].can)
            continue;
        if (strlen(e[i].value) != 12)
            abort();
        for (int k = 0; k < 12; k++)
            if (!isxdigit((unsigned char)e[i].value[k]) || isupper((unsigned char)e[i].value[k]))
                abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_kp_cfg_entry e[16];
    size_t n = 99;
    cf_kp_config_scan_text((const char *)data, size, "printer.cfg", e, 16, &n);
    if (n > 16)
        abort();
    cf_kp_fuzz_check_entries(e, n);
    return 0;
}
