#!/usr/bin/env bash
# Builds every libFuzzer target with clang and runs each for SECONDS (default 10)
# from its seed corpus. A crash, leak or sanitizer report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
CC=clang cmake -S . -B build/fuzz -DCF_FUZZ=ON -DCF_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
targets=$(sed -n 's/^cf_fuzz_target(\([a-z0-9_]*\).*/\1/p' fuzz/CMakeLists.txt)
if [ -z "$targets" ]; then
    echo "no fuzz targets registered" >&2
    exit 1
fi
for t in $targets; do
    cmake --build build/fuzz -j"$(nproc)" --target "fuzz_$t" >/dev/null
done
passed=0
failed=0
for t in $targets; do
    work="build/fuzz/corpus-$t"
    mkdir -p "$work"
    seeds=()
    [ -d "fuzz/corpus/$t" ] && seeds=("fuzz/corpus/$t")
    if (cd build/fuzz && "./fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=0 "corpus-$t" "${seeds[@]/#/../../}" >"fuzz-$t.log" 2>&1); then
        echo "fuzz $t: ok ($(grep -c . "build/fuzz/fuzz-$t.log" 2>/dev/null || echo 0) log lines)"
        passed=$((passed + 1))
    else
        echo "fuzz $t: FAILED"; tail -40 "build/fuzz/fuzz-$t.log"
        failed=$((failed + 1))
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
