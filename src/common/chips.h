/* The two chips a Cartographer probe carries, in one place: every layer that
 * needs a chip's flash, SRAM, option bytes or datasheet timings (flash gates,
 * Katapult checks, the catalog's classifier, the emulators) reads them here.
 *
 * Sources:
 *  - STM32F042x6: datasheet DS10152 (memory map: 32 KiB flash in 1 KiB pages
 *    at 0x08000000, 6 KiB SRAM at 0x20000000; flash characteristics: page and
 *    mass erase 20..40 ms with no typical value, 16-bit programming 53.5 us
 *    typical) and RM0091 (option bytes, 16 bytes at 0x1FFFF800).
 *  - STM32G431: datasheet DS12589 (flash characteristics: page erase
 *    22.02 ms, mass erase 22.13 ms, 64-bit programming 81.7 us typical) and
 *    RM0440 (128 KiB flash in 2 KiB pages at 0x08000000; option bytes at
 *    0x1FFF7800; SRAM1 16 KiB + SRAM2 6 KiB at 0x20000000 with the 10 KiB
 *    CCM SRAM aliased right after them, 32 KiB contiguous; Cartographer v4
 *    images set SP = 0x20008000).
 *
 * The facts are macros as well as a table so that static tables in other
 * layers (the emulated ROMs) can be built from them. Pure: no I/O. */
#ifndef CF_COMMON_CHIPS_H
#define CF_COMMON_CHIPS_H

#include <stddef.h>
#include <stdint.h>

/* Both chips: flash and SRAM start at the same addresses (Cortex-M0/M4 memory map). */
#define CF_CHIP_FLASH_START 0x08000000u
#define CF_CHIP_SRAM_START 0x20000000u
/* Where a Cartographer application starts: after the 8 KiB Katapult
 * bootloader at the start of flash (the "_8kib_offset" images). */
#define CF_APP_START (CF_CHIP_FLASH_START + 8u * 1024u)

#define CF_F042_MCU "stm32f042x6"
#define CF_F042_FLASH_SIZE (32u * 1024u)
#define CF_F042_PAGE_SIZE 1024u
#define CF_F042_OPTION_BYTES 0x1FFFF800u
#define CF_F042_OPTION_BYTES_SIZE 16u
#define CF_F042_SRAM_SIZE (6u * 1024u)
#define CF_F042_ERASE_MAX_US 40000u /* page and mass erase, no typical given */
#define CF_F042_PROGRAM_NS 53500u   /* one 16-bit half-word */
#define CF_F042_PROGRAM_UNIT 2u

#define CF_G431_MCU "stm32g431xx"
#define CF_G431_FLASH_SIZE (128u * 1024u)
#define CF_G431_PAGE_SIZE 2048u
#define CF_G431_OPTION_BYTES 0x1FFF7800u
#define CF_G431_OPTION_BYTES_SIZE 40u
#define CF_G431_SRAM_SIZE (32u * 1024u)
#define CF_G431_PAGE_ERASE_US 22020u
#define CF_G431_MASS_ERASE_US 22130u
#define CF_G431_PROGRAM_NS 81700u /* one 64-bit double-word */
#define CF_G431_PROGRAM_UNIT 8u

/* A Cartographer chip. */
typedef struct cf_chip {
    const char *mcu;      /* dictionary MCU string: "stm32f042x6", "stm32g431xx" */
    const char *probe;    /* "Cartographer v2/v3", "Cartographer v4/HT" */
    const char *versions; /* the probe versions it is in: "v2/v3", "v4/HT" */
    const char *images;   /* the firmware line built for it: "v2-v3", "v4" */
    uint32_t flash_start;
    uint32_t flash_size;
    uint32_t page_size;
    uint32_t option_bytes; /* address of the option-bytes alt setting */
    /* Datasheet timings, for choosing the erase method (max where no typical is given). */
    uint32_t page_erase_us;
    uint32_t mass_erase_us;
    uint32_t page_program_us; /* programming one whole page */
    /* SRAM the initial stack pointer of its firmware points into (the stack
     * grows down, so SP may equal the end). */
    uint32_t sram_start;
    uint32_t sram_size;
} cf_chip;

/* The i-th chip, smallest SRAM first; NULL past the last. */
const cf_chip *cf_chip_at(size_t i);
/* The chip table entry for a dictionary MCU name ("stm32f042x6"); NULL if none. */
const cf_chip *cf_chip_by_mcu(const char *mcu);
/* The first chip (smallest SRAM first) whose SRAM holds an initial stack
 * pointer sp (above its start, at most its end); NULL if none. */
const cf_chip *cf_chip_by_stack(uint32_t sp);
/* End of the chip's flash (one past its last byte). */
uint32_t cf_chip_flash_end(const cf_chip *c);

#endif
