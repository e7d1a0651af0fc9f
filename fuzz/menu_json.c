/* libFuzzer target: the menu's two JSON readers of outside input, Moonraker's
 * print_stats reply and `ip -j -d link` output. The first byte picks which. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "menu/menu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *json = (const char *)data + 1;
    size_t len = size - 1;
    cf_error err;
    cf_error_reset(&err);
    if (data[0] & 1) {
        char state[32];
        cf_code rc = menu_moonraker_parse(json, len, state, sizeof(state), &err);
        if (rc == CF_OK && (state[0] == '\0' || strlen(state) >= sizeof(state)))
            abort();
        if (rc != CF_OK && err.message[0] == '\0')
            abort();
    } else {
        menu_canlink c;
        cf_code rc = menu_canlink_parse(json, len, &c, &err);
        if (rc == CF_OK && (!c.present || c.bitrate > 10000000))
            abort();
        if (rc != CF_OK && err.message[0] == '\0')
            abort();
    }
    return 0;
}
