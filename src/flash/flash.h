/* The one flashing API every front end calls (CLI, menus).
 *
 * cf_flash_dfu() order (never reordered):
 *   1. select + open the device, bring it to dfuIDLE;
 *   2. safety gates (gates.c: the image is Cortex-M firmware for this chip —
 *      stack pointer in its SRAM, Thumb reset vector into the image, a Klipper
 *      dictionary or Katapult's signature (and then Katapult's stack 8 bytes
 *      below the end of this chip's SRAM); a DFU suffix names this VID:PID or
 *      0xFFFF; MCU matches the chip; combined image only at the start of flash,
 *      app image only at 0x08002000; image fits the flash) — nothing is erased
 *      when a gate refuses, unless opts->force (then a loud warning; never for
 *      an image that does not fit);
 *   3. read back the current contents of every page the image touches (and,
 *      when one mass erase would be faster than the page erases, of the whole
 *      flash); if anything must change, save what was read to a backup file
 *      under the XDG state folder;
 *   4. erase + write only the pages that differ (all with opts->full), by page
 *      erases or one mass erase (cf_erase_method), restoring after a mass
 *      erase every page the image does not rewrite;
 *   5. read back everything written and compare;
 *   6. only then leave DFU (jump to the start of flash).
 * Any failure stops at once: the report says which phase and address, the
 * device is still in DFU mode, and leave is never sent.
 *
 * With opts->dry_run it runs 1-3 and plans 4 exactly as a real run would
 * (reading is a DfuSe upload, which changes nothing), fills the report's plan
 * and the backup name a real run would use now, and stops before the backup
 * is written and before the first erase; leave is not sent.
 */
#ifndef CF_FLASH_FLASH_H
#define CF_FLASH_FLASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/chips.h"
#include "common/error.h"
#include "common/events.h"
#include "image/image.h"
#include "usb/usb.h"

/* cf_flash_phase, cf_flash_events and their helpers: common/events.h. */

/* How the pages that must change are erased. Mass erase wipes the whole flash
 * in one operation that takes about as long as one page erase, so when most
 * pages change it is much faster; every page holding data that the image does
 * not rewrite is then read first and written back, so the result is the same
 * as with page erases. */
typedef enum cf_erase_method {
    CF_ERASE_AUTO = 0, /* the faster one by the chip's datasheet timings */
    CF_ERASE_PAGES,    /* erase each changed page that is not blank */
    CF_ERASE_MASS      /* one mass erase (known Cartographer chips only) */
} cf_erase_method;

typedef struct cf_flash_opts {
    const char *device;     /* selector for cf_usb_select(); NULL = the only one */
    bool full;              /* erase + write every page even if unchanged */
    bool force;             /* override safety gates */
    cf_erase_method erase;  /* default: auto */
    const char *backup_dir; /* NULL = $XDG_STATE_HOME/cartoflash/backups */
    bool no_leave;          /* stay in DFU after a verified write */
    bool dry_run;           /* plan only: stop before the backup and the first erase */
} cf_flash_opts;

/* A run of contiguous pages the plan changes. */
typedef struct cf_flash_run {
    uint32_t address;
    uint32_t pages;
} cf_flash_run;
#define CF_FLASH_PLAN_RUNS 32

/* What a flash does once past the gates, decided before the first erase. */
typedef struct cf_flash_plan_summary {
    bool planned;    /* the plan was made (the gates passed and the pages were read) */
    bool mass;       /* one mass erase instead of page erases */
    size_t erases;   /* page erases to send (0 with a mass erase) */
    size_t restored; /* pages a mass erase wipes that are written back */
    size_t write_bytes;
    size_t verify_bytes;
    uint32_t page_size;
    cf_flash_run runs[CF_FLASH_PLAN_RUNS]; /* the changed pages (the first ones if more) */
    size_t run_count;                      /* all runs, even past CF_FLASH_PLAN_RUNS */
    bool leave;                            /* leave DFU afterwards */
} cf_flash_plan_summary;

typedef struct cf_flash_report {
    cf_flash_phase failed_phase; /* valid when the call failed */
    uint32_t failed_address;     /* 0 if not address-specific */
    bool still_in_dfu;           /* true whenever leave was not sent */
    bool left;                   /* leave acknowledged (dfuMANIFEST) */
    size_t pages_total;          /* pages the image touches */
    size_t pages_changed;        /* pages of the image whose contents changed */
    bool mass_erased;            /* the flash was erased with one mass erase */
    size_t pages_erased;         /* page erases sent (0 after a mass erase) */
    size_t pages_restored;       /* pages outside the change written back after a mass erase */
    size_t bytes_written;
    size_t bytes_verified;
    char chip[32]; /* "stm32f042x6" / "stm32g431xx" */
    char device_path[32];
    char backup_path[512]; /* empty if no backup was written (dry run: the name it would have) */
    double seconds;
    cf_flash_plan_summary plan;
} cf_flash_report;

cf_code cf_flash_dfu(cf_usb_backend *be, const cf_image *img, const cf_flash_opts *opts,
                     const cf_flash_events *ev, cf_flash_report *rep, cf_error *err);

/* Reads the whole internal flash of the selected device (DfuSe upload; nothing
 * is erased or written, leave is never sent): *out (the caller frees it) holds
 * *size bytes from *start. */
cf_code cf_read_flash_dfu(cf_usb_backend *be, const char *device, uint8_t **out, size_t *size,
                          uint32_t *start, const cf_flash_events *ev, cf_flash_report *rep,
                          cf_error *err);

/* Reads the whole internal flash of the selected device to out_path. */
cf_code cf_backup_dfu(cf_usb_backend *be, const char *device, const char *out_path,
                      const cf_flash_events *ev, cf_flash_report *rep, cf_error *err);

/* cf_chip, the chip table and cf_chip_by_mcu: common/chips.h. */

/* Identifies the chip of a DFU device from its memory layouts and strings: ST's
 * ROM bootloader (0483:df11, manufacturer "STMicroelectronics" when strings
 * could be read), the flash geometry of alt 0 and the address of the option
 * bytes (which tells an F072 with 128 KiB in 2 KiB pages from a G431). NULL if
 * it is not a Cartographer chip. */
const cf_chip *cf_chip_from_device(const cf_usb_dfu_info *info);

/* What a DFU device is, for lists and refusals: a Cartographer chip, or the
 * chip family its layout gives away (a printer mainboard's or toolhead's MCU in
 * DFU mode is a normal sight on a Klipper host). */
typedef struct cf_dfu_kind {
    const cf_chip *probe; /* cf_chip_from_device(), NULL if not a probe */
    char family[64];      /* "stm32f042x6" for a probe; "STM32F4", "STM32H7", ...; "unknown" */
    uint32_t flash_size;  /* bytes in the flash alt's layout, 0 if unknown */
    /* What it is: "stm32f042x6 (Cartographer v2/v3)" or "STM32F4 family, 512 KiB
     * flash"; summary adds ": not a Cartographer probe" to the latter (no
     * trailing period in either). */
    char what[128];
    char summary[160];
} cf_dfu_kind;
void cf_dfu_identify(const cf_usb_dfu_info *info, cf_dfu_kind *out);

#endif
