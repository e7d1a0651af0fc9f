/* libFuzzer target: the menu's settings file parser on arbitrary bytes.
 * Whatever it accepts must survive a format/parse round trip unchanged, every
 * failure must explain itself, and no string field may lose its terminator. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "menu/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    menu_settings s, again;
    cf_error err;
    menu_settings_default(&s);
    cf_error_reset(&err);
    cf_code rc = menu_settings_parse((const char *)data, size, &s, &err);
    if (rc != CF_OK && err.message[0] == '\0')
        abort();
    if (memchr(s.branch, '\0', sizeof(s.branch)) == NULL ||
        memchr(s.firmware_dir, '\0', sizeof(s.firmware_dir)) == NULL ||
        memchr(s.moonraker_url, '\0', sizeof(s.moonraker_url)) == NULL)
        abort();
    static char text[64 * 1024];
    size_t n = menu_settings_format(&s, text, sizeof(text));
    if (n >= sizeof(text))
        abort();
    menu_settings_default(&again);
    cf_error_reset(&err);
    if (menu_settings_parse(text, n, &again, &err) != CF_OK)
        abort(); /* what we write we must read back */
    if (memcmp(&s, &again, sizeof(s)) != 0)
        abort();
    return 0;
}
