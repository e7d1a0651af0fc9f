/* cf_dfuse_parse_layout(): real ROM strings and malformed ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dfu/dfu.h"

static void test_f042_flash(void **state)
{
    (void)state;
    cf_dfuse_layout l;
    cf_error err = {0};
    assert_int_equal(cf_dfuse_parse_layout("@Internal Flash  /0x08000000/032*0001Kg", &l, &err),
                     CF_OK);
    assert_string_equal(l.name, "Internal Flash");
    assert_int_equal(l.segment_count, 1);
    /* "032" is thirty-two, not octal 26. */
    assert_int_equal(l.segments[0].page_count, 32);
    assert_int_equal(l.segments[0].page_size, 1024);
    assert_int_equal(l.segments[0].start, 0x08000000);
    assert_int_equal(l.segments[0].type, CF_DFUSE_READABLE | CF_DFUSE_ERASABLE | CF_DFUSE_WRITABLE);
    assert_int_equal(cf_dfuse_segment_end(&l.segments[0]), 0x08008000);
    assert_ptr_equal(cf_dfuse_find(&l, 0x08000000), &l.segments[0]);
    assert_ptr_equal(cf_dfuse_find(&l, 0x08007FFF), &l.segments[0]);
    assert_null(cf_dfuse_find(&l, 0x08008000));
    assert_null(cf_dfuse_find(&l, 0x07FFFFFF));
}

static void test_f042_option_bytes(void **state)
{
    (void)state;
    cf_dfuse_layout l;
    cf_error err = {0};
    assert_int_equal(cf_dfuse_parse_layout("@Option Bytes  /0x1FFFF800/01*016 e", &l, &err), CF_OK);
    assert_string_equal(l.name, "Option Bytes");
    assert_int_equal(l.segment_count, 1);
    assert_int_equal(l.segments[0].start, 0x1FFFF800);
    assert_int_equal(l.segments[0].page_size, 16);
    assert_int_equal(l.segments[0].page_count, 1);
    assert_int_equal(l.segments[0].type, CF_DFUSE_READABLE | CF_DFUSE_WRITABLE);
}

static void test_f4_multi_segment(void **state)
{
    (void)state;
    cf_dfuse_layout l;
    cf_error err = {0};
    assert_int_equal(
        cf_dfuse_parse_layout("@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg", &l, &err),
        CF_OK);
    assert_int_equal(l.segment_count, 3);
    assert_int_equal(l.segments[0].start, 0x08000000);
    assert_int_equal(l.segments[0].page_size, 16 * 1024);
    assert_int_equal(l.segments[1].start, 0x08010000);
    assert_int_equal(l.segments[1].page_size, 64 * 1024);
    assert_int_equal(l.segments[2].start, 0x08020000);
    assert_int_equal(l.segments[2].page_count, 7);
    assert_int_equal(cf_dfuse_segment_end(&l.segments[2]), 0x08100000);
    assert_ptr_equal(cf_dfuse_find(&l, 0x08012345), &l.segments[1]);

    /* Several address blocks, 'B' multiplier, upper-case type, 'M'. */
    assert_int_equal(
        cf_dfuse_parse_layout(
            "@OTP Memory /0x1FFF7800/01*512 g,01*016 g/0x20000000/2*1Ma/0x40000000/3*4Bd", &l,
            &err),
        CF_OK);
    assert_string_equal(l.name, "OTP Memory");
    assert_int_equal(l.segment_count, 4);
    assert_int_equal(l.segments[1].start, 0x1FFF7A00);
    assert_int_equal(l.segments[1].page_size, 16);
    assert_int_equal(l.segments[2].start, 0x20000000);
    assert_int_equal(l.segments[2].page_size, 1024 * 1024);
    assert_int_equal(l.segments[2].type, CF_DFUSE_READABLE);
    assert_int_equal(l.segments[3].page_size, 4);
    assert_int_equal(l.segments[3].type, CF_DFUSE_WRITABLE);
}

static void test_g4_strings(void **state)
{
    (void)state;
    cf_dfuse_layout l;
    cf_error err = {0};
    /* STM32G431 system bootloader (AN2606: 128 KiB, 2 KiB pages). */
    assert_int_equal(cf_dfuse_parse_layout("@Internal Flash   /0x08000000/64*02Kg", &l, &err),
                     CF_OK);
    assert_string_equal(l.name, "Internal Flash");
    assert_int_equal(l.segments[0].page_count, 64);
    assert_int_equal(l.segments[0].page_size, 2048);
    assert_int_equal(cf_dfuse_segment_end(&l.segments[0]), 0x08020000);
    assert_int_equal(
        cf_dfuse_parse_layout("@Option Bytes   /0x1FFF7800/01*048 e/0x1FFFF800/01*048 e", &l, &err),
        CF_OK);
    assert_int_equal(l.segment_count, 2);
    assert_int_equal(l.segments[1].start, 0x1FFFF800);
    assert_int_equal(l.segments[1].page_size, 48);
    /* Type letter straight after the size: bytes. */
    assert_int_equal(cf_dfuse_parse_layout("@Device Feature/0xFFFF0000/01*004e", &l, &err), CF_OK);
    assert_int_equal(l.segments[0].page_size, 4);
    assert_int_equal(l.segments[0].type, CF_DFUSE_READABLE | CF_DFUSE_WRITABLE);
}

static void expect_bad(const char *text, const char *needle)
{
    cf_dfuse_layout l;
    cf_error err = {0};
    assert_int_equal(cf_dfuse_parse_layout(text, &l, &err), CF_ERR_FORMAT);
    assert_int_equal(err.code, CF_ERR_FORMAT);
    if (!strstr(err.message, needle))
        fail_msg("\"%s\": message \"%s\" lacks \"%s\"", text, err.message, needle);
}

static void test_malformed(void **state)
{
    (void)state;
    expect_bad("", "expected '@'");
    expect_bad("Internal Flash /0x08000000/032*0001Kg", "expected '@'");
    expect_bad("@Internal Flash", "no address block");
    expect_bad("@Flash/", "0x");
    expect_bad("@Flash/08000000/032*0001Kg", "0x");
    expect_bad("@Flash/0x/032*0001Kg", "0x");
    expect_bad("@Flash/0x123456789/1*1Kg", "0x");
    expect_bad("@Flash/0x08000000", "'/' after the start address");
    expect_bad("@Flash/0x08000000/", "page count");
    expect_bad("@Flash/0x08000000/032", "'*'");
    expect_bad("@Flash/0x08000000/032*", "page size");
    expect_bad("@Flash/0x08000000/032*0001", "multiplier");
    expect_bad("@Flash/0x08000000/032*0001Q", "multiplier");
    expect_bad("@Flash/0x08000000/032*0001K", "type letter");
    expect_bad("@Flash/0x08000000/032*0001Kz", "type letter");
    expect_bad("@Flash/0x08000000/032*0001Kgx", "after the memory type");
    expect_bad("@Flash/0x08000000/032*0001Kg,", "page count");
    expect_bad("@Flash/0x08000000/000*0001Kg", "no pages");
    expect_bad("@Flash/0x08000000/1*0Kg", "no pages");
    expect_bad("@Flash/0x08000000/99999*1Kg", "page count");
    expect_bad("@Flash/0xFFFFF000/8*1Kg", "4 GiB");
    expect_bad("@Flash/0x08000000/65535*999Mg", "4 GiB");
    expect_bad("@X/0x0/1*1Kg,1*1Kg,1*1Kg,1*1Kg,1*1Kg,1*1Kg,1*1Kg,1*1Kg,1*1Kg,1*1Kg,1*1Kg,1*1Kg,"
               "1*1Kg,1*1Kg,1*1Kg,1*1Kg,1*1Kg",
               "too many segments");
}

/* Hostile layouts that used to parse: blocks in reverse order (a backup then
 * read from the first start to the last end, 0x08000000 - 0x08008000 wrapped
 * to ~4 GiB), overlapping blocks, and more memory than any STM32 has. */
static void test_unordered_and_oversized(void **state)
{
    (void)state;
    expect_bad("@Internal Flash /0x08004000/16*1Kg/0x08000000/16*1Kg", "in address order");
    expect_bad("@Internal Flash /0x08000000/32*1Kg/0x08004000/16*1Kg", "in address order");
    expect_bad("@Internal Flash /0x08000000/5*1Mg", "more than 4 MiB");
    expect_bad("@Internal Flash /0x08000000/2*1Mg/0x20000000/2*1Mg/0x30000000/1*1Ka",
               "more than 4 MiB");
    cf_dfuse_layout l;
    cf_error err = {0};
    assert_int_equal(cf_dfuse_parse_layout("@Internal Flash /0x08000000/4*1Mg", &l, &err), CF_OK);
    assert_int_equal(cf_dfuse_contiguous_bytes(&l), 4u * 1024u * 1024u);
    /* adjacent blocks are one memory; a gap ends what a whole-memory read covers */
    assert_int_equal(
        cf_dfuse_parse_layout("@F /0x08000000/16*1Kg/0x08004000/16*1Kg/0x08010000/1*1Kg", &l, &err),
        CF_OK);
    assert_int_equal(cf_dfuse_contiguous_bytes(&l), 32u * 1024u);
}

static void test_trailing_slash_and_long_name(void **state)
{
    (void)state;
    cf_dfuse_layout l;
    cf_error err = {0};
    assert_int_equal(cf_dfuse_parse_layout("@Flash/0x08000000/16*1Kg/", &l, &err), CF_OK);
    assert_int_equal(l.segment_count, 1);
    char text[256];
    memset(text, 'N', sizeof(text));
    text[0] = '@';
    strcpy(text + 200, "/0x08000000/16*1Kg");
    assert_int_equal(cf_dfuse_parse_layout(text, &l, &err), CF_OK);
    assert_int_equal(strlen(l.name), sizeof(l.name) - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f042_flash),
        cmocka_unit_test(test_f042_option_bytes),
        cmocka_unit_test(test_f4_multi_segment),
        cmocka_unit_test(test_g4_strings),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_unordered_and_oversized),
        cmocka_unit_test(test_trailing_slash_and_long_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
