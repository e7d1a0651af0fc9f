/* The chip table: lookups by MCU name and by initial stack pointer, and the
 * derived figures the flash gates and the emulators rely on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/chips.h"

static void test_by_mcu(void **state)
{
    (void)state;
    const cf_chip *f = cf_chip_by_mcu("stm32f042x6"), *g = cf_chip_by_mcu("stm32g431xx");
    assert_non_null(f);
    assert_non_null(g);
    assert_null(cf_chip_by_mcu("stm32f446xx"));
    assert_null(cf_chip_by_mcu(NULL));
    assert_int_equal(cf_chip_flash_end(f), 0x08008000u);
    assert_int_equal(cf_chip_flash_end(g), 0x08020000u);
    assert_int_equal(f->page_program_us, 27392u);
    assert_int_equal(g->page_program_us, 20915u);
    assert_ptr_equal(cf_chip_at(0), f);
    assert_ptr_equal(cf_chip_at(1), g);
    assert_null(cf_chip_at(2));
}

static void test_by_stack(void **state)
{
    (void)state;
    assert_null(cf_chip_by_stack(0x20000000u));
    assert_string_equal(cf_chip_by_stack(0x20000004u)->mcu, "stm32f042x6");
    assert_string_equal(cf_chip_by_stack(0x20001800u)->mcu, "stm32f042x6");
    assert_string_equal(cf_chip_by_stack(0x20001804u)->mcu, "stm32g431xx");
    assert_string_equal(cf_chip_by_stack(0x20008000u)->mcu, "stm32g431xx");
    assert_null(cf_chip_by_stack(0x20008004u));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_by_mcu),
        cmocka_unit_test(test_by_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
