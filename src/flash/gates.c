/* Safety gates: refuse, before anything is erased, an image that cannot be
 * right for this device at this address. --force turns a refusal into a loud
 * warning; nothing else does. */
#include <stdio.h>
#include <string.h>

#include "flash/flash_internal.h"

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

cf_code cf_flash_check_gates(const cf_image *img, const cf_chip *chip,
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

    if (chip && info.mcu[0] && strcmp(info.mcu, chip->mcu) != 0) {
        snprintf(why, sizeof(why), "the image was built for %s but the device is %s (%s)", info.mcu,
                 chip->mcu, chip->probe);
        rc = refuse(force, ev, err, why,
                    "Pick the image built for this probe's chip (v2/v3: stm32f042x6, v4/HT: "
                    "stm32g431xx).");
        if (rc != CF_OK)
            return rc;
    }
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
    /* Last, and not forceable: the device itself would refuse what does not fit. */
    return check_fits(img, layout, err);
}
