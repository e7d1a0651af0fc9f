#!/usr/bin/env bash
# The real cartoflash binary against the emulated Katapult node:
# `list`, `flash usb` (over a pty) and `flash can` (in-process bus) from
# "running Klipper", byte-for-byte checks of the node's flash file, faults
# ending with a clear message and a successful retry, and the gates.
. "$(dirname "$0")/../lib/lib.sh"
need_firmware
FW=$CF_FIRMWARE_DIR/cartographer-klipper/firmware/v2-v3
USB_APP=$FW/survey/5.1.0/Survey_Cartographer_USB_8kib_offset.bin
CAN_APP=$FW/survey/5.1.0/Survey_Cartographer_CAN_1000000_8kib_offset.bin
# holds FLASHFILE IMAGE: the app region (0x08002000 = offset 8192) equals IMAGE.
holds() { cmp -s -n "$(stat -c %s "$2")" -i 8192:0 "$1" "$2"; }
erased() { cmp -s "$1" <(head -c "$(stat -c %s "$1")" /dev/zero | tr '\0' '\377'); }

# Sections (ctest runs them in parallel); no argument runs all.
section_args "$@"

run --simulate=katapult-can list --json
UUID=$(sed -n 's/.*"uuid": "\([0-9a-f]*\)".*/\1/p' <<<"$OUT" | head -1)

if want list; then
run --simulate=katapult-usb list
expect_status 0 "list with the USB node"
expect_out "1d50:614e Cartographer 614e, serial 16000C000F43304253373820 - running Cartographer" \
    "list shows the probe running Cartographer on USB"
run --simulate=katapult-can list --json
expect_status 0 "list --json with the CAN node"
if [ ${#UUID} -eq 12 ]; then pass "list --json gives a CAN UUID ($UUID)"; else fail "no UUID in list --json"; show; fi
expect_out '"mode": "klipper"' "the CAN node answers the query as Klipper"
run --simulate=katapult-can,claimed list
expect_out "no unassigned node answered" "a node claimed by a running Klipper stays silent"
expect_out "Note: A node only answers a CAN query while it has no node id" "and the rule is explained"
fi

# --- flash usb from running Klipper
if want usb; then
F=$TMP/usb.bin
run --simulate=katapult-usb,flash="$F" flash usb --yes "$USB_APP"
expect_status 0 "flash usb"
expect_out "asking it to enter Katapult" "flash usb sends Klipper to Katapult (1200-baud touch)"
expect_out "Katapult appeared on .* \\(same port 1-1, same chip 16000C000F43304253373820\\)" \
    "Katapult is found on the same port with the same chip"
expect_out "Came back: the probe is back on /dev/.* \\(1-1\\) after .* it runs CARTOGRAPHER 5.1.0 \\(stm32f042x6, identify over USB serial\\), the image just written" \
    "the probe comes back on its port and says it runs the image"
if holds "$F" "$USB_APP"; then pass "usb: node flash equals the image byte for byte"; else fail "usb: flash differs"; fi
rm -f "$F"
run --simulate=katapult-usb,timing=off,noapp,mainboard=usb flash usb --yes --device 1-1 --back-wait 1.5 "$USB_APP"
expect_status 6 "flash usb: an app that never enumerates is not seen"
expect_err "ignored 1d50:614e on port 1-1.2" "and the Klipper mainboard on another port is not taken for it"
if grep -q "Came back" <<<"$OUT"; then fail "flash usb noapp claims the probe came back"; show
else pass "flash usb noapp: no claim that the probe came back"; fi
# A deployer leaves the probe in Katapult: nothing is claimed to have come back.
DEPLOYER=$FW/katapult-deployer/katapult-deployer-1m.bin
run --simulate=katapult-usb,timing=off flash usb --yes --force "$DEPLOYER"
expect_status 0 "flash usb of a deployer (forced: a CAN Katapult over USB)"
expect_out "Not looked for: a deployer installs Katapult" "a deployer is not looked for as the app"
if grep -q "Came back" <<<"$OUT"; then fail "a deployer flash claims the probe came back"; show
else pass "a deployer flash claims no app came back"; fi
run --simulate=katapult-usb,appear=1,timing=off,flash="$F" flash usb --yes "$USB_APP"
expect_status 0 "flash usb waits for a probe that appears late (appear=1)"
expect_out "waiting up to" "and says it is waiting"
if holds "$F" "$USB_APP"; then pass "usb appear=1: flash equals the image"; else fail "usb appear=1: flash differs"; fi
fi

# --- flash can from running Klipper
if want can; then
F=$TMP/can.bin
run --simulate=katapult-can,flash="$F" flash can --yes --uuid "$UUID" "$CAN_APP"
expect_status 0 "flash can"
expect_out "CAN traffic: [0-9]+ frames sent, [0-9]+ received, [0-9]+ bits on the wire \\([0-9.]+ s of bus time at 1000000 bit/s\\)" \
    "flash can reports traffic and bus time"
if holds "$F" "$CAN_APP"; then pass "can: node flash equals the image byte for byte"; else fail "can: flash differs"; fi
expect_out "Came back: the probe is back on can0 uuid $UUID after .* it runs CARTOGRAPHER 5.1.0" \
    "flash can: the same UUID answers and says what it runs"
rm -f "$F"
run --simulate=katapult-can,timing=off,noapp flash can --yes --uuid "$UUID" --back-wait 1.5 "$CAN_APP"
expect_status 6 "flash can: a node that never answers again is not seen"
expect_err "termination" "and says what to check"
run --simulate=katapult-can,timing=off flash can --yes --uuid "$UUID" --back-wait 0 "$CAN_APP"
expect_status 0 "flash can --back-wait 0"
expect_out "Not looked for: --back-wait 0" "does not look and says so"
run --simulate=katapult-can,appear=1,timing=off,flash="$F" flash can --yes --uuid "$UUID" "$CAN_APP"
expect_status 0 "flash can waits for a node that appears late (appear=1)"
if holds "$F" "$CAN_APP"; then pass "can appear=1: flash equals the image"; else fail "can appear=1: flash differs"; fi
fi

# --- faults: a clear message, COMPLETE never sent, then a retry succeeds
for link in usb can; do
    for fault in readback@4 disconnect@30 lost@6 nack@2 busy@9; do
        want "fault-$link-${fault%@*}" || continue
        F=$TMP/fault-$link.bin
        rm -f "$F"
        if [ $link = usb ]; then img=$USB_APP; args=(flash usb --yes); else img=$CAN_APP; args=(flash can --yes --uuid "$UUID"); fi
        run --simulate=katapult-$link,flash="$F",fault=$fault,timing=off "${args[@]}" "$img"
        case $fault in
        readback*)
            expect_nonzero "$link $fault fails"
            expect_err "read-back differs at 0x0800" "$link $fault: says where the read-back differs"
            expect_err "COMPLETE was not sent" "$link $fault: says the app was not started"
            ;;
        disconnect*)
            expect_nonzero "$link $fault fails"
            expect_err "next: .*(flash again|retry)" "$link $fault: says what to do next"
            ;;
        *)
            expect_status 0 "$link $fault is retried and the flash succeeds"
            ;;
        esac
        # After a failed flash the real probe stays in Katapult (COMPLETE was
        # never sent); a fresh simulator starts running the app unless told.
        stay=""
        case $fault in readback* | disconnect*) stay=",mode=katapult" ;; esac
        run --simulate=katapult-$link,flash="$F",timing=off$stay "${args[@]}" "$img"
        expect_status 0 "$link retry after $fault"
        if holds "$F" "$img"; then pass "$link after $fault: flash equals the image"; else fail "$link after $fault: flash differs"; fi
    done
done

# --- gates: refused before anything is written
if want gates; then
F=$TMP/gate.bin
rm -f "$F"
run --simulate=katapult-usb,flash="$F" flash usb --yes "$FW/combined-firmware/5.1.0/Full_Survey_Cartographer_USB_5_1_0.bin"
expect_nonzero "combined image over Katapult is refused"
expect_err "combined \\(Katapult \\+ app\\)" "and the message says it is a combined image"
run --simulate=katapult-usb,flash="$F" flash usb --yes "$CAN_APP"
expect_nonzero "a CAN image over USB is refused without --force"
run --simulate=katapult-can,flash="$F" flash can --yes --uuid "$UUID" "$FW/survey/5.1.0/Survey_Cartographer_CAN_250000_8kib_offset.bin"
expect_nonzero "a 250 kbit/s image on a 1 Mbit/s bus is refused"
expect_err "250000 bit/s but the bus runs at 1000000" "and the message names both bitrates"
if erased "$F"; then pass "refused flashes left the flash untouched"; else fail "a refused flash wrote"; fi
run --simulate=katapult-can flash can --yes "$CAN_APP"
expect_nonzero "flash can without --uuid"
expect_err "needs --uuid" "and says what is missing"
run --simulate=dfu flash can --yes --uuid "$UUID" "$CAN_APP"
expect_nonzero "the DFU simulator is not a CAN node"
# a UUID printer.cfg (second instance, through an [include] glob) gives to the
# mainboard is refused without --force, naming the section and the file
H=$TMP/home
mkdir -p "$H/printer_data/config" "$H/printer_data_2/config/boards"
printf '[scanner]\ncanbus_uuid: 0123456789ab\n' >"$H/printer_data/config/printer.cfg"
printf '[include boards/*.cfg]\n[cartographer]\ncanbus_uuid: 0123456789ab\n' \
    >"$H/printer_data_2/config/printer.cfg"
printf '[mcu]\ncanbus_uuid: %s\n' "$(tr a-f A-F <<<"$UUID")" >"$H/printer_data_2/config/boards/main.cfg"
HOME=$H run --simulate=katapult-can,flash="$F" flash can --yes --uuid "$UUID" "$CAN_APP"
expect_nonzero "a UUID printer.cfg assigns to [mcu] is refused"
expect_err "canbus_uuid $UUID belongs to \\[mcu\\] \\(.*boards/main.cfg:2\\)" "and the message names the section and file"
if erased "$F"; then pass "the mainboard's UUID: nothing written"; else fail "the mainboard's UUID: flash written"; fi
HOME=$H run --simulate=katapult-can,flash="$F" flash can --uuid 0123456789ab --yes "$CAN_APP"
expect_nonzero "the probe's own UUID passes the section check (no such node on the bus)"
if grep -q "belongs to" <<<"$ERR"; then fail "the probe's UUID was refused as another board's"; show; else pass "the probe's UUID is not refused as another board's"; fi
HOME=$H run --simulate=katapult-can,flash="$F" flash can --uuid "$UUID" --force --yes "$CAN_APP"
expect_status 0 "--force flashes a UUID assigned to [mcu]"
fi

# --- deployers: known by their content, checked against the running app before
# the bootloader request
if want deployer; then
DEP=$CF_FIRMWARE_DIR/cartographer_firmware/firmware
F=$TMP/dep.bin R=$TMP/dep.rec
run --simulate=katapult-usb,flash="$F",app="$USB_APP",record="$R" flash usb --yes \
    "$DEP/v4/katapult-deployer/katapult_deployer_v4_CAN_1M.bin"
expect_status 3 "a v4 deployer on a v3 probe running the USB app is refused"
expect_err "the image is for stm32g431xx but the probe is stm32f042x6 \(its running firmware" \
    "naming both chips, from what the running firmware says"
if grep -qx "bootloader_requests=0" "$R"; then pass "no bootloader request was sent"; else fail "a bootloader request was sent"; cat "$R"; fi
if holds "$F" "$USB_APP"; then pass "the running app is untouched"; else fail "the app was changed"; fi
run --simulate=katapult-usb,flash="$F",app="$USB_APP",record="$R" flash usb --yes --json \
    "$DEP/v2-v3/katapult-deployer/katapult-deployer-1m.bin"
expect_status 0 "the v3 CAN deployer flashes over USB without --force"
expect_out '"installed_katapult": \{' "the JSON names the Katapult it installed"
expect_out '"interface": "can"' "... for CAN"
expect_out '"can_uuid": "[0-9a-f]{12}"' "... and the UUID the probe answers with there"
if grep -qx "deployer_runs=1" "$R" && grep -qx "link=can" "$R"; then pass "the deployer ran and the probe now talks CAN"; else fail "the deployer did not run"; cat "$R"; fi
F2=$TMP/dep-can.bin
run --simulate=katapult-can,flash="$F2",app="$CAN_APP" flash can --yes --uuid "$UUID" \
    "$DEP/v2-v3/katapult-deployer/katapult-deployer-1m.bin"
expect_status 0 "the CAN deployer over CAN"
expect_out "Katapult for CAN is installed and the probe waits in it" \
    "the probe is seen waiting in the Katapult it installed (a CAN query answered by Katapult)"
run inspect "$DEP/v2-v3/katapult-deployer/katapult-deployer-usb.bin"
expect_out "mcu: +stm32f042x6 \(from its Katapult's stack pointer\)" "inspect names a deployer's MCU"
expect_out "katapult: +installs Katapult for stm32f042x6 on USB" "and the Katapult it installs"
fi

finish
