/* Emulator of the STM32 system-memory bootloader's DFU interface (ST DfuSe).
 *
 * One core, two hosts: sim/usb_sim.c calls it in-process behind --simulate,
 * and tests/guest's USB/IP device server serves it as a real USB device. It has no
 * libusb or kernel dependency: it answers SETUP packets and owns a flash model.
 *
 * Behaviour (ST AN3156 / AN2662 §4 for DfuSe, UM0424 for the alt-setting
 * strings, the F042 datasheet DS10152 and RM0091 for the flash):
 *  - Descriptors, strings and alt-setting names of the real chip
 *    (F042: "STM32  BOOTLOADER", "@Internal Flash  /0x08000000/032*0001Kg",
 *     "@Option Bytes  /0x1FFFF800/01*016 e", functional 09 21 0B FF 00 00 08 1A 01).
 *  - DfuSe state machine: commands in DNLOAD block 0 (0x21 set address,
 *    0x41 page/mass erase, 0x92 read unprotect), memory write at block >= 2
 *    (address = (block-2)*2048 + pointer), executed on the GETSTATUS that
 *    reports dfuDNBUSY; UPLOAD block 0 = command list, >= 2 = memory read;
 *    leave = zero-length DNLOAD then GETSTATUS reporting dfuMANIFEST, after
 *    which the device disconnects.
 *  - Flash model: erased = 0xFF; programming can only clear bits (writing a
 *    half-word (F0) / double-word (G4) that is not erased fails with PGERR,
 *    reported as errPROG, except writing all-zero which silicon allows).
 *  - Timing model: each operation's duration comes from the datasheet and is
 *    reported in bwPollTimeout; requests that arrive while the chip is busy are
 *    held until it is done (what a NAKing device looks like to a host). With
 *    timing off, durations are zero.
 *  - Fault injection: see cf_emu_fault.
 */
#ifndef CF_EMU_STM32_DFU_H
#define CF_EMU_STM32_DFU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "usb/usb.h"

typedef enum cf_emu_chip {
    CF_EMU_CHIP_F042 = 0, /* STM32F042x6: Cartographer v2/v3, 32 KiB, 1 KiB pages */
    CF_EMU_CHIP_G431 = 1, /* STM32G431xB: Cartographer v4/HT, 128 KiB, 2 KiB pages */
    /* Not a probe: the MCU of many printer mainboards (e.g. BTT Octopus), whose
     * ROM bootloader shows up as the same 0483:df11 on a Klipper host. 512 KiB
     * in 16/64/128 KiB sectors. cartoflash must name it and refuse it. */
    CF_EMU_CHIP_F446 = 2
} cf_emu_chip;

typedef enum cf_emu_fault {
    CF_EMU_FAULT_NONE = 0,
    CF_EMU_FAULT_STALL,      /* the Nth download block's DNLOAD is STALLed */
    CF_EMU_FAULT_TIMEOUT,    /* the Nth download block is never answered */
    CF_EMU_FAULT_ERRWRITE,   /* the Nth download block fails: dfuERROR + errWRITE */
    CF_EMU_FAULT_ERRERASE,   /* the Nth page erase fails: dfuERROR + errERASE */
    CF_EMU_FAULT_BITFLIP,    /* the Nth download block is stored with one bit cleared */
    CF_EMU_FAULT_DISCONNECT, /* the device drops off the bus at the Nth download block */
    CF_EMU_FAULT_BUSY        /* the Nth download block answers dfuDNBUSY for ever */
} cf_emu_fault;

typedef struct cf_emu_config {
    cf_emu_chip chip;
    const char *flash_path; /* backing file of the whole flash; NULL = memory only */
    cf_emu_fault fault;
    unsigned fault_at;   /* N, counting from 1 */
    unsigned appear_ms;  /* device enumerates this long after cf_emu_new() */
    bool timing;         /* datasheet timing on (default) or instant */
    bool start_in_error; /* first GETSTATUS shows dfuERROR/errFIRMWARE, as many ROMs do */
    /* DFU bStatus reported when a program operation hits a location that is
     * not erased (PGERR on silicon; the ROM's code is unknown). Default 0x06
     * errPROG. */
    uint8_t not_erased_status;
    /* "mainboard=f446": a second DFU device on the simulated bus, a printer
     * mainboard's ROM bootloader next to the probe (its own erased flash, the
     * same timing; no file, no fault). Used by the bus, not by this emulator. */
    bool mainboard;
    cf_emu_chip mainboard_chip;
    /* "mainboard=usb": a printer mainboard running Klipper on USB instead
     * (1d50:614e, "Klipper", on the next port), which is not the probe. Also
     * used by the bus only. */
    bool mainboard_klipper;
    /* "noapp": the firmware the probe starts after leave never enumerates or
     * answers (a dead app, a bad cable): for the "not seen" path. */
    bool noapp;
    /* Storage for flash_path filled by cf_emu_parse_spec(): flash_path then
     * points here, so a copied struct must re-point it (cf_emu_new() keeps its
     * own copy of the path, so cfg may go away after that). */
    char flash_path_buf[4096];
} cf_emu_config;

/* Defaults: F042, no backing file, no fault, appear now, timing on, start OK. */
void cf_emu_config_default(cf_emu_config *cfg);

/* Parses a --simulate SPEC ("dfu", "dfu:g431", "dfu:f446", "flash=PATH",
 * "fault=stall@3", "appear=2", "timing=off", "start=error", "mainboard=f446|usb", "noapp") into
 * cfg, which is first reset to the defaults (so "" gives the defaults). Unknown keys are
 * CF_ERR_USAGE; Katapult specs ("katapult-can", "katapult-usb") are CF_ERR_UNSUPPORTED here. A PATH
 * cannot contain a comma. flash_path points into cfg->flash_path_buf. */
cf_code cf_emu_parse_spec(const char *spec, cf_emu_config *cfg, cf_error *err);

typedef struct cf_emu cf_emu;

cf_code cf_emu_new(const cf_emu_config *cfg, cf_emu **out, cf_error *err);
void cf_emu_free(cf_emu *emu);

/* Result of one control request. */
typedef enum cf_emu_result {
    CF_EMU_ACK = 0,   /* answered; for IN requests *len holds the reply length */
    CF_EMU_STALL,     /* protocol STALL on EP0 */
    CF_EMU_NO_ANSWER, /* request never answered (host sees a timeout) */
    CF_EMU_GONE       /* device is no longer on the bus */
} cf_emu_result;

/* Handles one SETUP packet, standard or class.
 * OUT: data holds setup->length bytes from the host.
 * IN:  the reply (at most setup->length bytes) is written to data, *len set.
 * Blocks while the modelled chip is busy (timing on). */
cf_emu_result cf_emu_control(cf_emu *emu, const cf_usb_setup *setup, uint8_t *data, size_t *len);

/* Raw descriptors as the chip sends them (for a device server that wants them up front). */
size_t cf_emu_device_descriptor(const cf_emu *emu, uint8_t *buf, size_t cap);
size_t cf_emu_config_descriptor(const cf_emu *emu, uint8_t *buf, size_t cap);
/* String descriptor `index` (0 = LANGID list) in USB wire format; 0 if none. */
size_t cf_emu_string_descriptor(const cf_emu *emu, uint8_t index, uint8_t *buf, size_t cap);

/* Bus events. */
bool cf_emu_present(cf_emu *emu); /* enumerated (appear_ms passed) and not gone */
/* USB reset / SET_CONFIGURATION: back to the power-on DFU state (dfuIDLE, or
 * dfuERROR/errFIRMWARE with start_in_error); the Address Pointer returns to
 * the start of flash. */
void cf_emu_bus_reset(cf_emu *emu);
/* The device is unplugged and plugged back in DFU mode (a user shorting BOOT0
 * again): present, power-on state, flash kept, fault disarmed, cf_emu_left()
 * false again, generation bumped (old host handles are stale). */
void cf_emu_replug(cf_emu *emu);

/* Info for tests and tools. */
const uint8_t *cf_emu_flash(const cf_emu *emu, uint32_t *base, size_t *size);
bool cf_emu_left(const cf_emu *emu, uint32_t *jump_address); /* leave was executed */
uint64_t cf_emu_busy_ns(const cf_emu *emu);                  /* total modelled busy time so far */
const char *cf_emu_chip_name(cf_emu_chip chip); /* "stm32f042x6", "stm32g431xx", "stm32f446xx" */

/* After leave the ROM is done: it jumped through the vector table at the jump
 * address at this cf_now_ns() time (0 while it has not left). What the chip
 * runs from there is not the ROM's business and not modelled here (no image
 * knowledge in the emulator): sim/boot.h decides it from cf_emu_flash(), and
 * the simulated USB backend shows the result. */
uint64_t cf_emu_left_ns(const cf_emu *emu);
cf_emu_chip cf_emu_chip_of(const cf_emu *emu);
/* The SRAM a firmware's initial stack pointer must point into. */
void cf_emu_sram(const cf_emu *emu, uint32_t *base, uint32_t *size);

/* Enumeration counter: bumped every time the device (re-)enumerates (replug,
 * reset after an option-byte write). A host handle opened under an older
 * generation is stale: its requests must fail as "device gone". */
unsigned cf_emu_generation(const cf_emu *emu);

/* DFU state (bState) and status (bStatus) right now, for tests. */
uint8_t cf_emu_dfu_state(const cf_emu *emu);
uint8_t cf_emu_dfu_status(const cf_emu *emu);

#endif
