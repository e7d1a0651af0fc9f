/* Unit tests of the menu's parsers of outside input: the settings file and
 * Moonraker's print_stats reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "menu/menu.h"
#include "menu/moonraker.h"
#include "menu/settings.h"

static cf_code parse(const char *text, menu_settings *s, cf_error *err)
{
    menu_settings_default(s);
    cf_error_reset(err);
    return menu_settings_parse(text, strlen(text), s, err);
}

static void test_settings_values(void **state)
{
    (void)state;
    menu_settings s;
    cf_error err;
    assert_int_equal(parse("# c\n\nbranch = \"beta\"\r\ndebug=yes\n  all_firmware = On \n"
                           "kseries = 0\nfirmware_dir = /srv/fw\ncan_interface = can1\n",
                           &s, &err),
                     CF_OK);
    assert_string_equal(s.branch, "beta");
    assert_true(s.debug);
    assert_true(s.all_firmware);
    assert_false(s.kseries);
    assert_string_equal(s.firmware_dir, "/srv/fw");
    assert_string_equal(s.can_interface, "can1");
}

static void test_settings_bad_lines_skipped(void **state)
{
    (void)state;
    menu_settings s;
    cf_error err;
    /* a bad line is reported with its number; the lines around it still apply */
    assert_int_equal(parse("debug = true\nbranch = ../../etc\nhigh_temp = true\n", &s, &err),
                     CF_ERR_FORMAT);
    assert_non_null(strstr(err.message, "line 2"));
    assert_true(s.debug);
    assert_true(s.high_temp);
    assert_string_equal(s.branch, "master");

    assert_int_equal(parse("klipper_service = $(reboot)\n", &s, &err), CF_ERR_FORMAT);
    assert_string_equal(s.klipper_service, "klipper.service");
    assert_int_equal(parse("moonraker_url = ftp://x\n", &s, &err), CF_ERR_FORMAT);
    assert_int_equal(parse("firmware_dir = relative/dir\n", &s, &err), CF_ERR_FORMAT);
    assert_int_equal(parse("debug = maybe\n", &s, &err), CF_ERR_FORMAT);
    assert_int_equal(parse("no equals\n", &s, &err), CF_ERR_FORMAT);
    assert_int_equal(parse("unknown_key = 1\n", &s, &err), CF_ERR_FORMAT);
    assert_int_equal(parse("branch = \"half\n", &s, &err), CF_ERR_FORMAT);
    const char nul[] = "debug = true\nbranch = a\0b\n";
    menu_settings_default(&s);
    cf_error_reset(&err);
    assert_int_equal(menu_settings_parse(nul, sizeof(nul) - 1, &s, &err), CF_ERR_FORMAT);
    assert_true(s.debug);
}

static void test_settings_round_trip(void **state)
{
    (void)state;
    menu_settings a, b;
    cf_error err;
    menu_settings_default(&a);
    a.all_firmware = true;
    a.high_temp = true;
    strcpy(a.branch, "feature/x");
    strcpy(a.firmware_dir, "/opt/fw dir");
    char text[8192];
    size_t n = menu_settings_format(&a, text, sizeof(text));
    assert_true(n < sizeof(text));
    menu_settings_default(&b);
    cf_error_reset(&err);
    assert_int_equal(menu_settings_parse(text, n, &b, &err), CF_OK);
    assert_memory_equal(&a, &b, sizeof(a));
    /* format never overflows a small buffer and reports the full length */
    char small[16];
    assert_int_equal(menu_settings_format(&a, small, sizeof(small)), n);
    assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void test_moonraker(void **state)
{
    (void)state;
    char st[32];
    cf_error err;
    cf_error_reset(&err);
    const char *ok = "{\"result\":{\"eventtime\":1.0,\"status\":{\"print_stats\":{\"state\":"
                     "\"printing\"}}}}";
    assert_int_equal(menu_moonraker_parse(ok, strlen(ok), st, sizeof(st), &err), CF_OK);
    assert_string_equal(st, "printing");
    assert_true(menu_moonraker_busy(st));
    assert_false(menu_moonraker_busy("standby"));
    assert_true(menu_moonraker_busy("paused"));
    const char *bad[] = {"", "{", "[]", "{\"result\":{}}",
                         "{\"result\":{\"status\":{\"print_stats\":{\"state\":7}}}}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cf_error_reset(&err);
        assert_int_equal(menu_moonraker_parse(bad[i], strlen(bad[i]), st, sizeof(st), &err),
                         CF_ERR_FORMAT);
    }
}

/* moonraker.conf: only [server] port counts; comments, other sections, indented
 * continuation lines and a missing port (the default) are handled; a bad port
 * is refused with its line. */
static void test_moonraker_conf_port(void **state)
{
    (void)state;
    unsigned port = 0;
    cf_error err;
    cf_error_reset(&err);
    const char *two = "# second printer\n[server]\nhost: 0.0.0.0\nport = 7126 ; KIAUH\n"
                      "[update_manager]\nport: 9\n";
    assert_int_equal(menu_moonraker_conf_port(two, strlen(two), &port, &err), CF_OK);
    assert_int_equal(port, 7126);
    const char *none = "[server]\nhost: 0.0.0.0\n[authorization]\ncors_domains:\n  port: 1\n";
    assert_int_equal(menu_moonraker_conf_port(none, strlen(none), &port, &err), CF_OK);
    assert_int_equal(port, MENU_MOONRAKER_DEFAULT_PORT);
    const char *bad[] = {"[server]\nport: 70000\n", "[server]\nport: 71x\n", "[server]\nport:\n",
                         "[server]\nport: 0\n", "[server]\nport: 99999999999999999999\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cf_error_reset(&err);
        assert_int_equal(menu_moonraker_conf_port(bad[i], strlen(bad[i]), &port, &err),
                         CF_ERR_FORMAT);
        assert_non_null(strstr(err.message, "line 2"));
    }
}

/* A URL set by hand wins; otherwise one URL per moonraker.conf found. */
static void test_moonraker_urls(void **state)
{
    (void)state;
    char urls[4][256];
    assert_int_equal(menu_moonraker_urls("http://10.0.0.5:7125", "/nonexistent", urls, 4), 1);
    assert_string_equal(urls[0], "http://10.0.0.5:7125");
    assert_int_equal(menu_moonraker_urls("http://127.0.0.1:7125", "/nonexistent", urls, 4), 1);
    assert_string_equal(urls[0], "http://127.0.0.1:7125");
}

/* An API key that could add a header line of its own (a newline, a blank) is
 * refused before any request: the print state is unknown, never idle. */
static void test_moonraker_bad_key(void **state)
{
    (void)state;
    static menu_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    snprintf(ctx.set.moonraker_url, sizeof(ctx.set.moonraker_url), "http://192.0.2.1:7125");
    char detail[512];
    const char *bad[] = {"abc\r\nX-Evil: 1", "two words", "tab\there"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        menu_moonraker_set_key(bad[i]);
        assert_int_equal(menu_printer_state(&ctx, detail, sizeof(detail)), PRINT_UNKNOWN);
        assert_non_null(strstr(detail, "API key is not 1-128 printable characters"));
    }
    menu_moonraker_set_key(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settings_values),
        cmocka_unit_test(test_settings_bad_lines_skipped),
        cmocka_unit_test(test_settings_round_trip),
        cmocka_unit_test(test_moonraker),
        cmocka_unit_test(test_moonraker_conf_port),
        cmocka_unit_test(test_moonraker_urls),
        cmocka_unit_test(test_moonraker_bad_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
