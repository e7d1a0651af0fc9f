#!/usr/bin/env bash
# Fails if any C file differs from the committed .clang-format style.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h')
clang-format --dry-run --Werror $files
echo "format: $(wc -w <<<"$files") files clean"
