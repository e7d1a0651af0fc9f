/* libFuzzer target: cf_emu_parse_spec() on arbitrary strings. On success the
 * config must be usable (a path fits its buffer, fault_at >= 1). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/stm32_dfu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *spec = malloc(size + 1);
    if (!spec) {
        return 0;
    }
    memcpy(spec, data, size);
    spec[size] = '\0';
    cf_emu_config cfg;
    cf_error err = {0};
    if (cf_emu_parse_spec(spec, &cfg, &err) == CF_OK) {
        if (cfg.flash_path && strlen(cfg.flash_path) >= sizeof cfg.flash_path_buf) {
            abort();
        }
        if (cfg.fault_at == 0 || cfg.appear_ms > 3600000) {
            abort();
        }
    } else if (err.message[0] == '\0') {
        abort(); /* every failure explains itself */
    }
    free(spec);
    return 0;
}
