/* The option loop both front ends run: getopt_long() over a command's argv,
 * each option handed in turn to the command's own "take" function, which
 * knows what the option means. */
#ifndef CF_FRONT_OPTIONS_H
#define CF_FRONT_OPTIONS_H

struct option;

/* The values getopt_long() returns for the long options that have no letter
 * of their own (past 255, so never a short option's). */
enum {
    CF_OPT_BITRATE = 256,
    CF_OPT_FIRMWARE,
    CF_OPT_FIRMWARE_DIR,
    CF_OPT_MODE,
    CF_OPT_MCU,
    CF_OPT_LITE,
    CF_OPT_DOWNLOAD,
    CF_OPT_MAX_DOWNLOAD,
    CF_OPT_MOONRAKER_KEY,
    CF_OPT_SIMULATE,
    CF_OPT_NO_COLOR,
};

/* Fills out (room for cap entries, the zero entry that ends it included) with
 * the long options named in names, space-separated, in that order. Every long
 * option of the commands and of the menu's flags is spelled once, in
 * options.c, so an option means the same everywhere it is taken; a name it
 * does not know, or too little room, is a programming error (abort). */
void cf_front_longopts(const char *names, struct option *out, unsigned cap);

/* Applies option c, as getopt_long() returned it (its value in optarg). */
typedef int (*cf_front_take_fn)(void *user, int c);

/* Parses argv afresh from argv[1] and hands each option to take. Returns
 * go_on when take returned go_on for every option, else the first other value
 * it returned. optind is left at the first argument that is not an option. */
int cf_front_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
                    cf_front_take_fn take, void *user, int go_on);

#endif
