/* The Cortex-M vector-table check, against one chip's memory: what the core
 * does at a reset or a jump (ARMv6-M / ARMv7-M Architecture Reference
 * Manuals, "Reset behavior"): it loads SP from word 0 of the vector table and
 * PC from word 1, and bit 0 of that word must be 1 (Thumb state) or it faults
 * at once. So word 0 must point into the chip's SRAM (word aligned; the stack
 * grows down, so SP may equal the end of SRAM but must leave some below it)
 * and word 1, Thumb bit set, into its flash.
 *
 * Katapult (formerly CanBoot) stores the 8-byte signature "CanBoot!"
 * immediately before its reset handler; Klipper looks for it there before
 * jumping into the bootloader, and so does cf_vectors_katapult.
 *
 * Used by the image inspector, the flash gates and the boot model. Pure. */
#ifndef CF_IMAGE_VECTORS_H
#define CF_IMAGE_VECTORS_H

#include <stdbool.h>
#include <stdint.h>

#define CF_KATAPULT_SIGNATURE "CanBoot!"
#define CF_KATAPULT_SIGNATURE_LEN 8u

/* A chip's flash and SRAM, and a copy of its whole flash. */
typedef struct cf_memmap {
    uint32_t flash_start, flash_size;
    uint32_t sram_start, sram_size;
    const uint8_t *flash; /* flash_size bytes from flash_start; may be NULL */
} cf_memmap;

typedef enum cf_vectors_verdict {
    CF_VECTORS_OK = 0,
    CF_VECTORS_OUTSIDE, /* the table is not in flash */
    CF_VECTORS_ERASED,  /* both words read 0xFFFFFFFF: nothing was written */
    CF_VECTORS_BAD_SP,  /* the initial SP is not an aligned address in SRAM */
    CF_VECTORS_BAD_PC   /* the reset vector is not a Thumb address in flash */
} cf_vectors_verdict;

/* True when sp is a valid initial stack pointer in [start, start + size]. */
bool cf_vectors_sp_ok(uint32_t sp, uint32_t sram_start, uint32_t sram_size);
/* True when pc has the Thumb bit and points into [start, start + size). */
bool cf_vectors_pc_ok(uint32_t pc, uint32_t flash_start, uint32_t flash_size);
/* The len bytes of the flash copy at addr; NULL when they are not all in flash. */
const uint8_t *cf_memmap_at(const cf_memmap *m, uint32_t addr, uint32_t len);
/* Reads and checks the vector table at addr; *sp and *pc are set whenever
 * the table is in flash. */
cf_vectors_verdict cf_vectors_check(const cf_memmap *m, uint32_t addr, uint32_t *sp, uint32_t *pc);
/* True when Katapult's signature stands right before the handler pc points to. */
bool cf_vectors_katapult(const cf_memmap *m, uint32_t pc);

#endif
