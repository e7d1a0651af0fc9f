#!/usr/bin/env bash
# firmware list/pick on the two shared trees (local folders), through the real
# binary: the issue's "must show" picks, the missing 500k image, JSON output,
# classification by content when names lie, and the manifest as a hint.
set -e
. "$(dirname "$0")/lib.sh"
KL="$CF_FIRMWARE_DIR/cartographer-klipper"
CF="$CF_FIRMWARE_DIR/cartographer_firmware"
KL_REAL=$(realpath "$KL/firmware")
CF_REAL=$(realpath "$CF/firmware")
PICK_1M=(firmware pick --mode dfu --mcu stm32f042x6 --interface can --bitrate 1000000)

# the newest combined F042 CAN 1M image of each tree (repository root or firmware/ given)
run "${PICK_1M[@]}" --source "$KL"
expect_status 0 "pick dfu F042 CAN 1M on cartographer-klipper"
expect_eq "$OUT" "$KL_REAL/v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_CAN_1M_5_1_0.bin" \
    "cartographer-klipper: 5.1.0 combined CAN 1M"
expect_err "source: --source $KL_REAL" "the source is reported"
expect_err "sha256 [0-9a-f]{64}" "the pick's sha256 is shown"
run "${PICK_1M[@]}" --source "$CF/firmware"
expect_status 0 "pick dfu F042 CAN 1M on cartographer_firmware"
expect_eq "$OUT" "$CF_REAL/v2-v3/combined-firmware/6.1.0/Katapult_plus_CartographerV3_6.1.0_CAN_1M.bin" \
    "cartographer_firmware: 6.1.0 combined CAN 1M (not the lite one)"

# cartographer-klipper has no 500k combined image: exit non-zero saying so
run firmware pick --mode dfu --mcu stm32f042x6 --interface can --bitrate 500000 --source "$KL"
expect_status 69 "no 500k combined image in cartographer-klipper"
expect_err "no combined stm32f042x6 CAN 500000 bit/s image" "the error names what is missing"
expect_err "exist only for CAN 1000000" "and what exists instead"
[ -z "$OUT" ] && pass "nothing on stdout when nothing is picked" || fail "stdout not empty: $OUT"

# unknown bitrate for a CAN pick: ask, never guess
run firmware pick --mode dfu --mcu stm32f042x6 --interface can --source "$CF"
expect_nonzero "CAN pick without a bitrate is refused"
expect_err "bitrate is unknown.*not guessing" "the refusal explains why"

# list: one row per candidate with path, version, MCU, interface, bitrate, kind, sha256
run firmware list --mode dfu --mcu stm32f042x6 --source "$KL"
expect_status 0 "list dfu F042"
expect_out "^VERSION +MCU +IFACE +BITRATE +KIND +SHA256 +PATH" "header row"
expect_out "^CARTOGRAPHER 5\.1\.0 +stm32f042x6 +can +1000000 +combined +363f7f84424b334f11840d94409717ba1f3629a6d19f49c773394ff624eb0d08 v2-v3/combined-firmware/5\.1\.0/Full_Survey_Cartographer_CAN_1M_5_1_0\.bin$" \
    "row of the 5.1.0 CAN image with its sha256"
expect_no_out "CrealityK1" "K-series images only with --kseries"
expect_no_out "8kib_offset" "no app images in dfu mode"
expect_out "note: path says version 4\.0\.1, the image is Cartographer 4\.0\.0" \
    "a name that lies about the version is reported"
rows=$(grep -c " combined " <<<"$OUT")
run firmware list --mode dfu --mcu stm32f042x6 --source "$KL" --all
expect_out "excluded: K-series \(K1\) image: only with --kseries" "--all says why K1 is left out"
expect_out "carto-rp2040\.uf2" "--all lists the RP2040 image"
expect_out "excluded: not a Cartographer STM32 image: RP2040 UF2" "... and why it is excluded"
expect_out "excluded: app image, not combined \(mode dfu\)" "... and app images with the reason"
rows_all=$(grep -c " combined " <<<"$OUT")
[ "$rows_all" -gt "$rows" ] && pass "--all lists more ($rows_all > $rows)" || fail "--all lists no more rows"

# JSON carries the same facts
run firmware list --json --mode katapult --mcu stm32g431xx --interface can --bitrate 1000000 --source "$CF"
expect_status 0 "list --json"
first=$(jq -r '.entries[0] | "\(.path) \(.semver) \(.kind) \(.bitrate) \(.interface) \(.mcu)"' <<<"$OUT")
expect_eq "$first" "v4/firmware/6.2.0/CartographerV4_6.2.0_CAN_1M_full_8kib_offset.bin 6.2.0 app 1000000 can stm32g431xx" \
    "JSON: newest G431 CAN 1M app first"
n_excl=$(jq '[.entries[] | select(.excluded)] | length' <<<"$OUT")
expect_eq "$n_excl" "0" "JSON without --all has no excluded entries"
sha_ok=$(jq -r '.entries[0].sha256' <<<"$OUT")
expect_eq "$sha_ok" "$(sha256sum "$CF/firmware/v4/firmware/6.2.0/CartographerV4_6.2.0_CAN_1M_full_8kib_offset.bin" | cut -d' ' -f1)" \
    "JSON sha256 equals sha256sum's"

# the manifest is a hint: K1 rows say lite, the images do not
run firmware list --json --all --source "$CF"
k1=$(jq -r '.entries[] | select(.path == "v2-v3/survey/5.1.0/Survey_Cartographer_K1_USB_8kib_offset.bin") | "\(.kseries) \(.lite) \(.notes | join("|"))"' <<<"$OUT")
grep -q "^true false .*manifest says lite" <<<"$k1" && pass "manifest disagreement reported, content wins" ||
    fail "manifest disagreement: $k1"

# a tree whose names lie: a USB image named CAN 1M, a CAN 250k app named USB
LIES="$TMP/lies/firmware"
mkdir -p "$LIES/v2-v3"
cp "$KL/firmware/v2-v3/combined-firmware/5.1.0/Full_Survey_Cartographer_USB_5_1_0.bin" \
    "$LIES/v2-v3/Full_Survey_Cartographer_CAN_1M_5_1_0.bin"
cp "$KL/firmware/v2-v3/survey/5.1.0/Survey_Cartographer_CAN_250000_8kib_offset.bin" \
    "$LIES/v2-v3/Survey_Cartographer_USB_8kib_offset.bin"
run firmware list --all --source "$TMP/lies"
expect_out "^CARTOGRAPHER 5\.1\.0 +stm32f042x6 +usb +- +combined .* v2-v3/Full_Survey_Cartographer_CAN_1M_5_1_0\.bin" \
    "USB image named CAN is listed as USB"
expect_out "note: file name says CAN, the content is USB" "the disagreement is reported"
expect_out "note: file name says USB, the content is CAN" "the opposite lie too"
run "${PICK_1M[@]}" --source "$TMP/lies"
expect_status 69 "the name's promise (CAN 1M) is not picked"

# a single file as the source
run firmware pick --mode dfu --mcu stm32f042x6 --interface usb \
    --source "$KL/firmware/v2-v3/combined-firmware/4.0.0/Full_Cartographer_USB_4_0_0.bin"
expect_status 0 "a single file as the source"
expect_err "source: file " "labelled as a file"

# local clones in $HOME are found without --source
ln -s "$KL" "$HOME/cartographer-klipper"
run "${PICK_1M[@]}"
expect_status 0 "local clone ~/cartographer-klipper is used"
expect_err "source: local clone $HOME/cartographer-klipper/firmware" "labelled as a local clone"

# usage errors
run firmware list --mode flash
expect_status 64 "unknown mode"
run firmware list --bitrate fast
expect_status 64 "bad bitrate"
run firmware pick --source "$KL"
expect_status 64 "pick without --mode"
run firmware list --source "$TMP/nothing-here"
expect_status 69 "missing source"
finish
