/* cartoflash firmware list|pick: the firmware catalogue on the command line.
 *
 *   cartoflash firmware list [--source DIR|FILE|URL] [--branch B]
 *       [--mode dfu|katapult|deployer] [--mcu stm32f042x6|stm32g431xx]
 *       [--interface can|usb] [--bitrate N] [--high-temp] [--kseries] [--lite]
 *       [--all] [--json] [--offline] [--download] [--max-download BYTES]
 *   cartoflash firmware pick ...   (same filters; prints the chosen file's path)
 *
 * Everything but the list itself (sources, warnings, download progress)
 * goes to stderr so that stdout stays machine-readable. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/safe.h"
#include "catalog/catalog.h"
#include "cli/cli.h"
#include "front/options.h"

typedef struct fw_args {
    cf_catalog_opts opts;
    cf_catalog_filter filter;
    bool json;
} fw_args;

static void usage(FILE *out)
{
    fputs("usage: cartoflash firmware list|pick [options]\n"
          "  --source DIR|FILE|URL   where firmware comes from (default: local clones\n"
          "                          ~/cartographer-klipper, ~/cartographer_firmware, else a\n"
          "                          download of the Cartographer repositories, cached)\n"
          "  --branch B              branch to download (master, beta, develop, custom, ...)\n"
          "  --offline               never download: local trees or the cache only\n"
          "  --download              download even when local clones exist\n"
          "  --max-download BYTES    refuse larger downloads (default 64 MiB)\n"
          "  --mode dfu|katapult|deployer\n"
          "                          dfu: combined images (Katapult + app) for DFU;\n"
          "                          katapult: app images for 0x08002000; deployer: deployers\n"
          "  --mcu stm32f042x6|stm32g431xx   probe chip (v2/v3 or v4/HT)\n"
          "  --interface can|usb     --bitrate N (CAN bit/s; never guessed)\n"
          "  --high-temp --kseries --lite    these variants are listed only when asked\n"
          "  --all                   also list excluded files, each with the reason\n"
          "  --json                  machine-readable output\n",
          out);
}

static int usage_error(const cf_front *cli, const char *fmt, const char *arg)
{
    cf_error err;
    cf_error_reset(&err);
    cf_fail(&err, CF_ERR_USAGE, fmt, arg);
    cf_hint(&err, "see `cartoflash firmware --help`");
    return cf_front_report_error(cli, &err);
}

/* Download progress on stderr: a bar on a terminal, a line per quarter
 * otherwise (logs and scripts). */
typedef struct progress_state {
    bool tty;
    bool drawn; /* a bar line is open on the terminal */
    int last;
} progress_state;

static bool on_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    progress_state *p = ctx;
    (void)what;
    int pct = total ? (int)(done * 100 / total) : -1;
    if (!p->tty) {
        int quarter = pct / 25;
        if (total && done && quarter > p->last) {
            p->last = quarter;
            fprintf(stderr, "downloading: %d%% (%llu of %llu KiB)\n", quarter * 25,
                    (unsigned long long)(done / 1024), (unsigned long long)(total / 1024));
        }
        return true;
    }
    int key = total ? pct : (int)(done >> 16);
    if (key == p->last)
        return true;
    p->last = key;
    p->drawn = true;
    if (total) {
        char bar[31];
        int fill = pct * 30 / 100;
        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\rdownloading [%s] %3d%% %llu/%llu KiB", bar, pct,
                (unsigned long long)(done / 1024), (unsigned long long)(total / 1024));
    } else {
        fprintf(stderr, "\rdownloading %llu KiB", (unsigned long long)(done / 1024));
    }
    fflush(stderr);
    return true;
}

static bool parse_bitrate(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v == 0 || v > 10000000ul)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* What an option is applied with: the command line and its arguments. */
typedef struct fw_parse {
    const cf_front *cli;
    char **argv;
    fw_args *a;
} fw_parse;

/* Applies one option getopt_long() returned; -1 to go on, else the exit status. */
static int take_option(void *user, int c)
{
    const cf_front *cli = ((fw_parse *)user)->cli;
    fw_args *a = ((fw_parse *)user)->a;
    switch (c) {
    case 's':
    case CF_OPT_FIRMWARE_DIR:
        a->opts.source = optarg;
        break;
    case 'b':
        a->opts.branch = optarg;
        a->opts.download = true; /* a branch is a download's */
        break;
    case CF_OPT_MODE:
        if (!cf_catalog_mode_parse(optarg, &a->filter.mode))
            return usage_error(cli, "unknown mode \"%s\" (dfu, katapult or deployer)", optarg);
        break;
    case CF_OPT_MCU:
        if (strcmp(optarg, "stm32f042x6") != 0 && strcmp(optarg, "stm32g431xx") != 0)
            return usage_error(cli, "unknown MCU \"%s\" (stm32f042x6 or stm32g431xx)", optarg);
        a->filter.mcu = optarg;
        break;
    case 'i':
        if (strcmp(optarg, "can") == 0)
            a->filter.iface = CF_IFACE_CAN;
        else if (strcmp(optarg, "usb") == 0)
            a->filter.iface = CF_IFACE_USB;
        else
            return usage_error(cli, "unknown interface \"%s\" (can or usb)", optarg);
        break;
    case CF_OPT_BITRATE:
        if (!parse_bitrate(optarg, &a->filter.bitrate))
            return usage_error(cli, "\"%s\" is not a CAN bitrate in bit/s", optarg);
        break;
    case 'H':
        a->filter.high_temp = true;
        break;
    case 'k':
        a->filter.kseries = true;
        break;
    case CF_OPT_LITE:
        a->filter.lite = true;
        break;
    case 'a':
        a->filter.all = true;
        break;
    case 'j':
        a->json = true;
        break;
    case 'o':
        a->opts.offline = true;
        break;
    case CF_OPT_DOWNLOAD:
        a->opts.download = true;
        break;
    case CF_OPT_MAX_DOWNLOAD: {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(optarg, &end, 10);
        if (errno || end == optarg || *end || optarg[0] == '-' || v == 0)
            return usage_error(cli, "\"%s\" is not a size in bytes", optarg);
        a->opts.max_download = v;
        break;
    }
    case 'h':
        usage(stdout);
        return 0;
    default:
        return usage_error(cli, "unknown option \"%s\"", ((fw_parse *)user)->argv[optind - 1]);
    }
    return -1;
}

/* Returns -1 when parsing succeeded, else the exit status. */
static int parse_args(const cf_front *cli, int argc, char **argv, fw_args *a)
{
    opterr = 0;
    fw_parse p = {cli, argv, a};
    struct option longopts[20];
    cf_front_longopts("source firmware-dir branch mode mcu interface bitrate high-temp kseries "
                      "lite all json offline download max-download help",
                      longopts, 20);
    int status = cf_front_getopt(argc, argv, "+h", longopts, take_option, &p, -1);
    if (status >= 0)
        return status;
    if (optind < argc)
        return usage_error(cli, "unexpected argument \"%s\"", argv[optind]);
    if (a->filter.bitrate && a->filter.iface == CF_IFACE_USB)
        return usage_error(cli, "%s", "--bitrate is for CAN images; USB has none");
    return -1;
}

static void print_sources(const cf_catalog *cat)
{
    size_t n = cf_catalog_root_count(cat);
    for (size_t i = 0; i < n; i++) {
        const cf_catalog_root *r = cf_catalog_root_at(cat, i);
        if (n > 1)
            fprintf(stderr, "source %zu: %s\n", i, cf_safe(r->label));
        else
            fprintf(stderr, "source: %s\n", cf_safe(r->label));
        if (r->note[0] && !r->stale)
            fprintf(stderr, "  (%s)\n", cf_safe(r->note));
    }
    const char *w = cf_catalog_warnings(cat);
    if (w[0]) {
        /* warnings quote file names from the tree: one per line, each filtered */
        size_t size = strlen(w) * 4 + 1;
        char *safe = malloc(size);
        fprintf(stderr, "warning: %s\n",
                safe ? cf_safe_text_buf(safe, size, w) : "(out of memory)");
        free(safe);
    }
}

/* The entry's source as an index into the "sources" array (0-based), or -1. */
static long root_index(const cf_catalog *cat, const cf_catalog_root *r)
{
    for (size_t i = 0; i < cf_catalog_root_count(cat); i++)
        if (cf_catalog_root_at(cat, i) == r)
            return (long)i;
    return -1;
}

static json_t *notes_json(const char *notes)
{
    json_t *arr = json_array();
    const char *p = notes;
    while (*p) {
        const char *sep = strstr(p, "; ");
        size_t len = sep ? (size_t)(sep - p) : strlen(p);
        json_t *j = json_stringn(p, len);
        if (!j) { /* not UTF-8: escaped */
            char part[1024];
            snprintf(part, sizeof(part), "%.*s", (int)(len < sizeof(part) ? len : sizeof(part) - 1),
                     p);
            j = cf_front_json_text(part);
        }
        json_array_append_new(arr, j);
        p += len;
        if (sep)
            p += 2;
    }
    return arr;
}

static json_t *entry_json(const cf_catalog *cat, const cf_catalog_entry *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "path", cf_front_json_text(e->rel_path));
    json_object_set_new(o, "abs_path", cf_front_json_text(e->abs_path));
    long src = root_index(cat, e->root);
    json_object_set_new(o, "source", src >= 0 ? json_integer(src) : json_null());
    json_object_set_new(o, "version", cf_front_json_text(e->version));
    if (e->has_semver) {
        char v[48];
        snprintf(v, sizeof(v), "%d.%d.%d", e->semver[0], e->semver[1], e->semver[2]);
        json_object_set_new(o, "semver", json_string(v));
    } else {
        json_object_set_new(o, "semver", json_null());
    }
    json_object_set_new(o, "mcu", e->mcu[0] ? cf_front_json_text(e->mcu) : json_null());
    const char *iface = cf_iface_name(e->iface);
    json_object_set_new(o, "interface", iface ? json_string(iface) : json_null());
    json_object_set_new(o, "bitrate",
                        e->iface == CF_IFACE_CAN && e->bitrate ? json_integer(e->bitrate)
                                                               : json_null());
    json_object_set_new(o, "kind", json_string(cf_image_kind_name(e->kind)));
    json_object_set_new(o, "sha256", json_string(e->sha256));
    json_object_set_new(o, "size", json_integer((json_int_t)e->size));
    json_object_set_new(o, "lite", json_boolean(e->lite));
    json_object_set_new(o, "kseries", json_boolean(e->kseries));
    json_object_set_new(o, "high_temp", json_boolean(e->high_temp));
    json_t *hints = json_array();
    if (e->from_hint & CF_HINT_MCU)
        json_array_append_new(hints, json_string("mcu"));
    if (e->from_hint & CF_HINT_IFACE)
        json_array_append_new(hints, json_string("interface"));
    if (e->from_hint & CF_HINT_BITRATE)
        json_array_append_new(hints, json_string("bitrate"));
    json_object_set_new(o, "from_hint", hints);
    json_object_set_new(o, "excluded", json_boolean(e->excluded));
    json_object_set_new(o, "reason", e->excluded ? cf_front_json_text(e->reason) : json_null());
    json_object_set_new(o, "notes", notes_json(e->notes));
    return o;
}

static json_t *sources_json(const cf_catalog *cat)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < cf_catalog_root_count(cat); i++) {
        const cf_catalog_root *r = cf_catalog_root_at(cat, i);
        json_t *o = json_object();
        json_object_set_new(o, "label", cf_front_json_text(r->label));
        json_object_set_new(o, "dir", cf_front_json_text(r->dir));
        json_object_set_new(o, "from_cache", json_boolean(r->from_cache));
        json_object_set_new(o, "stale", json_boolean(r->stale));
        json_object_set_new(o, "note", cf_front_json_text(r->note));
        json_array_append_new(arr, o);
    }
    return arr;
}

static void print_json(json_t *root)
{
    cf_front_json_print(root);
}

static void bitrate_text(const cf_catalog_entry *e, char *buf, size_t size)
{
    if (e->iface == CF_IFACE_CAN && e->bitrate)
        snprintf(buf, size, "%u%s", e->bitrate, e->from_hint & CF_HINT_BITRATE ? "*" : "");
    else
        snprintf(buf, size, "-");
}

static void print_table(const cf_catalog *cat, const cf_catalog_entry *v, size_t n, bool all)
{
    bool multi = cf_catalog_root_count(cat) > 1;
    bool any_hint = false;
    printf("%s%-28s %-12s %-5s %-8s %-9s %-64s %s\n", multi ? "SRC " : "", "VERSION", "MCU",
           "IFACE", "BITRATE", "KIND", "SHA256", "PATH");
    for (size_t i = 0; i < n; i++) {
        const cf_catalog_entry *e = &v[i];
        char rate[24], iface[8];
        bitrate_text(e, rate, sizeof(rate));
        snprintf(iface, sizeof(iface), "%s%s",
                 cf_iface_name(e->iface) ? cf_iface_name(e->iface) : "?",
                 e->from_hint & CF_HINT_IFACE ? "*" : "");
        any_hint |= e->from_hint != 0;
        if (multi)
            printf("%-3ld ", root_index(cat, e->root));
        printf("%-28s %-12s %-5s %-8s %-9s %-64s %s\n", e->version[0] ? cf_safe(e->version) : "-",
               e->mcu[0] ? cf_safe(e->mcu) : "?", iface, rate, cf_image_kind_name(e->kind),
               e->sha256, cf_safe(e->rel_path));
        if (e->excluded)
            printf("    excluded: %s\n", cf_safe(e->reason));
        if (e->notes[0] && (!e->excluded || all))
            printf("    note: %s\n", cf_safe(e->notes));
    }
    if (any_hint)
        fputs("(* taken from the file name or manifest: the image itself does not say)\n", stdout);
}

static int do_list(const cf_front *cli, cf_catalog *cat, const fw_args *a)
{
    cf_catalog_entry *v;
    size_t n;
    cf_error err;
    cf_error_reset(&err);
    if (cf_catalog_list(cat, &a->filter, &v, &n, &err) != CF_OK)
        return cf_front_report_error(cli, &err);
    if (a->json) {
        json_t *root = cf_cli_json_root("firmware list");
        json_object_set_new(root, "sources", sources_json(cat));
        json_object_set_new(root, "warnings", notes_json(cf_catalog_warnings(cat)));
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, entry_json(cat, &v[i]));
        json_object_set_new(root, "entries", arr);
        print_json(root);
    } else {
        print_table(cat, v, n, a->filter.all);
        if (n == 0)
            fputs("no firmware matches (add --all to see every file and why it was left out)\n",
                  stderr);
    }
    cf_catalog_free_list(v);
    return 0;
}

static int do_pick(const cf_front *cli, cf_catalog *cat, const fw_args *a)
{
    cf_catalog_entry e;
    cf_error err;
    cf_error_reset(&err);
    if (a->filter.mode == CF_CATALOG_ANY)
        return usage_error(cli, "%s", "firmware pick needs --mode dfu|katapult|deployer");
    if (cf_catalog_pick(cat, &a->filter, &e, &err) != CF_OK)
        return cf_front_report_error(cli, &err);
    if (a->json) {
        json_t *root = cf_cli_json_root("firmware pick");
        json_object_set_new(root, "sources", sources_json(cat));
        json_object_set_new(root, "pick", entry_json(cat, &e));
        print_json(root);
        return 0;
    }
    char summary[600];
    cf_catalog_entry_summary(&e, summary, sizeof(summary));
    fprintf(stderr, "picked: %s\n        sha256 %s\n", cf_safe(summary), e.sha256);
    if (e.notes[0])
        fprintf(stderr, "note: %s\n", cf_safe(e.notes));
    printf("%s\n", cf_safe(e.abs_path));
    return 0;
}

int cf_cmd_firmware(const cf_front *outer, int argc, char **argv)
{
    cf_front local = cf_cli_front_of(outer, argc, argv);
    const cf_front *cli = &local;
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        if (argc < 2)
            return usage_error(cli, "%s", "firmware needs list or pick");
        usage(stdout);
        return 0;
    }
    const char *sub = argv[1];
    bool list = strcmp(sub, "list") == 0;
    if (!list && strcmp(sub, "pick") != 0)
        return usage_error(cli, "unknown firmware command \"%s\" (list or pick)", sub);
    fw_args a;
    memset(&a, 0, sizeof(a));
    int st = parse_args(cli, argc - 1, argv + 1, &a);
    if (st >= 0)
        return st;
    progress_state ps = {.tty = isatty(STDERR_FILENO) == 1, .last = 0};
    a.opts.progress = on_progress;
    a.opts.progress_ctx = &ps;

    cf_catalog *cat;
    cf_error err;
    cf_error_reset(&err);
    cf_code rc = cf_catalog_open(&a.opts, &cat, &err);
    if (ps.drawn)
        fputc('\n', stderr);
    if (rc != CF_OK)
        return cf_front_report_error(cli, &err);
    print_sources(cat);
    st = list ? do_list(cli, cat, &a) : do_pick(cli, cat, &a);
    cf_catalog_close(cat);
    return st;
}
