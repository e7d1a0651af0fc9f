/* The safety gates (cf_flash_check_gates): what firmware for a chip looks
 * like, what a refusal says the file is, what --force overrides and what it
 * never does, and that every real image in both firmware trees passes for the
 * chip and address it is meant for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "catalog/catalog.h"
#include "dfu/dfu.h"
#include "flash/flash.h"
#include "flash/flash_internal.h"
#include "image_gen.h"

/* The alt 0 strings of the two probes' ROM bootloaders (src/sim/emu_chips.c). */
#define F042_FLASH "@Internal Flash  /0x08000000/032*0001Kg"
#define G431_FLASH "@Internal Flash   /0x08000000/64*02Kg"
#define F042 "stm32f042x6"
#define G431 "stm32g431xx"

#define G431_COMBINED                                                                              \
    "cartographer_firmware/firmware/v4/combined-firmware/6.1.0/"                                   \
    "Katapult_plus_CartographerV4_6.1.0_CAN_1M.bin"
#define F042_COMBINED                                                                              \
    "cartographer_firmware/firmware/v2-v3/combined-firmware/5.1.0/"                                \
    "Full_Survey_Cartographer_CAN_1M_5_1_0.bin"
#define F042_APP                                                                                   \
    "cartographer_firmware/firmware/v2-v3/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin"
#define UF2 "cartographer_firmware/firmware/v1/carto-rp2040.uf2"

typedef struct notices {
    int warnings;
    char last[512];
} notices;

static void on_notice(void *user, bool warning, const char *text)
{
    notices *n = user;
    if (warning)
        n->warnings++;
    snprintf(n->last, sizeof(n->last), "%s", text);
}

/* Runs the gates as cf_flash_dfu() does for a device of this chip (NULL: a
 * DFU device that is not a Cartographer chip, with the G431's layout). */
static cf_code gate(const cf_image *img, const char *mcu, uint16_t vid, uint16_t pid, bool force,
                    notices *n, cf_error *err)
{
    const cf_chip *chip = mcu ? cf_chip_by_mcu(mcu) : NULL;
    if (mcu)
        assert_non_null(chip);
    cf_dfuse_layout layout;
    bool f042 = mcu && strcmp(mcu, F042) == 0;
    assert_int_equal(cf_dfuse_parse_layout(f042 ? F042_FLASH : G431_FLASH, &layout, NULL), CF_OK);
    cf_usb_dfu_info dev = {.vid = vid, .pid = pid};
    memset(n, 0, sizeof(*n));
    cf_flash_events ev = {.user = n, .notice = on_notice};
    cf_error_reset(err);
    return cf_flash_check_gates(img, chip, &dev, &layout, force, &ev, err);
}

static void parse(const uint8_t *buf, size_t len, uint32_t address, cf_image *img)
{
    cf_image_load_opts opts = {.default_address = address};
    cf_error err;
    cf_error_reset(&err);
    cf_code rc = cf_image_parse(buf, len, "test.bin", &opts, img, &err);
    if (rc != CF_OK)
        print_message("parse: %s\n", err.message);
    assert_int_equal(rc, CF_OK);
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

/* Refused without --force, the message containing `phrase`; with --force it
 * passes with a loud warning, or, when it does not fit, is refused still. */
static void expect_refused_at(const uint8_t *buf, size_t len, uint32_t address, const char *mcu,
                              const char *phrase)
{
    cf_image img;
    parse(buf, len, address, &img);
    notices n;
    cf_error err;
    cf_code rc = gate(&img, mcu, 0x0483, 0xDF11, false, &n, &err);
    if (rc != CF_ERR_GATE || !strstr(err.message, phrase))
        print_message("%s: want '%s', got %s: %s\n", mcu, phrase, cf_code_name(rc), err.message);
    assert_int_equal(rc, CF_ERR_GATE);
    assert_non_null(strstr(err.message, phrase));
    assert_non_null(strstr(err.hint, "Nothing was erased"));
    assert_non_null(strstr(err.hint, "--force"));

    const cf_chip *chip = cf_chip_by_mcu(mcu);
    bool fits = cf_image_end(&img) - chip->flash_start <= chip->flash_size;
    rc = gate(&img, mcu, 0x0483, 0xDF11, true, &n, &err);
    if (rc != (fits ? CF_OK : CF_ERR_GATE))
        print_message("%s forced: %s\n", mcu, err.message);
    assert_int_equal(rc, fits ? CF_OK : CF_ERR_GATE);
    if (!fits)
        assert_non_null(strstr(err.message, "not inside the device's writable flash"));
    assert_true(n.warnings >= 1);
    assert_non_null(strstr(n.last, "WARNING: --force overrides a safety check"));
    cf_image_free(&img);
}

static void expect_refused(const uint8_t *buf, size_t len, const char *mcu, const char *phrase)
{
    expect_refused_at(buf, len, 0x08000000, mcu, phrase);
}

/* A fixed pseudo-random sequence (xorshift32), so a failure repeats. */
static void random_bytes(uint8_t *out, size_t len)
{
    uint32_t x = 0x2545F491u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = (uint8_t)(x >> 24);
    }
}

static void test_refuses_random_data(void **state)
{
    (void)state;
    static uint8_t buf[40000];
    random_bytes(buf, sizeof(buf));
    expect_refused(buf, sizeof(buf), G431, "random or encrypted data");
    expect_refused(buf, 20000, F042, "random or encrypted data");
    expect_refused(buf, 1024, F042, "random or encrypted data");
    expect_refused(buf + 5000, 3000, G431, "random or encrypted data");
}

static void test_refuses_uf2(void **state)
{
    (void)state;
    size_t len;
    uint8_t *uf2 = real(UF2, &len);
    expect_refused(uf2, len, G431, "RP2040 UF2");
    expect_refused(uf2, len, G431, "copying the .uf2 to the RPI-RP2 drive");
    expect_refused(uf2, len, F042, "RP2040 UF2");
    free(uf2);
}

/* An ELF file holding a real image: ELF header (System V ABI: e_ident, then
 * the 32-bit header fields), then the image bytes as its one section. */
static void test_refuses_elf(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = real(G431_COMBINED, &len);
    gen_buf elf = {0};
    uint8_t head[52] = {0x7F, 'E', 'L', 'F', 1, 1, 1, 0};
    head[16] = 2;  /* ET_EXEC */
    head[18] = 40; /* EM_ARM */
    head[20] = 1;  /* EV_CURRENT */
    gen_put(&elf, head, sizeof(head));
    gen_put(&elf, bin, len);
    expect_refused(elf.buf, elf.len, G431, "an ELF file");
    expect_refused(elf.buf, elf.len, G431, "use the .bin");
    gen_free(&elf);
    free(bin);
}

static void test_other_contents_named(void **state)
{
    (void)state;
    static uint8_t buf[8192];
    memset(buf, 0xFF, sizeof(buf));
    expect_refused(buf, sizeof(buf), F042, "erased flash");
    memset(buf, 0, sizeof(buf));
    expect_refused(buf, sizeof(buf), F042, "all 0x00");
    const char html[] = "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head></html>\n";
    expect_refused((const uint8_t *)html, sizeof(html) - 1, G431, "an HTML page");
    const char text[] = "version https://git-lfs.github.com/spec/v1\noid sha256:0123\n";
    expect_refused((const uint8_t *)text, sizeof(text) - 1, G431, "a text file");
    /* A HEX file behind a byte order mark is not taken for HEX by the loader. */
    const char hex[] = "\xEF\xBB\xBF:020000040800F2\n:00000001FF\n";
    expect_refused((const uint8_t *)hex, sizeof(hex) - 1, G431, "Intel HEX text");
    uint8_t gz[64] = {0x1F, 0x8B, 8, 0};
    random_bytes(gz + 10, sizeof(gz) - 10);
    expect_refused(gz, sizeof(gz), G431, "gzip-compressed");
    uint8_t zip[64] = {'P', 'K', 3, 4};
    expect_refused(zip, sizeof(zip), G431, "a zip archive");
}

/* The vector table's rules, on a real image with one word changed: an app
 * (Klipper sets SP to the very end of RAM) at 0x08002000, and a combined
 * image for the Thumb bit. */
static void test_vector_table_rules(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = real(F042_APP, &len);
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    cf_image img;
    notices n;
    cf_error err;

    /* The stack may start at the very end of the 6 KiB, not one word past. */
    memcpy(copy, bin, len);
    assert_int_equal(copy[0] | copy[1] << 8 | copy[2] << 16 | (uint32_t)copy[3] << 24, 0x20001800u);
    parse(copy, len, 0x08002000, &img);
    assert_int_equal(gate(&img, F042, 0x0483, 0xDF11, false, &n, &err), CF_OK);
    assert_int_equal(n.warnings, 0);
    cf_image_free(&img);

    gen_put_le32(copy, 0x20001804);
    expect_refused_at(copy, len, 0x08002000, F042,
                      "initial stack pointer 0x20001804, is not in the stm32f042x6");
    expect_refused_at(copy, len, 0x08002000, F042, "built for a chip with more SRAM");
    gen_put_le32(copy, 0x20000000); /* no stack at all */
    expect_refused_at(copy, len, 0x08002000, F042, "not in the stm32f042x6's SRAM");
    gen_put_le32(copy, 0x200017FA); /* not word aligned */
    expect_refused_at(copy, len, 0x08002000, F042, "not in the stm32f042x6's SRAM");

    /* An app whose reset vector points past its end. */
    memcpy(copy, bin, len);
    gen_put_le32(copy + 4, 0x08002000u + (uint32_t)len + 0x101u);
    expect_refused_at(copy, len, 0x08002000, F042, "points outside the image");
    free(copy);
    free(bin);

    /* Reset vector: Thumb bit clear. */
    bin = real(F042_COMBINED, &len);
    gen_put_le32(bin + 4, 0x080000C8);
    expect_refused(bin, len, F042, "Thumb bit (bit 0) clear");
    free(bin);
}

/* A bare Katapult, and a deployer, carry no dictionary; the stack Katapult's
 * linker script sets (8 bytes below the end of the RAM its build knows) tells
 * the chip. */
#define F042_KATAPULT "cartographer-klipper/firmware/v2-v3/Katapult_USB.bin"
#define F042_DEPLOYER                                                                              \
    "cartographer_firmware/firmware/v2-v3/katapult-deployer/katapult-deployer-usb.bin"
#define G431_KATAPULT "cartographer_firmware/firmware/v4/katapult/Katapult_V4_CAN_1M.bin"

static void test_katapult_built_for_the_chip(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = real(F042_KATAPULT, &len);
    cf_image img;
    notices n;
    cf_error err;
    parse(bin, len, 0x08000000, &img);
    assert_int_equal(gate(&img, F042, 0x0483, 0xDF11, false, &n, &err), CF_OK);
    cf_image_free(&img);
    expect_refused(bin, len, G431, "this Katapult bootloader starts its stack at 0x200017F8");
    expect_refused(bin, len, G431, "it was built for the stm32f042x6 (Cartographer v2/v3)");
    /* One word lower is not Katapult's own layout either. */
    gen_put_le32(bin, 0x200017F0);
    expect_refused(bin, len, F042, "Katapult for the stm32f042x6 starts it at 0x200017F8");
    free(bin);

    bin = real(G431_KATAPULT, &len);
    expect_refused(bin, len, F042, "not in the stm32f042x6's SRAM");
    free(bin);

    bin = real(F042_DEPLOYER, &len);
    parse(bin, len, 0x08002000, &img);
    assert_int_equal(img.segments[0].address, 0x08002000);
    assert_int_equal(gate(&img, F042, 0x0483, 0xDF11, false, &n, &err), CF_OK);
    cf_image_free(&img);
    expect_refused_at(bin, len, 0x08002000, G431, "the Katapult bootloader it contains");
    free(bin);
}

/* Cortex-M vectors right for the chip, but no Klipper dictionary and no
 * Katapult signature: nothing says what it is. */
static void test_unknown_firmware_refused(void **state)
{
    (void)state;
    static uint8_t buf[16384];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 & 0x3F);
    gen_put_le32(buf, 0x20001000);
    gen_put_le32(buf + 4, 0x08000101);
    expect_refused(buf, 4096, F042, "no Klipper data dictionary");
    expect_refused(buf, 4096, G431, "no Klipper data dictionary");
    /* Code linked past the first 8 KiB (another board's bootloader offset) is
     * not taken for a Katapult update: it is just not known. */
    gen_put_le32(buf + 4, 0x08003001);
    expect_refused(buf, sizeof(buf), G431, "no Klipper data dictionary");
}

/* Where an image may go and which chip it is for, on real images: an app
 * (Katapult update) image never at the start of flash, a combined image only
 * there, an image built for the other chip never; each named, and each
 * forceable with a warning (expect_refused_at) unless it then does not fit. */
static void test_placement_and_mcu(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *app = real(F042_APP, &len);
    expect_refused_at(app, len, 0x08000000, F042, "Katapult update image (linked for 0x08002000)");
    free(app);

    uint8_t *combined = real(F042_COMBINED, &len);
    expect_refused_at(combined, len, 0x08002000, F042,
                      "contains the Katapult bootloader and must start at 0x08000000");
    expect_refused(combined, len, G431,
                   "built for stm32f042x6 but the device is stm32g431xx (Cartographer v4/HT)");
    free(combined);

    uint8_t *g431 = real(G431_COMBINED, &len);
    expect_refused(g431, len, F042,
                   "built for stm32g431xx but the device is stm32f042x6 (Cartographer v2/v3)");
    free(g431);
}

static void with_suffix(const uint8_t *bin, size_t len, uint16_t vid, uint16_t pid, gen_buf *out)
{
    memset(out, 0, sizeof(*out));
    gen_put(out, bin, len);
    gen_add_suffix(out, vid, pid);
}

static void test_dfu_suffix_ids(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = real(G431_COMBINED, &len);
    static const uint16_t ok[][2] = {
        {0x0483, 0xDF11}, {0xFFFF, 0xFFFF}, {0x0483, 0xFFFF}, {0xFFFF, 0xDF11}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        gen_buf b;
        with_suffix(bin, len, ok[i][0], ok[i][1], &b);
        cf_image img;
        parse(b.buf, b.len, 0x08000000, &img);
        assert_true(img.had_suffix);
        notices n;
        cf_error err;
        assert_int_equal(gate(&img, G431, 0x0483, 0xDF11, false, &n, &err), CF_OK);
        assert_int_equal(n.warnings, 0);
        cf_image_free(&img);
        gen_free(&b);
    }
    gen_buf b;
    with_suffix(bin, len, 0x04D8, 0xBEA1, &b);
    expect_refused(b.buf, b.len, G431, "says it is for USB device 04d8:bea1");
    expect_refused(b.buf, b.len, G431, "this device is 0483:df11");
    gen_free(&b);
    with_suffix(bin, len, 0x0483, 0xDF12, &b);
    expect_refused(b.buf, b.len, G431, "for USB device 0483:df12");
    gen_free(&b);

    /* A DfuSe file's suffix counts the same. */
    gen_dfuse d;
    gen_dfuse_begin(&d);
    gen_dfuse_target(&d, 0, "ST...");
    gen_dfuse_element(&d, 0x08000000, bin, len);
    gen_dfuse_end_tools(&d, 0x1209, 0x0001);
    expect_refused(d.b.buf, d.b.len, G431, "for USB device 1209:0001");
    gen_free(&d.b);
    free(bin);
}

/* A device that is not a known Cartographer chip: the checks that need the
 * chip's facts say they could not be done; the others still hold. */
static void test_unknown_chip(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = real(G431_COMBINED, &len);
    cf_image img;
    notices n;
    cf_error err;
    parse(bin, len, 0x08000000, &img);
    assert_int_equal(gate(&img, NULL, 0x0483, 0xDF11, true, &n, &err), CF_OK);
    assert_int_equal(n.warnings, 1);
    assert_non_null(strstr(n.last, "chip is not known"));
    assert_non_null(strstr(n.last, "could not be checked"));
    cf_image_free(&img);

    static uint8_t buf[40000];
    random_bytes(buf, sizeof(buf));
    parse(buf, sizeof(buf), 0x08000000, &img);
    assert_int_equal(gate(&img, NULL, 0x0483, 0xDF11, false, &n, &err), CF_ERR_GATE);
    assert_non_null(strstr(err.message, "random or encrypted data"));
    cf_image_free(&img);
    free(bin);
}

/* --force never makes an image fit. */
static void test_does_not_fit_is_final(void **state)
{
    (void)state;
    static uint8_t buf[40000];
    random_bytes(buf, sizeof(buf));
    cf_image img;
    notices n;
    cf_error err;
    parse(buf, sizeof(buf), 0x08000000, &img);
    assert_int_equal(gate(&img, F042, 0x0483, 0xDF11, true, &n, &err), CF_ERR_GATE);
    assert_non_null(strstr(err.message, "not inside the device's writable flash"));
    assert_null(strstr(err.hint, "--force"));
    cf_image_free(&img);
}

/* Where an image of this kind goes: Katapult and combined images to the start
 * of flash, apps and deployers after the 8 KiB Katapult. */
static uint32_t address_for(cf_image_kind kind)
{
    return kind == CF_KIND_COMBINED || kind == CF_KIND_KATAPULT ? 0x08000000u : 0x08002000u;
}

/* Every image the catalogue finds in both trees: a Cartographer image of a
 * known kind and MCU passes for its chip at its address with no warning and
 * is refused for the other chip; anything else is refused on both. */
static void test_real_trees(void **state)
{
    (void)state;
    static const char *const trees[] = {"cartographer-klipper", "cartographer_firmware"};
    size_t passed = 0, refused = 0, other_refused = 0;
    for (size_t t = 0; t < 2; t++) {
        char dir[1024];
        assert_non_null(gen_firmware_dir());
        snprintf(dir, sizeof(dir), "%s/%s", gen_firmware_dir(), trees[t]);
        cf_catalog_opts o = {.source = dir, .offline = true};
        cf_catalog *cat = NULL;
        cf_error err;
        cf_error_reset(&err);
        assert_int_equal(cf_catalog_open(&o, &cat, &err), CF_OK);
        cf_catalog_filter f = {.all = true};
        cf_catalog_entry *v = NULL;
        size_t count = 0;
        assert_int_equal(cf_catalog_list(cat, &f, &v, &count, &err), CF_OK);
        assert_true(count > 40);
        for (size_t i = 0; i < count; i++) {
            const cf_catalog_entry *e = &v[i];
            bool known = e->kind != CF_KIND_UNKNOWN && e->mcu[0];
            cf_image img;
            cf_image_load_opts lo = {.default_address = address_for(e->kind)};
            cf_error_reset(&err);
            assert_int_equal(cf_image_load(e->abs_path, &lo, &img, &err), CF_OK);
            cf_image_info info;
            cf_image_inspect(&img, &info);
            notices n;
            if (known) {
                cf_code rc = gate(&img, e->mcu, 0x0483, 0xDF11, false, &n, &err);
                if (rc != CF_OK || n.warnings)
                    print_message("%s (%s %s): %s%s\n", e->abs_path, e->mcu,
                                  cf_image_kind_name(e->kind), err.message, n.last);
                assert_int_equal(rc, CF_OK);
                assert_int_equal(n.warnings, 0);
                passed++;
                const char *other = strcmp(e->mcu, F042) == 0 ? G431 : F042;
                cf_code rc_other = gate(&img, other, 0x0483, 0xDF11, false, &n, &err);
                if (rc_other != CF_ERR_GATE)
                    print_message("%s passes on the %s too\n", e->abs_path, other);
                assert_int_equal(rc_other, CF_ERR_GATE);
                other_refused++;
            } else {
                assert_int_equal(gate(&img, F042, 0x0483, 0xDF11, false, &n, &err), CF_ERR_GATE);
                assert_int_equal(gate(&img, G431, 0x0483, 0xDF11, false, &n, &err), CF_ERR_GATE);
                refused++;
            }
            cf_image_free(&img);
        }
        cf_catalog_free_list(v);
        cf_catalog_close(cat);
    }
    print_message("real images: %zu pass, %zu refused on the other chip, %zu not firmware\n",
                  passed, other_refused, refused);
    assert_int_equal(other_refused, passed);
    /* 176 images in the two trees, 2 of them the v1 probe's .uf2. */
    assert_int_equal(passed + refused, 176);
    assert_int_equal(refused, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refuses_random_data),
        cmocka_unit_test(test_refuses_uf2),
        cmocka_unit_test(test_refuses_elf),
        cmocka_unit_test(test_other_contents_named),
        cmocka_unit_test(test_vector_table_rules),
        cmocka_unit_test(test_katapult_built_for_the_chip),
        cmocka_unit_test(test_unknown_firmware_refused),
        cmocka_unit_test(test_placement_and_mcu),
        cmocka_unit_test(test_dfu_suffix_ids),
        cmocka_unit_test(test_unknown_chip),
        cmocka_unit_test(test_does_not_fit_is_final),
        cmocka_unit_test(test_real_trees),
    };
    return cmocka_run_group_tests_name("flash_gates", tests, NULL, NULL);
}
