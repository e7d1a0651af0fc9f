# Helpers of the CLI tests on top of the shared assertions (tests/lib/lib.sh):
# each script sources this, runs the real binary against the simulated probe
# and ends with finish.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/lib.sh"
need_firmware
KLIPPER_FW="$CF_FIRMWARE_DIR/cartographer-klipper/firmware/v2-v3"
CARTO_FW="$CF_FIRMWARE_DIR/cartographer_firmware/firmware"

# flash_starts_with FLASHFILE IMAGE MSG: the emulated flash begins with the image bytes.
flash_starts_with() {
    local size
    size=$(stat -c %s "$2")
    if cmp -s -n "$size" "$1" "$2"; then pass "$3"; else fail "$3: flash differs from image"; fi
}
json_get() { # jq-expression, JSON on stdin
    jq -r "$1"
}
