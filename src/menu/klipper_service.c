/* Klipper around a flash. cartographer-klipper's firmware.py runs
 * `sudo service klipper restart` after every flash, printing or not. Here:
 * systemctl is asked with an argv vector (never a shell string, never sudo;
 * --no-ask-password so a missing permission is an error we can explain
 * instead of a password prompt inside the menu), and Moonraker on localhost is
 * asked whether a print is running. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/host.h"
#include "menu/menu.h"

menu_svc menu_klipper_state(const menu_ctx *ctx, char *detail, size_t size)
{
    cf_host host; /* the K1 has no systemd: look for the klippy process */
    cf_host_detect(&host, NULL);
    if (host.klipper_init[0]) {
        bool running = cf_host_klipper_running(&host);
        menu_copy(detail, size, running ? "klippy.py running" : "no klippy.py process");
        return running ? SVC_ACTIVE : SVC_INACTIVE;
    }
    const char *argv[] = {"systemctl", "is-active", ctx->set.klipper_service, NULL};
    char out[256];
    cf_error err;
    cf_error_reset(&err);
    int st = menu_run(argv, out, sizeof(out), true, &err);
    if (st < 0) {
        menu_copy(detail, size, err.message);
        return SVC_UNKNOWN;
    }
    out[strcspn(out, "\n")] = '\0';
    menu_copy(detail, size, out);
    if (st == 0 && strcmp(out, "active") == 0)
        return SVC_ACTIVE;
    /* is-active answers "inactive"/"failed"/"unknown" with status 3; anything
     * else (no systemd, no bus) means we cannot tell */
    if (strcmp(out, "inactive") == 0 || strcmp(out, "failed") == 0 || strcmp(out, "unknown") == 0 ||
        strcmp(out, "deactivating") == 0)
        return SVC_INACTIVE;
    return SVC_UNKNOWN;
}

static cf_code unit_action(const menu_ctx *ctx, const char *verb, cf_error *err)
{
    cf_host host; /* the K1 has no systemd: its init script runs Klipper */
    cf_host_detect(&host, NULL);
    if (host.klipper_init[0]) {
        char said[512];
        cf_code rc = cf_host_klipper_service(&host, verb, said, sizeof(said), err);
        if (rc == CF_OK)
            menu_log(false, "%s %s: done", host.klipper_init, verb);
        return rc;
    }
    const char *argv[] = {"systemctl", "--no-ask-password", verb, ctx->set.klipper_service, NULL};
    char out[512];
    int st = menu_run(argv, out, sizeof(out), true, err);
    if (st < 0)
        return err ? err->code : CF_ERR_IO;
    if (st != 0) {
        out[strcspn(out, "\n")] = '\0';
        cf_fail(err, CF_ERR_ACCESS, "systemctl %s %s failed: %s", verb, ctx->set.klipper_service,
                out[0] ? out : "no reason given");
        cf_hint(err, "Run it yourself in another terminal: sudo systemctl %s %s", verb,
                ctx->set.klipper_service);
        return CF_ERR_ACCESS;
    }
    menu_log(false, "systemctl %s %s: done", verb, ctx->set.klipper_service);
    return CF_OK;
}

cf_code menu_klipper_stop(const menu_ctx *ctx, cf_error *err)
{
    return unit_action(ctx, "stop", err);
}

cf_code menu_klipper_start(const menu_ctx *ctx, cf_error *err)
{
    return unit_action(ctx, "start", err);
}

bool menu_moonraker_busy(const char *state)
{
    return strcmp(state, "printing") == 0 || strcmp(state, "paused") == 0;
}

cf_code menu_moonraker_parse(const char *json, size_t len, char *state, size_t size, cf_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return cf_fail(err, CF_ERR_FORMAT, "Moonraker's reply is not JSON (line %d: %s)", jerr.line,
                       jerr.text);
    json_t *s = json_object_get(
        json_object_get(json_object_get(json_object_get(root, "result"), "status"), "print_stats"),
        "state");
    cf_code rc = CF_OK;
    if (!json_is_string(s) || json_string_length(s) == 0 || json_string_length(s) >= size)
        rc =
            cf_fail(err, CF_ERR_FORMAT, "Moonraker's reply has no result.status.print_stats.state");
    else
        menu_copy(state, size, json_string_value(s));
    json_decref(root);
    return rc;
}
