#!/bin/bash
# tools/bench/cachebust.sh -- resolverd's RSS under a flood of unique names (cache busting).
#
# NSD serves bust.example. with a wildcard (*.bust.example. 300 IN A 192.0.2.1) on
# 127.56.0.1, so every name under it exists; resolverd (127.56.0.2) forwards the zone there
# with `cache-size CACHEBUST_SIZE`. dnsperf then sends CACHEBUST_NAMES unique names
# (r1.bust.example ... rN.bust.example, type A), each once (-n 1), at a fixed rate
# (CACHEBUST_RATE q/s) for at most CACHEBUST_SECONDS: every query is a cache miss that leaves
# one new entry, so once the cache is full every answer evicts another. Meanwhile VmRSS of
# resolverd (/proc/PID/status) is sampled every 100 ms, and `resolverctl stats` once a second.
# At the end: the maximum sampled RSS, the kernel's own peak (VmHWM), the RSS after the
# resolutions in flight have drained, and resolverd's cache counters, set against cache-size.
# Table to stdout and build/bench/cachebust.txt; the samples to build/bench/cachebust.samples.
# tools/bench/README.md ("cachebust.sh") says what each row means.
#
# Loopback only; every process it starts is stopped by its PID (NSD by its own process group);
# every wait is a bounded poll, dnsperf is bounded by -l and by timeout(1). Exits 1, saying
# why, when something does not start or dies; 0 otherwise (CACHEBUST_STRICT=1: 2 when the
# maximum RSS is above cache-size + CACHEBUST_LIMIT_MB).
#
# Environment (defaults in brackets):
#   CACHEBUST_SIZE [16M]        resolverd `cache-size` (K, M, G suffixes, as in resolver.conf)
#   CACHEBUST_NAMES [400000]    unique names in the query file, each sent at most once
#   CACHEBUST_SECONDS [40]      upper bound of the flood (dnsperf -l); it ends earlier when
#                               every name has been sent
#   CACHEBUST_RATE [20000]      queries/s (dnsperf -Q)
#   CACHEBUST_CLIENTS [10]      dnsperf -c
#   CACHEBUST_OUTSTANDING [500] dnsperf -q
#   CACHEBUST_THREADS [2]       resolverd `threads`
#   CACHEBUST_LIMIT_MB [30]     the documented bound: max RSS <= cache-size + this many MiB
#   CACHEBUST_STRICT=1          exit 2 when that bound is exceeded
#   CACHEBUST_NET [127.56.0]    NSD is NET.1, resolverd NET.2
#   CACHEBUST_PORT [5300]
#   CACHEBUST_SLOW=1            a slow authority: resolverd forwards first to NET.3, a UDP socket
#                               that never answers, then to NSD, so every resolution waits
#                               `upstream-timeout` (1 s) and mesh.outstanding runs up to
#                               `max-outstanding`: the worst case for memory in flight
#   CACHEBUST_KEEP=1            keep the temp dir (configs, logs, dnsperf output)
#   CACHEBUST_INSPECT=CMD       run CMD (bash -c) after the flood, before resolverd is stopped,
#                               with RD_PID and RD_SOCK set (e.g. a gdb call of malloc_info);
#                               its output goes to build/bench/cachebust.inspect
#   RESOLVERD [build/resolverd]  RESOLVERCTL [build/resolverctl]  NSD [nsd]  DNSPERF [dnsperf]

set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
OUT="$ROOT/build/bench"

SIZE=${CACHEBUST_SIZE:-16M}
NAMES=${CACHEBUST_NAMES:-400000}
SECONDS_MAX=${CACHEBUST_SECONDS:-40}
RATE=${CACHEBUST_RATE:-20000}
CLIENTS=${CACHEBUST_CLIENTS:-10}
OUTSTANDING=${CACHEBUST_OUTSTANDING:-$([ "${CACHEBUST_SLOW:-0}" = 1 ] && echo 30000 || echo 500)}
THREADS=${CACHEBUST_THREADS:-2}
LIMIT_MB=${CACHEBUST_LIMIT_MB:-30}
NET=${CACHEBUST_NET:-127.56.0}
PORT=${CACHEBUST_PORT:-5300}
RESOLVERD=${RESOLVERD:-$ROOT/build/resolverd}
RESOLVERCTL=${RESOLVERCTL:-$ROOT/build/resolverctl}
NSD=${NSD:-nsd}
DNSPERF=${DNSPERF:-dnsperf}

ZONE=bust.example.
PROBE=ready.bust.example          # matches the wildcard; never in the query file
NSD_ADDR=$NET.1
RD_ADDR=$NET.2
SILENT_ADDR=$NET.3
SLOW=${CACHEBUST_SLOW:-0}
RD_PID="" NSD_PGID="" PERF_PID="" SILENT_PID="" T=""
START_S=$(date +%s)
TOOL=cachebust
NET_HINT="CACHEBUST_NET or CACHEBUST_PORT"
# shellcheck source=common.sh
source "$BENCH_DIR/common.sh"
LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
NOTES=()




# ---------------------------------------------------------------------------------------
# helpers (as in bench.sh)

# size_bytes SIZE: resolver.conf's size syntax (digits, optional K/M/G, powers of 1024).
size_bytes() {
    [[ $1 =~ ^([0-9]+)([KkMmGg]?)$ ]] || return 1
    local n=${BASH_REMATCH[1]} m=1
    case ${BASH_REMATCH[2]} in [Kk]) m=1024 ;; [Mm]) m=1048576 ;; [Gg]) m=1073741824 ;; esac
    echo $(( 10#$n * m ))
}



# status_kb PID FIELD: sets KB to a kB line of /proc/PID/status (VmRSS, VmHWM, ...), without
# a fork; 1 when the process is gone.
status_kb() {
    local k v _
    KB=""
    { while read -r k v _; do
          [ "$k" = "$2:" ] && { KB=$v; return 0; }
      done <"/proc/$1/status"; } 2>/dev/null
    return 1
}





stop_all() {
    if [ -n "$PERF_PID" ]; then stop_pid "$PERF_PID"; PERF_PID=""; fi
    if [ -n "$RD_PID" ]; then stop_pid "$RD_PID"; RD_EXIT=$STOP_STATUS; RD_PID=""; fi
    if [ -n "$SILENT_PID" ]; then stop_pid "$SILENT_PID"; SILENT_PID=""; fi
    stop_nsd_zone
    if [ -n "$T" ] && [ -d "$T" ]; then
        if [ "${CACHEBUST_KEEP:-0}" = 1 ]; then say "CACHEBUST_KEEP=1: files kept in $T"; else rm -rf "$T"; fi
        T=""
    fi
}
trap 'stop_all' EXIT
trap 'echo "cachebust: interrupted" >&2; exit 130' INT TERM

ctl() { timeout -k 1 5 "$RESOLVERCTL" -s "$T/resolverd.sock" "$@"; }
kv() { sed -n "s/^$1=//p" "$2" | head -n1; }   # KEY FILE: the value of a key=value line

# ---------------------------------------------------------------------------------------
# servers

start_nsd() {
    local dir="$T/nsd"
    mkdir -p "$dir"
    {
        printf '$TTL 300\n$ORIGIN %s\n' "$ZONE"
        printf '@ IN SOA ns hostmaster 1 3600 900 604800 300\n@ IN NS ns\nns IN A %s\n' "$NSD_ADDR"
        printf '* IN A 192.0.2.1\n'
    } >"$dir/bust.zone"
    start_nsd_zone "$dir" "$NSD_ADDR" "$ZONE" "$dir/bust.zone"
}

# start_silent: CACHEBUST_SLOW's upstream, a UDP socket on NET.3 that is never read (it
# exits by itself after SECONDS_MAX + 120 s should it ever be left behind).
start_silent() {
    ensure_free "$SILENT_ADDR"
    perl -MIO::Socket::INET -e '
        my $s = IO::Socket::INET->new(LocalAddr => $ARGV[0], LocalPort => $ARGV[1], Proto => "udp")
            or die "cannot bind $ARGV[0] port $ARGV[1]: $!\n";
        print "bound\n"; STDOUT->flush; sleep $ARGV[2];' "$SILENT_ADDR" "$PORT" "$(( SECONDS_MAX + 120 ))" >"$T/silent.out" 2>&1 &
    SILENT_PID=$!
    bound() { grep -q '^bound' "$T/silent.out"; }
    wait_until 10 bound || { log_tail "$T/silent.out"; die "the silent upstream did not bind $SILENT_ADDR port $PORT"; }
}

start_resolverd() {
    local conf="$T/resolverd.conf" upstreams="$NSD_ADDR@$PORT"
    [ "$SLOW" = 1 ] && upstreams="$SILENT_ADDR@$PORT $upstreams"
    RD_LOG="$T/resolverd.log"
    cat >"$conf" <<EOF
# written by tools/bench/cachebust.sh
listen $RD_ADDR $PORT
threads $THREADS
forward $ZONE $upstreams
cache-size $SIZE
root-hints $ROOT/hints/root.hints
root-priming no
prefetch no
control $T/resolverd.sock
log-level warn
EOF
    "$RESOLVERD" -c "$conf" -t >"$T/check.out" 2>&1 || { log_tail "$T/check.out"; die "resolverd -t rejects its config (above)"; }
    ensure_free "$RD_ADDR"
    "$RESOLVERD" -c "$conf" >"$RD_LOG" 2>&1 &
    RD_PID=$!
    if ! wait_until 15 ready "$RD_PID" "$RD_ADDR"; then
        log_tail "$RD_LOG"
        process_gone "$RD_PID" && die "resolverd did not start on $RD_ADDR port $PORT (it exited; log above)"
        die "resolverd runs but does not answer $PROBE on $RD_ADDR port $PORT within 15 s"
    fi
    wait_until 5 ctl status >/dev/null 2>&1 || die "resolverctl cannot reach $T/resolverd.sock"
}

# ---------------------------------------------------------------------------------------
# the flood

# stopped PID: process_gone without a fork (the sampling loop forks only sleep, and
# resolverctl once a second, to stay light on a machine dnsperf and resolverd keep busy).
stopped() {
    local line st
    { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 0
    st=${line##*) }; st=${st%% *}
    [ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}

# counters: one line of resolverd's counters for the samples file (one resolverctl call).
counters() {
    local k v
    local -A c=()
    while IFS='=' read -r k v; do c[$k]=$v; done < <(ctl stats 2>/dev/null; ctl status 2>/dev/null)
    printf '%s %s %s %s %s %s %s' "${c[cache.entries]:--}" "${c[cache.bytes]:--}" "${c[rrcache.bytes]:--}" \
        "${c[cache.evictions]:--}" "${c[mesh.outstanding]:--}" "${c[mesh.dropped]:--}" "${c[queries.total]:--}"
}

# flood: dnsperf in the background; every 100 ms one VmRSS sample, every 10th sample also
# resolverd's counters. Sets RSS_MAX (kB) and RSS_MAX_T (ms into the flood).
flood() {
    local t0 now el i=0 rss
    SAMPLES="$OUT/cachebust.samples"
    printf '# t_s rss_kb cache.entries cache.bytes rrcache.bytes cache.evictions mesh.outstanding mesh.dropped queries.total\n' >"$SAMPLES"
    RSS_MAX=$RSS_START RSS_MAX_T=0 N_SAMPLES=0
    t0=$EPOCHREALTIME
    timeout -k 5 "$(( SECONDS_MAX + 20 ))" "$DNSPERF" -s "$RD_ADDR" -p "$PORT" -d "$T/names.txt" \
        -n 1 -l "$SECONDS_MAX" -Q "$RATE" -c "$CLIENTS" -q "$OUTSTANDING" -t 2 -S 5 >"$T/dnsperf.out" 2>&1 &
    PERF_PID=$!
    while ! stopped "$PERF_PID" && ! stopped "$RD_PID"; do
        status_kb "$RD_PID" VmRSS || break
        rss=$KB
        now=$EPOCHREALTIME
        el=$(( (${now/./} - ${t0/./}) / 1000 ))            # ms
        N_SAMPLES=$((N_SAMPLES + 1))
        if [ "$rss" -gt "$RSS_MAX" ]; then RSS_MAX=$rss; RSS_MAX_T=$el; fi
        if (( i % 10 == 0 )); then
            printf '%d.%03d %s %s\n' $((el / 1000)) $((el % 1000)) "$rss" "$(counters)" >>"$SAMPLES"
        fi
        i=$((i + 1))
        sleep 0.1       # a pause between samples, not a synchronisation
    done
    wait "$PERF_PID" 2>/dev/null
    PERF_RC=$?
    PERF_PID=""
    FLOOD_S=$(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 ))   # ms
    if process_gone "$RD_PID"; then
        wait "$RD_PID" 2>/dev/null; local s=$?
        RD_PID=""
        log_tail "$RD_LOG"
        die "resolverd died (exit status $s) during the flood (log above)"
    fi
    [ "$PERF_RC" = 0 ] || { log_tail "$T/dnsperf.out"; die "dnsperf failed (status $PERF_RC)"; }
}

# ---------------------------------------------------------------------------------------
# the report

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }      # bytes -> MiB
kmib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }        # kB -> MiB
row() { printf '%-50s %14s  %s\n' "$1" "$2" "${3:-}"; }

header() {
    local model
    model=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
    echo "resolverd cache-busting RSS  $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "machine:   $(nproc) CPUs (${model:-unknown model}), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, Linux $(uname -r), $(ldd --version 2>/dev/null | head -n1 | sed 's/^ldd //')"
    echo "resolverd: $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?') ($RESOLVERD)"
    echo "versions:  NSD $("$NSD" -v 2>&1 | sed -n 's/^NSD version //p' | head -n1), dnsperf $("$DNSPERF" -h 2>&1 | sed -n 's/^Version //p' | head -n1)"
    echo "load:      1-minute load average $LOAD_START at the start, $LOAD_END at the end (the machine is shared)"
    echo "setup:     threads $THREADS (resolverd says threads=${RD_THREADS:-?}); forward $ZONE to NSD (wildcard, TTL 300)$([ "$SLOW" = 1 ] && echo ", after a silent upstream (CACHEBUST_SLOW=1: each resolution waits upstream-timeout first)");"
    echo "           $NAMES unique names, each at most once, at $RATE q/s for at most $SECONDS_MAX s; dnsperf -c $CLIENTS -q $OUTSTANDING -t 2, UDP, loopback"
}

report() {
    local sent done_ lost rcodes noerror qps entries bytes evict rrent rrbytes outst dropped servfail
    local timeouts hwm peak overhead_b ratio used_b per_entry unacc limit_b verdict
    sent=$(awk '/Queries sent:/ {print $3}' "$T/dnsperf.out")
    done_=$(awk '/Queries completed:/ {print $3}' "$T/dnsperf.out")
    lost=$(awk '/Queries lost:/ {print $3}' "$T/dnsperf.out")
    rcodes=$(sed -n 's/^ *Response codes: *//p' "$T/dnsperf.out" | head -n1)
    noerror=$(grep -o 'NOERROR [0-9]*' <<<"$rcodes" | awk '{print $2}')
    qps=$(awk '/Queries per second:/ {print $4}' "$T/dnsperf.out")
    [ -n "$sent" ] && [ -n "$done_" ] || { log_tail "$T/dnsperf.out"; die "cannot read dnsperf's statistics"; }
    entries=$(kv cache.entries "$T/stats.end"); bytes=$(kv cache.bytes "$T/stats.end")
    evict=$(kv cache.evictions "$T/stats.end")
    rrent=$(kv rrcache.entries "$T/status.end"); rrbytes=$(kv rrcache.bytes "$T/status.end")
    outst=$(kv mesh.outstanding "$T/stats.end"); dropped=$(kv mesh.dropped "$T/stats.end")
    servfail=$(kv rcode.SERVFAIL "$T/stats.end"); timeouts=$(kv upstream.timeouts "$T/stats.end")
    hwm=$HWM_END
    used_b=$(( ${bytes:-0} + ${rrbytes:-0} ))
    peak=$(( hwm > RSS_MAX ? hwm : RSS_MAX ))     # VmHWM catches what falls between samples
    overhead_b=$(( peak * 1024 - SIZE_B ))
    ratio=$(awk -v r="$peak" -v s="$SIZE_B" 'BEGIN { printf "%.2f", r * 1024 / s }')
    per_entry=$( [ "${entries:-0}" -gt 0 ] && echo $(( bytes / entries )) || echo "-")
    unacc=$(( (peak - RSS_START) * 1024 - used_b ))
    limit_b=$(( SIZE_B + LIMIT_MB * 1048576 ))
    if [ $(( peak * 1024 )) -le "$limit_b" ]; then verdict="yes"; else verdict="NO"; fi
    VERDICT=$verdict

    row "cache-size" "$(mib "$SIZE_B") MiB" "($SIZE_B bytes)"
    row "names in the query file" "$NAMES"
    row "queries sent (dnsperf)" "$sent" "in $(awk -v m="$FLOOD_S" -v q="$qps" 'BEGIN {printf "%.1f s, %.0f answers/s", m / 1000, q}')"
    row "answered" "$done_" "NOERROR ${noerror:-0}; lost $lost; rcodes: $rcodes"
    row "cache.entries at the end (answer cache)" "$entries"
    row "cache.bytes at the end" "$(mib "$bytes") MiB" "($bytes bytes, $per_entry per entry)"
    row "rrcache.entries / rrcache.bytes at the end" "$rrent / $(mib "${rrbytes:-0}") MiB"
    row "cache.bytes + rrcache.bytes, share of cache-size" "$(awk -v u="$used_b" -v s="$SIZE_B" 'BEGIN {printf "%.1f%%", 100 * u / s}')"
    row "cache.evictions" "$evict"
    row "mesh.outstanding / mesh.dropped at the end" "$outst / $dropped" "(SERVFAIL $servfail, upstream.timeouts $timeouts)"
    row "mesh.outstanding, max of the 1 s samples" "$(awk 'NR > 1 && $7 ~ /^[0-9]+$/ && $7 > m {m = $7} END {print m + 0}' "$SAMPLES")"
    row "RSS at start (after one probe query)" "$(kmib "$RSS_START") MiB"
    row "max RSS during the flood (100 ms samples)" "$(kmib "$RSS_MAX") MiB" "at $(awk -v m="$RSS_MAX_T" 'BEGIN {printf "%.1f", m / 1000}') s, of $N_SAMPLES samples"
    row "peak RSS (VmHWM, kernel)" "$(kmib "$hwm") MiB"
    row "final RSS (flood over, mesh drained)" "$(kmib "$RSS_END") MiB"
    row "max RSS - cache-size (overhead)" "$(mib "$overhead_b") MiB" "(max RSS: the larger of the samples' max and VmHWM)"
    row "max RSS / cache-size" "$ratio"
    row "max RSS - RSS at start - cache & rrcache bytes" "$(mib "$unacc") MiB" "(growth the cache accounting does not count)"
    row "max RSS within cache-size + $LIMIT_MB MiB" "$verdict"
}

timeline() {   # every 5th per-second sample: how RSS follows the cache
    echo "timeline (per-second samples in build/bench/cachebust.samples; every 5 s here):"
    awk 'NR == 1 { next }
         { n++; last = $0; if ((n - 1) % 5 != 0) next; printed = n
           printf "  t=%5.1fs  RSS %6.1f MiB  cache %6.1f MiB %8d entries  rrcache %5.1f MiB  evictions %8d  mesh.outstanding %5d  dropped %d\n",
               $1, $2 / 1024, $4 / 1048576, $3, $5 / 1048576, $6, $7, $8 }
         END { if (n && printed != n) { $0 = last
           printf "  t=%5.1fs  RSS %6.1f MiB  cache %6.1f MiB %8d entries  rrcache %5.1f MiB  evictions %8d  mesh.outstanding %5d  dropped %d\n",
               $1, $2 / 1024, $4 / 1048576, $3, $5 / 1048576, $6, $7, $8 } }' "$SAMPLES"
}

# ---------------------------------------------------------------------------------------
# main

main() {
    local p v
    for v in NAMES SECONDS_MAX RATE CLIENTS OUTSTANDING THREADS LIMIT_MB PORT; do
        [[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -ge 1 ] || die "$v must be a positive integer, got '${!v}'"
    done
    [[ $NET =~ ^127\.[0-9]+\.[0-9]+$ ]] || die "CACHEBUST_NET must be a /24 in 127.0.0.0/8 like 127.56.0, got '$NET'"

    SIZE_B=$(size_bytes "$SIZE") || die "CACHEBUST_SIZE must be like 16M, 65536K or 1G, got '$SIZE'"
    for p in "$NSD" "$DNSPERF" dig setsid timeout pgrep; do
        command -v "$p" >/dev/null || die "'$p' is not installed (Debian: apt-get install dnsperf nsd dnsutils procps coreutils util-linux)"
    done
    [ "$SLOW" != 1 ] || command -v perl >/dev/null || die "CACHEBUST_SLOW=1 needs perl (the silent upstream)"
    [ -x "$RESOLVERD" ] || die "$RESOLVERD is not built (make build/resolverd)"
    [ -x "$RESOLVERCTL" ] || die "$RESOLVERCTL is not built (make build/resolverctl)"
    mkdir -p "$OUT"
    T=$(mktemp -d "${TMPDIR:-/tmp}/cachebust.XXXXXX") || die "mktemp failed"

    say "query file: $NAMES unique names under $ZONE"
    awk -v n="$NAMES" -v z="${ZONE%.}" 'BEGIN { for (i = 1; i <= n; i++) printf "r%d.%s A\n", i, z }' >"$T/names.txt"

    say "starting NSD on $NSD_ADDR@$PORT (wildcard zone $ZONE)"
    start_nsd
    if [ "$SLOW" = 1 ]; then
        say "CACHEBUST_SLOW=1: a silent upstream on $SILENT_ADDR@$PORT, asked before NSD"
        start_silent
    fi
    say "starting resolverd on $RD_ADDR@$PORT (cache-size $SIZE, threads $THREADS)"
    start_resolverd
    RD_THREADS=$(ctl status 2>/dev/null | sed -n 's/^threads=//p' | head -n1)
    status_kb "$RD_PID" VmRSS || die "cannot read /proc/$RD_PID/status"; RSS_START=$KB

    say "flood: up to $NAMES names at $RATE q/s, at most $SECONDS_MAX s"
    flood

    # the flood is over: let the resolutions still in flight finish (bounded), then read
    local out=""
    drained() { out=$(ctl stats 2>/dev/null | sed -n 's/^mesh.outstanding=//p'); [ "${out:-1}" = 0 ]; }
    wait_until 10 drained || note "mesh.outstanding still ${out:-?} 10 s after the flood"
    ctl stats >"$T/stats.end" 2>&1 || die "resolverctl stats failed: $(cat "$T/stats.end")"
    ctl status >"$T/status.end" 2>&1 || die "resolverctl status failed: $(cat "$T/status.end")"
    status_kb "$RD_PID" VmRSS || die "cannot read /proc/$RD_PID/status"; RSS_END=$KB
    status_kb "$RD_PID" VmHWM || die "cannot read /proc/$RD_PID/status"; HWM_END=$KB
    [ "${CACHEBUST_KEEP:-0}" = 1 ] && cp "$T/stats.end" "$OUT/cachebust.stats"
    if [ -n "${CACHEBUST_INSPECT:-}" ]; then
        say "CACHEBUST_INSPECT: $CACHEBUST_INSPECT"
        RD_PID=$RD_PID RD_SOCK="$T/resolverd.sock" timeout -k 5 120 bash -c "$CACHEBUST_INSPECT" \
            >"$OUT/cachebust.inspect" 2>&1 || note "CACHEBUST_INSPECT exited with status $?"
    fi

    stop_pid "$RD_PID"; RD_EXIT=$STOP_STATUS; RD_PID=""
    [ "$RD_EXIT" = 0 ] || note "resolverd exit status after TERM: $RD_EXIT"
    if grep -q . "$RD_LOG"; then
        note "resolverd logged $(grep -c . "$RD_LOG") lines at log-level warn, first: $(grep -m3 . "$RD_LOG" | tr '\n' '|')"
    fi
    LOAD_END=$(cut -d' ' -f1 /proc/loadavg)
    # only the load before the run says whether others were busy: the flood itself keeps
    # three processes (dnsperf, resolverd, NSD) running on the machine
    if awk -v a="$LOAD_START" -v n="$(nproc)" 'BEGIN { exit !(a > n) }'; then
        note "the machine was busy before the run (1-minute load $LOAD_START on $(nproc) CPUs): other work competed"
    fi

    report >"$T/report.txt"          # here, not in the pipe below: it sets VERDICT
    {
        header
        echo
        cat "$T/report.txt"
        echo
        timeline
        if [ ${#NOTES[@]} -gt 0 ]; then
            echo
            echo "notes:"
            printf '  - %s\n' "${NOTES[@]}"
        fi
        echo
        echo "run time: $(( $(date +%s) - START_S )) s"
    } | tee "$OUT/cachebust.txt"
    if [ "$VERDICT" != yes ] && [ "${CACHEBUST_STRICT:-0}" = 1 ]; then
        echo "cachebust: RSS above cache-size + $LIMIT_MB MiB (CACHEBUST_STRICT=1)" >&2
        exit 2
    fi
}

main "$@"
