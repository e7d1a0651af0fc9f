#!/usr/bin/env bash
# One exit status per class of failure, each driven from the command line
# against the simulators; the table `--help` prints equals the README's; and
# every flash without a terminal and without --yes refuses with the usage code.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
COMBINED="$KLIPPER_FW/combined-firmware/5.1.0/Full_Survey_Cartographer_USB_5_1_0.bin"
USB_APP="$KLIPPER_FW/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin"
CAN_APP="$KLIPPER_FW/survey/5.1.0/Survey_Cartographer_CAN_1000000_8kib_offset.bin"
DFU="--simulate=dfu,timing=off"

# --- the documented table: --help and README.md list the same codes and meanings
run --help
help_table=$(sed -n '/^Exit status:/,$p' <<<"$OUT" | sed -n 's/^ *\([0-9]\{1,3\}\)  \(.*\)$/\1 \2/p')
readme_table=$(sed -n '/^## Exit status/,/^## /p' "$HERE/../../README.md" |
    sed -n 's/^| *`\{0,1\}\([0-9]\{1,3\}\)`\{0,1\} *| *\(.*[^ ]\) *|$/\1 \2/p')
if [ "$(wc -l <<<"$help_table")" -ge 13 ] && [ "$help_table" = "$readme_table" ]; then
    pass "README's exit status table equals --help's ($(wc -l <<<"$help_table") codes)"
else
    fail "README and --help tables differ"; diff <(echo "$help_table") <(echo "$readme_table") || true
fi

# --- 0: flashed, verified, left
run $DFU flash dfu --yes "$COMBINED"
expect_status 0 "a verified flash"

# --- 3: refused by a gate before anything was erased
run --simulate=dfu:f446,timing=off flash dfu --yes "$COMBINED"
expect_status 3 "a mainboard's F446 in DFU mode is refused"
expect_err "Nothing was erased" "and says nothing was erased"

# --- 4: ambiguous
run --simulate=dfu,mainboard=f446,timing=off flash dfu --yes "$COMBINED"
expect_status 4 "two DFU devices without --device"

# --- 5: verify failed, left in the bootloader
run $DFU,fault=bitflip@3 flash dfu --yes "$COMBINED"
expect_status 5 "a read-back that differs"
expect_err "still in DFU mode" "the probe stays in DFU mode"

# --- 6: written, verified and started, but the probe was not seen again; a
# Klipper mainboard (1d50:614e) on another port is not taken for it
run $DFU,noapp,mainboard=usb flash dfu --yes --back-wait 2 "$COMBINED"
expect_status 6 "flash dfu: the new firmware never enumerates"
expect_err "not seen on USB port 1-1.3" "flash dfu: names the probe's port"
expect_err "ignored 1d50:614e on port 1-1.4" "flash dfu: the mainboard on another port is not the probe"
run $DFU,mainboard=usb flash dfu --yes "$COMBINED"
expect_status 0 "flash dfu: the probe comes back"
expect_out "Came back: the probe is back on 1-1.3 .* it runs CARTOGRAPHER 5.1.0" \
    "flash dfu: names the device and what it runs"
run --simulate=katapult-usb,timing=off,noapp,mainboard=usb flash usb --yes --device 1-1 \
    --back-wait 2 "$USB_APP"
expect_status 6 "flash usb: the new firmware never enumerates"
expect_err "ignored 1d50:614e on port 1-1.2" "flash usb: the mainboard is not the probe"
run --simulate=katapult-can,timing=off list --json
UUID=$(jq -r '[.probes[] | select(.transport == "can" and .uuid != null)][0].uuid' <<<"$OUT")
run --simulate=katapult-can,timing=off,noapp flash can --yes --uuid "$UUID" --back-wait 2 "$CAN_APP"
expect_status 6 "flash can: the node never answers as Klipper again"
expect_err "node $UUID did not answer on can0" "flash can: names the node"

# --- 7: timeout
run $DFU,fault=timeout@3 flash dfu --yes "$COMBINED"
expect_status 7 "the device stops answering"
run $DFU,fault=busy@3 flash dfu --yes "$COMBINED"
expect_status 7 "the device stays dfuDNBUSY for ever"

# --- 64: usage
run list --no-such-option
expect_status 64 "an unknown option"
run $DFU flash dfu "$COMBINED"
expect_status 64 "flash dfu without a terminal and without --yes"
expect_err "Add --yes" "names the flag to add"
F=$TMP/usb.bin
run --simulate=katapult-usb,timing=off,flash="$F" flash usb "$USB_APP"
expect_status 64 "flash usb without a terminal and without --yes"
expect_err "Add --yes" "flash usb names the flag to add"
if [ -s "$F" ] && cmp -s -n "$(stat -c %s "$USB_APP")" -i 8192:0 "$F" "$USB_APP"; then
    fail "flash usb without --yes wrote the image"
else pass "flash usb without --yes changed nothing"; fi
run --simulate=katapult-can,timing=off list --json
UUID=$(jq -r '[.probes[] | select(.transport == "can" and .uuid != null)][0].uuid' <<<"$OUT")
R=$TMP/can.rec
run --simulate=katapult-can,timing=off,record="$R" flash can --uuid "$UUID" "$CAN_APP"
expect_status 64 "flash can without a terminal and without --yes"
expect_err "Add --yes" "flash can names the flag to add"
if grep -q '^bootloader_requests=0$' "$R"; then pass "flash can without --yes sent no bootloader request"
else fail "flash can without --yes: $(cat "$R" 2>/dev/null)"; fi
run --simulate=katapult-can,timing=off flash can --yes --uuid "$UUID" "$CAN_APP"
expect_status 0 "flash can --yes flashes"
R=$TMP/update.rec
run --simulate=katapult-usb,timing=off,record="$R",app="$KLIPPER_FW/survey/5.0.0/Survey_Cartographer_USB_8kib_offset.bin" \
    update --source "$KLIPPER_FW" --offline
expect_status 64 "update (a flash too) without a terminal and without --yes"
expect_err "Add --yes" "update names the flag to add"
if grep -q '^bootloader_requests=0$' "$R"; then pass "update without --yes sent no bootloader request"
else fail "update without --yes: $(cat "$R" 2>/dev/null)"; fi

# --- 65: bad file
printf ':10000000ZZ\n' >"$TMP/bad.hex"
run inspect "$TMP/bad.hex"
expect_status 65 "a damaged Intel HEX file"
run $DFU flash dfu --yes "$TMP/bad.hex"
expect_status 65 "flash dfu of a damaged Intel HEX file"

# --- 69: not found
run $DFU,appear=60 flash dfu --yes "$COMBINED"
expect_status 69 "no DFU device attached"
run inspect "$TMP/no-such-file.bin"
expect_status 69 "a file that does not exist"

# --- 74: I/O error
run $DFU,fault=disconnect@3 flash dfu --yes "$COMBINED"
expect_status 74 "the device drops off the bus"
run $DFU backup dfu /proc/no-such-dir/out.bin
expect_status 74 "a backup file that cannot be created"

# --- 76: protocol error (the device reports an error status, or stalls)
run $DFU,fault=errwrite@3 flash dfu --yes "$COMBINED"
expect_status 76 "DFU errWRITE"
run $DFU,fault=stall@3 flash dfu --yes "$COMBINED"
expect_status 76 "a stalled request"

# --- 77: permission denied (a directory this user may not write; root drops to nobody)
mkdir -p "$TMP/ro" && chmod 555 "$TMP/ro" && chmod 755 "$TMP"
if [ "$(id -u)" -eq 0 ]; then
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
else
    as_user=()
fi
set +e
"${as_user[@]}" "$CARTOFLASH" $DFU backup dfu "$TMP/ro/out.bin" >"$TMP/out" 2>"$TMP/err" </dev/null
STATUS=$?
set -e
OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
expect_status 77 "a backup into a directory this user may not write"
expect_err "Permission denied" "and says so"

# --- 130: cancelled at the prompt (a real terminal, answered "n")
F=$TMP/cancel.bin
set +e
python3 "$HERE/tty_answer.py" n "$CARTOFLASH" --simulate=dfu,timing=off,flash="$F" \
    flash dfu "$COMBINED" >"$TMP/out" 2>&1
STATUS=$?
set -e
OUT=$(cat "$TMP/out"); ERR=$OUT
expect_status 130 "flash dfu answered 'n' on a terminal"
expect_out "cancelled; nothing was changed" "says nothing was changed"
if cmp -s -n "$(stat -c %s "$COMBINED")" "$F" "$COMBINED"; then fail "the cancelled flash wrote"
else pass "the cancelled flash left the flash as it was"; fi
set +e
python3 "$HERE/tty_answer.py" n "$CARTOFLASH" --simulate=katapult-usb,timing=off \
    flash usb "$USB_APP" >"$TMP/out" 2>&1
STATUS=$?
set -e
OUT=$(cat "$TMP/out")
expect_status 130 "flash usb answered 'n' on a terminal (asked the same way)"
set +e
python3 "$HERE/tty_answer.py" y "$CARTOFLASH" --simulate=dfu,timing=off flash dfu "$COMBINED" \
    >"$TMP/out" 2>&1
STATUS=$?
set -e
OUT=$(cat "$TMP/out")
expect_status 0 "flash dfu answered 'y' on a terminal flashes"

finish
