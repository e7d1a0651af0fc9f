#!/usr/bin/env bash
# Runs every test on a fresh Debian machine: installs what it needs, builds with
# AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer included) and runs
# the unit, CLI and menu tests there; builds a normal binary and runs the QEMU
# guest suite (real USB stack) with it; runs each fuzz target briefly; checks
# formatting, the layer rule (docs/architecture.md) and function length. Exits non-zero if anything fails; the last line sums it all up.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh || exit 1
jobs=$(nproc)
logs=build/test-logs
mkdir -p "$logs"
status=0

step() { # name command...: runs a step, keeps its output, remembers failure
    local name=$1
    shift
    echo "== $name"
    "$@" 2>&1 | tee "$logs/$name.log"
    local rc=${PIPESTATUS[0]}
    [ "$rc" -eq 0 ] || { echo "== $name FAILED (exit $rc)"; status=1; }
}

step configure-asan cmake -S . -B build/asan -DCF_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCF_WERROR=ON
step build-asan cmake --build build/asan -j"$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
step unit-cli-menu ctest --test-dir build/asan --output-on-failure -j"$jobs" -LE guest

step configure-release cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCF_WERROR=ON
step build-release cmake --build build/release -j"$jobs"
step guest ctest --test-dir build/release --output-on-failure -L guest

step hardening-release bash tests/ship/check-hardening.sh build/release/src/cli/cartoflash fortify

# Shipping: every packager configuration, the .deb installed and purged here,
# the Pi and K1 binaries under qemu-user (each installs what it needs).
step build-matrix bash scripts/build-matrix.sh
step deb bash scripts/deb-ci.sh
for arch in arm64 armhf mipsel; do
    step "cross-$arch" env CROSS_DEB=1 bash scripts/cross.sh "$arch"
done

step fuzz bash scripts/fuzz.sh "${FUZZ_SECONDS:-10}"
step format bash scripts/check-format.sh
# The layer rule of docs/architecture.md and the 80-line limit on functions;
# each check first proves on a generated tree that it can fail.
step layers bash -c 'bash scripts/check-layers.sh --self-test && bash scripts/check-layers.sh'
step function-length bash -c \
    'bash scripts/check-function-length.sh --self-test && bash scripts/check-function-length.sh'

# One closing line over every runner: ctest's "N tests failed out of M" and fuzz's tally.
passed=0
failed=0
for f in "$logs/unit-cli-menu.log" "$logs/guest.log"; do
    line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$f" | tail -1)
    if [ -n "$line" ]; then
        total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
        bad=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$line")
        passed=$((passed + total - bad))
        failed=$((failed + bad))
    fi
done
for f in "$logs/fuzz.log" "$logs/hardening-release.log" "$logs/build-matrix.log" "$logs/deb.log" \
    "$logs"/cross-*.log "$logs/layers.log" "$logs/function-length.log"; do
    [ -f "$f" ] || continue
    tally=$(grep -E '^([a-z0-9-]+: )?[0-9]+ passed, [0-9]+ failed' "$f" | tail -1)
    if [ -n "$tally" ]; then
        passed=$((passed + $(sed -E 's/^([a-z0-9-]+: )?([0-9]+) passed.*/\2/' <<<"$tally")))
        failed=$((failed + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$tally")))
    fi
done
[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1 # a failed build or format step counts
echo "all: $passed passed, $failed failed"
exit "$status"
