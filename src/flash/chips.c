/* The chips a Cartographer probe carries, recognised by their DfuSe flash layout.
 * Geometry is what identifies them: the alt-setting names differ between ROM
 * versions, the flash size and page size do not. */
#include "flash/flash.h"

#include <string.h>

#include "dfu/dfu.h"

/* Timings: STM32F042 datasheet (DS10152): page erase and mass erase 20..40 ms
 * with no typical value, so the maximum for both; 16-bit programming 53.5 us
 * typical, 512 of them per 1 KiB page. STM32G431 datasheet (DS12589): page
 * erase 22.02 ms, mass erase 22.13 ms, 64-bit programming 81.7 us typical, 256
 * per 2 KiB page. Only their ratios matter: they decide between page erases
 * and one mass erase (see ../shared/reference/dfu-dfuse.md §7).
 * SRAM: 6 KiB at 0x20000000 on the F042x6 (DS10152, memory map); on the G431
 * SRAM1 16 KiB + SRAM2 6 KiB at 0x20000000 with the 10 KiB CCM SRAM aliased
 * right after them, 32 KiB contiguous (RM0440, memory map); Cartographer v4
 * images set SP = 0x20008000. */
static const cf_chip chips[] = {
    {"stm32f042x6", "Cartographer v2/v3", 0x08000000u, 32u * 1024u, 1024u, 0x1FFFF800u, 40000u,
     40000u, 512u * 535u / 10u, 0x20000000u, 6u * 1024u},
    {"stm32g431xx", "Cartographer v4/HT", 0x08000000u, 128u * 1024u, 2048u, 0x1FFF7800u, 22020u,
     22130u, 256u * 817u / 10u, 0x20000000u, 32u * 1024u},
};

static bool geometry_matches(const cf_chip *c, const cf_dfuse_layout *flash)
{
    const cf_dfuse_segment *seg = &flash->segments[0];
    return flash->segment_count == 1 && seg->start == c->flash_start &&
           seg->page_size == c->page_size &&
           (uint64_t)seg->page_size * seg->page_count == c->flash_size;
}

static bool has_option_bytes_at(const cf_usb_dfu_info *info, uint32_t address)
{
    for (int i = 1; i < info->alt_count; i++) {
        cf_dfuse_layout layout;
        if (cf_dfuse_parse_layout(info->alts[i].name, &layout, NULL) == CF_OK &&
            layout.segment_count > 0 && layout.segments[0].start == address)
            return true;
    }
    return false;
}

const cf_chip *cf_chip_from_device(const cf_usb_dfu_info *info)
{
    cf_dfuse_layout flash;
    if (!info || info->alt_count < 1 ||
        cf_dfuse_parse_layout(info->alts[0].name, &flash, NULL) != CF_OK)
        return NULL;
    for (size_t i = 0; i < sizeof(chips) / sizeof(chips[0]); i++)
        if (geometry_matches(&chips[i], &flash) && has_option_bytes_at(info, chips[i].option_bytes))
            return &chips[i];
    return NULL;
}

const cf_chip *cf_chip_by_mcu(const char *mcu)
{
    for (size_t i = 0; mcu && i < sizeof(chips) / sizeof(chips[0]); i++)
        if (strcmp(chips[i].mcu, mcu) == 0)
            return &chips[i];
    return NULL;
}

const cf_chip *cf_chip_by_sram_end(uint32_t end)
{
    for (size_t i = 0; i < sizeof(chips) / sizeof(chips[0]); i++)
        if (chips[i].sram_start + chips[i].sram_size == end)
            return &chips[i];
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
