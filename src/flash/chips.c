/* The chips a Cartographer probe carries (common/chips.h), recognised by their DfuSe flash layout.
 * Geometry is what identifies them: the alt-setting names differ between ROM
 * versions, the flash size and page size do not. */
#include <stdio.h>
#include <string.h>

#include "dfu/dfu.h"
#include "flash/flash.h"
#include "flash/flash_internal.h"

static bool geometry_matches(const cf_chip *c, const cf_dfuse_layout *flash)
{
    const cf_dfuse_segment *seg = &flash->segments[0];
    return flash->segment_count == 1 && seg->start == c->flash_start &&
           seg->page_size == c->page_size &&
           (uint64_t)seg->page_size * seg->page_count == c->flash_size;
}

static bool has_option_bytes_at(const cf_usb_dfu_info *info, uint32_t address)
{
    for (int i = 1; i < info->alt_count; i++) {
        cf_dfuse_layout layout;
        if (cf_dfuse_parse_layout(info->alts[i].name, &layout, NULL) == CF_OK &&
            layout.segment_count > 0 && layout.segments[0].start == address)
            return true;
    }
    return false;
}

/* ST's system bootloader: its VID:PID, and its manufacturer string wherever the
 * strings could be read (every ST ROM sends "STMicroelectronics"; AN2606). A
 * device with a probe's layout and another maker's strings runs something
 * else, e.g. a board's own DFU bootloader. */
static bool is_st_rom(const cf_usb_dfu_info *info)
{
    return info->vid == 0x0483 && info->pid == 0xdf11 &&
           (info->manufacturer[0] == '\0' || strcmp(info->manufacturer, "STMicroelectronics") == 0);
}

uint32_t cf_chip_busy_limit_ms(const cf_chip *c)
{
    /* The longest single operation the datasheet gives (page erase, mass erase or
     * programming one transfer's page), ten times over, and never under 2 s: the
     * margin is for the host (a loaded Pi, USB scheduling), not for the chip. */
    uint32_t us = c->page_erase_us;
    if (c->mass_erase_us > us)
        us = c->mass_erase_us;
    if (c->page_program_us > us)
        us = c->page_program_us;
    uint32_t ms = us / 100u; /* 10 x us / 1000 */
    return ms < 2000u ? 2000u : ms;
}

const cf_chip *cf_chip_from_device(const cf_usb_dfu_info *info)
{
    cf_dfuse_layout flash;
    if (!info || info->alt_count < 1 || !is_st_rom(info) ||
        cf_dfuse_parse_layout(info->alts[0].name, &flash, NULL) != CF_OK)
        return NULL;
    const cf_chip *c;
    for (size_t i = 0; (c = cf_chip_at(i)) != NULL; i++)
        if (geometry_matches(c, &flash) && has_option_bytes_at(info, c->option_bytes))
            return c;
    return NULL;
}

/* Start address of the option bytes, from the alt setting that names them. */
static bool option_bytes_address(const cf_usb_dfu_info *info, uint32_t *address)
{
    for (int i = 1; i < info->alt_count; i++) {
        cf_dfuse_layout layout;
        if (cf_dfuse_parse_layout(info->alts[i].name, &layout, NULL) == CF_OK &&
            layout.segment_count > 0 && strncmp(layout.name, "Option Bytes", 12) == 0) {
            *address = layout.segments[0].start;
            return true;
        }
    }
    return false;
}

/* Families by what their ROM bootloaders' layouts share (reference manuals:
 * RM0090/RM0390 for F2/F4 sectors of 16, 64, then 128 KiB and option bytes at
 * 0x1FFFC000; RM0385/RM0410 for F7 sectors of 32, 128, then 256 KiB; RM0433/RM0468
 * for H7 sectors of 128 KiB; RM0091/RM0316 for F0/F3 pages of 1 or 2 KiB with
 * option bytes at 0x1FFFF800; RM0440/RM0444/RM0351 for G4/G0/L4 pages of 2 KiB
 * with option bytes at 0x1FFF7800). A guess for display only: it never makes a
 * device flashable. */
static const char *family_of(const cf_dfuse_layout *flash, bool have_ob, uint32_t ob)
{
    const cf_dfuse_segment *s = flash->segments;
    size_t n = flash->segment_count;
    if (n >= 2 && s[0].page_size == 16u * 1024u && s[1].page_size == 64u * 1024u)
        return "STM32F4"; /* F2 looks the same; F4 is what printer boards carry */
    if (n >= 2 && s[0].page_size == 32u * 1024u && s[1].page_size == 128u * 1024u)
        return "STM32F7";
    if (n >= 1 && s[0].page_size == 128u * 1024u)
        return "STM32H7";
    if (n == 1 && have_ob && ob == 0x1FFFF800u)
        return s[0].page_size == 1024u ? "STM32F0" : "STM32F0/F3";
    if (n == 1 && have_ob && ob == 0x1FFF7800u)
        return "STM32G0/G4/L4";
    return "STM32";
}

void cf_dfu_identify(const cf_usb_dfu_info *info, cf_dfu_kind *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->family, sizeof(out->family), "unknown");
    out->probe = cf_chip_from_device(info);
    if (out->probe) {
        snprintf(out->family, sizeof(out->family), "%s", out->probe->mcu);
        out->flash_size = out->probe->flash_size;
        snprintf(out->what, sizeof(out->what), "%s (%s)", out->probe->mcu, out->probe->probe);
        snprintf(out->summary, sizeof(out->summary), "%s", out->what);
        return;
    }
    cf_dfuse_layout flash;
    if (!info || info->alt_count < 1 ||
        cf_dfuse_parse_layout(info->alts[0].name, &flash, NULL) != CF_OK ||
        flash.segment_count == 0) {
        snprintf(out->what, sizeof(out->what), "unknown chip (no readable memory layout)");
        snprintf(out->summary, sizeof(out->summary), "%s: not a Cartographer probe", out->what);
        return;
    }
    uint64_t size = 0;
    for (size_t i = 0; i < flash.segment_count; i++)
        size += (uint64_t)flash.segments[i].page_size * flash.segments[i].page_count;
    out->flash_size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
    uint32_t ob = 0;
    bool have_ob = option_bytes_address(info, &ob);
    if (info->vid == 0x0483 && info->pid == 0xdf11 && is_st_rom(info))
        snprintf(out->family, sizeof(out->family), "%s", family_of(&flash, have_ob, ob));
    char amount[32];
    if (out->flash_size >= 1024u * 1024u && out->flash_size % (1024u * 1024u) == 0)
        snprintf(amount, sizeof(amount), "%u MiB", out->flash_size / (1024u * 1024u));
    else
        snprintf(amount, sizeof(amount), "%u KiB", out->flash_size / 1024u);
    if (strcmp(out->family, "unknown") == 0)
        snprintf(out->what, sizeof(out->what), "not ST's ROM bootloader (%.40s), %s flash",
                 info->manufacturer[0] ? info->manufacturer : "no manufacturer", amount);
    else
        snprintf(out->what, sizeof(out->what), "%s family, %s flash", out->family, amount);
    snprintf(out->summary, sizeof(out->summary), "%s: not a Cartographer probe", out->what);
}

cf_code cf_flash_check_device(const cf_usb_dfu_info *info, bool force, const cf_flash_events *ev,
                              cf_error *err)
{
    cf_dfu_kind kind;
    cf_dfu_identify(info, &kind);
    if (kind.probe)
        return CF_OK;
    if (force) {
        cf_flash_notice(ev, true,
                        "WARNING: --force: writing to %04x:%04x at %s, which is NOT a "
                        "Cartographer probe (%s). If this is a printer mainboard or toolhead, its "
                        "firmware will be overwritten.",
                        info->vid, info->pid, info->bus_path, kind.what);
        return CF_OK;
    }
    cf_fail(err, CF_ERR_GATE, "refusing to flash %04x:%04x at %s: %s", info->vid, info->pid,
            info->bus_path, kind.summary);
    cf_hint(err, "A Cartographer is an STM32F042 (v2/v3, 32 KiB) or STM32G431 (v4/HT, 128 KiB). "
                 "This is probably a printer mainboard or toolhead board in DFU mode: put only "
                 "the probe in DFU mode (BOOT0 bridged while plugging it in), or choose it with "
                 "--device (`cartoflash list` shows both). Nothing was erased. (--force "
                 "overrides this; only if you are certain.)");
    return CF_ERR_GATE;
}
