/* libFuzzer: the firmware_list.csv reader (CSV from a downloaded repository). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_manifest m;
    cf_error err = {0};
    cf_code rc = cf_manifest_parse((const char *)data, size, "fuzz.csv", &m, &err);
    if (rc == CF_OK) {
        for (size_t i = 0; i < m.count; i++) {
            const cf_manifest_row *r = &m.rows[i];
            /* every row has a path, bounded strings and a sane bitrate */
            if (!r->path[0] || strlen(r->path) >= sizeof(r->path) || r->can_speed > 10000000u ||
                r->is_lite < -1 || r->is_lite > 1)
                abort();
            if (cf_manifest_find(&m, r->path) == NULL)
                abort();
        }
        cf_manifest_free(&m);
    } else if (err.message[0] == '\0' || m.rows != NULL) {
        abort();
    }
    return 0;
}
