#!/usr/bin/env bash
# Builds every libFuzzer target with clang and runs each for SECONDS (default 10)
# from its seed corpus. A crash, leak or sanitizer report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
CC=clang cmake -S . -B build/fuzz -DCF_FUZZ=ON -DCF_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
# Every cf_fuzz_target() line, also those indented under an if() (the
# simulator's parsers are registered only when it is built, as it is here).
targets=$(sed -n 's/^[[:space:]]*cf_fuzz_target(\([a-z0-9_]*\).*/\1/p' fuzz/CMakeLists.txt)
if [ -z "$targets" ]; then
    echo "no fuzz targets registered" >&2
    exit 1
fi
for t in $targets; do
    cmake --build build/fuzz -j"$(nproc)" --target "fuzz_$t" >/dev/null
done
passed=0
failed=0
root=$(pwd)
for t in $targets; do
    work="$root/build/fuzz/corpus-$t"
    log="$root/build/fuzz/fuzz-$t.log"
    mkdir -p "$work"
    seeds=()
    [ -d "fuzz/corpus/$t" ] && seeds=("$root/fuzz/corpus/$t")
    # Run inside the build folder so crash reproducers land there, not in the tree.
    if (cd build/fuzz && "$root/build/fuzz/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
            -rss_limit_mb=2048 "$work" "${seeds[@]}" >"$log" 2>&1); then
        echo "fuzz $t: ok ($(grep -oE 'stat::number_of_executed_units: *[0-9]+|#[0-9]+' "$log" | tail -1) runs)"
        passed=$((passed + 1))
    else
        echo "fuzz $t: FAILED"
        tail -40 "$log"
        failed=$((failed + 1))
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
