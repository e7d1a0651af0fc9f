/* Safety gates: refuse, before anything is erased, an image that cannot be
 * right for this device at this address. --force turns a refusal into a loud
 * warning; nothing else does. */
#include <stdio.h>
#include <string.h>

#include "flash/flash_internal.h"
#include "image/vectors.h"

#define KATAPULT_APP_START 0x08002000u

/* Either refuses (returns CF_ERR_GATE) or, forced, warns and lets it pass. */
static cf_code refuse(bool force, const cf_flash_events *ev, cf_error *err, const char *why,
                      const char *fix)
{
    if (force) {
        cf_flash_notice(ev, true, "WARNING: --force overrides a safety check: %s", why);
        return CF_OK;
    }
    cf_fail(err, CF_ERR_GATE, "refusing to flash: %s", why);
    cf_hint(err,
            "%s Nothing was erased. (--force overrides this check; only use it if you are "
            "certain.)",
            fix);
    return CF_ERR_GATE;
}

static cf_code check_fits(const cf_image *img, const cf_dfuse_layout *layout, cf_error *err)
{
    for (size_t i = 0; i < img->segment_count; i++) {
        const cf_image_segment *s = &img->segments[i];
        uint32_t last = s->address + s->size - 1;
        const cf_dfuse_segment *a = cf_dfuse_find(layout, s->address);
        const cf_dfuse_segment *b = cf_dfuse_find(layout, last);
        if (!a || a != b || !(a->type & CF_DFUSE_WRITABLE) || !(a->type & CF_DFUSE_ERASABLE)) {
            char why[256];
            snprintf(why, sizeof(why),
                     "the image covers 0x%08x-0x%08x, which is not inside the device's writable "
                     "flash (%s)",
                     s->address, last, layout->name);
            /* An image that does not fit cannot be forced: the device would refuse it. */
            cf_fail(err, CF_ERR_GATE, "refusing to flash: %s", why);
            cf_hint(err, "Check that the image is for this probe (v2/v3 = STM32F042, 32 KiB; "
                         "v4/HT = STM32G431, 128 KiB) and the --address. Nothing was erased.");
            return CF_ERR_GATE;
        }
    }
    return CF_OK;
}

/* What makes bytes firmware for this chip, from the core's reset sequence
 * (image/vectors.h): word 0 of the vector table must point into this chip's
 * SRAM and word 1, Thumb bit set, into the code the image itself brings to
 * flash. */
static bool sp_in_sram(uint32_t sp, const cf_chip *chip)
{
    return cf_vectors_sp_ok(sp, chip->sram_start, chip->sram_size);
}

static cf_code check_suffix_ids(const cf_image *img, const cf_usb_dfu_info *dev, bool force,
                                const cf_flash_events *ev, cf_error *err)
{
    if (!img->had_suffix || !dev)
        return CF_OK;
    /* 0xFFFF is the DFU suffix's "any" (DFU 1.1, appendix B). */
    bool vid_ok = img->suffix_vid == 0xFFFF || img->suffix_vid == dev->vid;
    bool pid_ok = img->suffix_pid == 0xFFFF || img->suffix_pid == dev->pid;
    if (vid_ok && pid_ok)
        return CF_OK;
    char why[256];
    snprintf(why, sizeof(why),
             "the file's DFU suffix says it is for USB device %04x:%04x, but this device is "
             "%04x:%04x",
             img->suffix_vid, img->suffix_pid, dev->vid, dev->pid);
    return refuse(force, ev, err, why,
                  "This file was made for another device. Pick the Cartographer image for this "
                  "probe (cartoflash firmware list --mode dfu).");
}

static const char pick_fix[] =
    "Pick the firmware image for this probe (cartoflash firmware list --mode dfu).";

/* The image must look like firmware for this chip: what it is when that can be
 * told, its vector table's stack pointer and Thumb bit, and something that
 * says what it is. */
static cf_code check_vectors(const cf_image_info *info, const cf_chip *chip, bool force,
                             const cf_flash_events *ev, cf_error *err)
{
    char why[512];
    cf_code rc;
    if (info->looks_like[0]) {
        snprintf(why, sizeof(why), "the file is %s", info->looks_like);
        return refuse(force, ev, err, why, pick_fix);
    }
    if (info->size < 8) {
        snprintf(why, sizeof(why),
                 "the image is %zu bytes, too short for a Cortex-M vector table (stack pointer "
                 "and reset vector)",
                 info->size);
        return refuse(force, ev, err, why, pick_fix);
    }
    uint32_t sp = info->initial_sp, pc = info->reset_vector;
    if (!chip) {
        cf_flash_notice(ev, true,
                        "WARNING: the device's chip is not known, so the image's stack pointer "
                        "0x%08X could not be checked against its SRAM, nor its MCU",
                        sp);
    } else if (!sp_in_sram(sp, chip)) {
        int n = snprintf(why, sizeof(why),
                         "its first word, the initial stack pointer 0x%08X, is not in the %s's "
                         "SRAM (0x%08X-0x%08X): it is not firmware for this chip",
                         sp, chip->mcu, chip->sram_start, chip->sram_start + chip->sram_size);
        if ((sp & 0xF0000000u) == 0x20000000u && sp > chip->sram_start + chip->sram_size)
            snprintf(why + n, sizeof(why) - (size_t)n,
                     " (it may be built for a chip with more SRAM)");
        rc = refuse(force, ev, err, why, pick_fix);
        if (rc != CF_OK)
            return rc;
    }
    if (!(pc & 1)) {
        snprintf(why, sizeof(why),
                 "its reset vector 0x%08X has the Thumb bit (bit 0) clear: a Cortex-M core "
                 "would fault on it, so this is not Cortex-M firmware",
                 pc);
        rc = refuse(force, ev, err, why, pick_fix);
        if (rc != CF_OK)
            return rc;
    }
    /* Katapult and its deployer carry no Klipper dictionary; they are known by
     * Katapult's own signature. Anything else must say what it is (before the
     * placement checks, which would call any code linked past 8 KiB a
     * Katapult update). */
    if (!info->has_dictionary && info->kind != CF_KIND_KATAPULT && info->kind != CF_KIND_DEPLOYER &&
        info->kind != CF_KIND_COMBINED) {
        snprintf(why, sizeof(why),
                 "it has no Klipper data dictionary and is not a Katapult bootloader or "
                 "deployer, so it is not Cartographer firmware");
        rc = refuse(force, ev, err, why, pick_fix);
        if (rc != CF_OK)
            return rc;
    }
    return CF_OK;
}

/* The Katapult an image brings (its own, or the one a deployer installs)
 * must be built for this chip: its stack pointer says which one
 * (cf_image_katapult_mcu), even without a Klipper dictionary. */
static cf_code check_katapult_ram(const cf_image_info *info, const cf_chip *chip, bool force,
                                  const cf_flash_events *ev, cf_error *err)
{
    uint32_t sp = info->katapult_sp, want = cf_image_katapult_sp(chip->mcu);
    if (!sp || !want || sp == want)
        return CF_OK;
    char why[512];
    const cf_chip *other = cf_chip_by_mcu(info->katapult_mcu[0] ? info->katapult_mcu : NULL);
    int n = snprintf(why, sizeof(why),
                     "%s starts its stack at 0x%08X, but Katapult for the %s starts it at 0x%08X "
                     "(8 bytes below the end of its SRAM)",
                     info->kind == CF_KIND_KATAPULT ? "this Katapult bootloader"
                                                    : "the Katapult bootloader it contains",
                     sp, chip->mcu, want);
    if (other && n > 0 && (size_t)n < sizeof(why))
        snprintf(why + n, sizeof(why) - (size_t)n, ": it was built for the %s (%s)", other->mcu,
                 other->probe);
    return refuse(force, ev, err, why,
                  "Pick the image built for this probe's chip (v2/v3: stm32f042x6, v4/HT: "
                  "stm32g431xx).");
}

/* After the placement checks (which name a wrong --address more clearly):
 * the reset vector must start code this image brings. */
static cf_code check_reset_target(const cf_image *img, const cf_image_info *info, bool force,
                                  const cf_flash_events *ev, cf_error *err)
{
    char why[512];
    cf_code rc;
    uint32_t start = cf_image_start(img), end = cf_image_end(img), pc = info->reset_vector;
    uint8_t first_op;
    if ((pc & 1) && !cf_image_byte(img, pc & ~1u, &first_op)) {
        snprintf(why, sizeof(why),
                 "its reset vector 0x%08X points outside the image (0x%08X-0x%08X), so the "
                 "code it starts is not in this file",
                 pc, start, end - 1);
        rc = refuse(force, ev, err, why,
                    "Pick the firmware image for this probe, and check --address.");
        if (rc != CF_OK)
            return rc;
    }
    return CF_OK;
}

cf_code cf_flash_check_gates(const cf_image *img, const cf_chip *chip, const cf_usb_dfu_info *dev,
                             const cf_dfuse_layout *layout, bool force, const cf_flash_events *ev,
                             cf_error *err)
{
    if (img->segment_count == 0 || cf_image_size(img) == 0)
        return cf_fail(err, CF_ERR_GATE, "refusing to flash: the image is empty");
    cf_code rc;
    cf_image_info info;
    cf_image_inspect(img, &info);
    uint32_t start = cf_image_start(img);
    char why[384];

    rc = check_suffix_ids(img, dev, force, ev, err);
    if (rc != CF_OK)
        return rc;
    if (chip && info.mcu[0] && strcmp(info.mcu, chip->mcu) != 0) {
        snprintf(why, sizeof(why), "the image was built for %s but the device is %s (%s)", info.mcu,
                 chip->mcu, chip->probe);
        rc = refuse(force, ev, err, why,
                    "Pick the image built for this probe's chip (v2/v3: stm32f042x6, v4/HT: "
                    "stm32g431xx).");
        if (rc != CF_OK)
            return rc;
    }
    rc = check_vectors(&info, chip, force, ev, err);
    if (rc == CF_OK && chip)
        rc = check_katapult_ram(&info, chip, force, ev, err);
    if (rc != CF_OK)
        return rc;
    if ((info.kind == CF_KIND_APP || info.kind == CF_KIND_DEPLOYER) && chip &&
        start == chip->flash_start) {
        snprintf(why, sizeof(why),
                 "this is a Katapult update image (linked for 0x%08x), and DFU would put it at "
                 "0x%08x where the bootloader belongs",
                 KATAPULT_APP_START, start);
        rc = refuse(force, ev, err, why,
                    "For DFU use the combined Full_/Katapult_plus_ image; flash this one with "
                    "Katapult (cartoflash flash can|usb).");
        if (rc != CF_OK)
            return rc;
    } else if ((info.kind == CF_KIND_COMBINED || info.kind == CF_KIND_KATAPULT) && chip &&
               start != chip->flash_start) {
        snprintf(why, sizeof(why),
                 "this image contains the Katapult bootloader and must start at 0x%08x, not "
                 "0x%08x",
                 chip->flash_start, start);
        rc = refuse(force, ev, err, why,
                    "Drop --address (combined images go to the start of "
                    "flash).");
        if (rc != CF_OK)
            return rc;
    } else if (info.linked_address && info.linked_address != start) {
        char fix[128];
        snprintf(why, sizeof(why), "the image is linked for 0x%08x but would be written at 0x%08x",
                 info.linked_address, start);
        snprintf(fix, sizeof(fix), "Use --address 0x%08x, or pick the image made for this address.",
                 info.linked_address);
        rc = refuse(force, ev, err, why, fix);
        if (rc != CF_OK)
            return rc;
    }
    rc = check_reset_target(img, &info, force, ev, err);
    if (rc != CF_OK)
        return rc;
    /* Last, and not forceable: the device itself would refuse what does not fit. */
    return check_fits(img, layout, err);
}
