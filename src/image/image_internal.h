/* Shared by the image loaders and the inspector; not part of the contract. */
#ifndef CF_IMAGE_INTERNAL_H
#define CF_IMAGE_INTERNAL_H

#include <stdarg.h>

#include "image/image.h"

/* A growing list of segments with where each came from (HEX line number or
 * file offset), so overlap errors can point at the input. */
typedef struct cf_seg_entry {
    uint32_t address;
    uint32_t size;
    size_t cap;
    uint8_t *data;
    unsigned long origin;
} cf_seg_entry;

typedef struct cf_seg_list {
    cf_seg_entry *v;
    size_t count, cap;
} cf_seg_list;

typedef enum cf_origin_kind { CF_ORIGIN_LINE, CF_ORIGIN_OFFSET } cf_origin_kind;

/* Appends bytes at addr: extends the last entry when contiguous, else starts a
 * new one. The caller has already checked that addr + len fits in 32 bits. */
cf_code cf_seg_append(cf_seg_list *l, uint32_t addr, const uint8_t *data, size_t len,
                      unsigned long origin, cf_error *err);
void cf_seg_list_free(cf_seg_list *l);

/* Sorts, refuses overlaps (naming both origins), merges touching entries and
 * moves the result into img->segments. The list is empty afterwards. */
cf_code cf_seg_finish(cf_seg_list *l, cf_image *img, const char *name, cf_origin_kind kind,
                      cf_error *err);

/* True when [addr, addr+len) ends at or below 0xFFFFFFFF (see image_load.c). */
bool cf_range_fits(uint32_t addr, uint64_t len);

/* Appends a "; "-separated note to a fixed buffer (truncating politely). */
void cf_note(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void cf_vnote(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static inline uint16_t cf_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t cf_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* DFU suffix dwCRC: CRC-32/IEEE without the final xor (zlib crc32 ^ ~0). */
uint32_t cf_dfu_crc(const uint8_t *buf, size_t len);

/* Format parsers. Each fills `out` (already zeroed, dfuse_alt = -1) or fails
 * with CF_ERR_FORMAT and one sentence naming `name` and the place. */
cf_code cf_image_parse_bin(const uint8_t *buf, size_t len, const char *name,
                           const cf_image_load_opts *opts, cf_image *out, cf_error *err);
cf_code cf_image_parse_hex(const uint8_t *buf, size_t len, const char *name, cf_image *out,
                           cf_error *err);
cf_code cf_image_parse_dfuse(const uint8_t *buf, size_t len, const char *name, cf_image *out,
                             cf_error *err);

/* Finds the Klipper data dictionary (a zlib stream holding JSON) in the
 * image's bytes and fills info's dictionary fields. Returns false if none. */
bool cf_image_find_dictionary(const cf_image *img, cf_image_info *info);

#endif
