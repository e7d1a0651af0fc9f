/* libFuzzer target: Moonraker's answer about the Cartographer MCU (a reply
 * from a server on the network, which `status` trusts only as far as it
 * parses). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "klipper/moonraker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_mr_mcu m[2];
    size_t n = 99;
    cf_error err;
    cf_error_reset(&err);
    cf_code rc = cf_mr_parse_mcus((const char *)data, size, m, 2, &n, &err);
    if (n > 2)
        abort();
    if (rc != CF_OK && (rc != CF_ERR_FORMAT && rc != CF_ERR_NOMEM))
        abort();
    for (size_t i = 0; rc == CF_OK && i < n; i++)
        if (strlen(m[i].canbus_uuid) > 12 || !memchr(m[i].fw.version, 0, sizeof(m[i].fw.version)))
            abort();
    return 0;
}
