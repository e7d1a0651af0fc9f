/* The Katapult part of `cartoflash list`: probes on USB (running Klipper or in
 * Katapult, found through sysfs) and on every CAN interface that is up (a
 * QUERY_UNASSIGNED), plus the UUIDs printer.cfg / klippy.log name. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/safe.h"
#include "cli/cli.h"
#include "common/host.h"
#include "front/simulate.h"
#include "katapult/katapult.h"

#define CAN_QUERY_MS 1000

static const char *mode_word(cf_kp_app app)
{
    return app == CF_KP_APP_KATAPULT  ? "katapult"
           : app == CF_KP_APP_KLIPPER ? "klipper"
                                      : "unknown";
}

static void list_usb(const cf_kp_env *env, json_t *json)
{
    cf_kp_usb_dev devs[16];
    size_t n = 0;
    cf_error err = {0};
    if (cf_kp_usb_list(env, devs, 16, &n, &err) != CF_OK)
        return;
    if (!n && !json)
        printf("No Klipper or Katapult USB probes found.\n");
    for (size_t i = 0; i < n; i++) {
        const cf_kp_usb_dev *d = &devs[i];
        if (json) {
            json_t *o = json_object();
            json_object_set_new(o, "transport", json_string("usb"));
            json_object_set_new(o, "mode", json_string(mode_word(d->app)));
            json_object_set_new(o, "tty", cf_front_json_text(d->tty));
            json_object_set_new(o, "port", cf_front_json_text(d->port));
            json_object_set_new(o, "syspath", cf_front_json_text(d->syspath));
            json_object_set_new(o, "usb_id", cf_cli_json_usb_id(d->vid, d->pid));
            json_object_set_new(o, "manufacturer", cf_front_json_text(d->manufacturer));
            json_object_set_new(o, "product", cf_front_json_text(d->product));
            json_object_set_new(o, "serial", cf_front_json_text(d->serial));
            json_object_set_new(o, "cartographer", json_boolean(d->cartographer));
            json_array_append_new(json, o);
        } else {
            /* A Klipper device that is not a Cartographer is another board (a
             * mainboard): flash usb never picks it without --device. */
            bool other = d->app == CF_KP_APP_KLIPPER && !d->cartographer;
            printf("USB %s %s (port %s): %04x:%04x %s %s, serial %s - %s\n",
                   other ? "device" : "probe", d->tty, d->port, d->vid, d->pid,
                   cf_safe(d->manufacturer), cf_safe(d->product), cf_safe(d->serial),
                   d->app == CF_KP_APP_KATAPULT ? "in Katapult"
                   : d->cartographer            ? "running Cartographer (Klipper)"
                                                : "running Klipper, not a Cartographer (flash usb "
                                                  "leaves it alone unless named with --device)");
        }
    }
}

static void list_can(const cf_kp_env *env, const char *ifname, json_t *json)
{
    cf_error err = {0};
    cf_kp_canlink link;
    if (cf_kp_can_bus_info(env, ifname, &link, &err) != CF_OK || !link.up) {
        if (!json)
            printf("CAN %s: down or unreadable, not queried\n", ifname);
        return;
    }
    cf_kp_found_uuid found[32];
    size_t n = 0;
    cf_error_reset(&err);
    cf_code rc = cf_kp_can_query_env(env, ifname, CAN_QUERY_MS, found, 32, &n, &err);
    if (!json) {
        if (link.has_bitrate)
            printf("CAN %s: %u bit/s%s%s\n", ifname, (unsigned)link.bitrate,
                   link.has_state ? ", " : "",
                   link.has_state ? cf_kp_can_state_name(link.state) : "");
        else
            printf("CAN %s: %s interface, no bitrate\n", ifname,
                   link.kind[0] ? link.kind : "unknown");
        if (rc != CF_OK)
            printf("  query failed: %s\n", cf_safe(err.message));
        for (size_t i = 0; i < n; i++)
            printf("  canbus_uuid %s - %s\n", found[i].uuid,
                   found[i].app == CF_KP_APP_KATAPULT  ? "in Katapult"
                   : found[i].app == CF_KP_APP_KLIPPER ? "running Klipper"
                                                       : "unknown application");
        if (!n)
            printf("  no unassigned node answered.\n");
        printf("  Note: %s\n", cf_front_can_claimed_note);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "transport", json_string("can"));
        json_object_set_new(o, "mode", json_string(mode_word(found[i].app)));
        json_object_set_new(o, "interface", json_string(ifname));
        json_object_set_new(o, "uuid", json_string(found[i].uuid));
        json_object_set_new(o, "bitrate",
                            link.has_bitrate ? json_integer(link.bitrate) : json_null());
        json_array_append_new(json, o);
    }
}

/* UUIDs and serial paths the Klipper configuration names (hardware only). */
static void list_config(json_t *json)
{
    cf_host host;
    cf_host_detect(&host, NULL); /* ~/printer_data, or /usr/data/printer_data on a K1 */
    const char *cfg = host.printer_cfg, *log = host.klippy_log;
    if (!cfg[0])
        return;
    cf_kp_cfg_entry e[32];
    size_t n = 0;
    cf_error err = {0};
    for (int which = 0; which < 2; which++) {
        cf_error_reset(&err);
        cf_code rc = which == 0 ? cf_kp_config_scan_file(cfg, e, 32, &n, &err)
                                : cf_kp_klippy_log_scan_file(log, e, 32, &n, &err);
        if (rc)
            continue;
        for (size_t i = 0; i < n; i++) {
            if (json) {
                json_t *o = json_object();
                json_object_set_new(o, "transport", json_string(e[i].can ? "can" : "usb"));
                json_object_set_new(o, "mode", json_string("configured"));
                json_object_set_new(o, e[i].can ? "uuid" : "serial",
                                    cf_front_json_text(e[i].value));
                json_object_set_new(o, "section", cf_front_json_text(e[i].section));
                json_object_set_new(o, "source", cf_front_json_text(e[i].source));
                json_array_append_new(json, o);
            } else {
                printf("Configured %s %s in [%s] (%s)\n", e[i].can ? "canbus_uuid" : "serial",
                       cf_safe(e[i].value), e[i].section[0] ? cf_safe(e[i].section) : "?",
                       cf_safe(e[i].source));
            }
        }
    }
}

void cf_list_katapult(const cf_front *cli, struct json_t *json)
{
    cf_kp_transport *sim = NULL;
    if (cli->simulate) {
        if (!cf_front_sim_is_katapult(cli->simulate))
            return; /* simulating DFU: no Katapult hardware to show */
        cf_error err = {0};
        if (cf_front_sim_katapult(cli->simulate, &sim, &err) != CF_OK) {
            fprintf(stderr, "cartoflash: %s\n", cf_safe(err.message));
            return;
        }
    }
    cf_kp_env env = {.transport = sim};
    if (sim) {
        bool can = strncmp(cli->simulate, "katapult-can", 12) == 0;
        if (can)
            list_can(&env, "can0", json);
        bool mainboard = cf_front_sim_has_mainboard(sim);
        if (!can || mainboard) {
            /* Let the emulated devices enumerate, as plugged-in ones have: the
             * node when it is on USB, and the mainboard when there is one. */
            size_t want = (can ? 0u : 1u) + (mainboard ? 1u : 0u);
            cf_kp_usb_dev d[2];
            size_t n = 0;
            cf_error err = {0};
            for (int i = 0; i < 100 && n < want; i++) {
                cf_kp_usb_list(&env, d, 2, &n, &err);
                if (n < want) {
                    struct timespec ts = {0, 10000000};
                    nanosleep(&ts, NULL);
                }
            }
            list_usb(&env, json);
        }
        cf_kp_transport_free(sim);
        return;
    }
    list_usb(&env, json);
    char names[8][32];
    size_t n = cf_kp_env_can_interfaces(&env, names, 8);
    if (!n && !json)
        printf("No CAN interfaces.\n");
    for (size_t i = 0; i < n; i++)
        list_can(&env, names[i], json);
    list_config(json);
}
