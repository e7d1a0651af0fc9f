/* Emulated Cartographer probe as seen through Katapult: one core for every host
 * (in-process --simulate, a pty, vcan, a USB serial gadget).
 *
 * The core does no I/O and keeps no clock of its own: every call takes the
 * current time in nanoseconds, so tests can drive it deterministically.
 *
 * Modes:
 *  - "running Klipper": on CAN it answers QUERY_UNASSIGNED (0x3F0: 00) with
 *    app byte 0x01 unless a klippy has claimed it, and obeys REQUEST_BOOTLOADER
 *    (02 uuid); on USB it enumerates as the Cartographer app (1d50:614e) and
 *    obeys the 1200-baud touch (line rate 1200 with DTR low).
 *  - "in Katapult": the bootloader (Katapult src/command.c, src/flashcmd.c,
 *    src/generic/canserial.c): frame parser
 *    with one NACK per error burst, CONNECT / SEND_BLOCK / SEND_EOF /
 *    REQUEST_BLOCK / COMPLETE / GET_CANBUS_ID, STM32 page rules of
 *    Katapult src/stm32/flash.c.
 *    COMPLETE starts the app when its vector table is present, else the node
 *    stays in Katapult, as the real bootloader does. An app that is a
 *    Katapult deployer installs the Katapult it embeds (first 8 KiB of the
 *    flash) and enters it, on that Katapult's link (CAN or USB); so does a
 *    node created on a flash file that holds a deployer (a later run).
 *  - Mode changes take boot_ms, during which the node is silent (on USB the
 *    device is gone, then re-enumerates with a new identity).
 *
 * Parser choice: after a framing error the real node searches for the next
 * 0x01 starting at the bad frame itself, which wedges it forever when that
 * frame starts with 0x01 (command_find_block in Katapult src/command.c). By
 * default the emulator searches from the next byte (so lost-frame faults are
 * recoverable); `wedge=on` reproduces the real behaviour.
 */
#ifndef CF_KATAPULT_NODE_H
#define CF_KATAPULT_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/usbid.h"

typedef enum cf_kpn_chip { CF_KPN_F042 = 0, CF_KPN_G431 = 1 } cf_kpn_chip;
typedef enum cf_kpn_link { CF_KPN_CAN = 0, CF_KPN_USB = 1 } cf_kpn_link;

typedef enum cf_kpn_mode {
    CF_KPN_GONE = 0, /* not on the bus (not yet appeared, rebooting, disconnected) */
    CF_KPN_KLIPPER,  /* running the Cartographer (Klipper) application */
    CF_KPN_KATAPULT  /* in the bootloader */
} cf_kpn_mode;

typedef enum cf_kpn_fault {
    CF_KPN_FAULT_NONE = 0,
    CF_KPN_FAULT_LOST,       /* part of the Nth SEND_BLOCK never reaches the node */
    CF_KPN_FAULT_NACK,       /* the Nth SEND_BLOCK is answered with NACK, not stored */
    CF_KPN_FAULT_BUSY,       /* the Nth SEND_BLOCK is answered with BUSY, not stored */
    CF_KPN_FAULT_DISCONNECT, /* the node drops off the bus at the Nth SEND_BLOCK */
    CF_KPN_FAULT_READBACK    /* the Nth SEND_BLOCK is stored with one bit cleared (ACKed) */
} cf_kpn_fault;

typedef struct cf_kpn_config {
    cf_kpn_link link;
    cf_kpn_chip chip;
    const char *flash_path; /* backing file holding the whole flash; NULL = memory only */
    cf_kpn_fault fault;
    unsigned fault_at;   /* N, counting from 1 */
    unsigned appear_ms;  /* silent this long after creation */
    unsigned boot_ms;    /* duration of a reboot into the other mode */
    bool start_katapult; /* start in Katapult instead of running Klipper */
    bool claimed;        /* Klipper mode: a running klippy owns the node (no query answer) */
    bool wedge;          /* reproduce the real parser's wedge (see above) */
    bool timing;         /* model flash erase/program time (reported by cf_kpn_busy_ns) */
    uint32_t bitrate;    /* CAN bitrate the node was built for (bus model), default 1000000 */
    uint8_t uid[12];     /* chip unique ID: USB serial and CAN UUID derive from it */
    /* Not the node: the in-process host (kp_sim.c) also puts a printer mainboard
     * running Klipper on USB (1d50:614e, "Klipper", "stm32f446xx"), which
     * records whatever it receives and answers nothing ("mainboard=usb"). */
    bool mainboard_usb;
    /* noapp: the application COMPLETE starts never enumerates or answers
     * (a dead app, a broken cable): the flash's "not seen" path. */
    bool noapp;
    char flash_path_buf[512]; /* storage for flash_path when parsed from a SPEC */
    /* app=PATH: an application image written into the flash at creation, as
     * if it had been flashed before (the firmware the probe runs at start). */
    const char *app_path;
    char app_path_buf[512];
    /* record=PATH: the in-process host writes the node's statistics there
     * when it stops (what the node was asked, for CLI tests). */
    const char *record_path;
    char record_path_buf[512];
} cf_kpn_config;

void cf_kpn_config_default(cf_kpn_config *cfg);

/* Parses "katapult-can" / "katapult-usb" followed by comma-separated options:
 * ":f042" / ":g431" chip suffix on the first word, flash=PATH, fault=KIND@N
 * (KIND: lost, nack, busy, disconnect, readback), appear=SECONDS, boot=MS,
 * mode=klipper|katapult, claimed, wedge=on, timing=off, bitrate=N, uid=HEX24,
 * app=PATH, record=PATH, mainboard=usb, noapp.
 *
 * In "running Klipper" mode the node also speaks Klipper's MCU protocol as far
 * as identify (klipper/klipper.h): on USB over its serial port, on CAN once a
 * host gave it a node id with SET_KLIPPER_NODEID. It answers with the data
 * dictionary of the application in its flash at 0x08002000, so after a flash
 * it reports the new firmware; with no dictionary there it does not answer. */
cf_code cf_kpn_parse_spec(const char *spec, cf_kpn_config *cfg, cf_error *err);

typedef struct cf_kpn cf_kpn;

cf_code cf_kpn_new(const cf_kpn_config *cfg, uint64_t now_ns, cf_kpn **out, cf_error *err);
void cf_kpn_free(cf_kpn *node);

/* Advances delayed events (reboots) to now. Every entry point calls it. */
void cf_kpn_tick(cf_kpn *node, uint64_t now_ns);
cf_kpn_mode cf_kpn_get_mode(cf_kpn *node, uint64_t now_ns);
/* Increments each time the node re-enumerates/reboots (USB hosts recreate the port). */
unsigned cf_kpn_generation(const cf_kpn *node);

/* CAN: one received classic frame (standard id). */
void cf_kpn_can_rx(cf_kpn *node, uint64_t now_ns, uint32_t id, const uint8_t *data, uint8_t dlc);
/* CAN: pops the next frame the node transmits. */
bool cf_kpn_can_tx(cf_kpn *node, uint64_t now_ns, uint32_t *id, uint8_t *data, uint8_t *dlc);

/* USB serial: bytes from the host, and bytes to the host. */
void cf_kpn_stream_rx(cf_kpn *node, uint64_t now_ns, const uint8_t *data, size_t len);
size_t cf_kpn_stream_tx(cf_kpn *node, uint64_t now_ns, uint8_t *buf, size_t cap);
/* USB serial: CDC SET_LINE_CODING / SET_CONTROL_LINE_STATE as seen by the device. */
void cf_kpn_line_state(cf_kpn *node, uint64_t now_ns, uint32_t baud, bool dtr);

/* USB identity in the current mode (what sysfs would show). */
typedef cf_usb_identity cf_kpn_usb_id;
void cf_kpn_usb_identity(const cf_kpn *node, cf_kpn_usb_id *id);

/* CAN UUID as 12 lower-case hex digits, and raw. */
const char *cf_kpn_uuid_hex(const cf_kpn *node);
const uint8_t *cf_kpn_uuid(const cf_kpn *node);
const char *cf_kpn_mcu(const cf_kpn *node); /* "stm32f042x6", "stm32g431xx" */
/* The link the node talks on now: a deployer it starts may change it (a CAN
 * Katapult installed from USB leaves USB for the CAN bus). */
cf_kpn_link cf_kpn_get_link(const cf_kpn *node);

/* Modelled flash busy time accumulated by the last handled command (and reset). */
uint64_t cf_kpn_take_busy_ns(cf_kpn *node);

/* Whole flash, for tests. */
const uint8_t *cf_kpn_flash(const cf_kpn *node, uint32_t *base, size_t *size);

typedef struct cf_kpn_stats {
    unsigned connects, blocks_written, blocks_read, eofs, completes, nacks_sent, errors_sent;
    unsigned pages_erased, bootloader_requests, app_starts;
    unsigned identifies;    /* Klipper identify commands answered */
    unsigned deployer_runs; /* a deployer started and installed its Katapult */
} cf_kpn_stats;
void cf_kpn_get_stats(const cf_kpn *node, cf_kpn_stats *st);

#endif
