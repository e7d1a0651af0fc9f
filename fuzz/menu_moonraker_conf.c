/* libFuzzer target: the [server] port of a moonraker.conf (a file of the host,
 * which the menu reads to find each Moonraker instance). */
#include <stdint.h>
#include <stdlib.h>

#include "menu/moonraker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned port = 0;
    cf_error err;
    cf_error_reset(&err);
    cf_code rc = menu_moonraker_conf_port((const char *)data, size, &port, &err);
    if (rc == CF_OK && (port == 0 || port > 65535))
        abort();
    if (rc != CF_OK && (rc != CF_ERR_FORMAT || err.message[0] == '\0'))
        abort();
    return 0;
}
