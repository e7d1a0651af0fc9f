/* The gates of a Katapult flash: on the image before anything is sent
 * (kind, address, link, CAN bitrate, fit), and on Katapult's CONNECT answer
 * (block size, application start, MCU). */
#include <stdio.h>
#include <string.h>

#include "common/chips.h"
#include "katapult/engine.h"

#define APP_START CF_APP_START

/* End of the flash of a chip by its Katapult/Klipper MCU name; 0 if unknown. */
static uint32_t flash_end_of(const char *mcu)
{
    const cf_chip *c = cf_chip_by_mcu(mcu);
    return c ? cf_chip_flash_end(c) : 0;
}

/* The probe the MCU is in and the images to pick for it ("this is a v4/HT
 * probe: pick a v4 image"); an unknown MCU is named as the first chip, the
 * F042. */
static void which_image_hint(const char *probe_mcu, char *out, size_t size)
{
    const cf_chip *c = cf_chip_by_mcu(probe_mcu);
    if (!c)
        c = cf_chip_at(0);
    snprintf(out, size, "this is a %s probe: pick a %s image", c->versions, c->images);
}

cf_code cf_kp_check_mcu(const char *image_mcu, const char *probe_mcu, const char *how,
                        cf_error *err)
{
    if (!image_mcu[0] || !probe_mcu[0] || strcmp(image_mcu, probe_mcu) == 0)
        return CF_OK;
    cf_fail(err, CF_ERR_GATE, "the image is for %s but the probe is %s (%s)", image_mcu, probe_mcu,
            how);
    char which[96];
    which_image_hint(probe_mcu, which, sizeof(which));
    cf_hint(err, "%s; nothing was sent to the probe's bootloader", which);
    return CF_ERR_GATE;
}

/* The image must end inside the flash of the chip it is for. */
static cf_code check_fit(const cf_image *img, const char *mcu, cf_error *err)
{
    uint32_t fend = mcu[0] ? flash_end_of(mcu) : 0;
    if (!fend || cf_image_end(img) <= fend)
        return CF_OK;
    cf_fail(err, CF_ERR_GATE, "the image ends at 0x%08X, past the end of %s's flash (0x%08X)",
            (unsigned)cf_image_end(img), mcu, (unsigned)fend);
    cf_hint(err, "pick an application image built for this probe");
    return CF_ERR_GATE;
}

cf_code cf_kp_check_image(const cf_image *img, cf_iface via, uint32_t bus_bitrate, bool force,
                          cf_image_info *info, cf_error *err)
{
    cf_image_info local;
    if (!info)
        info = &local;
    cf_image_inspect(img, info);
    uint32_t start = cf_image_start(img);
    if (info->kind == CF_KIND_COMBINED || info->kind == CF_KIND_KATAPULT || start < APP_START) {
        cf_fail(err, CF_ERR_GATE,
                "this is a %s image for 0x%08X; through Katapult only an application image for "
                "0x%08X may be written",
                info->kind == CF_KIND_COMBINED   ? "combined (Katapult + app)"
                : info->kind == CF_KIND_KATAPULT ? "bare Katapult bootloader"
                                                 : cf_image_kind_name(info->kind),
                (unsigned)start, APP_START);
        cf_hint(err, "pick the *_8kib_offset.bin image of the same version; combined images are "
                     "for DFU (cartoflash flash dfu)");
        return CF_ERR_GATE;
    }
    if (start != APP_START) {
        cf_fail(err, CF_ERR_GATE,
                "the image starts at 0x%08X, Katapult's application starts at "
                "0x%08X",
                (unsigned)start, APP_START);
        cf_hint(err, "use the *_8kib_offset.bin image built for Katapult");
        return CF_ERR_GATE;
    }
    if (info->kind != CF_KIND_APP && info->kind != CF_KIND_DEPLOYER) {
        if (!force) {
            cf_fail(err, CF_ERR_GATE, "cannot tell what this image is (%s)",
                    info->problems[0] ? info->problems : "no Cartographer/Klipper data found");
            cf_hint(err, "use an image from the Cartographer firmware repositories, or pass "
                         "--force if you built it yourself and know it targets this probe");
            return CF_ERR_GATE;
        }
    }
    /* A deployer installs a Katapult for its own link whatever it is sent
     * over: changing the link is what it is for. */
    if (info->kind != CF_KIND_DEPLOYER && info->iface != CF_IFACE_UNKNOWN &&
        via != CF_IFACE_UNKNOWN && info->iface != via && !force) {
        cf_fail(err, CF_ERR_GATE, "this is a %s image but you are flashing over %s",
                cf_iface_name(info->iface), cf_iface_name(via));
        cf_hint(err, via == CF_IFACE_CAN
                         ? "the probe would come back on USB only and vanish from the CAN bus; "
                           "pick a CAN image, or pass --force to convert the probe on purpose"
                         : "the probe would come back on CAN only and vanish from USB; pick a "
                           "USB image, or pass --force to convert the probe on purpose");
        return CF_ERR_GATE;
    }
    /* Apps state their bitrate; a deployer's Katapult keeps it in code. */
    if (via == CF_IFACE_CAN && info->iface == CF_IFACE_CAN && info->kind == CF_KIND_APP) {
        if (!bus_bitrate) {
            cf_fail(err, CF_ERR_GATE,
                    "the CAN interface reports no bitrate, so the image's %u "
                    "bit/s cannot be checked",
                    (unsigned)info->can_bitrate);
            cf_hint(err, "pass --bitrate N with the bus's bitrate (a virtual interface such as "
                         "vcan has none)");
            return CF_ERR_GATE;
        }
        if (info->can_bitrate && info->can_bitrate != bus_bitrate && !force) {
            cf_fail(err, CF_ERR_GATE, "the image runs CAN at %u bit/s but the bus runs at %u bit/s",
                    (unsigned)info->can_bitrate, (unsigned)bus_bitrate);
            cf_hint(err,
                    "pick the image built for %u bit/s (the probe would otherwise drop off "
                    "the bus and may disturb it)",
                    (unsigned)bus_bitrate);
            return CF_ERR_GATE;
        }
    }
    return check_fit(img, cf_image_target_mcu(info), err);
}

void cf_kp_plan_image(const cf_image *img, uint32_t block_size, cf_kp_plan *plan)
{
    size_t n = cf_image_end(img) - cf_image_start(img);
    plan->planned = true;
    plan->address = cf_image_start(img);
    plan->block_size = block_size;
    plan->blocks = block_size ? (n + block_size - 1) / block_size : 0;
    plan->bytes = plan->blocks * block_size;
}

cf_code cf_kp_connect_gates(const cf_kp_connect_info *node, const cf_image *img,
                            const cf_image_info *info, bool force, cf_error *err)
{
    uint32_t bs = node->block_size;
    if (bs != 64 && bs != 128 && bs != 256 && bs != 512) {
        cf_fail(err, CF_ERR_PROTOCOL, "Katapult reported an invalid block size %u", (unsigned)bs);
        return CF_ERR_PROTOCOL;
    }
    if (node->app_start != cf_image_start(img)) {
        cf_fail(err, CF_ERR_GATE,
                "this Katapult starts applications at 0x%08X but the image is "
                "for 0x%08X",
                (unsigned)node->app_start, (unsigned)cf_image_start(img));
        cf_hint(err, "the probe's bootloader is not the 8 KiB Katapult the images are built for; "
                     "reinstall it with a combined image over DFU");
        return CF_ERR_GATE;
    }
    const char *mcu = cf_image_target_mcu(info);
    if (!mcu[0] && !force) {
        cf_fail(err, CF_ERR_GATE, "the image does not say which MCU it is for; the probe is %s",
                node->mcu);
        cf_hint(err, "use an official Cartographer image, or --force if you are sure");
        return CF_ERR_GATE;
    }
    cf_code rc = cf_kp_check_mcu(mcu, node->mcu, "Katapult's CONNECT answer", err);
    if (rc == CF_OK)
        rc = check_fit(img, node->mcu, err);
    if (rc == CF_ERR_GATE) {
        char which[96];
        which_image_hint(node->mcu, which, sizeof(which));
        cf_hint(err, "%s; the probe stays in Katapult: flash the right image to leave it", which);
    }
    return rc;
}
