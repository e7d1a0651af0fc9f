/* Inspection of every real firmware file in CF_FIRMWARE_DIR (both trees),
 * checked against a table built by hand and, independently, against the
 * vendor's firmware_list.csv. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "image/image.h"
#include "image_gen.h"

typedef struct fw_expect {
    const char *path;
    cf_image_kind kind;
    const char *version; /* NULL: no dictionary */
    const char *mcu;
    cf_iface iface;
    uint32_t bitrate;
    uint32_t clock;
} fw_expect;

#include "firmware_table.h"

#define N_TABLE (sizeof(fw_table) / sizeof(fw_table[0]))

static bool app_linked(cf_image_kind k)
{
    return k == CF_KIND_APP || k == CF_KIND_DEPLOYER;
}

/* Loads a file below the firmware folder as a raw .bin placed at `addr`. */
static void load_at(const char *rel, uint32_t addr, cf_image *img)
{
    const char *dir = gen_firmware_dir();
    if (!dir)
        print_message("CF_FIRMWARE_DIR is not set\n");
    assert_non_null(dir);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    cf_image_load_opts o = {.default_address = 0x08000000, .address = addr, .address_given = true};
    cf_error err;
    cf_error_reset(&err);
    cf_code rc = cf_image_load(path, &o, img, &err);
    if (rc != CF_OK)
        print_message("%s: %s\n", rel, err.message);
    assert_int_equal(rc, CF_OK);
    assert_int_equal(img->format, CF_IMAGE_BIN);
}

static void check_row(const fw_expect *e)
{
    cf_image img;
    uint32_t addr = app_linked(e->kind) ? 0x08002000 : 0x08000000;
    load_at(e->path, addr, &img);
    cf_image_info info;
    cf_image_inspect(&img, &info);
    if (info.kind != e->kind)
        print_message("%s: kind %s, expected %s (%s)\n", e->path, cf_image_kind_name(info.kind),
                      cf_image_kind_name(e->kind), info.problems);
    assert_int_equal(info.kind, e->kind);
    assert_int_equal(info.load_address, addr);
    assert_int_equal(info.size, cf_image_size(&img));
    if (e->version) {
        assert_true(info.has_dictionary);
        assert_string_equal(info.version, e->version);
        assert_string_equal(info.mcu, e->mcu);
        assert_string_equal(info.app_name, "cartographer");
    } else {
        assert_false(info.has_dictionary);
        assert_string_equal(info.version, "");
        assert_string_equal(info.mcu, "");
    }
    assert_int_equal(info.iface, e->iface);
    assert_int_equal(info.can_bitrate, e->bitrate);
    assert_int_equal(info.clock_freq, e->clock);
    if (e->kind == CF_KIND_UNKNOWN) {
        /* Only the v1 RP2040 image is unknown. */
        assert_non_null(strstr(info.problems, "RP2040 UF2 image: not for STM32 DFU"));
        assert_int_equal(info.linked_address, 0);
    } else {
        /* Placed where it was linked: nothing to complain about. */
        assert_int_equal(info.linked_address, addr);
        if (info.problems[0])
            print_message("%s: %s\n", e->path, info.problems);
        assert_string_equal(info.problems, "");
        assert_true((info.initial_sp & 0xFFF00000u) == 0x20000000u);
        assert_true(info.reset_vector & 1);
    }
    if (e->kind == CF_KIND_KATAPULT)
        assert_string_equal(info.app_name, "katapult");
    /* Katapult's own link always agrees with the interface of the image. */
    if (e->kind == CF_KIND_COMBINED || e->kind == CF_KIND_KATAPULT || e->kind == CF_KIND_DEPLOYER)
        assert_int_equal(info.katapult_iface, e->iface);
    else
        assert_int_equal(info.katapult_iface, CF_IFACE_UNKNOWN);
    if (e->kind == CF_KIND_COMBINED)
        assert_int_equal(info.app_address, 0x08002000);
    if (e->kind == CF_KIND_DEPLOYER)
        assert_true(info.katapult_offset > 0 && info.katapult_offset < info.size);
    cf_image_free(&img);
}

static void image_firmware_table(void **state)
{
    (void)state;
    unsigned per_kind[5] = {0};
    for (size_t i = 0; i < N_TABLE; i++) {
        check_row(&fw_table[i]);
        per_kind[fw_table[i].kind]++;
    }
    /* Both trees: 2 UF2, 50 combined, 96 apps, 16 Katapult, 12 deployers. */
    assert_int_equal(per_kind[CF_KIND_UNKNOWN], 2);
    assert_int_equal(per_kind[CF_KIND_COMBINED], 50);
    assert_int_equal(per_kind[CF_KIND_APP], 96);
    assert_int_equal(per_kind[CF_KIND_KATAPULT], 16);
    assert_int_equal(per_kind[CF_KIND_DEPLOYER], 12);
}

/* The two examples the issue names, exactly. */
static void image_firmware_issue_examples(void **state)
{
    (void)state;
    cf_image img;
    cf_image_info info;
    load_at("cartographer-klipper/firmware/v2-v3/combined-firmware/5.1.0/"
            "Full_Survey_Cartographer_CAN_1M_5_1_0.bin",
            0x08000000, &img);
    cf_image_inspect(&img, &info);
    assert_string_equal(info.version, "CARTOGRAPHER 5.1.0");
    assert_string_equal(info.mcu, "stm32f042x6");
    assert_string_equal(cf_iface_name(info.iface), "can");
    assert_int_equal(info.can_bitrate, 1000000);
    assert_string_equal(cf_image_kind_name(info.kind), "combined");
    assert_int_equal(info.size, 29980);
    assert_int_equal(info.initial_sp, 0x200017F8);
    assert_int_equal(info.reset_vector, 0x080000C9);
    assert_int_equal(info.linked_address, 0x08000000);
    cf_image_free(&img);

    load_at(
        "cartographer-klipper/firmware/v2-v3/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin",
        0x08002000, &img);
    cf_image_inspect(&img, &info);
    assert_string_equal(cf_image_kind_name(info.kind), "app");
    assert_string_equal(cf_iface_name(info.iface), "usb");
    assert_int_equal(info.can_bitrate, 0);
    assert_string_equal(info.version, "CARTOGRAPHER 5.1.0");
    assert_int_equal(info.linked_address, 0x08002000);
    cf_image_free(&img);
}

/* A raw .bin placed somewhere other than where it was linked is noted. */
static void image_firmware_misplaced(void **state)
{
    (void)state;
    cf_image img;
    cf_image_info info;
    load_at(
        "cartographer-klipper/firmware/v2-v3/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin",
        0x08000000, &img);
    cf_image_inspect(&img, &info);
    assert_int_equal(info.kind, CF_KIND_APP);
    assert_int_equal(info.load_address, 0x08000000);
    assert_int_equal(info.linked_address, 0x08002000);
    assert_non_null(strstr(info.problems, "linked for 0x08002000 but placed at 0x08000000"));
    cf_image_free(&img);

    load_at("cartographer_firmware/firmware/v4/combined-firmware/6.1.0/"
            "Katapult_plus_CartographerV4_6.1.0_USB.bin",
            0x08002000, &img);
    cf_image_inspect(&img, &info);
    assert_int_equal(info.kind, CF_KIND_COMBINED);
    assert_non_null(strstr(info.problems, "linked for 0x08000000 but placed at 0x08002000"));
    assert_string_equal(info.katapult_version, "v0.0.1-104-gfcb2f84-dirty");
    cf_image_free(&img);
}

/* Every real deployer names the chip and link of the Katapult it installs by
 * its content alone (no dictionary): the stack pointer, and the peripheral. */
static void image_firmware_deployer_target(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        const char *mcu;
        cf_iface iface;
    } d[] = {
        {"cartographer_firmware/firmware/v2-v3/katapult-deployer/katapult-deployer-usb.bin",
         "stm32f042x6", CF_IFACE_USB},
        {"cartographer_firmware/firmware/v2-v3/katapult-deployer/katapult-deployer-1m.bin",
         "stm32f042x6", CF_IFACE_CAN},
        {"cartographer_firmware/firmware/v2-v3/katapult-deployer/katapult-deployer-250k.bin",
         "stm32f042x6", CF_IFACE_CAN},
        {"cartographer_firmware/firmware/v4/katapult-deployer/katapult_deployer_v4_USB.bin",
         "stm32g431xx", CF_IFACE_USB},
        {"cartographer_firmware/firmware/v4/katapult-deployer/katapult_deployer_v4_CAN_500K.bin",
         "stm32g431xx", CF_IFACE_CAN},
    };
    for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
        cf_image img;
        cf_image_info info;
        load_at(d[i].path, 0x08002000, &img);
        cf_image_inspect(&img, &info);
        assert_int_equal(info.kind, CF_KIND_DEPLOYER);
        assert_string_equal(info.mcu, "");                /* no dictionary ... */
        assert_string_equal(info.katapult_mcu, d[i].mcu); /* ... but the stack says */
        assert_string_equal(cf_image_target_mcu(&info), d[i].mcu);
        assert_int_equal(info.katapult_sp, cf_image_katapult_sp(d[i].mcu));
        assert_int_equal(info.katapult_iface, d[i].iface);
        cf_image_free(&img);
    }
    /* Only the exact value counts: an F042 stack one word lower names no chip. */
    assert_string_equal(cf_image_katapult_mcu(0x200017F8u), "stm32f042x6");
    assert_string_equal(cf_image_katapult_mcu(0x20007FF8u), "stm32g431xx");
    assert_null(cf_image_katapult_mcu(0x200017F4u));
    assert_null(cf_image_katapult_mcu(0x20001800u)); /* an app's stack, not Katapult's */
    assert_int_equal(cf_image_katapult_sp("stm32f446xx"), 0);
}

/* Facts about deployers and Katapult images found while studying them. */
static void image_firmware_katapult_details(void **state)
{
    (void)state;
    cf_image img;
    cf_image_info info;
    load_at("cartographer-klipper/firmware/v2-v3/katapult-deployer/katapult-deployer-usb.bin",
            0x08002000, &img);
    cf_image_inspect(&img, &info);
    assert_int_equal(info.kind, CF_KIND_DEPLOYER);
    assert_int_equal(info.katapult_offset, 0x538); /* F042 Katapult embedded here */
    assert_int_equal(info.reset_vector, 0x08002071);
    cf_image_free(&img);

    load_at("cartographer_firmware/firmware/v4/katapult-deployer/katapult_deployer_v4_USB.bin",
            0x08002000, &img);
    cf_image_inspect(&img, &info);
    assert_int_equal(info.kind, CF_KIND_DEPLOYER);
    assert_int_equal(info.katapult_offset, 0x5CC);
    assert_string_equal(info.katapult_version, "v0.0.1-104-gfcb2f84-dirty");
    cf_image_free(&img);

    /* Katapult_1m.bin is padded to 8 KiB with 0xFF: still bare Katapult. */
    load_at("cartographer-klipper/firmware/v2-v3/Katapult_1m.bin", 0x08000000, &img);
    cf_image_inspect(&img, &info);
    assert_int_equal(info.kind, CF_KIND_KATAPULT);
    assert_int_equal(info.size, 8192);
    assert_string_equal(info.katapult_version, ""); /* F042 builds carry none */
    cf_image_free(&img);

    /* Padding with erased flash is harmless; other bytes after 8 KiB are not. */
    size_t len;
    uint8_t *kat = gen_read_firmware("cartographer-klipper/firmware/v2-v3/Katapult_USB.bin", &len);
    assert_non_null(kat);
    uint8_t *padded = malloc(0x4000);
    assert_non_null(padded);
    memset(padded, 0xFF, 0x4000);
    memcpy(padded, kat, len);
    cf_image_load_opts o = {.default_address = 0x08000000};
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_image_parse(padded, 0x4000, "padded.bin", &o, &img, &err), CF_OK);
    cf_image_inspect(&img, &info);
    assert_int_equal(info.kind, CF_KIND_KATAPULT);
    assert_int_equal(info.iface, CF_IFACE_USB);
    assert_string_equal(info.problems, "");
    cf_image_free(&img);
    padded[0x3000] = 0x00;
    assert_int_equal(cf_image_parse(padded, 0x4000, "padded.bin", &o, &img, &err), CF_OK);
    cf_image_inspect(&img, &info);
    assert_int_equal(info.kind, CF_KIND_KATAPULT);
    assert_non_null(strstr(info.problems, "the part after 8 KiB is not an app"));
    cf_image_free(&img);
    free(padded);
    free(kat);
}

/* A combined image assembled here from a bare Katapult and a survey app is
 * recognised like the vendor's; a CAN Katapult with a USB app is flagged. */
static void image_firmware_assembled(void **state)
{
    (void)state;
    size_t klen, alen;
    uint8_t *usb_kat =
        gen_read_firmware("cartographer-klipper/firmware/v2-v3/Katapult_USB.bin", &klen);
    uint8_t *app = gen_read_firmware(
        "cartographer-klipper/firmware/v2-v3/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin",
        &alen);
    size_t clen;
    uint8_t *can_kat =
        gen_read_firmware("cartographer-klipper/firmware/v2-v3/Katapult_1m.bin", &clen);
    assert_non_null(usb_kat);
    assert_non_null(app);
    assert_non_null(can_kat);
    assert_true(klen <= 0x2000 && clen == 0x2000);

    uint8_t *full = malloc(0x2000 + alen);
    assert_non_null(full);
    memset(full, 0xFF, 0x2000);
    memcpy(full, usb_kat, klen);
    memcpy(full + 0x2000, app, alen);
    cf_image_load_opts o = {.default_address = 0x08000000};
    cf_image img;
    cf_image_info info;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_image_parse(full, 0x2000 + alen, "usb+usb.bin", &o, &img, &err), CF_OK);
    cf_image_inspect(&img, &info);
    assert_int_equal(info.kind, CF_KIND_COMBINED);
    assert_int_equal(info.iface, CF_IFACE_USB);
    assert_int_equal(info.katapult_iface, CF_IFACE_USB);
    assert_string_equal(info.version, "CARTOGRAPHER 5.1.0");
    assert_string_equal(info.problems, "");
    cf_image_free(&img);

    memcpy(full, can_kat, clen);
    assert_int_equal(cf_image_parse(full, 0x2000 + alen, "can+usb.bin", &o, &img, &err), CF_OK);
    cf_image_inspect(&img, &info);
    assert_int_equal(info.kind, CF_KIND_COMBINED);
    assert_int_equal(info.iface, CF_IFACE_USB);
    assert_int_equal(info.katapult_iface, CF_IFACE_CAN);
    assert_non_null(strstr(info.problems, "Katapult uses can but the app uses usb"));
    cf_image_free(&img);

    /* A bare Katapult that somehow carries a dictionary is suspicious. */
    memcpy(full, can_kat, clen);
    memcpy(full + 0x1300, app + 0x4C50, 0x829); /* the survey app's zlib dictionary */
    assert_int_equal(cf_image_parse(full, 0x2000, "kat+dict.bin", &o, &img, &err), CF_OK);
    cf_image_inspect(&img, &info);
    assert_int_equal(info.kind, CF_KIND_KATAPULT);
    assert_non_null(strstr(info.problems, "should not carry a Klipper data dictionary"));
    cf_image_free(&img);
    free(full);
    free(usb_kat);
    free(can_kat);
    free(app);
}

/* ---- cross-check with the vendor's own list ---- */

static char *next_field(char **p)
{
    char *start = *p, *comma = strchr(start, ',');
    if (comma) {
        *comma = '\0';
        *p = comma + 1;
    } else {
        *p = start + strlen(start);
    }
    return start;
}

static void image_firmware_csv(void **state)
{
    (void)state;
    size_t len;
    uint8_t *csv = gen_read_firmware("cartographer_firmware/firmware_list.csv", &len);
    assert_non_null(csv);
    char *text = malloc(len + 1);
    assert_non_null(text);
    memcpy(text, csv, len);
    text[len] = '\0';
    free(csv);

    unsigned rows = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
        if (strncmp(line, "filepath,", 9) == 0)
            continue;
        char *p = line;
        char *path = next_field(&p);
        next_field(&p); /* filename */
        char *type = next_field(&p);
        char *protocol = next_field(&p);
        next_field(&p); /* process */
        char *probe = next_field(&p);
        char *version = next_field(&p);
        char *speed = next_field(&p);

        char rel[1024];
        snprintf(rel, sizeof(rel), "cartographer_firmware/firmware/%s", path);
        bool combined = strcmp(type, "Cartographer + Katapult") == 0;
        cf_image img;
        load_at(rel, combined ? 0x08000000 : 0x08002000, &img);
        cf_image_info info;
        cf_image_inspect(&img, &info);
        assert_int_equal(info.kind, combined ? CF_KIND_COMBINED : CF_KIND_APP);
        assert_int_equal(info.iface, strcmp(protocol, "CAN") == 0 ? CF_IFACE_CAN : CF_IFACE_USB);
        assert_int_equal(info.can_bitrate, (uint32_t)strtoul(speed, NULL, 10));
        assert_non_null(strstr(info.version, version));
        assert_string_equal(info.mcu, strcmp(probe, "v4") == 0 ? "stm32g431xx" : "stm32f042x6");
        cf_image_free(&img);
        rows++;
    }
    free(text);
    assert_int_equal(rows, 74);
}

/* ---- the table covers every firmware file there is ---- */

static unsigned walked, unlisted;

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag != FTW_F)
        return 0;
    size_t n = strlen(path);
    if (n < 4 || (strcmp(path + n - 4, ".bin") != 0 && strcmp(path + n - 4, ".uf2") != 0))
        return 0;
    walked++;
    const char *rel = path + strlen(gen_firmware_dir()) + 1;
    for (size_t i = 0; i < N_TABLE; i++)
        if (strcmp(fw_table[i].path, rel) == 0)
            return 0;
    print_message("not in the table: %s\n", rel);
    unlisted++;
    return 0;
}

static void image_firmware_all_listed(void **state)
{
    (void)state;
    assert_non_null(gen_firmware_dir());
    walked = unlisted = 0;
    assert_int_equal(nftw(gen_firmware_dir(), visit, 16, FTW_PHYS), 0);
    assert_int_equal(unlisted, 0);
    assert_int_equal(walked, N_TABLE);
    assert_int_equal(walked, 176);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(image_firmware_table),
        cmocka_unit_test(image_firmware_issue_examples),
        cmocka_unit_test(image_firmware_misplaced),
        cmocka_unit_test(image_firmware_katapult_details),
        cmocka_unit_test(image_firmware_deployer_target),
        cmocka_unit_test(image_firmware_assembled),
        cmocka_unit_test(image_firmware_csv),
        cmocka_unit_test(image_firmware_all_listed),
    };
    return cmocka_run_group_tests_name("image_firmware", tests, NULL, NULL);
}
