# Shared helpers for the CLI tests: each test script sources this, runs the real
# binary, and calls the assertions below. The script exits non-zero if any failed.
set -u

: "${CARTOFLASH:?set CARTOFLASH to the cartoflash binary}"
: "${FIRMWARE:?set FIRMWARE to ../shared/firmware}"
KLIPPER_FW="$FIRMWARE/cartographer-klipper/firmware/v2-v3"
CARTO_FW="$FIRMWARE/cartographer_firmware/firmware"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export XDG_STATE_HOME="$TMP/state" XDG_CACHE_HOME="$TMP/cache" XDG_CONFIG_HOME="$TMP/config"
export NO_COLOR=1
failures=0
checks=0

pass() { checks=$((checks + 1)); echo "ok - $1"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "not ok - $1"; }

# run CMD...: runs cartoflash, capturing stdout/stderr/status in OUT, ERR, STATUS.
run() {
    set +e
    "$CARTOFLASH" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
    STATUS=$?
    set -e
    OUT=$(cat "$TMP/out")
    ERR=$(cat "$TMP/err")
}

expect_status() { # expected description
    if [ "$STATUS" -eq "$1" ]; then pass "$2 (exit $1)"; else
        fail "$2: exit $STATUS, expected $1"; echo "--- stdout"; echo "$OUT"; echo "--- stderr"; echo "$ERR"; fi
}
expect_nonzero() {
    if [ "$STATUS" -ne 0 ]; then pass "$1 (exit $STATUS)"; else
        fail "$1: exit 0, expected failure"; echo "$OUT"; fi
}
expect_out() { # pattern description: grep -E in stdout
    if grep -qE -- "$1" <<<"$OUT"; then pass "$2"; else fail "$2: stdout lacks /$1/"; echo "$OUT"; fi
}
expect_err() {
    if grep -qE -- "$1" <<<"$ERR"; then pass "$2"; else fail "$2: stderr lacks /$1/"; echo "$ERR"; fi
}
# flash_starts_with FLASHFILE IMAGE: the emulated flash begins with the image bytes.
flash_starts_with() {
    local size
    size=$(stat -c %s "$2")
    if cmp -s -n "$size" "$1" "$2"; then pass "$3"; else fail "$3: flash differs from image"; fi
}
same_file() {
    if cmp -s "$1" "$2"; then pass "$3"; else fail "$3: files differ"; fi
}
json_get() { # FILE-or-stdin jq-expression
    jq -r "$1"
}
finish() { # a script that checked nothing has not passed
    echo "$((checks - failures)) passed, $failures failed"
    [ "$checks" -gt 0 ] || { echo "not ok - no checks ran"; return 1; }
    [ "$failures" -eq 0 ]
}
