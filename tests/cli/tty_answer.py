#!/usr/bin/env python3
"""tty_answer.py ANSWER CMD...: runs CMD with a pseudo-terminal as its stdin and
stdout, types ANSWER once CMD asks "[y/N]", and exits with CMD's exit status.
What CMD printed is copied to our stdout."""
import os
import pty
import sys


def main():
    answer = sys.argv[1].encode() + b"\n"
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[2], sys.argv[2:])
    seen = b""
    sent = False
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        sys.stdout.buffer.write(chunk)
        if not sent and b"[y/N]" in seen:
            os.write(fd, answer)
            sent = True
    _, status = os.waitpid(pid, 0)
    sys.stdout.flush()
    if not sent:
        print("tty_answer: the command never asked", file=sys.stderr)
        sys.exit(99)
    sys.exit(os.waitstatus_to_exitcode(status))


main()
