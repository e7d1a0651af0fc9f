#!/usr/bin/env bash
# The command line's debug log: flash, backup and update append to
# $XDG_STATE_HOME/cartoflash/cli.log (or --log FILE) the command line, the
# device's identity, every gate decision and every phase; it rotates at
# 256 KiB (cli.log -> .1 -> .2 -> .3); a link planted at its name is never
# followed; list and inspect (run by shell completion) write nothing.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
COMBINED="$KLIPPER_FW/combined-firmware/5.1.0/Full_Survey_Cartographer_USB_5_1_0.bin"
USB_APP="$KLIPPER_FW/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin"
CAN_APP="$KLIPPER_FW/survey/5.1.0/Survey_Cartographer_CAN_1000000_8kib_offset.bin"
LOG="$XDG_STATE_HOME/cartoflash/cli.log"
has() { # pattern description: grep -E in the log
    if grep -qE -- "$1" "${3:-$LOG}"; then pass "$2"; else fail "$2: the log lacks /$1/"; cat "${3:-$LOG}" 2>/dev/null | tail -20; fi
}

run list
run inspect "$COMBINED"
[ ! -e "$LOG" ] && pass "list and inspect write no log" || fail "list/inspect wrote $LOG"

run --simulate=dfu,timing=off flash dfu --yes "$COMBINED"
expect_status 0 "flash dfu"
has "INFO  cartoflash [0-9.]+: flash dfu --yes .*Full_Survey_Cartographer_USB_5_1_0.bin --simulate=dfu" \
    "the command line"
has "device: 0483:df11 at 1-1.3, serial [0-9A-F]+, stm32f042x6 \(Cartographer v2/v3\)" "the DFU device's identity"
has "firmware: .*combined for 0x08000000, CARTOGRAPHER 5.1.0, stm32f042x6" "the firmware's identity"
has "safety checks passed: a Cartographer chip \(stm32f042x6\)" "the gate decision"
for ph in read-back erase download verify; do
    has "phase $ph: started" "phase $ph started"
    has "phase $ph: done, [0-9]+ bytes" "phase $ph done"
done
has "Previous contents .* saved to .*backups/" "the backup notice"
has "flashed: [0-9]+ of [0-9]+ pages changed" "the result"
has "exit status 0" "the exit status"

# a refused gate, and an error with its hint
run --simulate=dfu,timing=off flash dfu --yes --address 0x08000000 "$USB_APP"
expect_status 3 "flash dfu of an app image at 0x08000000"
has "safety checks refused the flash; nothing was erased" "a refusal is a gate decision"
has "error \(exit 3, gate\): .*next: " "the refusal's message and hint"
has "exit status 3" "the refusal's exit status"

# Katapult: what the probe is and runs, and the phases
run --simulate=katapult-usb,timing=off flash usb --yes "$USB_APP"
expect_status 0 "flash usb"
has "firmware: .*app for 0x08002000, CARTOGRAPHER 5.1.0, stm32f042x6; image checks passed" \
    "flash usb: the image gate"
has "runs Cartographer \(1d50:614e [0-9A-F]+\): asking it to enter Katapult" "flash usb: the probe's identity"
has "Katapult .* MCU stm32f042x6, application at 0x08002000, block 64 bytes" "flash usb: Katapult's CONNECT answer"
has "phase download: done" "flash usb: download"
has "phase verify: done" "flash usb: verify"
run --simulate=katapult-can,timing=off list --json
UUID=$(jq -r '.probes[0].uuid' <<<"$OUT")
run --simulate=katapult-can,timing=off flash can --uuid "$UUID" --dry-run "$CAN_APP"
has "device can0 uuid $UUID: every check before the bootloader request passed" "flash can --dry-run: the device and the gates"
has "dry run: can0 uuid $UUID, bootloader request yes, [0-9]+ blocks" "flash can --dry-run: the plan"

# --log FILE
run --simulate=dfu,timing=off --log "$TMP/mine.log" backup dfu "$TMP/whole.bin"
expect_status 0 "backup dfu --log FILE"
has "backup dfu .*whole.bin" "--log FILE: the command line" "$TMP/mine.log"
has "phase read-back: done, 32768 bytes" "--log FILE: the read phase" "$TMP/mine.log"
if grep -q "whole.bin" "$LOG"; then fail "--log FILE still wrote the default log"; else pass "--log FILE: not the default log"; fi
run --simulate=dfu,timing=off --log="$TMP/eq.log" backup dfu "$TMP/whole2.bin"
has "backup dfu" "--log=FILE" "$TMP/eq.log"

# a link planted at the log: never followed; the default log is skipped with a warning,
# an explicit --log is an error before anything is done
echo precious >"$TMP/victim"
ln -s "$TMP/victim" "$TMP/link.log"
run --simulate=dfu,timing=off,flash="$TMP/f.bin" --log "$TMP/link.log" flash dfu --yes "$COMBINED"
expect_status 74 "--log naming a symbolic link"
expect_err "symbolic link" "--log link: says why"
[ "$(cat "$TMP/victim")" = precious ] && pass "--log link: its target is untouched" || fail "--log followed a link"
[ ! -e "$TMP/f.bin" ] && pass "--log link: nothing was flashed" || fail "--log link: flashed anyway"
rm -f "$LOG" "$LOG".*
ln -s "$TMP/victim" "$LOG"
run --simulate=dfu,timing=off flash dfu --yes "$COMBINED"
expect_status 0 "a link planted at cli.log: the flash goes on"
expect_err "warning: no debug log: .*symbolic link" "planted link: a warning"
[ "$(cat "$TMP/victim")" = precious ] && pass "planted link: its target is untouched" || fail "the log followed a planted link"
[ -L "$LOG" ] && [ ! -e "$LOG.1" ] && pass "planted link: not rotated" || fail "the planted link was rotated"
rm -f "$LOG"

# rotation: a log past 256 KiB moves to .1, .1 to .2, .2 to .3, the oldest is dropped
head -c 300000 /dev/zero | tr '\0' 'x' >"$LOG"
echo old1 >"$LOG.1"
echo old2 >"$LOG.2"
echo old3 >"$LOG.3"
run --simulate=dfu,timing=off backup dfu "$TMP/whole3.bin"
[ "$(stat -c %s "$LOG.1")" -eq 300000 ] && pass "rotation: the big log is .1" || fail "rotation: .1"
[ "$(cat "$LOG.2")" = old1 ] && [ "$(cat "$LOG.3")" = old2 ] && pass "rotation: the older ones shift" || fail "rotation: shift"
[ ! -e "$LOG.4" ] && pass "rotation: three old logs kept" || fail "rotation: a fourth kept"
size=$(stat -c %s "$LOG")
[ "$size" -gt 0 ] && [ "$size" -lt 4096 ] && pass "rotation: a fresh log" || fail "rotation: new log is $size bytes"
run --simulate=dfu,timing=off backup dfu "$TMP/whole4.bin"
[ "$(grep -c "backup dfu" "$LOG")" -eq 2 ] && pass "a small log is appended to" || fail "a small log was rotated"
[ "$(stat -c %a "$LOG")" = 600 ] && pass "the log is private (0600)" || fail "log mode $(stat -c %a "$LOG")"

# outside strings are escaped in the log: one record per line
run --simulate=dfu,timing=off flash dfu --yes "$TMP/$(printf 'evil\033[2J\nname.bin')"
if grep -q $'\033' "$LOG"; then fail "an escape sequence reached the log"; else pass "escape sequences are escaped in the log"; fi
has 'evil\\x1B\[2J\\x0Aname.bin' "a file name with ESC and newline stays one line"

finish
