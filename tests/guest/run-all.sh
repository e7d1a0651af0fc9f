#!/usr/bin/env bash
# The whole guest suite in one command, for a developer:
#
#   tests/guest/run-all.sh [BUILD_DIR] [ctest options, e.g. -R interop]
#
# Installs the Debian packages (scripts/install-deps.sh), configures and builds
# everything (cartoflash, dfu_gadget, the test peers) in BUILD_DIR (default
# build/release, as CI does), prepares the guest (cached) and runs every guest
# test through CTest.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build="$repo/build/release"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  build=$(realpath -m "$1")
  shift
fi

bash "$repo/scripts/install-deps.sh"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$build" -j"$(nproc)"
"$here/build-guest.sh" >/dev/null
ctest --test-dir "$build" -L guest --output-on-failure "$@"
