/* Host profile: where this printer host keeps Klipper's files and how its
 * Klipper service is stopped and started. Two kinds are known:
 *  - a Debian-style host (Raspberry Pi OS, Armbian, ...): systemd, and
 *    printer_data under the user's home;
 *  - the Creality K1 (buildroot, no systemd, no /dev/serial/by-id): Klipper
 *    runs from /etc/init.d/S55klipper_service, config and logs live under
 *    /usr/data/printer_data. Told by /etc/os-release ID=buildroot or by that
 *    init script being there.
 * USB serial devices are found through sysfs on both (katapult/usbprobe.c),
 * so only the sysfs root is given here.
 *
 * Tests point the whole profile at a fake root with the environment variable
 * CARTOFLASH_TEST_ROOT (a folder holding etc/, usr/data/, sys/ ...); nothing
 * else sets it. */
#ifndef CF_COMMON_HOST_H
#define CF_COMMON_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

typedef enum cf_host_kind {
    CF_HOST_DEBIAN = 0, /* systemd; ~/printer_data */
    CF_HOST_K1,         /* buildroot; /usr/data/printer_data; init script */
} cf_host_kind;

#define CF_HOST_PATH 512

typedef struct cf_host {
    cf_host_kind kind;
    char root[CF_HOST_PATH];         /* "" for the real root, else the test root */
    char printer_cfg[CF_HOST_PATH];  /* Klipper's printer.cfg */
    char klippy_log[CF_HOST_PATH];   /* Klipper's log */
    char klipper_init[CF_HOST_PATH]; /* K1: the init script; "" where systemd runs Klipper */
    char sysfs[CF_HOST_PATH];        /* "/sys" (under the test root in tests) */
} cf_host;

/* Fills *h for this machine. home is the user's home folder (NULL: $HOME); it
 * is only used on a Debian-style host. Never fails: unknown means Debian-style. */
void cf_host_detect(cf_host *h, const char *home);

/* The kind's name for messages: "Debian" or "Creality K1 (buildroot)". */
const char *cf_host_kind_name(cf_host_kind kind);

/* K1: whether a Klipper process runs: a /proc/<pid>/cmdline with an argument
 * ending in "klippy.py" (how the init script starts it, with the printer.cfg
 * path after it). Under the test root's proc/ in tests. */
bool cf_host_klipper_running(const cf_host *h);

/* K1: runs the Klipper init script with one argument, "stop" or "start"
 * (fork/exec with an argv vector, no shell), and waits for it. Output goes to
 * out (may be NULL) for the error message. Fails with CF_ERR_UNSUPPORTED on a
 * host without an init script (use systemctl there). */
cf_code cf_host_klipper_service(const cf_host *h, const char *verb, char *out, size_t out_size,
                                cf_error *err);

#endif
