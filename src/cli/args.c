#include "common/safe.h"
#include "cli/args.h"
#include "cli/back.h"
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

cf_code cf_parse_address(const char *text, uint32_t *out, cf_error *err)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno || end == text || *end != '\0' || v > 0xFFFFFFFFull || text[0] == '-')
        return cf_fail(err, CF_ERR_USAGE, "'%s' is not an address (expected e.g. 0x08002000)",
                       text);
    *out = (uint32_t)v;
    return CF_OK;
}

cf_code cf_parse_seconds(const char *text, uint64_t *ms, cf_error *err)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !(v >= 0.0) || v > 86400.0 || isnan(v))
        return cf_fail(err, CF_ERR_USAGE, "'%s' is not a number of seconds", text);
    *ms = (uint64_t)llround(v * 1000.0);
    return CF_OK;
}

void cf_cli_print_firmware(const char *file, const cf_image *img)
{
    cf_image_info info;
    cf_image_inspect(img, &info);
    const char *mcu = cf_image_target_mcu(&info);
    printf("Firmware: %s\n          %s, %s, %s", cf_safe(file),
           info.version[0] ? cf_safe(info.version) : "no version",
           mcu[0] ? cf_safe(mcu) : "unknown MCU", cf_image_kind_name(info.kind));
    const char *kp_link = cf_iface_name(info.katapult_iface);
    if (info.kind == CF_KIND_DEPLOYER)
        printf(" installing Katapult for %s", kp_link ? kp_link : "an unknown link");
    else if (info.iface == CF_IFACE_CAN && info.can_bitrate)
        printf(", CAN %u bit/s", info.can_bitrate);
    else if (info.iface == CF_IFACE_CAN)
        printf(", CAN");
    else if (info.iface == CF_IFACE_USB)
        printf(", USB");
    printf(", %zu bytes at 0x%08x\n", cf_image_size(img), cf_image_start(img));
}

static bool confirm_on(FILE *out)
{
    fputs("Flash this firmware? [y/N] ", out);
    fflush(out);
    char line[16];
    if (!fgets(line, sizeof(line), stdin))
        return false;
    return line[0] == 'y' || line[0] == 'Y';
}

bool cf_cli_confirm(void)
{
    return confirm_on(stdout);
}

cf_code cf_cli_ask(bool yes, bool json, cf_error *err)
{
    if (yes)
        return CF_OK;
    if (!isatty(STDIN_FILENO)) {
        cf_fail(err, CF_ERR_USAGE,
                "not flashing without confirmation: there is no terminal to ask on");
        cf_hint(err, "Add --yes to flash without being asked (scripts, CI, ssh without a tty).");
        return CF_ERR_USAGE;
    }
    if (!confirm_on(json ? stderr : stdout))
        return cf_fail(err, CF_ERR_CANCELLED, "cancelled; nothing was changed");
    return CF_OK;
}

bool cf_cli_take_catalog_option(int c, const char *arg, cf_catalog_opts *o)
{
    if (c == 's')
        o->source = arg;
    else if (c == 'b')
        o->branch = arg;
    else if (c == 'o')
        o->offline = true;
    return c == 's' || c == 'b' || c == 'o';
}

int cf_cli_usage_exit(const char *usage, bool asked)
{
    fputs(usage, asked ? stdout : stderr);
    return asked ? 0 : 64;
}

int cf_cli_take_flash_option(const cf_front *cli, int c, const char *usage, cf_cli_flash_flags *f,
                             cf_error *err)
{
    switch (c) {
    case 'f':
        *f->force = true;
        return -1;
    case 'y':
        f->yes = true;
        return -1;
    case 'B':
        if (cf_cli_parse_back_wait(optarg, &f->back_wait_ms, &f->back_wait_given, err))
            return cf_front_report_error(cli, err);
        return -1;
    case 'j':
        return -1; /* taken before parsing (cf_cli_wants_json) */
    case 'D':
        *f->dry_run = true;
        return -1;
    default:
        return cf_cli_help_or_usage_error(cli, c, usage);
    }
}
