#!/usr/bin/env bash
# The real cartoflash binary against the simulated probe running its
# firmware: `status` asks it (identify over USB serial and CAN) and compares
# with the catalogue; `flash usb|can` skips an image the probe already runs
# (proved by the simulator's own record: no bootloader request), and a flash
# followed by `status` reports the new version.
. "$(dirname "$0")/../lib/lib.sh"
need_firmware
CAT=$CF_FIRMWARE_DIR/cartographer_firmware
V3=$CAT/firmware/v2-v3/survey
V4=$CAT/firmware/v4/firmware
record() { sed -n "s/^$2=//p" "$1"; }
status() { run "$1" status --source "$CAT" --offline "${@:2}"; }

section_args "$@"

if want usb; then
    status --simulate=katapult-usb,app="$V3/5.0.0/Survey_Cartographer_USB_8kib_offset.bin" --json
    expect_status 0 "status --json with a USB probe running 5.0.0"
    jq_is '.probes | length' 1 "one probe"
    jq_is '.probes[0].connection' usb "connected over USB"
    jq_is '.probes[0].mode' klipper "running its firmware"
    jq_is '.probes[0].semver' 5.0.0 "the probe reports 5.0.0"
    jq_is '.probes[0].version' "CARTOGRAPHER 5.0.0" "with its own version string"
    jq_is '.probes[0].firmware_interface' usb "a USB build"
    jq_is '.probes[0].mcu' stm32f042x6 "on an F042"
    jq_is '.probes[0].generation' v2/v3 "a v2/v3 probe"
    jq_is '.probes[0].serial' 16000C000F43304253373820 "its chip serial"
    jq_is '.probes[0].source' "identify over USB serial" "asked from the device itself"
    jq_is '.probes[0].state' "update available" "a newer version is available"
    jq_is '.probes[0].latest.semver' 6.1.0 "the newest that fits is 6.1.0"
    jq_is '.probes[0].latest.path | test("v2-v3/survey/6.1.0/CartographerV3_6.1.0_USB_full_8kib_offset.bin$")' \
        true "the full (not lite) USB app image"
    status --simulate=katapult-usb,app="$V3/5.0.0/Survey_Cartographer_USB_8kib_offset.bin"
    expect_out "^USB /dev/[^ ]+: stm32f042x6 \\(v2/v3\\) runs CARTOGRAPHER 5.0.0 \\(USB\\) - update available \\(CARTOGRAPHER V3 6.1.0\\)" \
        "the text line says what it runs and what is available"
    status --simulate=katapult-usb,app="$V3/6.1.0/CartographerV3_6.1.0_USB_lite_8kib_offset.bin" --json
    jq_is '.probes[0].state' "up to date" "a lite 6.1.0 is up to date (only lite images fit it)"
    jq_is '.probes[0].latest.path | test("USB_lite")' true "and the image compared is the lite one"
fi

if want can; then
    status --simulate=katapult-can,app="$V3/5.0.0/Survey_Cartographer_CAN_1000000_8kib_offset.bin" --json
    expect_status 0 "status --json with a CAN probe running 5.0.0"
    jq_is '.probes[0].connection' can "connected over CAN"
    jq_is '.probes[0].semver' 5.0.0 "the probe reports 5.0.0"
    jq_is '.probes[0].firmware_interface' can "a CAN build"
    jq_is '.probes[0].can_bitrate' 1000000 "built for 1 Mbit/s"
    jq_is '.probes[0].bus_bitrate' 1000000 "the bus runs at 1 Mbit/s"
    jq_is '.probes[0].interface' can0 "on can0"
    jq_is '.probes[0].uuid | length' 12 "with its UUID"
    jq_is '.probes[0].source' "identify over CAN" "asked over CAN"
    jq_is '.probes[0].state' "update available" "a newer version is available"
    jq_is '.probes[0].latest.path | test("6.1.0_CAN_1M_full")' true "the CAN 1M app image"
    jq_is '.notes | test("node id of its own")' true "says the node keeps the temporary id"
    status --simulate=katapult-can,claimed,app="$V3/5.0.0/Survey_Cartographer_CAN_1000000_8kib_offset.bin" --json
    jq_is '.probes | length' 0 "a node a running Klipper holds is not touched"
fi

if want g431; then
    status --simulate=katapult-usb:g431,app="$V4/6.0.0/CartographerV4_6.0.0_USB_full_8kib_offset.bin" --json
    expect_status 0 "status --json with a G431 on USB"
    jq_is '.probes[0].mcu' stm32g431xx "a G431"
    jq_is '.probes[0].generation' v4 "a v4 probe"
    jq_is '.probes[0].semver' 6.0.0 "running 6.0.0"
    jq_is '.probes[0].state' "update available" "6.2.0 is newer"
    jq_is '.probes[0].latest.semver' 6.2.0 "the newest v4 USB image"
    status --simulate=katapult-can:g431,app="$V4/6.0.0/CartographerV4_6.0.0_CAN_1M_full_8kib_offset.bin" --json
    jq_is '.probes[0].connection + " " + .probes[0].mcu + " " + .probes[0].semver' \
        "can stm32g431xx 6.0.0" "a G431 on CAN running 6.0.0"
    jq_is '.probes[0].latest.path | test("6.2.0_CAN_1M_full")' true "6.2.0 CAN 1M available"
    # An F042 image in a G431's flash runs nothing: unknown, with the reason.
    status --simulate=katapult-usb:g431,app="$V3/5.0.0/Survey_Cartographer_USB_8kib_offset.bin" --json
    jq_is '.probes[0].state' unknown "a probe that does not answer identify is unknown"
    jq_is '.probes[0].reason | test("did not answer")' true "with the reason"
    jq_is '.probes[0].version' null "and no version is guessed"
fi

if want dfu; then
    status --simulate=dfu --json
    expect_status 0 "status with a probe in DFU mode"
    jq_is '.probes[0].connection + " " + .probes[0].mcu' "dfu stm32f042x6" "a DFU-mode F042"
    jq_is '.probes[0].state' unknown "its firmware version is unknown"
    jq_is '.probes[0].reason | test("DFU mode")' true "because it sits in DFU mode"
    status --simulate=dfu:g431 --json
    jq_is '.probes[0].mcu + " " + .probes[0].generation' "stm32g431xx v4/HT" "a DFU-mode G431"
fi

if want skip-usb; then
    F=$TMP/usb.bin
    APP=$V3/5.1.0/Survey_Cartographer_USB_8kib_offset.bin
    rm -f "$F"
    run --simulate=katapult-usb,flash="$F",app="$APP",record="$TMP/rec" flash usb --yes "$APP"
    expect_status 0 "flash usb with the image the probe runs"
    expect_out "already runs CARTOGRAPHER 5.1.0 \\(USB\\); nothing to do" "says there is nothing to do"
    if [ "$(record "$TMP/rec" bootloader_requests)" = 0 ]; then pass "no bootloader request (simulator record)"; else fail "bootloader requested"; cat "$TMP/rec"; fi
    if [ "$(record "$TMP/rec" identifies)" -gt 0 ]; then pass "the probe was asked with identify"; else fail "no identify seen"; fi
    run --simulate=katapult-usb,flash="$F",app="$APP",record="$TMP/rec",timing=off flash usb --yes --force "$APP"
    expect_status 0 "flash usb --force flashes it anyway"
    if [ "$(record "$TMP/rec" bootloader_requests)" = 1 ]; then pass "--force: one bootloader request"; else fail "--force: no bootloader request"; cat "$TMP/rec"; fi
    # Another version: flashed, and status then reports the new one.
    rm -f "$F"
    run --simulate=katapult-usb,flash="$F",app="$V3/5.0.0/Survey_Cartographer_USB_8kib_offset.bin",record="$TMP/rec",timing=off \
        flash usb --yes "$APP"
    expect_status 0 "flash usb 5.1.0 over a running 5.0.0"
    expect_out "runs CARTOGRAPHER 5.0.0 \\(USB\\) \\(identify over USB serial\\); the image is a different build" \
        "says what it runs and that the image differs"
    if [ "$(record "$TMP/rec" completes)" = 1 ]; then pass "the flash completed (simulator record)"; else fail "no COMPLETE"; cat "$TMP/rec"; fi
    status --simulate=katapult-usb,flash="$F" --json
    jq_is '.probes[0].semver' 5.1.0 "status after the flash reports 5.1.0"
    run --simulate=katapult-usb,flash="$F",record="$TMP/rec" flash usb --yes "$APP"
    expect_out "already runs CARTOGRAPHER 5.1.0 \\(USB\\); nothing to do" "flashing it again: nothing to do"
    if [ "$(record "$TMP/rec" bootloader_requests)" = 0 ]; then pass "and no bootloader request"; else fail "bootloader requested"; fi
fi

if want skip-can; then
    APP=$V3/5.1.0/Survey_Cartographer_CAN_1000000_8kib_offset.bin
    run --simulate=katapult-can list --json
    UUID=$(jq -r '.probes[0].uuid' <<<"$OUT")
    run --simulate=katapult-can,app="$APP",record="$TMP/rec" flash can --uuid "$UUID" --yes "$APP"
    expect_status 0 "flash can with the image the probe runs"
    expect_out "already runs CARTOGRAPHER 5.1.0 \\(CAN 1000000\\); nothing to do" "says there is nothing to do"
    if [ "$(record "$TMP/rec" bootloader_requests)" = 0 ]; then pass "no bootloader request (simulator record)"; else fail "bootloader requested"; cat "$TMP/rec"; fi
    F=$TMP/can.bin
    rm -f "$F"
    run --simulate=katapult-can,flash="$F",app="$V3/5.0.0/Survey_Cartographer_CAN_1000000_8kib_offset.bin",record="$TMP/rec",timing=off \
        flash can --uuid "$UUID" --yes "$APP"
    expect_status 0 "flash can 5.1.0 over a running 5.0.0"
    if [ "$(record "$TMP/rec" bootloader_requests)" = 1 ]; then pass "one bootloader request"; else fail "bootloader requests: $(record "$TMP/rec" bootloader_requests)"; fi
    status --simulate=katapult-can,flash="$F" --json
    jq_is '.probes[0].semver + " " + .probes[0].firmware_interface' "5.1.0 can" "status after the flash reports 5.1.0 on CAN"
    # A probe that cannot be asked is flashed as before, saying so.
    # Afterwards the running Klipper claims the app at once, so no query sees
    # it: written and started, but not seen (exit 6), naming the claim.
    run --simulate=katapult-can,claimed,timing=off flash can --uuid "$UUID" --yes --back-wait 1.5 "$APP"
    expect_status 6 "flash can of a node Klipper holds writes it, then cannot see it"
    expect_out "Could not read what the probe runs \\(.*a running Klipper holds it" "and says why it was not asked"
    expect_err "no running Klipper has claimed the node" "and names the claim as what to check"
fi

update() { run "$1" update --yes --source "$CAT" --offline "${@:2}"; }

if want update-usb; then
    F=$TMP/up-usb.bin
    rm -f "$F"
    update --simulate=katapult-usb,flash="$F",timing=off,app="$V3/5.0.0/Survey_Cartographer_USB_8kib_offset.bin"
    expect_status 0 "update a USB probe running 5.0.0"
    expect_out "^Probe: .*runs CARTOGRAPHER 5.0.0 \\(USB\\) \\(identify over USB serial\\)" "says what it runs and how it knows"
    expect_out "^Image: CARTOGRAPHER V3 6.1.0 \\(.*CartographerV3_6.1.0_USB_full_8kib_offset.bin\\) - the newest app image" \
        "picks the newest full USB image, saying why"
    expect_out "The probe now runs CARTOGRAPHER V3 6.1.0 \\(USB\\) \\(read back with identify over USB serial\\)" \
        "confirms the new version from the device"
    status --simulate=katapult-usb,flash="$F" --json
    jq_is '.probes[0].semver + " " + .probes[0].state' "6.1.0 up to date" "status then: 6.1.0, up to date"
    update --simulate=katapult-usb,flash="$F",record="$TMP/rec"
    expect_status 0 "update again"
    expect_out "Already up to date.*nothing to do" "nothing to do"
    if [ "$(record "$TMP/rec" bootloader_requests)" = 0 ]; then pass "no bootloader request (simulator record)"; else fail "bootloader requested"; fi
    update --simulate=katapult-usb,flash="$F",timing=off --version 5.1.0
    expect_status 0 "update --version 5.1.0 (a downgrade asked for)"
    expect_out "The probe now runs CARTOGRAPHER 5.1.0 \\(USB\\)" "runs 5.1.0 after it"
    update --simulate=katapult-usb,flash="$F" --version 4.9.9
    expect_status 69 "a version the catalogue does not have"
    # The new firmware never enumerates: written and verified, but not seen (exit 6).
    rm -f "$F"
    update --simulate=katapult-usb,noapp,flash="$F",timing=off,app="$V3/5.0.0/Survey_Cartographer_USB_8kib_offset.bin"
    expect_status 6 "update whose probe never comes back: not seen"
    expect_err "written, verified and started, but" "says what was done and what was not seen"
fi

if want update-dfu; then
    COMB=$CAT/firmware/v2-v3/combined-firmware
    F=$TMP/up-dfu.bin
    rm -rf "$F" "$XDG_STATE_HOME/cartoflash/backups"
    # Erased flash: the link the new firmware talks on cannot be read, so it is asked for.
    update --simulate=dfu,flash="$F",timing=off
    if [ "$STATUS" -ne 0 ] && grep -q -- "add --firmware-interface usb, or --firmware-interface can --bitrate N" <<<"$ERR"; then
        pass "an erased probe in DFU mode: fails naming the flags to add"
    else fail "erased dfu update: exit $STATUS"; show; fi
    expect_out "flash holds no Cartographer firmware for stm32f042x6" "says what the flash holds"
    if [ ! -d "$XDG_STATE_HOME/cartoflash/backups" ]; then pass "nothing was erased (no backup taken)"; else fail "a backup was taken"; fi
    update --simulate=dfu,flash="$F",timing=off --firmware-interface can
    if [ "$STATUS" -ne 0 ] && grep -q -- "add --bitrate N" <<<"$ERR"; then pass "a CAN build without a bitrate: asks for --bitrate"; else fail "can without bitrate: exit $STATUS"; show; fi
    update --simulate=dfu,flash="$F",timing=off --firmware-interface can --bitrate 1000000
    expect_status 0 "update an erased probe with --firmware-interface can --bitrate 1000000"
    expect_out "^Image: CARTOGRAPHER V3 6.1.0 \\(.*combined-firmware/6.1.0/Katapult_plus_CartographerV3_6.1.0_CAN_1M.bin\\) - the newest combined image" \
        "picks the newest combined CAN 1M image"
    expect_out "A CAN build shows nothing on USB" "says a CAN build cannot be seen on USB"
    # Now the flash holds a CAN build: a second update reads it and keeps CAN 1M.
    update --simulate=dfu,flash="$F",timing=off
    expect_status 0 "update a DFU-mode probe whose flash holds a CAN build"
    expect_out "^Its flash holds CARTOGRAPHER V3 6.1.0 \\(CAN 1000000\\) \\(its Klipper data dictionary, read with DfuSe upload\\)" \
        "reads the firmware in the flash before erasing"
    expect_out "^Interface: CAN at 1000000 bit/s - kept from the firmware its flash holds" "keeps CAN 1M"
    expect_out "0 of [0-9]+ pages changed" "the same image again changes no page"
    # A USB 5.0.0 in the flash: 6.1.0 USB, and the app comes back on the same port.
    rm -f "$F"
    run --simulate=dfu,flash="$F",timing=off flash dfu --yes "$COMB/5.0.0/Full_Survey_Cartographer_USB_5_0_0.bin"
    expect_status 0 "flash dfu 5.0.0 USB (the starting point)"
    update --simulate=dfu,flash="$F",timing=off
    expect_status 0 "update a DFU-mode probe whose flash holds 5.0.0 USB"
    expect_out "^Probe: 1-1.3 \\(0483:df11\\), stm32f042x6 \\(v2/v3\\), in DFU mode" "says the probe sits in DFU mode"
    expect_out "^Its flash holds CARTOGRAPHER 5.0.0 \\(USB\\)" "reads 5.0.0 USB from the flash"
    expect_out "^Image: .*Katapult_plus_CartographerV3_6.1.0_USB.bin" "picks the 6.1.0 combined USB image (not lite)"
    expect_out "^The probe is back on ([^ ]+ \\()?1-1.3\\)? \\(the same port and chip" \
        "the app is seen on the same port after leave"
    expect_out "^The probe now runs CARTOGRAPHER V3 6.1.0 \\(USB\\) \\(read back with identify" \
        "and asked what it runs"
    # The flavour is kept: a K1 build gets the newest K1 image.
    rm -f "$F"
    run --simulate=dfu,flash="$F",timing=off flash dfu --yes "$COMB/5.0.0/Full_Survey_Cartographer_CrealityK1_USB_5_0_0.bin"
    update --simulate=dfu,flash="$F",timing=off
    expect_status 0 "update a DFU-mode K1 probe"
    expect_out "^Image: .*5.1.0/Full_Survey_Cartographer_CrealityK1_USB_5_1_0.bin" "picks the K1 image"
    update --simulate=dfu,flash="$F",timing=off --version 5.0.0 --firmware-interface usb
    expect_status 0 "update --version 5.0.0 --firmware-interface usb over DFU"
    expect_out "^Interface: USB - from --firmware-interface" "the flag's choice, with its reason"
    expect_out "^Image: .*5.0.0/Full_Survey_Cartographer_CrealityK1_USB_5_0_0.bin" "the version asked for"
    # A v4 (G431) in DFU mode.
    F=$TMP/up-dfu-g431.bin
    rm -f "$F"
    update --simulate=dfu:g431,flash="$F",timing=off --firmware-interface usb
    expect_status 0 "update an erased G431 in DFU mode over DFU"
    expect_out "^Image: .*v4/combined-firmware/6.1.0/Katapult_plus_CartographerV4_6.1.0_USB.bin" "the newest v4 combined USB image"
    expect_out "^The probe is back on ([^ ]+ \\()?1-1.3\\)? \\(the same port and chip" "and the app is seen on its port"
fi

if want update-can; then
    F=$TMP/up-can.bin
    rm -f "$F"
    update --simulate=katapult-can,flash="$F",timing=off,app="$V3/5.0.0/Survey_Cartographer_CAN_1000000_8kib_offset.bin"
    expect_status 0 "update a CAN probe running 5.0.0"
    expect_out "6.1.0_CAN_1M_full_8kib_offset.bin" "picks the CAN 1M image"
    expect_out "The probe now runs CARTOGRAPHER V3 6.1.0 \\(CAN 1000000\\)" "confirms 6.1.0 on CAN"
    update --simulate=katapult-can,flash="$F",record="$TMP/rec"
    expect_out "Already up to date.*nothing to do" "update again: nothing to do"
    if [ "$(record "$TMP/rec" bootloader_requests)" = 0 ]; then pass "no bootloader request (simulator record)"; else fail "bootloader requested"; fi
    F=$TMP/up-g431.bin
    # 6.2.0 needs the Cartographer Klipper plugin 1.6.0 (the manifest's
    # min_plugin_version): an older plugin installed with pip refuses it.
    SITE=$HOME/klippy-env/lib/python3.11/site-packages/cartographer3d_plugin-1.5.0.dist-info
    mkdir -p "$SITE"
    printf 'Metadata-Version: 2.4\nName: cartographer3d-plugin\nVersion: 1.5.0\n' >"$SITE/METADATA"
    rm -f "$F"
    update --simulate=katapult-usb:g431,flash="$F",timing=off,record="$TMP/rec",app="$V4/6.0.0/CartographerV4_6.0.0_USB_full_8kib_offset.bin"
    if [ "$STATUS" -ne 0 ] && grep -q "6.2.0_USB_full_8kib_offset.bin needs the Cartographer Klipper plugin 1.6.0 or newer; the installed one is 1.5.0" <<<"$ERR"; then
        pass "plugin 1.5.0 installed: 6.2.0 (needs 1.6.0) is refused"
    else fail "old plugin: exit $STATUS"; show; fi
    if grep -qF "$HOME/klippy-env/bin/pip install --upgrade cartographer3d-plugin" <<<"$ERR"; then pass "naming the command that upgrades the plugin"; else fail "no upgrade command"; show; fi
    if [ "$(record "$TMP/rec" bootloader_requests)" = 0 ]; then pass "and nothing was flashed (no bootloader request)"; else fail "bootloader requested"; fi
    rm -rf "$SITE"
    update --simulate=katapult-usb:g431,flash="$F",timing=off,app="$V4/6.0.0/CartographerV4_6.0.0_USB_full_8kib_offset.bin"
    expect_status 0 "update a G431 on USB running 6.0.0"
    expect_out "^Note: .*needs the Cartographer Klipper plugin 1.6.0 or newer; no installed plugin was found" \
        "no plugin installed: says it could not be checked"
    expect_out "The probe now runs CARTOGRAPHER v4 6.2.0 \\(USB\\)" "confirms 6.2.0"
    SITE=$HOME/klippy-env/lib/python3.11/site-packages/cartographer3d_plugin-1.6.0.dist-info
    mkdir -p "$SITE"
    printf 'Metadata-Version: 2.4\nName: cartographer3d-plugin\nVersion: 1.6.0\n' >"$SITE/METADATA"
    rm -f "$F"
    update --simulate=katapult-usb:g431,flash="$F",timing=off,app="$V4/6.0.0/CartographerV4_6.0.0_USB_full_8kib_offset.bin"
    expect_status 0 "plugin 1.6.0 installed: 6.2.0 is flashed"
    expect_out "^Plugin: Cartographer Klipper plugin 1.6.0 \\(.*METADATA\\) - the image needs 1.6.0 or newer" "saying which plugin it found"
    rm -rf "$SITE"
fi

if want moonraker; then
    # A running Klipper holds the CAN probe: it answers no query, so only
    # Moonraker (a local HTTP server standing in for it, found through
    # ~/printer_data/config/moonraker.conf) can say what it runs.
    SERVER=$(dirname "$0")/../catalog/server.py
    APP=$V3/5.0.0/Survey_Cartographer_CAN_1000000_8kib_offset.bin
    run --simulate=katapult-can list --json
    UUID=$(jq -r '.probes[0].uuid' <<<"$OUT")
    MR=$TMP/mr
    mkdir -p "$MR/printer/objects" "$HOME/printer_data/config"
    cat >"$MR/printer/objects/query" <<JSON
{"result": {"eventtime": 12.5, "status": {
  "mcu scanner": {"mcu_version": "CARTOGRAPHER 5.0.0", "mcu_build_versions": "gcc: 12.2.0",
    "mcu_constants": {"MCU": "stm32f042x6", "CLOCK_FREQ": 48000000, "CANBUS_FREQUENCY": 1000000,
      "RESERVE_PINS_CAN": "PA11,PA12", "STATS_SUMSQ_BASE": 256}},
  "configfile": {"settings": {"scanner": {"canbus_uuid": "$UUID", "x_offset": 0.0}}}}}}
JSON
    python3 "$SERVER" "$MR" "$TMP/mr.port" --lifetime 100 --log "$TMP/mr.log" &
    MRPID=$!
    for _ in $(seq 1 100); do [ -s "$TMP/mr.port" ] && break; sleep 0.05; done
    printf '[server]\nhost: 0.0.0.0\nport: %s\n' "$(cat "$TMP/mr.port")" >"$HOME/printer_data/config/moonraker.conf"
    status --simulate=katapult-can,claimed,app="$APP",record="$TMP/rec" --json
    expect_status 0 "status with a CAN probe a running Klipper holds"
    jq_is '.probes | length' 1 "the probe is listed (from Moonraker)"
    jq_is '.probes[0].source' moonraker "says the answer came from Moonraker"
    jq_is '.probes[0].source_detail | test("Moonraker at http://127.0.0.1:[0-9]+ \\(\"mcu scanner\"\\)")' true \
        "naming which Moonraker and which object"
    jq_is '.probes[0].uuid' "$UUID" "matched by the [scanner] canbus_uuid"
    jq_is '.probes[0].semver + " " + .probes[0].firmware_interface + " " + (.probes[0].can_bitrate|tostring)' \
        "5.0.0 can 1000000" "what Klipper read from the probe: 5.0.0, CAN 1M"
    jq_is '.probes[0].state + " " + .probes[0].latest.semver' "update available 6.1.0" "compared with the catalogue"
    echo "$OUT" >"$TMP/status-moonraker.json"
    status --simulate=katapult-usb,app="$V3/5.0.0/Survey_Cartographer_USB_8kib_offset.bin" --json
    echo "$OUT" >"$TMP/status-usb.json"
    if /usr/bin/python3 "$(dirname "$0")/../cli/validate_json.py" "$(dirname "$0")/../../docs/schema/cartoflash.schema.json" \
        "$TMP/status-moonraker.json" "$TMP/status-usb.json" >"$TMP/validate" 2>&1; then
        pass "status --json validates against the schema (moonraker and identify)"
    else fail "status --json against the schema: $(cat "$TMP/validate")"; fi
    if [ "$(record "$TMP/rec" identifies)" = 0 ]; then pass "the probe itself was not asked"; else fail "identify sent to a held node"; fi
    if grep -q "GET /printer/objects/query?mcu%20scanner&mcu%20cartographer&configfile=settings" "$TMP/mr.log"; then
        pass "asked Moonraker for mcu scanner / mcu cartographer"; else fail "Moonraker not asked"; cat "$TMP/mr.log"; fi
    status --simulate=katapult-can,claimed,app="$APP"
    expect_out "reported by moonraker \\(Klipper holds the probe" "the text says where the answer came from"
    # update's "what does it run" step takes the same answer; no --yes and no terminal: nothing sent
    run --simulate=katapult-can,claimed,app="$APP",record="$TMP/rec" update --source "$CAT" --offline
    expect_status 64 "update without --yes stops before the flash"
    expect_out "^Probe: uuid $UUID .*runs CARTOGRAPHER 5.0.0 \\(CAN 1000000\\) \\(moonraker\\)" "update knows what it runs from Moonraker"
    if [ "$(record "$TMP/rec" bootloader_requests)" = 0 ]; then pass "and sent no bootloader request"; else fail "bootloader requested"; fi
    # A Moonraker that wants an API key tells nothing: no row is made up
    echo sekrit >"$MR/.apikey"
    status --simulate=katapult-can,claimed,app="$APP" --json
    jq_is '.probes | length' 0 "a Moonraker that refuses: no probe is made up"
    MOONRAKER_API_KEY=sekrit status --simulate=katapult-can,claimed,app="$APP" --json
    jq_is '.probes[0].source' moonraker "with MOONRAKER_API_KEY it answers"
    kill "$MRPID" 2>/dev/null
    rm -rf "$HOME/printer_data"
fi

# switch --to can@1000000 from a USB v3 probe: stopped after the deployer (the
# state file says so, the simulated probe has left USB for CAN in its new
# Katapult), continued by a second run, ending on CAN with the CAN app.
if want switch; then
    F=$TMP/sw.bin R=$TMP/sw.rec STATE=$XDG_STATE_HOME/cartoflash/switch
    rm -f "$F" "$STATE"
    sw() { run "$@" --source "$CAT" --offline --yes; }
    sw --simulate=katapult-usb,flash="$F",timing=off,record="$R",app="$V3/5.1.0/Survey_Cartographer_USB_8kib_offset.bin" \
        switch --to can@1000000 --stop-after deployed
    expect_status 0 "switch --to can@1000000, stopped after the deployer"
    expect_out "^Deployer: v2-v3/katapult-deployer/katapult-deployer-1m.bin" "picks the v3 deployer for CAN 1M"
    expect_out "fit its 120 ohm terminator jumper" "tells how to re-cable, termination included"
    if grep -qx "step=deployed" "$STATE" 2>/dev/null; then pass "the state file says: deployed"; else fail "no state after the deployer"; cat "$STATE"; fi
    if [ "$(record "$R" link)" = can ] && [ "$(record "$R" deployer_runs)" = 1 ]; then pass "the probe left USB for CAN in its new Katapult"; else fail "the deployer did not run"; cat "$R"; fi
    sw --simulate=katapult-usb,flash="$F",timing=off switch --to usb
    expect_status 64 "another --to while a switch is under way is refused"
        if grep -q -- "--restart" <<<"$ERR"; then pass "naming --restart"; else fail "no --restart hint"; show; fi
    sw --simulate=katapult-usb,flash="$F",timing=off,record="$R" switch
    expect_status 0 "switch again continues and finishes"
    expect_out "^Continuing the switch from USB to CAN .* after step \"deployed\"" "from the step it stopped at"
    expect_out "^Application: v2-v3/survey/6.1.0/CartographerV3_6.1.0_CAN_1M_full_8kib_offset.bin" \
        "flashes the newest full CAN 1M app"
    expect_out "^Status: CAN can0 uuid [0-9a-f]{12}: stm32f042x6 \(v2/v3\) runs CARTOGRAPHER V3 6.1.0 \(CAN 1000000\)" \
        "and shows the probe's status on CAN"
    if [ ! -e "$STATE" ]; then pass "the state file is gone"; else fail "state left behind"; cat "$STATE"; fi
    if [ "$(record "$R" bootloader_requests)" = 0 ]; then pass "no bootloader request: the probe sat in Katapult"; else fail "a bootloader request on resume"; fi
    status --simulate=katapult-usb,flash="$F" --json
    jq_is '.probes[0].connection + " " + (.probes[0].can_bitrate|tostring) + " " + .probes[0].semver' \
        "can 1000000 6.1.0" "status afterwards: the CAN app at 1 Mbit/s answers on CAN"
    sw --simulate=katapult-usb,flash="$F",timing=off switch --to can@1000000
    expect_status 0 "switching to where it already is"
    expect_out "already on CAN; nothing to switch" "is nothing to do"
    # and back to USB in one run: found on CAN by its UUID, found again on USB
    # as the chip whose serial gives that UUID
    sw --simulate=katapult-usb,flash="$F",timing=off,record="$R" switch --to usb --wait 20
    expect_status 0 "switch --to usb from CAN in one run"
    expect_out "^Deployer: v2-v3/katapult-deployer/katapult-deployer-usb.bin" "picks the USB deployer"
    expect_out "Waiting up to 20 s for the probe in Katapult on USB \\(CAN UUID [0-9a-f]{12}\\)" \
        "waits for the same chip on USB"
    expect_out "^Status: USB .*runs CARTOGRAPHER V3 6.1.0 \\(USB\\) - up to date" "ends on USB with the USB app"
    if [ "$(record "$R" link)" = usb ]; then pass "the simulated probe is on USB again"; else fail "not on USB"; cat "$R"; fi
    # --json: one document per run on stdout, the notes on stderr; the same
    # switch to CAN, stopped after the deployer, then continued
    J=$TMP/sw-json
    mkdir -p "$J"
    sw --simulate=katapult-usb,flash="$F",timing=off switch --to can@1000000 --stop-after deployed --json
    expect_status 0 "switch --json, stopped after the deployer"
    echo "$OUT" >"$J/stopped.json"
    jq_is '.command + " / " + .result' "switch / stopped after deployed" "says it stopped after the deployer"
    jq_is '.steps_done | join(",")' deployed "one step done: deployed"
    jq_is '.state.step + " " + .state.from + " " + .state.to + " " + (.state.can_bitrate|tostring) + " " + .state.mcu' \
        "deployed usb can 1000000 stm32f042x6" "the state it stopped at"
    jq_is '.deployer.path' v2-v3/katapult-deployer/katapult-deployer-1m.bin "the deployer image"
    jq_is '.app + .status' null "no app and no status yet"
    if grep -q "fit its 120 ohm terminator jumper" <<<"$ERR"; then pass "the instructions go to stderr"; else fail "no instructions on stderr"; show; fi
    sw --simulate=katapult-usb,flash="$F",timing=off switch --json
    expect_status 0 "switch --json continues and finishes"
    echo "$OUT" >"$J/switched.json"
    jq_is '.result + " after " + .resumed_after' "switched after deployed" "resumed after the deployer"
    jq_is '.steps_done | join(",")' arrived,app "then arrived and app"
    jq_is '.state.step' app "the state it ended at"
    jq_is '.app.path + " " + .app.semver' \
        "v2-v3/survey/6.1.0/CartographerV3_6.1.0_CAN_1M_full_8kib_offset.bin 6.1.0" "the app image"
    jq_is '.status.connection + " " + .status.mode + " " + .status.semver + " " + (.status.can_bitrate|tostring)' \
        "can klipper 6.1.0 1000000" "the probe's status line fields at the end: the CAN app"
    jq_is '.status.uuid == .state.uuid' true "the same probe, by its UUID"
    sw --simulate=katapult-usb,flash="$F",timing=off switch --to can@1000000 --json
    expect_status 0 "switch --json where it already is"
    echo "$OUT" >"$J/nothing.json"
    jq_is '.result + " " + (.steps_done|length|tostring)' "nothing to do 0" "nothing to do, no step"
    sw --simulate=katapult-usb,flash="$F",timing=off switch --json
    expect_status 64 "switch --json with no switch under way"
    echo "$OUT" >"$J/error.json"
    jq_is '.error.class + " " + (.error.code|tostring)' "usage 64" "fails with the error document"
    jq_is '.error.hint | test("--to can@1000000")' true "whose hint says how to start one"
    if /usr/bin/python3 "$(dirname "$0")/../cli/validate_json.py" "$(dirname "$0")/../../docs/schema/cartoflash.schema.json" \
        "$J/stopped.json" "$J/switched.json" "$J/nothing.json" "$J/error.json" >"$TMP/validate" 2>&1; then
        pass "switch --json validates against the schema (stopped, switched, nothing to do, error)"
    else fail "switch --json against the schema: $(cat "$TMP/validate")"; fi
    # not confirmed (no --yes, no terminal): the layer's confirm refuses before
    # the deployer, nothing is sent and the switch stands after "found"
    run --simulate=katapult-usb,flash="$F",timing=off,record="$R" switch --to usb --source "$CAT" --offline
    expect_status 64 "switch without --yes and without a terminal"
    if grep -q -- "--yes" <<<"$ERR"; then pass "says to add --yes"; else fail "no --yes hint"; show; fi
    if grep -qx "step=found" "$STATE" 2>/dev/null; then pass "the state stays at found"; else fail "state not at found"; cat "$STATE"; fi
    if [ "$(record "$R" bootloader_requests)" = 0 ]; then pass "no bootloader request without a yes"; else fail "a bootloader request without a yes"; fi
    if [ "$(record "$R" link)" = can ]; then pass "the probe stays on CAN"; else fail "the probe moved"; cat "$R"; fi
fi

finish
