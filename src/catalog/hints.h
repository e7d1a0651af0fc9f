/* What a firmware file's path claims it is (file name and folders). These are
 * hints: the image's content decides, and disagreements are reported. */
#ifndef CF_CATALOG_HINTS_H
#define CF_CATALOG_HINTS_H

#include <stdbool.h>
#include <stdint.h>

#include "image/image.h"

typedef struct cf_name_hints {
    cf_image_kind kind; /* CF_KIND_UNKNOWN when the path does not say */
    cf_iface iface;
    uint32_t bitrate; /* 0 when the path does not say */
    char mcu[32];     /* "" when the path does not say */
    bool lite, kseries, high_temp;
    bool has_semver;
    int semver[3];
    unsigned offset_kib; /* "8kib_offset" -> 8: where the name says the app starts; 0 if silent */
} cf_name_hints;

/* rel_path: path relative to the firmware folder, '/'-separated. */
void cf_name_hints_parse(const char *rel_path, cf_name_hints *out);

/* Bitrate named by one word: "1M", "1m", "1000000", "500K", "250k", "1000k".
 * Only the usual CAN rates are recognised; 0 otherwise. */
uint32_t cf_bitrate_word(const char *word);

#endif
