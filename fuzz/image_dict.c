/* libFuzzer: the Klipper data dictionary parser (JSON from inside a firmware file). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_image_info info;
    memset(&info, 0, sizeof(info));
    cf_error err = {0};
    cf_code rc = cf_image_parse_dictionary((const char *)data, size, &info, &err);
    if (rc == CF_OK) {
        if (!info.has_dictionary)
            abort();
        /* Only printable ASCII is copied out. */
        for (const char *p = info.version; *p; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7F)
                abort();
        if (info.iface != CF_IFACE_UNKNOWN && info.iface != CF_IFACE_CAN &&
            info.iface != CF_IFACE_USB)
            abort();
    } else if (rc != CF_ERR_FORMAT || err.message[0] == '\0' || info.has_dictionary) {
        abort();
    }
    return 0;
}
