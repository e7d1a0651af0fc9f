#!/usr/bin/env bash
# The debug log lives in $XDG_STATE_HOME/cartoflash/menu.log (or --log FILE)
# and rotates once it passes 256 KiB (menu.log -> .1 -> .2 -> .3, the oldest
# dropped). Runs the binary with piped input (not a terminal: no colours, no
# screen clearing).
. "$(dirname "$0")/../lib/lib.sh"
: "${CARTOFLASH:?}"
log="$XDG_STATE_HOME/cartoflash/menu.log"
mkdir -p "$(dirname "$log")"
menu() { printf '0\n' | "$CARTOFLASH" --simulate=dfu,timing=off >"$TMP/out.txt"; }
file_is() { [ "$(cat "$1")" = "$2" ]; }
no_escape() { ! grep -q $'\033' "$1"; }
size_between() { # FILE LOW HIGH: LOW < size < HIGH
    local size
    size=$(stat -c %s "$1")
    [ "$size" -gt "$2" ] && [ "$size" -lt "$3" ]
}

head -c 300000 /dev/zero | tr '\0' 'x' >"$log"
echo old1 >"$log.1"
echo old2 >"$log.2"
echo old3 >"$log.3"
menu
check "a clean exit" grep -q "Exiting..." "$TMP/out.txt"
check "no escape codes when not a terminal" no_escape "$TMP/out.txt"
expect_eq "$(stat -c %s "$log.1")" 300000 "the big log is rotated to .1"
check "the old logs shift by one" file_is "$log.2" old1
check "the old logs shift by one (.3)" file_is "$log.3" old2
check "no more than 3 old logs are kept" test ! -e "$log.4"
check "the new log is small" size_between "$log" 0 4096
check "the new log has the start line" grep -q "menu started" "$log"
menu # small log: appended, not rotated
expect_eq "$(grep -c "menu started" "$log")" 2 "a small log is appended to, not rotated"
# a link planted at menu.log (to a file of the user's) is neither followed nor rotated
rm -f "$log" "$log".*
echo precious >"$TMP/victim"
ln -s "$TMP/victim" "$log"
menu
check "a clean exit with a planted log link" grep -q "Exiting..." "$TMP/out.txt"
check "the log did not follow a planted link" file_is "$TMP/victim" precious
check "the planted link is still there" test -L "$log"
check "the planted link was not rotated" test ! -e "$log.1"
# --log FILE: the menu writes there instead of menu.log; one it cannot write
# (a link there) stops it before anything runs, naming the file
rm -f "$log"
printf '0\n' | "$CARTOFLASH" --log "$TMP/asked.log" --simulate=dfu,timing=off >"$TMP/out.txt"
check "a clean exit with --log" grep -q "Exiting..." "$TMP/out.txt"
check "--log FILE gets the menu's log" grep -q "menu started" "$TMP/asked.log"
check "and menu.log is not written" test ! -e "$log"
ln -s "$TMP/victim" "$TMP/link.log"
rc=0
printf '0\n' | "$CARTOFLASH" --log "$TMP/link.log" --simulate=dfu,timing=off >"$TMP/out.txt" 2>"$TMP/err.txt" || rc=$?
expect_eq "$rc" 74 "--log naming a link: exit 74 (cannot write the log)"
check "the error names the file" grep -q "link.log" "$TMP/err.txt"
check "the menu did not start" bash -c "! grep -q 'Exiting...' '$TMP/out.txt'"
check "the link's target is untouched" file_is "$TMP/victim" precious
finish
