/* Loaders: Intel HEX and DfuSe round trips from a real Cartographer .bin,
 * the DFU suffix, and one precise error per kind of malformed input. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "image/image.h"
#include "image_gen.h"

#define COMBINED                                                                                   \
    "cartographer_firmware/firmware/v2-v3/combined-firmware/5.1.0/"                                \
    "Full_Survey_Cartographer_CAN_1M_5_1_0.bin"
#define APP                                                                                        \
    "cartographer_firmware/firmware/v2-v3/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin"

static const cf_image_load_opts flash_opts = {.default_address = 0x08000000};

static cf_code parse(const uint8_t *buf, size_t len, cf_image *img, cf_error *err)
{
    cf_error_reset(err);
    return cf_image_parse(buf, len, "test.file", &flash_opts, img, err);
}

/* The file must be refused as CF_ERR_FORMAT with one message naming the file
 * and containing `phrase`, plus a hint, and leave no image behind. */
static void expect_format_error(const uint8_t *buf, size_t len, const char *phrase)
{
    cf_image img;
    cf_error err;
    cf_code rc = parse(buf, len, &img, &err);
    if (rc != CF_ERR_FORMAT || !strstr(err.message, phrase))
        print_message("want '%s', got %s: %s\n", phrase, cf_code_name(rc), err.message);
    assert_int_equal(rc, CF_ERR_FORMAT);
    assert_non_null(strstr(err.message, phrase));
    assert_non_null(strstr(err.message, "test.file"));
    assert_true(err.hint[0] != '\0');
    assert_null(img.segments);
    assert_int_equal(img.segment_count, 0);
}

static uint8_t *real(const char *rel, size_t *len)
{
    uint8_t *data = gen_read_firmware(rel, len);
    if (!data)
        print_message("cannot read %s below CF_FIRMWARE_DIR=%s\n", rel,
                      gen_firmware_dir() ? gen_firmware_dir() : "(unset)");
    assert_non_null(data);
    return data;
}

static void assert_one_segment(const cf_image *img, uint32_t addr, const uint8_t *data, size_t len)
{
    assert_int_equal(img->segment_count, 1);
    assert_int_equal(img->segments[0].address, addr);
    assert_int_equal(img->segments[0].size, len);
    assert_memory_equal(img->segments[0].data, data, len);
}

/* ---- Intel HEX ---- */

static void image_hex_roundtrip_real(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = real(COMBINED, &len);
    gen_buf hex = {0};
    gen_hex_data(&hex, 0x08000000, bin, len, 16, "\n");
    gen_hex_eof(&hex, "\n");

    cf_image img;
    cf_error err;
    assert_int_equal(parse(hex.buf, hex.len, &img, &err), CF_OK);
    assert_int_equal(img.format, CF_IMAGE_HEX);
    assert_one_segment(&img, 0x08000000, bin, len);
    assert_int_equal(cf_image_start(&img), 0x08000000);
    assert_int_equal(cf_image_end(&img), 0x08000000 + len);

    cf_image_info info;
    cf_image_inspect(&img, &info);
    assert_int_equal(info.kind, CF_KIND_COMBINED);
    assert_string_equal(info.version, "CARTOGRAPHER 5.1.0");
    assert_int_equal(info.can_bitrate, 1000000);
    cf_image_free(&img);
    gen_free(&hex);
    free(bin);
}

static void image_hex_crlf_start_records(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = real(APP, &len);
    gen_buf hex = {0};
    uint8_t start[4] = {0x08, 0x00, 0x22, 0x5D};
    gen_hex_record(&hex, 0x03, 0, start, 4, "\r\n"); /* start segment address: ignored */
    gen_hex_data(&hex, 0x08002000, bin, len, 32, "\r\n");
    gen_hex_record(&hex, 0x05, 0, start, 4, "\r\n"); /* start linear address: ignored */
    gen_hex_eof(&hex, "\r\n");
    gen_put(&hex, "\r\n\x1a", 3); /* blank line and DOS EOF after the end are fine */

    cf_image img;
    cf_error err;
    assert_int_equal(parse(hex.buf, hex.len, &img, &err), CF_OK);
    assert_one_segment(&img, 0x08002000, bin, len);
    cf_image_info info;
    cf_image_inspect(&img, &info);
    assert_int_equal(info.kind, CF_KIND_APP);
    assert_int_equal(info.iface, CF_IFACE_USB);
    assert_int_equal(info.linked_address, 0x08002000);
    assert_string_equal(info.problems, "");
    cf_image_free(&img);
    gen_free(&hex);
    free(bin);
}

static void image_hex_gaps_and_order(void **state)
{
    (void)state;
    uint8_t a[16], b[16], c[8];
    for (int i = 0; i < 16; i++) {
        a[i] = (uint8_t)i;
        b[i] = (uint8_t)(0x80 + i);
    }
    memset(c, 0xC5, sizeof(c));
    gen_buf hex = {0};
    /* Out of order: 0x08000110, then 0x08000000, then 0x08000100 (touches the
     * first), then a gap to 0x08000200. */
    gen_hex_data(&hex, 0x08000110, b, 16, 16, "\n");
    gen_hex_data(&hex, 0x08000000, a, 16, 16, "\n");
    gen_hex_data(&hex, 0x08000100, a, 16, 16, "\n");
    gen_hex_data(&hex, 0x08000200, c, 8, 16, "\n");
    gen_hex_eof(&hex, "\n");

    cf_image img;
    cf_error err;
    assert_int_equal(parse(hex.buf, hex.len, &img, &err), CF_OK);
    assert_int_equal(img.segment_count, 3);
    assert_int_equal(img.segments[0].address, 0x08000000);
    assert_int_equal(img.segments[0].size, 16);
    assert_int_equal(img.segments[1].address, 0x08000100);
    assert_int_equal(img.segments[1].size, 32);
    assert_memory_equal(img.segments[1].data, a, 16);
    assert_memory_equal(img.segments[1].data + 16, b, 16);
    assert_int_equal(img.segments[2].address, 0x08000200);
    assert_int_equal(cf_image_size(&img), 16 + 32 + 8);
    assert_int_equal(cf_image_end(&img), 0x08000208);

    uint8_t v;
    assert_true(cf_image_byte(&img, 0x08000111, &v));
    assert_int_equal(v, 0x81);
    assert_false(cf_image_byte(&img, 0x08000010, &v)); /* in the gap */
    assert_false(cf_image_byte(&img, 0x08000208, &v)); /* one past the end */
    assert_true(cf_image_byte(&img, 0x08000207, &v));
    assert_int_equal(v, 0xC5);
    cf_image_free(&img);
    gen_free(&hex);
}

static void image_hex_segment_address(void **state)
{
    (void)state;
    uint8_t d[4] = {1, 2, 3, 4};
    uint8_t seg[2] = {0x12, 0x34}; /* base 0x12340 */
    gen_buf hex = {0};
    gen_hex_record(&hex, 0x02, 0, seg, 2, "\n");
    gen_hex_record(&hex, 0x00, 0x0010, d, 4, "\n");
    gen_hex_eof(&hex, "\n");
    cf_image img;
    cf_error err;
    assert_int_equal(parse(hex.buf, hex.len, &img, &err), CF_OK);
    assert_one_segment(&img, 0x12350, d, 4);
    cf_image_free(&img);
    gen_free(&hex);
}

static void image_hex_truncated_line(void **state)
{
    (void)state;
    const char *t = ":10000000000102030405060708090A0B0C0D0E0F78\n"
                    ":1000100010111213141516171819\n"
                    ":00000001FF\n";
    expect_format_error((const uint8_t *)t, strlen(t), "line 2: truncated record");
}

static void image_hex_bad_checksum(void **state)
{
    (void)state;
    const char *t = ":10000000000102030405060708090A0B0C0D0E0F79\n:00000001FF\n";
    expect_format_error((const uint8_t *)t, strlen(t), "line 1: bad checksum");
}

static void image_hex_overlap(void **state)
{
    (void)state;
    uint8_t d[16] = {0};
    gen_buf hex = {0};
    gen_hex_data(&hex, 0x08000000, d, 16, 16, "\n"); /* lines 1-2 */
    gen_hex_data(&hex, 0x08000008, d, 16, 16, "\n"); /* lines 3-4 */
    gen_hex_eof(&hex, "\n");
    expect_format_error(hex.buf, hex.len,
                        "line 4: overlapping data: address 0x08000008 was already given on line 2");
    gen_free(&hex);
}

static void image_hex_missing_eof(void **state)
{
    (void)state;
    uint8_t d[16] = {0};
    gen_buf hex = {0};
    gen_hex_data(&hex, 0x08000000, d, 16, 16, "\n");
    expect_format_error(hex.buf, hex.len, "missing end-of-file record");
    gen_free(&hex);
}

static void image_hex_other_errors(void **state)
{
    (void)state;
    const char *nonhex = ":10000000000102030405060708090A0B0C0D0E0FZ8\n:00000001FF\n";
    expect_format_error((const uint8_t *)nonhex, strlen(nonhex),
                        "line 1: column 42: 'Z' is not a hexadecimal digit");
    const char *type = ":00000006FA\n:00000001FF\n";
    expect_format_error((const uint8_t *)type, strlen(type), "unknown record type 0x06");
    const char *after = ":00000001FF\n:0100000000FF\n";
    expect_format_error((const uint8_t *)after, strlen(after),
                        "line 2: data after the end-of-file record");
    const char *empty = ":00000001FF\n";
    expect_format_error((const uint8_t *)empty, strlen(empty), "no data records");
    const char *junk = ":00000001FF\r\nhello\n";
    expect_format_error((const uint8_t *)junk, strlen(junk), "line 2");
    const char *colon = ":10000000000102030405060708090A0B0C0D0E0F78\nX\n";
    expect_format_error((const uint8_t *)colon, strlen(colon),
                        "line 2: line does not start with ':'");
    const char *longer = ":0000000000FF\n:00000001FF\n";
    expect_format_error((const uint8_t *)longer, strlen(longer), "longer than its byte count");
}

static void image_hex_record_shapes(void **state)
{
    (void)state;
    /* Lower-case digits are fine. */
    const char *lower = ":04000000deadbeefc4\n:00000001ff\n";
    cf_image img;
    cf_error err;
    assert_int_equal(parse((const uint8_t *)lower, strlen(lower), &img, &err), CF_OK);
    static const uint8_t want[4] = {0xDE, 0xAD, 0xBE, 0xEF};
    assert_one_segment(&img, 0, want, 4); /* no 04 record: address 0 */
    cf_image_free(&img);

    const char *nul = ":0400000000\x01"
                      "000000F8\n:00000001FF\n";
    expect_format_error((const uint8_t *)nul, strlen(nul), "byte 0x01 is not a hexadecimal digit");
    const char *tiny = ":00000001\n";
    expect_format_error((const uint8_t *)tiny, strlen(tiny), "a record needs at least 10");
    const char *eof = ":01000001AA54\n";
    expect_format_error((const uint8_t *)eof, strlen(eof), "end-of-file record with a non-zero");
    const char *ela = ":03000004080000F1\n:00000001FF\n";
    expect_format_error((const uint8_t *)ela, strlen(ela), "record type 04 must carry 2 bytes");
    const char *sla = ":020000050800F1\n:00000001FF\n";
    expect_format_error((const uint8_t *)sla, strlen(sla), "record type 05 must carry 4 bytes");
    gen_buf big = {0};
    gen_put(&big, ":", 1);
    for (int i = 0; i < 300; i++)
        gen_put(&big, "00", 2);
    gen_put(&big, "\n", 1);
    expect_format_error(big.buf, big.len, "record is too long");
    gen_free(&big);
}

static void image_hex_past_4gib(void **state)
{
    (void)state;
    uint8_t d[32] = {0};
    uint8_t ela[2] = {0xFF, 0xFF};
    gen_buf hex = {0};
    gen_hex_record(&hex, 0x04, 0, ela, 2, "\n");
    gen_hex_record(&hex, 0x00, 0xFFF0, d, 32, "\n");
    gen_hex_eof(&hex, "\n");
    expect_format_error(hex.buf, hex.len,
                        "line 2: data at 0xFFFFFFF0 would place bytes past 0xFFFFFFFF");
    gen_free(&hex);
}

/* ---- DfuSe ---- */

/* A DfuSe file of one target for alt `alt` holding one element. */
static void one_element(gen_dfuse *d, uint8_t alt, uint32_t address, const uint8_t *data, size_t n)
{
    gen_dfuse_begin(d);
    gen_dfuse_target(d, alt, NULL);
    gen_dfuse_element(d, address, data, n);
    gen_dfuse_end(d, 0x0483, 0xDF11);
}

static void build_real_dfuse(gen_dfuse *d, const uint8_t *bin, size_t len)
{
    static const uint8_t option_bytes[16] = {0xAA, 0x55};
    gen_dfuse_begin(d);
    gen_dfuse_target(d, 0, "ST...");
    /* Two elements in reverse order: the loader sorts and joins them. */
    gen_dfuse_element(d, 0x08002000, bin + 0x2000, len - 0x2000);
    gen_dfuse_element(d, 0x08000000, bin, 0x2000);
    gen_dfuse_target(d, 1, "Option bytes");
    gen_dfuse_element(d, 0x1FFFF800, option_bytes, sizeof(option_bytes));
    gen_dfuse_end(d, 0x0483, 0xDF11);
}

static void image_dfuse_roundtrip_real(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = real(COMBINED, &len);
    gen_dfuse d;
    build_real_dfuse(&d, bin, len);
    assert_int_equal(d.b.len, 11 + 274 + 8 + len + 8 + 274 + 8 + 16 + 16);

    cf_image img;
    cf_error err;
    assert_int_equal(parse(d.b.buf, d.b.len, &img, &err), CF_OK);
    assert_int_equal(img.format, CF_IMAGE_DFUSE);
    assert_int_equal(img.dfuse_alt, 0);
    assert_true(img.had_suffix);
    assert_int_equal(img.suffix_vid, 0x0483);
    assert_int_equal(img.suffix_pid, 0xDF11);
    assert_one_segment(&img, 0x08000000, bin, len);
    assert_non_null(strstr(img.notes, "alt setting 1"));

    cf_image_info info;
    cf_image_inspect(&img, &info);
    assert_int_equal(info.kind, CF_KIND_COMBINED);
    assert_string_equal(info.mcu, "stm32f042x6");
    assert_non_null(strstr(info.problems, "alt setting 1"));
    cf_image_free(&img);
    gen_free(&d.b);
    free(bin);
}

static void image_dfuse_file_load(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = real(COMBINED, &len);
    gen_dfuse d;
    build_real_dfuse(&d, bin, len);
    char path[] = "/tmp/cf_image_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, d.b.buf, d.b.len), (ssize_t)d.b.len);
    close(fd);

    cf_image img;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_image_load(path, &flash_opts, &img, &err), CF_OK);
    assert_one_segment(&img, 0x08000000, bin, len);
    cf_image_free(&img);

    /* Damage one payload byte on disk: the error names the file. */
    d.b.buf[400] ^= 1;
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, d.b.buf, d.b.len), (ssize_t)d.b.len);
    close(fd);
    cf_error_reset(&err);
    assert_int_equal(cf_image_load(path, &flash_opts, &img, &err), CF_ERR_FORMAT);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "DFU suffix CRC does not match"));
    unlink(path);

    cf_error_reset(&err);
    assert_int_equal(cf_image_load(path, &flash_opts, &img, &err), CF_ERR_NOT_FOUND);
    gen_free(&d.b);
    free(bin);
}

/* A file as ST's DFU File Manager and dfuse-pack.py write it (UM0391 layout,
 * DFUImageSize without the suffix): a real G431 combined image in three
 * elements, out of order, and a second target with two option-byte elements. */
#define G431_COMBINED                                                                              \
    "cartographer_firmware/firmware/v4/combined-firmware/6.1.0/"                                   \
    "Katapult_plus_CartographerV4_6.1.0_CAN_1M.bin"

static void build_tools_dfuse(gen_dfuse *d, const uint8_t *bin, size_t len)
{
    static const uint8_t option_bytes[40] = {0xAA, 0xF8, 0xEF, 0xFF};
    gen_dfuse_begin(d);
    gen_dfuse_target(d, 0, "ST...");
    gen_dfuse_element(d, 0x08002000, bin + 0x2000, 0x3000);
    gen_dfuse_element(d, 0x08000000, bin, 0x2000);
    gen_dfuse_element(d, 0x08005000, bin + 0x5000, len - 0x5000);
    gen_dfuse_target(d, 1, "ST...");
    gen_dfuse_element(d, 0x1FFF7800, option_bytes, 24);
    gen_dfuse_element(d, 0x1FFF7818, option_bytes + 24, 16);
    gen_dfuse_end_tools(d, 0x0483, 0xDF11);
}

static void image_dfuse_as_tools_write_it(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = real(G431_COMBINED, &len);
    gen_dfuse d;
    build_tools_dfuse(&d, bin, len);
    size_t body = 11 + 274 + 3 * 8 + len + 274 + 2 * 8 + 40;
    assert_int_equal(d.b.len, body + 16);
    assert_int_equal(d.b.buf[6] | d.b.buf[7] << 8 | d.b.buf[8] << 16, body);

    cf_image img;
    cf_error err;
    assert_int_equal(parse(d.b.buf, d.b.len, &img, &err), CF_OK);
    assert_int_equal(img.format, CF_IMAGE_DFUSE);
    assert_int_equal(img.suffix_vid, 0x0483);
    assert_int_equal(img.suffix_pid, 0xDF11);
    assert_one_segment(&img, 0x08000000, bin, len);
    assert_non_null(strstr(img.notes, "alt setting 1 (2 elements, 56 bytes)"));
    cf_image_info info;
    cf_image_inspect(&img, &info);
    assert_int_equal(info.kind, CF_KIND_COMBINED);
    assert_string_equal(info.mcu, "stm32g431xx");
    cf_image_free(&img);

    /* The same file with DFUImageSize counting the suffix, as UM0391 words it. */
    gen_put_le32(d.b.buf + 6, (uint32_t)d.b.len);
    gen_fix_crc(d.b.buf, d.b.len);
    assert_int_equal(parse(d.b.buf, d.b.len, &img, &err), CF_OK);
    assert_one_segment(&img, 0x08000000, bin, len);
    cf_image_free(&img);
    gen_free(&d.b);
    free(bin);
}

/* Every other check still holds for such a file. */
static void image_dfuse_as_tools_damaged(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = real(G431_COMBINED, &len);
    gen_dfuse d;
    build_tools_dfuse(&d, bin, len);
    size_t n = d.b.len;
    uint8_t *copy = malloc(n);
    assert_non_null(copy);

    /* Cut short anywhere: by one byte, by exactly the suffix, inside the data. */
    expect_format_error(d.b.buf, n - 1, "DFUImageSize says");
    expect_format_error(d.b.buf, n - 16, "no DFU suffix");
    expect_format_error(d.b.buf, n - 5000, "(the file is truncated)");

    /* One payload bit, or the CRC itself. */
    memcpy(copy, d.b.buf, n);
    copy[11 + 274 + 8 + 100] ^= 0x04;
    expect_format_error(copy, n, "DFU suffix CRC does not match");
    memcpy(copy, d.b.buf, n);
    copy[n - 2] ^= 0x80;
    expect_format_error(copy, n, "DFU suffix CRC does not match");

    /* DFUImageSize neither with nor without the suffix. */
    memcpy(copy, d.b.buf, n);
    gen_put_le32(copy + 6, (uint32_t)(n - 8));
    gen_fix_crc(copy, n);
    expect_format_error(copy, n, "bad prefix size: DFUImageSize says");

    /* The first target's dwTargetSize one element header short, and long. */
    uint32_t tsize = (uint32_t)(3 * 8 + len);
    memcpy(copy, d.b.buf, n);
    gen_put_le32(copy + 11 + 266, tsize - 8);
    gen_fix_crc(copy, n);
    expect_format_error(copy, n, "runs past the end of its target");
    memcpy(copy, d.b.buf, n);
    gen_put_le32(copy + 11 + 266, tsize + 8);
    gen_fix_crc(copy, n);
    expect_format_error(copy, n, "inconsistent with dwTargetSize");

    /* The second element's dwElementSize too small (the third header is then
     * read from its data); dwNbElements too large. */
    memcpy(copy, d.b.buf, n);
    gen_put_le32(copy + 11 + 274 + 8 + 0x3000 + 4, 0x1000);
    gen_fix_crc(copy, n);
    expect_format_error(copy, n, "element 3");
    memcpy(copy, d.b.buf, n);
    gen_put_le32(copy + 11 + 270, 4);
    gen_fix_crc(copy, n);
    expect_format_error(copy, n, "truncated element 4 of 4");

    /* bTargets says three. */
    memcpy(copy, d.b.buf, n);
    copy[10] = 3;
    gen_fix_crc(copy, n);
    expect_format_error(copy, n, "truncated target 3");
    free(copy);
    gen_free(&d.b);
    free(bin);
}

static void image_dfuse_bad_crc(void **state)
{
    (void)state;
    uint8_t data[64] = {1, 2, 3};
    gen_dfuse d;
    gen_dfuse_begin(&d);
    gen_dfuse_target(&d, 0, NULL);
    gen_dfuse_element(&d, 0x08000000, data, sizeof(data));
    gen_dfuse_end(&d, 0x0483, 0xDF11);
    d.b.buf[d.b.len - 1] ^= 0x40;
    expect_format_error(d.b.buf, d.b.len, "DFU suffix CRC does not match");
    gen_free(&d.b);
}

static void image_dfuse_bad_prefix_size(void **state)
{
    (void)state;
    uint8_t data[64] = {1, 2, 3};
    gen_dfuse d;
    gen_dfuse_begin(&d);
    gen_dfuse_target(&d, 0, NULL);
    gen_dfuse_element(&d, 0x08000000, data, sizeof(data));
    gen_dfuse_end(&d, 0x0483, 0xDF11);
    gen_put_le32(d.b.buf + 6, (uint32_t)d.b.len + 1);
    gen_fix_crc(d.b.buf, d.b.len);
    expect_format_error(d.b.buf, d.b.len, "offset 6: bad prefix size: DFUImageSize says");
    gen_free(&d.b);
}

static void image_dfuse_truncated_element(void **state)
{
    (void)state;
    uint8_t data[64] = {1, 2, 3};
    gen_dfuse d;
    gen_dfuse_begin(&d);
    gen_dfuse_target(&d, 0, NULL);
    gen_dfuse_element(&d, 0x08000000, data, sizeof(data));
    gen_put(&d.b, "\x00\x00\x00", 3); /* 3 bytes of a second element header */
    d.elements++;
    gen_dfuse_end(&d, 0x0483, 0xDF11);
    expect_format_error(d.b.buf, d.b.len, "truncated element 2 of 2");
    gen_free(&d.b);
}

static void image_dfuse_element_past_end(void **state)
{
    (void)state;
    uint8_t data[64] = {1, 2, 3};
    gen_dfuse d;
    gen_dfuse_begin(&d);
    gen_dfuse_target(&d, 0, NULL);
    gen_dfuse_element(&d, 0x08000000, data, sizeof(data));
    gen_dfuse_end(&d, 0x0483, 0xDF11);
    /* dwElementSize claims 4096 bytes: more than the whole file. */
    gen_put_le32(d.b.buf + 11 + 274 + 4, 4096);
    gen_fix_crc(d.b.buf, d.b.len);
    expect_format_error(
        d.b.buf, d.b.len,
        "offset 285: element 1 (4096 bytes at 0x08000000) runs past the end of the file");
    gen_free(&d.b);
}

static void image_dfuse_inconsistent_sizes(void **state)
{
    (void)state;
    uint8_t data[64] = {1, 2, 3};
    gen_dfuse d;
    /* Element says 32 bytes, dwTargetSize covers 8 + 64. */
    gen_dfuse_begin(&d);
    gen_dfuse_target(&d, 0, NULL);
    gen_dfuse_element(&d, 0x08000000, data, sizeof(data));
    gen_dfuse_end(&d, 0x0483, 0xDF11);
    gen_put_le32(d.b.buf + 11 + 274 + 4, 32);
    gen_fix_crc(d.b.buf, d.b.len);
    expect_format_error(d.b.buf, d.b.len, "inconsistent with dwTargetSize");

    /* Element bigger than its target but inside the file. */
    gen_dfuse e;
    gen_dfuse_begin(&e);
    gen_dfuse_target(&e, 0, NULL);
    gen_dfuse_element(&e, 0x08000000, data, 16);
    gen_dfuse_target(&e, 1, NULL);
    gen_dfuse_element(&e, 0x1FFFF800, data, 16);
    gen_dfuse_end(&e, 0x0483, 0xDF11);
    gen_put_le32(e.b.buf + 11 + 274 + 4, 40);
    gen_fix_crc(e.b.buf, e.b.len);
    expect_format_error(e.b.buf, e.b.len, "runs past the end of its target");

    /* dwTargetSize larger than the file. */
    gen_put_le32(d.b.buf + 11 + 266, 100000);
    gen_put_le32(d.b.buf + 11 + 274 + 4, 64);
    gen_fix_crc(d.b.buf, d.b.len);
    expect_format_error(d.b.buf, d.b.len, "dwTargetSize says 100000 bytes");
    gen_free(&d.b);
    gen_free(&e.b);
}

static void image_dfuse_frame_errors(void **state)
{
    (void)state;
    uint8_t data[64] = {1, 2, 3};
    gen_dfuse d;

    /* Only alt 1. */
    one_element(&d, 1, 0x1FFFF800, data, 16);
    expect_format_error(d.b.buf, d.b.len, "no target for alt setting 0");
    gen_free(&d.b);

    /* Wrong bcdDFU. */
    one_element(&d, 0, 0x08000000, data, 16);
    d.b.buf[d.b.len - 10] = 0x00;
    d.b.buf[d.b.len - 9] = 0x01;
    gen_fix_crc(d.b.buf, d.b.len);
    expect_format_error(d.b.buf, d.b.len, "bcdDFU is 0x0100");

    /* Bad target signature. */
    d.b.buf[d.b.len - 10] = 0x1A;
    d.b.buf[11] = 't';
    gen_fix_crc(d.b.buf, d.b.len);
    expect_format_error(d.b.buf, d.b.len, "does not start with \"Target\"");
    d.b.buf[11] = 'T';
    gen_fix_crc(d.b.buf, d.b.len);
    cf_image img;
    cf_error err;
    assert_int_equal(parse(d.b.buf, d.b.len, &img, &err), CF_OK);
    cf_image_free(&img);

    /* A download cut short, and a file whose suffix was stripped. */
    expect_format_error(d.b.buf, d.b.len - 100, "(the file is truncated)");
    gen_put_le32(d.b.buf + 6, (uint32_t)d.b.len - 16);
    expect_format_error(d.b.buf, d.b.len - 16, "no DFU suffix");
    gen_put_le32(d.b.buf + 6, (uint32_t)d.b.len);
    /* Too short. */
    expect_format_error((const uint8_t *)"DfuSe\x01", 6, "too short for a DfuSe file");
    gen_free(&d.b);

    /* Prefix version, no targets, a cut target header. */
    one_element(&d, 0, 0x08000000, data, 16);
    d.b.buf[5] = 2;
    gen_fix_crc(d.b.buf, d.b.len);
    expect_format_error(d.b.buf, d.b.len, "offset 5: DfuSe prefix version is 2");
    d.b.buf[5] = 1;
    d.b.buf[10] = 0;
    gen_fix_crc(d.b.buf, d.b.len);
    expect_format_error(d.b.buf, d.b.len, "bTargets is 0");
    d.b.buf[10] = 2;
    gen_fix_crc(d.b.buf, d.b.len);
    expect_format_error(d.b.buf, d.b.len, "truncated target 2");
    gen_free(&d.b);
}

static void image_dfuse_content_errors(void **state)
{
    (void)state;
    uint8_t data[64] = {1, 2, 3};
    gen_dfuse d;

    /* Trailing bytes after the last target. */
    gen_dfuse_begin(&d);
    gen_dfuse_target(&d, 0, NULL);
    gen_dfuse_element(&d, 0x08000000, data, 16);
    gen_put(&d.b, "junk", 4); /* counted into dwTargetSize by the builder... */
    gen_dfuse_end(&d, 0x0483, 0xDF11);
    /* ...so shrink dwTargetSize back: the 4 bytes now follow the target. */
    gen_put_le32(d.b.buf + 11 + 266, 8 + 16);
    gen_fix_crc(d.b.buf, d.b.len);
    expect_format_error(d.b.buf, d.b.len, "4 unexpected bytes after the last target");
    gen_free(&d.b);

    /* An alt 0 target with only an empty element. */
    one_element(&d, 0, 0x08000000, data, 0);
    expect_format_error(d.b.buf, d.b.len, "holds no data");
    gen_free(&d.b);

    /* Overlapping elements. */
    gen_dfuse_begin(&d);
    gen_dfuse_target(&d, 0, NULL);
    gen_dfuse_element(&d, 0x08000000, data, 64);
    gen_dfuse_element(&d, 0x08000020, data, 64);
    gen_dfuse_end(&d, 0x0483, 0xDF11);
    expect_format_error(d.b.buf, d.b.len, "overlapping data");
    gen_free(&d.b);

    /* Bytes past 4 GiB. */
    one_element(&d, 0, 0xFFFFFFF0, data, 64);
    expect_format_error(d.b.buf, d.b.len, "would place bytes past 0xFFFFFFFF");
    gen_free(&d.b);
}

/* ---- raw .bin and its DFU suffix ---- */

static void image_bin_suffix(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = real(APP, &len);
    gen_buf b = {0};
    gen_put(&b, bin, len);
    gen_add_suffix(&b, 0x1D50, 0x614E);

    cf_image img;
    cf_error err;
    cf_image_load_opts at_app = {
        .default_address = 0x08000000, .address = 0x08002000, .address_given = true};
    cf_error_reset(&err);
    assert_int_equal(cf_image_parse(b.buf, b.len, "x.bin", &at_app, &img, &err), CF_OK);
    assert_int_equal(img.format, CF_IMAGE_BIN);
    assert_true(img.had_suffix);
    assert_int_equal(img.suffix_vid, 0x1D50);
    assert_int_equal(img.suffix_pid, 0x614E);
    assert_int_equal(img.dfuse_alt, -1);
    assert_one_segment(&img, 0x08002000, bin, len);
    cf_image_free(&img);

    /* Without a suffix nothing is stripped. */
    assert_int_equal(parse(bin, len, &img, &err), CF_OK);
    assert_false(img.had_suffix);
    assert_one_segment(&img, 0x08000000, bin, len);
    cf_image_free(&img);

    /* A suffix whose CRC is wrong is an error, not data. */
    b.buf[b.len - 2] ^= 0xFF;
    expect_format_error(b.buf, b.len, "DFU suffix CRC does not match");
    gen_free(&b);
    free(bin);
}

static void image_bin_limits(void **state)
{
    (void)state;
    uint8_t d[512] = {0};
    cf_image img;
    cf_error err;
    cf_image_load_opts high = {.address = 0xFFFFFF00, .address_given = true};
    cf_error_reset(&err);
    assert_int_equal(cf_image_parse(d, sizeof(d), "high.bin", &high, &img, &err), CF_ERR_FORMAT);
    assert_non_null(
        strstr(err.message, "high.bin: 512 bytes at 0xFFFFFF00 would place bytes past 0xFFFFFFFF"));

    expect_format_error(d, 0, "is empty");

    /* Nothing but a (valid) suffix. */
    gen_buf only = {0};
    gen_add_suffix(&only, 0x0483, 0xDF11);
    expect_format_error(only.buf, only.len, "holds only a DFU suffix");
    gen_free(&only);

    uint8_t *big = calloc(CF_IMAGE_MAX_SIZE + 1, 1);
    assert_non_null(big);
    expect_format_error(big, CF_IMAGE_MAX_SIZE + 1, "more than the 4194304 allowed");
    /* Exactly the maximum is fine. */
    assert_int_equal(parse(big, CF_IMAGE_MAX_SIZE, &img, &err), CF_OK);
    assert_int_equal(cf_image_size(&img), CF_IMAGE_MAX_SIZE);
    cf_image_free(&img);
    free(big);
}

static void image_names(void **state)
{
    (void)state;
    assert_string_equal(cf_image_format_name(CF_IMAGE_BIN), "bin");
    assert_string_equal(cf_image_format_name(CF_IMAGE_HEX), "hex");
    assert_string_equal(cf_image_format_name(CF_IMAGE_DFUSE), "dfuse");
    assert_string_equal(cf_image_kind_name(CF_KIND_COMBINED), "combined");
    assert_string_equal(cf_image_kind_name(CF_KIND_APP), "app");
    assert_string_equal(cf_image_kind_name(CF_KIND_KATAPULT), "katapult");
    assert_string_equal(cf_image_kind_name(CF_KIND_DEPLOYER), "deployer");
    assert_string_equal(cf_image_kind_name(CF_KIND_UNKNOWN), "unknown");
    assert_string_equal(cf_iface_name(CF_IFACE_CAN), "can");
    assert_string_equal(cf_iface_name(CF_IFACE_USB), "usb");
    assert_null(cf_iface_name(CF_IFACE_UNKNOWN));
    cf_image empty = {0};
    assert_int_equal(cf_image_start(&empty), 0);
    assert_int_equal(cf_image_end(&empty), 0);
    assert_int_equal(cf_image_size(&empty), 0);
    cf_image_free(&empty);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(image_hex_roundtrip_real),
        cmocka_unit_test(image_hex_crlf_start_records),
        cmocka_unit_test(image_hex_gaps_and_order),
        cmocka_unit_test(image_hex_segment_address),
        cmocka_unit_test(image_hex_truncated_line),
        cmocka_unit_test(image_hex_bad_checksum),
        cmocka_unit_test(image_hex_overlap),
        cmocka_unit_test(image_hex_missing_eof),
        cmocka_unit_test(image_hex_other_errors),
        cmocka_unit_test(image_hex_record_shapes),
        cmocka_unit_test(image_hex_past_4gib),
        cmocka_unit_test(image_dfuse_roundtrip_real),
        cmocka_unit_test(image_dfuse_file_load),
        cmocka_unit_test(image_dfuse_as_tools_write_it),
        cmocka_unit_test(image_dfuse_as_tools_damaged),
        cmocka_unit_test(image_dfuse_bad_crc),
        cmocka_unit_test(image_dfuse_bad_prefix_size),
        cmocka_unit_test(image_dfuse_truncated_element),
        cmocka_unit_test(image_dfuse_element_past_end),
        cmocka_unit_test(image_dfuse_inconsistent_sizes),
        cmocka_unit_test(image_dfuse_frame_errors),
        cmocka_unit_test(image_dfuse_content_errors),
        cmocka_unit_test(image_bin_suffix),
        cmocka_unit_test(image_bin_limits),
        cmocka_unit_test(image_names),
    };
    return cmocka_run_group_tests_name("image_formats", tests, NULL, NULL);
}
