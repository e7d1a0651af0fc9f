/* libFuzzer: the readers of the Cartographer Klipper plugin's version files
 * (pip's METADATA header block, the checkout's __version__.py) and the
 * version splitter. Anything must end in a version that splits or an error,
 * never a read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "klipper/plugin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char version[64];
    int rel[3];
    bool pre;
    cf_error err = {0};
    if (cf_plugin_parse_metadata((const char *)data, size, "METADATA", version, sizeof(version),
                                 &err) == CF_OK &&
        !cf_plugin_version_parse(version, rel, &pre))
        abort(); /* a success must be a version */
    cf_error_reset(&err);
    if (cf_plugin_parse_version_py((const char *)data, size, "__version__.py", version,
                                   sizeof(version), &err) == CF_OK &&
        !cf_plugin_version_parse(version, rel, &pre))
        abort();
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
        (void)cf_plugin_version_parse(s, rel, &pre);
        free(s);
    }
    return 0;
}
