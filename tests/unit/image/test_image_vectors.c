/* The vector-table check against a chip's memory: every verdict, the edges
 * of SRAM and flash, and Katapult's signature before the reset handler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "image/vectors.h"

#define FLASH 0x08000000u
#define SRAM 0x20000000u

static uint8_t flash[1024];

static void put32(uint32_t off, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        flash[off + (uint32_t)i] = (uint8_t)(v >> (8 * i));
}

static cf_memmap map(void)
{
    return (cf_memmap){FLASH, sizeof(flash), SRAM, 0x1800u, flash};
}

static cf_vectors_verdict check(uint32_t sp, uint32_t pc)
{
    put32(0, sp);
    put32(4, pc);
    cf_memmap m = map();
    uint32_t s, p;
    return cf_vectors_check(&m, FLASH, &s, &p);
}

static void test_verdicts(void **state)
{
    (void)state;
    assert_int_equal(check(SRAM + 0x1800u, FLASH + 0x101u), CF_VECTORS_OK);
    assert_int_equal(check(0xFFFFFFFFu, 0xFFFFFFFFu), CF_VECTORS_ERASED);
    assert_int_equal(check(SRAM + 0x1804u, FLASH + 0x101u), CF_VECTORS_BAD_SP);
    assert_int_equal(check(SRAM, FLASH + 0x101u), CF_VECTORS_BAD_SP);
    assert_int_equal(check(SRAM + 0x1002u, FLASH + 0x101u), CF_VECTORS_BAD_SP);
    assert_int_equal(check(SRAM + 0x1000u, FLASH + 0x100u), CF_VECTORS_BAD_PC);
    assert_int_equal(check(SRAM + 0x1000u, FLASH + sizeof(flash) + 1u), CF_VECTORS_BAD_PC);
    cf_memmap m = map();
    uint32_t s, p;
    assert_int_equal(cf_vectors_check(&m, FLASH + sizeof(flash) - 4u, &s, &p), CF_VECTORS_OUTSIDE);
    assert_int_equal(cf_vectors_check(&m, FLASH - 8u, &s, &p), CF_VECTORS_OUTSIDE);
}

static void test_katapult(void **state)
{
    (void)state;
    memset(flash, 0xFF, sizeof(flash));
    cf_memmap m = map();
    assert_false(cf_vectors_katapult(&m, FLASH + 0x109u));
    memcpy(flash + 0x100, "CanBoot!", 8);
    assert_true(cf_vectors_katapult(&m, FLASH + 0x109u));
    assert_false(cf_vectors_katapult(&m, FLASH + 0x10Bu));
    assert_false(cf_vectors_katapult(&m, FLASH + 0x5u));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_katapult),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
