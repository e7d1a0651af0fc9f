/* The Cartographer chip table (facts and sources in chips.h). */
#include "common/chips.h"

#include <string.h>

/* Smallest SRAM first: cf_chip_by_stack relies on it, as a 6 KiB F042 stack
 * also lies inside the G431's SRAM. */
static const cf_chip chips[] = {
    {CF_F042_MCU, "Cartographer v2/v3", "v2/v3", "v2-v3", CF_CHIP_FLASH_START, CF_F042_FLASH_SIZE,
     CF_F042_PAGE_SIZE, CF_F042_OPTION_BYTES, CF_F042_ERASE_MAX_US, CF_F042_ERASE_MAX_US,
     CF_F042_PAGE_SIZE / CF_F042_PROGRAM_UNIT *CF_F042_PROGRAM_NS / 1000u, CF_CHIP_SRAM_START,
     CF_F042_SRAM_SIZE},
    {CF_G431_MCU, "Cartographer v4/HT", "v4/HT", "v4", CF_CHIP_FLASH_START, CF_G431_FLASH_SIZE,
     CF_G431_PAGE_SIZE, CF_G431_OPTION_BYTES, CF_G431_PAGE_ERASE_US, CF_G431_MASS_ERASE_US,
     CF_G431_PAGE_SIZE / CF_G431_PROGRAM_UNIT *CF_G431_PROGRAM_NS / 1000u, CF_CHIP_SRAM_START,
     CF_G431_SRAM_SIZE},
};

const cf_chip *cf_chip_at(size_t i)
{
    return i < sizeof(chips) / sizeof(chips[0]) ? &chips[i] : NULL;
}

const cf_chip *cf_chip_by_mcu(const char *mcu)
{
    const cf_chip *c;
    for (size_t i = 0; mcu && (c = cf_chip_at(i)) != NULL; i++)
        if (strcmp(c->mcu, mcu) == 0)
            return c;
    return NULL;
}

const cf_chip *cf_chip_by_stack(uint32_t sp)
{
    const cf_chip *c;
    for (size_t i = 0; (c = cf_chip_at(i)) != NULL; i++)
        if (sp > c->sram_start && sp - c->sram_start <= c->sram_size)
            return c;
    return NULL;
}

uint32_t cf_chip_flash_end(const cf_chip *c)
{
    return c->flash_start + c->flash_size;
}
