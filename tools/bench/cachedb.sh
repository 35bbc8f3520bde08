#!/bin/bash
# tools/bench/cachedb.sh -- three resolverd instances sharing a Redis (`cachedb`), against the
# same three without it; and what a Redis hit costs next to a local hit and a miss.
#
# NSD (NET.1) serves shared.example. with a wildcard (every name exists, TTL 3600) and a
# control socket, so the queries it answers are counted at the authority (nsd-control
# stats_noreset). redis-server runs on NET.9 (own config and directory, no persistence).
#
# Part 1, "three instances": for each mode (without cachedb, then with), three fresh
# resolverd (NET.11-13, one thread each) get the same CACHEDB_NAMES unique names, each
# instance from its own dnsperf at CACHEDB_RATE q/s: one instance after another (how the
# instances warm: the first resolves, the others find it in Redis), then all three at once
# (the same name reaches the three within milliseconds: a name still being resolved by one
# is not in Redis yet for the others). The table gives the queries NSD answered (per
# instance, one after another), the aggregate hit ratio (local hits + Redis hits over all
# queries) and the instances' counters. Redis is flushed (FLUSHALL) before each "with" run.
#
# Part 2, "cost per answer": one instance (NET.14, cachedb, one thread) at CACHEDB_RATE q/s,
# each phase a fresh name set of CACHEDB_NAMES names sent once:
#   local hit   names the instance resolved just before (so its own cache holds them);
#   Redis hit   names another instance (NET.15) resolved, so Redis holds them and the local
#               cache does not;
#   miss        new names: a Redis miss, then NSD (and the write to Redis);
#   miss, no cachedb  the same on an instance without cachedb (NET.16).
# For each: dnsperf's average and maximum latency, and resolverd's CPU (utime+stime of the
# process, /proc/PID/stat) per answer, with redis-server's CPU per answer beside it.
#
# Table to stdout and build/bench/cachedb.txt. Loopback only; every process is stopped by
# its PID (NSD by its process group); waits are bounded polls; dnsperf is bounded by -l and
# timeout(1). About 40 s with the defaults.
#
# Environment (defaults in brackets):
#   CACHEDB_NAMES [4000]   names per name set       CACHEDB_RATE [2000]  q/s per dnsperf
#   CACHEDB_NET [127.57.0] addresses                CACHEDB_PORT [5300]  port (DNS and Redis)
#   CACHEDB_KEEP=1         keep the temp dir
#   RESOLVERD [build/resolverd] RESOLVERCTL [build/resolverctl] NSD [nsd] DNSPERF [dnsperf]

set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
OUT="$ROOT/build/bench"
NAMES=${CACHEDB_NAMES:-4000}
RATE=${CACHEDB_RATE:-2000}
NET=${CACHEDB_NET:-127.57.0}
PORT=${CACHEDB_PORT:-5300}
RESOLVERD=${RESOLVERD:-$ROOT/build/resolverd}
RESOLVERCTL=${RESOLVERCTL:-$ROOT/build/resolverctl}
NSD=${NSD:-nsd}
DNSPERF=${DNSPERF:-dnsperf}

ZONE=shared.example.
PROBE=probe.shared.example
NSD_ADDR=$NET.1
REDIS_ADDR=$NET.9
TOOL=cachedb
NET_HINT="CACHEDB_NET or CACHEDB_PORT"
START_S=$(date +%s)
NSD_PGID="" REDIS_PID="" T=""
declare -A RD_PIDS=()
NOTES=()
# shellcheck source=common.sh
source "$BENCH_DIR/common.sh"

for tool in redis-server redis-cli nsd-control "$DNSPERF"; do
    command -v "$tool" >/dev/null || { echo "cachedb: $tool is missing (make deps-bench)" >&2; exit 1; }
done
[ -x "$RESOLVERD" ] || { echo "cachedb: $RESOLVERD is not built" >&2; exit 1; }

stop_all() {
    local a
    for a in "${!RD_PIDS[@]}"; do stop_pid "${RD_PIDS[$a]}"; done
    RD_PIDS=()
    [ -n "$REDIS_PID" ] && stop_pid "$REDIS_PID" && REDIS_PID=""
    stop_nsd_zone
    if [ -n "$T" ] && [ -d "$T" ]; then
        if [ "${CACHEDB_KEEP:-0}" = 1 ]; then say "CACHEDB_KEEP=1: files kept in $T"; else rm -rf "$T"; fi
        T=""
    fi
}
trap 'stop_all' EXIT
trap 'echo "cachedb: interrupted" >&2; exit 130' INT TERM

T=$(mktemp -d "${TMPDIR:-/tmp}/bench-cachedb.XXXXXX") || exit 1
mkdir -p "$OUT"

cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
TICK=$(getconf CLK_TCK)
nsd_queries() { nsd-control -c "$T/nsd/nsd.conf" stats_noreset 2>/dev/null | sed -n 's/^num.queries=//p'; }
rcli() { redis-cli -h "$REDIS_ADDR" -p "$PORT" "$@"; }
ctl() { timeout -k 1 5 "$RESOLVERCTL" -s "$T/ctl.$1" "${@:2}"; }
stat_of() { ctl "$1" stats | sed -n "s/^$2=//p"; }

start_nsd() {
    mkdir -p "$T/nsd"
    printf '$TTL 3600\n$ORIGIN %s\n@ IN SOA ns hostmaster 1 3600 900 604800 300\n@ IN NS ns\nns IN A %s\n* IN A 192.0.2.1\n' \
        "$ZONE" "$NSD_ADDR" >"$T/nsd/shared.zone"
    NSD_CONF_EXTRA="    control-enable: yes
    control-interface: $T/nsd/nsd.ctl" start_nsd_zone "$T/nsd" "$NSD_ADDR" "$ZONE" "$T/nsd/shared.zone"
}

start_redis() {
    mkdir -p "$T/redis"
    printf 'bind %s\nport %s\ndir %s\nsave ""\nappendonly no\ndaemonize no\nlogfile %s\n' \
        "$REDIS_ADDR" "$PORT" "$T/redis" "$T/redis/redis.log" >"$T/redis/redis.conf"
    redis-server "$T/redis/redis.conf" &
    REDIS_PID=$!
    redis_up() { [ "$(rcli ping 2>/dev/null)" = PONG ]; }
    wait_until 10 redis_up || { log_tail "$T/redis/redis.log"; die "redis-server did not start on $REDIS_ADDR:$PORT"; }
}

# start_rd N CACHEDB(yes|no): resolverd on NET.N, one thread
start_rd() {
    local n=$1 addr=$NET.$1 conf="$T/rd.$1.conf"
    {
        printf 'listen %s %s\nthreads 1\nforward %s %s@%s\ncache-size 64M\n' "$addr" "$PORT" "$ZONE" "$NSD_ADDR" "$PORT"
        printf 'root-hints %s/hints/root.hints\nroot-priming no\ncase-randomisation no\n' "$ROOT"
        printf 'control %s\nlog-level warn\n' "$T/ctl.$n"
        [ "$2" = yes ] && printf 'cachedb redis %s:%s\ncachedb-secret bench-secret-0\ncachedb-timeout 100\n' \
            "$REDIS_ADDR" "$PORT"
    } >"$conf"
    ensure_free "$addr"
    "$RESOLVERD" -c "$conf" >"$T/rd.$n.log" 2>&1 &
    RD_PIDS[$n]=$!
    wait_until 15 ready "${RD_PIDS[$n]}" "$addr" || { log_tail "$T/rd.$n.log"; die "resolverd did not start on $addr"; }
    if [ "$2" = yes ]; then
        connected() { ctl "$n" stats >/dev/null && [ "$(rcli client list | wc -l)" -ge 1 ]; }
        wait_until 5 connected || die "resolverd on $addr did not connect to Redis"
    fi
}
stop_rd() { stop_pid "${RD_PIDS[$1]}"; unset "RD_PIDS[$1]"; }

names() {   # names TAG: the name file of set TAG
    local f="$T/names.$1"
    [ -f "$f" ] || for i in $(seq 1 "$NAMES"); do echo "$1-$i.shared.example A"; done >"$f"
    echo "$f"
}

# perf ADDR FILE OUT: every name of FILE once at RATE q/s
perf() {
    timeout -k 2 $(( NAMES / RATE + 30 )) "$DNSPERF" -s "$1" -p "$PORT" -d "$2" -n 1 -Q "$RATE" -c 4 -q 100 \
        -l $(( NAMES / RATE + 20 )) >"$3" 2>&1 || note "dnsperf at $1 exited non-zero (see $3)"
}
lat() { awk '/Average Latency/ {printf "%.3f / %.3f", $4 * 1000, $8 * 1000}' "$1" | tr -d ','; }
lost() { awk '/Queries lost:/ {print $3}' "$1"; }

# ---------------------------------------------------------------------------------------
say "NSD on $NSD_ADDR, Redis on $REDIS_ADDR, port $PORT; $NAMES names at $RATE q/s"
start_nsd
start_redis

declare -A R
three() {   # three MODE(yes|no) ORDER(seq|par) TAG: the result under key MODE.ORDER
    local i q0 hits=0 misses=0 cdb=0 total=0 k=$1.$2 file pids=() per=""
    for i in 11 12 13; do start_rd $i "$1"; done
    file=$(names "$3")
    q0=$(nsd_queries)
    for i in 11 12 13; do
        if [ "$2" = seq ]; then
            local before; before=$(nsd_queries)
            perf "$NET.$i" "$file" "$T/perf.$3.$i"
            per+="${per:+ + }$(( $(nsd_queries) - before ))"
        else
            perf "$NET.$i" "$file" "$T/perf.$3.$i" & pids+=($!)
        fi
    done
    [ "$2" = par ] && wait "${pids[@]}"
    R[$k.nsd]=$(( $(nsd_queries) - q0 ))${per:+ ($per)}
    for i in 11 12 13; do
        hits=$(( hits + $(stat_of $i cache.hits) )); misses=$(( misses + $(stat_of $i cache.misses) ))
        cdb=$(( cdb + $(stat_of $i cachedb.hits) )); total=$(( total + $(stat_of $i queries.total) ))
        R[$k.lost]=$(( ${R[$k.lost]:-0} + $(lost "$T/perf.$3.$i") ))
        R[$k.to]=$(( ${R[$k.to]:-0} + $(stat_of $i cachedb.timeouts) ))
        stop_rd $i
    done
    R[$k.total]=$total R[$k.local]=$hits R[$k.cdb]=$cdb
    R[$k.ratio]=$(awk -v h=$((hits + cdb)) -v t=$total 'BEGIN {printf "%.3f", t ? h / t : 0}')
    say "three instances ($2), cachedb $1: NSD answered ${R[$k.nsd]} for $total queries"
}
three no seq plain1
three no par plain2
rcli flushall >/dev/null
three yes seq shared1
rcli flushall >/dev/null
three yes par shared2

# ---------------------------------------------------------------------------------------
# cost per answer
phase() {   # phase LABEL N TAG: the instance NET.N asked set TAG; CPU per answer
    local pid=${RD_PIDS[$2]} c0 r0 out="$T/perf.cost.$1"
    c0=$(cpu_ticks "$pid"); r0=$(cpu_ticks "$REDIS_PID")
    perf "$NET.$2" "$(names "$3")" "$out"
    R[$1.lat]=$(lat "$out")
    R[$1.cpu]=$(awk -v t=$(( $(cpu_ticks "$pid") - c0 )) -v k="$TICK" -v n="$NAMES" 'BEGIN {printf "%.1f", t / k * 1e6 / n}')
    R[$1.rcpu]=$(awk -v t=$(( $(cpu_ticks "$REDIS_PID") - r0 )) -v k="$TICK" -v n="$NAMES" 'BEGIN {printf "%.1f", t / k * 1e6 / n}')
    R[$1.lost]=$(lost "$out")
}
start_rd 14 yes; start_rd 15 yes; start_rd 16 no
perf "$NET.14" "$(names lh)" "$T/perf.warm.lh"          # now in 14's cache (and Redis)
perf "$NET.15" "$(names rh)" "$T/perf.warm.rh"          # now in Redis, not in 14's cache
h0=$(stat_of 14 cachedb.hits)
phase local 14 lh
phase redis 14 rh
redis_hits=$(( $(stat_of 14 cachedb.hits) - h0 ))
cost_to=$(stat_of 14 cachedb.timeouts)
phase miss 14 new
phase plain 16 plain2
for i in 14 15 16; do stop_rd $i; done

# ---------------------------------------------------------------------------------------
{
    echo "cachedb: $NAMES names, three resolverd (1 thread each) at $RATE q/s each; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
    echo
    printf '| three instances, same names | queries | NSD answered (per instance) | local hits | Redis hits | hit ratio | cachedb timeouts | lost |\n'
    printf '| --- | --- | --- | --- | --- | --- | --- | --- |\n'
    for k in no.seq no.par yes.seq yes.par; do
        case $k in no.*) m="without cachedb" ;; *) m="with cachedb" ;; esac
        case $k in *.seq) m+=", one after another" ;; *) m+=", all three at once" ;; esac
        printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$m" "${R[$k.total]}" "${R[$k.nsd]}" \
            "${R[$k.local]}" "${R[$k.cdb]}" "${R[$k.ratio]}" "${R[$k.to]}" "${R[$k.lost]}"
    done
    echo
    printf '| one answer (%s names each) | latency avg / max ms | resolverd CPU us/answer | redis-server CPU us/answer | lost |\n' "$NAMES"
    printf '| --- | --- | --- | --- | --- |\n'
    printf '| local hit | %s | %s | %s | %s |\n' "${R[local.lat]}" "${R[local.cpu]}" "${R[local.rcpu]}" "${R[local.lost]}"
    printf '| Redis hit (%s of %s) | %s | %s | %s | %s |\n' "$redis_hits" "$NAMES" "${R[redis.lat]}" "${R[redis.cpu]}" "${R[redis.rcpu]}" "${R[redis.lost]}"
    printf '| miss (Redis miss, NSD, write) | %s | %s | %s | %s |\n' "${R[miss.lat]}" "${R[miss.cpu]}" "${R[miss.rcpu]}" "${R[miss.lost]}"
    printf '| miss without cachedb | %s | %s | %s | %s |\n' "${R[plain.lat]}" "${R[plain.cpu]}" "${R[plain.rcpu]}" "${R[plain.lost]}"
    echo "(cachedb timeouts of the cost instance: $cost_to)"
    for n in "${NOTES[@]}"; do echo "note: $n"; done
} | tee "$OUT/cachedb.txt"
say "done in $(( $(date +%s) - START_S )) s"
