/* Pieces of the DFU flashing sequence, each in its own file. Not a public API. */
#ifndef CF_FLASH_INTERNAL_H
#define CF_FLASH_INTERNAL_H

#include "dfu/dfu.h"
#include "flash/flash.h"

/* Safety gates (gates.c): everything that must hold before a byte is erased. */
cf_code cf_flash_check_gates(const cf_image *img, const cf_chip *chip,
                             const cf_dfuse_layout *layout, bool force, const cf_flash_events *ev,
                             cf_error *err);

/* The pages an image touches and what each must hold afterwards (plan.c). */
typedef struct cf_flash_plan {
    uint32_t start; /* first touched page */
    uint32_t page_size;
    size_t page_count; /* pages from start to the last touched page */
    uint8_t *target;   /* page_count * page_size bytes: image bytes, 0xFF elsewhere */
    uint8_t *current;  /* what the device holds now (read back) */
    bool *touched;     /* page holds image bytes (pages in gaps are left alone) */
    bool *changed;     /* page must be rewritten */
} cf_flash_plan;

cf_code cf_flash_plan_build(const cf_image *img, uint32_t page_size, cf_flash_plan *plan,
                            cf_error *err);
/* Marks changed pages by comparing current with target; returns how many. */
size_t cf_flash_plan_diff(cf_flash_plan *plan, bool full);
void cf_flash_plan_free(cf_flash_plan *plan);
bool cf_flash_page_blank(const uint8_t *page, uint32_t size);

/* Backup (backup.c): writes data to a new file under dir (or the XDG state folder). */
cf_code cf_flash_save_backup(const char *dir, const char *chip, uint32_t address,
                             const uint8_t *data, size_t size, char *path_out, size_t path_size,
                             cf_error *err);

/* Notices (flash_dfu.c). */
void cf_flash_notice(const cf_flash_events *ev, bool warning, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cf_flash_progress(const cf_flash_events *ev, cf_flash_phase phase, size_t done, size_t total);

#endif
