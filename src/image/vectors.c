/* The vector-table check (see vectors.h). */
#include "image/vectors.h"

#include <string.h>

#define WORD_ERASED 0xFFFFFFFFu

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool cf_vectors_sp_ok(uint32_t sp, uint32_t sram_start, uint32_t sram_size)
{
    return (sp & 3) == 0 && sp > sram_start && sp - sram_start <= sram_size;
}

bool cf_vectors_pc_ok(uint32_t pc, uint32_t flash_start, uint32_t flash_size)
{
    uint32_t a = pc & ~1u;
    return (pc & 1) && a >= flash_start && a - flash_start < flash_size;
}

const uint8_t *cf_memmap_at(const cf_memmap *m, uint32_t addr, uint32_t len)
{
    if (!m->flash || addr < m->flash_start || addr - m->flash_start > m->flash_size ||
        len > m->flash_size - (addr - m->flash_start))
        return NULL;
    return m->flash + (addr - m->flash_start);
}

cf_vectors_verdict cf_vectors_check(const cf_memmap *m, uint32_t addr, uint32_t *sp, uint32_t *pc)
{
    const uint8_t *v = cf_memmap_at(m, addr, 8);
    if (!v)
        return CF_VECTORS_OUTSIDE;
    *sp = rd32(v);
    *pc = rd32(v + 4);
    if (*sp == WORD_ERASED && *pc == WORD_ERASED)
        return CF_VECTORS_ERASED;
    if (!cf_vectors_sp_ok(*sp, m->sram_start, m->sram_size))
        return CF_VECTORS_BAD_SP;
    if (!cf_vectors_pc_ok(*pc, m->flash_start, m->flash_size))
        return CF_VECTORS_BAD_PC;
    return CF_VECTORS_OK;
}

bool cf_vectors_katapult(const cf_memmap *m, uint32_t pc)
{
    uint32_t handler = pc & ~1u;
    const uint8_t *sig =
        handler >= CF_KATAPULT_SIGNATURE_LEN
            ? cf_memmap_at(m, handler - CF_KATAPULT_SIGNATURE_LEN, CF_KATAPULT_SIGNATURE_LEN)
            : NULL;
    return sig && memcmp(sig, CF_KATAPULT_SIGNATURE, CF_KATAPULT_SIGNATURE_LEN) == 0;
}
