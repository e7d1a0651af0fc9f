/* Errors as values and the file helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/error.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/safe.h"
#include "common/text.h"

static void test_first_failure_wins(void **state)
{
    (void)state;
    cf_error err = {0};
    assert_int_equal(cf_fail(&err, CF_ERR_IO, "first %d", 1), CF_ERR_IO);
    assert_int_equal(cf_fail(&err, CF_ERR_GATE, "second"), CF_ERR_GATE);
    assert_int_equal(err.code, CF_ERR_IO);
    assert_string_equal(err.message, "first 1");
    cf_error_prefix(&err, "erase at 0x%08x", 0x08000400u);
    assert_string_equal(err.message, "erase at 0x08000400: first 1");
    cf_hint(&err, "retry");
    assert_string_equal(err.hint, "retry");
    cf_error_reset(&err);
    assert_int_equal(err.code, CF_OK);
    assert_int_equal(cf_fail(NULL, CF_ERR_NOMEM, "ignored"), CF_ERR_NOMEM);
}

static void test_prefix_truncates(void **state)
{
    (void)state;
    cf_error err = {0};
    char longmsg[600];
    memset(longmsg, 'x', sizeof(longmsg) - 1);
    longmsg[sizeof(longmsg) - 1] = '\0';
    cf_fail(&err, CF_ERR_IO, "%s", longmsg);
    cf_error_prefix(&err, "ctx");
    assert_int_equal(strlen(err.message), sizeof(err.message) - 1);
    assert_memory_equal(err.message, "ctx: x", 6);
}

static void test_exit_status(void **state)
{
    (void)state;
    assert_int_equal(cf_exit_status(CF_OK), 0);
    assert_int_equal(cf_exit_status(CF_ERR_USAGE), 64);
    assert_int_equal(cf_exit_status(CF_ERR_GATE), 3);
    assert_int_equal(cf_exit_status(CF_ERR_AMBIGUOUS), 4);
    assert_int_equal(cf_exit_status(CF_ERR_VERIFY), 5);
    assert_int_equal(cf_exit_status(CF_ERR_NOT_SEEN), 6);
    assert_int_equal(cf_exit_status(CF_ERR_TIMEOUT), 7);
    assert_int_equal(cf_exit_status(CF_ERR_CANCELLED), 130);
    assert_string_equal(cf_code_name(CF_ERR_VERIFY), "verify");
    /* every code has a name and a status the documented table lists, and the
     * table is in increasing order with no status twice */
    for (int c = CF_OK; c <= CF_ERR_NOT_SEEN; c++) {
        assert_string_not_equal(cf_code_name((cf_code)c), "unknown");
        int st = cf_exit_status((cf_code)c);
        bool listed = false;
        for (size_t i = 0; i < cf_exit_class_count; i++)
            listed |= cf_exit_classes[i].status == st;
        assert_true(listed);
    }
    for (size_t i = 1; i < cf_exit_class_count; i++)
        assert_true(cf_exit_classes[i - 1].status < cf_exit_classes[i].status);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void test_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/cf-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[256], path[300];
    snprintf(sub, sizeof(sub), "%s/a/b/c", dir);
    assert_int_equal(cf_mkdirs(sub, 0755, NULL), CF_OK);
    snprintf(path, sizeof(path), "%s/file.bin", sub);
    assert_int_equal(cf_write_file_atomic(path, "hello", 5, NULL), CF_OK);
    uint8_t *data;
    size_t size;
    assert_int_equal(cf_read_file(path, 100, &data, &size, NULL), CF_OK);
    assert_int_equal(size, 5);
    assert_memory_equal(data, "hello", 5);
    free(data);
    cf_error err = {0};
    assert_int_equal(cf_read_file(path, 4, &data, &size, &err), CF_ERR_FORMAT);
    assert_non_null(strstr(err.message, "more than the 4 allowed"));
    snprintf(path, sizeof(path), "%s/missing", dir);
    assert_int_equal(cf_read_file(path, 4, &data, &size, NULL), CF_ERR_NOT_FOUND);
    assert_int_equal(nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS), 0);
}

static void read_is(const char *path, const char *want)
{
    uint8_t *data;
    size_t size;
    assert_int_equal(cf_read_file(path, 100, &data, &size, NULL), CF_OK);
    assert_int_equal(size, strlen(want));
    assert_memory_equal(data, want, size);
    free(data);
}

/* A link planted at every name cartoflash could predict: the temp names the old
 * writer used (path.tmp.PID), the final name, and a link to a file elsewhere. */
static void test_planted_links(void **state)
{
    (void)state;
    char dir[] = "/tmp/cf-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char victim[300], path[300], tmp[400];
    snprintf(victim, sizeof(victim), "%s/victim", dir);
    snprintf(path, sizeof(path), "%s/settings", dir);
    assert_int_equal(cf_write_file_atomic(victim, "precious", 8, NULL), CF_OK);
    for (long pid = (long)getpid() - 2; pid <= (long)getpid() + 2; pid++) {
        snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, pid);
        assert_int_equal(symlink(victim, tmp), 0);
    }
    /* temp names: never followed */
    assert_int_equal(cf_write_file_atomic(path, "new", 3, NULL), CF_OK);
    read_is(victim, "precious");
    read_is(path, "new");
    /* the final name is a link: the link is replaced, its target untouched */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(symlink(victim, path), 0);
    assert_int_equal(cf_write_file_atomic(path, "newer", 5, NULL), CF_OK);
    read_is(victim, "precious");
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    read_is(path, "newer");
    /* a file that must be new: a link (even a dangling one) at the name is an error */
    char backup[300];
    snprintf(backup, sizeof(backup), "%s/backup.bin", dir);
    assert_int_equal(symlink(victim, backup), 0);
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_write_file_new(backup, "flash", 5, &err), CF_ERR_IO);
    assert_non_null(strstr(err.message, "already exists"));
    read_is(victim, "precious");
    assert_int_equal(unlink(backup), 0);
    assert_int_equal(symlink("/nonexistent/cf-dangling", backup), 0);
    assert_int_equal(cf_write_file_new(backup, "flash", 5, NULL), CF_ERR_IO);
    assert_int_equal(unlink(backup), 0);
    assert_int_equal(cf_write_file_new(backup, "flash", 5, NULL), CF_OK);
    read_is(backup, "flash");
    /* the append-only log: a link is refused */
    char log[300];
    snprintf(log, sizeof(log), "%s/menu.log", dir);
    assert_int_equal(symlink(victim, log), 0);
    int fd = -1;
    cf_error_reset(&err);
    assert_int_equal(cf_open_append_nofollow(log, &fd, &err), CF_ERR_IO);
    assert_int_equal(fd, -1);
    assert_non_null(strstr(err.message, "symbolic link"));
    read_is(victim, "precious");
    /* no temp file is left behind */
    int left = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        left += e->d_name[0] == '.' && e->d_name[1] != '\0' && strcmp(e->d_name, "..") != 0;
    closedir(d);
    assert_int_equal(left, 0);
    assert_int_equal(nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS), 0);
}

static void test_safe_strings(void **state)
{
    (void)state;
    char b[64];
    /* ESC sequences (CSI, OSC with BEL), DEL, tab and newline are escaped */
    assert_string_equal(cf_safe_buf(b, sizeof(b), "fw\033[2J\033]0;x\007\x7f\t\n.bin"),
                        "fw\\x1B[2J\\x1B]0;x\\x07\\x7F\\x09\\x0A.bin");
    /* C1 controls as UTF-8 (U+009B is a one-character CSI) and invalid UTF-8:
     * a lone continuation byte, a truncated pair, an overlong '/', a surrogate */
    assert_string_equal(cf_safe_buf(b, sizeof(b),
                                    "a\xc2\x9b"
                                    "31mb\x80\xc3"
                                    "c\xc0\xaf\xed\xa0\x80"),
                        "a\\xC2\\x9B31mb\\x80\\xC3c\\xC0\\xAF\\xED\\xA0\\x80");
    /* printable text and valid UTF-8 are unchanged */
    assert_string_equal(
        cf_safe_buf(b, sizeof(b), "Cartographer caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
        "Cartographer caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    assert_true(cf_safe_is_clean("caf\xc3\xa9"));
    assert_false(cf_safe_is_clean("a\033b"));
    assert_false(cf_safe_is_clean("a\xc2\x85"));
    /* a string that does not fit is cut at a whole escape, and says so */
    char small[12];
    assert_string_equal(cf_safe_buf(small, sizeof(small), "abcdef\033\033\033"), "abcdef...");
    assert_string_equal(cf_safe_buf(small, sizeof(small), "abcdefgh"), "abcdefgh");
    /* the text variant keeps newlines only */
    assert_string_equal(cf_safe_text_buf(b, sizeof(b), "line 1\nline\0332"), "line 1\nline\\x1B2");
    assert_string_equal(cf_safe(NULL), "(null)");
    /* eight results stay valid at once */
    const char *r[8];
    for (int i = 0; i < 8; i++)
        r[i] = cf_safe(i % 2 ? "odd\033" : "even");
    for (int i = 0; i < 8; i++)
        assert_string_equal(r[i], i % 2 ? "odd\\x1B" : "even");
}

static void test_strlcpy(void **state)
{
    (void)state;
    char b[6];
    assert_true(cf_strlcpy(b, sizeof(b), "abcde"));
    assert_string_equal(b, "abcde");
    assert_false(cf_strlcpy(b, sizeof(b), "abcdef"));
    assert_string_equal(b, "abcde");
    assert_true(cf_strlcpy(b, sizeof(b), ""));
    assert_string_equal(b, "");
    assert_false(cf_strlcpy(b, 0, "x"));
}

static void test_text_and_mem(void **state)
{
    (void)state;
    assert_int_equal(cf_hex_digit('7'), 7);
    assert_int_equal(cf_hex_digit('b'), 11);
    assert_int_equal(cf_hex_digit('F'), 15);
    assert_int_equal(cf_hex_digit('g'), -1);
    const char *s = "  key = v \t";
    size_t n = strlen(s);
    cf_trim(&s, &n);
    assert_int_equal(n, 7);
    assert_memory_equal(s, "key = v", 7);
    const char text[] = "one\r\ntwo\n\nlast";
    size_t pos = 0, len;
    const char *l = cf_next_line(text, sizeof(text) - 1, &pos, &len);
    assert_int_equal(len, 4); /* the \r is kept */
    assert_memory_equal(l, "one\r", 4);
    l = cf_next_line(text, sizeof(text) - 1, &pos, &len);
    assert_memory_equal(l, "two", len);
    l = cf_next_line(text, sizeof(text) - 1, &pos, &len);
    assert_int_equal(len, 0);
    l = cf_next_line(text, sizeof(text) - 1, &pos, &len);
    assert_memory_equal(l, "last", len);
    assert_null(cf_next_line(text, sizeof(text) - 1, &pos, &len));
    const char crlf[] = "one\r\n\r\nlast\r";
    pos = 0;
    l = cf_next_line_crlf(crlf, sizeof(crlf) - 1, &pos, &len);
    assert_int_equal(len, 3); /* the \r is dropped */
    assert_memory_equal(l, "one", 3);
    l = cf_next_line_crlf(crlf, sizeof(crlf) - 1, &pos, &len);
    assert_int_equal(len, 0);
    l = cf_next_line_crlf(crlf, sizeof(crlf) - 1, &pos, &len);
    assert_int_equal(len, 4); /* and at the end of text without a '\n' */
    assert_memory_equal(l, "last", 4);
    assert_null(cf_next_line_crlf(crlf, sizeof(crlf) - 1, &pos, &len));

    size_t cap = 0;
    int *v = cf_grow(NULL, &cap, 5, sizeof(int), 4);
    assert_non_null(v);
    assert_int_equal(cap, 8);
    assert_ptr_equal(cf_grow(v, &cap, 8, sizeof(int), 4), v);
    free(v);
    size_t tcap = 4;
    char *t = malloc(tcap + 1);
    assert_non_null(t);
    assert_true(cf_grow_text(&t, &tcap));
    assert_int_equal(tcap, 8);
    free(t);
}

static void test_xdg(void **state)
{
    (void)state;
    char out[256];
    setenv("XDG_STATE_HOME", "/x/state", 1);
    assert_int_equal(cf_xdg_dir("state", out, sizeof(out), NULL), CF_OK);
    assert_string_equal(out, "/x/state/cartoflash");
    setenv("XDG_STATE_HOME", "relative", 1); /* invalid per the spec: ignored */
    setenv("HOME", "/home/u", 1);
    assert_int_equal(cf_xdg_dir("state", out, sizeof(out), NULL), CF_OK);
    assert_string_equal(out, "/home/u/.local/state/cartoflash");
    assert_int_equal(cf_xdg_dir("bogus", out, sizeof(out), NULL), CF_ERR_USAGE);
}

/* The shared debug log: escaped single-line records, debug lines only when
 * asked, rotation past CF_LOG_MAX, and never a write through a planted link. */
static void test_log(void **state)
{
    (void)state;
    char dir[] = "/tmp/cf-log-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[300], old[310], victim[300];
    snprintf(path, sizeof(path), "%s/x.log", dir);
    snprintf(old, sizeof(old), "%s.1", path);
    snprintf(victim, sizeof(victim), "%s/victim", dir);
    assert_int_equal(cf_log_open(path, NULL), CF_OK);
    assert_string_equal(cf_log_path(), path);
    cf_log(false, "a %s", "\033[2Jb\nc");
    cf_log(true, "hidden");
    cf_log_set_debug(true);
    cf_log(true, "shown");
    cf_log_set_debug(false);
    cf_log_close();
    assert_null(cf_log_path());
    cf_log(false, "after close"); /* no log open: nothing, no crash */
    uint8_t *data = NULL;
    size_t size = 0;
    assert_int_equal(cf_read_file(path, 1 << 20, &data, &size, NULL), CF_OK);
    char *text = calloc(1, size + 1);
    assert_non_null(text);
    memcpy(text, data, size);
    free(data);
    assert_non_null(strstr(text, " INFO  a \\x1B[2Jb\\x0Ac\n"));
    assert_non_null(strstr(text, " DEBUG shown\n"));
    assert_null(strstr(text, "hidden"));
    assert_null(strstr(text, "after close"));
    int lines = 0;
    for (char *c = text; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 2);
    free(text);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* a log of CF_LOG_MAX bytes moves to .1 when it is opened next */
    char *big = malloc(CF_LOG_MAX);
    assert_non_null(big);
    memset(big, 'x', CF_LOG_MAX);
    assert_int_equal(cf_write_file_atomic(path, big, CF_LOG_MAX, NULL), CF_OK);
    free(big);
    assert_int_equal(cf_log_open(path, NULL), CF_OK);
    cf_log(false, "fresh");
    cf_log_close();
    assert_int_equal(stat(old, &st), 0);
    assert_int_equal(st.st_size, CF_LOG_MAX);
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 0 && st.st_size < 100);

    /* a link planted at the name: refused, not rotated, its target untouched */
    assert_int_equal(cf_write_file_atomic(victim, "precious", 8, NULL), CF_OK);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(unlink(old), 0);
    assert_int_equal(symlink(victim, path), 0);
    cf_error err;
    cf_error_reset(&err);
    assert_int_equal(cf_log_open(path, &err), CF_ERR_IO);
    assert_non_null(strstr(err.message, "symbolic link"));
    assert_null(cf_log_path());
    cf_log(false, "lost");
    read_is(victim, "precious");
    assert_int_equal(lstat(old, &st), -1);
    assert_int_equal(nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_failure_wins),
        cmocka_unit_test(test_prefix_truncates),
        cmocka_unit_test(test_exit_status),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_planted_links),
        cmocka_unit_test(test_safe_strings),
        cmocka_unit_test(test_strlcpy),
        cmocka_unit_test(test_text_and_mem),
        cmocka_unit_test(test_xdg),
        cmocka_unit_test(test_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
