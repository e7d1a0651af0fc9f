#!/usr/bin/env bash
# list and inspect: what a user sees, and the JSON contract.
set -e
. "$(dirname "$0")/lib.sh"

run --simulate list
expect_status 0 "list"
expect_out "0483:df11" "list shows VID:PID"
expect_out "path [0-9]+-[0-9.]+" "list shows the bus path"
expect_out "alt 0: @Internal Flash  /0x08000000/032\*0001Kg" "list shows alt 0 name"
expect_out "alt 1: @Option Bytes  /0x1FFFF800/01\*016 e" "list shows alt 1 name"
expect_out "stm32f042x6" "list guesses the chip"

run --simulate=dfu:g431 list --json
expect_status 0 "list --json"
[ "$(jq -r '.dfu[0].chip' <<<"$OUT")" = stm32g431xx ] && pass "json chip g431" || fail "json chip: $OUT"
[ "$(jq -r '.dfu[0].alts[0].segments[0].page_size' <<<"$OUT")" = 2048 ] && pass "json layout parsed" || fail "json layout"

run --simulate=dfu,appear=30 list
expect_out "No DFU devices found" "list before the device appears"
run --simulate=dfu,appear=1 list --wait 5
expect_out "0483:df11" "list --wait sees a device that appears after 1 s"

F="$KLIPPER_FW/combined-firmware/5.1.0/Full_Survey_Cartographer_CAN_1M_5_1_0.bin"
run inspect --json "$F"
expect_status 0 "inspect combined"
check_json() { # key expected
    local got; got=$(jq -r ".files[0].$1" <<<"$OUT")
    [ "$got" = "$2" ] && pass "$3: $1 = $2" || fail "$3: $1 = $got, expected $2"
}
check_json version "CARTOGRAPHER 5.1.0" combined
check_json mcu stm32f042x6 combined
check_json interface can combined
check_json can_bitrate 1000000 combined
check_json kind combined combined
check_json load_address 134217728 combined
check_json size "$(stat -c %s "$F")" combined

A="$KLIPPER_FW/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin"
run inspect --json "$A"
check_json kind app app
check_json interface usb app
check_json can_bitrate null app
check_json load_address 134225920 app

run inspect "$F"
expect_out "CARTOGRAPHER 5.1.0" "human inspect shows version"
expect_out "CAN at 1000000 bit/s" "human inspect shows bitrate"

printf ':020000040800F2\n:10000000FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF01\n:00000001FF\n' >"$TMP/bad.hex"
run inspect "$TMP/bad.hex"
expect_nonzero "bad hex checksum refused"
expect_err "checksum" "bad hex names the checksum"
run --simulate=dfu,timing=off flash dfu --yes "$TMP/bad.hex"
expect_nonzero "flash refuses a bad hex"

run --simulate=bogus list
expect_status 64 "bad SPEC is a usage error"

finish
