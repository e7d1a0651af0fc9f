/* The `cartoflash switch` state file: written, read back, and refused when
 * anything in it is off (it is read back as outside input). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "klipper/switchstate.h"

static void sample(cf_sw_state *st)
{
    memset(st, 0, sizeof(*st));
    st->from = CF_IFACE_USB;
    st->to = CF_IFACE_CAN;
    st->bitrate = 1000000;
    st->step = CF_SW_DEPLOYED;
    strcpy(st->mcu, "stm32f042x6");
    strcpy(st->serial, "16000C000F43304253373820");
    strcpy(st->uuid, "e0ef270ca188");
    strcpy(st->interface, "can0");
    strcpy(st->deployer, "/fw/v2-v3/katapult-deployer/katapult-deployer-1m.bin");
    st->lite = true;
}

static void test_round_trip(void **state)
{
    (void)state;
    cf_sw_state st, back;
    sample(&st);
    char text[1400];
    size_t n = cf_sw_state_format(&st, text, sizeof(text));
    assert_true(n > 0);
    cf_error err = {0};
    assert_true(cf_sw_state_parse(text, n, &back, &err));
    assert_int_equal(back.from, CF_IFACE_USB);
    assert_int_equal(back.to, CF_IFACE_CAN);
    assert_int_equal(back.bitrate, 1000000);
    assert_int_equal(back.step, CF_SW_DEPLOYED);
    assert_string_equal(back.mcu, "stm32f042x6");
    assert_string_equal(back.uuid, "e0ef270ca188");
    assert_string_equal(back.deployer, st.deployer);
    assert_true(back.lite);
    assert_false(back.kseries);
}

static void expect_refused(const char *text, const char *words)
{
    cf_sw_state st;
    cf_error err = {0};
    assert_false(cf_sw_state_parse(text, strlen(text), &st, &err));
    if (!strstr(err.message, words))
        fail_msg("'%s' lacks '%s'", err.message, words);
}

static void test_refused(void **state)
{
    (void)state;
    const char *base = "from=usb\nto=can\nbitrate=1000000\nmcu=stm32f042x6\n"
                       "serial=16000C000F43304253373820\n";
    char t[512];
    snprintf(t, sizeof(t), "%sstep=sideways\n", base);
    expect_refused(t, "line 6: bad value for step");
    snprintf(t, sizeof(t), "%sstep=app\nmcu=stm32f446xx\n", base);
    expect_refused(t, "bad value for mcu");
    snprintf(t, sizeof(t), "%sstep=app\nbitrate=2000000\n", base);
    expect_refused(t, "bad value for bitrate");
    snprintf(t, sizeof(t), "%sstep=app\nuuid=xyz\n", base);
    expect_refused(t, "bad value for uuid");
    expect_refused("from=usb\nto=usb\nstep=app\nmcu=stm32f042x6\nserial=16000C000F43304253373820\n",
                   "incomplete");
    expect_refused("from=usb\nto=can\nstep=app\nmcu=stm32f042x6\nserial=16000C000F43304253373820\n",
                   "incomplete"); /* CAN without a bitrate */
    expect_refused("step=app\n", "incomplete");
    expect_refused("garbage\n", "not key=value");
    /* an unknown key (a newer cartoflash) is no reason to refuse */
    snprintf(t, sizeof(t), "%sstep=app\nnew_thing=1\n", base);
    cf_sw_state st;
    cf_error err = {0};
    assert_true(cf_sw_state_parse(t, strlen(t), &st, &err));
    assert_int_equal(st.step, CF_SW_APP);
}

static void test_save_load_clear(void **state)
{
    (void)state;
    char dir[] = "/tmp/cf-switch-XXXXXX";
    assert_non_null(mkdtemp(dir));
    setenv("XDG_STATE_HOME", dir, 1);
    cf_sw_state st, back;
    bool found = true;
    cf_error err = {0};
    assert_int_equal(cf_sw_state_load(&back, &found, &err), CF_OK);
    assert_false(found);
    sample(&st);
    assert_int_equal(cf_sw_state_save(&st, &err), CF_OK);
    assert_int_equal(cf_sw_state_load(&back, &found, &err), CF_OK);
    assert_true(found);
    assert_int_equal(back.step, CF_SW_DEPLOYED);
    assert_int_equal(cf_sw_state_clear(&err), CF_OK);
    assert_int_equal(cf_sw_state_load(&back, &found, &err), CF_OK);
    assert_false(found);
    char path[1024];
    snprintf(path, sizeof(path), "%s/cartoflash", dir);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_save_load_clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
