/* Flashing over CAN (fact sheet §3): bootloader request by UUID, node id
 * assignment, then the shared engine; afterwards a query for the app. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "katapult/engine.h"

/* PID of a running Klipper host (klippy), 0 if none. */
static int klippy_pid(void)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int found = 0;
    struct dirent *de;
    while (!found && (de = readdir(d))) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        char p[64], cmd[4096];
        snprintf(p, sizeof(p), "/proc/%ld/cmdline", pid);
        FILE *f = fopen(p, "r");
        if (!f)
            continue;
        size_t n = fread(cmd, 1, sizeof(cmd) - 1, f);
        fclose(f);
        cmd[n] = 0;
        /* argv is NUL-separated: look at every argument. */
        for (size_t i = 0; i < n; i += strlen(cmd + i) + 1)
            if (strstr(cmd + i, "klippy.py") || strcmp(cmd + i, "klippy") == 0)
                found = (int)pid;
    }
    closedir(d);
    return found;
}

/* Sends the node to Katapult and gives it our node id until it CONNECTs. */
static cf_code reach_katapult(cf_kp_can *can, cf_kp_stream *st, const uint8_t uuid[6],
                              const cf_kp_timing *t, unsigned wait_ms, cf_kp_connect_info *node,
                              cf_error *err)
{
    cf_code rc;
    cf_kp_timing quick = *t;
    quick.tries = 1;
    quick.reply_ms = t->reply_ms < 400 ? t->reply_ms : 400;
    uint64_t deadline = cf_now_ns() + (uint64_t)wait_ms * 1000000ull;
    for (;;) {
        /* A node that is still booting misses both messages, so every round
         * repeats them: Klipper obeys the bootloader request (Katapult
         * ignores it), Katapult takes the id (Klipper ignores it). */
        rc = cf_kp_can_request_bootloader(can, uuid, err);
        if (!rc)
            rc = cf_kp_can_set_id(can, uuid, CF_KP_FLASH_NODEID, err);
        if (rc)
            return rc;
        cf_kp_session ss;
        cf_kp_session_init(&ss, st, &quick);
        cf_error tmp;
        cf_error_reset(&tmp);
        rc = cf_kp_connect(&ss, node, &tmp);
        if (!rc)
            return CF_OK;
        if (rc != CF_ERR_TIMEOUT) {
            *err = tmp;
            return rc;
        }
        if (cf_now_ns() >= deadline)
            break;
    }
    char u[13];
    cf_kp_uuid_format(uuid, u);
    cf_fail(err, CF_ERR_TIMEOUT, "no Katapult node with UUID %s answered on %s within %.1f s", u,
            "the CAN bus", wait_ms / 1000.0);
    cf_hint(err, "check the UUID (cartoflash list), that the probe is on this interface, that "
                 "its Katapult was built for this bus's bitrate, and that its Klipper is recent "
                 "enough to jump to Katapult; a double-tap on reset forces Katapult");
    return CF_ERR_TIMEOUT;
}

/* Waits for the node with this UUID to answer a query as `app` (0x01 the
 * application, 0x11 Katapult). */
static bool wait_app(cf_kp_can *can, const uint8_t uuid[6], unsigned wait_ms, uint8_t app)
{
    uint64_t deadline = cf_now_ns() + (uint64_t)wait_ms * 1000000ull;
    while (cf_now_ns() < deadline) {
        cf_kp_can_node nodes[32];
        size_t n = 0;
        cf_error tmp;
        cf_error_reset(&tmp);
        if (cf_kp_can_query(can, 500, nodes, 32, &n, &tmp))
            return false;
        for (size_t i = 0; i < n; i++)
            if (memcmp(nodes[i].uuid, uuid, 6) == 0 && nodes[i].app == app)
                return true;
    }
    return false;
}

/* A deployer started: it installs its Katapult and enters it, on CAN under
 * the same UUID, or (a USB Katapult) off the bus. */
static void after_deployer(cf_kp_can *can, const uint8_t uuid[6], const char *uhex,
                           const cf_image_info *info, unsigned wait, const cf_flash_events *ev,
                           cf_kp_report *rep)
{
    rep->installed_katapult = info->katapult_iface;
    if (info->katapult_iface == CF_IFACE_CAN) {
        snprintf(rep->can_uuid, sizeof(rep->can_uuid), "%s", uhex);
        rep->came_back = wait_app(can, uuid, wait, 0x11);
    }
    cf_flash_notice(ev, !rep->came_back && info->katapult_iface == CF_IFACE_CAN, "%s",
                    info->katapult_iface != CF_IFACE_CAN
                        ? "the deployer installs Katapult for USB and starts it: the probe leaves "
                          "the CAN bus and waits in Katapult on USB"
                    : rep->came_back ? "Katapult for CAN is installed and waits on the bus: flash "
                                       "the CAN application next"
                                     : "the installed Katapult did not answer a CAN query");
}

/* The UUID opts names, as bytes; CF_ERR_USAGE when it is not 12 hex digits. */
static cf_code parse_uuid(const cf_kp_opts *opts, uint8_t uuid[6], cf_error *err)
{
    if (cf_kp_uuid_parse(opts->uuid, uuid))
        return CF_OK;
    cf_fail(err, CF_ERR_USAGE, "'%s' is not a CAN UUID (12 hex digits)",
            opts->uuid ? opts->uuid : "");
    cf_hint(err, "find it with `cartoflash list` or in printer.cfg ([mcu scanner] "
                 "canbus_uuid)");
    return CF_ERR_USAGE;
}

/* The interface must be up and not BUS-OFF; *bitrate is what it runs at
 * (else opts->bitrate, which must agree when both are known). */
static cf_code check_bus(const cf_kp_env *env, const char *ifname, const cf_kp_opts *opts,
                         uint32_t *bitrate, cf_error *err)
{
    cf_kp_canlink link;
    cf_code rc = cf_kp_can_bus_info(env, ifname, &link, err);
    if (rc)
        return rc;
    if (!link.up) {
        cf_fail(err, CF_ERR_GATE, "CAN interface %s is down", ifname);
        cf_hint(err,
                "bring it up: sudo ip link set %s up type can bitrate 1000000 (use your "
                "bus's bitrate)",
                ifname);
        return CF_ERR_GATE;
    }
    if (link.has_state && link.state == 3) {
        cf_fail(err, CF_ERR_GATE, "CAN interface %s is BUS-OFF", ifname);
        cf_hint(err, "check wiring, termination and that every node uses the same bitrate; "
                     "then restart the interface");
        return CF_ERR_GATE;
    }
    *bitrate = link.has_bitrate ? link.bitrate : 0;
    if (*bitrate && opts->bitrate && opts->bitrate != *bitrate) {
        cf_fail(err, CF_ERR_USAGE, "--bitrate %u disagrees with %s, which runs at %u bit/s",
                (unsigned)opts->bitrate, ifname, (unsigned)*bitrate);
        return CF_ERR_USAGE;
    }
    if (!*bitrate)
        *bitrate = opts->bitrate;
    return CF_OK;
}

/* A running Klipper owns the node: it would see its MCU vanish mid-print
 * and claim the app again the moment it boots. Refused unless forced. */
static cf_code refuse_klippy(const cf_kp_env *env, const cf_kp_opts *opts,
                             const cf_flash_events *ev, cf_error *err)
{
    int kpid = cf_kp_env_on_machine(env) ? klippy_pid() : 0;
    if (kpid && !opts->force) {
        cf_fail(err, CF_ERR_GATE, "Klipper is running (process %d) and owns the probe's CAN node",
                kpid);
        cf_hint(err, "stop it first (sudo systemctl stop klipper) and start it again after "
                     "flashing; --force flashes anyway");
        return CF_ERR_GATE;
    }
    if (kpid)
        cf_flash_notice(ev, true, "Klipper is running (process %d); flashing anyway (--force)",
                        kpid);
    return CF_OK;
}

/* Bus traffic counters at one moment. */
typedef struct traffic {
    unsigned long frames_out, frames_in;
    unsigned long long bits_out, bits_in;
} traffic;

/* The traffic since `before`, into rep. */
static void count_traffic(cf_kp_can *can, const traffic *before, cf_kp_report *rep)
{
    cf_kp_can_counters(can, &rep->frames_out, &rep->frames_in, &rep->bits_out, &rep->bits_in);
    rep->frames_out -= before->frames_out;
    rep->frames_in -= before->frames_in;
    rep->bits_out -= before->bits_out;
    rep->bits_in -= before->bits_in;
}

/* After COMPLETE: the app (or a deployer's Katapult) answering on the bus. */
static void after_complete(cf_kp_can *can, const uint8_t uuid[6], const char *uhex,
                           const cf_image_info *info, const cf_kp_opts *opts, unsigned wait,
                           const cf_flash_events *ev, cf_kp_report *rep)
{
    if (info->kind == CF_KIND_DEPLOYER) {
        after_deployer(can, uuid, uhex, info, wait, ev, rep);
    } else if (!opts->caller_waits) {
        cf_flash_notice(ev, false, "waiting for the probe to come back running its application");
        rep->came_back = wait_app(can, uuid, wait, 0x01);
        if (!rep->came_back)
            cf_flash_notice(ev, true,
                            "the probe did not answer a CAN query as Klipper within %.1f s "
                            "(a running Klipper may have claimed it already)",
                            wait / 1000.0);
    }
}

/* The node a CAN flash is for. */
typedef struct can_target {
    const char *ifname;
    uint8_t uuid[6];
    char uhex[13];
} can_target;

/* Steps 3-6 on an open bus: bootloader request, CONNECT, the engine, the wait. */
static cf_code flash_on_bus(cf_kp_can *can, const can_target *to, const cf_image *img,
                            const cf_image_info *info, const cf_kp_opts *opts,
                            const cf_flash_events *ev, cf_kp_report *rep, cf_error *err)
{
    unsigned wait = cf_kp_wait_ms(opts);
    cf_kp_stream *st;
    cf_code rc = cf_kp_can_stream(can, CF_KP_FLASH_NODEID, &st, err);
    if (rc)
        return rc;
    cf_kp_session ss;
    cf_kp_session_init(&ss, st, opts->timing);
    cf_flash_notice(ev, false, "asking node %s on %s to enter Katapult", to->uhex, to->ifname);
    cf_kp_connect_info node;
    rc = reach_katapult(can, st, to->uuid, &ss.t, wait, &node, err);
    /* Traffic and time are counted from CONNECT's answer to COMPLETE's. */
    uint64_t t1 = cf_now_ns();
    traffic before;
    cf_kp_can_counters(can, &before.frames_out, &before.frames_in, &before.bits_out,
                       &before.bits_in);
    if (!rc)
        rc = cf_kp_run(&ss, &node, img, info, to->uuid, opts->force, ev, rep, err);
    rep->transfer_seconds = (double)(cf_now_ns() - t1) / 1e9;
    count_traffic(can, &before, rep);
    if (!rc)
        after_complete(can, to->uuid, to->uhex, info, opts, wait, ev, rep);
    cf_kp_stream_close(st);
    return rc;
}

cf_code cf_kp_flash_can(const cf_kp_env *env, const cf_image *img, const cf_kp_opts *opts,
                        const cf_flash_events *ev, cf_kp_report *rep, cf_error *err)
{
    uint64_t t0 = cf_kp_report_begin(rep);
    can_target to = {.ifname = opts->interface ? opts->interface : "can0"};
    const char *ifname = to.ifname;
    cf_code rc = parse_uuid(opts, to.uuid, err);
    if (rc)
        return rc;
    cf_kp_uuid_format(to.uuid, to.uhex);
    snprintf(rep->device, sizeof(rep->device), "%s uuid %s", ifname, to.uhex);

    uint32_t bitrate = 0;
    rc = check_bus(env, ifname, opts, &bitrate, err);
    if (rc)
        return rc;
    rep->bus_bitrate = bitrate;
    cf_image_info info;
    rc = cf_kp_check_image(img, CF_IFACE_CAN, bitrate, opts->force, &info, err);
    if (!rc)
        rc = refuse_klippy(env, opts, ev, err);
    if (rc)
        return rc;
    if (opts->dry_run) { /* every check before the bootloader request is done */
        cf_kp_plan_image(img, CF_KP_PLAN_BLOCK, &rep->plan);
        rep->plan.request = true;
        return CF_OK;
    }

    cf_kp_can *can;
    rep->failed_phase = CF_PHASE_CONNECT;
    rc = cf_kp_env_can_open(env, ifname, &can, err);
    if (rc)
        return rc;
    rc = flash_on_bus(can, &to, img, &info, opts, ev, rep, err);
    cf_kp_can_close(can);
    rep->seconds = (double)(cf_now_ns() - t0) / 1e9;
    return rc;
}
