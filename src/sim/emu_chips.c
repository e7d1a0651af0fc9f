/* Chip tables and USB descriptors of the STM32 system bootloaders we emulate.
 *
 * Sources and confidence ([V] seen in logs of real chips, [D] documented,
 * [I] inferred, [U] unknown / chosen):
 *
 * STM32F042x6 (ROM DFU version 2.2), from ST AN3156 (the version in bcdDevice),
 * the DFU 1.1 specification (functional descriptor, Table 4.2) and public
 * dfu-util -l / lsusb logs of F042 boards: bcdDevice 0x2200 [V], bcdUSB
 * 1.00 and MaxPacket0 64 (as F4/F107 ROMs; F042 unseen) [I], strings
 * "STMicroelectronics" / "STM32  BOOTLOADER" / "FFFFFFFEFFFF" [V], alt names
 * [V], functional descriptor 09 21 0B FF 00 00 08 1A 01 after the last alt [V/I],
 * self-powered 0xC0, 100 mA [I]. Flash 32 x 1 KiB at 0x08000000, option bytes
 * 16 B at 0x1FFFF800, SRAM 6 KiB, system memory 0x1FFFC400..0x1FFFF7FF
 * (RM0091) [D]. Timing from the F04x datasheet (DS10152): half-word program
 * 53.5 us typ [V]; page erase 20..40 ms (no typical given): we use 25 ms, the
 * sheet's suggested low end of realistic [I]; mass erase 40 ms, deliberately not
 * 100 (dfu-util would turn a 100 ms mass-erase poll into 35 s) [I].
 *
 * STM32G431 (ROM DFU version 2.0), from public dfu-util 0.11 logs:
 *  - `dfu-util -l` of a G431 board (creapunk CLN17, README of a public
 *    "STM32G431 experiments" repository):
 *      ver=0200, alt=2 "@OTP Memory   /0x1FFF7000/01*01Ke",
 *      alt=1 "@Option Bytes   /0x1FFF7800/01*40Be",
 *      alt=0 "@Internal Flash   /0x08000000/64*02Kg", serial="208A31574253" [V].
 *    Three spaces after each name; no "Device Feature" alt on G4 [V].
 *  - Other 2.0 ROMs (G0B1, U5, H7, STWIN) show bcdDevice 2.00, manufacturer
 *    "STMicroelectronics" and product "DFU in FS Mode" in dmesg; not seen for a
 *    G431 itself, so the product string is [I].
 *  - Serial: 12 hex digits derived from the 96-bit UID as used by ST ROMs
 *    (hex of UID0+UID2, then the top half of UID1); every chip differs. We
 *    present the value the simulated chip's UID gives [D rule, U chip].
 *  - A forum post (G431CBU6) reports the option-byte area reads as 40 bytes,
 *    matching "01*40B" [V]. Factory option-byte contents below (OPTR
 *    0xFFEFF8AA with complements, PCROP/WRP disabled) are [I] from RM0440.
 *  - bcdUSB 2.00 for the newer ROMs [U]; functional descriptor identical to the
 *    F042's (0x0B, 255 ms, 2048, 0x011A) [I]: dfu-util logs of G4 ROMs report
 *    "transfer size 2048" and DfuSe 1.1a.
 *  - Timing, DS12589 (G431) flash characteristics [D, from the datasheet table
 *    as recalled; not re-read here]: 64-bit program 81.7 us typ, page (2 KiB)
 *    erase 22.02 ms typ, mass erase 22.13 ms typ.
 *  - Memory: flash 64 x 2 KiB, OTP 1 KiB at 0x1FFF7000 (program once, by
 *    double-word), SRAM1 16 + SRAM2 6 + CCM SRAM alias 10 = 32 KiB contiguous
 *    at 0x20000000 (a Cartographer v4 image sets SP = 0x20007FF8), system
 *    memory 28 KiB at 0x1FFF0000 (RM0440) [D].
 *
 * STM32F446xE (ROM DFU version 2.2), not a probe: the MCU of printer mainboards
 * (BTT Octopus and others) whose ROM bootloader a Klipper host also sees as
 * 0483:df11. It is here so cartoflash can be shown to name and refuse it.
 *  - Alt names as public dfu-util logs of F4 ROMs show them [V for F405/F407,
 *    I for F446]: "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg"
 *    (512 KiB: sectors 0-3 16 KiB, 4 64 KiB, 5-7 128 KiB, RM0390 §3.3),
 *    "@Option Bytes  /0x1FFFC000/01*016 e", "@OTP Memory /0x1FFF7800/01*512 e,
 *    01*016 e", "@Device Feature/0xFFFF0000/01*004 e"; strings
 *    "STMicroelectronics" / "STM32  BOOTLOADER" as on the F042; the serial is
 *    one chip's 12 hex digits [U]. AN2606 lists the F446 DFU bootloader on
 *    USB OTG FS with bcdDevice 2.2 [D as recalled].
 *  - Memory (RM0390, DS10693): SRAM 128 KiB at 0x20000000, system memory
 *    30 KiB at 0x1FFF0000, OTP 512 + 16 lock bytes at 0x1FFF7800, option bytes
 *    16 B at 0x1FFFC000 [D]; option-byte factory contents (RDP 0xAA, USER 0xEF,
 *    nWRP 0x0FFF) [I].
 *  - Timing, DS10693 flash characteristics at x32 parallelism [D as recalled]:
 *    word program 16 us, sector erase 16 KiB 250 ms, 64 KiB 550 ms, 128 KiB 1 s,
 *    mass erase 8 s.
 *
 * Get Commands (UPLOAD block 0) = 00 21 41 92 for all three (AN3156) [D; U per chip].
 *
 * The F042's and G431's geometry and datasheet timings come from the one chip
 * table (common/chips.h); what only a ROM shows (strings, alt names, system
 * memory, option-byte contents) stays here.
 */
#include <string.h>

#include "common/chipid.h"
#include "common/chips.h"
#include "sim/emu_internal.h"

static const uint8_t dfuse_commands[] = {0x00, 0x21, 0x41, 0x92};

/* F0 option bytes: RDP=0xAA, USER=0xFF, DATA0/1 and WRP0/1 erased, each
 * followed by its complement. */
static const uint8_t f042_option_default[16] = {0xAA, 0x55, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00,
                                                0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00};

/* G4 option bytes: 5 double-words, value then complement: OPTR, PCROP1SR,
 * PCROP1ER, WRP1AR, WRP1BR. */
static const uint8_t g431_option_default[40] = {
    0xAA, 0xF8, 0xEF, 0xFF, 0x55, 0x07, 0x10, 0x00, /* OPTR */
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, /* PCROP1SR */
    0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, /* PCROP1ER */
    0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, /* WRP1AR: start > end = off */
    0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, /* WRP1BR */
};

/* F4 option bytes (RM0390 §3.6): RDP/USER at 0x1FFFC000, nWRP at 0x1FFFC008,
 * each with its complement in the following bytes. */
static const uint8_t f446_option_default[16] = {0xEF, 0xAA, 0x10, 0x55, 0xFF, 0xFF, 0xFF, 0xFF,
                                                0xFF, 0x0F, 0x00, 0xF0, 0xFF, 0xFF, 0xFF, 0xFF};

static const emu_chip chips[] = {
    {
        .id = CF_EMU_CHIP_F042,
        .name = CF_F042_MCU,
        .bcd_usb = 0x0100,
        .bcd_device = 0x2200,
        .max_power_2ma = 50,
        .manufacturer = "STMicroelectronics",
        .product = "STM32  BOOTLOADER",
        .serial = CF_CHIPID_F042_ROM_SERIAL,
        .alt_count = 2,
        .alt_names = {"@Internal Flash  /0x08000000/032*0001Kg",
                      "@Option Bytes  /0x1FFFF800/01*016 e"},
        .flash_base = CF_CHIP_FLASH_START,
        .flash_size = CF_F042_FLASH_SIZE,
        .page_size = CF_F042_PAGE_SIZE,
        .prog_unit = CF_F042_PROGRAM_UNIT,
        .option_default = f042_option_default,
        .region_count = 4,
        .regions =
            {
                {EMU_REGION_FLASH, CF_CHIP_FLASH_START, CF_F042_FLASH_SIZE, true},
                {EMU_REGION_OPTION, CF_F042_OPTION_BYTES, CF_F042_OPTION_BYTES_SIZE, true},
                {EMU_REGION_RAM, CF_CHIP_SRAM_START, CF_F042_SRAM_SIZE, true},
                {EMU_REGION_SYSMEM, 0x1FFFC400, CF_F042_OPTION_BYTES - 0x1FFFC400, false},
            },
        .page_erase_ns = 25000000,
        .mass_erase_ns = CF_F042_ERASE_MAX_US * 1000ull,
        .prog_unit_ns = CF_F042_PROGRAM_NS,
        .set_address_ns = 0,
        .commands = dfuse_commands,
        .command_count = sizeof dfuse_commands,
    },
    {
        .id = CF_EMU_CHIP_G431,
        .name = CF_G431_MCU,
        .bcd_usb = 0x0200,
        .bcd_device = 0x0200,
        .max_power_2ma = 50,
        .manufacturer = "STMicroelectronics",
        .product = "DFU in FS Mode",
        /* ST's rule on the simulated chip's UID (common/chipid.h), so the
         * app that boots later names the same chip */
        .serial = "204437694230",
        .alt_count = 3,
        .alt_names = {"@Internal Flash   /0x08000000/64*02Kg",
                      "@Option Bytes   /0x1FFF7800/01*40Be", "@OTP Memory   /0x1FFF7000/01*01Ke"},
        .flash_base = CF_CHIP_FLASH_START,
        .flash_size = CF_G431_FLASH_SIZE,
        .page_size = CF_G431_PAGE_SIZE,
        .prog_unit = CF_G431_PROGRAM_UNIT,
        .option_default = g431_option_default,
        .region_count = 5,
        .regions =
            {
                {EMU_REGION_FLASH, CF_CHIP_FLASH_START, CF_G431_FLASH_SIZE, true},
                {EMU_REGION_OPTION, CF_G431_OPTION_BYTES, CF_G431_OPTION_BYTES_SIZE, true},
                {EMU_REGION_OTP, 0x1FFF7000, 1024, true},
                {EMU_REGION_RAM, CF_CHIP_SRAM_START, CF_G431_SRAM_SIZE, true},
                {EMU_REGION_SYSMEM, 0x1FFF0000, 28 * 1024, false},
            },
        .page_erase_ns = CF_G431_PAGE_ERASE_US * 1000ull,
        .mass_erase_ns = CF_G431_MASS_ERASE_US * 1000ull,
        .prog_unit_ns = CF_G431_PROGRAM_NS,
        .set_address_ns = 0,
        .commands = dfuse_commands,
        .command_count = sizeof dfuse_commands,
    },
    {
        .id = CF_EMU_CHIP_F446,
        .name = "stm32f446xx",
        .bcd_usb = 0x0200,
        .bcd_device = 0x2200,
        .max_power_2ma = 50,
        .manufacturer = "STMicroelectronics",
        .product = "STM32  BOOTLOADER",
        .serial = "3459365E3438",
        .alt_count = 4,
        .alt_names = {"@Internal Flash  /0x08000000/04*016Kg,01*064Kg,03*128Kg",
                      "@Option Bytes  /0x1FFFC000/01*016 e",
                      "@OTP Memory /0x1FFF7800/01*512 e,01*016 e",
                      "@Device Feature/0xFFFF0000/01*004 e"},
        .flash_base = 0x08000000,
        .flash_size = 512 * 1024,
        .page_size = 16 * 1024, /* the smallest sector */
        .prog_unit = 4,
        .sector_runs = 3,
        .sectors =
            {
                {4, 16 * 1024, 250000000},
                {1, 64 * 1024, 550000000},
                {3, 128 * 1024, 1000000000},
            },
        .option_default = f446_option_default,
        .region_count = 5,
        .regions =
            {
                {EMU_REGION_FLASH, 0x08000000, 512 * 1024, true},
                {EMU_REGION_OPTION, 0x1FFFC000, 16, true},
                {EMU_REGION_OTP, 0x1FFF7800, 528, true},
                {EMU_REGION_RAM, 0x20000000, 128 * 1024, true},
                {EMU_REGION_SYSMEM, 0x1FFF0000, 30 * 1024, false},
            },
        .page_erase_ns = 250000000,
        .mass_erase_ns = 8000000000ull,
        .prog_unit_ns = 16000,
        .set_address_ns = 0,
        .commands = dfuse_commands,
        .command_count = sizeof dfuse_commands,
    },
};

const emu_chip *emu_chip_get(cf_emu_chip id)
{
    for (size_t i = 0; i < sizeof chips / sizeof chips[0]; i++) {
        if (chips[i].id == id) {
            return &chips[i];
        }
    }
    return NULL;
}

const char *cf_emu_chip_name(cf_emu_chip chip)
{
    const emu_chip *c = emu_chip_get(chip);
    return c ? c->name : "unknown";
}

const emu_region *emu_chip_region(const emu_chip *chip, uint32_t addr)
{
    for (int i = 0; i < chip->region_count; i++) {
        const emu_region *r = &chip->regions[i];
        if (addr >= r->base && addr - r->base < r->size) {
            return r;
        }
    }
    return NULL;
}

bool emu_chip_erase_unit(const emu_chip *chip, uint32_t offset, uint32_t *start, uint32_t *size,
                         uint64_t *erase_ns)
{
    if (offset >= chip->flash_size) {
        return false;
    }
    if (chip->sector_runs == 0) {
        *start = offset / chip->page_size * chip->page_size;
        *size = chip->page_size;
        *erase_ns = chip->page_erase_ns;
        return true;
    }
    uint32_t at = 0;
    for (int r = 0; r < chip->sector_runs; r++) {
        const emu_sector_run *run = &chip->sectors[r];
        for (uint32_t i = 0; i < run->count; i++, at += run->size) {
            if (offset < at + run->size) {
                *start = at;
                *size = run->size;
                *erase_ns = run->erase_ns;
                return true;
            }
        }
    }
    return false;
}

/* Copies `len` bytes of a built descriptor into buf, at most cap. */
static size_t emit(const uint8_t *desc, size_t len, uint8_t *buf, size_t cap)
{
    if (buf && cap) {
        memcpy(buf, desc, len < cap ? len : cap);
    }
    return len;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v & 0xFF);
    p[1] = (uint8_t)(v >> 8);
}

size_t emu_build_device_descriptor(const emu_chip *chip, uint8_t *buf, size_t cap)
{
    uint8_t d[18] = {18, 0x01};
    put16(d + 2, chip->bcd_usb);
    d[4] = 0x00; /* class defined at interface level */
    d[5] = 0x00;
    d[6] = 0x00;
    d[7] = 64; /* bMaxPacketSize0 */
    put16(d + 8, 0x0483);
    put16(d + 10, 0xDF11);
    put16(d + 12, chip->bcd_device);
    d[14] = 1; /* iManufacturer */
    d[15] = 2; /* iProduct */
    d[16] = 3; /* iSerialNumber */
    d[17] = 1; /* bNumConfigurations */
    return emit(d, sizeof d, buf, cap);
}

size_t emu_build_config_descriptor(const emu_chip *chip, uint8_t *buf, size_t cap)
{
    uint8_t d[9 + EMU_MAX_ALTS * 9 + 9];
    size_t n = 0;
    size_t total = 9 + (size_t)chip->alt_count * 9 + 9;

    d[n++] = 9;
    d[n++] = 0x02;
    put16(d + n, (uint16_t)total);
    n += 2;
    d[n++] = 1;    /* bNumInterfaces */
    d[n++] = 1;    /* bConfigurationValue */
    d[n++] = 0;    /* iConfiguration */
    d[n++] = 0xC0; /* self-powered */
    d[n++] = chip->max_power_2ma;
    for (int alt = 0; alt < chip->alt_count; alt++) {
        d[n++] = 9;
        d[n++] = 0x04;
        d[n++] = 0; /* bInterfaceNumber */
        d[n++] = (uint8_t)alt;
        d[n++] = 0;    /* bNumEndpoints: everything goes over EP0 */
        d[n++] = 0xFE; /* application specific */
        d[n++] = 0x01; /* DFU */
        d[n++] = 0x02; /* DFU mode */
        d[n++] = (uint8_t)(4 + alt);
    }
    /* DFU functional descriptor, once, after the last alt setting. */
    static const uint8_t functional[9] = {0x09, 0x21, 0x0B, 0xFF, 0x00, 0x00, 0x08, 0x1A, 0x01};
    memcpy(d + n, functional, sizeof functional);
    n += sizeof functional;
    return emit(d, n, buf, cap);
}

size_t emu_build_string_descriptor(const emu_chip *chip, uint8_t index, uint8_t *buf, size_t cap)
{
    uint8_t d[2 + 2 * 126];
    const char *s = NULL;

    if (index == 0) {
        const uint8_t langid[4] = {4, 0x03, 0x09, 0x04};
        return emit(langid, sizeof langid, buf, cap);
    }
    if (index == 1) {
        s = chip->manufacturer;
    } else if (index == 2) {
        s = chip->product;
    } else if (index == 3) {
        s = chip->serial;
    } else if (index >= 4 && index - 4 < chip->alt_count) {
        s = chip->alt_names[index - 4];
    } else {
        return 0;
    }
    size_t len = strlen(s);
    if (len > 126) {
        len = 126;
    }
    d[0] = (uint8_t)(2 + 2 * len);
    d[1] = 0x03;
    for (size_t i = 0; i < len; i++) {
        d[2 + 2 * i] = (uint8_t)s[i];
        d[3 + 2 * i] = 0;
    }
    return emit(d, 2 + 2 * len, buf, cap);
}
