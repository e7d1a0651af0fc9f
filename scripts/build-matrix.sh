#!/usr/bin/env bash
# Builds every configuration a packager would: Release, MinSizeRel,
# RelWithDebInfo and Debug with gcc and clang, binary only (-DCF_TESTS=OFF), and
# Release with the test suite too (-O3 is where new warnings show first), all
# with -DCF_WERROR=ON. Checks each binary's hardening with readelf
# (tests/ship/check-hardening.sh; _FORTIFY_SOURCE wherever it optimises).
# Build folders: build/matrix/<compiler>-<type>[-tests]. Exits non-zero if any
# configuration fails to build or lacks hardening.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}
status=0
passed=0
failed=0

one() { # compiler type tests(ON|OFF)
    local cc=$1 type=$2 tests=$3 dir="build/matrix/$1-$2" start=$SECONDS
    [ "$tests" = ON ] && dir="$dir-tests"
    local fortify=fortify
    [ "$type" = Debug ] && fortify=""
    if cmake -S . -B "$dir" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE="$type" \
        -DCF_TESTS="$tests" -DCF_WERROR=ON >"$dir.configure.log" 2>&1 &&
        nice cmake --build "$dir" -j"$jobs" >"$dir.build.log" 2>&1 &&
        bash tests/ship/check-hardening.sh "$dir/src/cli/cartoflash" $fortify >"$dir.hardening.log" 2>&1; then
        echo "ok - $cc $type CF_TESTS=$tests ($((SECONDS - start)) s)"
        passed=$((passed + 1))
    else
        echo "not ok - $cc $type CF_TESTS=$tests"
        tail -n 30 "$dir.configure.log" "$dir.build.log" "$dir.hardening.log" 2>/dev/null
        failed=$((failed + 1))
        status=1
    fi
}

mkdir -p build/matrix
for cc in gcc clang; do
    for type in Release MinSizeRel RelWithDebInfo Debug; do
        one "$cc" "$type" OFF
    done
    one "$cc" Release ON
done
echo "matrix: $passed passed, $failed failed"
exit "$status"
