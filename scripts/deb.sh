#!/usr/bin/env bash
# scripts/deb.sh [ARCH]: builds the Debian package (debian/, debhelper) for the
# machine's architecture or, cross, for ARCH (arm64, armhf; the build
# dependencies for ARCH must be installed, see scripts/cross.sh). The source is
# copied to build/deb/ARCH/ first, so dpkg-buildpackage writes nothing outside
# build/. Runs lintian on the result and fails on any error. Prints the path.
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:-$(dpkg --print-architecture)}
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
out="build/deb/$arch"
src="$out/cartoflash-$version"
rm -rf "$out"
mkdir -p "$src"
# Tracked and new (not ignored) files: what a fresh clone of this tree holds.
git ls-files -z --cached --others --exclude-standard | tar -c --null -T - | tar -x -C "$src"
aflag=()
[ "$arch" = "$(dpkg --print-architecture)" ] || aflag=(-a "$arch")
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -b -us -uc "${aflag[@]}") \
    >"$out/build.log" 2>&1 || { tail -n 40 "$out/build.log"; echo "deb: dpkg-buildpackage failed (see $out/build.log)" >&2; exit 1; }
deb="$out/cartoflash_${version}_${arch}.deb"
[ -f "$deb" ] || { echo "deb: $deb was not built" >&2; exit 1; }
lintian --fail-on error --tag-display-limit 0 "$deb" | tee "$out/lintian.log"
echo "$deb"
