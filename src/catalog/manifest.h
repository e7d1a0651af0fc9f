/* firmware_list.csv: the cartographer_firmware repository's list of images.
 * Its rows are hints only (the content of each image decides); they are
 * compared with the content and disagreements are reported.
 *
 * The parser accepts RFC 4180 CSV (quoted fields, "" escapes, CRLF or LF),
 * finds columns by header name (case-insensitive), ignores unknown columns
 * and rejects malformed input with CF_ERR_FORMAT naming the line. */
#ifndef CF_CATALOG_MANIFEST_H
#define CF_CATALOG_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define CF_MANIFEST_MAX_BYTES (4u * 1024u * 1024u)
#define CF_MANIFEST_MAX_ROWS 20000u
#define CF_CSV_MAX_FIELDS 64u
#define CF_CSV_MAX_FIELD 1024u

/* Generic CSV reader: calls row() for every record (the header too, index 0)
 * with NUL-terminated fields. row() returns false to stop with CF_ERR_FORMAT
 * (it should have filled err). */
typedef bool (*cf_csv_row_fn)(void *ctx, size_t line, char **fields, size_t count, cf_error *err);
cf_code cf_csv_parse(const char *buf, size_t len, const char *name, cf_csv_row_fn row, void *ctx,
                     cf_error *err);

typedef struct cf_manifest_row {
    char path[512];         /* "filepath", relative to firmware/ ("firmware/" prefix removed) */
    char firmware_type[64]; /* "Cartographer + Katapult", "Cartographer" */
    char protocol[16];      /* "CAN", "USB" */
    char process[16];       /* "DFU", "Update" */
    char probe_version[16]; /* "v3", "v4" */
    char version[32];       /* "6.1.0" */
    uint32_t can_speed;     /* 0 if empty */
    int is_lite;            /* 1 yes, 0 no, -1 empty/unknown */
    /* "1.6.0": the oldest Cartographer Klipper plugin the image works with, "" if none */
    char min_plugin_version[32];
    size_t line; /* line in the file, for messages */
} cf_manifest_row;

typedef struct cf_manifest {
    cf_manifest_row *rows;
    size_t count;
} cf_manifest;

cf_code cf_manifest_parse(const char *buf, size_t len, const char *name, cf_manifest *out,
                          cf_error *err);
cf_code cf_manifest_load(const char *path, cf_manifest *out, cf_error *err);
const cf_manifest_row *cf_manifest_find(const cf_manifest *m, const char *rel_path);
void cf_manifest_free(cf_manifest *m);

#endif
