/* Unit tests of the catalogue's small parsers: semantic versions and variant
 * words, file-name hints, and the firmware_list.csv reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "catalog/cache.h"
#include "catalog/hints.h"
#include "catalog/manifest.h"
#include "catalog/version.h"

static void test_semver_parse(void **state)
{
    (void)state;
    int v[3];
    assert_true(cf_semver_parse("CARTOGRAPHER V4 6.1.0 lite", v));
    assert_int_equal(v[0], 6);
    assert_int_equal(v[1], 1);
    assert_int_equal(v[2], 0);
    assert_true(cf_semver_parse("Cartographer 4.0.0", v));
    assert_int_equal(v[0], 4);
    assert_true(cf_semver_parse("CARTOGRAPHER 5.0.0 K1", v));
    assert_int_equal(v[0], 5);
    assert_true(cf_semver_parse("x 10.12", v));
    assert_int_equal(v[0], 10);
    assert_int_equal(v[1], 12);
    assert_int_equal(v[2], 0);
    /* not versions: a lone model number, four parts, trailing dot, letters */
    assert_false(cf_semver_parse("CARTOGRAPHER V3", v));
    assert_false(cf_semver_parse("1.2.3.4", v));
    assert_false(cf_semver_parse("6.1.", v));
    assert_false(cf_semver_parse("6.1a.0", v));
    assert_false(cf_semver_parse("v6.1.0", v)); /* "v6" is not a number */
    assert_false(cf_semver_parse("", v));
    assert_false(cf_semver_parse(NULL, v));
    assert_false(cf_semver_parse("123456.1.0", v)); /* absurdly long part */
}

static void test_semver_cmp(void **state)
{
    (void)state;
    int a[3] = {6, 1, 0}, b[3] = {6, 0, 9}, c[3] = {10, 0, 0}, d[3] = {6, 1, 0};
    assert_true(cf_semver_cmp(true, a, true, b) > 0);
    assert_true(cf_semver_cmp(true, b, true, a) < 0);
    assert_true(cf_semver_cmp(true, c, true, a) > 0); /* numeric, not text: 10 > 6 */
    assert_int_equal(cf_semver_cmp(true, a, true, d), 0);
    assert_true(cf_semver_cmp(false, a, true, b) < 0); /* no version sorts last */
    assert_true(cf_semver_cmp(true, b, false, a) > 0);
    assert_int_equal(cf_semver_cmp(false, a, false, c), 0);
}

static void test_version_flags(void **state)
{
    (void)state;
    cf_version_flags f;
    cf_version_flags_parse("CARTOGRAPHER V4 6.0.0 Lite", &f);
    assert_true(f.lite);
    assert_false(f.kseries);
    assert_false(f.high_temp);
    cf_version_flags_parse("CARTOGRAPHER K1 5.1.0", &f);
    assert_true(f.kseries);
    assert_false(f.lite);
    cf_version_flags_parse("CARTOGRAPHER 5.0.0 K1", &f);
    assert_true(f.kseries);
    cf_version_flags_parse("Cartographer HT 5.1.0", &f);
    assert_true(f.high_temp);
    /* words, not substrings */
    cf_version_flags_parse("CARTOGRAPHER SATELLITE K10 HTTP 1.0.0", &f);
    assert_false(f.lite);
    assert_false(f.kseries);
    assert_false(f.high_temp);
}

static void test_name_hints(void **state)
{
    (void)state;
    cf_name_hints h;
    cf_name_hints_parse(
        "v4/combined-firmware/6.1.0/Katapult_plus_CartographerV4_6.1.0_CAN_500K_lite.bin", &h);
    assert_int_equal(h.kind, CF_KIND_COMBINED);
    assert_int_equal(h.iface, CF_IFACE_CAN);
    assert_int_equal(h.bitrate, 500000);
    assert_string_equal(h.mcu, "stm32g431xx");
    assert_true(h.lite);
    assert_true(h.has_semver);
    assert_int_equal(h.semver[0], 6);
    assert_int_equal(h.semver[1], 1);

    cf_name_hints_parse("v2-v3/survey/5.1.0/HT/Survey_Cartographer_USB_8kib_offset.bin", &h);
    assert_int_equal(h.kind, CF_KIND_APP);
    assert_int_equal(h.iface, CF_IFACE_USB);
    assert_string_equal(h.mcu, "stm32g431xx"); /* HT folder wins over v2-v3 */
    assert_true(h.high_temp);
    assert_true(h.has_semver);

    cf_name_hints_parse("v2-v3/Katapult_1m.bin", &h);
    assert_int_equal(h.kind, CF_KIND_KATAPULT);
    assert_int_equal(h.iface, CF_IFACE_CAN); /* a bitrate implies CAN */
    assert_int_equal(h.bitrate, 1000000);
    assert_string_equal(h.mcu, "stm32f042x6");

    cf_name_hints_parse("v2-v3/katapult-deployer/katapult-deployer-250k.bin", &h);
    assert_int_equal(h.kind, CF_KIND_DEPLOYER);
    assert_int_equal(h.bitrate, 250000);

    cf_name_hints_parse(
        "v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_CrealityK1_USB_5_1_0.bin", &h);
    assert_true(h.kseries);
    assert_int_equal(h.kind, CF_KIND_COMBINED);

    /* a Klipper version in a folder name is not the image's version */
    cf_name_hints_parse("v2-v3/archive/for Klipper older than v0-12-0-85/Cartographer_USB.bin", &h);
    assert_false(h.has_semver);

    cf_name_hints_parse("v2-v3/archive/x/Cartographer_USB_v3_12kib_offset.bin", &h);
    assert_int_equal(h.offset_kib, 12);
    assert_int_equal(h.kind, CF_KIND_APP);

    assert_int_equal(cf_bitrate_word("1M"), 1000000);
    assert_int_equal(cf_bitrate_word("1000k"), 1000000);
    assert_int_equal(cf_bitrate_word("250000"), 250000);
    assert_int_equal(cf_bitrate_word("8kib"), 0);
    assert_int_equal(cf_bitrate_word("300k"), 0);
    assert_int_equal(cf_bitrate_word("1"), 0);
}

/* ---- CSV ---- */

typedef struct rows {
    char text[2048];
    size_t count;
} rows;

static bool collect(void *ctx, size_t line, char **fields, size_t count, cf_error *err)
{
    (void)err;
    rows *r = ctx;
    size_t len = strlen(r->text);
    len += (size_t)snprintf(r->text + len, sizeof(r->text) - len, "%zu:", line);
    for (size_t i = 0; i < count; i++)
        len += (size_t)snprintf(r->text + len, sizeof(r->text) - len, "[%s]", fields[i]);
    snprintf(r->text + len, sizeof(r->text) - len, "\n");
    r->count++;
    return true;
}

static void test_csv_quoting(void **state)
{
    (void)state;
    const char *in = "a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\",\n\n\"multi\nline\",,z";
    rows r = {{0}, 0};
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_csv_parse(in, strlen(in), "t.csv", collect, &r, &err), CF_OK);
    assert_string_equal(r.text, "1:[a][b][c]\n2:[x,1][say \"hi\"][]\n4:[multi\nline][][z]\n");
}

static void test_csv_errors(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *needle;
    } bad[] = {
        {"a,b\n\"open,c\n", "never closed"},
        {"a,b\n\"x\"y,c\n", "after a closing quote"},
        {"a,b\nx\"y,c\n", "quote inside"},
        {"a\0b,c\n", "NUL"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rows r = {{0}, 0};
        cf_error err;
        cf_error_reset(&err);
        size_t len = i == 3 ? 6 : strlen(bad[i].in);
        assert_int_equal(cf_csv_parse(bad[i].in, len, "t.csv", collect, &r, &err), CF_ERR_FORMAT);
        assert_non_null(strstr(err.message, bad[i].needle));
        assert_non_null(strstr(err.message, "t.csv line"));
    }
    /* field and field-count limits */
    char *big = malloc(CF_CSV_MAX_FIELD + 16);
    memset(big, 'x', CF_CSV_MAX_FIELD + 8);
    big[CF_CSV_MAX_FIELD + 8] = '\0';
    rows r = {{0}, 0};
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_csv_parse(big, strlen(big), "t.csv", collect, &r, &err), CF_ERR_FORMAT);
    assert_non_null(strstr(err.message, "longer than"));
    char many[CF_CSV_MAX_FIELDS * 2 + 8];
    memset(many, ',', sizeof(many) - 1);
    many[sizeof(many) - 1] = '\0';
    cf_error_reset(&err);
    assert_int_equal(cf_csv_parse(many, strlen(many), "t.csv", collect, &r, &err), CF_ERR_FORMAT);
    assert_non_null(strstr(err.message, "fields"));
    free(big);
}

static void test_manifest(void **state)
{
    (void)state;
    const char *in = "\xEF\xBB\xBF"
                     "filepath,filename,firmware_type,protocol,process,probe_version,"
                     "firmware_version,can_speed,is_lite,min_plugin_version\n"
                     "v4/a.bin,a.bin,Cartographer,CAN,Update,v4,6.2.0,1000000,No,1.6.0\n"
                     "firmware/v2-v3/b.bin,b.bin,Cartographer + Katapult,USB,DFU,v3,5.1.0,,Yes,\n";
    cf_manifest m;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_manifest_parse(in, strlen(in), "list.csv", &m, &err), CF_OK);
    assert_int_equal(m.count, 2);
    const cf_manifest_row *a = cf_manifest_find(&m, "v4/a.bin");
    assert_non_null(a);
    assert_string_equal(a->protocol, "CAN");
    assert_int_equal(a->can_speed, 1000000);
    assert_int_equal(a->is_lite, 0);
    assert_string_equal(a->version, "6.2.0");
    assert_string_equal(a->min_plugin_version, "1.6.0");
    const cf_manifest_row *b = cf_manifest_find(&m, "v2-v3/b.bin"); /* prefix removed */
    assert_non_null(b);
    assert_string_equal(b->process, "DFU");
    assert_int_equal(b->can_speed, 0);
    assert_int_equal(b->is_lite, 1);
    assert_int_equal(b->line, 3);
    assert_string_equal(b->min_plugin_version, "");
    assert_null(cf_manifest_find(&m, "nope.bin"));
    cf_manifest_free(&m);

    /* a min_plugin_version that is not x.y.z is a broken list, named by line */
    static const char *const bad_min[] = {"1.6", "v1.6.0", "1.6.0 beta", "1.6.0.1", "latest"};
    for (size_t i = 0; i < sizeof(bad_min) / sizeof(bad_min[0]); i++) {
        char csv[160];
        snprintf(csv, sizeof(csv), "filepath,min_plugin_version\nx.bin,%s\n", bad_min[i]);
        cf_error_reset(&err);
        assert_int_equal(cf_manifest_parse(csv, strlen(csv), "m.csv", &m, &err), CF_ERR_FORMAT);
        assert_non_null(strstr(err.message, "m.csv line 2: min_plugin_version"));
    }

    /* columns found by name, in any order */
    const char *swapped = "can_speed,FilePath\n250000,x.bin\n";
    cf_error_reset(&err);
    assert_int_equal(cf_manifest_parse(swapped, strlen(swapped), "s.csv", &m, &err), CF_OK);
    assert_int_equal(m.rows[0].can_speed, 250000);
    assert_string_equal(m.rows[0].path, "x.bin");
    cf_manifest_free(&m);

    static const char *const bad[] = {
        "",
        "name,size\nx,1\n",
        "filepath,can_speed\nx.bin,fast\n",
        "filepath,can_speed\nx.bin,-5\n",
        "filepath,x\n,1\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cf_error_reset(&err);
        assert_int_equal(cf_manifest_parse(bad[i], strlen(bad[i]), "bad.csv", &m, &err),
                         CF_ERR_FORMAT);
        assert_true(err.message[0] != '\0');
        assert_null(m.rows);
    }
}

/* The real manifest of the cartographer_firmware repository. */
static void test_manifest_real(void **state)
{
    (void)state;
    const char *dir = getenv("CF_FIRMWARE_DIR");
    assert_non_null(dir);
    char path[1024];
    snprintf(path, sizeof(path), "%s/cartographer_firmware/firmware_list.csv", dir);
    cf_manifest m;
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_manifest_load(path, &m, &err), CF_OK);
    assert_int_equal(m.count, 74);
    const cf_manifest_row *r =
        cf_manifest_find(&m, "v4/firmware/6.2.0/CartographerV4_6.2.0_CAN_1M_lite_8kib_offset.bin");
    assert_non_null(r);
    assert_int_equal(r->can_speed, 1000000);
    assert_int_equal(r->is_lite, 1);
    assert_string_equal(r->probe_version, "v4");
    cf_manifest_free(&m);
}

static void test_cache_slug(void **state)
{
    (void)state;
    char a[200], b[200], c[200];
    cf_cache_slug(
        "https://codeload.github.com/Cartographer3D/cartographer-klipper/tar.gz/refs/heads/"
        "master",
        "master", a, sizeof(a));
    assert_int_equal(strncmp(a, "cartographer-klipper-master-", 28), 0);
    assert_int_equal(strlen(a), 28 + 8);
    /* another host, same repository name: another entry */
    cf_cache_slug(
        "https://mirror.example/Cartographer3D/cartographer-klipper/tar.gz/refs/heads/master",
        "master", b, sizeof(b));
    assert_string_not_equal(a, b);
    /* anything odd in a URL or branch becomes '_' (never a path separator) */
    cf_cache_slug("https://h/x/../evil.tar.gz?q=/a", "we/ird", c, sizeof(c));
    assert_null(strchr(c, '/'));
    assert_int_equal(strncmp(c, "evil-we_ird-", 12), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_semver_parse),  cmocka_unit_test(test_semver_cmp),
        cmocka_unit_test(test_version_flags), cmocka_unit_test(test_name_hints),
        cmocka_unit_test(test_csv_quoting),   cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_manifest),      cmocka_unit_test(test_manifest_real),
        cmocka_unit_test(test_cache_slug),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
