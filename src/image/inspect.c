/* Inspection: what kind of firmware an image is, where it was linked, and
 * what its Klipper data dictionary says.
 *
 * Facts this relies on (checked against every file in the firmware trees):
 *  - A Cortex-M image starts with its vector table: word 0 the initial stack
 *    pointer (SRAM, 0x2000xxxx), word 1 the reset handler with the Thumb bit.
 *  - Katapult (formerly CanBoot) stores the 8-byte signature "CanBoot!"
 *    immediately before its reset handler, i.e. at reset_vector - 9; Klipper
 *    finds it there before jumping into the bootloader. Klipper apps carry the
 *    same text as a constant elsewhere, so only that position counts.
 *  - A Katapult built for USB carries a USB device descriptor for 1d50:6177
 *    and loads the USB peripheral's base (0x40005C00) from its literal pool;
 *    one built for CAN loads the CAN peripheral's base (0x40006400; bxCAN on
 *    the F042, FDCAN1 on the G431) and has no device descriptor. The CAN bit
 *    rate is folded into timing register values at build time, so Katapult
 *    images do not say it.
 *  - Cartographer puts Katapult in the first 8 KiB: apps are linked at
 *    0x08002000, combined images have a second vector table at offset 0x2000,
 *    and the katapult-deployer is an app that embeds a whole Katapult image.
 */
#include "image/image_internal.h"

#include <stdio.h>
#include <string.h>

#define FLASH_BASE 0x08000000u
#define APP_OFFSET 0x2000u /* Katapult's size on Cartographer probes */
#define APP_BASE (FLASH_BASE + APP_OFFSET)
#define FLASH_MAX (1024u * 1024u)

#define UF2_MAGIC0 0x0A324655u
#define UF2_MAGIC1 0x9E5D5157u
#define UF2_FLAG_FAMILY 0x00002000u
#define UF2_FAMILY_RP2040 0xE48BFF56u

static void problem(cf_image_info *info, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(cf_image_info *info, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cf_vnote(info->problems, sizeof(info->problems), fmt, ap);
    va_end(ap);
}

/* Reads a little-endian word at image offset `off` (relative to the start). */
static bool word_at(const cf_image *img, uint32_t off, uint32_t *out)
{
    uint32_t base = cf_image_start(img), v = 0;
    if (off > UINT32_MAX - 4 - base)
        return false;
    for (unsigned i = 0; i < 4; i++) {
        uint8_t b;
        if (!cf_image_byte(img, base + off + i, &b))
            return false;
        v |= (uint32_t)b << (8 * i);
    }
    *out = v;
    return true;
}

static bool bytes_match(const cf_image *img, uint32_t off, const char *s, size_t n)
{
    uint32_t base = cf_image_start(img);
    if (off > UINT32_MAX - n - base)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t b;
        if (!cf_image_byte(img, base + off + (uint32_t)i, &b) || b != (uint8_t)s[i])
            return false;
    }
    return true;
}

static bool sram_sp(uint32_t sp)
{
    return (sp & 0xFFF00000u) == 0x20000000u && (sp & 3) == 0;
}

static bool flash_pc(uint32_t pc)
{
    return (pc & 1) && pc >= FLASH_BASE && pc < FLASH_BASE + FLASH_MAX;
}

/* A Katapult image whose vector table sits at image offset `off`. */
static bool katapult_at(const cf_image *img, uint32_t off)
{
    uint32_t sp, pc;
    if (!word_at(img, off, &sp) || !word_at(img, off + 4, &pc))
        return false;
    if (!sram_sp(sp) || !flash_pc(pc) || pc - FLASH_BASE < 9)
        return false;
    uint32_t sig = pc - 9 - FLASH_BASE;
    if (sig > UINT32_MAX - off)
        return false;
    return bytes_match(img, off + sig, "CanBoot!", 8);
}

/* An app vector table at image offset `off`, linked at FLASH_BASE + off, whose
 * reset handler lies inside the image. */
static bool app_at(const cf_image *img, uint32_t off, uint32_t span)
{
    uint32_t sp, pc;
    if (!word_at(img, off, &sp) || !word_at(img, off + 4, &pc))
        return false;
    return sram_sp(sp) && flash_pc(pc) && pc >= FLASH_BASE + off && pc - FLASH_BASE < span;
}

/* Katapult's build version ("v0.0.1-104-gfcb2f84-dirty"), when present, is
 * the first "v<digit>...-<digits>-g<hex>" string in its region. */
static void find_katapult_version(const cf_image *img, uint32_t off, uint32_t len,
                                  cf_image_info *info)
{
    uint32_t base = cf_image_start(img);
    char run[48];
    size_t n = 0;
    for (uint32_t i = 0; i <= len; i++) {
        uint8_t b = 0;
        bool ok = i < len && cf_image_byte(img, base + off + i, &b);
        if (ok && b >= 0x21 && b < 0x7F && n + 1 < sizeof(run)) {
            run[n++] = (char)b;
            continue;
        }
        run[n] = '\0';
        if (n >= 6 && run[0] == 'v' && run[1] >= '0' && run[1] <= '9' && strchr(run, '.') &&
            strstr(run, "-g")) {
            snprintf(info->katapult_version, sizeof(info->katapult_version), "%s", run);
            return;
        }
        n = 0;
    }
}

#define USB_PERIPH_BASE 0x40005C00u
#define CAN_PERIPH_BASE 0x40006400u
#define KATAPULT_USB_IDS 0x61771D50u /* idVendor 0x1d50, idProduct 0x6177 */

/* Which link the Katapult at image offset `off` (at most `len` bytes) drives. */
static cf_iface katapult_link(const cf_image *img, uint32_t off, uint32_t len)
{
    unsigned usb = 0, can = 0;
    bool descriptor = false;
    for (uint32_t i = 0; i + 4 <= len; i += 4) {
        uint32_t w, ids;
        if (!word_at(img, off + i, &w))
            break;
        if (w == USB_PERIPH_BASE)
            usb++;
        else if (w == CAN_PERIPH_BASE)
            can++;
        else if ((w & 0xFFFF) == 0x0112 && word_at(img, off + i + 8, &ids) &&
                 ids == KATAPULT_USB_IDS)
            descriptor = true; /* bLength 18, bDescriptorType DEVICE */
    }
    if ((descriptor || usb) && !can)
        return CF_IFACE_USB;
    if (can && !usb && !descriptor)
        return CF_IFACE_CAN;
    return CF_IFACE_UNKNOWN;
}

static bool inspect_uf2(const cf_image *img, cf_image_info *info)
{
    uint32_t m0, m1, flags, family;
    if (!word_at(img, 0, &m0) || !word_at(img, 4, &m1) || m0 != UF2_MAGIC0 || m1 != UF2_MAGIC1)
        return false;
    info->kind = CF_KIND_UNKNOWN;
    if (word_at(img, 8, &flags) && (flags & UF2_FLAG_FAMILY) && word_at(img, 28, &family) &&
        family == UF2_FAMILY_RP2040)
        problem(info, "RP2040 UF2 image: not for STM32 DFU (v1 probes are flashed by copying the "
                      ".uf2 to the RP2040's USB drive)");
    else
        problem(info, "UF2 image: not for STM32 DFU");
    return true;
}

/* Derives where the code at the image start was linked from its reset
 * vector: Cartographer images are linked either at the start of flash
 * (Katapult, combined) or after the 8 KiB Katapult (apps). */
static uint32_t linked_from_vectors(uint32_t pc)
{
    if (!flash_pc(pc))
        return 0;
    return pc >= APP_BASE ? APP_BASE : FLASH_BASE;
}

static uint32_t find_embedded_katapult(const cf_image *img, uint32_t span)
{
    for (uint32_t off = 8; off + 8 <= span; off += 4)
        if (katapult_at(img, off))
            return off;
    return 0;
}

/* True when every byte present in [off, off+len) is 0xFF (erased flash). */
static bool all_erased(const cf_image *img, uint32_t off, uint32_t len)
{
    uint32_t base = cf_image_start(img);
    for (uint32_t i = 0; i < len; i++) {
        uint8_t b;
        if (cf_image_byte(img, base + off + i, &b) && b != 0xFF)
            return false;
    }
    return true;
}

static void classify(const cf_image *img, cf_image_info *info)
{
    uint32_t span = cf_image_end(img) - cf_image_start(img);
    if (katapult_at(img, 0)) {
        if (span > APP_OFFSET + 8 && app_at(img, APP_OFFSET, span)) {
            info->kind = CF_KIND_COMBINED;
            info->app_address = info->load_address + APP_OFFSET;
        } else {
            info->kind = CF_KIND_KATAPULT;
            if (span > APP_OFFSET && !all_erased(img, APP_OFFSET, span - APP_OFFSET))
                problem(info, "Katapult image of %u bytes: the part after 8 KiB is not an app",
                        span);
        }
        uint32_t len = span < APP_OFFSET ? span : APP_OFFSET;
        find_katapult_version(img, 0, len, info);
        info->katapult_iface = katapult_link(img, 0, len);
        return;
    }
    if (info->linked_address == APP_BASE) {
        uint32_t off = find_embedded_katapult(img, span);
        if (off) {
            info->kind = CF_KIND_DEPLOYER;
            info->katapult_offset = off;
            uint32_t len = span - off < APP_OFFSET ? span - off : APP_OFFSET;
            find_katapult_version(img, off, len, info);
            info->katapult_iface = katapult_link(img, off, len);
        } else {
            info->kind = CF_KIND_APP;
        }
        info->app_address = info->load_address;
        return;
    }
    if (info->linked_address == FLASH_BASE)
        problem(info, "linked at 0x08000000 without Katapult: not a Cartographer image (it would "
                      "replace the bootloader)");
}

static void check_vectors(const cf_image *img, cf_image_info *info)
{
    uint32_t sp = 0, pc = 0;
    if (!word_at(img, 0, &sp) || !word_at(img, 4, &pc)) {
        problem(info, "too short for a vector table");
        return;
    }
    info->initial_sp = sp;
    info->reset_vector = pc;
    if (!sram_sp(sp))
        problem(info,
                "initial stack pointer 0x%08X is not in SRAM (0x2000xxxx): not an STM32 "
                "firmware image",
                sp);
    if (!(pc & 1))
        problem(info, "reset vector 0x%08X lacks the Thumb bit: not a Cortex-M image", pc);
    else if (!flash_pc(pc))
        problem(info, "reset vector 0x%08X does not point into flash (0x08xxxxxx)", pc);
    if (!sram_sp(sp) || !flash_pc(pc))
        return;
    info->linked_address = linked_from_vectors(pc);
    uint32_t span = cf_image_end(img) - cf_image_start(img);
    if (pc - info->linked_address >= span)
        problem(info, "reset vector 0x%08X points past the end of the image", pc);
    if (info->linked_address != info->load_address)
        problem(info, "linked for 0x%08X but placed at 0x%08X", info->linked_address,
                info->load_address);
}

void cf_image_inspect(const cf_image *img, cf_image_info *info)
{
    memset(info, 0, sizeof(*info));
    info->load_address = cf_image_start(img);
    info->size = cf_image_size(img);
    if (img->notes[0])
        problem(info, "%s", img->notes);
    if (img->segment_count == 0) {
        problem(info, "empty image");
        return;
    }
    if (inspect_uf2(img, info))
        return;
    if (img->segment_count > 1)
        problem(info, "%zu separate segments (gaps between them are not written)",
                img->segment_count);
    check_vectors(img, info);
    if (info->linked_address)
        classify(img, info);
    if (cf_image_find_dictionary(img, info)) {
        if (info->kind == CF_KIND_KATAPULT || info->kind == CF_KIND_DEPLOYER)
            problem(info, "a Katapult image should not carry a Klipper data dictionary");
    } else if (info->kind == CF_KIND_COMBINED || info->kind == CF_KIND_APP) {
        problem(info, "no Klipper data dictionary found: version, MCU and interface unknown");
    }
    if (info->kind == CF_KIND_KATAPULT)
        snprintf(info->app_name, sizeof(info->app_name), "katapult");
    /* Without a dictionary the bootloader's own link is the best answer. */
    if (info->kind == CF_KIND_KATAPULT || info->kind == CF_KIND_DEPLOYER) {
        if (info->iface == CF_IFACE_UNKNOWN)
            info->iface = info->katapult_iface;
    } else if (info->kind == CF_KIND_COMBINED && info->katapult_iface != CF_IFACE_UNKNOWN &&
               info->iface != CF_IFACE_UNKNOWN && info->katapult_iface != info->iface) {
        problem(info, "Katapult uses %s but the app uses %s", cf_iface_name(info->katapult_iface),
                cf_iface_name(info->iface));
    }
}

const char *cf_image_kind_name(cf_image_kind k)
{
    switch (k) {
    case CF_KIND_COMBINED:
        return "combined";
    case CF_KIND_APP:
        return "app";
    case CF_KIND_KATAPULT:
        return "katapult";
    case CF_KIND_DEPLOYER:
        return "deployer";
    case CF_KIND_UNKNOWN:
        break;
    }
    return "unknown";
}

const char *cf_iface_name(cf_iface i)
{
    switch (i) {
    case CF_IFACE_CAN:
        return "can";
    case CF_IFACE_USB:
        return "usb";
    case CF_IFACE_UNKNOWN:
        break;
    }
    return NULL;
}
