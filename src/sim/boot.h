/* What the probe runs after its ROM bootloader lets go: a model for the
 * simulated probe (--simulate=dfu), decided from the bytes its flash holds.
 *
 * Why apart from the emulator: its core (emu_*.c) is the STM32 system
 * bootloader and stops at the jump; judging what the jump lands in needs the
 * image layer (vector tables, Katapult's signature, the Klipper dictionary),
 * which the ROM emulator must not depend on (it is also served as a real USB
 * device in the guest tests). The simulated USB backend (sim/usb_sim.c) asks
 * this model what to show on the simulated bus after leave; real hardware
 * never comes here (the menu reads sysfs for run-time devices).
 *
 * Pure: no I/O, no clock (times are passed in), nothing printed.
 *
 * What silicon does after DfuSe leave (ST AN3156 and AN2662 §4.5.5 for the ROM's
 * jump; Katapult src/bootentry.c and src/generic/armcm_canboot.c for what runs
 * next):
 *  1. The ROM jumps through the vector table at the jump address
 *     (0x08000000): SP = [a], PC = [a+4]. An initial SP outside SRAM or a reset
 *     vector that is not a Thumb address in flash (erased flash reads
 *     0xFFFFFFFF) faults the core: nothing runs, nothing appears.
 *  2. Katapult there ("CanBoot!" right before its reset handler) stays in its
 *     bootloader when the first word of the app at 0x08002000 is 0 or
 *     0xFFFFFFFF. Otherwise it waits out its double-reset window (10 + 490 ms)
 *     and starts the app as the first step did: SP = [app], PC = [app+4]
 *     (an invalid app vector table faults).
 *  3. The Cartographer app is a Klipper build: its data dictionary says USB
 *     (RESERVE_PINS_USB) or CAN. A USB build enumerates as the USB serial
 *     device its own descriptor table describes (Cartographer: 1d50:614e,
 *     manufacturer "Cartographer"; 5.x v2/v3 builds send an empty product
 *     string, which udev shows as "614e"; 6.x send the MCU name), serial =
 *     the chip's unique ID in hex. A CAN build shows nothing on USB. An app
 *     built for another MCU, or code without a dictionary, is not modelled:
 *     nothing appears.
 *  4. Katapult staying resident shows its own USB identity (1d50:6177,
 *     "katapult", the MCU) when it is a USB build, nothing when it is CAN.
 */
#ifndef CF_BOOT_BOOT_H
#define CF_BOOT_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/usbid.h"
#include "image/image.h"

#define CF_BOOT_APP_OFFSET 0x2000u    /* Katapult's size on Cartographer probes */
#define CF_BOOT_KATAPULT_WAIT_MS 500u /* Katapult's double-reset window before the app */
/* From the firmware's first instruction to a device the host has enumerated
 * (clock and USB setup, connect, bus reset, addressing, descriptors). */
#define CF_BOOT_USB_ENUM_MS 500u

/* The simulated chip's 96-bit unique ID (a real Cartographer's, from user
 * logs: USB serial 16000C000F43304253373820), shared by every simulation of
 * the probe (the in-process USB bus, the guest's USB/IP gadget) so the
 * firmware it boots names the chip the ROM's serial names. */
extern const uint8_t cf_boot_sim_uid[12];

/* The chip behind the ROM. */
typedef struct cf_boot_chip {
    const char *mcu; /* "stm32f042x6", as Klipper dictionaries name it */
    uint32_t flash_base, flash_size;
    uint32_t sram_base, sram_size;
    uint8_t uid[12]; /* unique device ID: Klipper's and Katapult's USB serial number */
} cf_boot_chip;

typedef enum cf_boot_runs {
    CF_BOOT_NOTHING = 0, /* the core faulted: invalid vector table, or an image for another MCU */
    CF_BOOT_UNKNOWN,     /* code runs that is not a firmware this model knows */
    CF_BOOT_KATAPULT,    /* Katapult stays in its bootloader (no app) */
    CF_BOOT_APP          /* the Cartographer (Klipper) application */
} cf_boot_runs;

/* A USB device as sysfs would show it (bus_path is left "": the bus decides it). */
typedef cf_usb_identity cf_boot_usb;

/* What one jump leads to. */
typedef struct cf_boot {
    cf_boot_runs runs;
    uint32_t entry;        /* vector table of what runs in the end; 0 for nothing */
    cf_iface iface;        /* link it talks on (USB, CAN, unknown) */
    char version[96];      /* the app's dictionary version, "" if none */
    char mcu[32];          /* the app's dictionary MCU, "" if none */
    bool on_usb;           /* it enumerates on USB ... */
    uint32_t usb_after_ms; /* ... this long after the jump */
    cf_boot_usb usb;
    char story[384]; /* what happened after the jump, in a sentence or two (tests, logs) */
} cf_boot;

/* Decides what a jump to `jump` runs. flash holds chip->flash_size bytes from
 * chip->flash_base. */
void cf_boot_decide(const cf_boot_chip *chip, const uint8_t *flash, uint32_t jump, cf_boot *out);

/* The probe over time: in its ROM (DFU mode) until cf_boot_jump(), then what
 * its flash held at that moment. */
typedef struct cf_boot_probe {
    bool jumped;
    uint64_t jump_ns; /* caller's clock (cf_now_ns() in the simulated backend) */
    cf_boot boot;
} cf_boot_probe;

void cf_boot_probe_reset(cf_boot_probe *p); /* back in the ROM */
void cf_boot_probe_jump(cf_boot_probe *p, const cf_boot_chip *chip, const uint8_t *flash,
                        uint32_t jump, uint64_t now_ns);
/* True, with the identity, when a device of the probe is on USB at now_ns:
 * never before the jump, never while it is still booting, never when what it
 * runs is not on USB. */
bool cf_boot_probe_usb(const cf_boot_probe *p, uint64_t now_ns, cf_boot_usb *out);

#endif
