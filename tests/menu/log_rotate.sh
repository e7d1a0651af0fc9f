#!/usr/bin/env bash
# The debug log lives in $XDG_STATE_HOME/cartoflash/menu.log and rotates once
# it passes 256 KiB (menu.log -> .1 -> .2 -> .3, the oldest dropped). Runs the
# binary with piped input (not a terminal: no colours, no screen clearing).
set -euo pipefail
: "${CARTOFLASH:?}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cf-menu-log.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
log="$WORK/state/cartoflash/menu.log"
mkdir -p "$(dirname "$log")"
run() { printf '0\n' | HOME=$WORK XDG_STATE_HOME=$WORK/state XDG_CONFIG_HOME=$WORK/cfg \
  "$CARTOFLASH" --simulate=dfu,timing=off >"$WORK/out.txt"; }

head -c 300000 /dev/zero | tr '\0' 'x' >"$log"
echo old1 >"$log.1"
echo old2 >"$log.2"
echo old3 >"$log.3"
run
grep -q "Exiting..." "$WORK/out.txt" || { echo "FAIL: no clean exit"; exit 1; }
! grep -q $'\033' "$WORK/out.txt" || { echo "FAIL: escape codes when not a terminal"; exit 1; }
[ "$(stat -c %s "$log.1")" -eq 300000 ] || { echo "FAIL: big log not rotated to .1"; exit 1; }
[ "$(cat "$log.2")" = old1 ] && [ "$(cat "$log.3")" = old2 ] || { echo "FAIL: shift"; exit 1; }
[ ! -e "$log.4" ] || { echo "FAIL: more than 3 old logs kept"; exit 1; }
size=$(stat -c %s "$log")
[ "$size" -gt 0 ] && [ "$size" -lt 4096 ] || { echo "FAIL: new log size $size"; exit 1; }
grep -q "menu started" "$log" || { echo "FAIL: new log lacks the start line"; exit 1; }
run # small log: appended, not rotated
[ "$(grep -c "menu started" "$log")" -eq 2 ] || { echo "FAIL: small log rotated"; exit 1; }
# a link planted at menu.log (to a file of the user's) is neither followed nor rotated
rm -f "$log" "$log".*
echo precious >"$WORK/victim"
ln -s "$WORK/victim" "$log"
run
grep -q "Exiting..." "$WORK/out.txt" || { echo "FAIL: no clean exit with a planted log link"; exit 1; }
[ "$(cat "$WORK/victim")" = precious ] || { echo "FAIL: the log followed a planted link"; exit 1; }
[ -L "$log" ] && [ ! -e "$log.1" ] || { echo "FAIL: the planted link was rotated"; exit 1; }
echo "PASS: log rotation"
