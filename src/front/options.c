#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "front/options.h"

/* The value an option returns is its short letter where it has one (-d, -y,
 * -h, ...) and the letter its commands switch on otherwise; two names share a
 * letter only where no command takes both. */
static const struct option every_option[] = {
    {"address", required_argument, NULL, 'a'},
    {"all", no_argument, NULL, 'a'},
    {"back-wait", required_argument, NULL, 'B'},
    {"backup-dir", required_argument, NULL, 'b'},
    {"bitrate", required_argument, NULL, CF_OPT_BITRATE},
    {"branch", required_argument, NULL, 'b'},
    {"debug", no_argument, NULL, 'D'},
    {"device", required_argument, NULL, 'd'},
    {"download", no_argument, NULL, CF_OPT_DOWNLOAD},
    {"dry-run", no_argument, NULL, 'D'},
    {"erase", required_argument, NULL, 'e'},
    {"firmware", required_argument, NULL, CF_OPT_FIRMWARE},
    {"firmware-dir", required_argument, NULL, CF_OPT_FIRMWARE_DIR},
    {"firmware-interface", required_argument, NULL, 'F'},
    {"flash", required_argument, NULL, 'f'},
    {"force", no_argument, NULL, 'f'},
    {"full", no_argument, NULL, 'F'},
    {"help", no_argument, NULL, 'h'},
    {"high-temp", no_argument, NULL, 'H'},
    {"interface", required_argument, NULL, 'i'},
    {"json", no_argument, NULL, 'j'},
    {"kseries", no_argument, NULL, 'k'},
    {"lite", no_argument, NULL, CF_OPT_LITE},
    {"mass-erase", no_argument, NULL, 'm'},
    {"max-download", required_argument, NULL, CF_OPT_MAX_DOWNLOAD},
    {"mcu", required_argument, NULL, CF_OPT_MCU},
    {"mode", required_argument, NULL, CF_OPT_MODE},
    {"moonraker-key", required_argument, NULL, CF_OPT_MOONRAKER_KEY},
    {"no-color", no_argument, NULL, CF_OPT_NO_COLOR},
    {"no-leave", no_argument, NULL, 'n'},
    {"offline", no_argument, NULL, 'o'},
    {"restart", no_argument, NULL, 'R'},
    {"simulate", optional_argument, NULL, CF_OPT_SIMULATE},
    {"source", required_argument, NULL, 's'},
    {"stop-after", required_argument, NULL, 'S'},
    {"timeout", required_argument, NULL, 't'},
    {"to", required_argument, NULL, 't'},
    {"type", no_argument, NULL, 't'},
    {"uuid", required_argument, NULL, 'u'},
    {"version", required_argument, NULL, 'V'},
    {"wait", required_argument, NULL, 'w'},
    {"yes", no_argument, NULL, 'y'},
};

static const struct option *find_option(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(every_option) / sizeof(every_option[0]); i++)
        if (strlen(every_option[i].name) == len && strncmp(every_option[i].name, name, len) == 0)
            return &every_option[i];
    return NULL;
}

void cf_front_longopts(const char *names, struct option *out, unsigned cap)
{
    unsigned n = 0;
    for (const char *p = names + strspn(names, " "); *p; p += strspn(p, " ")) {
        size_t len = strcspn(p, " ");
        const struct option *o = find_option(p, len);
        if (!o || n + 1 >= cap)
            abort();
        out[n++] = *o;
        p += len;
    }
    out[n] = (struct option){0};
}

int cf_front_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
                    cf_front_take_fn take, void *user, int go_on)
{
    /* glibc: 0 re-initialises the scan, so a '+' or ':' leading shortopts counts */
    optind = 0;
    for (int c; (c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1;) {
        int status = take(user, c);
        if (status != go_on)
            return status;
    }
    return go_on;
}
