#!/usr/bin/env bash
# Builds cartoflash (installing its Debian dependencies the first time) and runs
# it with the given arguments, e.g. `scripts/run.sh --simulate` to try the whole
# flow on a machine with no probe attached.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v cmake >/dev/null || ! pkg-config --exists libusb-1.0 jansson libarchive libcurl 2>/dev/null; then
    bash "$root/scripts/install-deps.sh" >&2
fi
if [ ! -f "$root/build/release/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$root/build/release" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$root/build/release" -j"$(nproc)" --target cartoflash >&2 | grep -v '^\[' >&2 || true
exec "$root/build/release/src/cli/cartoflash" "$@"
