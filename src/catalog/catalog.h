/* Firmware catalogue: where firmware comes from, what each image really is,
 * and which one to use.
 *
 * Contract:
 *  - cf_catalog_open() resolves ONE place to read firmware from, in this order
 *    and reports it in cf_catalog_root.label:
 *      1. opts->source naming a regular file    -> that file alone ("file ...");
 *      2. opts->source naming a folder          -> that tree ("--source DIR").
 *         A repository root (holding firmware/) or its firmware/ folder both work;
 *         firmware_list.csv is looked for next to firmware/ and inside it;
 *      3. opts->source NULL and not opts->download: the firmware trees of the local
 *         clones ~/cartographer-klipper/firmware and ~/cartographer_firmware/firmware
 *         (every one that exists becomes a root);
 *      4. an http(s) URL in opts->source, or none of the above: the branch tarball
 *         is downloaded with libcurl (TLS verified; CA bundle from opts->ca_file or
 *         $CARTOFLASH_CA_FILE, else the system store), extracted with libarchive into
 *         $XDG_CACHE_HOME/cartoflash/firmware/<name>-<branch>/ and used from there;
 *      5. when that download fails (or opts->offline), the previous good cache is
 *         reused and the root's label and note say so.
 *    A download never replaces a good cache until the new tree is complete
 *    (temp file -> temp folder -> atomic switch). Archive entries with absolute
 *    paths, "..", links, device files or fifos are refused (the whole archive).
 *  - Every file that looks like firmware (.bin .hex .dfu .uf2) is inspected with
 *    image/image.h: classification is by content. Manifest rows (firmware_list.csv)
 *    and file names are hints only; when a hint disagrees with the content the
 *    content wins and entry->notes says what disagreed. A field the content does
 *    not tell (a deployer has no Klipper dictionary) may be filled from the hints;
 *    entry->from_hint then has its bit set and the notes say so.
 *  - sha256 of every image is computed, shown in entries and, for downloads,
 *    recorded in <cache>/manifest.tsv.
 *  - Nothing here prints; progress goes through opts->progress.
 */
#ifndef CF_CATALOG_CATALOG_H
#define CF_CATALOG_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "image/image.h"

/* Default download URLs; "{branch}" is replaced by the branch name. A --source URL
 * may contain "{branch}" too; without it the URL is used as it is. */
#define CF_CATALOG_URL_KLIPPER                                                                     \
    "https://codeload.github.com/Cartographer3D/cartographer-klipper/tar.gz/refs/heads/{branch}"
#define CF_CATALOG_URL_FIRMWARE                                                                    \
    "https://codeload.github.com/Cartographer3D/cartographer_firmware/tar.gz/refs/heads/{branch}"
#define CF_CATALOG_DEFAULT_BRANCH "master"
#define CF_CATALOG_MAX_DOWNLOAD (64u * 1024u * 1024u) /* default size limit of a tarball */

typedef struct cf_catalog cf_catalog;

/* Download progress: `done` of `total` bytes (total 0 when the server did not say).
 * Return false to cancel (the download then fails with CF_ERR_CANCELLED). */
typedef bool (*cf_catalog_progress_fn)(void *ctx, const char *what, uint64_t done, uint64_t total);

typedef struct cf_catalog_opts {
    const char *source;     /* file, folder or http(s) URL; NULL = default search (above) */
    const char *branch;     /* master (default), beta, develop, custom, or any branch name */
    const char *cache_dir;  /* NULL = cf_xdg_dir("cache")/firmware */
    const char *home;       /* where local clones are looked for; NULL = $HOME */
    const char *ca_file;    /* PEM CA bundle for TLS; NULL = $CARTOFLASH_CA_FILE or system */
    bool download;          /* skip local clones, go straight to the download (menu "refresh") */
    bool offline;           /* never touch the network: local trees or the cache only */
    long connect_timeout_s; /* 0 = 15 s */
    long timeout_s;         /* whole transfer; 0 = 300 s */
    long low_speed_s;       /* abort when under 1 KiB/s this long; 0 = 30 s */
    uint64_t max_download;  /* bytes; 0 = CF_CATALOG_MAX_DOWNLOAD */
    cf_catalog_progress_fn progress;
    void *progress_ctx;
} cf_catalog_opts;

/* One place firmware was read from. */
typedef struct cf_catalog_root {
    char label[256]; /* for the user: "local clone /home/pi/cartographer-klipper/firmware",
                        "download https://... (branch master)", "cache (offline) ..." */
    char dir[1024];  /* absolute folder entries are relative to ("" for a single file) */
    char note[512];  /* e.g. "download failed: ...; using the cache from 2026-11-24 10:00" */
    bool from_cache; /* tree came from the download cache */
    bool stale;      /* cache reused because the download failed or offline was asked */
} cf_catalog_root;

typedef enum cf_catalog_mode {
    CF_CATALOG_ANY = 0,  /* every kind (list without --mode) */
    CF_CATALOG_DFU,      /* combined images (Katapult + app at 0x08000000) */
    CF_CATALOG_KATAPULT, /* app images for 0x08002000, flashed through Katapult */
    CF_CATALOG_DEPLOYER  /* Katapult deployers (-t of cartographer-klipper's firmware.py) */
} cf_catalog_mode;

/* Which fields of an entry were filled from hints (file name, folder, manifest)
 * because the content did not say. */
enum {
    CF_HINT_MCU = 1u << 0,
    CF_HINT_IFACE = 1u << 1,
    CF_HINT_BITRATE = 1u << 2,
    CF_HINT_VERSION = 1u << 3,
};

typedef struct cf_catalog_entry {
    char rel_path[512]; /* relative to root->dir (the file name for a single file) */
    char abs_path[1024];
    const cf_catalog_root *root; /* owned by the catalog: valid until cf_catalog_close() */
    char version[96];            /* the image's own version string, "" if none */
    int semver[3];               /* first x.y[.z] in version; has_semver false if none */
    bool has_semver;
    char mcu[32]; /* "stm32f042x6", "stm32g431xx", "" if unknown */
    cf_iface iface;
    uint32_t bitrate; /* CANBUS_FREQUENCY; 0 for USB or unknown */
    cf_image_kind kind;
    char app_name[32];
    size_t size;
    char sha256[65];               /* lowercase hex */
    bool lite, kseries, high_temp; /* from the version string ("lite", "K1", "HT") */
    unsigned from_hint;            /* CF_HINT_* bits */
    bool excluded;                 /* filtered out (shown only with filter->all) */
    char reason[256];              /* why excluded, e.g. "CAN 500000 bit/s, not 1000000" */
    char notes[512]; /* "; "-separated: content/hint disagreements, inspection problems */
    /* The manifest's min_plugin_version: the oldest Cartographer Klipper
     * plugin this image works with ("1.6.0"), "" when it names none. */
    char min_plugin[32];
} cf_catalog_entry;

typedef struct cf_catalog_filter {
    cf_catalog_mode mode;
    const char *mcu;  /* NULL/"" = any; else "stm32f042x6" or "stm32g431xx" */
    cf_iface iface;   /* CF_IFACE_UNKNOWN = any */
    uint32_t bitrate; /* 0 = unknown: CAN images of every bitrate listed; pick refuses */
    bool high_temp;   /* HT images only with this, and then only HT images */
    bool kseries;     /* K-series (K1) images only with this, and then only those */
    bool lite;        /* lite images only with this, and then only those */
    bool all;         /* list excluded files too, each with its reason */
} cf_catalog_filter;

cf_code cf_catalog_open(const cf_catalog_opts *opts, cf_catalog **out, cf_error *err);
void cf_catalog_close(cf_catalog *cat);

/* The roots in use (1 for a file, folder or download; 1-2 for local clones). */
size_t cf_catalog_root_count(const cf_catalog *cat);
const cf_catalog_root *cf_catalog_root_at(const cf_catalog *cat, size_t i);

/* "; "-separated things the user should know about the sources ("download
 * failed (...); using the copy downloaded ...", "manifest ignored: ..."),
 * "" if none. Front ends show it before the list. */
const char *cf_catalog_warnings(const cf_catalog *cat);

/* Candidates for the filter, best first: matching before excluded, then newest
 * semantic version (images without one last), then path. Without filter->all only entries that
 * pass the filter are returned. The array is the caller's: cf_catalog_free_list().
 * An empty result is CF_OK with *n = 0. */
cf_code cf_catalog_list(cf_catalog *cat, const cf_catalog_filter *filter,
                        cf_catalog_entry **entries, size_t *n, cf_error *err);
void cf_catalog_free_list(cf_catalog_entry *entries);

/* The single best entry for the filter (filter->all ignored):
 *  - mode must be DFU, KATAPULT or DEPLOYER (else CF_ERR_USAGE);
 *  - CF_ERR_NOT_FOUND when nothing matches, the message naming what is missing
 *    ("no combined stm32f042x6 CAN 500000 bit/s image in ...");
 *  - CF_ERR_AMBIGUOUS when candidates differ in MCU or interface that the filter
 *    left open, when a CAN image is wanted (or possible) and filter->bitrate is 0
 *    (the bitrate must be read from the bus or asked, never guessed), or when two
 *    different images (different sha256) share the newest version.
 * On success *out is a copy of the chosen entry. */
cf_code cf_catalog_pick(cf_catalog *cat, const cf_catalog_filter *filter, cf_catalog_entry *out,
                        cf_error *err);

/* One line for menus: "5.1.0  stm32f042x6  CAN 1000000  combined  v2-v3/.../x.bin". */
void cf_catalog_entry_summary(const cf_catalog_entry *e, char *buf, size_t size);

const char *cf_catalog_mode_name(cf_catalog_mode m); /* "any", "dfu", "katapult", "deployer" */
/* Parses "dfu", "katapult", "deployer"; false if unknown. */
bool cf_catalog_mode_parse(const char *s, cf_catalog_mode *out);

#endif
