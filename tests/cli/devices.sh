#!/usr/bin/env bash
# Only Cartographer probes are flashed over DFU: a printer mainboard's STM32F446
# ROM bootloader (also 0483:df11) is listed with what it is, refused before
# anything is erased unless --force (then a loud warning), read by backup dfu
# with a note, and told apart from the probe when both are on the bus.
set -e
. "$(dirname "$0")/lib.sh"

COMBINED="$KLIPPER_FW/combined-firmware/5.1.0/Full_Survey_Cartographer_USB_5_1_0.bin"
F="$TMP/f446.flash"

# list names it (text and JSON)
run --simulate=dfu:f446 list
expect_status 0 "list with a mainboard in DFU mode"
expect_out "chip: STM32F4 family, 512 KiB flash: not a Cartographer probe" "list names its chip family and flash size"
expect_out "04\*016Kg,01\*064Kg,03\*128Kg" "list shows the F446 ROM's sector layout"
run --simulate=dfu:f446 list --json
expect_status 0 "list --json with a mainboard"
[ "$(jq -r '.dfu[0].cartographer' <<<"$OUT")" = false ] && pass "json: cartographer false" || fail "json: cartographer flag: $OUT"
[ "$(jq -r '.dfu[0].family' <<<"$OUT")" = STM32F4 ] && pass "json: family STM32F4" || fail "json: family"
[ "$(jq -r '.dfu[0].flash_size' <<<"$OUT")" = 524288 ] && pass "json: flash_size 512 KiB" || fail "json: flash_size"
[ "$(jq -r '.dfu[0].chip' <<<"$OUT")" = null ] && pass "json: chip null (not a probe chip)" || fail "json: chip"
grep -q "not a Cartographer probe" <<<"$(jq -r '.dfu[0].identified_as' <<<"$OUT")" && pass "json: identified_as says so" || fail "json: identified_as"

# A mainboard's flash holding its own firmware: a pattern that is not erased.
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 7 + 3) & 0xFF for i in range(524288)))' >"$F"
before=$(sha256sum <"$F")
untouched() { [ "$(sha256sum <"$F")" = "$before" ] && pass "$1: flash byte-identical" || fail "$1: flash changed"; }

run --simulate=dfu:f446,flash="$F",timing=off flash dfu --yes "$COMBINED"
expect_status 3 "flash dfu refuses the STM32F446"
expect_err "refusing to flash 0483:df11 at 1-1.3: STM32F4 family, 512 KiB flash: not a Cartographer probe" "the refusal names what it is"
expect_err "Nothing was erased" "the refusal says nothing was erased"
expect_err "--force" "the refusal names the override"
expect_out "Device: +0483:df11 at 1-1.3, STM32F4 family" "the device line before flashing names the chip"
untouched "refused without --force"
[ ! -d "$XDG_STATE_HOME/cartoflash/backups" ] && pass "no backup written (nothing read for a change)" || fail "a backup was written"

# backup dfu stays allowed, and says what it read
run --simulate=dfu:f446,flash="$F",timing=off backup dfu "$TMP/mainboard.bin"
expect_status 0 "backup dfu reads the mainboard"
expect_err "is STM32F4 family, 512 KiB flash: not a Cartographer probe; reading its flash anyway" "backup says what it is"
same_file "$TMP/mainboard.bin" "$F" "backup holds the whole 512 KiB"
untouched "backup"

# --force: a loud warning, then it really writes
# an F042 image on an F446 starts nothing: written and verified, then not seen (exit 6)
run --simulate=dfu:f446,flash="$F",timing=off flash dfu --yes --force --back-wait 1 "$COMBINED"
expect_status 6 "--force flashes the mainboard (whose new firmware then never enumerates)"
expect_err "WARNING: --force: writing to 0483:df11 at 1-1.3, which is NOT a Cartographer probe" "--force warns loudly"
expect_err "its firmware will be overwritten" "the warning says what is lost"
flash_starts_with "$F" "$COMBINED" "forced image written to the F446"

# Probe and mainboard on the bus at once.
P="$TMP/probe.flash"
run --simulate=dfu,mainboard=f446,timing=off list
expect_status 0 "list with probe and mainboard"
expect_out "path 1-1.3 .*DFU mode" "probe listed at 1-1.3"
expect_out "path 1-1.4 .*DFU mode" "mainboard listed at 1-1.4"
expect_out "chip: stm32f042x6 \(Cartographer v2/v3\)" "probe named"
expect_out "chip: STM32F4 family, 512 KiB flash: not a Cartographer probe" "mainboard named"
run --simulate=dfu,mainboard=f446,timing=off list --json
[ "$(jq -r '[.dfu[] | .cartographer] | join(",")' <<<"$OUT")" = "true,false" ] && pass "json: probe true, mainboard false" || fail "json: both: $OUT"

run --simulate=dfu,mainboard=f446,flash="$P",timing=off flash dfu --yes "$COMBINED"
expect_status 4 "two DFU devices without --device: ambiguous, never a guess"
expect_err "1-1.3 is stm32f042x6 \(Cartographer v2/v3\)" "the error says which one is the probe"
expect_err "1-1.4 is STM32F4 family" "the error says what the other one is"
run --simulate=dfu,mainboard=f446,flash="$P",timing=off flash dfu --yes --device 1-1.4 "$COMBINED"
expect_status 3 "--device naming the mainboard is still refused without --force"
expect_err "not a Cartographer probe" "refusal names it"
run --simulate=dfu,mainboard=f446,flash="$P",timing=off flash dfu --yes --device 1-1.3 "$COMBINED"
expect_status 0 "--device naming the probe flashes it"
flash_starts_with "$P" "$COMBINED" "probe flashed"

# The spec names the mainboard strictly.
run --simulate=dfu,mainboard=h723 list
expect_status 64 "unknown mainboard chip is a usage error"
expect_err "mainboard" "the error names the item"

# Katapult over USB: a printer mainboard running Klipper (1d50:614e "Klipper"
# "stm32f446xx") is never chosen without --device. (That nothing at all
# reaches it is shown from the simulator's own record in
# tests/unit/katapult/test_flash_usb.c, test_mainboard_*.)
APP="$KLIPPER_FW/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin"
run --simulate=katapult-can,mainboard=usb list
expect_out "USB device .* \(port 1-1.2\): 1d50:614e Klipper stm32f446xx.*not a Cartographer" "list: the mainboard is not called a probe"
run --simulate=katapult-can,mainboard=usb flash usb --yes "$APP"
expect_status 69 "flash usb with only a mainboard on USB finds no probe"
expect_err "no Cartographer probe on USB: .*\"Klipper\" \"stm32f446xx\"\) is not a Cartographer, so nothing was sent to it" "says why nothing was sent"
expect_err "flash it over CAN: cartoflash flash can --uuid UUID FILE" "says how to flash a probe on CAN"
run --simulate=katapult-usb,mainboard=usb,timing=off flash usb --yes "$APP"
expect_status 0 "with a Cartographer and a mainboard on USB, flash usb flashes"
expect_out "Written and verified .* \(1-1\)" "it flashed the Cartographer's port, not the mainboard's 1-1.2"

finish
