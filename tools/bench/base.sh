#!/bin/bash
# tools/bench/base.sh REV -- builds the optimised resolverd of git revision REV for the
# baseline comparison of bench.sh (`make bench BASE=REV`) and prints the binary's path.
#
# REV's tree is exported with `git archive REV | tar -x` into build/base-src/ (the working
# tree, the index and the checked-out branch are never touched), then REV's own Makefile builds
# build/base-src/build/resolverd with the same CC and CFLAGS as this tree. The export is kept
# and reused while build/base-src/.bench-rev names the same commit; another REV replaces it.
# The compiler's output goes to build/base-src/build.log. Exit status 1, saying why, when REV
# is not a commit or does not build.
#
# Environment: CC, CFLAGS (passed on to REV's make when set), MAKEFLAGS as make sets them.

set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR="$ROOT/build/base-src"

[ $# = 1 ] && [ -n "$1" ] || { echo "usage: $0 REV" >&2; exit 2; }
rev=$1
sha=$(git -C "$ROOT" rev-parse --verify --quiet "$rev^{commit}") ||
    { echo "base.sh: '$rev' is not a commit of $ROOT" >&2; exit 1; }

if [ "$(cat "$DIR/.bench-rev" 2>/dev/null)" != "$sha" ] || [ ! -f "$DIR/Makefile" ]; then
    rm -rf "$DIR"
    mkdir -p "$DIR" || exit 1
    if ! git -C "$ROOT" archive --format=tar "$sha" | tar -x -C "$DIR"; then
        echo "base.sh: cannot export $sha into $DIR" >&2
        exit 1
    fi
    echo "$sha" >"$DIR/.bench-rev"
fi

args=()
[ -n "${CC:-}" ] && args+=("CC=$CC")
[ -n "${CFLAGS:-}" ] && args+=("CFLAGS=$CFLAGS")
if ! make -C "$DIR" -j"$(nproc)" "${args[@]}" build/resolverd >"$DIR/build.log" 2>&1; then
    echo "base.sh: building resolverd of $rev ($sha) failed; last lines of $DIR/build.log:" >&2
    tail -n 20 "$DIR/build.log" | sed 's/^/    /' >&2
    exit 1
fi
echo "$DIR/build/resolverd"
