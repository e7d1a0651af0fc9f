#!/usr/bin/env bash
# Runs every test on a fresh Debian machine: installs what it needs, builds with
# AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer included) and runs
# the unit, CLI and menu tests there; builds a normal binary and runs the QEMU
# guest suite (real USB stack) with it; runs each fuzz target briefly; checks
# formatting. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
jobs=$(nproc)

echo "== sanitizer build: unit, CLI and menu tests"
cmake -S . -B build/asan -DCF_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build/asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan --output-on-failure -j"$jobs" -LE guest

echo "== release build: guest tests over the real Linux USB stack (QEMU)"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j"$jobs"
ctest --test-dir build/release --output-on-failure -L guest

echo "== fuzz targets (short runs)"
bash scripts/fuzz.sh "${FUZZ_SECONDS:-10}"

echo "== formatting"
bash scripts/check-format.sh
