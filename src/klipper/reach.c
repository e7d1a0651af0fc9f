/* identify over USB serial and over CAN (see reach.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/safe.h"
#include "klipper/reach.h"

const char cf_kl_can_note[] =
    "identify over CAN gave the probe a node id of its own (remembered under XDG state); Klipper "
    "has no command to take it back, so the probe does not answer CAN queries until it "
    "restarts, but cartoflash still reaches it, and Klipper assigns its own id when it connects";

cf_code cf_kl_identify_usb(const cf_kp_env *env, const char *tty, cf_kl_ident *out, cf_error *err)
{
    char comm[64];
    int pid = cf_kp_port_user(tty, comm, sizeof(comm));
    if (pid) {
        cf_fail(err, CF_ERR_GATE, "%s is held by process %d (%s); not asking the probe", tty, pid,
                comm);
        cf_hint(err, "when that is Klipper, its Moonraker knows the version (mcu_version); or "
                     "stop Klipper and ask again");
        return CF_ERR_GATE;
    }
    (void)env; /* the simulated probe is a pty: the same code path as hardware */
    cf_kp_stream *s = NULL;
    cf_code rc = cf_kp_serial_open(tty, &s, err);
    if (rc)
        return rc;
    rc = cf_kl_identify_stream(s, tty, 0, out, err);
    cf_kp_stream_close(s);
    snprintf(out->source, sizeof(out->source), "identify over USB serial");
    return rc;
}

static cf_code query_has(cf_kp_can *can, const uint8_t uuid[6], bool *seen, uint8_t *app,
                         cf_error *err)
{
    cf_kp_can_node nodes[32];
    size_t n = 0;
    *seen = false;
    cf_code rc = cf_kp_can_query(can, 300, nodes, 32, &n, err);
    for (size_t i = 0; rc == CF_OK && i < n; i++)
        if (memcmp(nodes[i].uuid, uuid, 6) == 0) {
            *seen = true;
            *app = nodes[i].app;
        }
    return rc;
}

/* identify on the node id the node has; a short answer time when we only
 * hope it still has the id we gave it earlier. */
static cf_code identify_on(cf_kp_can *can, uint8_t nodeid, const char *device, unsigned reply_ms,
                           cf_kl_ident *out, cf_error *err)
{
    cf_kp_stream *s = NULL;
    cf_code rc = cf_kp_can_stream(can, nodeid, &s, err);
    if (rc == CF_OK)
        rc = cf_kl_identify_stream(s, device, reply_ms, out, err);
    cf_kp_stream_close(s);
    return rc;
}

cf_code cf_kl_identify_can(const cf_kp_env *env, const char *ifname, const char *uuid_text,
                           cf_kl_ident *out, cf_error *err)
{
    uint8_t uuid[6];
    if (!cf_kp_uuid_parse(uuid_text, uuid))
        return cf_fail(err, CF_ERR_USAGE, "'%s' is not a CAN UUID (12 hex digits)", uuid_text);
    char canon[13];
    cf_kp_uuid_format(uuid, canon);
    if (!ifname)
        ifname = "can0";
    char device[160];
    snprintf(device, sizeof(device), "%s uuid %s", ifname, canon);
    snprintf(out->device, sizeof(out->device), "%s", device);
    snprintf(out->source, sizeof(out->source), "identify over CAN");
    cf_kp_can *can = NULL;
    cf_code rc = cf_kp_env_can_open(env, ifname, &can, err);
    if (rc)
        return rc;
    bool seen = false;
    uint8_t app = 0;
    rc = query_has(can, uuid, &seen, &app, err);
    if (rc == CF_OK && !seen) {
        /* Silent: either a Klipper holds it (then it listens on Klipper's id,
         * not ours, and nothing answers us), or it still has the id we gave
         * it. Only the second is tried; nothing is assigned. */
        cf_kl_nodeid known[128];
        size_t n = cf_kl_nodeids_load(known, 128);
        for (size_t i = 0; i < n; i++)
            if (strcmp(known[i].uuid, canon) == 0 &&
                identify_on(can, known[i].id, device, 100, out, NULL) == CF_OK) {
                snprintf(out->source, sizeof(out->source), "identify over CAN (node id %u)",
                         (unsigned)known[i].id);
                cf_kp_can_close(can);
                return CF_OK;
            }
        cf_fail(err, CF_ERR_GATE,
                "CAN node %s does not answer a query on %s: a running Klipper holds it (or it "
                "is not on the bus); not asking it",
                canon, ifname);
        cf_hint(err, "with Klipper running, its Moonraker knows the version (mcu_version); or "
                     "stop Klipper and ask again");
        rc = CF_ERR_GATE;
    } else if (rc == CF_OK && app != 0x01) {
        cf_fail(err, CF_ERR_UNSUPPORTED, "CAN node %s runs %s, not Klipper firmware", canon,
                app == 0x11 ? "Katapult (its bootloader)" : "an unknown application");
        cf_hint(err, "identify works only while the probe runs its Cartographer firmware");
        rc = CF_ERR_UNSUPPORTED;
    }
    uint8_t nodeid = 0;
    bool known = false;
    if (rc == CF_OK)
        rc = cf_kl_can_temp_id(canon, &nodeid, &known, err);
    if (rc == CF_OK) {
        /* SET_KLIPPER_NODEID: 0x01, the UUID, the node id. */
        uint8_t d[8] = {0x01};
        memcpy(d + 1, uuid, 6);
        d[7] = nodeid;
        rc = cf_kp_can_send(can, CF_KP_CAN_ADMIN, d, 8, err);
    }
    if (rc == CF_OK)
        rc = identify_on(can, nodeid, device, 0, out, err);
    cf_kp_can_close(can);
    return rc;
}

size_t cf_kl_can_unanswered(const cf_kp_env *env, const char *ifname, const char *const *seen,
                            size_t seen_count, cf_kl_ident *out, char (*uuids)[13], size_t cap)
{
    cf_kl_nodeid known[128];
    size_t n = cf_kl_nodeids_load(known, 128), got = 0;
    if (!n)
        return 0;
    cf_kp_can *can = NULL;
    if (cf_kp_env_can_open(env, ifname, &can, NULL) != CF_OK)
        return 0;
    for (size_t i = 0; i < n && got < cap; i++) {
        bool answered = false;
        for (size_t k = 0; k < seen_count; k++)
            answered |= strcmp(seen[k], known[i].uuid) == 0;
        if (answered)
            continue;
        char device[160];
        snprintf(device, sizeof(device), "%.32s uuid %.32s", ifname, known[i].uuid);
        cf_kl_ident *id = &out[got];
        memset(id, 0, sizeof(*id));
        if (identify_on(can, known[i].id, device, 100, id, NULL) == CF_OK) {
            snprintf(id->device, sizeof(id->device), "%s", device);
            snprintf(id->source, sizeof(id->source), "identify over CAN (node id %u)",
                     (unsigned)known[i].id);
            memcpy(uuids[got], known[i].uuid, 13);
            got++;
        } else {
            cf_kl_ident_free(id);
        }
    }
    cf_kp_can_close(can);
    return got;
}

static bool selects(const cf_kp_usb_dev *d, const char *sel)
{
    if (!sel)
        return true;
    if (strcmp(sel, d->tty) == 0 || strcmp(sel, d->port) == 0 || strcmp(sel, d->syspath) == 0)
        return true;
    /* the chip serial, bare or as serial=..., as flash usb --device takes it */
    if (d->serial[0] && (strcasecmp(sel, d->serial) == 0 ||
                         (strncmp(sel, "serial=", 7) == 0 && strcasecmp(sel + 7, d->serial) == 0)))
        return true;
    char real[PATH_MAX];
    return realpath(sel, real) && strcmp(real, d->tty) == 0; /* a /dev/serial/by-id link */
}

cf_code cf_kl_identify_usb_select(const cf_kp_env *env, const char *selector, cf_kl_ident *out,
                                  cf_error *err)
{
    cf_kp_usb_dev devs[16];
    size_t count = 0;
    /* The simulated probe enumerates a moment after it is created; one that
     * appears later is left to the flash flow, which says it waits. */
    for (int i = 0; i < (cf_kp_env_on_machine(env) ? 1 : 20); i++) {
        cf_code rc = cf_kp_usb_list(env, devs, 16, &count, err);
        if (rc)
            return rc;
        if (count)
            break;
        cf_sleep_ns(10000000);
    }
    const cf_kp_usb_dev *hit = NULL;
    size_t hits = 0;
    for (size_t i = 0; i < count; i++)
        if (devs[i].app == CF_KP_APP_KLIPPER && selects(&devs[i], selector)) {
            hit = &devs[i];
            hits++;
        }
    if (!hits)
        return cf_fail(err, CF_ERR_NOT_FOUND, "no probe running its firmware on USB%s%s",
                       selector ? " matches " : "", selector ? selector : "");
    if (hits > 1)
        return cf_fail(err, CF_ERR_AMBIGUOUS, "%zu USB probes run their firmware; which one?",
                       hits);
    return cf_kl_identify_usb(env, hit->tty, out, err);
}

cf_code cf_kl_precheck_flash(const cf_kp_env *env, bool can, const cf_kp_opts *o,
                             const cf_image *img, cf_kl_precheck *out, cf_error *err)
{
    memset(out, 0, sizeof(*out));
    cf_kl_ident id = {0};
    cf_error e = {0};
    cf_code rc = can ? cf_kl_identify_can(env, o->interface, o->uuid, &id, &e)
                     : cf_kl_identify_usb_select(env, o->device, &id, &e);
    if (rc != CF_OK) {
        cf_strlcpy(out->why, sizeof(out->why), e.message);
        cf_kl_ident_free(&id);
        return CF_OK;
    }
    out->identified = true;
    cf_kl_describe(&id.info, out->runs, sizeof(out->runs));
    cf_strlcpy(out->mcu, sizeof(out->mcu), id.info.mcu[0] ? id.info.mcu : "an unknown MCU");
    cf_strlcpy(out->device, sizeof(out->device), id.device);
    cf_strlcpy(out->source, sizeof(out->source), id.source);
    out->same = cf_kl_image_is_running(&id, img);
    cf_image_info info;
    cf_image_inspect(img, &info);
    char how[96];
    snprintf(how, sizeof(how), "its running firmware says so, %s", id.source);
    rc = cf_kp_check_mcu(cf_image_target_mcu(&info), id.info.mcu, how, err);
    cf_kl_ident_free(&id);
    return rc;
}
