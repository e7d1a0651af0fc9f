/* Test-only generators: build Intel HEX, DfuSe and DFU-suffixed files from
 * raw bytes, so the loaders can be checked against a real .bin round trip
 * and against precisely broken variants. */
#ifndef CF_TEST_IMAGE_GEN_H
#define CF_TEST_IMAGE_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growing byte buffer (malloc'd; free buf). */
typedef struct gen_buf {
    uint8_t *buf;
    size_t len, cap;
} gen_buf;

void gen_put(gen_buf *b, const void *data, size_t len);
void gen_printf(gen_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gen_le32(gen_buf *b, uint32_t v);
void gen_free(gen_buf *b);

/* Intel HEX records for data at addr, `per_line` bytes per data record,
 * with 04 records whenever the upper 16 bits change. No EOF record: append
 * gen_hex_eof() yourself (so tests can leave it out). */
void gen_hex_data(gen_buf *b, uint32_t addr, const uint8_t *data, size_t len, size_t per_line,
                  const char *eol);
void gen_hex_record(gen_buf *b, uint8_t type, uint16_t offset, const uint8_t *data, uint8_t n,
                    const char *eol);
void gen_hex_eof(gen_buf *b, const char *eol);

/* DfuSe file builder. Call gen_dfuse_begin, then for each target
 * gen_dfuse_target + gen_dfuse_element..., then gen_dfuse_end, which fills
 * in every size field and the suffix with a correct CRC. */
typedef struct gen_dfuse {
    gen_buf b;
    size_t target_at; /* offset of the open target, 0 if none */
    uint32_t elements;
    uint8_t targets;
} gen_dfuse;

void gen_dfuse_begin(gen_dfuse *d);
void gen_dfuse_target(gen_dfuse *d, uint8_t alt, const char *name);
void gen_dfuse_element(gen_dfuse *d, uint32_t addr, const uint8_t *data, size_t len);
void gen_dfuse_end(gen_dfuse *d, uint16_t vid, uint16_t pid);
/* The same, with DFUImageSize counting the prefix and targets but not the
 * 16-byte suffix: what ST's DFU File Manager and dfu-util's dfuse-pack.py
 * write into real .dfu files. */
void gen_dfuse_end_tools(gen_dfuse *d, uint16_t vid, uint16_t pid);

/* Recomputes the suffix CRC of a finished file (after a test edits it). */
void gen_fix_crc(uint8_t *buf, size_t len);

/* Appends a DFU suffix (bcdDFU 0x0100) with a correct CRC. */
void gen_add_suffix(gen_buf *b, uint16_t vid, uint16_t pid);

void gen_put_le32(uint8_t *p, uint32_t v);

/* Reads a file below $CF_FIRMWARE_DIR (set by CTest); NULL if unreadable. */
uint8_t *gen_read_firmware(const char *rel, size_t *len);
const char *gen_firmware_dir(void);

#endif
