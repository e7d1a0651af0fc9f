/* Pieces of the DFU flashing sequence, each in its own file. Not a public API. */
#ifndef CF_FLASH_INTERNAL_H
#define CF_FLASH_INTERNAL_H

#include "dfu/dfu.h"
#include "flash/flash.h"

/* Safety gates (gates.c): everything that must hold before a byte is erased.
 * chip is NULL for a device that is not a known Cartographer chip (the checks
 * that need its facts then only warn); dev gives the VID:PID a DFU suffix must
 * match (NULL: not checked). Content checks refuse unless force (then warn
 * through ev); an image that does not fit the layout is refused always. */
cf_code cf_flash_check_gates(const cf_image *img, const cf_chip *chip, const cf_usb_dfu_info *dev,
                             const cf_dfuse_layout *layout, bool force, const cf_flash_events *ev,
                             cf_error *err);

/* The device gate (chips.c): only a Cartographer chip is flashed; forced, a
 * loud warning naming what the device is. */
cf_code cf_flash_check_device(const cf_usb_dfu_info *info, bool force, const cf_flash_events *ev,
                              cf_error *err);

/* The plan (plan.c): what every page of the flash must hold afterwards, what
 * it holds now, and which pages to erase, write and read back.
 *
 * It spans the whole flash segment, page 0 at `start`. Pages [first, end)
 * hold the image; a touched page's target is the image's bytes with 0xFF where
 * the image has none (exactly what erase-then-program leaves, as with
 * dfu-util). Every other page keeps what it holds: once it has been read
 * (`known`), its target is its current contents. */
typedef struct cf_flash_plan {
    uint32_t start; /* address of page 0 */
    uint32_t page_size;
    size_t page_count; /* pages of the whole segment */
    size_t first, end; /* pages [first, end) are the image's range (gaps included) */
    uint8_t *target;   /* page_count * page_size bytes */
    uint8_t *current;  /* what the device holds, valid where known */
    bool *touched;     /* page holds image bytes (pages in gaps are left alone) */
    bool *known;       /* current contents read back */
    bool *changed;     /* touched page whose contents change */
    bool *erase;       /* page erase to send (page method) */
    bool *write;       /* program this page (its target is not blank) */
    bool *verify;      /* read back and compare afterwards */
    bool mass;         /* one mass erase instead of page erases */
    size_t restored;   /* pages written only because the mass erase wipes them */
} cf_flash_plan;

cf_code cf_flash_plan_build(const cf_image *img, uint32_t seg_start, size_t seg_pages,
                            uint32_t page_size, cf_flash_plan *plan, cf_error *err);
/* Records that pages [first, end) of `current` now hold what the device holds. */
void cf_flash_plan_learned(cf_flash_plan *plan, size_t first, size_t end);
/* Page method: marks changed pages (every touched page with `full`) and what
 * to erase, write and verify; returns how many touched pages change. */
size_t cf_flash_plan_pages(cf_flash_plan *plan, bool full);
/* Mass method on top of cf_flash_plan_pages(): every page must be known; every
 * page whose target is not blank is written, touched and written ones verified. */
void cf_flash_plan_mass(cf_flash_plan *plan);

/* Cost model for choosing the method: the chip's datasheet times and what one
 * byte costs on this connection (measured on the first read). */
typedef struct cf_flash_costs {
    uint64_t page_erase_ns, mass_erase_ns, page_program_ns;
    uint64_t transfer_ns_per_byte;
} cf_flash_costs;
/* Whether one mass erase plus writing back what it wipes (and reading the
 * pages not yet known, taken as blank until read) saves at least two page
 * erases' time over the page method planned now. */
bool cf_flash_mass_pays(const cf_flash_plan *plan, const cf_flash_costs *costs);
size_t cf_flash_plan_unknown(const cf_flash_plan *plan); /* pages not yet read */

void cf_flash_plan_free(cf_flash_plan *plan);
bool cf_flash_page_blank(const uint8_t *page, uint32_t size);

/* Backup (backup.c): writes data to a new file under dir (or the XDG state folder). */
cf_code cf_flash_save_backup(const char *dir, const char *chip, uint32_t address,
                             const uint8_t *data, size_t size, char *path_out, size_t path_size,
                             cf_error *err);

/* The name cf_flash_save_backup() would give a backup saved now (a dry run
 * shows it; nothing is created). */
cf_code cf_flash_backup_name(const char *dir, const char *chip, uint32_t address, char *path_out,
                             size_t path_size, cf_error *err);

/* How long a DFU wait may last on this chip (see cf_dfu_set_busy_limit). */
uint32_t cf_chip_busy_limit_ms(const cf_chip *c);

#endif
