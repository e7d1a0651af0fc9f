/* The end of every flash in the CLI: look for the probe (klipper/cameback.h),
 * say what was seen, and give it to --json. */
#ifndef CF_CLI_BACK_H
#define CF_CLI_BACK_H

#include <jansson.h>
#include <stdio.h>

#include "klipper/cameback.h"

/* --back-wait SECONDS: parses into *ms (0 allowed: do not look). */
cf_code cf_cli_parse_back_wait(const char *text, unsigned *ms, bool *given, cf_error *err);

/* What a flash looks for: the image's link (a deployer leaves the probe in
 * Katapult, so nothing is looked for), the window (given or the transport's
 * default). */
void cf_cli_back_want(const cf_image *img, unsigned wait_ms, bool given, cf_cb_want *w);

/* Waits, then prints one line to out (stderr with --json): what came back and
 * what it runs, or what was not looked for and how to check. CF_ERR_NOT_SEEN
 * in err when it was looked for and not seen. */
cf_code cf_cli_came_back(FILE *out, cf_usb_backend *be, const cf_kp_env *env, const cf_cb_want *w,
                         cf_came_back *cb, cf_error *err);

/* The "came_back" object of the flash JSON. */
json_t *cf_cli_came_back_json(const cf_came_back *cb);

#endif
