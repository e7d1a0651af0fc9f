/* --simulate SPEC parsing: valid forms and every kind of invalid input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "emu_helpers.h"

static cf_code parse(const char *spec, cf_emu_config *cfg, cf_error *err)
{
    cf_error_reset(err);
    return cf_emu_parse_spec(spec, cfg, err);
}

static void test_defaults(void **state)
{
    (void)state;
    cf_emu_config cfg;
    cf_error err;
    const char *empty[] = {"", NULL, "dfu"};
    for (size_t i = 0; i < 3; i++) {
        memset(&cfg, 0x5A, sizeof cfg);
        assert_int_equal(parse(empty[i], &cfg, &err), CF_OK);
        assert_int_equal(cfg.chip, CF_EMU_CHIP_F042);
        assert_null(cfg.flash_path);
        assert_int_equal(cfg.fault, CF_EMU_FAULT_NONE);
        assert_int_equal(cfg.appear_ms, 0);
        assert_true(cfg.timing);
        assert_false(cfg.start_in_error);
        assert_int_equal(cfg.not_erased_status, 0x06);
    }
}

static void test_valid(void **state)
{
    (void)state;
    cf_emu_config cfg;
    cf_error err;
    assert_int_equal(parse("dfu:g431", &cfg, &err), CF_OK);
    assert_int_equal(cfg.chip, CF_EMU_CHIP_G431);
    assert_int_equal(parse("dfu:f042", &cfg, &err), CF_OK);
    assert_int_equal(cfg.chip, CF_EMU_CHIP_F042);
    assert_false(cfg.mainboard);
    /* A mainboard's ROM alone, or next to the probe. */
    assert_int_equal(parse("dfu:f446", &cfg, &err), CF_OK);
    assert_int_equal(cfg.chip, CF_EMU_CHIP_F446);
    assert_false(cfg.mainboard);
    assert_int_equal(parse("dfu:g431,mainboard=f446,timing=off", &cfg, &err), CF_OK);
    assert_int_equal(cfg.chip, CF_EMU_CHIP_G431);
    assert_true(cfg.mainboard);
    assert_int_equal(cfg.mainboard_chip, CF_EMU_CHIP_F446);

    assert_int_equal(
        parse("dfu,flash=/tmp/x y.bin,fault=stall@3,appear=2,timing=off,start=error", &cfg, &err),
        CF_OK);
    assert_string_equal(cfg.flash_path, "/tmp/x y.bin");
    assert_ptr_equal(cfg.flash_path, cfg.flash_path_buf);
    assert_int_equal(cfg.fault, CF_EMU_FAULT_STALL);
    assert_int_equal(cfg.fault_at, 3);
    assert_int_equal(cfg.appear_ms, 2000);
    assert_false(cfg.timing);
    assert_true(cfg.start_in_error);

    /* Order is free; the chip word is optional. */
    assert_int_equal(parse("fault=bitflip,dfu:g431", &cfg, &err), CF_OK);
    assert_int_equal(cfg.fault, CF_EMU_FAULT_BITFLIP);
    assert_int_equal(cfg.fault_at, 1); /* @N defaults to 1 */
    assert_int_equal(cfg.chip, CF_EMU_CHIP_G431);

    static const struct {
        const char *spec;
        cf_emu_fault fault;
        unsigned at;
    } faults[] = {
        {"fault=stall", CF_EMU_FAULT_STALL, 1},
        {"fault=timeout@2", CF_EMU_FAULT_TIMEOUT, 2},
        {"fault=errwrite@15", CF_EMU_FAULT_ERRWRITE, 15},
        {"fault=errerase@30", CF_EMU_FAULT_ERRERASE, 30},
        {"fault=bitflip@7", CF_EMU_FAULT_BITFLIP, 7},
        {"fault=disconnect@4", CF_EMU_FAULT_DISCONNECT, 4},
    };
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        assert_int_equal(parse(faults[i].spec, &cfg, &err), CF_OK);
        assert_int_equal(cfg.fault, faults[i].fault);
        assert_int_equal(cfg.fault_at, faults[i].at);
    }

    static const struct {
        const char *spec;
        unsigned ms;
    } appear[] = {
        {"appear=0", 0},       {"appear=2", 2000},   {"appear=0.5", 500},
        {"appear=1.25", 1250}, {"appear=0.0019", 1}, {"appear=3600", 3600000},
    };
    for (size_t i = 0; i < sizeof appear / sizeof appear[0]; i++) {
        assert_int_equal(parse(appear[i].spec, &cfg, &err), CF_OK);
        assert_int_equal(cfg.appear_ms, appear[i].ms);
    }
    assert_int_equal(parse("timing=on,start=idle", &cfg, &err), CF_OK);
    assert_true(cfg.timing);
    assert_false(cfg.start_in_error);
}

static void test_invalid(void **state)
{
    (void)state;
    static const char *bad[] = {
        "foo",
        "dfu:f103",
        "dfu:F446",
        "dfu,mainboard=",
        "dfu,mainboard=h723",
        "dfu,mainboard=f446,mainboard=f446",
        "DFU",
        "dfu:",
        "dfu,",
        ",dfu",
        "dfu,,timing=on",
        "flash=",
        "fault=",
        "fault=stall@",
        "fault=stall@0",
        "fault=stall@-1",
        "fault=stall@x",
        "fault=melt@2",
        "fault=@2",
        "appear=",
        "appear=-1",
        "appear=1e3",
        "appear=.5",
        "appear=1.",
        "appear=3601",
        "appear=abc",
        "timing=yes",
        "timing=",
        "start=busy",
        "speed=fast",
        "dfu,dfu:g431",
        "timing=on,timing=off",
        "=x",
        "fault=stall@99999999999999999999",
        "dfu flash=x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cf_emu_config cfg;
        cf_error err;
        cf_code rc = parse(bad[i], &cfg, &err);
        if (rc != CF_ERR_USAGE) {
            fail_msg("spec \"%s\": got %d, want CF_ERR_USAGE", bad[i], (int)rc);
        }
        assert_non_null(strstr(err.message, "--simulate"));
        /* The hint lists the valid forms. */
        assert_non_null(strstr(err.hint, "dfu:g431"));
        assert_non_null(strstr(err.hint, "fault="));
        assert_non_null(strstr(err.hint, "appear=SECONDS"));
        /* cfg is left at the defaults, never half-filled. */
        assert_int_equal(cfg.fault, CF_EMU_FAULT_NONE);
        assert_null(cfg.flash_path);
    }
}

static void test_katapult_unsupported(void **state)
{
    (void)state;
    const char *specs[] = {"katapult-can", "katapult-usb", "katapult-can,fault=stall@2"};
    for (size_t i = 0; i < 3; i++) {
        cf_emu_config cfg;
        cf_error err;
        assert_int_equal(parse(specs[i], &cfg, &err), CF_ERR_UNSUPPORTED);
        assert_non_null(strstr(err.message, "Katapult"));
        assert_true(err.hint[0] != '\0');
    }
}

static void test_long_path(void **state)
{
    (void)state;
    static char spec[5000];
    cf_emu_config cfg;
    cf_error err;
    strcpy(spec, "flash=");
    memset(spec + 6, 'a', 4095);
    spec[6 + 4095] = '\0';
    assert_int_equal(parse(spec, &cfg, &err), CF_OK);
    assert_int_equal(strlen(cfg.flash_path), 4095);
    memset(spec + 6, 'a', 4096);
    spec[6 + 4096] = '\0';
    assert_int_equal(parse(spec, &cfg, &err), CF_ERR_USAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),  cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),   cmocka_unit_test(test_katapult_unsupported),
        cmocka_unit_test(test_long_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
