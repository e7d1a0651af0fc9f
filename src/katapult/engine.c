/* Image gates and the CONNECT .. COMPLETE sequence shared by CAN and USB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "katapult/engine.h"

#define APP_START 0x08002000u

const char *cf_kp_app_name(cf_kp_app app)
{
    switch (app) {
    case CF_KP_APP_KLIPPER:
        return "Klipper";
    case CF_KP_APP_KATAPULT:
        return "Katapult";
    default:
        return "unknown";
    }
}

void cf_kp_notice(const cf_flash_events *ev, bool warning, const char *fmt, ...)
{
    if (!ev || !ev->notice)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    ev->notice(ev->user, warning, buf);
}

static void progress(const cf_flash_events *ev, cf_flash_phase ph, size_t done, size_t total)
{
    if (ev && ev->progress)
        ev->progress(ev->user, ph, done, total);
}

/* Flash size of a chip by its Katapult/Klipper MCU name; 0 if unknown. */
static uint32_t flash_end_of(const char *mcu)
{
    if (strcmp(mcu, "stm32f042x6") == 0)
        return 0x08000000u + 32u * 1024u;
    if (strcmp(mcu, "stm32g431xx") == 0)
        return 0x08000000u + 128u * 1024u;
    return 0;
}

cf_code cf_kp_check_mcu(const char *image_mcu, const char *probe_mcu, const char *how,
                        cf_error *err)
{
    if (!image_mcu[0] || !probe_mcu[0] || strcmp(image_mcu, probe_mcu) == 0)
        return CF_OK;
    cf_fail(err, CF_ERR_GATE, "the image is for %s but the probe is %s (%s)", image_mcu, probe_mcu,
            how);
    cf_hint(err, "%s; nothing was sent to the probe's bootloader",
            strcmp(probe_mcu, "stm32g431xx") == 0 ? "this is a v4/HT probe: pick a v4 image"
                                                  : "this is a v2/v3 probe: pick a v2-v3 image");
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

/* The image as one buffer from its start, gaps 0xFF, padded to whole blocks. */
static cf_code flatten(const cf_image *img, uint32_t block, uint8_t **out, size_t *len,
                       cf_error *err)
{
    uint32_t start = cf_image_start(img), end = cf_image_end(img);
    size_t n = end - start;
    n = (n + block - 1) / block * block;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    memset(buf, 0xFF, n);
    for (size_t i = 0; i < img->segment_count; i++) {
        const cf_image_segment *s = &img->segments[i];
        memcpy(buf + (s->address - start), s->data, s->size);
    }
    *out = buf;
    *len = n;
    return CF_OK;
}

static cf_code connect_gates(const cf_kp_connect_info *node, const cf_image *img,
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
    if (rc == CF_ERR_GATE)
        cf_hint(err, "%s; the probe stays in Katapult: flash the right image to leave it",
                strcmp(node->mcu, "stm32g431xx") == 0 ? "this is a v4/HT probe: pick a v4 image"
                                                      : "this is a v2/v3 probe: pick a v2-v3 "
                                                        "image");
    return rc;
}

static void still_in_katapult(cf_error *err)
{
    cf_hint(err, "nothing was started: the probe stays in Katapult (COMPLETE was not sent); "
                 "run the same flash command again. If it no longer answers, power-cycle it "
                 "(or double-tap reset) and retry");
}

cf_code cf_kp_connect(cf_kp_session *ss, cf_kp_connect_info *node, cf_error *err)
{
    uint8_t r[128];
    size_t rl;
    cf_code rc = cf_kp_cmd(ss, CF_KP_CMD_CONNECT, NULL, 0, r, sizeof(r), &rl, err);
    if (rc)
        return rc;
    if (!cf_kp_parse_connect(r, rl, node))
        return cf_fail(err, CF_ERR_PROTOCOL, "malformed CONNECT answer (%zu bytes)", rl);
    return CF_OK;
}

/* What CONNECT said, as a notice. */
static void announce_node(const cf_kp_session *ss, const cf_kp_connect_info *node,
                          const cf_flash_events *ev)
{
    cf_kp_notice(ev, false,
                 "Katapult %s on %s: MCU %s, application at 0x%08X, block %u bytes, "
                 "protocol %u.%u.%u",
                 node->version[0] ? node->version : "(no version)", ss->s->name, node->mcu,
                 (unsigned)node->app_start, (unsigned)node->block_size,
                 (unsigned)(node->proto_version >> 16 & 0xFF),
                 (unsigned)(node->proto_version >> 8 & 0xFF),
                 (unsigned)(node->proto_version & 0xFF));
}

/* CAN: the node in Katapult must be the one asked for (GET_CANBUS_ID). */
static cf_code check_uuid(cf_kp_session *ss, const uint8_t *expect_uuid, cf_error *err)
{
    uint8_t r[128];
    size_t rl;
    cf_code rc = cf_kp_cmd(ss, CF_KP_CMD_GET_CANBUS_ID, NULL, 0, r, sizeof(r), &rl, err);
    if (rc)
        return rc;
    if (rl >= 6 && memcmp(r, expect_uuid, 6) == 0)
        return CF_OK;
    char want[13], got[13] = "?";
    cf_kp_uuid_format(expect_uuid, want);
    if (rl >= 6)
        cf_kp_uuid_format(r, got);
    cf_fail(err, CF_ERR_GATE, "the node that answered has UUID %s, not %s", got, want);
    cf_hint(err, "another node holds the same node id; flash with only one node in "
                 "Katapult at a time");
    return CF_ERR_GATE;
}

/* The image as the node's blocks: `len` bytes (padded) from `base`. */
typedef struct transfer {
    const uint8_t *data;
    size_t len, blocks;
    uint32_t bs, base;
} transfer;

/* SEND_BLOCK every block, then SEND_EOF. buf holds 4 + bs bytes. */
static cf_code write_blocks(cf_kp_session *ss, const transfer *t, uint8_t *buf,
                            const cf_flash_events *ev, cf_kp_report *rep, cf_error *err)
{
    uint8_t r[128];
    size_t rl;
    cf_code rc = CF_OK;
    rep->failed_phase = CF_PHASE_WRITE;
    progress(ev, CF_PHASE_WRITE, 0, t->len);
    for (size_t i = 0; i < t->blocks && !rc; i++) {
        uint32_t addr = t->base + (uint32_t)(i * t->bs);
        cf_kp_put_le32(buf, addr);
        memcpy(buf + 4, t->data + i * t->bs, t->bs);
        rc = cf_kp_cmd(ss, CF_KP_CMD_SEND_BLOCK, buf, 4 + t->bs, r, sizeof(r), &rl, err);
        if (rc) {
            rep->failed_address = addr;
            cf_error_prefix(err, "writing the block at 0x%08X", (unsigned)addr);
        } else {
            rep->bytes_written += t->bs;
            progress(ev, CF_PHASE_WRITE, (i + 1) * t->bs, t->len);
        }
    }
    if (!rc) {
        rc = cf_kp_cmd(ss, CF_KP_CMD_SEND_EOF, NULL, 0, r, sizeof(r), &rl, err);
        if (!rc && rl >= 4)
            rep->pages = cf_kp_le32(r);
    }
    return rc;
}

/* Block i as read back (rb, rl bytes) against what was written: CF_OK, or
 * CF_ERR_VERIFY naming the first differing byte. */
static cf_code compare_block(const transfer *t, size_t i, const uint8_t *rb, size_t rl,
                             cf_kp_report *rep, cf_error *err)
{
    uint32_t bs = t->bs, addr = t->base + (uint32_t)(i * bs);
    const uint8_t *want = t->data + i * bs;
    if (rl >= 4 + bs && memcmp(rb + 4, want, bs) == 0)
        return CF_OK;
    size_t k = 0;
    while (rl >= 4 + bs && k < bs && rb[4 + k] == want[k])
        k++;
    rep->failed_address = addr + (uint32_t)k;
    return cf_fail(
        err, CF_ERR_VERIFY, "read-back differs at 0x%08X: wrote 0x%02X, the probe holds 0x%02X",
        (unsigned)(addr + k), want[k < bs ? k : 0], rl >= 4 + bs ? rb[4 + (k < bs ? k : 0)] : 0);
}

/* REQUEST_BLOCK every block and compare it byte for byte. buf holds 4 + bs bytes. */
static cf_code verify_blocks(cf_kp_session *ss, const transfer *t, uint8_t *buf,
                             const cf_flash_events *ev, cf_kp_report *rep, cf_error *err)
{
    rep->failed_phase = CF_PHASE_VERIFY;
    progress(ev, CF_PHASE_VERIFY, 0, t->len);
    uint8_t *rb = malloc(4 + t->bs);
    if (!rb)
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    cf_code rc = CF_OK;
    for (size_t i = 0; i < t->blocks && !rc; i++) {
        uint32_t addr = t->base + (uint32_t)(i * t->bs);
        size_t rl;
        cf_kp_put_le32(buf, addr);
        rc = cf_kp_cmd(ss, CF_KP_CMD_REQUEST_BLOCK, buf, 4, rb, 4 + t->bs, &rl, err);
        if (rc) {
            rep->failed_address = addr;
            cf_error_prefix(err, "reading back 0x%08X", (unsigned)addr);
        } else if ((rc = compare_block(t, i, rb, rl, rep, err)) == CF_OK) {
            rep->bytes_verified += t->bs;
            progress(ev, CF_PHASE_VERIFY, (i + 1) * t->bs, t->len);
        }
    }
    free(rb);
    return rc;
}

/* The failure hint of a transfer that stopped: COMPLETE was never sent. */
static void transfer_failed(cf_code rc, cf_error *err)
{
    if (rc != CF_ERR_GONE)
        still_in_katapult(err);
    else
        cf_hint(err, "the probe vanished mid-flash and COMPLETE was not sent: reconnect or "
                     "power-cycle it (it stays in Katapult while its application is "
                     "incomplete, else double-tap reset) and flash again");
}

cf_code cf_kp_run(cf_kp_session *ss, const cf_kp_connect_info *node, const cf_image *img,
                  const cf_image_info *info, const uint8_t *expect_uuid, bool force,
                  const cf_flash_events *ev, cf_kp_report *rep, cf_error *err)
{
    rep->node = *node;
    rep->failed_phase = CF_PHASE_CHECK;
    announce_node(ss, node, ev);
    cf_code rc = connect_gates(node, img, info, force, err);
    if (rc)
        return rc;
    if (expect_uuid) {
        rep->failed_phase = CF_PHASE_CONNECT;
        rc = check_uuid(ss, expect_uuid, err);
        if (rc)
            return rc;
    }
    transfer t = {.bs = node->block_size, .base = node->app_start};
    uint8_t *data = NULL;
    rc = flatten(img, t.bs, &data, &t.len, err);
    if (rc)
        return rc;
    t.data = data;
    t.blocks = t.len / t.bs;
    rep->blocks = t.blocks;
    uint8_t *buf = malloc(4 + t.bs);
    if (!buf) {
        free(data);
        return cf_fail(err, CF_ERR_NOMEM, "out of memory");
    }
    rc = write_blocks(ss, &t, buf, ev, rep, err);
    if (!rc)
        rc = verify_blocks(ss, &t, buf, ev, rep, err);
    free(buf);
    free(data);
    rep->retries = ss->retries;
    if (rc) {
        transfer_failed(rc, err);
        return rc;
    }

    /* Verified: only now start the application. */
    uint8_t r[128];
    size_t rl;
    rep->failed_phase = CF_PHASE_LEAVE;
    rc = cf_kp_cmd(ss, CF_KP_CMD_COMPLETE, NULL, 0, r, sizeof(r), &rl, err);
    rep->retries = ss->retries;
    if (rc) {
        cf_error_prefix(err, "starting the application");
        cf_hint(err, "the image is written and verified; power-cycle the probe to start it");
        return rc;
    }
    rep->completed = true;
    rep->failed_phase = CF_PHASE_DONE;
    return CF_OK;
}
