/* The flash plan: touched pages, targets padded with 0xFF, differential diff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "flash/flash.h"
#include "flash/flash_internal.h"

static uint8_t seg_a[1500], seg_b[10];

static cf_image two_segments(cf_image_segment segs[2])
{
    memset(seg_a, 0x11, sizeof(seg_a));
    memset(seg_b, 0x22, sizeof(seg_b));
    segs[0] = (cf_image_segment){0x08000000u, sizeof(seg_a), seg_a};
    segs[1] = (cf_image_segment){0x08001005u, sizeof(seg_b), seg_b}; /* page 4, after a gap */
    return (cf_image){
        .format = CF_IMAGE_HEX, .segments = segs, .segment_count = 2, .dfuse_alt = -1};
}

static void test_plan_pages_and_targets(void **state)
{
    (void)state;
    cf_image_segment segs[2];
    cf_image img = two_segments(segs);
    cf_flash_plan plan;
    assert_int_equal(cf_flash_plan_build(&img, 1024, &plan, NULL), CF_OK);
    assert_int_equal(plan.start, 0x08000000u);
    assert_int_equal(plan.page_count, 5);
    /* Pages 0,1 hold segment a; 2,3 are a gap (left alone); 4 holds segment b. */
    assert_true(plan.touched[0] && plan.touched[1] && plan.touched[4]);
    assert_false(plan.touched[2] || plan.touched[3]);
    assert_int_equal(plan.target[0], 0x11);
    assert_int_equal(plan.target[1499], 0x11);
    assert_int_equal(plan.target[1500], 0xFF); /* rest of page 1 is erased content */
    assert_int_equal(plan.target[4 * 1024 + 4], 0xFF);
    assert_int_equal(plan.target[4 * 1024 + 5], 0x22);
    cf_flash_plan_free(&plan);
}

static void test_plan_diff(void **state)
{
    (void)state;
    cf_image_segment segs[2];
    cf_image img = two_segments(segs);
    cf_flash_plan plan;
    assert_int_equal(cf_flash_plan_build(&img, 1024, &plan, NULL), CF_OK);
    /* Device already holds the targets: nothing changes unless forced. */
    memcpy(plan.current, plan.target, plan.page_count * 1024);
    memset(plan.current + 2 * 1024, 0x00, 2 * 1024); /* gap pages differ but are not touched */
    assert_int_equal(cf_flash_plan_diff(&plan, false), 0);
    assert_int_equal(cf_flash_plan_diff(&plan, true), 3);
    /* One byte differs in page 1 only. */
    plan.current[1024 + 7] ^= 1;
    assert_int_equal(cf_flash_plan_diff(&plan, false), 1);
    assert_true(plan.changed[1]);
    assert_false(plan.changed[0] || plan.changed[4]);
    cf_flash_plan_free(&plan);
}

static void test_plan_rejects_bad_page_size(void **state)
{
    (void)state;
    cf_image_segment segs[2];
    cf_image img = two_segments(segs);
    cf_flash_plan plan;
    cf_error err = {0};
    assert_int_equal(cf_flash_plan_build(&img, 1000, &plan, &err), CF_ERR_PROTOCOL);
    assert_non_null(strstr(err.message, "page size"));
}

static cf_usb_dfu_info device(const char *flash, const char *option_bytes)
{
    cf_usb_dfu_info d = {.vid = 0x0483, .pid = 0xdf11, .alt_count = 2};
    snprintf(d.alts[0].name, sizeof(d.alts[0].name), "%s", flash);
    snprintf(d.alts[1].name, sizeof(d.alts[1].name), "%s", option_bytes);
    d.alts[1].alt = 1;
    return d;
}

static void test_chip_from_device(void **state)
{
    (void)state;
    cf_usb_dfu_info d =
        device("@Internal Flash  /0x08000000/032*0001Kg", "@Option Bytes  /0x1FFFF800/01*016 e");
    const cf_chip *chip = cf_chip_from_device(&d);
    assert_non_null(chip);
    assert_string_equal(chip->mcu, "stm32f042x6");
    d = device("@Internal Flash   /0x08000000/64*02Kg", "@Option Bytes   /0x1FFF7800/01*40Be");
    chip = cf_chip_from_device(&d);
    assert_non_null(chip);
    assert_string_equal(chip->mcu, "stm32g431xx");
    /* An F072 has the G431's flash geometry but F0 option bytes: not ours. */
    d = device("@Internal Flash  /0x08000000/064*0002Kg", "@Option Bytes  /0x1FFFF800/01*016 e");
    assert_null(cf_chip_from_device(&d));
    d = device("garbage", "@Option Bytes  /0x1FFFF800/01*016 e");
    assert_null(cf_chip_from_device(&d));
    d.alt_count = 0;
    assert_null(cf_chip_from_device(&d));
}

static void test_blank(void **state)
{
    (void)state;
    uint8_t page[16];
    memset(page, 0xFF, sizeof(page));
    assert_true(cf_flash_page_blank(page, sizeof(page)));
    page[15] = 0xFE;
    assert_false(cf_flash_page_blank(page, sizeof(page)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_pages_and_targets),
        cmocka_unit_test(test_plan_diff),
        cmocka_unit_test(test_plan_rejects_bad_page_size),
        cmocka_unit_test(test_chip_from_device),
        cmocka_unit_test(test_blank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
