/* The interactive flasher: the session and the pages, the internal contract
 * of src/menu/ on top of its terminal and engine (menu/engine.h). The public
 * entry point is cf_menu_main() in menu/menu_main.h.
 *
 * Shape: a page is a function that draws one screen, asks one question and
 * returns the page to show next. menu_main.c runs them in a loop
 * (page = pages[page](ctx)) so "Back" really returns instead of nesting calls
 * like cartographer-klipper's scripts/firmware.py does. A numbered menu is
 * plain data (menu_engine.c).
 */
#ifndef CF_MENU_MENU_H
#define CF_MENU_MENU_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "front/front.h"
#include "common/error.h"
#include "flash/flash.h"
#include "image/image.h"
#include "klipper/cameback.h"
#include "menu/engine.h"
#include "menu/settings.h"
#include "usb/usb.h"

/* ---- pages ---- */
typedef enum menu_page {
    PAGE_MAIN = 0,
    PAGE_DFU,
    PAGE_DFU_DEVICE,
    PAGE_DFU_FIRMWARE,
    PAGE_DFU_CONFIRM,
    PAGE_DFU_KLIPPER,
    PAGE_DFU_FLASH,
    PAGE_DFU_SUCCESS,
    PAGE_DFU_FAILED,
    PAGE_KATAPULT_CAN,
    PAGE_KATAPULT_USB,
    PAGE_KP_DEVICE,
    PAGE_KP_FIRMWARE,
    PAGE_KP_CONFIRM,
    PAGE_KP_FLASH,
    PAGE_KP_RESULT,
    PAGE_PREREQ,
    PAGE_DIRS,
    PAGE_MODE,
    PAGE_BRANCH,
    PAGE_UPDATE,    /* "Update Cartographer (automatic)" (page_update.c) */
    PAGE_SWITCH,    /* "Switch USB <-> CAN" (page_switch.c) */
    PAGE_EXIT,      /* "0. Exit": leave with status 0 */
    PAGE_INTERRUPT, /* Ctrl-C or end of input: leave with status 130 */
    PAGE_COUNT
} menu_page;

typedef enum menu_flash_mode { MODE_NONE = 0, MODE_CAN, MODE_USB, MODE_DFU } menu_flash_mode;
const char *menu_mode_name(menu_flash_mode m); /* "CAN", "USB", "DFU", "" */

/* A firmware file found for the DFU list (fw_source.c). */
typedef struct menu_fw {
    char label[256]; /* "<version dir>/<file>" as firmware.py shows it */
    char path[PATH_MAX];
    cf_image_info info;
    bool loadable; /* cf_image_load succeeded */
    bool usable;   /* may be flashed over DFU to the selected device */
    char why[256]; /* reason it is refused, when !usable */
    char tag[48];  /* the reason in a few words for the list ("K-series image"), or "" */
    char fix[160]; /* the setting that would allow it, or "" */
} menu_fw;

/* The session. One per run of cf_menu_main(). */
typedef struct menu_ctx {
    const cf_front *cli;
    menu_settings set;     /* settings in effect: the file + this run's flags */
    menu_settings persist; /* what the settings file holds (flags are not saved) */
    char notice[1400];     /* shown once under the next header (settings problems) */
    char config_path[PATH_MAX];
    bool advanced;
    menu_flash_mode mode;

    /* DFU selection */
    char device[64];        /* selector handed to cf_flash_dfu ("0483:df11" or a bus path) */
    char device_label[128]; /* what the screens show */
    char device_port[32];   /* where the DFU device was found, and the serial it showed, */
    char device_serial[64]; /* so the firmware it starts can be matched to it */
    char device_chip[32];   /* "stm32f042x6" when known */
    /* For a CAN build: the nodes that answered on the CAN interface before the
     * flash, so the one that answers after it can be told apart (cameback.h). */
    char can_before[CF_CB_MAX_BEFORE][13];
    size_t can_before_count;
    bool have_firmware;
    menu_fw fw;

    /* flags of firmware.py that ask for a shortcut */
    const char *flag_firmware; /* --firmware FILE */
    bool confirm_first;        /* -f dfu -d X with a firmware: start at the confirm screen */

    cf_usb_backend *be; /* opened on first use (menu_backend()) */

    /* Katapult selection (page_katapult.c); kp_via is MODE_CAN or MODE_USB */
    menu_flash_mode kp_via;
    char kp_device[192]; /* CAN: UUID; USB: port or tty */
    char kp_label[256];
    bool kp_have_fw;
    menu_fw kp_fw;
    uint32_t kp_bitrate;
    struct cf_kp_transport *kp_sim; /* --simulate=katapult-...: the emulated node */
    bool kp_ok;                     /* the last Katapult flash succeeded */
    char kp_result[1536];           /* the outcome, and after a deployer the next steps */
    cf_flash_phase kp_failed_phase;

    /* the automatic update: what the user answered when the flow asked
     * (page_update.c); cleared once it has run */
    char up_choice[64]; /* the probe: a UUID (up_choice_can) or a USB port / DFU bus path */
    bool up_choice_can;
    cf_iface up_iface; /* a DFU probe with empty flash: the new firmware's link */
    uint32_t up_bitrate;

    /* where the Klipper question leads (DFU or Katapult flash, and back) */
    menu_page flash_page, back_page;

    /* Klipper around a flash (klipper_service.c) */
    bool klipper_stopped_by_us;
    bool klipper_was_running;

    /* the last flash, for the success/failure pages */
    cf_error flash_err;
    cf_flash_report flash_rep;
    bool flash_is_usb_image;
} menu_ctx;

typedef menu_page (*menu_page_fn)(menu_ctx *ctx);

/* ---- the pages (one per file, page_*.c; the table is in menu_main.c) ---- */
menu_page page_main(menu_ctx *ctx);
menu_page page_dfu(menu_ctx *ctx);
menu_page page_dfu_device(menu_ctx *ctx);
menu_page page_dfu_firmware(menu_ctx *ctx);
menu_page page_dfu_confirm(menu_ctx *ctx);
menu_page page_dfu_klipper(menu_ctx *ctx);
menu_page page_dfu_flash(menu_ctx *ctx);
menu_page page_dfu_success(menu_ctx *ctx);
menu_page page_dfu_failed(menu_ctx *ctx);
menu_page page_katapult_can(menu_ctx *ctx);
menu_page page_katapult_usb(menu_ctx *ctx);
menu_page page_kp_device(menu_ctx *ctx);
menu_page page_kp_firmware(menu_ctx *ctx);
menu_page page_kp_confirm(menu_ctx *ctx);
menu_page page_kp_flash(menu_ctx *ctx);
menu_page page_kp_result(menu_ctx *ctx);
menu_page page_prereq(menu_ctx *ctx);
menu_page page_dirs(menu_ctx *ctx);
menu_page page_mode(menu_ctx *ctx);
menu_page page_branch(menu_ctx *ctx);
menu_page page_update(menu_ctx *ctx);
menu_page page_switch(menu_ctx *ctx);

/* ---- what the pages share (never a page file: no page depends on another) ---- */

/* klipper_question.c: before a flash from `page`, a running Klipper gets
 * page_dfu_klipper's question (stop it, keep it, back); true to go on (also when none runs). */
bool menu_klipper_let_go(menu_ctx *ctx, menu_page page);
/* After a flash that stopped Klipper: start it again, say how that went. */
menu_page menu_klipper_start_page(menu_ctx *ctx);
/* Starts Klipper again, says how that went and waits for a key: false when
 * that wait was interrupted. */
bool menu_klipper_restart(menu_ctx *ctx);
/* The "What next?" end of an update or a switch (`flow` names it): a note and
 * an entry to start Klipper again when it was stopped for it, back to the main
 * menu, and, with again_label, that entry going to again_page. */
menu_page menu_klipper_what_next(menu_ctx *ctx, const char *flow, const char *again_label,
                                 menu_page again_page);

/* dfu_wait.c: waits up to timeout_s for a DFU-mode device matching selector
 * with a visible countdown that any key stops. CF_ERR_CANCELLED when stopped. */
cf_code menu_wait_dfu(menu_ctx *ctx, const char *selector, unsigned timeout_s,
                      cf_usb_dfu_info *found, cf_error *err);

/* Only a Cartographer chip is offered (a device whose strings cannot be read
 * yet is offered too: the flash itself refuses it if it is not a probe). */
bool menu_dfu_offerable(const cf_usb_dfu_info *d);

/* session.c: where a chosen action leads when the page has nothing to do for
 * it: the page an item carries (MENU_ACT_GO), PAGE_EXIT for "0. Exit",
 * PAGE_INTERRUPT for Ctrl-C or end of input (and anything else). */
menu_page menu_next_page(int action);

/* session.c: opens the USB backend on first use; reports failures on screen. */
cf_usb_backend *menu_backend(menu_ctx *ctx);

/* toggles.c: the toggles of the main menu in advanced mode */
typedef enum menu_toggle {
    TOGGLE_ALL = 0,
    TOGGLE_DEBUG,
    TOGGLE_KSERIES,
    TOGGLE_KATAPULT,
    TOGGLE_HIGH_TEMP,
    TOGGLE_COUNT
} menu_toggle;
const char *menu_toggle_name(menu_toggle t); /* "Show All Firmware", ... */
bool menu_toggle_state(const menu_ctx *ctx, menu_toggle t);
void menu_toggle_setting(menu_ctx *ctx, menu_toggle t); /* flips it and saves */
/* Saves ctx->persist; on failure keeps the message in ctx->notice. */
bool menu_save_settings(menu_ctx *ctx);

/* klipper_service.c: Klipper's systemd unit and Moonraker's print state */
typedef enum menu_svc { SVC_UNKNOWN = 0, SVC_ACTIVE, SVC_INACTIVE } menu_svc;
/* `systemctl is-active <unit>`; detail gets systemctl's answer or why it is unknown. */
menu_svc menu_klipper_state(const menu_ctx *ctx, char *detail, size_t size);
cf_code menu_klipper_stop(const menu_ctx *ctx, cf_error *err);
cf_code menu_klipper_start(const menu_ctx *ctx, cf_error *err);
/* GET <moonraker>/printer/objects/query?print_stats; state = "printing", ... */
cf_code menu_moonraker_state(const menu_ctx *ctx, char *state, size_t size, cf_error *err);
/* The reply parser (fuzzed): result.status.print_stats.state. */
cf_code menu_moonraker_parse(const char *json, size_t len, char *state, size_t size, cf_error *err);
/* A state during which the printer must not lose Klipper. */
bool menu_moonraker_busy(const char *state);

/* system_check.c: what Install Prerequisites looks at */
#define MENU_UDEV_RULES_PATH "/etc/udev/rules.d/70-cartoflash.rules"
const char *menu_udev_rules_text(void);
/* Is there a rule for vid:pid in the udev rules folders? fills where (file). */
bool menu_udev_has_rule(uint16_t vid, uint16_t pid, char *where, size_t size);
bool menu_in_group(const char *group, bool *group_exists);
typedef struct menu_canlink {
    bool present;
    bool up;
    char operstate[16];
    char can_state[24]; /* "ERROR-ACTIVE", "BUS-OFF", ... */
    uint32_t bitrate;
    unsigned txqlen;
} menu_canlink;
/* Reads the link through rtnetlink (katapult/canlink.h); present is false,
 * with CF_OK, when there is no such interface. */
cf_code menu_canlink_query(const char *iface, menu_canlink *out, cf_error *err);

/* probe_line.c: the main screen's "Probe:" lines (what `cartoflash status`
 * says). */
void menu_probe_lines(menu_ctx *ctx);
struct cf_kp_env;
struct cf_kp_opts;
/* Before the Katapult flash: what the probe runs (or why that is unknown) in
 * what, refusing (CF_ERR_GATE in err) firmware for another chip than the probe
 * runs; *same when it already runs img's build (nothing to do). */
cf_code menu_kp_precheck(const struct cf_kp_env *env, bool can, const struct cf_kp_opts *o,
                         const cf_image *img, char *what, size_t size, bool *same, cf_error *err);

/* kp_session.c: what the Katapult pages share */
bool menu_kp_via_can(const menu_ctx *ctx);         /* flashing over CAN (else USB) */
const char *menu_kp_via_name(const menu_ctx *ctx); /* "CAN" or "USB" */
struct cf_kp_env;
/* Hardware, or the emulated node under --simulate=katapult-...; false (with
 * a message) when the simulation is of something else, so that a simulated
 * session never touches the real bus. */
bool menu_kp_env(menu_ctx *ctx, struct cf_kp_env *env);
menu_page menu_kp_back_page(const menu_ctx *ctx); /* Katapult - CAN or Katapult - USB */
void menu_kp_close(menu_ctx *ctx);                /* frees the emulated Katapult node */

/* usb_runtime.c: probes seen in run-time mode (Klipper 1d50:614e, Katapult
 * 1d50:6177), from sysfs (real hardware) or, under --simulate, from what the
 * simulated probe runs after leave (cf_usb_list_runtime); plus the backend's
 * DFU run-time entries. */
typedef struct menu_runtime {
    uint16_t vid, pid;
    char path[32];
    char product[64];
    const char *what; /* "Cartographer/Klipper firmware", "Katapult bootloader", "DFU run-time" */
} menu_runtime;
/* with_backend: also list the backend's DFU interfaces (opens devices: not
 * from inside a backend wait). */
size_t menu_runtime_scan(menu_ctx *ctx, menu_runtime *out, size_t cap, bool with_backend);
/* One sentence for a probe seen in run-time mode and what to do about it. */
void menu_runtime_advice(const menu_runtime *r, char *out, size_t size);

/* ---- fw_source.c: firmware for the DFU list, from the catalogue ---- */
/* sources gets lines saying where the firmware came from (and catalogue notes). */
typedef struct menu_fw_want {
    bool katapult;    /* app images flashed through Katapult, else combined images for DFU */
    cf_iface iface;   /* Katapult: CAN or USB */
    uint32_t bitrate; /* Katapult over CAN: the bus bitrate, 0 if unknown */
} menu_fw_want;
cf_code menu_fw_find(const menu_ctx *ctx, const menu_fw_want *want, menu_fw **list, size_t *count,
                     char *sources, size_t sources_size, cf_error *err);
/* Loads and judges one file (also used for --firmware FILE). */
void menu_fw_examine(const menu_ctx *ctx, const menu_fw_want *want, const char *path,
                     const char *label, menu_fw *out);
/* Short description: "CARTOGRAPHER 5.0.0, USB, stm32f042x6". */
void menu_fw_describe(const menu_fw *fw, char *out, size_t size);
/* The list line of an image shown as menu item `number`: "<label>  (<description>)",
 * refused ones with " [refused: <tag>]". When that does not fit the page
 * (MENU_WIDTH), the description leaves out the MCU if it is `chip` (the page
 * names it), then a refused line drops its description (choosing it tells all). */
void menu_fw_item(const menu_fw *fw, int number, const char *chip, char *out, size_t size);
/* Says why a refused image was refused (and the setting that allows it). */
void menu_fw_explain_refusal(const menu_fw *fw, const char *via);

/* ---- header.c: the top of every screen ---- */
void scr_header(const menu_ctx *ctx); /* clear + logo + title + mode line */
/* The mode line text ("BRANCH: MASTER | ALL FIRMWARE | ..."), for tests and the header. */
void scr_mode_line(const menu_ctx *ctx, char *out, size_t size);

#endif
