/* Firmware images: loading (.bin, Intel .hex, DfuSe .dfu, DFU suffix) and
 * inspection (vector table, kind, embedded Klipper data dictionary).
 *
 * Contract:
 *  - cf_image_load() picks the parser by content (DfuSe prefix "DfuSe", Intel
 *    HEX ':' records) and falls back to raw binary. A raw binary is placed at
 *    opts->address when opts->address_given, else at opts->default_address.
 *    A valid DFU suffix on a raw binary is verified (CRC) and stripped; a
 *    suffix with a bad CRC is an error.
 *  - cf_image_parse() is the same on a memory buffer (used by fuzz targets).
 *  - Segments are sorted by address and never overlap (overlap is an error);
 *    gaps between HEX records are kept as separate segments.
 *  - Every rejection is CF_ERR_FORMAT with one clear sentence naming the file,
 *    the offset/line and what is wrong.
 *  - cf_image_inspect() never fails on odd content: what it cannot tell is
 *    left empty/unknown and explained in info->problems.
 */
#ifndef CF_IMAGE_IMAGE_H
#define CF_IMAGE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define CF_IMAGE_MAX_SIZE (4u * 1024u * 1024u) /* refuse larger inputs */

typedef enum cf_image_format { CF_IMAGE_BIN = 0, CF_IMAGE_HEX, CF_IMAGE_DFUSE } cf_image_format;

typedef struct cf_image_segment {
    uint32_t address;
    uint32_t size;
    uint8_t *data;
} cf_image_segment;

typedef struct cf_image {
    cf_image_format format;
    cf_image_segment *segments;
    size_t segment_count;
    bool had_suffix; /* a DFU suffix was found (and stripped for .bin) */
    uint16_t suffix_vid, suffix_pid;
    int dfuse_alt;   /* DfuSe target alt setting, -1 if not DfuSe */
    char notes[256]; /* what the loader skipped (e.g. other DfuSe targets), "; "-separated */
} cf_image;

typedef struct cf_image_load_opts {
    uint32_t default_address; /* where a raw .bin goes when no address given */
    uint32_t address;
    bool address_given;
} cf_image_load_opts;

cf_code cf_image_load(const char *path, const cf_image_load_opts *opts, cf_image *out,
                      cf_error *err);
cf_code cf_image_parse(const uint8_t *buf, size_t len, const char *name,
                       const cf_image_load_opts *opts, cf_image *out, cf_error *err);
void cf_image_free(cf_image *img);

/* Lowest address, one past the highest, and total payload bytes. */
uint32_t cf_image_start(const cf_image *img);
uint32_t cf_image_end(const cf_image *img);
size_t cf_image_size(const cf_image *img);

/* Reads a byte at addr; returns false if addr is in no segment. */
bool cf_image_byte(const cf_image *img, uint32_t addr, uint8_t *out);

const char *cf_image_format_name(cf_image_format f); /* "bin", "hex", "dfuse" */

/* ---- inspection ---- */

typedef enum cf_image_kind {
    CF_KIND_UNKNOWN = 0,
    CF_KIND_COMBINED, /* Katapult at 0x08000000 + Cartographer app at 0x08002000 */
    CF_KIND_APP,      /* Cartographer/Klipper app linked at 0x08002000 (Katapult update) */
    CF_KIND_KATAPULT, /* bare Katapult bootloader at 0x08000000 */
    CF_KIND_DEPLOYER  /* Katapult deployer: app at 0x08002000 that installs Katapult */
} cf_image_kind;

typedef enum cf_iface { CF_IFACE_UNKNOWN = 0, CF_IFACE_CAN, CF_IFACE_USB } cf_iface;

typedef struct cf_image_info {
    uint32_t load_address; /* where the image's bytes start */
    size_t size;
    uint32_t initial_sp;   /* vector table word 0 */
    uint32_t reset_vector; /* vector table word 1 */
    uint32_t
        linked_address; /* flash address the code was linked for (from vectors), 0 if unknown */
    cf_image_kind kind;
    bool has_dictionary;
    char version[96];          /* dictionary "version", e.g. "CARTOGRAPHER 5.1.0" */
    char mcu[32];              /* dictionary config.MCU, e.g. "stm32f042x6" */
    cf_iface iface;            /* from RESERVE_PINS_CAN / RESERVE_PINS_USB */
    uint32_t can_bitrate;      /* config.CANBUS_FREQUENCY, 0 if none */
    uint32_t clock_freq;       /* config.CLOCK_FREQ, 0 if none */
    char app_name[32];         /* "cartographer", "klipper", "katapult", "" */
    char problems[512];        /* "; "-separated human notes, empty if none */
    char katapult_version[48]; /* Katapult's own version string if it carries one, else "" */
    uint32_t app_address;      /* where the Cartographer/Klipper app's vector table is, 0 if none */
    uint32_t katapult_offset;  /* deployer: offset of the embedded Katapult image in the file */
    cf_iface katapult_iface;   /* link Katapult itself uses (combined, katapult, deployer) */
    uint32_t katapult_sp;      /* that Katapult's initial stack pointer, 0 if none */
    char katapult_mcu[32];     /* the MCU that Katapult is built for (from katapult_sp), "" */
    /* What the bytes are when they are recognisably not a Cortex-M image (a UF2
     * or ELF file, an archive, text, random data ...), with what to do instead;
     * "" when nothing can be told. Also one of the problems. */
    char looks_like[192];
    double entropy; /* Shannon entropy of the image bytes, bits per byte (0..8) */
} cf_image_info;

void cf_image_inspect(const cf_image *img, cf_image_info *info);

/* Katapult keeps the last 8 bytes of RAM for the request to stay in the
 * bootloader, so its stack starts 8 bytes below the end of its per-MCU RAM:
 * its initial stack pointer names the chip it is built for, even without a
 * Klipper dictionary (a deployer has none). NULL / 0 when unknown. */
const char *cf_image_katapult_mcu(uint32_t katapult_sp);
uint32_t cf_image_katapult_sp(const char *mcu);
/* The MCU an image is for: its dictionary's, else (Katapult, deployer) the
 * one its Katapult is built for; "" when neither says. */
const char *cf_image_target_mcu(const cf_image_info *info);

const char *
cf_image_kind_name(cf_image_kind k);   /* "combined", "app", "katapult", "deployer", "unknown" */
const char *cf_iface_name(cf_iface i); /* "can", "usb", NULL for unknown */

/* Parses a Klipper data dictionary (the JSON text, already inflated) into info's
 * dictionary fields. Exposed for the fuzz target. */
cf_code cf_image_parse_dictionary(const char *json, size_t len, cf_image_info *info, cf_error *err);

/* Where the Klipper data dictionary's zlib stream sits in raw firmware bytes
 * (offset and compressed length): exactly what the firmware hands out with
 * Klipper's identify command. False if there is none. */
bool cf_image_dictionary_locate(const uint8_t *buf, size_t len, size_t *offset, size_t *zlen);
/* The image's dictionary as JSON text (malloc'd, NUL-terminated; free()), NULL if none. */
char *cf_image_dictionary_json(const cf_image *img, size_t *len);

#endif
