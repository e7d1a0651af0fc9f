/* Flashing a Cartographer probe through Katapult, over CAN or USB, natively.
 *
 * This is the API the CLI (cmd_flash_katapult.c, cmd_list_katapult.c) and the
 * menus call. Layers never print: progress and notices go through
 * cf_flash_events (flash/flash.h), failures through cf_error.
 *
 * cf_kp_flash_can() / cf_kp_flash_usb() order (never reordered):
 *   1. image gates (no device touched): an app or deployer image for
 *      0x08002000 only — never a combined or bare Katapult image; interface
 *      (CAN app for CAN, USB app for USB; a deployer may install either, that
 *      is its purpose) and, on CAN, an app's CANBUS_FREQUENCY against the
 *      interface's bitrate read through netlink; the image fits the flash of
 *      the MCU it is for (a deployer's: the chip its Katapult is built for);
 *   2. find exactly one device (USB: by sysfs; a second candidate is refused,
 *      never guessed); an MCU it names on USB (Katapult's product string, a
 *      6.x app's) must be the image's; only then, if it runs Klipper, ask it
 *      to enter Katapult (CAN: REQUEST_BOOTLOADER by UUID; USB: the 1200-baud
 *      touch, then wait for Katapult on the same physical port with the same
 *      chip serial). Front ends ask the running app its MCU with Klipper's
 *      identify (klipper/reach.h) before calling these;
 *   3. CONNECT; gates on its answer: MCU equals the image's MCU, application
 *      start equals the image's address, block size valid, image fits; CAN:
 *      GET_CANBUS_ID equals the requested UUID;
 *   4. SEND_BLOCK every block, SEND_EOF;
 *   5. REQUEST_BLOCK every block and compare byte for byte;
 *   6. only then COMPLETE, and wait for the probe to come back running the app
 *      (a deployer: waiting in the Katapult it installed, when that is on
 *      the same link; else the report names the link and CAN UUID).
 * Any failure in 3-5 stops at once without COMPLETE: the probe stays in
 * Katapult, and running the same flash again is the fix.
 *
 * With opts->dry_run the flow runs 1 and, of 2, everything before the
 * bootloader request (USB: the device is found, identified and checked to be
 * free), fills rep->plan and stops: nothing is sent to the probe. The block
 * size is Katapult's answer to CONNECT, which comes only after the request, so
 * the plan counts blocks of CF_KP_PLAN_BLOCK bytes and says so.
 */
#ifndef CF_KATAPULT_KATAPULT_H
#define CF_KATAPULT_KATAPULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "flash/flash.h"
#include "image/image.h"
#include "katapult/can.h"
#include "katapult/canlink.h"
#include "katapult/proto.h"
#include "katapult/session.h"
#include "katapult/transport.h"

/* Where the layer talks: the buses of a transport (katapult/transport.h);
 * NULL is this machine's (SocketCAN, netlink, sysfs). */
typedef struct cf_kp_env {
    cf_kp_transport *transport;
    const char *sysfs_root; /* NULL = "/sys"; tests use a fake tree */
} cf_kp_env;

/* The transport env talks through (this machine's when env or its transport is NULL). */
cf_kp_transport *cf_kp_env_transport(const cf_kp_env *env);
/* True when env's buses are this machine's, so its files, processes and
 * /dev/serial names describe them (false: buses inside this process, which
 * also answer at once). */
bool cf_kp_env_on_machine(const cf_kp_env *env);
/* Whether a probe may be found on `link` (CF_IFACE_CAN or CF_IFACE_USB) there. */
bool cf_kp_env_probe_may_be_on(const cf_kp_env *env, cf_iface link);
/* The CAN interfaces env has (at most cap names); returns their count. */
size_t cf_kp_env_can_interfaces(const cf_kp_env *env, char names[][CF_KP_IFNAME_MAX], size_t cap);

typedef enum cf_kp_app {
    CF_KP_APP_UNKNOWN = 0,
    CF_KP_APP_KLIPPER, /* the Cartographer (Klipper) application */
    CF_KP_APP_KATAPULT
} cf_kp_app;

const char *cf_kp_app_name(cf_kp_app app); /* "Klipper", "Katapult", "unknown" */

/* ---- discovery ---- */

typedef struct cf_kp_usb_dev {
    char syspath[256]; /* the USB device in sysfs = the physical port */
    char port[32];     /* "1-1.3" */
    char tty[64];      /* "/dev/ttyACM0" */
    uint16_t vid, pid;
    char manufacturer[64];
    char product[64];
    char serial[64];
    cf_kp_app app;
    bool cartographer; /* the app identifies as a Cartographer probe */
} cf_kp_usb_dev;

/* Katapult- and Klipper-mode USB devices now attached (sysfs, no /dev/serial/by-id needed). */
cf_code cf_kp_usb_list(const cf_kp_env *env, cf_kp_usb_dev *devs, size_t cap, size_t *count,
                       cf_error *err);
/* Whether a device identifies as a Cartographer probe: the Cartographer app by
 * its USB strings or /dev/serial/by-id name, or Katapult on a probe's MCU.
 * Without an explicit --device only such a device is chosen or sent anything. */
bool cf_kp_usb_is_probe(const cf_kp_env *env, const cf_kp_usb_dev *d);
/* Same scan on an explicit sysfs root (exposed for tests). */
cf_code cf_kp_sysfs_scan(const char *sysfs_root, cf_kp_usb_dev *devs, size_t cap, size_t *count,
                         cf_error *err);

typedef struct cf_kp_found_uuid {
    char uuid[13];    /* 12 lower-case hex digits */
    cf_kp_app app;    /* from a CAN query; UNKNOWN for file sources */
    char source[256]; /* "CAN query on can0", "/home/pi/printer_data/config/printer.cfg:42", ... */
    char section[64]; /* "mcu scanner" etc. for file sources */
} cf_kp_found_uuid;

/* Asks every unassigned node on ifname for its UUID (Klipper and Katapult). */
cf_code cf_kp_can_query_env(const cf_kp_env *env, const char *ifname, unsigned wait_ms,
                            cf_kp_found_uuid *out, size_t cap, size_t *count, cf_error *err);

typedef struct cf_kp_cfg_entry {
    bool can;        /* canbus_uuid (true) or serial (false) */
    char value[192]; /* the UUID, or the serial device path */
    char section[64];
    char source[256]; /* "FILE:LINE" */
} cf_kp_cfg_entry;

/* printer.cfg and its [include]s: [mcu scanner], [mcu cartographer], [scanner],
 * [cartographer] sections with canbus_uuid / serial. */
cf_code cf_kp_config_scan_file(const char *printer_cfg, cf_kp_cfg_entry *out, size_t cap,
                               size_t *count, cf_error *err);
/* True when printer.cfg (with its [include]s) or klippy.log (either may be
 * NULL or missing) assigns canbus_uuid `uuid` to a section that is not the
 * probe's, e.g. [mcu] (the mainboard) or [mcu toolhead]; *owner is that entry
 * (section, "FILE:LINE"). */
bool cf_kp_uuid_foreign_owner(const char *printer_cfg, const char *klippy_log, const char *uuid,
                              cf_kp_cfg_entry *owner);
/* CF_ERR_GATE, naming the section and file, when any ~/printer_data* instance
 * under home (printer.cfg or klippy.log) assigns uuid to a section that is not
 * the probe's; CF_OK otherwise (also when nothing can be read). */
cf_code cf_kp_refuse_foreign_uuid(const char *home, const char *uuid, cf_error *err);
/* Same on text (no includes followed); for tests and fuzzing. */
void cf_kp_config_scan_text(const char *text, size_t len, const char *name, cf_kp_cfg_entry *out,
                            size_t cap, size_t *count);
/* klippy.log: the config dumps it contains, plus any "canbus_uuid" mention. */
cf_code cf_kp_klippy_log_scan_file(const char *path, cf_kp_cfg_entry *out, size_t cap,
                                   size_t *count, cf_error *err);
void cf_kp_klippy_log_scan_text(const char *text, size_t len, const char *name,
                                cf_kp_cfg_entry *out, size_t cap, size_t *count);

/* A bus handle on ifname, through env's transport (SocketCAN on this machine). */
cf_code cf_kp_env_can_open(const cf_kp_env *env, const char *ifname, cf_kp_can **out,
                           cf_error *err);

/* Bus state and bitrate of a CAN interface (through netlink on this machine). */
cf_code cf_kp_can_bus_info(const cf_kp_env *env, const char *ifname, cf_kp_canlink *out,
                           cf_error *err);

/* ---- flashing ---- */

typedef struct cf_kp_opts {
    const char *interface; /* CAN interface; NULL = "can0" */
    const char *uuid;      /* CAN: required, 12 hex digits */
    const char *device; /* USB: /dev/tty*, a by-id link, a sysfs path or a port "1-1.3"; NULL = the
                           only one */
    uint32_t bitrate;   /* CAN: the bus bitrate to assume when the interface reports none (vcan) */
    bool force; /* override the MCU-unknown and interface-mismatch gates (never combined images) */
    unsigned wait_ms; /* wait for the bootloader / the app to come back; 0 = 10000 */
    /* The caller looks for the app after COMPLETE itself (klipper/cameback.h
     * matches it and asks it what it runs): the flow returns right away. */
    bool caller_waits;
    const cf_kp_timing *timing; /* NULL = flashtool's timeouts and tries */
    bool dry_run;               /* plan only: stop before the bootloader request */
} cf_kp_opts;

/* Stock Katapult takes at most 128 bytes per command, so 64 is the block size
 * it reports; the dry run counts in it. */
#define CF_KP_PLAN_BLOCK 64u

/* What a flash would write, known before the bootloader request. */
typedef struct cf_kp_plan {
    bool planned;
    bool request;          /* a bootloader request would be sent (CAN: always; USB: Klipper runs) */
    bool in_katapult;      /* USB: the probe already runs Katapult */
    uint32_t address;      /* the first block's */
    uint32_t block_size;   /* what blocks and bytes are counted in */
    bool block_size_known; /* false: CF_KP_PLAN_BLOCK, not yet the probe's own answer */
    size_t blocks;
    size_t bytes; /* blocks * block_size: the image padded with 0xFF */
} cf_kp_plan;

typedef struct cf_kp_report {
    cf_flash_phase failed_phase;
    uint32_t failed_address;
    bool was_klipper; /* the probe was running Klipper and was sent to Katapult */
    bool completed;   /* COMPLETE acknowledged (the app was started) */
    bool came_back;   /* the probe was seen running the app afterwards (a deployer: seen
                         waiting in the Katapult it installed) */
    /* A deployer was flashed: the link of the Katapult it installed and
     * started (UNKNOWN otherwise), and, for CAN, the UUID the probe answers
     * with there (derived from its chip serial, as Katapult and Klipper do). */
    cf_iface installed_katapult;
    char can_uuid[13];
    cf_kp_connect_info node;
    char device[160]; /* "/dev/ttyACM0 (1-1.3)" or "can0 uuid 0123456789ab" */
    char port[32];    /* USB: the port the probe was on ("1-1.3") */
    char serial[64];  /* USB: the chip serial it showed there */
    size_t blocks;
    size_t bytes_written, bytes_verified;
    uint32_t pages; /* SEND_EOF's page count */
    /* Traffic from CONNECT's answer to COMPLETE's (CAN: frames and bits on the
     * wire incl. stuffing; USB: writes/reads and bytes*10). */
    unsigned long frames_out, frames_in;
    unsigned long long bits_out, bits_in;
    unsigned retries;
    uint32_t bus_bitrate;    /* 0 if unknown */
    double seconds;          /* whole operation */
    double transfer_seconds; /* CONNECT's answer to COMPLETE's answer */
    cf_kp_plan plan;         /* dry run */
} cf_kp_report;

/* The CAN UUID a chip gets from its unique ID (as Katapult and Klipper
 * derive it), which its USB serial spells in hex; false when the serial is
 * not 24 hex digits. */
bool cf_kp_uuid_from_serial(const char *serial, char out[13]);

/* CF_ERR_GATE naming both when the image is for another MCU than the probe
 * (`how` says how the probe's MCU was learnt); OK when either is unknown. */
cf_code cf_kp_check_mcu(const char *image_mcu, const char *probe_mcu, const char *how,
                        cf_error *err);

/* Image gates only (no device): for menus filtering lists and for the flows. */
cf_code cf_kp_check_image(const cf_image *img, cf_iface via, uint32_t bus_bitrate, bool force,
                          cf_image_info *info, cf_error *err);

/* The blocks img takes at block_size bytes each (the last one padded). */
void cf_kp_plan_image(const cf_image *img, uint32_t block_size, cf_kp_plan *plan);

cf_code cf_kp_flash_can(const cf_kp_env *env, const cf_image *img, const cf_kp_opts *opts,
                        const cf_flash_events *ev, cf_kp_report *rep, cf_error *err);
cf_code cf_kp_flash_usb(const cf_kp_env *env, const cf_image *img, const cf_kp_opts *opts,
                        const cf_flash_events *ev, cf_kp_report *rep, cf_error *err);

#endif
