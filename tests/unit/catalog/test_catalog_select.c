/* Classification and selection on the real firmware trees (CF_FIRMWARE_DIR)
 * and on small trees made here (lying names, ties). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog/archive.h"
#include "catalog/catalog.h"
#include "common/fileio.h"

static char klipper[512], firmware[512];

static cf_catalog *open_source(const char *src)
{
    cf_catalog_opts o = {.source = src, .offline = true};
    cf_catalog *cat = NULL;
    cf_error err;
    cf_error_reset(&err);
    if (cf_catalog_open(&o, &cat, &err) != CF_OK)
        fail_msg("open %s: %s", src, err.message);
    return cat;
}

static cf_code pick(cf_catalog *cat, const cf_catalog_filter *f, cf_catalog_entry *e, cf_error *err)
{
    cf_error_reset(err);
    return cf_catalog_pick(cat, f, e, err);
}

static void test_dfu_pick_both_trees(void **state)
{
    (void)state;
    cf_catalog_filter f = {
        .mode = CF_CATALOG_DFU, .mcu = "stm32f042x6", .iface = CF_IFACE_CAN, .bitrate = 1000000};
    cf_catalog_entry e;
    cf_error err;
    cf_catalog *cat = open_source(klipper);
    assert_int_equal(pick(cat, &f, &e, &err), CF_OK);
    assert_string_equal(e.rel_path,
                        "v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_CAN_1M_5_1_0.bin");
    assert_string_equal(e.version, "CARTOGRAPHER 5.1.0");
    assert_int_equal(e.kind, CF_KIND_COMBINED);
    assert_int_equal(e.bitrate, 1000000);
    assert_int_equal(strlen(e.sha256), 64);
    assert_non_null(strstr(e.root->label, "cartographer-klipper/firmware"));

    /* no 500k combined image in this tree: say so, and say what exists */
    f.bitrate = 500000;
    assert_int_equal(pick(cat, &f, &e, &err), CF_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "no combined stm32f042x6 CAN 500000 bit/s image"));
    assert_non_null(strstr(err.hint, "1000000"));
    cf_catalog_close(cat);

    cat = open_source(firmware);
    f.bitrate = 1000000;
    assert_int_equal(pick(cat, &f, &e, &err), CF_OK);
    assert_string_equal(
        e.rel_path, "v2-v3/combined-firmware/6.1.0/Katapult_plus_CartographerV3_6.1.0_CAN_1M.bin");
    f.bitrate = 500000; /* this tree has one */
    assert_int_equal(pick(cat, &f, &e, &err), CF_OK);
    assert_string_equal(
        e.rel_path,
        "v2-v3/combined-firmware/6.1.0/Katapult_plus_CartographerV3_6.1.0_CAN_500K.bin");
    cf_catalog_close(cat);
}

static void test_never_guess(void **state)
{
    (void)state;
    cf_catalog *cat = open_source(firmware);
    cf_catalog_entry e;
    cf_error err;
    /* CAN without a bitrate */
    cf_catalog_filter f = {.mode = CF_CATALOG_DFU, .mcu = "stm32f042x6", .iface = CF_IFACE_CAN};
    assert_int_equal(pick(cat, &f, &e, &err), CF_ERR_AMBIGUOUS);
    assert_non_null(strstr(err.message, "bitrate is unknown"));
    assert_non_null(strstr(err.hint, "--bitrate"));
    /* interface left open */
    f = (cf_catalog_filter){.mode = CF_CATALOG_DFU, .mcu = "stm32g431xx", .bitrate = 1000000};
    assert_int_equal(pick(cat, &f, &e, &err), CF_ERR_AMBIGUOUS);
    assert_non_null(strstr(err.hint, "--interface"));
    /* probe left open */
    f = (cf_catalog_filter){.mode = CF_CATALOG_DFU, .iface = CF_IFACE_USB};
    assert_int_equal(pick(cat, &f, &e, &err), CF_ERR_AMBIGUOUS);
    assert_non_null(strstr(err.hint, "--mcu"));
    /* no mode */
    f = (cf_catalog_filter){.iface = CF_IFACE_USB, .mcu = "stm32g431xx"};
    assert_int_equal(pick(cat, &f, &e, &err), CF_ERR_USAGE);
    cf_catalog_close(cat);
}

static void test_variants(void **state)
{
    (void)state;
    cf_catalog_entry e;
    cf_error err;
    cf_catalog *cat = open_source(firmware);
    cf_catalog_filter f = {
        .mode = CF_CATALOG_DFU, .mcu = "stm32g431xx", .iface = CF_IFACE_CAN, .bitrate = 1000000};
    assert_int_equal(pick(cat, &f, &e, &err), CF_OK);
    assert_string_equal(e.rel_path,
                        "v4/combined-firmware/6.1.0/Katapult_plus_CartographerV4_6.1.0_CAN_1M.bin");
    assert_false(e.lite);
    f.lite = true;
    assert_int_equal(pick(cat, &f, &e, &err), CF_OK);
    assert_string_equal(
        e.rel_path,
        "v4/combined-firmware/6.1.0/Katapult_plus_CartographerV4_6.1.0_CAN_1M_lite.bin");
    assert_true(e.lite);
    /* Katapult updates: newest app image by the image's own version */
    f = (cf_catalog_filter){.mode = CF_CATALOG_KATAPULT,
                            .mcu = "stm32g431xx",
                            .iface = CF_IFACE_CAN,
                            .bitrate = 1000000};
    assert_int_equal(pick(cat, &f, &e, &err), CF_OK);
    assert_string_equal(e.rel_path,
                        "v4/firmware/6.2.0/CartographerV4_6.2.0_CAN_1M_full_8kib_offset.bin");
    assert_int_equal(e.kind, CF_KIND_APP);
    cf_catalog_close(cat);

    cat = open_source(klipper);
    f = (cf_catalog_filter){.mode = CF_CATALOG_DFU, .mcu = "stm32f042x6", .iface = CF_IFACE_USB};
    assert_int_equal(pick(cat, &f, &e, &err), CF_OK);
    assert_false(e.kseries);
    assert_string_equal(e.rel_path,
                        "v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_USB_5_1_0.bin");
    f.kseries = true;
    assert_int_equal(pick(cat, &f, &e, &err), CF_OK);
    assert_true(e.kseries);
    assert_string_equal(
        e.rel_path,
        "v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_CrealityK1_USB_5_1_0.bin");
    /* high temperature: only with the flag */
    f = (cf_catalog_filter){.mode = CF_CATALOG_KATAPULT,
                            .mcu = "stm32g431xx",
                            .iface = CF_IFACE_CAN,
                            .bitrate = 1000000};
    assert_int_equal(pick(cat, &f, &e, &err), CF_ERR_NOT_FOUND);
    f.high_temp = true;
    assert_int_equal(pick(cat, &f, &e, &err), CF_OK);
    assert_string_equal(e.rel_path,
                        "v2-v3/survey/5.1.0/HT/Survey_Cartographer_CAN_1000000_8kib_offset.bin");
    assert_true(e.high_temp);
    cf_catalog_close(cat);
}

static void test_list_and_reasons(void **state)
{
    (void)state;
    cf_catalog *cat = open_source(klipper);
    cf_catalog_filter f = {.mode = CF_CATALOG_DFU};
    cf_catalog_entry *v;
    size_t n;
    assert_int_equal(cf_catalog_list(cat, &f, &v, &n, NULL), CF_OK);
    assert_true(n >= 6);
    for (size_t i = 0; i < n; i++) {
        assert_false(v[i].excluded);
        assert_int_equal(v[i].kind, CF_KIND_COMBINED);
        assert_false(v[i].kseries);
        if (i) /* newest first */
            assert_true(!v[i].has_semver || !v[i - 1].has_semver ||
                        v[i - 1].semver[0] * 10000 + v[i - 1].semver[1] * 100 +
                                v[i - 1].semver[2] >=
                            v[i].semver[0] * 10000 + v[i].semver[1] * 100 + v[i].semver[2]);
    }
    cf_catalog_free_list(v);

    f.all = true;
    assert_int_equal(cf_catalog_list(cat, &f, &v, &n, NULL), CF_OK);
    bool saw_uf2 = false, saw_k1 = false, saw_app = false, saw_note = false;
    for (size_t i = 0; i < n; i++) {
        if (!v[i].excluded)
            continue;
        assert_true(v[i].reason[0] != '\0');
        if (strstr(v[i].rel_path, ".uf2")) {
            saw_uf2 = true;
            assert_non_null(strstr(v[i].reason, "not a Cartographer STM32 image"));
        }
        if (strcmp(v[i].rel_path, "v2-v3/combined-firmware/5.1.0/"
                                  "Full_Survey_Cartographer_CrealityK1_USB_5_1_0.bin") == 0) {
            saw_k1 = true;
            assert_non_null(strstr(v[i].reason, "--kseries"));
        }
        if (v[i].kind == CF_KIND_APP) {
            saw_app = true;
            assert_non_null(strstr(v[i].reason, "app image, not combined"));
        }
    }
    /* a name that lies about the version: content wins, disagreement noted */
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].rel_path,
                   "v2-v3/combined-firmware/4.0.0/Full_Cartographer_CAN_1M_4_0_1.bin") == 0) {
            saw_note = true;
            assert_string_equal(v[i].version, "Cartographer 4.0.0");
            assert_non_null(strstr(v[i].notes, "path says version 4.0.1"));
        }
    }
    assert_true(saw_uf2 && saw_k1 && saw_app && saw_note);
    cf_catalog_free_list(v);
    cf_catalog_close(cat);
}

static void test_manifest_and_hints(void **state)
{
    (void)state;
    cf_catalog *cat = open_source(firmware);
    cf_catalog_filter f = {.all = true};
    cf_catalog_entry *v;
    size_t n;
    assert_int_equal(cf_catalog_list(cat, &f, &v, &n, NULL), CF_OK);
    bool saw_k1 = false, saw_deployer = false;
    for (size_t i = 0; i < n; i++) {
        /* the manifest calls K1 images lite; their own version does not */
        if (strcmp(v[i].rel_path,
                   "v2-v3/survey/5.1.0/Survey_Cartographer_K1_USB_8kib_offset.bin") == 0) {
            saw_k1 = true;
            assert_true(v[i].kseries);
            assert_false(v[i].lite);
            assert_non_null(strstr(v[i].notes, "manifest says lite"));
        }
        /* a deployer has no dictionary: its bitrate comes from its name, flagged */
        if (strcmp(v[i].rel_path, "v4/katapult-deployer/katapult_deployer_v4_CAN_250K.bin") == 0) {
            saw_deployer = true;
            assert_int_equal(v[i].kind, CF_KIND_DEPLOYER);
            assert_string_equal(v[i].mcu, "stm32g431xx");
            assert_int_equal(v[i].bitrate, 250000);
            assert_true(v[i].from_hint & CF_HINT_BITRATE);
            assert_non_null(strstr(v[i].notes, "file name"));
        }
    }
    assert_true(saw_k1 && saw_deployer);
    cf_catalog_free_list(v);
    cf_catalog_close(cat);
}

/* ---- trees made here ---- */

static void copy_file(const char *from, const char *to)
{
    uint8_t *data;
    size_t size;
    assert_int_equal(cf_read_file(from, 8u << 20, &data, &size, NULL), CF_OK);
    assert_int_equal(cf_write_file_atomic(to, data, size, NULL), CF_OK);
    free(data);
}

static void test_lying_names(void **state)
{
    (void)state;
    char dir[] = "/tmp/cf_catalog_lies.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char from[768], to[768];
    /* a USB combined image under a name saying CAN 1M, and a CAN 250k app named USB */
    snprintf(from, sizeof(from),
             "%s/v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_USB_5_1_0.bin", klipper);
    snprintf(to, sizeof(to), "%s/Full_Survey_Cartographer_CAN_1M_5_1_0.bin", dir);
    copy_file(from, to);
    snprintf(from, sizeof(from),
             "%s/v2-v3/survey/5.1.0/Survey_Cartographer_CAN_250000_8kib_offset.bin", klipper);
    snprintf(to, sizeof(to), "%s/Survey_Cartographer_USB_8kib_offset.bin", dir);
    copy_file(from, to);

    cf_catalog *cat = open_source(dir);
    cf_catalog_filter f = {.all = true};
    cf_catalog_entry *v;
    size_t n;
    assert_int_equal(cf_catalog_list(cat, &f, &v, &n, NULL), CF_OK);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        if (strstr(v[i].rel_path, "Full_")) {
            assert_int_equal(v[i].iface, CF_IFACE_USB);
            assert_int_equal(v[i].kind, CF_KIND_COMBINED);
            assert_non_null(strstr(v[i].notes, "file name says CAN, the content is USB"));
        } else {
            assert_int_equal(v[i].iface, CF_IFACE_CAN);
            assert_int_equal(v[i].bitrate, 250000);
            assert_non_null(strstr(v[i].notes, "file name says USB, the content is CAN"));
        }
    }
    cf_catalog_free_list(v);
    /* asking for the CAN 1M image the name promises finds nothing */
    cf_catalog_entry e;
    cf_error err;
    f = (cf_catalog_filter){
        .mode = CF_CATALOG_DFU, .mcu = "stm32f042x6", .iface = CF_IFACE_CAN, .bitrate = 1000000};
    assert_int_equal(pick(cat, &f, &e, &err), CF_ERR_NOT_FOUND);
    f = (cf_catalog_filter){.mode = CF_CATALOG_KATAPULT,
                            .mcu = "stm32f042x6",
                            .iface = CF_IFACE_CAN,
                            .bitrate = 250000};
    assert_int_equal(pick(cat, &f, &e, &err), CF_OK);
    assert_string_equal(e.rel_path, "Survey_Cartographer_USB_8kib_offset.bin");
    cf_catalog_close(cat);
    assert_int_equal(cf_remove_tree(dir, NULL), CF_OK);
}

static void test_ties_and_single_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/cf_catalog_ties.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char from[768], to[768];
    snprintf(from, sizeof(from),
             "%s/v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_USB_5_1_0.bin", klipper);
    snprintf(to, sizeof(to), "%s/a.bin", dir);
    copy_file(from, to);
    snprintf(to, sizeof(to), "%s/b.bin", dir);
    copy_file(from, to);
    cf_catalog_filter f = {.mode = CF_CATALOG_DFU, .mcu = "stm32f042x6", .iface = CF_IFACE_USB};
    cf_catalog_entry e;
    cf_error err;
    /* the same bytes twice: no real choice */
    cf_catalog *cat = open_source(dir);
    assert_int_equal(pick(cat, &f, &e, &err), CF_OK);
    cf_catalog_close(cat);
    /* different bytes, same version: ambiguous */
    snprintf(from, sizeof(from),
             "%s/v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_CrealityK1_USB_5_1_0.bin",
             klipper);
    snprintf(to, sizeof(to), "%s/b.bin", dir);
    copy_file(from, to);
    /* the K1 image is only a candidate with --kseries; make a second non-K1 one by
     * copying a 5.1.0 image with other bytes: the CAN one, asked with no interface */
    snprintf(from, sizeof(from),
             "%s/v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_CAN_1M_5_1_0.bin", klipper);
    snprintf(to, sizeof(to), "%s/c.bin", dir);
    copy_file(from, to);
    cat = open_source(dir);
    f.iface = CF_IFACE_CAN;
    f.bitrate = 1000000;
    assert_int_equal(pick(cat, &f, &e, &err), CF_OK);
    assert_string_equal(e.rel_path, "c.bin");
    cf_catalog_close(cat);
    snprintf(to, sizeof(to), "%s/d.bin", dir);
    snprintf(from, sizeof(from),
             "%s/v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_CAN_1M_5_1_0.bin",
             firmware);
    copy_file(from, to);
    /* d.bin has the same bytes as c.bin in both trees? then still fine; make it differ */
    uint8_t *data;
    size_t size;
    assert_int_equal(cf_read_file(to, 8u << 20, &data, &size, NULL), CF_OK);
    data[size - 1] ^= 0xFF; /* last byte: padding, content still classifies the same */
    assert_int_equal(cf_write_file_atomic(to, data, size, NULL), CF_OK);
    free(data);
    cat = open_source(dir);
    assert_int_equal(pick(cat, &f, &e, &err), CF_ERR_AMBIGUOUS);
    assert_non_null(strstr(err.message, "two different images are the newest"));
    cf_catalog_close(cat);

    /* a single file as the source */
    cat = open_source(to);
    assert_int_equal(cf_catalog_root_count(cat), 1);
    assert_non_null(strstr(cf_catalog_root_at(cat, 0)->label, "file "));
    assert_int_equal(pick(cat, &f, &e, &err), CF_OK);
    assert_string_equal(e.rel_path, "d.bin");
    assert_string_equal(e.abs_path, to);
    cf_catalog_close(cat);
    assert_int_equal(cf_remove_tree(dir, NULL), CF_OK);
}

static void test_local_clones(void **state)
{
    (void)state;
    char home[] = "/tmp/cf_catalog_home.XXXXXX";
    assert_non_null(mkdtemp(home));
    char link[600], target[600];
    snprintf(link, sizeof(link), "%s/cartographer-klipper", home);
    snprintf(target, sizeof(target), "%s/..", klipper); /* the clone's root */
    assert_int_equal(symlink(target, link), 0);
    snprintf(link, sizeof(link), "%s/cartographer_firmware", home);
    snprintf(target, sizeof(target), "%s/..", firmware);
    assert_int_equal(symlink(target, link), 0);
    cf_catalog_opts o = {.home = home, .offline = true};
    cf_catalog *cat;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_catalog_open(&o, &cat, &err), CF_OK);
    assert_int_equal(cf_catalog_root_count(cat), 2);
    assert_non_null(strstr(cf_catalog_root_at(cat, 0)->label, "local clone "));
    assert_non_null(strstr(cf_catalog_root_at(cat, 1)->label, "cartographer_firmware"));
    /* the newest F042 CAN 1M combined image of both clones */
    cf_catalog_filter f = {
        .mode = CF_CATALOG_DFU, .mcu = "stm32f042x6", .iface = CF_IFACE_CAN, .bitrate = 1000000};
    cf_catalog_entry e;
    assert_int_equal(pick(cat, &f, &e, &err), CF_OK);
    assert_ptr_equal(e.root, cf_catalog_root_at(cat, 1));
    assert_non_null(strstr(e.rel_path, "6.1.0"));
    cf_catalog_close(cat);
    assert_int_equal(cf_remove_tree(home, NULL), CF_OK);
}

int main(void)
{
    const char *dir = getenv("CF_FIRMWARE_DIR");
    if (!dir) {
        fputs("CF_FIRMWARE_DIR is not set\n", stderr);
        return 1;
    }
    snprintf(klipper, sizeof(klipper), "%s/cartographer-klipper/firmware", dir);
    snprintf(firmware, sizeof(firmware), "%s/cartographer_firmware/firmware", dir);
    char real[512];
    if (realpath(klipper, real))
        snprintf(klipper, sizeof(klipper), "%s", real);
    if (realpath(firmware, real))
        snprintf(firmware, sizeof(firmware), "%s", real);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dfu_pick_both_trees),
        cmocka_unit_test(test_never_guess),
        cmocka_unit_test(test_variants),
        cmocka_unit_test(test_list_and_reasons),
        cmocka_unit_test(test_manifest_and_hints),
        cmocka_unit_test(test_lying_names),
        cmocka_unit_test(test_ties_and_single_file),
        cmocka_unit_test(test_local_clones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
