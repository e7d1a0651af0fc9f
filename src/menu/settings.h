/* Settings of the interactive flasher, kept in $XDG_CONFIG_HOME/cartoflash/config.
 *
 * The file is data, never code: one "key = value" per line, '#' starts a
 * comment line, a value may be wrapped in double quotes (cartographer-klipper's
 * firmware.py writes its firmware.cfg as KEY = "value"). Every value is
 * checked against what its key allows. Unknown keys and malformed lines are
 * skipped, so one bad line never loses the rest; the first problem is reported
 * (with its line number) as CF_ERR_FORMAT after the whole text has been
 * applied.
 */
#ifndef CF_MENU_SETTINGS_H
#define CF_MENU_SETTINGS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

typedef struct menu_settings {
    char branch[64];             /* firmware branch: master, beta, develop or a custom name */
    bool all_firmware;           /* list every firmware, not only what matches the probe */
    bool debug;                  /* debugging: verbose log and details on screen */
    bool kseries;                /* Creality K-series firmware */
    bool katapult_type;          /* Katapult bootloader (deployer) images */
    bool high_temp;              /* high-temperature probe firmware (HT folders) */
    char firmware_dir[PATH_MAX]; /* extra folder with firmware; "" = none */
    char klipper_dir[PATH_MAX];
    char katapult_dir[PATH_MAX];
    char klippy_log[PATH_MAX];
    char klipper_service[128]; /* systemd unit checked around a flash */
    char moonraker_url[256];   /* base URL of Moonraker */
    char can_interface[32];
} menu_settings;

/* Defaults; paths below $HOME. */
void menu_settings_default(menu_settings *s);

/* Applies `text` (not necessarily NUL-terminated) on top of *s. */
cf_code menu_settings_parse(const char *text, size_t len, menu_settings *s, cf_error *err);

/* Loads the file if it exists (a missing file is not an error). */
cf_code menu_settings_load(const char *path, menu_settings *s, cf_error *err);

/* Writes every setting (atomically); creates the folder. */
cf_code menu_settings_save(const char *path, const menu_settings *s, cf_error *err);

/* The file text for *s; returns the length (snprintf semantics). */
size_t menu_settings_format(const menu_settings *s, char *out, size_t size);

/* Sets one key from text, with the same checks as the parser. */
cf_code menu_settings_set(menu_settings *s, const char *key, const char *value, cf_error *err);

#endif
