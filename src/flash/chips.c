/* The chips a Cartographer probe carries, recognised by their DfuSe flash layout.
 * Geometry is what identifies them: the alt-setting names differ between ROM
 * versions, the flash size and page size do not. */
#include "flash/flash.h"

#include <string.h>

#include "dfu/dfu.h"

static const cf_chip chips[] = {
    {"stm32f042x6", "Cartographer v2/v3", 0x08000000u, 32u * 1024u, 1024u},
    {"stm32g431xx", "Cartographer v4/HT", 0x08000000u, 128u * 1024u, 2048u},
};

const cf_chip *cf_chip_from_layout(const char *alt0_name)
{
    cf_dfuse_layout layout;
    if (!alt0_name || cf_dfuse_parse_layout(alt0_name, &layout, NULL) != CF_OK)
        return NULL;
    if (layout.segment_count != 1)
        return NULL;
    const cf_dfuse_segment *seg = &layout.segments[0];
    for (size_t i = 0; i < sizeof(chips) / sizeof(chips[0]); i++) {
        const cf_chip *c = &chips[i];
        if (seg->start == c->flash_start && seg->page_size == c->page_size &&
            (uint64_t)seg->page_size * seg->page_count == c->flash_size)
            return c;
    }
    return NULL;
}

const char *cf_flash_phase_name(cf_flash_phase p)
{
    switch (p) {
    case CF_PHASE_CONNECT:
        return "connect";
    case CF_PHASE_CHECK:
        return "safety check";
    case CF_PHASE_READ:
        return "read-back";
    case CF_PHASE_ERASE:
        return "erase";
    case CF_PHASE_WRITE:
        return "download";
    case CF_PHASE_VERIFY:
        return "verify";
    case CF_PHASE_LEAVE:
        return "leave";
    case CF_PHASE_DONE:
        return "done";
    }
    return "unknown";
}
