#!/usr/bin/env bash
# flash dfu against the simulated probe: a real combined image is written,
# verified and left; a second run changes nothing; G431 images on a G431 probe.
set -e
. "$(dirname "$0")/lib.sh"

IMG="$KLIPPER_FW/combined-firmware/5.1.0/Full_Survey_Cartographer_CAN_1M_5_1_0.bin"
F="$TMP/f042.flash"

run --simulate=dfu,flash="$F",timing=off flash dfu --yes "$IMG"
expect_status 0 "combined F042 image flashes"
flash_starts_with "$F" "$IMG" "emulated flash starts with the image"
expect_out "pages changed" "reports pages changed"
expect_out "Left DFU mode" "reports leaving DFU"
[ "$(stat -c %s "$F")" -eq 32768 ] && pass "backing file holds the whole 32 KiB flash" || fail "backing file size"
ls "$XDG_STATE_HOME"/cartoflash/backups/*.bin >/dev/null 2>&1 && pass "backup written under XDG state" || fail "no backup file"
expect_out "saved to $XDG_STATE_HOME/cartoflash/backups/" "backup path printed"

run --simulate=dfu,flash="$F",timing=off flash dfu --yes "$IMG"
expect_status 0 "re-flash of the same image"
expect_out "^0 of [0-9]+ pages changed" "re-flash writes no page"

run --simulate=dfu,flash="$F",timing=off flash dfu --yes --full "$IMG"
expect_status 0 "--full re-flash"
expect_out "^([0-9]+) of \1 pages changed" "--full rewrites every page"

# A different image over the first: only differing pages change, result is exact.
IMG2="$KLIPPER_FW/combined-firmware/5.1.0/Full_Survey_Cartographer_USB_5_1_0.bin"
run --simulate=dfu,flash="$F",timing=off flash dfu --yes "$IMG2"
expect_status 0 "USB image over the CAN image"
flash_starts_with "$F" "$IMG2" "flash now holds the USB image"
size=$(stat -c %s "$IMG2")
pad=$(( (size + 1023) / 1024 * 1024 ))
if [ "$(tail -c +$((size + 1)) "$F" | head -c $((pad - size)) | tr -d '\377' | wc -c)" -eq 0 ]; then
    pass "rest of the last page is erased (0xFF), as erase+program leaves it"
else fail "stale bytes after the image in its last page"; fi

# Every combined F042 image of both trees.
for img in "$KLIPPER_FW"/combined-firmware/*/Full_*.bin "$CARTO_FW"/v2-v3/combined-firmware/6.1.0/*.bin; do
    g="$TMP/each.flash"; rm -f "$g"
    run --simulate=dfu,flash="$g",timing=off flash dfu --yes "$img"
    expect_status 0 "flash $(basename "$img")"
    flash_starts_with "$g" "$img" "flash holds $(basename "$img")"
done

# G431 (v4/HT) images on the G431 probe.
for img in "$CARTO_FW"/v4/combined-firmware/6.1.0/Katapult_plus_CartographerV4_6.1.0_CAN_1M.bin \
           "$CARTO_FW"/v4/combined-firmware/5.1.0/Full_Survey_Cartographer_V4_USB.bin; do
    g="$TMP/g431.flash"; rm -f "$g"
    run --simulate=dfu:g431,flash="$g",timing=off flash dfu --yes "$img"
    expect_status 0 "G431 flash $(basename "$img")"
    flash_starts_with "$g" "$img" "G431 flash holds $(basename "$img")"
    [ "$(stat -c %s "$g")" -eq 131072 ] && pass "G431 backing file is 128 KiB" || fail "G431 backing size"
done

# Datasheet timing on: the same flash still works (and takes real time).
g="$TMP/timed.flash"
run --simulate=dfu,flash="$g" flash dfu --yes "$IMG"
expect_status 0 "flash with datasheet timing"
flash_starts_with "$g" "$IMG" "timed flash holds the image"

# Without --yes and without a terminal, nothing happens.
g="$TMP/noyes.flash"
run --simulate=dfu,flash="$g",timing=off flash dfu "$IMG"
expect_nonzero "no --yes on a non-terminal refuses"
expect_err "--yes" "says to pass --yes"
[ ! -s "$g" ] || [ "$(tr -d '\377' <"$g" | wc -c)" -eq 0 ] && pass "flash untouched without --yes" || fail "flash touched without --yes"

# backup dfu reads the whole flash.
run --simulate=dfu,flash="$F",timing=off backup dfu "$TMP/backup.bin"
expect_status 0 "backup dfu"
same_file "$TMP/backup.bin" "$F" "backup equals the emulated flash"

finish
