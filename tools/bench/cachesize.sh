#!/bin/bash
# tools/bench/cachesize.sh -- does a cache hit cost the same with 10 thousand and 5 million
# names cached? (`make bench-cachesize`, and a step of `make bench`; issue 14 point 3)
#
# For each size N in CACHESIZE_NAMES: a fresh resolverd (threads CACHESIZE_THREADS,
# cache-size CACHESIZE_SIZE, no upstream at all) is filled by `load-cache` from a generated
# dump of N names (host-NNNNNNN.size.example. A, TTL 86400), in files of at most 1,000,000
# entries (resolverctl waits 10 s for a reply); then dnsperf asks CACHESIZE_QUERIES names drawn
# at random from the N, every one a hit: a fixed CACHESIZE_RATE q/s run and a closed loop of
# CACHESIZE_SECONDS each. Per size it prints: the seconds the slowest 1M-entry load-cache took,
# RSS growth per loaded entry (VmRSS before and after the loads / N), CPU per hit
# (utime+stime of the process / NOERROR answers) and wake-ups per hit (voluntary context
# switches of its threads) in both runs, the closed-loop q/s, and each size's CPU per hit
# over the smallest size's. Output also in build/bench/cachesize.txt.
#
# Loopback only (CACHESIZE_NET.2, port CACHESIZE_PORT); the process it starts is stopped by
# its PID; every wait is bounded; it gives up past CACHESIZE_MAX_SECONDS.
#
# Environment (defaults in brackets):
#   CACHESIZE_NAMES ["10000 1000000 5000000"]   CACHESIZE_SIZE [2G]   CACHESIZE_THREADS [2]
#   CACHESIZE_RATE [30000]   CACHESIZE_SECONDS [5]   CACHESIZE_QUERIES [200000]
#   CACHESIZE_NET [127.60.0]   CACHESIZE_PORT [5300]   CACHESIZE_MAX_SECONDS [400]
#   CACHESIZE_KEEP=1 (keep the temp dir)   RESOLVERD, RESOLVERCTL, DNSPERF

set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
OUT="$ROOT/build/bench"
SIZES=${CACHESIZE_NAMES:-10000 1000000 5000000}
CSIZE=${CACHESIZE_SIZE:-2G}
THREADS=${CACHESIZE_THREADS:-2}
RATE=${CACHESIZE_RATE:-30000}
SECONDS_RUN=${CACHESIZE_SECONDS:-5}
QUERIES=${CACHESIZE_QUERIES:-200000}
NET=${CACHESIZE_NET:-127.60.0}
PORT=${CACHESIZE_PORT:-5300}
MAX_SECONDS=${CACHESIZE_MAX_SECONDS:-400}
RESOLVERD=${RESOLVERD:-$ROOT/build/resolverd}
RESOLVERCTL=${RESOLVERCTL:-$ROOT/build/resolverctl}
DNSPERF=${DNSPERF:-dnsperf}
ADDR=$NET.2
ZONE=size.example
PROBE=host-0000001.$ZONE
TOOL=cachesize
NET_HINT="CACHESIZE_NET or CACHESIZE_PORT"
START_S=$(date +%s)
NOTES=()
RD_PID=""
T=""
# shellcheck source=common.sh
source "$BENCH_DIR/common.sh"
HZ=$(getconf CLK_TCK)

stop_all() {
    if [ -n "$RD_PID" ]; then stop_pid "$RD_PID"; RD_PID=""; fi
    if [ -n "$T" ] && [ -d "$T" ]; then
        if [ "${CACHESIZE_KEEP:-0}" = 1 ]; then say "files kept in $T"; else rm -rf "$T"; fi
        T=""
    fi
}
trap 'stop_all' EXIT
trap 'echo "cachesize: interrupted" >&2; exit 130' INT TERM

for v in THREADS RATE SECONDS_RUN QUERIES PORT MAX_SECONDS; do
    [[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -ge 1 ] || die "$v must be a positive integer, got '${!v}'"
done
for n in $SIZES; do [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || die "CACHESIZE_NAMES: '$n' is not a count"; done
for p in "$RESOLVERD" "$RESOLVERCTL"; do [ -x "$p" ] || die "$p is not built (make build/resolverd build/resolverctl)"; done
command -v "$DNSPERF" >/dev/null && command -v dig >/dev/null || die "dnsperf and dig are needed (Debian: dnsperf dnsutils)"

check_deadline() {
    local used=$(( $(date +%s) - START_S ))
    [ "$used" -lt "$MAX_SECONDS" ] || die "time limit: ${used}s used before '$1' (CACHESIZE_MAX_SECONDS=$MAX_SECONDS)"
}
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
wakeups() { cat "/proc/$1/task/"*/status 2>/dev/null | awk '$1 == "voluntary_ctxt_switches:" {n += $2} END {print n + 0}'; }
rss_kb() { awk '$1 == "VmRSS:" {print $2}' "/proc/$1/status"; }
ctl() { "$RESOLVERCTL" -s "$T/rd.sock" "$@"; }
answers_ready() { ! process_gone "$RD_PID" && [ -S "$T/rd.sock" ] && ctl status >/dev/null 2>&1; }

# dumps N: the dump files of N names (at most 1M entries each) in $T/dump.N.*, and a query file
dumps() {
    local n=$1 now
    now=$(date +%s)
    rm -f "$T"/dump.*
    awk -v n="$n" -v t="$now" -v z="$ZONE" -v p="$T/dump.$n." 'BEGIN {
        for (i = 1; i <= n; i++) {
            if ((i - 1) % 1000000 == 0) { f = p int((i - 1) / 1000000); printf "; resolverd cache dump time=%d\n", t > f }
            printf "; host-%07d.%s. A IN positive rcode=NOERROR\nhost-%07d.%s.\t86400\tIN\tA\t10.%d.%d.%d\n",
                   i, z, i, z, int(i / 65536) % 256, int(i / 256) % 256, i % 256 > f } }'
    awk -v n="$n" -v q="$QUERIES" -v z="$ZONE" 'BEGIN { srand(7); for (i = 1; i <= q; i++) printf "host-%07d.%s A\n", 1 + int(rand() * n), z }' >"$T/queries.txt"
}

# run ARGS...: one dnsperf run; sets R_CPU (us per NOERROR answer), R_WAKE, R_QPS, R_NOERROR
run() {
    local c0 w0 c1 w1 out="$T/perf.out"
    c0=$(cpu_ticks "$RD_PID"); w0=$(wakeups "$RD_PID")
    timeout -k 5 $((SECONDS_RUN + 30)) "$DNSPERF" -s "$ADDR" -p "$PORT" -d "$T/queries.txt" -c 10 -q 200 -t 2 \
        -l "$SECONDS_RUN" "$@" >"$out" 2>&1 || { log_tail "$out"; die "dnsperf failed: $*"; }
    process_gone "$RD_PID" && die "resolverd died during dnsperf $*"
    c1=$(cpu_ticks "$RD_PID"); w1=$(wakeups "$RD_PID")
    R_NOERROR=$(grep -o 'NOERROR [0-9]*' "$out" | awk '{print $2}' | head -n1)
    R_QPS=$(awk '/Queries per second:/ {printf "%.0f", $4}' "$out")
    R_SENT=$(awk '/Queries sent:/ {print $3}' "$out")
    R_NOERROR=${R_NOERROR:-0}
    [ "$R_NOERROR" -gt 0 ] || die "no NOERROR answers in dnsperf $*"
    [ "$R_NOERROR" = "$R_SENT" ] || NOTES+=("N=$N dnsperf $*: sent $R_SENT, NOERROR $R_NOERROR (not all hits?)")
    R_CPU=$(awk -v d=$((c1 - c0)) -v hz="$HZ" -v n="$R_NOERROR" 'BEGIN {printf "%.2f", d * 1e6 / hz / n}')
    R_WAKE=$(awk -v d=$((w1 - w0)) -v n="$R_NOERROR" 'BEGIN {printf "%.3f", d / n}')
}

one_size() {
    local f t0 t1 s load_max=0 rss0 rss1 entries
    say "N=$N: writing the dump"
    dumps "$N"
    cat >"$T/rd.conf" <<EOC
# written by tools/bench/cachesize.sh
listen $ADDR $PORT
threads $THREADS
cache-size $CSIZE
root-hints $ROOT/hints/root.hints
root-priming no
dnssec no
prefetch no
control $T/rd.sock
log-level warn
EOC
    ensure_free "$ADDR"
    "$RESOLVERD" -c "$T/rd.conf" >"$T/rd.log" 2>&1 &
    RD_PID=$!
    wait_until 15 answers_ready || { log_tail "$T/rd.log"; die "resolverd did not start (log above)"; }
    rss0=$(rss_kb "$RD_PID")
    for f in "$T"/dump.*; do
        check_deadline "load-cache, N=$N"
        t0=$(date +%s%N)
        ctl load-cache "$f" >"$T/load.out" 2>&1 || { cat "$T/load.out" >&2; die "load-cache $f failed"; }
        t1=$(date +%s%N)
        s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) / 1e9}')
        say "  load-cache $(basename "$f"): ${s}s: $(cat "$T/load.out")"
        load_max=$(awk -v a="$load_max" -v b="$s" 'BEGIN {print (b > a ? b : a)}')
    done
    rss1=$(rss_kb "$RD_PID")
    entries=$(ctl stats | sed -n 's/^cache\.entries=//p')
    [ "$entries" = "$N" ] || NOTES+=("N=$N: cache.entries=$entries after loading (not all stored: cache-size?)")
    dig @"$ADDR" -p "$PORT" +tries=1 +time=2 +short "$PROBE" A | grep -q . || die "N=$N: $PROBE is not answered"
    # the fixed rate first: after a closed loop the threads would start it spread (udpsteer.h)
    check_deadline "fixed rate, N=$N"
    say "  fixed rate $RATE q/s ${SECONDS_RUN}s"
    run -Q "$RATE"; local rate_cpu=$R_CPU rate_wake=$R_WAKE
    check_deadline "closed loop, N=$N"
    say "  closed loop ${SECONDS_RUN}s"
    run; local hot_cpu=$R_CPU hot_wake=$R_WAKE hot_qps=$R_QPS
    ROWS+=("$N $load_max $(( (rss1 - rss0) * 1024 / N )) $hot_cpu $hot_wake $hot_qps $rate_cpu $rate_wake")
    stop_pid "$RD_PID"; RD_PID=""
    [ "$STOP_STATUS" = 0 ] || NOTES+=("N=$N: resolverd exit status after TERM: $STOP_STATUS")
    rm -f "$T"/dump.*
}

main() {
    mkdir -p "$OUT"
    T=$(mktemp -d "${TMPDIR:-/tmp}/cachesize.XXXXXX") || die "mktemp failed"
    ROWS=()
    local load_start
    load_start=$(cut -d' ' -f1 /proc/loadavg)
    for N in $SIZES; do check_deadline "N=$N"; one_size; done
    {
        echo "resolverd cache size benchmark  $(date -u '+%Y-%m-%d %H:%M:%S UTC')  $(git -C "$ROOT" describe --always --dirty 2>/dev/null)"
        echo "threads $THREADS, cache-size $CSIZE, $QUERIES query names at random among N (all hits), runs of ${SECONDS_RUN}s;"
        echo "1-minute load $load_start at the start, $(cut -d' ' -f1 /proc/loadavg) at the end (the machine is shared)"
        echo
        printf '%9s %14s %12s %13s %9s %9s %13s %9s %9s %9s\n' names "load 1M (s)" "RSS/entry B" "hot cpu/hit" "hot wake" "hot q/s" "cpu/hit@$RATE" "wake@$RATE" "hot/first" "rate/first"
        printf '%s\n' "${ROWS[@]}" | awk '
            NR == 1 { h = $4; r = $7 }
            { printf "%9d %14.2f %12d %13.2f %9.3f %9d %13.2f %9.3f %9.2f %9.2f\n", $1, $2, $3, $4, $5, $6, $7, $8, $4 / h, $7 / r }'
        echo
        echo "load 1M: the slowest load-cache of a dump file of (at most) 1,000,000 entries; RSS/entry: VmRSS growth over"
        echo "the loads / N; cpu/hit: utime+stime of resolverd (all threads) / NOERROR answers, us; wake: voluntary context"
        echo "switches / answer; x/first: over the first (smallest) size. Targets (issue 14): within 10%, <= 200 B, < 5 s."
        if [ ${#NOTES[@]} -gt 0 ]; then echo; echo "notes:"; printf '  - %s\n' "${NOTES[@]}"; fi
        echo
        echo "run time: $(( $(date +%s) - START_S )) s"
    } | tee "$OUT/cachesize.txt"
}

main "$@"
