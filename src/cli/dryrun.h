/* --dry-run output of the flash commands: the plan the real run would follow,
 * as text on stdout or as the "plan" object of the JSON document. */
#ifndef CF_CLI_DRYRUN_H
#define CF_CLI_DRYRUN_H

#include <stdbool.h>

#include "flash/flash.h"

struct json_t;
struct cf_kp_report;

/* flash dfu: pages that change (in runs), erase method, bytes, backup name, leave. */
void cf_cli_print_dfu_plan(const cf_flash_report *rep);
struct json_t *cf_cli_dfu_plan_json(const cf_flash_report *rep);
void cf_cli_log_dfu_plan(const cf_flash_report *rep); /* one line in the debug log */

/* flash can|usb: the bootloader request, blocks and bytes, and what is not known yet. */
void cf_cli_print_kp_plan(bool can, const struct cf_kp_report *rep);
struct json_t *cf_cli_kp_plan_json(const struct cf_kp_report *rep);
void cf_cli_log_kp_plan(const struct cf_kp_report *rep);

#endif
