#!/usr/bin/env bash
# Fails if a source file includes a layer that is not below its own.
#
#   usage: scripts/check-layers.sh [SRC_DIR [ARCHITECTURE_MD]]
#          (default: src docs/architecture.md)
#          scripts/check-layers.sh --self-test
#
# The layers come from the ```layers block of docs/architecture.md, so the
# document and this check cannot drift: one line per level, bottom first,
# folders of the same level separated by spaces. A folder may include its own
# headers and those of folders on lower levels; an include that points up,
# sideways (same level) or to or from a folder missing from the block fails,
# printed as file:line and the edge. The last line is the tally
# "includes: N passed, M failed" over every #include "dir/..." that was checked.
set -uo pipefail
cd "$(dirname "$0")/.."

# src_dir doc: checks every #include "dir/..." under src_dir against doc's block.
check() {
    local src=$1 doc=$2
    if ! grep -q '^```layers' "$doc"; then
        echo "$doc: no \`\`\`layers block"
        echo "includes: 0 passed, 1 failed"
        return 1
    fi
    # "level folder" pairs from the block, then "file:line:#include ..." lines
    {
        awk '/^```layers/ { on = 1; next } on && /^```/ { exit }
             on && NF { level++; for (i = 1; i <= NF; i++) print "L", level, $i }' "$doc"
        grep -rnE --include='*.c' --include='*.h' --include='*.h.in' \
            '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[A-Za-z0-9_]+/' "$src" || true
    } | awk -v src="$src" '
        $1 == "L" && NF == 3 { level[$3] = $2; next }
        {
            split($0, p, ":")
            file = p[1]; line = p[2]
            rel = substr(file, length(src) + 2)
            from = substr(rel, 1, index(rel, "/") - 1)
            match($0, /"[A-Za-z0-9_]+\//)
            to = substr($0, RSTART + 1, RLENGTH - 2)
            if (from == to) { passed++; next }
            why = ""
            if (!(from in level)) why = from " is not in the diagram"
            else if (!(to in level)) why = to " is not in the diagram"
            else if (level[to] == level[from]) why = "sideways (same level)"
            else if (level[to] > level[from]) why = "points up"
            if (why == "") { passed++; next }
            printf "%s:%s: %s -> %s: %s\n", file, line, from, to, why
            failed++
        }
        END {
            printf "includes: %d passed, %d failed\n", passed, failed
            exit failed > 0
        }'
}

# A temp tree with one allowed include, one upward and one sideways: the check
# must fail on exactly those two.
self_test() {
    local dir out bad=0
    dir=$(mktemp -d)
    mkdir -p "$dir/src/low" "$dir/src/mid" "$dir/src/side" "$dir/src/top"
    printf '```layers\nlow\nmid side\ntop\n```\n' >"$dir/arch.md"
    echo '#include "low/low.h"' >"$dir/src/top/ok.c"
    echo '#include "top/top.h"' >"$dir/src/low/up.c"
    echo '#include "side/side.h"' >"$dir/src/mid/sideways.c"
    if out=$(check "$dir/src" "$dir/arch.md"); then
        echo "self-test: an upward and a sideways include were not caught"
        bad=1
    elif ! grep -q 'low/up.c:1: low -> top: points up' <<<"$out" ||
        ! grep -q 'mid/sideways.c:1: mid -> side: sideways' <<<"$out" ||
        ! grep -q 'includes: 1 passed, 2 failed' <<<"$out"; then
        echo "self-test: unexpected report:"
        echo "$out"
        bad=1
    fi
    rm -rf "$dir"
    [ "$bad" -eq 0 ] && echo "self-test: passed (an upward and a sideways include caught)"
    return "$bad"
}

if [ "${1:-}" = "--self-test" ]; then
    self_test
    exit
fi
check "${1:-src}" "${2:-docs/architecture.md}"
