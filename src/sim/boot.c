/* The boot model of sim/boot.h: vector tables, Katapult's start rule, and the
 * app's identity from its own bytes (Klipper dictionary, USB descriptor table).
 *
 * The USB identity is read the way the firmware answers GET_DESCRIPTOR:
 * Klipper's (and Katapult's) generic/usb_cdc.c keeps a table in flash of
 *     struct descriptor_s { uint_fast16_t wValue, wIndex; const void *desc;
 *                           uint_fast8_t size; };
 * which on Cortex-M is four little-endian words: (type << 8 | index),
 * language, address, length. Every Cartographer USB image in the firmware
 * trees has one (checked: v2/v3 3.x-6.x and v4 5.x-6.x). The serial number is
 * not in it: both fill it at run time from the chip's unique ID, as upper-case
 * hex (Klipper's usb_fill_serial / CONFIG_USB_SERIAL_NUMBER_CHIPID).
 */
#include "sim/boot.h"
#include "common/chipid.h"
#include "image/vectors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WORD_ERASED 0xFFFFFFFFu
#define KLIPPER_VID 0x1d50u
#define KLIPPER_PID 0x614eu /* Klipper's default USB product id (also Cartographer's) */

const uint8_t cf_boot_sim_uid[12] = {0x16, 0x00, 0x0C, 0x00, 0x0F, 0x43,
                                     0x30, 0x42, 0x53, 0x37, 0x38, 0x20};

static void say(cf_boot *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(cf_boot *b, const char *fmt, ...)
{
    size_t used = strlen(b->story);
    if (used + 1 >= sizeof(b->story))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->story + used, sizeof(b->story) - used, fmt, ap);
    va_end(ap);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The chip's memory with its flash, for the image layer's checks. */
static cf_memmap map_of(const cf_boot_chip *chip, const uint8_t *flash)
{
    return (cf_memmap){chip->flash_base, chip->flash_size, chip->sram_base, chip->sram_size, flash};
}

/* The `len` flash bytes at address addr, or NULL when they are not all in flash. */
static const uint8_t *at(const cf_boot_chip *chip, const uint8_t *flash, uint32_t addr,
                         uint32_t len)
{
    cf_memmap m = map_of(chip, flash);
    return cf_memmap_at(&m, addr, len);
}

/* Loads SP and PC from the vector table at addr as the core does (the check
 * is image/vectors.h); false (with the reason told) when the core would fault. */
static bool vectors(cf_boot *b, const cf_boot_chip *chip, const uint8_t *flash, uint32_t addr,
                    const char *who, uint32_t *pc_out)
{
    cf_memmap m = map_of(chip, flash);
    uint32_t sp = 0, pc = 0;
    switch (cf_vectors_check(&m, addr, &sp, &pc)) {
    case CF_VECTORS_OK:
        *pc_out = pc;
        return true;
    case CF_VECTORS_OUTSIDE:
        say(b, "%s 0x%08X is not in flash: nothing this model knows runs there.", who, addr);
        break;
    case CF_VECTORS_ERASED:
        say(b, "%s 0x%08X: the flash there is erased; the core faults, nothing runs.", who, addr);
        break;
    case CF_VECTORS_BAD_SP:
        say(b,
            "%s 0x%08X: initial SP 0x%08X is not in SRAM (0x%08X-0x%08X); the core faults, "
            "nothing runs.",
            who, addr, sp, chip->sram_base, chip->sram_base + chip->sram_size);
        break;
    case CF_VECTORS_BAD_PC:
        say(b,
            "%s 0x%08X: reset vector 0x%08X is not a Thumb address in flash; the core faults, "
            "nothing runs.",
            who, addr, pc);
        break;
    }
    return false;
}

static bool is_katapult(const cf_boot_chip *chip, const uint8_t *flash, uint32_t pc)
{
    cf_memmap m = map_of(chip, flash);
    return cf_vectors_katapult(&m, pc);
}

/* Length of [addr, end of flash) without the erased tail. */
static uint32_t used_len(const cf_boot_chip *chip, const uint8_t *flash, uint32_t addr)
{
    uint32_t off = addr - chip->flash_base, end = chip->flash_size;
    while (end > off && flash[end - 1] == 0xFF)
        end--;
    return end - off;
}

/* Inspects the code from addr to the end of what is written, as an image. */
static void inspect_at(const cf_boot_chip *chip, const uint8_t *flash, uint32_t addr,
                       cf_image_info *info)
{
    uint32_t len = used_len(chip, flash, addr);
    memset(info, 0, sizeof(*info));
    uint8_t *copy = len ? malloc(len) : NULL;
    if (!copy)
        return;
    memcpy(copy, flash + (addr - chip->flash_base), len);
    cf_image_segment seg = {.address = addr, .size = len, .data = copy};
    cf_image img = {.format = CF_IMAGE_BIN, .segments = &seg, .segment_count = 1, .dfuse_alt = -1};
    cf_image_inspect(&img, info);
    free(copy);
}

/* A USB string descriptor as ASCII ('?' for anything else). */
static void usb_string(const uint8_t *d, uint32_t len, char *out, size_t cap)
{
    size_t o = 0;
    if (len > d[0])
        len = d[0];
    for (uint32_t i = 2; i + 1 < len && o + 1 < cap; i += 2) {
        unsigned u = (unsigned)(d[i] | d[i + 1] << 8);
        out[o++] = (u >= 0x20 && u < 0x7F) ? (char)u : '?';
    }
    out[o] = '\0';
}

/* The descriptor the table entry `e` points at, when it is in flash and of `type`. */
static const uint8_t *table_target(const cf_boot_chip *chip, const uint8_t *flash, const uint8_t *e,
                                   uint8_t type, uint32_t *len)
{
    *len = e[12];
    const uint8_t *d = *len >= 2 ? at(chip, flash, rd32(e + 8), *len) : NULL;
    return d && d[1] == type && d[0] <= *len ? d : NULL;
}

static void chip_serial(const cf_boot_chip *chip, cf_boot_usb *u)
{
    cf_chipid_klipper_serial(chip->uid, u->serial);
}

/* Finds the firmware's GET_DESCRIPTOR table in [addr, addr+len) and reads its
 * device descriptor and strings. The serial comes from the chip. */
static bool usb_identity(const cf_boot_chip *chip, const uint8_t *flash, uint32_t addr,
                         uint32_t len, cf_boot_usb *out)
{
    const uint8_t *base = flash + (addr - chip->flash_base);
    for (uint32_t i = 0; i + 16 <= len; i += 4) {
        const uint8_t *e = base + i;
        uint32_t dlen;
        const uint8_t *dev;
        if (rd32(e) != 0x0100 || rd32(e + 4) != 0 || e[12] != 18 ||
            !(dev = table_target(chip, flash, e, 0x01, &dlen)) || dev[0] != 18)
            continue;
        memset(out, 0, sizeof(*out));
        out->vid = (uint16_t)(dev[8] | dev[9] << 8);
        out->pid = (uint16_t)(dev[10] | dev[11] << 8);
        out->bcd_device = (uint16_t)(dev[12] | dev[13] << 8);
        const uint8_t want[3] = {dev[14], dev[15], dev[16]};
        char *dst[3] = {out->manufacturer, out->product, out->serial};
        size_t cap[3] = {sizeof(out->manufacturer), sizeof(out->product), sizeof(out->serial)};
        bool serial_in_table = false;
        /* the other entries of the same table, a few either side */
        for (int k = -8; k <= 8; k++) {
            int64_t j = (int64_t)i + 16 * k;
            if (j < 0 || (uint64_t)j + 16 > len)
                continue;
            const uint8_t *s = base + j;
            uint32_t wv = rd32(s), slen;
            if ((wv >> 8) != 0x03 || rd32(s + 4) != 0x0409)
                continue;
            for (int w = 0; w < 3; w++) {
                const uint8_t *str;
                if (want[w] && (wv & 0xFF) == want[w] &&
                    (str = table_target(chip, flash, s, 0x03, &slen))) {
                    usb_string(str, slen, dst[w], cap[w]);
                    serial_in_table |= w == 2;
                }
            }
        }
        if (want[2] && !serial_in_table)
            chip_serial(chip, out);
        return true;
    }
    return false;
}

/* Katapult has stayed in its bootloader. */
static void katapult_stays(cf_boot *b, const cf_boot_chip *chip, const uint8_t *flash, uint32_t kp)
{
    b->runs = CF_BOOT_KATAPULT;
    b->entry = kp;
    uint32_t len = used_len(chip, flash, kp);
    if (len > CF_BOOT_APP_OFFSET)
        len = CF_BOOT_APP_OFFSET;
    /* A USB Katapult carries its device descriptor table; a CAN one has none. */
    if (usb_identity(chip, flash, kp, len, &b->usb)) {
        b->iface = CF_IFACE_USB;
        b->on_usb = true;
        b->usb_after_ms = CF_BOOT_USB_ENUM_MS;
        say(b, " Katapult stays in its bootloader and enumerates as %04x:%04x.", b->usb.vid,
            b->usb.pid);
    } else {
        b->iface = CF_IFACE_CAN;
        say(b, " Katapult stays in its bootloader, on CAN: nothing appears on USB.");
    }
}

/* The code at `entry` runs, `delay_ms` after the jump. */
static void app_runs(cf_boot *b, const cf_boot_chip *chip, const uint8_t *flash, uint32_t entry,
                     uint32_t delay_ms)
{
    cf_image_info in;
    inspect_at(chip, flash, entry, &in);
    b->entry = entry;
    snprintf(b->version, sizeof(b->version), "%s", in.version);
    snprintf(b->mcu, sizeof(b->mcu), "%s", in.mcu);
    if (!in.has_dictionary || (in.kind != CF_KIND_APP && in.kind != CF_KIND_COMBINED)) {
        b->runs = CF_BOOT_UNKNOWN;
        say(b,
            " The code at 0x%08X is not a Cartographer/Klipper app (%s image%s): what it does is "
            "not modelled, nothing appears.",
            entry, cf_image_kind_name(in.kind), in.has_dictionary ? "" : ", no Klipper dictionary");
        return;
    }
    if (in.linked_address != entry) {
        b->runs = CF_BOOT_UNKNOWN;
        say(b,
            " The code at 0x%08X was linked for 0x%08X: its reset vector lands in the wrong "
            "place; what that does is not modelled, nothing appears.",
            entry, in.linked_address);
        return;
    }
    if (in.mcu[0] && chip->mcu && strcasecmp(in.mcu, chip->mcu) != 0) {
        b->runs = CF_BOOT_NOTHING;
        say(b,
            " The app at 0x%08X is built for %s, this chip is %s: it does not get as far as "
            "its USB or CAN link.",
            entry, in.mcu, chip->mcu);
        return;
    }
    b->runs = CF_BOOT_APP;
    b->iface = in.iface;
    const char *ver = in.version[0] ? in.version : "the app";
    if (in.iface == CF_IFACE_CAN) {
        say(b, " %s starts at 0x%08X and talks CAN (%u bit/s): nothing appears on USB.", ver, entry,
            in.can_bitrate);
        return;
    }
    if (in.iface != CF_IFACE_USB) {
        say(b, " %s starts at 0x%08X; its dictionary names neither USB nor CAN: nothing appears.",
            ver, entry);
        return;
    }
    b->on_usb = true;
    b->usb_after_ms = delay_ms + CF_BOOT_USB_ENUM_MS;
    if (!usb_identity(chip, flash, entry, used_len(chip, flash, entry), &b->usb)) {
        /* A USB build without the table we know: Klipper's defaults. */
        memset(&b->usb, 0, sizeof(b->usb));
        b->usb.vid = KLIPPER_VID;
        b->usb.pid = KLIPPER_PID;
        snprintf(b->usb.manufacturer, sizeof(b->usb.manufacturer), "Klipper");
        snprintf(b->usb.product, sizeof(b->usb.product), "%s", in.mcu);
        chip_serial(chip, &b->usb);
        say(b, " (No USB descriptor table found: Klipper's default identity assumed.)");
    }
    say(b, " %s starts at 0x%08X and enumerates on USB as %04x:%04x %s %u ms after the jump.", ver,
        entry, b->usb.vid, b->usb.pid, b->usb.manufacturer, b->usb_after_ms);
}

static void decide(const cf_boot_chip *chip, const uint8_t *flash, uint32_t jump, cf_boot *out)
{
    uint32_t pc;
    if (!flash || !vectors(out, chip, flash, jump, "Jump to", &pc))
        return;
    if (!is_katapult(chip, flash, pc)) {
        app_runs(out, chip, flash, jump, 0);
        return;
    }
    uint32_t app = jump + CF_BOOT_APP_OFFSET;
    say(out, "Katapult runs from 0x%08X.", jump);
    const uint8_t *w = at(chip, flash, app, 4);
    uint32_t first = w ? rd32(w) : WORD_ERASED;
    if (first == 0 || first == WORD_ERASED) {
        say(out, " No app at 0x%08X (first word 0x%08X).", app, first);
        katapult_stays(out, chip, flash, jump);
        return;
    }
    if (!vectors(out, chip, flash, app, " Katapult starts the app at", &pc)) {
        out->runs = CF_BOOT_NOTHING;
        return;
    }
    app_runs(out, chip, flash, app, CF_BOOT_KATAPULT_WAIT_MS);
}

void cf_boot_decide(const cf_boot_chip *chip, const uint8_t *flash, uint32_t jump, cf_boot *out)
{
    memset(out, 0, sizeof(*out));
    decide(chip, flash, jump, out);
    if (out->story[0] == ' ')
        memmove(out->story, out->story + 1, strlen(out->story));
}

void cf_boot_probe_reset(cf_boot_probe *p)
{
    memset(p, 0, sizeof(*p));
}

void cf_boot_probe_jump(cf_boot_probe *p, const cf_boot_chip *chip, const uint8_t *flash,
                        uint32_t jump, uint64_t now_ns)
{
    cf_boot_probe_reset(p);
    p->jumped = true;
    p->jump_ns = now_ns;
    cf_boot_decide(chip, flash, jump, &p->boot);
}

bool cf_boot_probe_usb(const cf_boot_probe *p, uint64_t now_ns, cf_boot_usb *out)
{
    if (!p->jumped || !p->boot.on_usb || now_ns < p->jump_ns ||
        now_ns - p->jump_ns < (uint64_t)p->boot.usb_after_ms * 1000000u)
        return false;
    if (out)
        *out = p->boot.usb;
    return true;
}
