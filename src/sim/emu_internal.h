/* Private to the emulator (src/sim/emu_*.c): chip tables, the flash model and the emulator state.
 * Nothing outside those files (and their tests) includes this. */
#ifndef CF_EMU_INTERNAL_H
#define CF_EMU_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfu/dfu.h"
#include "sim/stm32_dfu.h"

/* The DFU 1.1 states (bState) and statuses (bStatus) the emulated ROM
 * reports are the specification's numbers, which dfu/dfu.h already names
 * (CF_DFU_IDLE, CF_DFU_ERR_WRITE, ...): the emulator uses those. */

#define EMU_TRANSFER_SIZE 2048u
#define EMU_MAX_ALTS 4

/* What a region of the memory map is, which decides how writes behave. */
typedef enum emu_region_kind {
    EMU_REGION_FLASH,  /* main flash: page erase, program only clears bits */
    EMU_REGION_OPTION, /* option bytes: written whole, then the chip resets */
    EMU_REGION_OTP,    /* one-time programmable: program only, never erased */
    EMU_REGION_RAM,    /* SRAM: plain bytes */
    EMU_REGION_SYSMEM  /* system memory (the ROM itself): read-only, content not modelled */
} emu_region_kind;

typedef struct emu_region {
    emu_region_kind kind;
    uint32_t base;
    uint32_t size;
    bool writable; /* by DFU DNLOAD */
} emu_region;

/* A run of equal flash sectors (F4 flash: 16, 64, then 128 KiB), each erased
 * whole by one DfuSe erase command, and how long that takes. */
typedef struct emu_sector_run {
    uint32_t count, size;
    uint64_t erase_ns;
} emu_sector_run;

#define EMU_MAX_SECTOR_RUNS 4

/* One chip: identity, descriptors' contents, memory map, datasheet timing. */
typedef struct emu_chip {
    cf_emu_chip id;
    const char *name; /* "stm32f042x6" */
    uint16_t bcd_usb, bcd_device;
    uint8_t max_power_2ma; /* bMaxPower in 2 mA units */
    const char *manufacturer, *product, *serial;
    int alt_count;
    const char *alt_names[EMU_MAX_ALTS];
    /* Main flash geometry. */
    uint32_t flash_base, flash_size, page_size;
    uint32_t prog_unit; /* bytes per program operation: 2 (F0 half-word), 8 (G4 double-word) */
    /* Sectors of unequal size, or none (sector_runs == 0): uniform pages of
     * page_size, each erased in page_erase_ns. */
    int sector_runs;
    emu_sector_run sectors[EMU_MAX_SECTOR_RUNS];
    /* Default option-byte contents (factory state), size = option region size. */
    const uint8_t *option_default;
    int region_count;
    emu_region regions[6];
    /* Timing (ns), datasheet typical values. */
    uint64_t page_erase_ns, mass_erase_ns, prog_unit_ns, set_address_ns;
    /* bytes returned by UPLOAD block 0 (Get Commands) */
    const uint8_t *commands;
    size_t command_count;
} emu_chip;

const emu_chip *emu_chip_get(cf_emu_chip id);
const emu_region *emu_chip_region(const emu_chip *chip, uint32_t addr);
/* The erase unit (page or sector) holding flash offset `offset`: its offset,
 * size and erase time. False outside the flash. */
bool emu_chip_erase_unit(const emu_chip *chip, uint32_t offset, uint32_t *start, uint32_t *size,
                         uint64_t *erase_ns);

/* Descriptor builders (wire format); return the full length, copy at most cap. */
size_t emu_build_device_descriptor(const emu_chip *chip, uint8_t *buf, size_t cap);
size_t emu_build_config_descriptor(const emu_chip *chip, uint8_t *buf, size_t cap);
size_t emu_build_string_descriptor(const emu_chip *chip, uint8_t index, uint8_t *buf, size_t cap);

/* ---- flash model (emu_flash.c) ---- */
typedef struct emu_flash {
    uint8_t *mem;
    const emu_chip *chip; /* its erase units */
    uint32_t base, size, page_size, unit;
    int fd; /* backing file, -1 for memory only */
    uint8_t not_erased_status;
} emu_flash;

cf_code emu_flash_open(emu_flash *fl, const emu_chip *chip, const char *path,
                       uint8_t not_erased_status, cf_error *err);
void emu_flash_close(emu_flash *fl);
/* Each returns a DFU status: CF_DFU_STATUS_OK or the error the chip would report. */
uint8_t emu_flash_erase_page(emu_flash *fl, uint32_t addr);
uint8_t emu_flash_mass_erase(emu_flash *fl);
uint8_t emu_flash_program(emu_flash *fl, uint32_t addr, const uint8_t *data, size_t len);
/* Programs bytes of a program-only memory held in `mem` (OTP), same rules. */
uint8_t emu_program_bits(uint8_t *mem, size_t offset, const uint8_t *data, size_t len,
                         uint32_t unit, uint8_t not_erased_status);

/* Durations of flash work (ns), zero when timing is off. */
uint64_t emu_duration_program(const emu_chip *chip, size_t len);

/* ---- the emulator (emu_dfuse.c) ---- */
typedef enum emu_op {
    EMU_OP_NONE,
    EMU_OP_SET_ADDRESS,
    EMU_OP_ERASE_PAGE,
    EMU_OP_MASS_ERASE,
    EMU_OP_UNPROTECT,
    EMU_OP_BAD_COMMAND,
    EMU_OP_WRITE
} emu_op;

struct cf_emu {
    cf_emu_config cfg;
    char *flash_path; /* own copy */
    const emu_chip *chip;
    emu_flash flash;
    uint8_t *option;
    uint8_t *otp;
    uint8_t *ram;

    /* DFU state. */
    uint8_t state, status;
    uint32_t pointer;
    uint8_t alt, configuration;

    /* The DfuSe operation buffered by the last DNLOAD. */
    emu_op op;
    bool op_done; /* executed (after the DNBUSY reply); result in op_status */
    uint8_t op_status;
    uint32_t op_addr;
    uint16_t op_block;
    size_t op_len;
    bool op_fault_errwrite, op_fault_bitflip; /* fault armed on this op */
    bool option_reset;                        /* option bytes written: the chip resets */
    bool busy_forever;                        /* fault: this op never finishes */
    uint8_t buf[EMU_TRANSFER_SIZE];

    /* Timing. */
    uint64_t busy_until_ns;
    uint64_t busy_total_ns;

    /* Bus. */
    uint64_t appear_at_ns;
    bool gone;
    bool left;
    uint32_t jump_address;
    uint64_t left_ns; /* cf_now_ns() when the ROM jumped */
    unsigned generation;
    bool drop_next; /* the connection died in a reset: fail the next request */

    /* Faults. */
    bool fault_fired;
    unsigned data_blocks;
    unsigned erases;
};

#endif
