#!/usr/bin/env bash
# Safety gates refuse before anything is erased, and leave the flash untouched.
set -e
. "$(dirname "$0")/lib.sh"

COMBINED="$KLIPPER_FW/combined-firmware/5.1.0/Full_Survey_Cartographer_CAN_1M_5_1_0.bin"
APP="$KLIPPER_FW/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin"
G431="$CARTO_FW/v4/combined-firmware/6.1.0/Katapult_plus_CartographerV4_6.1.0_CAN_1M.bin"
F="$TMP/flash"

# Start from a flashed probe so "untouched" means something.
run --simulate=dfu,flash="$F",timing=off flash dfu --yes "$COMBINED"
expect_status 0 "setup flash"
before=$(sha256sum <"$F")
untouched() { [ "$(sha256sum <"$F")" = "$before" ] && pass "$1: flash untouched" || fail "$1: flash changed"; }

run --simulate=dfu,flash="$F",timing=off flash dfu --yes "$APP"
expect_status 3 "app image at 0x08000000 refused"
expect_err "Katapult update image" "names it a Katapult update image"
expect_err "combined Full_/Katapult_plus_" "points to the combined image"
untouched "app image"

run --simulate=dfu,flash="$F",timing=off flash dfu --yes --address 0x08002000 "$COMBINED"
expect_status 3 "combined image at 0x08002000 refused"
expect_err "must start at 0x08000000" "says where combined images go"
untouched "combined at 0x08002000"

run --simulate=dfu,flash="$F",timing=off flash dfu --yes "$G431"
expect_status 3 "G431 image on an F042 refused"
expect_err "stm32g431" "names the image's MCU"
untouched "wrong chip"

head -c 40000 /dev/zero >"$TMP/too-big.bin"
run --simulate=dfu,flash="$F",timing=off flash dfu --yes --force "$TMP/too-big.bin"
expect_status 3 "image larger than flash refused even with --force"
expect_err "not inside the device's writable" "says it does not fit"
untouched "too big"

# --force overrides a gate, loudly, and then really flashes.
run --simulate=dfu,flash="$F",timing=off flash dfu --yes --force --address 0x08002000 "$APP"
expect_status 0 "app image at its own address is fine"
run --simulate=dfu,flash="$F",timing=off flash dfu --yes --force "$APP"
expect_status 0 "--force overrides the app-at-0x08000000 gate"
expect_err "WARNING: --force overrides a safety check" "forced gate warns loudly"
flash_starts_with "$F" "$APP" "forced image written"

finish
