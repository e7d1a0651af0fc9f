#!/usr/bin/env bash
# Builds every configuration a packager would: Release, MinSizeRel,
# RelWithDebInfo and Debug with gcc and clang, binary only (-DCF_TESTS=OFF), and
# Release with the test suite too (-O3 is where new warnings show first), all
# with -DCF_WERROR=ON. Checks each binary's hardening with readelf
# (tests/ship/check-hardening.sh; _FORTIFY_SOURCE wherever it optimises) and
# what it says about the simulator options it lacks (tests/ship/sim-options.sh:
# fault injection comes only with the test suite). Release is also built
# without the simulator (-DCF_SIMULATOR=OFF), and that binary must hold none
# of its code (tests/ship/check-no-sim.sh).
# Build folders: build/matrix/<compiler>-<type>[-tests][-nosim]. Exits
# non-zero if any configuration fails to build or a check fails.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}
status=0
passed=0
failed=0

# The simulator checks of one built binary: none of its code without it;
# without the test suite, no fault injection.
sim_checks() { # binary tests(ON|OFF) sim(ON|OFF)
    if [ "$3" = OFF ]; then
        bash tests/ship/check-no-sim.sh "$1" && bash tests/ship/sim-options.sh "$1" nosim
    elif [ "$2" = OFF ]; then
        bash tests/ship/sim-options.sh "$1" nofaults
    fi
}

one() { # compiler type tests(ON|OFF) [sim(ON|OFF)]
    local cc=$1 type=$2 tests=$3 sim=${4:-ON} dir="build/matrix/$1-$2" start=$SECONDS
    [ "$tests" = ON ] && dir="$dir-tests"
    [ "$sim" = OFF ] && dir="$dir-nosim"
    local fortify=fortify
    [ "$type" = Debug ] && fortify=""
    if cmake -S . -B "$dir" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE="$type" \
        -DCF_TESTS="$tests" -DCF_SIMULATOR="$sim" -DCF_WERROR=ON >"$dir.configure.log" 2>&1 &&
        nice cmake --build "$dir" -j"$jobs" >"$dir.build.log" 2>&1 &&
        bash tests/ship/check-hardening.sh "$dir/src/cli/cartoflash" $fortify >"$dir.hardening.log" 2>&1 &&
        sim_checks "$dir/src/cli/cartoflash" "$tests" "$sim" >"$dir.sim.log" 2>&1; then
        echo "ok - $cc $type CF_TESTS=$tests CF_SIMULATOR=$sim ($((SECONDS - start)) s)"
        passed=$((passed + 1))
    else
        echo "not ok - $cc $type CF_TESTS=$tests CF_SIMULATOR=$sim"
        tail -n 30 "$dir.configure.log" "$dir.build.log" "$dir.hardening.log" "$dir.sim.log" 2>/dev/null
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
    one "$cc" Release OFF OFF
done
echo "matrix: $passed passed, $failed failed"
exit "$status"
