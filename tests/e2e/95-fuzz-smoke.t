#!/usr/bin/env bash
# 95-fuzz-smoke.t -- a short pass of every libFuzzer target in tests/fuzz/ (built by `make
# test` into build/fuzz/): each one fuzzes for FUZZ_SMOKE_SECONDS (default 8) from a copy of
# its seed corpus, one target at a time, then re-runs once every input saved in
# tests/fuzz/crashers/TARGET/ (the regressions: inputs that once crashed). A finding fails the
# test; the input is kept in build/fuzz/smoke-artifacts/TARGET/ to reproduce it with
# `build/fuzz/fuzz_TARGET FILE`. No network, no servers: the targets run in-process.
source "$(dirname "$0")/lib.sh"

FUZZ_SRC="$ROOT/tests/fuzz"
FUZZ_BIN=${FUZZ_BIN:-$ROOT/build/fuzz}
EACH=${FUZZ_SMOKE_SECONDS:-8}
KEEP="$ROOT/build/fuzz/smoke-artifacts"

# the figures of libFuzzer's final stats, for the log
stats_of() {
    awk '$1 == "stat::number_of_executed_units:" { n = $2 }
         $1 == "stat::average_exec_per_sec:" { s = $2 }
         END { printf "%s runs, %s exec/s", n, s }' "$1"
}

# fuzz TARGET: the timed pass from the seed corpus
fuzz() {
    local t=$1 bin="$FUZZ_BIN/fuzz_$1"
    mkdir -p "$T/corpus-$t" "$T/artifacts-$t"
    cp "$FUZZ_SRC/corpus/$t"/* "$T/corpus-$t/" 2>/dev/null
    "$bin" -max_total_time="$EACH" -print_final_stats=1 -artifact_prefix="$T/artifacts-$t/" \
        "$T/corpus-$t" >"$T/log-$t" 2>&1
    if ok $? "fuzz_$t: $EACH s from the seed corpus, no finding"; then
        diag "fuzz_$t: $(stats_of "$T/log-$t")"
        return
    fi
    mkdir -p "$KEEP/$t"
    cp "$T/artifacts-$t"/* "$KEEP/$t/" 2>/dev/null
    diag "input kept in $KEEP/$t/"
    diag "$(grep -E 'ERROR|invariant|SUMMARY|^    #[0-9]' "$T/log-$t" | head -30)"
}

# crashers TARGET: every saved regression input, once
crashers() {
    local t=$1 bin="$FUZZ_BIN/fuzz_$1" files=()
    [ -d "$FUZZ_SRC/crashers/$t" ] && files=("$FUZZ_SRC/crashers/$t"/*)
    [ -e "${files[0]:-}" ] || return 0
    "$bin" "${files[@]}" >"$T/crashers-$t" 2>&1
    ok $? "fuzz_$t: the ${#files[@]} saved crasher(s) run clean" ||
        diag "$(grep -E 'Running|ERROR|invariant|SUMMARY|^    #[0-9]' "$T/crashers-$t" | head -30)"
}

for src in "$FUZZ_SRC"/fuzz_*.c; do
    t=$(basename "$src" .c)
    t=${t#fuzz_}
    if [ ! -x "$FUZZ_BIN/fuzz_$t" ]; then
        ok 1 "fuzz_$t: built (make fuzz-build)"
        continue
    fi
    fuzz "$t"
    crashers "$t"
done
done_testing
