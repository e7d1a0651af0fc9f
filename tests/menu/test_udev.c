/* The one udev rule: the CLI hint and the menu's Install Prerequisites page use
 * exactly the text of data/udev/70-cartoflash.rules (the file the install step
 * installs), and that text grants access to the DFU bootloader only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "menu/menu.h"
#include "usb/usb.h"

#ifndef CF_UDEV_RULE_PATH
#error "CF_UDEV_RULE_PATH must name data/udev/70-cartoflash.rules"
#endif

static char *read_rule_file(void)
{
    FILE *f = fopen(CF_UDEV_RULE_PATH, "rb");
    assert_non_null(f);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    assert_true(feof(f));
    fclose(f);
    buf[n] = '\0';
    assert_true(n > 0);
    return buf;
}

static void test_menu_text_is_the_file(void **state)
{
    (void)state;
    assert_string_equal(menu_udev_rules_text(), read_rule_file());
}

static void test_cli_hint_holds_the_file(void **state)
{
    (void)state;
    const char *file = read_rule_file();
    assert_string_equal(cf_usb_udev_rule(), file);
    /* The hint is a here-document of the file's text, whole, between its
     * opening line and the terminator. */
    const char *hint = cf_usb_udev_hint();
    const char *open = strstr(hint, "<<'EOF'\n");
    assert_non_null(open);
    const char *body = open + strlen("<<'EOF'\n");
    assert_memory_equal(body, file, strlen(file));
    assert_true(strncmp(body + strlen(file), "\nEOF\n", 5) == 0 ||
                (file[strlen(file) - 1] == '\n' && strncmp(body + strlen(file), "EOF\n", 4) == 0));
    assert_non_null(strstr(hint, "/etc/udev/rules.d/70-cartoflash.rules"));
    /* A hint is stored in cf_error.hint: it must fit whole. */
    cf_error err;
    cf_error_reset(&err);
    cf_hint(&err, "%s", hint);
    assert_string_equal(err.hint, hint);
}

static void test_rule_is_dfu_bootloader_only(void **state)
{
    (void)state;
    const char *rule = cf_usb_udev_rule();
    size_t rules = 0;
    for (const char *line = rule; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[1024];
        assert_true(len < sizeof(buf));
        memcpy(buf, line, len);
        buf[len] = '\0';
        if (buf[0] != '#' && buf[0] != '\0') {
            rules++;
            assert_non_null(strstr(buf, "ATTR{idVendor}==\"0483\""));
            assert_non_null(strstr(buf, "ATTR{idProduct}==\"df11\""));
            assert_non_null(strstr(buf, "TAG+=\"uaccess\""));
            assert_non_null(strstr(buf, "MODE=\"0660\""));
            assert_non_null(strstr(buf, "GROUP=\"plugdev\""));
        }
        line += len + (end ? 1 : 0);
    }
    assert_int_equal(rules, 1);
    assert_null(strstr(rule, "1d50"));
    assert_null(strstr(rule, "614e"));
    assert_null(strstr(rule, "6177"));
    assert_null(strstr(cf_usb_udev_hint(), "1d50"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_menu_text_is_the_file),
        cmocka_unit_test(test_cli_hint_holds_the_file),
        cmocka_unit_test(test_rule_is_dfu_bootloader_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
