#!/bin/bash
# tools/bench/cachesize.sh -- does a cache hit cost the same with 10 thousand and 5 million
# names cached? (`make bench-cachesize`, and a step of `make bench`; issue 14 point 3)
#
# For each size N in CACHESIZE_NAMES a resolverd of its own (threads CACHESIZE_THREADS,
# cache-size CACHESIZE_SIZE, no upstream at all, on CACHESIZE_NET.(10+i)) is filled by
# `load-cache` from a generated dump of N names (host-NNNNNNN.size.example. A, TTL 86400), in
# files of at most 1,000,000 entries (resolverctl waits 10 s for a reply). All of them stay up;
# then in each of CACHESIZE_ROUNDS rounds, the sizes taking turns in a rotating order (so the
# shared machine's drift lands on all of them), dnsperf asks each CACHESIZE_QUERIES names
# drawn at random from its N, every one a hit: a fixed CACHESIZE_RATE q/s run and a closed
# loop of CACHESIZE_SECONDS each. The table gives the medians over the rounds. Per size it prints: the seconds the slowest 1M-entry load-cache took,
# RSS growth per loaded entry (VmRSS before and after the loads / N), CPU per hit
# (utime+stime of the process / NOERROR answers) and wake-ups per hit (voluntary context
# switches of its threads) in both runs, the closed-loop q/s, and each size's CPU per hit
# over the smallest size's. Output also in build/bench/cachesize.txt.
#
# Loopback only (CACHESIZE_NET.10 and up, port CACHESIZE_PORT); the processes it starts are
# stopped by their PIDs; every wait is bounded; it gives up past CACHESIZE_MAX_SECONDS.
#
# Environment (defaults in brackets):
#   CACHESIZE_NAMES ["10000 1000000 5000000"]   CACHESIZE_SIZE [2G]   CACHESIZE_THREADS [2]
#   CACHESIZE_RATE [30000]   CACHESIZE_SECONDS [5]   CACHESIZE_QUERIES [200000]   CACHESIZE_ROUNDS [3]
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
ROUNDS=${CACHESIZE_ROUNDS:-3}
QUERIES=${CACHESIZE_QUERIES:-200000}
NET=${CACHESIZE_NET:-127.60.0}
PORT=${CACHESIZE_PORT:-5300}
MAX_SECONDS=${CACHESIZE_MAX_SECONDS:-400}
RESOLVERD=${RESOLVERD:-$ROOT/build/resolverd}
RESOLVERCTL=${RESOLVERCTL:-$ROOT/build/resolverctl}
DNSPERF=${DNSPERF:-dnsperf}
ZONE=size.example
PROBE=host-0000001.$ZONE
TOOL=cachesize
NET_HINT="CACHESIZE_NET or CACHESIZE_PORT"
START_S=$(date +%s)
NOTES=()
declare -A RD_PID=() ADDR_OF=()
T=""
# shellcheck source=common.sh
source "$BENCH_DIR/common.sh"
HZ=$(getconf CLK_TCK)

stop_all() {
    local n
    for n in "${!RD_PID[@]}"; do
        [ -n "${RD_PID[$n]}" ] || continue
        stop_pid "${RD_PID[$n]}"
        [ "$STOP_STATUS" = 0 ] || NOTES+=("N=$n: resolverd exit status after TERM: $STOP_STATUS")
        RD_PID[$n]=""
    done
    if [ -n "$T" ] && [ -d "$T" ]; then
        if [ "${CACHESIZE_KEEP:-0}" = 1 ]; then say "files kept in $T"; else rm -rf "$T"; fi
        T=""
    fi
}
trap 'stop_all' EXIT
trap 'echo "cachesize: interrupted" >&2; exit 130' INT TERM

for v in THREADS RATE SECONDS_RUN QUERIES PORT MAX_SECONDS ROUNDS; do
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
ctl() { "$RESOLVERCTL" -s "$T/rd.$N.sock" "$@"; }      # N: the size whose daemon is meant
answers_ready() { ! process_gone "${RD_PID[$N]}" && [ -S "$T/rd.$N.sock" ] && ctl status >/dev/null 2>&1; }

# dumps N: the dump files of N names (at most 1M entries each) in $T/dump.N.*, and its query
# file $T/queries.N.txt
dumps() {
    local n=$1 now
    now=$(date +%s)
    rm -f "$T"/dump."$n".*
    awk -v n="$n" -v t="$now" -v z="$ZONE" -v p="$T/dump.$n." 'BEGIN {
        for (i = 1; i <= n; i++) {
            if ((i - 1) % 1000000 == 0) { f = p int((i - 1) / 1000000); printf "; resolverd cache dump time=%d\n", t > f }
            printf "; host-%07d.%s. A IN positive rcode=NOERROR\nhost-%07d.%s.\t86400\tIN\tA\t10.%d.%d.%d\n",
                   i, z, i, z, int(i / 65536) % 256, int(i / 256) % 256, i % 256 > f } }'
    awk -v n="$n" -v q="$QUERIES" -v z="$ZONE" 'BEGIN { srand(7); for (i = 1; i <= q; i++) printf "host-%07d.%s A\n", 1 + int(rand() * n), z }' >"$T/queries.$n.txt"
}

# run ARGS...: one dnsperf run; sets R_CPU (us per NOERROR answer), R_WAKE, R_QPS, R_NOERROR
run() {
    local c0 w0 c1 w1 out="$T/perf.out"
    local pid=${RD_PID[$N]}
    c0=$(cpu_ticks "$pid"); w0=$(wakeups "$pid")
    timeout -k 5 $((SECONDS_RUN + 30)) "$DNSPERF" -s "${ADDR_OF[$N]}" -p "$PORT" -d "$T/queries.$N.txt" -c 10 -q 200 -t 2 \
        -l "$SECONDS_RUN" "$@" >"$out" 2>&1 || { log_tail "$out"; die "dnsperf failed: $*"; }
    process_gone "$pid" && die "resolverd (N=$N) died during dnsperf $*"
    c1=$(cpu_ticks "$pid"); w1=$(wakeups "$pid")
    R_NOERROR=$(grep -o 'NOERROR [0-9]*' "$out" | awk '{print $2}' | head -n1)
    R_QPS=$(awk '/Queries per second:/ {printf "%.0f", $4}' "$out")
    R_SENT=$(awk '/Queries sent:/ {print $3}' "$out")
    R_NOERROR=${R_NOERROR:-0}
    [ "$R_NOERROR" -gt 0 ] || die "no NOERROR answers in dnsperf $*"
    [ "$R_NOERROR" = "$R_SENT" ] || NOTES+=("N=$N dnsperf $*: sent $R_SENT, NOERROR $R_NOERROR (not all hits?)")
    R_CPU=$(awk -v d=$((c1 - c0)) -v hz="$HZ" -v n="$R_NOERROR" 'BEGIN {printf "%.2f", d * 1e6 / hz / n}')
    R_WAKE=$(awk -v d=$((w1 - w0)) -v n="$R_NOERROR" 'BEGIN {printf "%.3f", d / n}')
}

# fill_size I: starts the daemon of size N on NET.(10+I) and loads its dumps; records
# LOAD[N] (slowest file, s) and RSSPER[N] (bytes per entry)
declare -A LOAD=() RSSPER=()
fill_size() {
    local i=$1 f t0 t1 s load_max=0 rss0 rss1 entries
    ADDR_OF[$N]=$NET.$((10 + i))
    say "N=$N: writing the dump"
    dumps "$N"
    cat >"$T/rd.$N.conf" <<EOC
# written by tools/bench/cachesize.sh
listen ${ADDR_OF[$N]} $PORT
threads $THREADS
cache-size $CSIZE
root-hints $ROOT/hints/root.hints
root-priming no
dnssec no
prefetch no
control $T/rd.$N.sock
log-level warn
EOC
    ensure_free "${ADDR_OF[$N]}"
    "$RESOLVERD" -c "$T/rd.$N.conf" >"$T/rd.$N.log" 2>&1 &
    RD_PID[$N]=$!
    wait_until 15 answers_ready || { log_tail "$T/rd.$N.log"; die "resolverd (N=$N) did not start (log above)"; }
    rss0=$(rss_kb "${RD_PID[$N]}")
    for f in "$T"/dump."$N".*; do
        check_deadline "load-cache, N=$N"
        t0=$(date +%s%N)
        ctl load-cache "$f" >"$T/load.out" 2>&1 || { cat "$T/load.out" >&2; die "load-cache $f failed"; }
        t1=$(date +%s%N)
        s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) / 1e9}')
        say "  load-cache $(basename "$f"): ${s}s: $(cat "$T/load.out")"
        load_max=$(awk -v a="$load_max" -v b="$s" 'BEGIN {print (b > a ? b : a)}')
    done
    rm -f "$T"/dump."$N".*
    rss1=$(rss_kb "${RD_PID[$N]}")
    entries=$(ctl stats | sed -n 's/^cache\.entries=//p')
    [ "$entries" = "$N" ] || NOTES+=("N=$N: cache.entries=$entries after loading (not all stored: cache-size?)")
    dig @"${ADDR_OF[$N]}" -p "$PORT" +tries=1 +time=2 +short "$PROBE" A | grep -q . || die "N=$N: $PROBE is not answered"
    LOAD[$N]=$load_max
    RSSPER[$N]=$(( (rss1 - rss0) * 1024 / N ))
}

# measure ROUND: the two runs against size N; appends "N ROUND rate_cpu rate_wake hot_cpu hot_wake hot_qps"
measure() {
    # the fixed rate first: after a closed loop the threads would start it spread (udpsteer.h)
    check_deadline "fixed rate, N=$N, round $1"
    say "  round $1, N=$N: fixed rate $RATE q/s ${SECONDS_RUN}s, then a closed loop"
    run -Q "$RATE"; local rate_cpu=$R_CPU rate_wake=$R_WAKE
    check_deadline "closed loop, N=$N, round $1"
    run
    echo "$N $1 $rate_cpu $rate_wake $R_CPU $R_WAKE $R_QPS" >>"$T/raw.txt"
}

# med N COLUMN: the median over the rounds of a column of raw.txt (3 = rate_cpu ...)
med() {
    awk -v n="$1" -v c="$2" '$1 == n {print $c}' "$T/raw.txt" | sort -g |
        awk '{v[NR] = $1} END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

main() {
    mkdir -p "$OUT"
    T=$(mktemp -d "${TMPDIR:-/tmp}/cachesize.XXXXXX") || die "mktemp failed"
    : >"$T/raw.txt"
    local load_start i r k sizes=($SIZES)
    load_start=$(cut -d' ' -f1 /proc/loadavg)
    for ((i = 0; i < ${#sizes[@]}; i++)); do N=${sizes[i]}; check_deadline "N=$N"; fill_size "$i"; done
    for ((r = 1; r <= ROUNDS; r++)); do
        for ((k = 0; k < ${#sizes[@]}; k++)); do N=${sizes[(k + r - 1) % ${#sizes[@]}]}; measure "$r"; done
    done
    {
        echo "resolverd cache size benchmark  $(date -u '+%Y-%m-%d %H:%M:%S UTC')  $(git -C "$ROOT" describe --always --dirty 2>/dev/null)"
        echo "threads $THREADS, cache-size $CSIZE, $QUERIES query names at random among N (all hits), runs of ${SECONDS_RUN}s,"
        echo "$ROUNDS rounds, the sizes in turn (all resident); 1-minute load $load_start at the start, $(cut -d' ' -f1 /proc/loadavg) at the end"
        echo
        printf '%9s %12s %12s %13s %9s %13s %9s %9s %10s %10s\n' names "load 1M (s)" "RSS/entry B" "cpu/hit@$RATE" "wake@$RATE" "hot cpu/hit" "hot wake" "hot q/s" "rate/first" "hot/first"
        local first_rate="" first_hot="" rc hc
        for N in "${sizes[@]}"; do
            rc=$(med "$N" 3); hc=$(med "$N" 5)
            [ -n "$first_rate" ] || { first_rate=$rc; first_hot=$hc; }
            printf '%9d %12.2f %12d %13.2f %9.3f %13.2f %9.3f %9.0f %10.2f %10.2f\n' "$N" "${LOAD[$N]}" "${RSSPER[$N]}" \
                "$rc" "$(med "$N" 4)" "$hc" "$(med "$N" 6)" "$(med "$N" 7)" \
                "$(awk -v a="$rc" -v b="$first_rate" 'BEGIN {print a / b}')" "$(awk -v a="$hc" -v b="$first_hot" 'BEGIN {print a / b}')"
        done
        echo
        echo "per round (N round cpu@rate wake@rate hot_cpu hot_wake hot_qps):"
        sort -k1,1n -k2,2n "$T/raw.txt" | sed 's/^/  /'
        echo
        echo "load 1M: the slowest load-cache of a dump file of (at most) 1,000,000 entries; RSS/entry: VmRSS growth over"
        echo "the loads / N; cpu/hit: utime+stime of that resolverd (all threads) / NOERROR answers, us; wake: voluntary"
        echo "context switches / answer; x/first: over the first (smallest) size. Targets (issue 14): within 10%, <= 200 B, < 5 s."
        if [ ${#NOTES[@]} -gt 0 ]; then echo; echo "notes:"; printf '  - %s\n' "${NOTES[@]}"; fi
        echo
        echo "run time: $(( $(date +%s) - START_S )) s"
    } | tee "$OUT/cachesize.txt"
}

main "$@"
