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

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/chips.h"
#include "image/vectors.h"

#define FLASH_BASE CF_CHIP_FLASH_START
/* Katapult's size on Cartographer probes */
#define APP_OFFSET (CF_APP_START - CF_CHIP_FLASH_START)
#define APP_BASE CF_APP_START
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
    return cf_vectors_pc_ok(pc, FLASH_BASE, FLASH_MAX);
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
    return bytes_match(img, off + sig, CF_KATAPULT_SIGNATURE, CF_KATAPULT_SIGNATURE_LEN);
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

/* Katapult's linker script ends the stack 8 bytes below the end of RAM (the
 * last 8 bytes hold the request to stay in the bootloader), and its RAM size
 * is fixed per MCU (Katapult src/generic/armcm_link.lds.S, src/stm32/Kconfig
 * RAM_SIZE: 0x1800 on the F042, 0x8000 on the G431: each chip's whole SRAM,
 * common/chips.h). A 6 KiB F042 stack also lies inside the G431's SRAM, so
 * only the exact value tells the chip. */
#define KATAPULT_RAM_RESERVED 8u

static uint32_t katapult_stack_of(const cf_chip *c)
{
    return c->sram_start + c->sram_size - KATAPULT_RAM_RESERVED;
}

const char *cf_image_katapult_mcu(uint32_t sp)
{
    const cf_chip *c;
    for (size_t i = 0; (c = cf_chip_at(i)) != NULL; i++)
        if (sp && katapult_stack_of(c) == sp)
            return c->mcu;
    return NULL;
}

uint32_t cf_image_katapult_sp(const char *mcu)
{
    const cf_chip *c = cf_chip_by_mcu(mcu);
    return c ? katapult_stack_of(c) : 0;
}

const char *cf_image_target_mcu(const cf_image_info *info)
{
    return info->mcu[0] ? info->mcu : info->katapult_mcu;
}

/* Records the Katapult at image offset `off`: its stack, chip and link. */
static void note_katapult(const cf_image *img, uint32_t off, uint32_t len, cf_image_info *info)
{
    find_katapult_version(img, off, len, info);
    info->katapult_iface = katapult_link(img, off, len);
    if (!word_at(img, off, &info->katapult_sp))
        info->katapult_sp = 0;
    const char *mcu = cf_image_katapult_mcu(info->katapult_sp);
    snprintf(info->katapult_mcu, sizeof(info->katapult_mcu), "%s", mcu ? mcu : "");
}

static bool inspect_uf2(const cf_image *img, cf_image_info *info)
{
    uint32_t m0, m1, flags, family;
    if (!word_at(img, 0, &m0) || !word_at(img, 4, &m1) || m0 != UF2_MAGIC0 || m1 != UF2_MAGIC1)
        return false;
    info->kind = CF_KIND_UNKNOWN;
    /* The RP2040 boot ROM shows up as a USB drive named RPI-RP2 and takes a
     * .uf2 copied onto it (RP2040 datasheet, 2.8 "Bootrom"). */
    if (word_at(img, 8, &flags) && (flags & UF2_FLAG_FAMILY) && word_at(img, 28, &family) &&
        family == UF2_FAMILY_RP2040)
        snprintf(info->looks_like, sizeof(info->looks_like),
                 "an RP2040 UF2 file (Cartographer v1 firmware): v1 probes are flashed by "
                 "copying the .uf2 to the RPI-RP2 drive, not over DFU");
    else
        snprintf(info->looks_like, sizeof(info->looks_like),
                 "a UF2 file (for drag-and-drop bootloaders), not an STM32 flash image");
    if (strstr(info->looks_like, "RP2040"))
        problem(info, "RP2040 UF2 image: not for STM32 DFU (v1 probes are flashed by copying the "
                      ".uf2 to the RPI-RP2 drive)");
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
        note_katapult(img, 0, span < APP_OFFSET ? span : APP_OFFSET, info);
        return;
    }
    if (info->linked_address == APP_BASE) {
        uint32_t off = find_embedded_katapult(img, span);
        if (off) {
            info->kind = CF_KIND_DEPLOYER;
            info->katapult_offset = off;
            note_katapult(img, off, span - off < APP_OFFSET ? span - off : APP_OFFSET, info);
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

/* Shannon entropy of every byte of the image, in bits per byte. */
static double image_entropy(const cf_image *img)
{
    size_t count[256] = {0}, n = 0;
    for (size_t i = 0; i < img->segment_count; i++) {
        const cf_image_segment *s = &img->segments[i];
        for (uint32_t j = 0; j < s->size; j++)
            count[s->data[j]]++;
        n += s->size;
    }
    double h = 0;
    for (unsigned b = 0; b < 256 && n; b++) {
        if (count[b] == 0)
            continue;
        double p = (double)count[b] / (double)n;
        h -= p * log2(p);
    }
    return h;
}

static bool has_prefix(const uint8_t *d, size_t n, size_t off, const void *magic, size_t len)
{
    return n >= off + len && memcmp(d + off, magic, len) == 0;
}

/* Printable ASCII and line breaks only (a UTF-8 byte order mark allowed). */
static bool is_text(const uint8_t *d, size_t n)
{
    size_t i = has_prefix(d, n, 0, "\xEF\xBB\xBF", 3) ? 3 : 0, end = n < 4096 ? n : 4096;
    if (end - i < 4)
        return false;
    for (; i < end; i++)
        if (!((d[i] >= 0x20 && d[i] < 0x7F) || d[i] == '\t' || d[i] == '\r' || d[i] == '\n'))
            return false;
    return true;
}

static bool text_has(const uint8_t *d, size_t n, const char *word)
{
    size_t w = strlen(word), end = n < 4096 ? n : 4096;
    for (size_t i = 0; i + w <= end; i++)
        if (strncasecmp((const char *)d + i, word, w) == 0)
            return true;
    return false;
}

/* Random or encrypted data carries close to 8 bits per byte: a uniform sample
 * of N bytes falls short by about 255 / (2 N ln 2) bits (0.18 at 1 KiB, 0.02
 * at 8 KiB). Firmware is far below: code, tables and padding; the images in
 * the Cartographer trees reach 7.2 with their compressed Klipper dictionary
 * included. So: at least 1 KiB, and within 0.15 of what random data of that
 * size gives (at most 7.85). */
#define RANDOM_MIN_BYTES 1024u

static bool looks_random(size_t n, double entropy)
{
    if (n < RANDOM_MIN_BYTES)
        return false;
    double expected = 8.0 - 255.0 / (2.0 * (double)n * 0.6931471805599453);
    double threshold = expected - 0.15;
    return entropy >= (threshold < 7.85 ? threshold : 7.85);
}

/* Names what the bytes are when they are not a Cortex-M image: the magic
 * numbers of the formats people download by mistake, then text, a single
 * repeated byte, and random data. */
static void describe(const cf_image *img, cf_image_info *info)
{
    const cf_image_segment *s = &img->segments[0];
    const uint8_t *d = s->data;
    size_t n = s->size;
    const char *what = NULL;
    char buf[sizeof(info->looks_like)];
    bool same = true;
    for (size_t i = 1; i < n && same; i++)
        same = d[i] == d[0];

    if (has_prefix(d, n, 0,
                   "\x7F"
                   "ELF",
                   4)) /* ELF e_ident (System V ABI) */
        what = "an ELF file (the linker's output, with headers and debug data, not a flash "
               "image): use the .bin built from it";
    else if (has_prefix(d, n, 0, "\x1F\x8B", 2)) /* RFC 1952 */
        what = "gzip-compressed data: unpack it and flash the .bin inside";
    else if (has_prefix(d, n, 0, "PK\x03\x04", 4)) /* PKWARE APPNOTE local file header */
        what = "a zip archive: unpack it and flash the .bin inside";
    else if (has_prefix(d, n, 0,
                        "\xFD"
                        "7zXZ",
                        6)) /* xz file format, stream header */
        what = "xz-compressed data: unpack it and flash the .bin inside";
    else if (has_prefix(d, n, 0, "BZh", 3))
        what = "bzip2-compressed data: unpack it and flash the .bin inside";
    else if (has_prefix(d, n, 257, "ustar", 5)) /* POSIX tar header magic */
        what = "a tar archive: unpack it and flash the .bin inside";
    else if (same && d[0] == 0xFF)
        what = "erased flash (every byte is 0xFF), not firmware";
    else if (same && n > 1) {
        snprintf(buf, sizeof(buf), "%zu bytes that are all 0x%02X, not firmware", n, d[0]);
        what = buf;
    } else if (is_text(d, n)) {
        if (text_has(d, n, "<html") || text_has(d, n, "<!doctype"))
            what = "an HTML page, not firmware (a download that fetched a web page instead of "
                   "the file?)";
        else if (text_has(d, n, "\n:") || has_prefix(d, n, 0, ":", 1) ||
                 has_prefix(d, n, 3, ":", 1))
            what = "Intel HEX text that was not recognised as such (something comes before its "
                   "first ':' record): remove it, or use the .bin";
        else
            what = "a text file, not a firmware image";
    } else if (looks_random(info->size, info->entropy)) {
        snprintf(buf, sizeof(buf),
                 "random or encrypted data (%.2f bits of entropy per byte; firmware has far "
                 "less), not a firmware image",
                 info->entropy);
        what = buf;
    }
    if (what) {
        snprintf(info->looks_like, sizeof(info->looks_like), "%s", what);
        problem(info, "the file is %s", what);
    }
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
    info->entropy = image_entropy(img);
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
    /* A plausible vector table or a dictionary means firmware, whatever else
     * it may be; only then is there nothing to describe. */
    if (!(sram_sp(info->initial_sp) && flash_pc(info->reset_vector)) ||
        (info->kind == CF_KIND_UNKNOWN && !info->has_dictionary))
        describe(img, info);
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
