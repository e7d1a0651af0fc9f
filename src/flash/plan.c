/* The flash plan: what each page must hold after the flash, what it holds now,
 * and which pages to erase, write and read back — by page erases or by one
 * mass erase, whichever the chip's timings say is faster. See flash_internal.h. */
#include <stdlib.h>
#include <string.h>

#include "flash/flash_internal.h"

bool cf_flash_page_blank(const uint8_t *page, uint32_t size)
{
    for (uint32_t i = 0; i < size; i++)
        if (page[i] != 0xFF)
            return false;
    return true;
}

static uint8_t *page_at(uint8_t *buf, const cf_flash_plan *plan, size_t p)
{
    return buf + p * plan->page_size;
}

static bool target_blank(const cf_flash_plan *plan, size_t p)
{
    return cf_flash_page_blank(page_at(plan->target, plan, p), plan->page_size);
}

static bool current_blank(const cf_flash_plan *plan, size_t p)
{
    return cf_flash_page_blank(page_at(plan->current, plan, p), plan->page_size);
}

cf_code cf_flash_plan_build(const cf_image *img, uint32_t seg_start, size_t seg_pages,
                            uint32_t page_size, cf_flash_plan *plan, cf_error *err)
{
    memset(plan, 0, sizeof(*plan));
    if (page_size == 0 || (page_size & (page_size - 1)) != 0)
        return cf_fail(err, CF_ERR_PROTOCOL, "device reports a page size of %u bytes", page_size);
    uint64_t seg_end = seg_start + (uint64_t)seg_pages * page_size;
    if (seg_start % page_size || img->segment_count == 0 || cf_image_start(img) < seg_start ||
        cf_image_end(img) > seg_end)
        return cf_fail(err, CF_ERR_USAGE, "the image (0x%08x..0x%08x) is not inside the flash",
                       cf_image_start(img), cf_image_end(img));
    plan->start = seg_start;
    plan->page_size = page_size;
    plan->page_count = seg_pages;
    plan->first = (cf_image_start(img) - seg_start) / page_size;
    plan->end = (cf_image_end(img) - seg_start + page_size - 1) / page_size;
    size_t bytes = seg_pages * page_size;
    plan->target = malloc(bytes ? bytes : 1);
    plan->current = malloc(bytes ? bytes : 1);
    bool **flags[] = {&plan->touched, &plan->known, &plan->changed,
                      &plan->erase,   &plan->write, &plan->verify};
    bool ok = plan->target && plan->current;
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        ok = (*flags[i] = calloc(seg_pages ? seg_pages : 1, sizeof(bool))) != NULL && ok;
    if (!ok) {
        cf_flash_plan_free(plan);
        return cf_fail(err, CF_ERR_NOMEM, "out of memory planning the flash");
    }
    memset(plan->target, 0xFF, bytes);
    memset(plan->current, 0xFF, bytes);
    for (size_t i = 0; i < img->segment_count; i++) {
        const cf_image_segment *s = &img->segments[i];
        size_t off = s->address - seg_start;
        memcpy(plan->target + off, s->data, s->size);
        size_t p0 = off / page_size, p1 = (off + s->size - 1) / page_size;
        for (size_t p = p0; p <= p1; p++)
            plan->touched[p] = true;
    }
    return CF_OK;
}

void cf_flash_plan_learned(cf_flash_plan *plan, size_t first, size_t end)
{
    for (size_t p = first; p < end && p < plan->page_count; p++) {
        plan->known[p] = true;
        if (!plan->touched[p]) /* kept as it is */
            memcpy(page_at(plan->target, plan, p), page_at(plan->current, plan, p),
                   plan->page_size);
    }
}

size_t cf_flash_plan_pages(cf_flash_plan *plan, bool full)
{
    size_t n = 0;
    plan->mass = false;
    plan->restored = 0;
    for (size_t p = 0; p < plan->page_count; p++) {
        size_t off = p * plan->page_size;
        bool changed =
            plan->touched[p] && plan->known[p] &&
            (full || memcmp(plan->current + off, plan->target + off, plan->page_size) != 0);
        plan->changed[p] = changed;
        /* A blank page needs no erase; a blank target needs only the erase. */
        plan->erase[p] = changed && (full || !current_blank(plan, p));
        plan->write[p] = changed && !target_blank(plan, p);
        plan->verify[p] = changed;
        n += changed;
    }
    return n;
}

void cf_flash_plan_mass(cf_flash_plan *plan)
{
    plan->mass = true;
    plan->restored = 0;
    for (size_t p = 0; p < plan->page_count; p++) {
        plan->erase[p] = false;
        plan->write[p] = !target_blank(plan, p);
        if (plan->write[p] && !plan->changed[p])
            plan->restored++; /* held data the mass erase wipes: written back */
        plan->verify[p] = plan->write[p] || plan->changed[p];
    }
}

size_t cf_flash_plan_unknown(const cf_flash_plan *plan)
{
    size_t n = 0;
    for (size_t p = 0; p < plan->page_count; p++)
        n += !plan->known[p];
    return n;
}

bool cf_flash_mass_pays(const cf_flash_plan *plan, const cf_flash_costs *c)
{
    uint64_t page_bytes_ns = c->transfer_ns_per_byte * plan->page_size;
    uint64_t pages_cost = 0, mass_cost = c->mass_erase_ns;
    for (size_t p = 0; p < plan->page_count; p++) {
        if (plan->erase[p])
            pages_cost += c->page_erase_ns;
        if (!plan->known[p]) {
            mass_cost += page_bytes_ns; /* read it first; blank at best */
        } else if (!plan->changed[p] && !target_blank(plan, p)) {
            /* Wiped by the mass erase: program, send and read back again. */
            mass_cost += c->page_program_ns + 2 * page_bytes_ns;
        }
    }
    return mass_cost + 2 * c->page_erase_ns <= pages_cost;
}

void cf_flash_plan_free(cf_flash_plan *plan)
{
    free(plan->target);
    free(plan->current);
    free(plan->touched);
    free(plan->known);
    free(plan->changed);
    free(plan->erase);
    free(plan->write);
    free(plan->verify);
    memset(plan, 0, sizeof(*plan));
}
