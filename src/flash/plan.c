/* The flash plan: which pages an image touches, what each must hold after the
 * flash, and which of them differ from what the device holds now.
 *
 * A touched page's target is the image's bytes with 0xFF where the image has
 * none — exactly what erase-then-program leaves, so the result equals what
 * dfu-util would produce. Pages between image segments (HEX gaps) are not
 * touched and keep their contents. */
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

cf_code cf_flash_plan_build(const cf_image *img, uint32_t page_size, cf_flash_plan *plan,
                            cf_error *err)
{
    memset(plan, 0, sizeof(*plan));
    if (page_size == 0 || (page_size & (page_size - 1)) != 0)
        return cf_fail(err, CF_ERR_PROTOCOL, "device reports a page size of %u bytes", page_size);
    uint64_t first = cf_image_start(img) & ~(uint64_t)(page_size - 1);
    uint64_t end = ((uint64_t)cf_image_end(img) + page_size - 1) & ~(uint64_t)(page_size - 1);
    plan->start = (uint32_t)first;
    plan->page_size = page_size;
    plan->page_count = (size_t)((end - first) / page_size);
    size_t bytes = plan->page_count * page_size;
    plan->target = malloc(bytes);
    plan->current = malloc(bytes);
    plan->touched = calloc(plan->page_count, sizeof(bool));
    plan->changed = calloc(plan->page_count, sizeof(bool));
    if (!plan->target || !plan->current || !plan->touched || !plan->changed) {
        cf_flash_plan_free(plan);
        return cf_fail(err, CF_ERR_NOMEM, "out of memory planning the flash");
    }
    memset(plan->target, 0xFF, bytes);
    memset(plan->current, 0xFF, bytes);
    for (size_t i = 0; i < img->segment_count; i++) {
        const cf_image_segment *s = &img->segments[i];
        size_t off = s->address - plan->start;
        memcpy(plan->target + off, s->data, s->size);
        size_t p0 = off / page_size, p1 = (off + s->size - 1) / page_size;
        for (size_t p = p0; p <= p1; p++)
            plan->touched[p] = true;
    }
    return CF_OK;
}

size_t cf_flash_plan_diff(cf_flash_plan *plan, bool full)
{
    size_t n = 0;
    for (size_t p = 0; p < plan->page_count; p++) {
        size_t off = p * plan->page_size;
        plan->changed[p] =
            plan->touched[p] &&
            (full || memcmp(plan->current + off, plan->target + off, plan->page_size) != 0);
        n += plan->changed[p];
    }
    return n;
}

void cf_flash_plan_free(cf_flash_plan *plan)
{
    free(plan->target);
    free(plan->current);
    free(plan->touched);
    free(plan->changed);
    memset(plan, 0, sizeof(*plan));
}
