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

backups_before=$(ls "$XDG_STATE_HOME"/cartoflash/backups | wc -l)
run --simulate=dfu,flash="$F",timing=off flash dfu --yes "$IMG"
expect_status 0 "re-flash of the same image"
expect_out "^0 of [0-9]+ pages changed" "re-flash writes no page"
[ "$(ls "$XDG_STATE_HOME"/cartoflash/backups | wc -l)" -eq "$backups_before" ] &&
    pass "nothing erased, so no backup file" || fail "a backup was written for a no-op flash"

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

# Mass erase: when most pages change, one mass erase replaces the page erases,
# and data in pages the image does not cover is read first and written back.
M="$TMP/mass.flash"
rm -f "$M"
run --simulate=dfu,flash="$M",timing=off flash dfu --yes "$IMG"
printf 'keep me: data past the image' | dd of="$M" bs=1 seek=$((31 * 1024)) conv=notrunc status=none
tail -c 1024 "$M" >"$TMP/last-page.before"
run --simulate=dfu,flash="$M",timing=off flash dfu --yes "$IMG2"
expect_status 0 "USB image over the CAN image, auto erase"
expect_out "one mass erase instead of [0-9]+ page erases; 1 page the image does not change" \
    "most pages change: one mass erase, the page past the image is written back"
expect_out "pages changed: one mass erase, [0-9]+ bytes written and verified \(1 unchanged page written back\)" \
    "the result line says so"
expect_out "Previous contents \(0x08000000, 32768 bytes\)" "the backup holds the whole flash before a mass erase"
flash_starts_with "$M" "$IMG2" "mass-erased flash holds the USB image"
tail -c 1024 "$M" | cmp -s - "$TMP/last-page.before" && pass "the page past the image kept its data" ||
    fail "the page past the image lost its data"
run --simulate=dfu,flash="$M",timing=off flash dfu --yes --erase pages "$IMG"
expect_status 0 "--erase pages"
if grep -q "mass erase" <<<"$OUT"; then fail "--erase pages used a mass erase"; else pass "--erase pages erases page by page"; fi
flash_starts_with "$M" "$IMG" "page-erased flash holds the CAN image"
tail -c 1024 "$M" | cmp -s - "$TMP/last-page.before" && pass "page erases leave the page past the image alone" ||
    fail "page erases changed the page past the image"
run --simulate=dfu,flash="$M",timing=off flash dfu --yes --erase bogus "$IMG"
expect_nonzero "--erase takes auto, pages or mass only"
expect_err "auto, pages or mass" "--erase names its choices"

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
