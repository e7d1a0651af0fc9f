#!/usr/bin/env bash
# flash dfu|can|usb --dry-run: finds the device, runs every gate, prints the
# plan and changes nothing (the simulated flash file stays byte-identical, the
# Katapult node's own record shows no bootloader request); the real run that
# follows does what the plan said. A refused gate gives the gate's exit code.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
OLD="$KLIPPER_FW/combined-firmware/5.0.0/Full_Survey_Cartographer_USB_5_0_0.bin"
NEW="$KLIPPER_FW/combined-firmware/5.1.0/Full_Survey_Cartographer_USB_5_1_0.bin"
OLD_APP="$KLIPPER_FW/survey/5.0.0/Survey_Cartographer_USB_8kib_offset.bin"
USB_APP="$KLIPPER_FW/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin"
OLD_CAN="$KLIPPER_FW/survey/5.0.0/Survey_Cartographer_CAN_1000000_8kib_offset.bin"
CAN_APP="$KLIPPER_FW/survey/5.1.0/Survey_Cartographer_CAN_1000000_8kib_offset.bin"
CAN_500K="$KLIPPER_FW/survey/5.1.0/Survey_Cartographer_CAN_500000_8kib_offset.bin"
BACKUPS="$XDG_STATE_HOME/cartoflash/backups"
F=$TMP/flash.bin
is() { # json expression expected description
    local got
    got=$(jq -r "$1" <<<"$OUT" 2>&1) || true
    if [ "$got" = "$2" ]; then pass "$3"; else fail "$3: $1 = $got, expected $2"; fi
}
backups() { find "$BACKUPS" -type f 2>/dev/null | wc -l; }

# --- DFU: a probe holding 5.0.0, planned for 5.1.0
run --simulate=dfu,timing=off,flash="$F" flash dfu --yes "$OLD"
expect_status 0 "set up: the probe holds 5.0.0"
cp "$F" "$TMP/before.bin"
nb=$(backups)
run --simulate=dfu,timing=off,flash="$F" flash dfu --dry-run "$NEW"
expect_status 0 "dry run without --yes and without a terminal"
expect_out "^Dry run: nothing was erased" "dry run: says it changed nothing"
expect_out "^Plan: [0-9]+ of 30 pages change" "dry run: pages that change"
expect_out "^Erase: +(one mass erase|[0-9]+ page erase)" "dry run: the erase method"
expect_out "^Backup: .*/backups/stm32f042x6-[0-9-]+-0x08000000.bin" "dry run: the backup file name"
same_file "$TMP/before.bin" "$F" "dry run: the flash file is byte-identical"
[ "$(backups)" -eq "$nb" ] && pass "dry run: no backup written" || fail "dry run wrote a backup"
if grep -qE "^(Erase|Download|Verify): +[0-9]+%" <<<"$OUT"; then fail "dry run ran an erase/write phase"
else pass "dry run: only the read-back ran"; fi

run --simulate=dfu,timing=off,flash="$F" flash dfu --dry-run --json "$NEW"
expect_status 0 "dry run --json"
PLAN=$OUT
is '.dry_run and .result == "would-flash"' true "dry run --json: would flash"
same_file "$TMP/before.bin" "$F" "dry run --json: the flash file is byte-identical"
run --simulate=dfu,timing=off,flash="$F" flash dfu --yes --json "$NEW"
expect_status 0 "the real run"
REAL=$OUT
both() { jq -n -r --argjson p "$PLAN" --argjson r "$REAL" "$1"; }
check_same() { # expression-on-$p-and-$r description
    if [ "$(both "$1")" = true ]; then pass "$2"; else fail "$2: $(both "[$1]")"; fi
}
check_same '$p.plan.pages_changed == $r.pages_changed and $p.plan.pages_total == $r.pages_total' \
    "real run: the pages the plan said change"
check_same '$p.plan.page_erases == $r.pages_erased and ($p.plan.erase_method == "mass") == $r.mass_erased' \
    "real run: the erase method and erases of the plan"
check_same '$p.plan.bytes_to_write == $r.bytes_written and $p.plan.bytes_to_verify == $r.bytes_verified' \
    "real run: the bytes the plan said it writes and verifies"
check_same '([$r.phases[] | select(.name == "download") | .bytes] | add) == $p.plan.bytes_to_write' \
    "real run: the download phase is the planned size"
check_same '($p.plan.backup_file | sub("-[0-9]{8}-[0-9]{6}(-[0-9]+)?-"; "-T-")) == ($r.backup_file | sub("-[0-9]{8}-[0-9]{6}(-[0-9]+)?-"; "-T-"))' \
    "real run: the backup file the plan named (but for the time stamp)"
check_same '$p.plan.leave == $r.left_bootloader' "real run: leaves DFU as planned"
check_same '$p.plan.changed_runs >= 1 and ([$p.plan.changed[].pages] | add) == $p.plan.pages_changed' \
    "dry run: the runs add up to the changed pages"
flash_starts_with "$F" "$NEW" "real run: the flash holds 5.1.0"
# the pages the real run changed in the flash file are exactly the planned ones
changed_pages() { # BEFORE AFTER: the 1 KiB pages (as 0x0800xxxx) that differ
    cmp -l "$1" "$2" | awk '{ printf "0x%08x\n", 134217728 + int(($1 - 1) / 1024) * 1024 }' | sort -u
}
planned_pages() {
    jq -r '.plan.changed[] | range(.address; .address + .pages * 1024; 1024)' <<<"$PLAN" |
        awk '{ printf "0x%08x\n", $1 }' | sort -u
}
if [ "$(changed_pages "$TMP/before.bin" "$F")" = "$(planned_pages)" ] && [ -n "$(planned_pages)" ]; then
    pass "real run: the pages that differ afterwards are exactly the plan's"
else fail "real run: changed pages differ from the plan"; diff <(changed_pages "$TMP/before.bin" "$F") <(planned_pages) | head; fi

# mass erase: planned and then done the same way
run --simulate=dfu,timing=off,flash="$F" flash dfu --yes "$OLD"
cp "$F" "$TMP/before.bin"
run --simulate=dfu,timing=off,flash="$F" flash dfu --dry-run --json --erase mass "$NEW"
PLAN=$OUT
is '.plan.erase_method + " " + (.plan.page_erases | tostring)' "mass 0" "dry run --erase mass: one mass erase"
same_file "$TMP/before.bin" "$F" "dry run --erase mass: the flash file is byte-identical"
run --simulate=dfu,timing=off,flash="$F" flash dfu --yes --json --erase mass "$NEW"
REAL=$OUT
check_same '$r.mass_erased and $p.plan.pages_restored == $r.pages_restored and $p.plan.bytes_to_write == $r.bytes_written' \
    "real run --erase mass: as planned"
# --erase mass rewrites every page of the image (as --full), so the plan lists them all:
# what differs afterwards is among them, and nothing outside them changed
if [ -z "$(comm -23 <(changed_pages "$TMP/before.bin" "$F") <(planned_pages))" ] &&
    [ -n "$(changed_pages "$TMP/before.bin" "$F")" ]; then
    pass "real run --erase mass: only planned pages differ afterwards"
else fail "real run --erase mass: a page outside the plan changed"; diff <(changed_pages "$TMP/before.bin" "$F") <(planned_pages) | head; fi

# nothing to do
run --simulate=dfu,timing=off,flash="$F" flash dfu --dry-run --json "$NEW"
is '.result + " " + (.plan.pages_changed | tostring) + " " + .plan.erase_method + " " + (.plan.backup_file | tostring)' \
    "unchanged 0 none null" "dry run of what the probe holds: nothing to change"

# a gate refuses: its own exit code, nothing changed
cp "$F" "$TMP/before.bin"
run --simulate=dfu,timing=off,flash="$F" flash dfu --dry-run --address 0x08000000 "$USB_APP"
expect_status 3 "dry run of an app image at the start of flash: the gate's code"
same_file "$TMP/before.bin" "$F" "refused dry run: the flash file is byte-identical"
run --simulate=dfu:g431,timing=off flash dfu --dry-run "$NEW"
expect_status 3 "dry run of an F042 image on a G431: the gate's code"
run --simulate=dfu,mainboard=f446,timing=off flash dfu --dry-run "$NEW"
expect_status 4 "dry run with a mainboard in DFU mode too: ambiguous, never a guess"
run --simulate=dfu,mainboard=f446,timing=off flash dfu --dry-run --device 1-1.4 "$NEW"
expect_status 3 "dry run naming the mainboard: refused by the device gate"
run --simulate=dfu,appear=60 flash dfu --dry-run "$NEW"
expect_status 69 "dry run with no device: not found"

# --- Katapult USB: the probe runs 5.0.0 (Klipper)
REC=$TMP/usb.rec
run --simulate=katapult-usb,timing=off,app="$OLD_APP",record="$REC" flash usb --dry-run --json "$USB_APP"
expect_status 0 "flash usb --dry-run"
PLAN=$OUT
is '.plan.bootloader_request and (.plan.block_size_known | not)' true \
    "flash usb --dry-run: a bootloader request would be sent; the block size is not known yet"
is '.device.name | test("^/dev/")' true "flash usb --dry-run: the device found"
grep -qx bootloader_requests=0 "$REC" && grep -qx connects=0 "$REC" && grep -qx blocks_written=0 "$REC" &&
    pass "flash usb --dry-run: the node was sent no bootloader request, CONNECT or block" ||
    { fail "flash usb --dry-run touched the node"; cat "$REC"; }
run --simulate=katapult-usb,timing=off,app="$OLD_APP",record="$REC" flash usb --dry-run "$USB_APP"
expect_out "^Write: +[0-9]+ blocks of 64 bytes from 0x08002000" "flash usb --dry-run: the blocks"
expect_out "runs Klipper .*a bootloader request would be sent" "flash usb --dry-run: what the probe runs"
run --simulate=katapult-usb,timing=off,app="$OLD_APP",record="$REC" flash usb --yes --json "$USB_APP"
expect_status 0 "flash usb: the real run"
REAL=$OUT
check_same '$p.plan.blocks == $r.blocks and $p.plan.bytes_to_write == $r.bytes_written' \
    "flash usb: the real run writes the planned blocks"
grep -qx bootloader_requests=1 "$REC" && pass "flash usb: the real run sent one bootloader request" ||
    fail "flash usb: real run record"
run --simulate=katapult-usb,timing=off,record="$REC" flash usb --dry-run "$NEW"
expect_status 3 "flash usb --dry-run of a combined image: the gate's code"
grep -qx bootloader_requests=0 "$REC" && pass "refused flash usb --dry-run: no bootloader request" ||
    fail "refused flash usb --dry-run sent a request"
run --simulate=katapult-usb,mainboard=usb,timing=off flash usb --dry-run "$USB_APP"
expect_status 0 "flash usb --dry-run with a Klipper mainboard on USB too"
expect_out "runs Klipper \(1d50:614e Cartographer .*a bootloader request would be sent" \
    "flash usb --dry-run: the probe is the Cartographer, not the mainboard"
run --simulate=katapult-can,mainboard=usb,timing=off flash usb --dry-run "$USB_APP"
expect_status 69 "flash usb --dry-run with only a mainboard on USB: not found"

# --- Katapult CAN
run --simulate=katapult-can,timing=off list --json
UUID=$(jq -r '.probes[0].uuid' <<<"$OUT")
REC=$TMP/can.rec
run --simulate=katapult-can,timing=off,app="$OLD_CAN",record="$REC" flash can --uuid "$UUID" --dry-run --json "$CAN_APP"
expect_status 0 "flash can --dry-run"
PLAN=$OUT
is '.bus_bitrate' 1000000 "flash can --dry-run: the bus bitrate"
grep -qx bootloader_requests=0 "$REC" && grep -qx blocks_written=0 "$REC" &&
    pass "flash can --dry-run: no bootloader request, no block" || { fail "flash can --dry-run touched the node"; cat "$REC"; }
run --simulate=katapult-can,timing=off,app="$OLD_CAN",record="$REC" flash can --uuid "$UUID" --yes --json "$CAN_APP"
REAL=$OUT
check_same '$p.plan.blocks == $r.blocks and $p.plan.bytes_to_write == $r.bytes_written' \
    "flash can: the real run writes the planned blocks"
run --simulate=katapult-can,timing=off,record="$REC" flash can --uuid "$UUID" --dry-run "$CAN_500K"
expect_status 3 "flash can --dry-run of a 500 kbit/s image on a 1 Mbit/s bus: the gate's code"
grep -qx bootloader_requests=0 "$REC" && pass "refused flash can --dry-run: no bootloader request" ||
    fail "refused flash can --dry-run sent a request"

# --- Katapult's emulated flash file is left byte-identical too
KF=$TMP/kp-flash.bin
run --simulate=katapult-usb,timing=off,flash="$KF",app="$OLD_APP" flash usb --dry-run "$USB_APP"
expect_status 0 "flash usb --dry-run on a persistent flash"
cp "$KF" "$TMP/kp-before.bin"
run --simulate=katapult-usb,timing=off,flash="$KF" flash usb --dry-run "$USB_APP"
expect_status 0 "flash usb --dry-run again"
same_file "$TMP/kp-before.bin" "$KF" "flash usb --dry-run: the node's flash file is byte-identical"
run --simulate=katapult-usb,timing=off,flash="$KF" flash usb --yes "$USB_APP"
if cmp -s "$TMP/kp-before.bin" "$KF"; then fail "the real run did not change the flash file"
else pass "the real run then changes it"; fi

# --- update --dry-run: the image is chosen, the flash planned, nothing sent
CAT=$CF_FIRMWARE_DIR/cartographer_firmware
REC=$TMP/up.rec
run --simulate=katapult-usb,timing=off,app="$CAT/firmware/v2-v3/survey/5.0.0/Survey_Cartographer_USB_8kib_offset.bin",record="$REC" \
    update --dry-run --source "$CAT" --offline
expect_status 0 "update --dry-run of a USB probe running 5.0.0"
expect_out "^Image: CARTOGRAPHER V3 6.1.0" "update --dry-run: the image it would flash"
expect_out "^Dry run: nothing was sent to the probe" "update --dry-run: the plan"
grep -qx bootloader_requests=0 "$REC" && pass "update --dry-run: no bootloader request" ||
    { fail "update --dry-run sent a request"; cat "$REC"; }
UF=$TMP/up-dfu.bin
run --simulate=dfu,timing=off,flash="$UF" flash dfu --yes "$OLD"
cp "$UF" "$TMP/up-before.bin"
run --simulate=dfu,timing=off,flash="$UF" update --dry-run --source "$CAT" --offline
expect_status 0 "update --dry-run of a probe in DFU mode"
expect_out "^Plan: [0-9]+ of [0-9]+ pages change" "update --dry-run over DFU: the plan"
same_file "$TMP/up-before.bin" "$UF" "update --dry-run over DFU: the flash file is byte-identical"

finish
