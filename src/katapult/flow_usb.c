/* Flashing over USB (fact sheet §4): find the probe by sysfs, 1200-baud touch
 * when it runs Klipper, wait for Katapult on the same port with the same chip,
 * then the shared engine, then wait for the app to come back. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "katapult/engine.h"
#include "common/fileio.h"

static bool matches(const cf_kp_usb_dev *d, const char *sel)
{
    if (strncmp(sel, "/dev/", 5) == 0)
        return cf_same_path(sel, d->tty);
    if (strncmp(sel, "/sys/", 5) == 0)
        return cf_same_path(sel, d->syspath);
    if (strncmp(sel, "serial=", 7) == 0)
        return strcasecmp(sel + 7, d->serial) == 0;
    return strcmp(sel, d->port) == 0 || strcasecmp(sel, d->serial) == 0;
}

static bool candidate(const cf_kp_env *env, const cf_kp_usb_dev *d, const char *sel)
{
    return sel ? matches(d, sel) : cf_kp_usb_is_probe(env, d);
}

/* "/dev/ttyACM0 (1-1.2, Klipper 1d50:614e "Klipper" "stm32f446xx")" for messages. */
static void describe_dev(const cf_kp_usb_dev *d, char *out, size_t cap)
{
    snprintf(out, cap, "%s (%s, %s %04x:%04x \"%s\" \"%s\")", d->tty, d->port,
             cf_kp_app_name(d->app), d->vid, d->pid, d->manufacturer, d->product);
}

/* Lists the USB devices until one is a candidate or wait_ms is over: a
 * probe that is still enumerating (just plugged in, just reset) gets that
 * long to show up. */
static cf_code list_candidates(const cf_kp_env *env, const char *sel, unsigned wait_ms,
                               const cf_flash_events *ev, cf_kp_usb_dev devs[16], size_t *n,
                               cf_error *err)
{
    uint64_t deadline = cf_now_ns() + (uint64_t)wait_ms * 1000000ull;
    bool told = false;
    for (;;) {
        cf_code rc = cf_kp_usb_list(env, devs, 16, n, err);
        if (rc)
            return rc;
        size_t k = 0;
        for (size_t i = 0; i < *n; i++)
            k += candidate(env, &devs[i], sel);
        if (k || cf_now_ns() >= deadline)
            return CF_OK;
        if (!told) {
            cf_flash_notice(ev, false, "waiting up to %.0f s for the probe to appear on USB",
                            wait_ms / 1000.0);
            for (size_t i = 0; !sel && i < *n; i++) {
                char what[256];
                describe_dev(&devs[i], what, sizeof(what));
                cf_flash_notice(ev, false, "%s is not a Cartographer: left alone", what);
            }
        }
        told = true;
        cf_sleep_ns(50000000);
    }
}

/* No candidate: CF_ERR_NOT_FOUND, naming the n devices attached and left alone. */
static cf_code no_candidate(const char *sel, const char *others, size_t n, cf_error *err)
{
    if (sel)
        cf_fail(err, CF_ERR_NOT_FOUND,
                "no Cartographer, Klipper or Katapult USB device "
                "matches '%s'",
                sel);
    else if (others[0])
        cf_fail(err, CF_ERR_NOT_FOUND,
                "no Cartographer probe on USB: %s %s not a Cartographer, so nothing was sent "
                "to %s",
                others, n == 1 ? "is" : "are", n == 1 ? "it" : "them");
    else
        cf_fail(err, CF_ERR_NOT_FOUND,
                "no Cartographer, Klipper or Katapult USB device is "
                "attached");
    if (!sel && others[0])
        cf_hint(err, "If the probe is connected over CAN, flash it over CAN: cartoflash flash "
                     "can --uuid UUID FILE (`cartoflash list` shows the UUIDs). To flash "
                     "another board anyway, name it with --device PATH.");
    else
        cf_hint(err, "check the USB cable; `cartoflash list` shows what is attached (a probe in "
                     "DFU mode needs `cartoflash flash dfu`)");
    return CF_ERR_NOT_FOUND;
}

static cf_code select_device(const cf_kp_env *env, const char *sel, unsigned wait_ms,
                             const cf_flash_events *ev, cf_kp_usb_dev *out, cf_error *err)
{
    cf_kp_usb_dev devs[16];
    size_t n = 0;
    cf_code rc = list_candidates(env, sel, wait_ms, ev, devs, &n, err);
    if (rc)
        return rc;
    size_t hits = 0;
    char list[600] = "", others[600] = "";
    for (size_t i = 0; i < n; i++) {
        if (!candidate(env, &devs[i], sel)) {
            size_t l = strlen(others);
            char what[256];
            describe_dev(&devs[i], what, sizeof(what));
            snprintf(others + l, sizeof(others) - l, "%s%s", l ? "; " : "", what);
            continue;
        }
        if (!hits)
            *out = devs[i];
        hits++;
        size_t l = strlen(list);
        snprintf(list + l, sizeof(list) - l, "%s%s (%s, %s %s)", l ? "; " : "", devs[i].tty,
                 devs[i].port, cf_kp_app_name(devs[i].app), devs[i].serial);
    }
    if (hits == 0)
        return no_candidate(sel, others, n, err);
    if (hits > 1) {
        cf_fail(err, CF_ERR_AMBIGUOUS, "%zu USB devices could be the probe: %s", hits, list);
        cf_hint(err, "choose one with --device PATH (a /dev/ttyACM* path, a sysfs path or a port "
                     "such as 1-1.3); cartoflash never guesses");
        return CF_ERR_AMBIGUOUS;
    }
    if (sel && !cf_kp_usb_is_probe(env, out)) {
        char what[256];
        describe_dev(out, what, sizeof(what));
        cf_flash_notice(ev, true,
                        "WARNING: %s does not identify as a Cartographer; using it because "
                        "--device names it",
                        what);
    }
    return CF_OK;
}

/* Refuses a port another program holds. A freshly enumerated tty is opened
 * briefly by udev workers (probing for the by-id links), so holders get a
 * moment to let go before this counts as "in use". */
static cf_code refuse_if_busy(const char *tty, cf_error *err)
{
    char comm[64];
    int pid = 0;
    uint64_t deadline = cf_now_ns() + 3000000000ull;
    for (;;) {
        pid = cf_kp_port_user(tty, comm, sizeof(comm));
        if (!pid)
            return CF_OK;
        if (cf_now_ns() >= deadline)
            break;
        cf_sleep_ns(100000000);
    }
    cf_fail(err, CF_ERR_GATE, "%s is in use by process %d (%s)", tty, pid, comm);
    cf_hint(err, "stop it first (for Klipper: sudo systemctl stop klipper), then retry; start "
                 "it again after flashing");
    return CF_ERR_GATE;
}

/* Waits for the device on `syspath` with `serial` to show up as `app`. */
static bool wait_for(const cf_kp_env *env, const char *syspath, const char *serial, cf_kp_app app,
                     unsigned wait_ms, cf_kp_usb_dev *out)
{
    uint64_t deadline = cf_now_ns() + (uint64_t)wait_ms * 1000000ull;
    for (;;) {
        cf_kp_usb_dev devs[16];
        size_t n = 0;
        cf_error tmp;
        cf_error_reset(&tmp);
        if (!cf_kp_usb_list(env, devs, 16, &n, &tmp)) {
            for (size_t i = 0; i < n; i++) {
                if (strcmp(devs[i].syspath, syspath) != 0)
                    continue;
                if (devs[i].app == app && strcasecmp(devs[i].serial, serial) == 0) {
                    *out = devs[i];
                    return true;
                }
            }
        }
        if (cf_now_ns() >= deadline)
            return false;
        cf_sleep_ns(50000000);
    }
}

/* The MCU a USB device names by itself: Katapult's product string is its
 * MCU, and Cartographer 6.x apps send it too (5.x send none). "" if none. */
static const char *named_mcu(const cf_kp_usb_dev *d)
{
    if (strcmp(d->product, "stm32f042x6") == 0 || strcmp(d->product, "stm32g431xx") == 0)
        return d->product;
    return "";
}

/* Klipper falls back to ST's ROM DFU when it finds no Katapult (§3.4). */
static bool came_back_as_dfu(const char *syspath)
{
    char p[PATH_MAX], v[16] = "", d[16] = "";
    snprintf(p, sizeof(p), "%s/idVendor", syspath);
    FILE *f = fopen(p, "r");
    if (f) {
        if (!fgets(v, sizeof(v), f))
            v[0] = 0;
        fclose(f);
    }
    snprintf(p, sizeof(p), "%s/idProduct", syspath);
    f = fopen(p, "r");
    if (f) {
        if (!fgets(d, sizeof(d), f))
            d[0] = 0;
        fclose(f);
    }
    return strncmp(v, "0483", 4) == 0 && strncmp(d, "df11", 4) == 0;
}

/* A dry run stops here, after the checks that precede the bootloader request. */
static cf_code plan_only(const cf_kp_usb_dev *dev, const cf_image *img, const cf_flash_events *ev,
                         cf_kp_report *rep, cf_error *err)
{
    if (dev->app != CF_KP_APP_KLIPPER && dev->app != CF_KP_APP_KATAPULT)
        return cf_fail(err, CF_ERR_UNSUPPORTED, "%s is neither Klipper nor Katapult", dev->tty);
    cf_code rc = refuse_if_busy(dev->tty, err);
    if (rc)
        return rc;
    cf_flash_notice(ev, false, "%s runs %s (%04x:%04x %s %s, serial %s): %s", dev->tty,
                    cf_kp_app_name(dev->app), dev->vid, dev->pid, dev->manufacturer, dev->product,
                    dev->serial,
                    dev->app == CF_KP_APP_KLIPPER ? "a bootloader request would be sent"
                                                  : "already in Katapult");
    cf_kp_plan_image(img, CF_KP_PLAN_BLOCK, &rep->plan);
    rep->plan.request = dev->app == CF_KP_APP_KLIPPER;
    rep->plan.in_katapult = dev->app == CF_KP_APP_KATAPULT;
    return CF_OK;
}

/* Waits for the device on `syspath` to leave USB; false if it stays. */
static bool left_usb(const cf_kp_env *env, const char *syspath, unsigned wait_ms)
{
    uint64_t deadline = cf_now_ns() + (uint64_t)wait_ms * 1000000ull;
    for (;;) {
        cf_kp_usb_dev devs[16];
        size_t n = 0;
        bool there = false;
        cf_error tmp;
        cf_error_reset(&tmp);
        if (cf_kp_usb_list(env, devs, 16, &n, &tmp) == CF_OK)
            for (size_t i = 0; i < n; i++)
                there = there || strcmp(devs[i].syspath, syspath) == 0;
        if (!there)
            return true;
        if (cf_now_ns() >= deadline)
            return false;
        cf_sleep_ns(50000000);
    }
}

/* A deployer started: it installs its Katapult and enters it. On USB that
 * Katapult shows up on the same port; a CAN one leaves USB for the bus. */
static void after_deployer(const cf_kp_env *env, const cf_kp_usb_dev *dev,
                           const cf_image_info *info, unsigned wait, const cf_flash_events *ev,
                           cf_kp_report *rep)
{
    rep->installed_katapult = info->katapult_iface;
    if (info->katapult_iface == CF_IFACE_USB) {
        cf_flash_notice(ev, false, "waiting for the Katapult the deployer installs on port %s",
                        dev->port);
        cf_kp_usb_dev kp;
        rep->came_back = wait_for(env, dev->syspath, dev->serial, CF_KP_APP_KATAPULT, wait, &kp);
        if (rep->came_back)
            cf_flash_notice(ev, false,
                            "Katapult for USB is installed and waits on %s: flash the "
                            "USB application next",
                            kp.tty);
        else
            cf_flash_notice(ev, true, "Katapult was not seen on port %s within %.1f s", dev->port,
                            wait / 1000.0);
        return;
    }
    if (!cf_kp_uuid_from_serial(dev->serial, rep->can_uuid))
        rep->can_uuid[0] = '\0';
    bool left = left_usb(env, dev->syspath, wait);
    cf_flash_notice(ev, !left,
                    "the deployer installs Katapult for CAN and starts it: the probe %s USB and "
                    "waits in Katapult on the CAN bus%s%s",
                    left ? "left" : "should leave", rep->can_uuid[0] ? " as UUID " : "",
                    rep->can_uuid);
}

/* After COMPLETE: the probe back on the same port running the app, or what
 * a deployer made of it. */
static void after_complete(const cf_kp_env *env, const cf_kp_usb_dev *dev,
                           const cf_image_info *info, unsigned wait, const cf_flash_events *ev,
                           cf_kp_report *rep)
{
    if (info->kind == CF_KIND_DEPLOYER) {
        after_deployer(env, dev, info, wait, ev, rep);
        return;
    }
    cf_flash_notice(ev, false, "waiting for the probe to come back running its application");
    cf_kp_usb_dev app;
    rep->came_back = wait_for(env, dev->syspath, dev->serial, CF_KP_APP_KLIPPER, wait, &app);
    if (rep->came_back)
        cf_flash_notice(ev, false, "the probe is back: %s %04x:%04x %s %s", app.tty, app.vid,
                        app.pid, app.manufacturer, app.product);
    else
        cf_flash_notice(ev, true, "the probe did not come back on port %s within %.1f s", dev->port,
                        wait / 1000.0);
}

/* The probe runs Klipper: the 1200-baud touch, then Katapult on the same
 * port with the same chip, which becomes *dev. */
static cf_code enter_katapult(const cf_kp_env *env, cf_kp_usb_dev *dev, unsigned wait,
                              const cf_flash_events *ev, cf_kp_report *rep, cf_error *err)
{
    cf_code rc = refuse_if_busy(dev->tty, err);
    if (rc)
        return rc;
    cf_flash_notice(ev, false, "%s runs %s (%04x:%04x %s): asking it to enter Katapult", dev->tty,
                    dev->manufacturer, dev->vid, dev->pid, dev->serial);
    rc = cf_kp_serial_touch_1200(dev->tty, err);
    if (rc)
        return rc;
    rep->was_klipper = true;
    cf_kp_usb_dev kp;
    if (!wait_for(env, dev->syspath, dev->serial, CF_KP_APP_KATAPULT, wait, &kp)) {
        if (cf_kp_env_on_machine(env) && came_back_as_dfu(dev->syspath)) {
            cf_fail(err, CF_ERR_UNSUPPORTED,
                    "the probe came back on port %s as ST's DFU "
                    "bootloader (0483:df11), not as Katapult",
                    dev->port);
            cf_hint(err, "it has no Katapult: use `cartoflash flash dfu` with a combined "
                         "image");
            return CF_ERR_UNSUPPORTED;
        }
        cf_fail(err, CF_ERR_TIMEOUT, "Katapult did not appear on USB port %s within %.1f s",
                dev->port, wait / 1000.0);
        cf_hint(err, "the probe's Klipper may be too old to jump to Katapult, or Katapult is "
                     "missing: double-tap reset to enter it, or use DFU");
        return CF_ERR_TIMEOUT;
    }
    *dev = kp;
    snprintf(rep->device, sizeof(rep->device), "%s (%s)", dev->tty, dev->port);
    cf_flash_notice(ev, false, "Katapult appeared on %s (same port %s, same chip %s)", dev->tty,
                    dev->port, dev->serial);
    return CF_OK;
}

/* Opens the serial port; a port node may take a moment to become usable
 * after enumeration, so a missing or refusing one is tried for about 2 s. */
static cf_code open_port(const char *tty, cf_kp_stream **st, cf_error *err)
{
    cf_code rc = CF_OK;
    for (int i = 0; i < 40; i++) {
        cf_error tmp;
        cf_error_reset(&tmp);
        rc = cf_kp_serial_open(tty, st, &tmp);
        if (!rc)
            return CF_OK;
        if ((rc != CF_ERR_NOT_FOUND && rc != CF_ERR_IO && rc != CF_ERR_ACCESS) || i == 39) {
            *err = tmp;
            return rc;
        }
        cf_sleep_ns(50000000);
    }
    return rc;
}

/* Steps 3-5 and COMPLETE on Katapult's port, with the traffic counted. */
static cf_code flash_on_port(const cf_kp_usb_dev *dev, const cf_image *img,
                             const cf_image_info *info, const cf_kp_opts *opts,
                             const cf_flash_events *ev, cf_kp_report *rep, cf_error *err)
{
    cf_kp_stream *st = NULL;
    cf_code rc = open_port(dev->tty, &st, err);
    if (rc)
        return rc;
    uint64_t t1 = cf_now_ns();
    cf_kp_session ss;
    cf_kp_session_init(&ss, st, opts->timing);
    cf_kp_connect_info node;
    rc = cf_kp_connect(&ss, &node, err);
    if (rc)
        cf_hint(err, "Katapult on %s does not answer: unplug and replug the probe, then retry",
                dev->tty);
    else
        rc = cf_kp_run(&ss, &node, img, info, NULL, opts->force, ev, rep, err);
    rep->transfer_seconds = (double)(cf_now_ns() - t1) / 1e9;
    rep->frames_out = st->frames_out;
    rep->frames_in = st->frames_in;
    rep->bits_out = st->bits_out;
    rep->bits_in = st->bits_in;
    cf_kp_stream_close(st);
    return rc;
}

cf_code cf_kp_flash_usb(const cf_kp_env *env, const cf_image *img, const cf_kp_opts *opts,
                        const cf_flash_events *ev, cf_kp_report *rep, cf_error *err)
{
    uint64_t t0 = cf_kp_report_begin(rep);
    cf_image_info info;
    cf_code rc = cf_kp_check_image(img, CF_IFACE_USB, 0, opts->force, &info, err);
    if (rc)
        return rc;
    unsigned wait = cf_kp_wait_ms(opts);

    rep->failed_phase = CF_PHASE_CONNECT;
    cf_kp_usb_dev dev;
    rc = select_device(env, opts->device, wait, ev, &dev, err);
    if (rc)
        return rc;
    snprintf(rep->device, sizeof(rep->device), "%s (%s)", dev.tty, dev.port);
    rc =
        cf_kp_check_mcu(cf_image_target_mcu(&info), named_mcu(&dev), "its USB product string", err);
    if (rc)
        return rc;
    if (opts->dry_run)
        return plan_only(&dev, img, ev, rep, err);
    if (dev.app == CF_KP_APP_KLIPPER)
        rc = enter_katapult(env, &dev, wait, ev, rep, err);
    else if (dev.app != CF_KP_APP_KATAPULT)
        rc = cf_fail(err, CF_ERR_UNSUPPORTED, "%s is neither Klipper nor Katapult", dev.tty);
    if (!rc)
        rc = refuse_if_busy(dev.tty, err);
    if (rc)
        return rc;
    snprintf(rep->port, sizeof(rep->port), "%s", dev.port);
    snprintf(rep->serial, sizeof(rep->serial), "%s", dev.serial);

    rc = flash_on_port(&dev, img, &info, opts, ev, rep, err);
    /* a deployer's own wait is the flow's; the app's may be the caller's */
    if (!rc && (info.kind == CF_KIND_DEPLOYER || !opts->caller_waits))
        after_complete(env, &dev, &info, wait, ev, rep);
    rep->seconds = (double)(cf_now_ns() - t0) / 1e9;
    return rc;
}
