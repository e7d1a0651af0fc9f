/* libFuzzer target: the menu's JSON reader of outside input, Moonraker's
 * print_stats reply. The first byte is skipped (it once picked between two
 * readers; the CAN link is read through rtnetlink now, fuzzed in
 * katapult_netlink.c), so the existing corpus still fits. */
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
    char state[32];
    cf_code rc = menu_moonraker_parse(json, len, state, sizeof(state), &err);
    if (rc == CF_OK && (state[0] == '\0' || strlen(state) >= sizeof(state)))
        abort();
    if (rc != CF_OK && err.message[0] == '\0')
        abort();
    return 0;
}
