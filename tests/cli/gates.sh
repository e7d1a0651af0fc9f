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
# An app linked for 0x08002000 does not start at 0x08000000: written, verified
# and started, but the probe is not seen again (exit 6), never claimed back.
run --simulate=dfu,flash="$F",timing=off flash dfu --yes --force --back-wait 1 "$APP"
expect_status 6 "--force overrides the app-at-0x08000000 gate; the app then never enumerates"
expect_err "WARNING: --force overrides a safety check" "forced gate warns loudly"
flash_starts_with "$F" "$APP" "forced image written"

# --- content gates on both probes: what is not firmware for the chip is
# refused before any erase, with what the file is, and the flash stays
# byte-identical.
F042_COMBINED="$COMBINED"
UF2="$CARTO_FW/v1/carto-rp2040.uf2"
# ELF: a 52-byte ELF32 header (e_ident, ET_EXEC, EM_ARM) in front of an image.
make_elf() { # IMAGE OUT
    { printf '\177ELF\001\001\001'; head -c 9 /dev/zero; printf '\002\000\050\000\001'
      head -c 31 /dev/zero; cat "$1"; } >"$2"
}
# A DFU suffix (DFU 1.1 appendix B) naming another device, on a real image.
add_suffix() { # IMAGE VID PID OUT
    python3 - "$@" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
head = data + struct.pack("<HHHH", 0, int(sys.argv[3], 16), int(sys.argv[2], 16), 0x0100) + b"UFD\x10"
open(sys.argv[4], "wb").write(head + struct.pack("<I", zlib.crc32(head) ^ 0xFFFFFFFF))
PY
}
for chip in g431 f042; do
    if [ $chip = g431 ]; then IMG="$G431"; RANDOM_SIZE=40000; else IMG="$F042_COMBINED"; RANDOM_SIZE=20000; fi
    FC="$TMP/flash-$chip"
    sim="--simulate=dfu:$chip,flash=$FC,timing=off"
    run "$sim" flash dfu --yes "$IMG"
    expect_status 0 "$chip: setup flash"
    before=$(sha256sum <"$FC")
    same() { [ "$(sha256sum <"$FC")" = "$before" ] && pass "$chip $1: flash byte-identical" || fail "$chip $1: flash changed"; }

    head -c $RANDOM_SIZE /dev/urandom >"$TMP/random.bin"
    run "$sim" flash dfu --yes "$TMP/random.bin"
    expect_status 3 "$chip: random bytes refused"
    expect_err "random or encrypted data" "$chip: says it is random data"
    expect_err "Nothing was erased" "$chip: says nothing was erased"
    same "random"

    run "$sim" flash dfu --yes "$UF2"
    expect_status 3 "$chip: .uf2 refused"
    expect_err "RP2040 UF2" "$chip: names the RP2040 UF2"
    expect_err "copying the .uf2 to the RPI-RP2 drive" "$chip: says how v1 probes are flashed"
    same "uf2"

    make_elf "$IMG" "$TMP/firmware.elf"
    run "$sim" flash dfu --yes "$TMP/firmware.elf"
    expect_status 3 "$chip: ELF refused"
    expect_err "an ELF file" "$chip: names the ELF file"
    expect_err "use the .bin" "$chip: says to use the .bin"
    same "elf"

    add_suffix "$IMG" 04d8 bea1 "$TMP/other.bin"
    run "$sim" flash dfu --yes "$TMP/other.bin"
    expect_status 3 "$chip: another device's DFU suffix refused"
    expect_err "for USB device 04d8:bea1, but this device is 0483:df11" "$chip: names both devices"
    same "other suffix"
    add_suffix "$IMG" ffff ffff "$TMP/any.bin"
    run "$sim" flash dfu --yes "$TMP/any.bin"
    expect_status 0 "$chip: a suffix for any device (ffff:ffff) is fine"
done

# A bare Katapult has no dictionary: its stack (8 bytes below the end of the
# RAM it was built for) says the F042, so the G431 refuses it.
before=$(sha256sum <"$TMP/flash-g431")
run --simulate=dfu:g431,flash="$TMP/flash-g431",timing=off flash dfu --yes "$KLIPPER_FW/Katapult_USB.bin"
expect_status 3 "an F042 Katapult on the G431 refused"
expect_err "built for the stm32f042x6" "... naming the chip it was built for"
[ "$(sha256sum <"$TMP/flash-g431")" = "$before" ] && pass "F042 Katapult: flash byte-identical" || fail "F042 Katapult: flash changed"

# Forced, random bytes go through with a loud warning (and are written).
head -c 40000 /dev/urandom >"$TMP/random.bin"
run --simulate=dfu:g431,flash="$TMP/flash-g431",timing=off flash dfu --yes --force "$TMP/random.bin"
expect_status 0 "--force overrides the random-data gate"
expect_err "WARNING: --force overrides a safety check: the file is random" "forced content gate warns"
flash_starts_with "$TMP/flash-g431" "$TMP/random.bin" "forced random image written"

# --- DfuSe files as ST's DFU File Manager and dfuse-pack.py write them
# (DFUImageSize without the suffix): three elements and an option-bytes target.
FG="$TMP/flash-dfuse"
python3 "$(dirname "$0")/make_dfuse.py" "$TMP/tools.dfu" 0483:df11 \
    "0:0x08002000:$G431:0x2000:0x3000" "0:0x08000000:$G431:0:0x2000" \
    "0:0x08005000:$G431:0x5000:0x100000" "1:0x1FFF7800:$G431:0:24" "1:0x1FFF7818:$G431:24:16"
# Start from another image so the flash must really change.
run --simulate=dfu:g431,flash="$FG",timing=off flash dfu --yes "${G431%.bin}_lite.bin"
expect_status 0 "dfuse: setup flash"
run --simulate=dfu:g431,flash="$FG",timing=off flash dfu --yes "$TMP/tools.dfu"
expect_status 0 "a dfuse-pack-style .dfu flashes"
expect_out "written and verified" "... written and verified"
flash_starts_with "$FG" "$G431" "... and the flash holds its image"
# Named by content, not by file name: the same .dfu, and Intel HEX, called .bin.
cp "$TMP/tools.dfu" "$TMP/tools-dfu.bin"
run --simulate=dfu:g431,flash="$FG",timing=off flash dfu --yes "$TMP/tools-dfu.bin"
expect_status 0 "a .dfu named .bin is read as DfuSe"
run inspect "$TMP/tools-dfu.bin"
expect_out "format: +dfuse" "inspect reads it as DfuSe"
expect_out "alt setting 1 \\(2 elements, 56 bytes\\) ignored" "... noting its option-bytes target"
python3 - "$G431" "$TMP/hex.bin" <<'PY'
import sys
data, out, lines = open(sys.argv[1], "rb").read(), open(sys.argv[2], "w"), []
def rec(kind, addr, payload):
    b = bytes([len(payload), addr >> 8, addr & 0xFF, kind]) + payload
    lines.append(":%s%02X" % (b.hex().upper(), -sum(b) & 0xFF))
rec(4, 0, b"\x08\x00")
for off in range(0, len(data), 16):
    if off and off % 0x10000 == 0:
        rec(4, 0, bytes([0x08, off >> 16]))
    rec(0, off & 0xFFFF, data[off:off + 16])
rec(1, 0, b"")
out.write("\n".join(lines) + "\n")
PY
run --simulate=dfu:g431,flash="$FG",timing=off flash dfu --yes "$TMP/hex.bin"
expect_status 0 "Intel HEX named .bin is read as HEX"
expect_out "Firmware: .*hex.bin" "... the HEX file was the one flashed"
flash_starts_with "$FG" "$G431" "... and the flash still holds the image"
before_dfuse=$(sha256sum <"$FG")
same_dfuse() { [ "$(sha256sum <"$FG")" = "$before_dfuse" ] && pass "dfuse $1: flash untouched" || fail "dfuse $1: flash changed"; }
head -c -1 "$TMP/tools.dfu" >"$TMP/cut.dfu"
run --simulate=dfu:g431,flash="$FG",timing=off flash dfu --yes "$TMP/cut.dfu"
expect_nonzero "a truncated .dfu is refused"
expect_err "DFUImageSize says" "... naming the size"
same_dfuse "truncated"
cp "$TMP/tools.dfu" "$TMP/crc.dfu"
printf '\377' | dd of="$TMP/crc.dfu" bs=1 seek=400 conv=notrunc 2>/dev/null
run --simulate=dfu:g431,flash="$FG",timing=off flash dfu --yes "$TMP/crc.dfu"
expect_nonzero "a .dfu with a bad CRC is refused"
expect_err "DFU suffix CRC does not match" "... naming the CRC"
same_dfuse "bad CRC"
python3 "$(dirname "$0")/make_dfuse.py" "$TMP/foreign.dfu" 1209:0001 "0:0x08000000:$G431"
run --simulate=dfu:g431,flash="$FG",timing=off flash dfu --yes "$TMP/foreign.dfu"
expect_status 3 "a .dfu for another device is refused"
expect_err "for USB device 1209:0001" "... naming its VID:PID"
same_dfuse "foreign .dfu"

finish
