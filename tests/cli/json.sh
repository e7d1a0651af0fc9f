#!/usr/bin/env bash
# The --json contract: every command that prints a result gives one document
# with "schema": 1, failures give {"schema", "error"} whose code is the exit
# status, and every document validates against docs/schema/cartoflash.schema.json
# with Debian's python3-jsonschema (a real validator, not a hand check).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
SCHEMA="$HERE/../../docs/schema/cartoflash.schema.json"
COMBINED="$KLIPPER_FW/combined-firmware/5.1.0/Full_Survey_Cartographer_USB_5_1_0.bin"
USB_APP="$KLIPPER_FW/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin"
CAN_APP="$KLIPPER_FW/survey/5.1.0/Survey_Cartographer_CAN_1000000_8kib_offset.bin"
DOCS=$TMP/docs
mkdir -p "$DOCS"
n=0
# keep NAME: the last run's stdout is kept for the schema check at the end
keep() { n=$((n + 1)); printf '%s\n' "$OUT" >"$DOCS/$(printf %02d $n)-$1.json"; }
is() { # jq-expression expected description
    local got
    got=$(jq -r "$1" <<<"$OUT" 2>&1) || true
    if [ "$got" = "$2" ]; then pass "$3"; else fail "$3: $1 = $got, expected $2"; echo "$OUT" | head -40; fi
}
# error_is STATUS CLASS: the document is an error whose code is the exit status
error_is() {
    is '.schema' 1 "$3: schema 1"
    is '.error.code' "$STATUS" "$3: error.code is the exit status"
    is '.error.class' "$2" "$3: error.class $2"
    expect_status "$1" "$3"
}

# --- list
run --simulate=dfu,mainboard=f446,timing=off list --json
expect_status 0 "list --json"
is '.schema' 1 "list: schema 1"
is '[.dfu[].bus_path] | join(",")' "1-1.3,1-1.4" "list: both DFU devices"
keep list-dfu
run --simulate=katapult-can,timing=off list --json
is '.probes[0].transport' can "list: the CAN node"
keep list-can
run --simulate=katapult-usb,mainboard=usb,timing=off list --json
is '[.probes[].transport] | unique | join(",")' usb "list: USB probes"
keep list-usb

# --- inspect: always an array, even for one file
run inspect --json "$COMBINED"
expect_status 0 "inspect --json of one file"
is '.files | type' array "inspect: one file is still an array"
is '.files | length' 1 "inspect: one entry"
is '.files[0].kind' combined "inspect: kind"
keep inspect-one
printf ':10000000ZZ\n' >"$TMP/bad.hex"
run inspect --json "$COMBINED" "$TMP/bad.hex" "$USB_APP"
expect_status 65 "inspect --json with a damaged file"
is '[.files[] | .file | split("/") | last] | join(",")' \
    "Full_Survey_Cartographer_USB_5_1_0.bin,bad.hex,Survey_Cartographer_USB_8kib_offset.bin" \
    "inspect: one entry per file, in order"
is '.files[1].error.class' format "inspect: the damaged file's own error"
is '.error.code' 65 "inspect: the document's error is the exit status"
keep inspect-several
run inspect --json "$TMP/missing.bin" "$TMP/bad.hex"
expect_status 69 "inspect --json: the first failure decides the exit status"
is '.error.class + " " + .files[1].error.class' "not-found format" "inspect: first failure on top, each its own"
keep inspect-two-failures

# --- firmware list|pick: "source" is a 0-based index into "sources"
run firmware list --json --source "$KLIPPER_FW" --offline
expect_status 0 "firmware list --json"
is '.schema' 1 "firmware list: schema 1"
is '[.entries[] | .source] | unique | join(",")' 0 "firmware list: one source, index 0"
is '(.sources | length) as $k | ([.entries[] | select(.source >= 0 and .source < $k)] | length) == (.entries | length)' \
    true "firmware list: every index points into sources"
is '. as $d | [.entries[] | $d.sources[.source].dir] | unique | length' 1 \
    "firmware list: sources[source] is the source"
keep firmware-list
run firmware pick --json --source "$KLIPPER_FW" --offline --mode dfu --mcu stm32f042x6 --interface usb
expect_status 0 "firmware pick --json"
is '. as $d | $d.sources[$d.pick.source].dir' "$(cd "$KLIPPER_FW" && pwd)" "firmware pick: source index 0-based"
keep firmware-pick
run firmware pick --json --source "$KLIPPER_FW" --offline --mode dfu --mcu stm32f042x6 --interface can --bitrate 500000
error_is 69 not-found "firmware pick --json with no match"
keep firmware-pick-none
run firmware pick --json --source "$KLIPPER_FW" --mode nonsense
error_is 64 usage "firmware pick --json with a bad option"
keep firmware-usage

# --- flash dfu
F=$TMP/dfu.bin
run --simulate=dfu,timing=off,flash="$F" flash dfu --yes --json "$COMBINED"
expect_status 0 "flash dfu --json"
is '.result' flashed "flash dfu: flashed"
is '[.phases[].name] | join(",")' "read-back,erase,download,verify" "flash dfu: the phases that ran"
is '.bytes_written > 0 and .pages_changed > 0' true "flash dfu: pages and bytes"
is '.backup_file | test("backups/stm32f042x6-.*-0x08000000.bin$")' true "flash dfu: the backup file"
is '.firmware.version' "CARTOGRAPHER 5.1.0" "flash dfu: the firmware"
if jq -e . "$TMP/out" >/dev/null && ! grep -q "Download" "$TMP/out"; then pass "flash dfu: progress is not on stdout"
else fail "flash dfu: stdout is not only the document"; fi
expect_err "Download: 100%" "flash dfu: progress on stderr"
is '[.came_back.seen, .came_back.device, .came_back.interface, .came_back.version] | join(",")' \
    "true,1-1.3,usb,CARTOGRAPHER 5.1.0" "flash dfu: came back on its port, identify gave the version"
keep flash-dfu
run --simulate=dfu,timing=off flash dfu --yes --json --back-wait 0 "$COMBINED"
is '.came_back.looked or .came_back.seen' false "flash dfu --back-wait 0: not looked for"
is '.came_back.note | test("--back-wait 0")' true "flash dfu --back-wait 0: and says so"
keep flash-dfu-not-looked
run --simulate=dfu,timing=off,noapp flash dfu --yes --json --back-wait 1 "$COMBINED"
error_is 6 not-seen "flash dfu --json: not seen again"
keep flash-dfu-not-seen
run --simulate=dfu,timing=off,flash="$F" flash dfu --yes --json "$COMBINED"
is '.result + " " + (.pages_changed | tostring) + " " + (.backup_file | tostring)' "unchanged 0 null" \
    "flash dfu again: unchanged, no backup"
keep flash-dfu-unchanged
run --simulate=dfu,timing=off,flash="$F" flash dfu --dry-run --json "$COMBINED"
is '.dry_run and .result == "unchanged" and .plan.erase_method == "none"' true \
    "flash dfu --dry-run of what the probe holds: nothing to change"
keep flash-dfu-dry-unchanged
run --simulate=dfu,timing=off flash dfu --dry-run --json "$COMBINED"
expect_status 0 "flash dfu --dry-run --json"
is '.result + " " + .plan.erase_method' "would-flash pages" "flash dfu --dry-run: the plan"
is '.plan.backup_file | test("backups/stm32f042x6-.*-0x08000000.bin$")' true "flash dfu --dry-run: the backup name"
keep flash-dfu-dry
run --simulate=dfu,timing=off flash dfu --dry-run --json --erase mass "$COMBINED"
is '.plan.erase_method' mass "flash dfu --dry-run --erase mass"
keep flash-dfu-dry-mass
run --simulate=dfu,timing=off flash dfu --dry-run --json --address 0x08000000 "$USB_APP"
error_is 3 gate "flash dfu --dry-run refused by a gate"
keep flash-dfu-dry-gate
run --simulate=dfu,timing=off,fault=bitflip@3 flash dfu --yes --json "$COMBINED"
error_is 5 verify "flash dfu --json: verify failed"
keep flash-dfu-verify
run --simulate=dfu,timing=off flash dfu --json "$COMBINED"
error_is 64 usage "flash dfu --json without --yes"
is '.error.hint | test("--yes")' true "the hint names --yes"
keep flash-dfu-noyes
run --simulate=dfu,timing=off flash dfu --json --no-such-flag "$COMBINED"
error_is 64 usage "flash dfu --json with an unknown option"
keep flash-dfu-usage

# --- flash can / usb
run --simulate=katapult-can,timing=off list --json
UUID=$(jq -r '.probes[0].uuid' <<<"$OUT")
run --simulate=katapult-can,timing=off flash can --yes --json --uuid "$UUID" "$CAN_APP"
expect_status 0 "flash can --json"
is '.command + " " + .result' "flash can flashed" "flash can: flashed"
is '.bytes_verified == .bytes_written and .bytes_written > 0' true "flash can: bytes"
is '.came_back.seen and .came_back.interface == "can" and .came_back.same_build' true \
    "flash can: came back on CAN running the image"
is '.came_back.device' "can0 uuid $UUID" "flash can: the device it saw"
keep flash-can
run --simulate=katapult-usb,timing=off flash usb --yes --json "$USB_APP"
expect_status 0 "flash usb --json"
is '.device.transport + " " + (.came_back.seen | tostring)' "usb true" "flash usb: device and came back"
is '.came_back.version' "CARTOGRAPHER 5.1.0" "flash usb: the version identify reported"
keep flash-usb
run --simulate=katapult-can,timing=off flash can --dry-run --json --uuid "$UUID" "$CAN_APP"
expect_status 0 "flash can --dry-run --json"
is '.command + " " + .result + " " + (.plan.bootloader_request | tostring)' "flash can would-flash true" \
    "flash can --dry-run: the plan"
keep flash-can-dry
run --simulate=katapult-usb,timing=off flash usb --dry-run --json "$USB_APP"
expect_status 0 "flash usb --dry-run --json"
is '.plan.blocks > 0 and .plan.block_size == 64 and (.plan.block_size_known | not)' true \
    "flash usb --dry-run: blocks, the block size not known yet"
keep flash-usb-dry
run --simulate=katapult-usb,timing=off,app="$USB_APP" flash usb --yes --json "$USB_APP"
expect_status 0 "flash usb --json of what the probe runs"
is '.result' already-running "flash usb: nothing to do"
keep flash-usb-current
run --simulate=katapult-usb,timing=off,fault=readback@4 flash usb --yes --json "$USB_APP"
expect_nonzero "flash usb --json with a read-back fault"
is '.error.code' "$STATUS" "flash usb: error.code is the exit status"
keep flash-usb-fault
run --simulate=katapult-can,timing=off flash can --yes --json "$CAN_APP"
error_is 64 usage "flash can --json without --uuid"
keep flash-can-usage

# --- backup
run --simulate=dfu,timing=off backup dfu --json "$TMP/whole.bin"
expect_status 0 "backup dfu --json"
is '.bytes' "$(stat -c %s "$TMP/whole.bin")" "backup: bytes = the file's size"
is '.backup_file' "$TMP/whole.bin" "backup: the file"
keep backup
run --simulate=dfu,appear=60 backup dfu --json "$TMP/none.bin"
error_is 69 not-found "backup dfu --json with no device"
keep backup-none

# --- every document against the committed schema
set +e
/usr/bin/python3 "$HERE/validate_json.py" "$SCHEMA" "$DOCS"/*.json >"$TMP/validate" 2>&1
vs=$?
set -e
if [ $vs -eq 0 ]; then pass "all $n documents validate against $(basename "$SCHEMA")"
else fail "schema validation"; cat "$TMP/validate"; fi
# and the validator does reject what breaks the contract
jq '.files[0].size = "big"' "$DOCS/"*-inspect-one.json >"$TMP/broken1.json"
jq 'del(.schema)' "$DOCS/"*-list-dfu.json >"$TMP/broken2.json"
jq '.error.class = "oops"' "$DOCS/"*-backup-none.json >"$TMP/broken3.json"
jq '.plan.erase_method = "maybe"' "$DOCS/"*-flash-dfu-dry.json >"$TMP/broken4.json"
jq 'del(.plan.block_size_known)' "$DOCS/"*-flash-usb-dry.json >"$TMP/broken5.json"
for b in 1 2 3 4 5; do
    if /usr/bin/python3 "$HERE/validate_json.py" "$SCHEMA" "$TMP/broken$b.json" >/dev/null 2>&1; then
        fail "a broken document $b passed the schema"
    else pass "a broken document $b is rejected by the schema"; fi
done

finish
