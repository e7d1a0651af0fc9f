/* Keyboard input and terminal state. stdin is read with read(2) only (no stdio
 * buffering) so line reads and the countdown's key polling see the same bytes.
 *
 * Ctrl-C: SIGINT is caught without SA_RESTART, so a blocked read returns and
 * the page loop leaves through the normal path that restores the terminal.
 * While a flash runs the signal is held (term_hold_interrupt): a second Ctrl-C
 * still ends the program at once, after putting the terminal back. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "menu/engine.h"

static struct termios saved;
static bool have_saved;
static volatile sig_atomic_t raw_on;
static volatile sig_atomic_t interrupted;
static volatile sig_atomic_t holding;
static volatile sig_atomic_t held_count;

static void restore_now(void)
{
    if (have_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    raw_on = 0;
}

static void on_signal(int sig)
{
    if (holding && held_count == 0) {
        held_count = 1;
        interrupted = 1;
        return;
    }
    interrupted = 1;
    if (holding) {
        /* second Ctrl-C during a flash: the user insists */
        restore_now();
        static const char msg[] = "\033[0m\ncartoflash: interrupted during a flash; the probe "
                                  "is still in DFU mode, run the flash again.\n";
        ssize_t w = write(STDOUT_FILENO, msg, sizeof(msg) - 1);
        (void)w;
        _exit(128 + sig);
    }
}

void term_init(void)
{
    if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0)
        have_saved = true;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocked read must return */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

void term_restore(void)
{
    restore_now();
    fputs(scr_reset(), stdout);
    fflush(stdout);
}

bool term_interrupted(void)
{
    return interrupted != 0;
}

void term_hold_interrupt(bool hold)
{
    holding = hold;
    if (!hold)
        held_count = 0;
}

bool term_read_line(char *buf, size_t size)
{
    size_t n = 0;
    fflush(stdout);
    for (;;) {
        if (interrupted)
            return false;
        char c;
        ssize_t r = read(STDIN_FILENO, &c, 1);
        if (r < 0 && errno == EINTR)
            continue; /* loop re-checks `interrupted` */
        if (r <= 0)
            return false; /* end of input: nothing more will come */
        if (c == '\n')
            break;
        if (c == '\r')
            continue;
        if (n + 1 < size)
            buf[n++] = c;
    }
    buf[n] = '\0';
    return true;
}

void term_raw_begin(void)
{
    if (!have_saved || raw_on)
        return;
    struct termios t = saved;
    t.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
        raw_on = 1;
}

void term_raw_end(void)
{
    if (raw_on)
        restore_now();
}

bool term_key_pressed(void)
{
    struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP)))
        return false;
    char c[16];
    ssize_t r = read(STDIN_FILENO, c, sizeof(c));
    /* end of input (r == 0) counts as "stop": nobody is left to press a key */
    return r >= 0;
}

void term_discard_input(void)
{
    if (have_saved)
        tcflush(STDIN_FILENO, TCIFLUSH);
}

bool term_pause(const char *text)
{
    char line[64];
    printf("\n%s%s%s", scr_code(COL_YELLOW), text ? text : "Press Enter to continue...",
           scr_reset());
    return term_read_line(line, sizeof(line));
}
