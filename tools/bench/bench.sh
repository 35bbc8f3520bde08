#!/bin/bash
# tools/bench/bench.sh -- resolverd against Unbound and a canned-answer floor (`make bench`).
#
# NSD serves bench.example. (BENCH_NAMES A records) on 127.55.0.1. resolverd (127.55.0.2) and
# Unbound (127.55.0.3) both forward that zone to it; canned (127.55.0.4, tools/bench/canned.c)
# answers anything at once and is the floor. Each round starts fresh daemons and then, with the
# three servers taken in turn (the order rotates every round):
#   cold   every name once (dnsperf -n 1): names/s, CPU per query, RSS growth per cached name
#   hot    closed loop over the now cached names for BENCH_DURATION s: QPS and CPU per answer
#   rate   the same names at a fixed BENCH_RATE q/s for BENCH_DURATION s: latency percentiles
#   sys    strace -c -f -p over BENCH_SYSCALLS_SECONDS at BENCH_SYSCALLS_RATE: calls per answer
#   signed (BENCH_SIGNED=1, the default) a second, signed zone (signed.example., signed with
#          ldns-signzone at start): a fresh validating resolverd (127.55.0.6) and a validating
#          Unbound (127.55.0.7), anchored at that zone, each ask every name of it once, cold:
#          names/s and CPU per name with validation on ("signed" rows of the table)
# CPU is utime+stime of the server process (all threads) from /proc/PID/stat, wake-ups the sum
# of its threads' voluntary_ctxt_switches, both before and after each run; RSS is VmRSS from
# /proc/PID/status. The table gives the median over the rounds of
# each metric and the ratios resolverd/Unbound and resolverd/floor; it goes to stdout and to
# build/bench/result.txt, every single measurement to build/bench/raw.txt. tools/bench/README.md
# says what each number means.
#
# Baseline comparison (BENCH_BASE=REV, `make bench BASE=REV`): tools/bench/base.sh builds the
# optimised resolverd of git revision REV in build/base-src/, and it runs as a fourth server,
# "base" (127.55.0.5), with the same config and in the same interleaved rounds; the table gains
# its column and the ratios resolverd/base, and a last line says whether cache-hit CPU per
# answer and cold-cache names/s are within 5% of the base's. A directive the base binary
# rejects (`resolverd -t`) is left out of its config, with a note.
#
# Loopback only; every process it starts is stopped by its PID (NSD by its own process group);
# every wait is a bounded poll, every dnsperf run is bounded by -l and by timeout(1), and the
# whole run gives up past BENCH_MAX_SECONDS. Exits non-zero, saying why, when a server does not
# start or dies.
#
# Environment (defaults in brackets):
#   BENCH_THREADS [2]      threads of resolverd (`threads`), Unbound (num-threads) and canned
#   BENCH_ROUNDS [3]       rounds; medians are over these
#   BENCH_DURATION [15]    seconds of each closed-loop and each fixed-rate run
#   BENCH_RATE [30000]     queries/s of the fixed-rate run
#   BENCH_SLICES [5]       parts of the cold pass and the closed loop, the servers taking turns
#   BENCH_NAMES [20000]    names in the zone (each one A record), all asked in every run
#   BENCH_CLIENTS [10]     dnsperf -c
#   BENCH_OUTSTANDING [200] dnsperf -q (400 and more overflow a 208 KB receive buffer at start)
#   BENCH_PORT [5300]      the port of all four servers (each has its own 127.55.0.x address)
#   BENCH_NET [127.55.0]   the /24 the four addresses are taken from
#   BENCH_QUICK=1          a ~1 minute smoke run: 1 round, 5 s runs, 10000 names
#   BENCH_KEEP=1           keep the temp dir (configs, logs, dnsperf outputs)
#   BENCH_MAX_SECONDS [570, 840 with a base] give up (exit 1) when a step would start later than this
#   BENCH_SYSCALLS [1]     the sys phase (needs strace); BENCH_SYSCALLS_RATE [2000], _SECONDS [3]
#   BENCH_BASE=REV         also run REV's resolverd (built by tools/bench/base.sh) as "base"
#   BENCH_SIGNED [1]       the signed phase (needs ldnsutils); 0 leaves it out
#   BENCH_SIGNED_NAMES [BENCH_NAMES / 2]  names in signed.example. (one A record each)
#   BENCH_SIGNED_ALG [ECDSAP256SHA256]    ldns-keygen -a for its KSK and ZSK (RSASHA256:
#                          2048-bit keys, as the root and most TLDs)
#   BASE_RESOLVERD=PATH    the same with a resolverd binary already built
#   RESOLVERD [build/resolverd]  RESOLVERCTL [build/resolverctl, optional]  UNBOUND [unbound]
#   NSD [nsd]  DNSPERF [dnsperf]  CC [cc]

set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
OUT="$ROOT/build/bench"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
    : "${BENCH_ROUNDS:=1}" "${BENCH_DURATION:=5}" "${BENCH_NAMES:=10000}"
fi
THREADS=${BENCH_THREADS:-2}
ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION:-15}
RATE=${BENCH_RATE:-30000}
NAMES=${BENCH_NAMES:-20000}
CLIENTS=${BENCH_CLIENTS:-10}
OUTSTANDING=${BENCH_OUTSTANDING:-200}
PORT=${BENCH_PORT:-5300}
NET=${BENCH_NET:-127.55.0}
BASE=${BENCH_BASE:-}
BASE_RESOLVERD=${BASE_RESOLVERD:-}
if [ -n "$BASE" ] || [ -n "$BASE_RESOLVERD" ]; then WITH_BASE=1; else WITH_BASE=0; fi
SIGNED=${BENCH_SIGNED:-1}
SIGNED_NAMES=${BENCH_SIGNED_NAMES:-$(( NAMES / 2 ))}
SIGNED_ALG=${BENCH_SIGNED_ALG:-ECDSAP256SHA256}
MAX_SECONDS=${BENCH_MAX_SECONDS:-$(( (WITH_BASE ? 840 : 570) + (SIGNED == 1 ? 120 : 0) ))}
SLICES=${BENCH_SLICES:-5}
SYS=${BENCH_SYSCALLS:-1}
SYS_RATE=${BENCH_SYSCALLS_RATE:-2000}
SYS_SECONDS=${BENCH_SYSCALLS_SECONDS:-3}
RESOLVERD=${RESOLVERD:-$ROOT/build/resolverd}
RESOLVERCTL=${RESOLVERCTL:-$ROOT/build/resolverctl}
UNBOUND=${UNBOUND:-unbound}
NSD=${NSD:-nsd}
DNSPERF=${DNSPERF:-dnsperf}
CC=${CC:-cc}

ZONE=bench.example.
PROBE=ready.bench.example        # in the zone, never in a query file
SERVERS=(resolverd unbound floor)
[ "$WITH_BASE" = 1 ] && SERVERS=(resolverd base unbound floor)
# the signed phase's servers are vresolverd and vunbound; their figures go into the
# resolverd and Unbound columns (rows vcold_*)
SZONE=signed.example.
declare -A ADDR=([nsd]=$NET.1 [resolverd]=$NET.2 [unbound]=$NET.3 [floor]=$NET.4 [base]=$NET.5
                 [vresolverd]=$NET.6 [vunbound]=$NET.7)
declare -A LABEL=([resolverd]=resolverd [unbound]=Unbound [floor]=floor [base]="base resolverd"
                  [vresolverd]="validating resolverd" [vunbound]="validating Unbound")
declare -A BIN=([resolverd]=$RESOLVERD [base]=$BASE_RESOLVERD [vresolverd]=$RESOLVERD)
declare -A COLUMN=([resolverd]=resolverd [base]=base [unbound]=Unbound [floor]=floor)
BASE_SKIP=()     # directives the base binary rejects, left out of its config
declare -A PID=() LOGF=() EXIT_STATUS=()
NSD_PGID=""
START_S=$(date +%s)
TOOL=bench
NET_HINT="BENCH_NET or BENCH_PORT"
# shellcheck source=common.sh
source "$BENCH_DIR/common.sh"
LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
HZ=$(getconf CLK_TCK)
NOTES=()

# ---------------------------------------------------------------------------------------
# helpers



for v in THREADS ROUNDS DURATION RATE NAMES CLIENTS OUTSTANDING PORT MAX_SECONDS SYS_RATE SYS_SECONDS SLICES SIGNED_NAMES; do
    [[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -ge 1 ] || die "$v must be a positive integer, got '${!v}'"
done
[[ $NET =~ ^127\.[0-9]+\.[0-9]+$ ]] || die "BENCH_NET must be a /24 in 127.0.0.0/8 like 127.55.0, got '$NET'"



# cpu_ticks PID: utime+stime of the whole process (all its threads), in clock ticks.
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
# group_ticks PGID: the same summed over a process group (NSD and its server child).
group_ticks() {
    local p t=0 x
    for p in $(pgrep -g "$1" 2>/dev/null); do x=$(cpu_ticks "$p" 2>/dev/null) && t=$((t + x)); done
    echo "$t"
}
rss_kb() { awk '$1 == "VmRSS:" {print $2}' "/proc/$1/status"; }
# wakeups PID: voluntary context switches summed over the process's threads: each is a thread
# going to sleep (in epoll_wait, recvmmsg, a lock), so the count is the wake-ups that followed.
wakeups() { cat "/proc/$1/task/"*/status 2>/dev/null | awk '$1 == "voluntary_ctxt_switches:" {n += $2} END {print n + 0}'; }

# Counters of a server read from /proc before and after every dnsperf run. For each NAME in
# COUNTERS: counter_NAME PID prints the process's count so far, COUNTER_SCALE[NAME] turns a
# count into the unit of the figure, and perf sets PER[NAME] = delta * scale / NOERROR answers;
# DELTA[NAME] = delta; rec_counters records PER[NAME] as PHASE_NAME (rate_cpu_us, rate_wake),
# acc_add/acc_rec do the same over the parts of a phase (hot_cpu_us, ...). A new per-answer
# figure is one function, one entry of each array, and a row of the table.
COUNTERS=(cpu_us wake)
declare -A COUNTER_SCALE=([cpu_us]=$(awk -v hz="$HZ" 'BEGIN {print 1e6 / hz}') [wake]=1)
counter_cpu_us() { cpu_ticks "$1"; }
counter_wake() { wakeups "$1"; }
declare -A PER=() DELTA=()

check_deadline() {
    local used=$(( $(date +%s) - START_S ))
    [ "$used" -lt "$MAX_SECONDS" ] ||
        die "time limit: ${used}s used before '$1' (BENCH_MAX_SECONDS=$MAX_SECONDS); try fewer BENCH_ROUNDS or a shorter BENCH_DURATION"
}


# ---------------------------------------------------------------------------------------
# starting and stopping


stop_server() {   # NAME: stops it if running, records its exit status
    local s=$1
    [ -n "${PID[$s]:-}" ] || return 0
    stop_pid "${PID[$s]}"
    EXIT_STATUS[$s]=$STOP_STATUS
    PID[$s]=""
}

stop_all() {
    local s
    stop_strace
    for s in "${SERVERS[@]}" vresolverd vunbound; do stop_server "$s"; done
    stop_nsd_zone
    if [ -n "${T:-}" ] && [ -d "$T" ]; then
        if [ "${BENCH_KEEP:-0}" = 1 ]; then say "BENCH_KEEP=1: files kept in $T"; else rm -rf "$T"; fi
        T=""
    fi
}
trap 'stop_all' EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM



# started NAME PID: waits until NAME answers the probe name; dies with its log otherwise.
started() {
    local s=$1 pid=$2
    PID[$s]=$pid
    if ! wait_until 15 ready "$pid" "${ADDR[$s]}"; then
        log_tail "${LOGF[$s]}"
        if process_gone "$pid"; then
            die "${LABEL[$s]} did not start on ${ADDR[$s]} port $PORT (it exited; log above)"
        fi
        die "${LABEL[$s]} runs but does not answer $PROBE on ${ADDR[$s]} port $PORT within 15 s"
    fi
}

start_nsd() {
    local extra=""
    [ "$SIGNED" = 1 ] && extra=$(printf '%s\n' "zone:" "    name: \"$SZONE\"" "    zonefile: \"$T/signed.zone\"")
    NSD_ZONES_EXTRA=$extra start_nsd_zone "$T/nsd" "${ADDR[nsd]}" "$ZONE" "$T/bench.zone"
}

# sign_bench_zone: signed.example. with SIGNED_NAMES A records (host-NNNNNN, as bench.example.),
# a KSK and a ZSK of SIGNED_ALG (ldns-keygen), signed by ldns-signzone (NSEC; valid from an
# hour ago for 30 days) into $T/signed.zone; its KSK's DS ($T/signed.ds) is the validators'
# only trust anchor. The query files vcold.K.txt: its names, shuffled, in SLICES parts.
sign_bench_zone() {
    local d="$T/sign" ksk zsk bits=() t0 now
    mkdir -p "$d"
    t0=$(date +%s%N); now=$(date +%s)
    {
        printf '$TTL 86400\n$ORIGIN %s\n' "$SZONE"
        printf '@ IN SOA ns hostmaster 1 3600 900 604800 86400\n@ IN NS ns\nns IN A %s\n' "${ADDR[nsd]}"
        printf 'ready IN A 192.0.2.1\n'
        awk -v n="$SIGNED_NAMES" 'BEGIN { for (i = 1; i <= n; i++)
            printf "host-%06d IN A 10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256 }'
    } >"$d/signed.in"
    [[ $SIGNED_ALG == RSA* ]] && bits=(-b 2048)
    ksk=$(cd "$d" && ldns-keygen -a "$SIGNED_ALG" "${bits[@]}" -k "$SZONE" 2>&1) || die "ldns-keygen (KSK, $SIGNED_ALG): $ksk"
    zsk=$(cd "$d" && ldns-keygen -a "$SIGNED_ALG" "${bits[@]}" "$SZONE" 2>&1) || die "ldns-keygen (ZSK, $SIGNED_ALG): $zsk"
    (cd "$d" && ldns-signzone -o "$SZONE" -i $((now - 3600)) -e $((now + 30 * 86400)) -f "$T/signed.zone" \
        signed.in "$ksk" "$zsk") >"$d/sign.log" 2>&1 || { log_tail "$d/sign.log"; die "ldns-signzone $SZONE failed"; }
    ldns-key2ds -n -2 "$d/$ksk.key" >"$T/signed.ds" 2>"$d/ds.err" && [ -s "$T/signed.ds" ] ||
        { log_tail "$d/ds.err"; die "ldns-key2ds gave no DS for $SZONE"; }
    SIGN_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
    awk -v n="$SIGNED_NAMES" -v z="${SZONE%.}" 'BEGIN { for (i = 1; i <= n; i++) printf "host-%06d.%s A\n", i, z }' |
        shuf --random-source=<(yes 3) | awk -v k="$SLICES" -v p="$T/vcold." '{ print > (p ((NR - 1) % k) ".txt") }'
}

# rd_conf NAME ROUND: writes the config of resolverd NAME (resolverd, base, or vresolverd:
# validating, anchored at the signed zone) and prints its path; the base's leaves out the
# directives in BASE_SKIP. The others do not validate (dnssec no), as the Unbound beside
# them: bench.example. is unsigned, and under the shipped root anchor a validator would try
# to prove that through the forwarder.
rd_conf() {
    local s=$1 conf="$T/$1.$2.conf" d
    local dnssec="dnssec no"
    [ "$s" = vresolverd ] && dnssec="dnssec yes
trust-anchor-file $T/signed.ds
forward $SZONE ${ADDR[nsd]}@$PORT"
    cat >"$conf" <<EOF
# written by tools/bench/bench.sh
listen ${ADDR[$s]} $PORT
threads $THREADS
forward $ZONE ${ADDR[nsd]}@$PORT
cache-size 384M
root-hints $ROOT/hints/root.hints
root-priming no
case-randomisation no
prefetch no
$dnssec
control $T/$s.sock
log-level warn
EOF
    if [ "$s" = base ]; then
        for d in "${BASE_SKIP[@]}"; do
            awk -v d="$d" '$1 != d' "$conf" >"$conf.tmp" && mv "$conf.tmp" "$conf"
        done
    fi
    echo "$conf"
}

start_rd() {   # NAME ROUND: resolverd or base
    local s=$1 conf
    conf=$(rd_conf "$s" "$2")
    LOGF[$s]="$T/$s.$2.log"
    ensure_free "${ADDR[$s]}"
    "${BIN[$s]}" -c "$conf" >"${LOGF[$s]}" 2>&1 &
    started "$s" $!
}

# base_prepare: builds the base (unless BASE_RESOLVERD names one) and finds the directives of
# the config it rejects: `resolverd -t` says "FILE:LINE: message"; that line's directive goes
# into BASE_SKIP, with a note, until the config passes.
base_prepare() {
    local out rc line d i conf
    if [ -z "$BASE_RESOLVERD" ]; then
        say "building resolverd of $BASE in build/base-src (tools/bench/base.sh)"
        BASE_RESOLVERD=$("$BENCH_DIR/base.sh" "$BASE") || die "cannot build the base resolverd ($BASE)"
        BIN[base]=$BASE_RESOLVERD
    fi
    [ -x "$BASE_RESOLVERD" ] || die "the base resolverd $BASE_RESOLVERD is not executable"
    if [ -n "$BASE" ]; then
        BASE_DESC="$BASE: $(git -C "$ROOT" log -1 --format='%h %<(50,trunc)%s' "$BASE^{commit}" 2>/dev/null | sed 's/ *$//') ($BASE_RESOLVERD)"
    else
        BASE_DESC=$BASE_RESOLVERD
    fi
    for ((i = 0; i < 10; i++)); do
        conf=$(rd_conf base 0)
        out=$("$BASE_RESOLVERD" -t -c "$conf" 2>&1); rc=$?
        [ "$rc" = 0 ] && return 0
        if [[ $out == *"usage:"* ]]; then
            note "the base resolverd has no -t: its config was not checked before it starts"
            return 0
        fi
        line=$(sed -n 's/^[^:]*:\([0-9][0-9]*\): .*/\1/p' <<<"$out" | head -n1)
        [ -n "$line" ] || die "the base resolverd rejects the bench config: $out"
        d=$(sed -n "${line}p" "$conf" | awk '{print $1}')
        [ -n "$d" ] || die "the base resolverd rejects line $line of its config: $out"
        note "the base resolverd rejects '$(sed -n "${line}p" "$conf")' ($out): left out of its config"
        BASE_SKIP+=("$d")
    done
    die "the base resolverd still rejects its config without ${BASE_SKIP[*]}"
}

# start_unbound ROUND [vunbound]: Unbound, or (vunbound) the validating one of the signed
# phase: "validator iterator", anchored at the signed zone, which it forwards to NSD too.
start_unbound() {
    local s=${2:-unbound} dir="$T/${2:-unbound}.$1" mods=iterator val="" fwd=""
    mkdir -p "$dir"
    LOGF[$s]="$dir/unbound.log"
    if [ "$s" = vunbound ]; then
        mods="validator iterator"
        val="    trust-anchor-file: \"$T/signed.ds\""
        fwd=$(printf '%s\n' "forward-zone:" "    name: \"$SZONE\"" "    forward-addr: ${ADDR[nsd]}@$PORT")
    fi
    cat >"$dir/unbound.conf" <<EOF
# written by tools/bench/bench.sh
server:
$(unbound_server_lines "$dir" "${ADDR[$s]}" $PORT "$THREADS" | sed "s/module-config: .*/module-config: \"$mods\"/")
    msg-cache-size: 128m
    rrset-cache-size: 256m
    prefetch: no
    use-caps-for-id: no
$val
remote-control:
    control-enable: no
forward-zone:
    name: "$ZONE"
    forward-addr: ${ADDR[nsd]}@$PORT
$fwd
EOF
    ensure_free "${ADDR[$s]}"
    "$UNBOUND" -d -c "$dir/unbound.conf" >"${LOGF[$s]}" 2>&1 &
    started "$s" $!
}

start_floor() {   # ROUND
    LOGF[floor]="$T/canned.$1.log"
    ensure_free "${ADDR[floor]}"
    "$OUT/canned" "${ADDR[floor]}" "$PORT" "$THREADS" >"${LOGF[floor]}" 2>&1 &
    started floor $!
}

# ---------------------------------------------------------------------------------------
# dnsperf

# perf NAME FILE OUTFILE DNSPERF-ARGS...: one dnsperf run against NAME; sets P_SENT P_DONE
# P_LOST P_NOERROR P_QPS P_RUNTIME, DELTA (the COUNTERS' growth) and PER (DELTA per NOERROR answer).
perf() {
    local s=$1 qfile=$2 out=$3 c bound; shift 3
    local -A c0=() c1=()
    bound=$(( DURATION + 60 ))
    for c in "${COUNTERS[@]}"; do c0[$c]=$("counter_$c" "${PID[$s]}") || die "${LABEL[$s]} is gone"; done
    timeout -k 5 "$bound" "$DNSPERF" -s "${ADDR[$s]}" -p "$PORT" -d "$qfile" \
        -c "$CLIENTS" -q "$OUTSTANDING" -t 2 "$@" >"$out" 2>&1
    local rc=$?
    if process_gone "${PID[$s]}"; then
        wait "${PID[$s]}" 2>/dev/null; local st=$?
        log_tail "${LOGF[$s]}"
        PID[$s]=""
        die "${LABEL[$s]} died (exit status $st) during dnsperf $* (log above)"
    fi
    for c in "${COUNTERS[@]}"; do c1[$c]=$("counter_$c" "${PID[$s]}"); done
    [ "$rc" = 0 ] || { log_tail "$out"; die "dnsperf failed (status $rc) against ${LABEL[$s]}: dnsperf $*"; }
    P_SENT=$(awk '/Queries sent:/ {print $3}' "$out")
    P_DONE=$(awk '/Queries completed:/ {print $3}' "$out")
    P_LOST=$(awk '/Queries lost:/ {print $3}' "$out")
    P_RCODES=$(sed -n 's/^ *Response codes: *//p' "$out" | head -n1)
    P_NOERROR=$(grep -o 'NOERROR [0-9]*' <<<"$P_RCODES" | awk '{print $2}')
    P_QPS=$(awk '/Queries per second:/ {print $4}' "$out")
    P_RUNTIME=$(awk '/Run time \(s\):/ {print $4}' "$out")
    P_RESP=$(sed -n 's/.*Average packet size:.*response \([0-9]*\).*/\1/p' "$out" | head -n1)
    P_NOERROR=${P_NOERROR:-0}
    [ -n "$P_DONE" ] && [ -n "$P_QPS" ] || { log_tail "$out"; die "cannot read dnsperf's statistics in $out"; }
    PER=()
    for c in "${COUNTERS[@]}"; do
        DELTA[$c]=$((c1[$c] - c0[$c]))
        [ "$P_NOERROR" -gt 0 ] || { PER[$c]=""; continue; }
        PER[$c]=$(awk -v d=$((c1[$c] - c0[$c])) -v f="${COUNTER_SCALE[$c]}" -v n="$P_NOERROR" 'BEGIN {printf "%.3f", d * f / n}')
    done
}

RAW="$OUT/raw.txt"
# rec METRIC SERVER ROUND VALUE: one measurement (empty values are skipped).
rec() { [ -n "$4" ] && printf '%s %s %s %s\n' "$1" "$2" "$3" "$4" >>"$RAW"; return 0; }
rec_counters() {   # PHASE SERVER ROUND: the per-answer counters of the last perf run
    local c
    for c in "${COUNTERS[@]}"; do rec "$1_$c" "$2" "$3" "${PER[$c]}"; done
}

# check_run WHAT: notes lost queries and rcodes other than NOERROR of the last run.
check_run() {
    if [ "${P_LOST:-0}" != 0 ] || [ "$P_NOERROR" != "$P_DONE" ]; then
        note "$1: sent $P_SENT, lost $P_LOST, rcodes: $P_RCODES"
    fi
}

# latency_stats FILE: from dnsperf -v lines "> RCODE NAME TYPE SECONDS": "avg p50 p99 p99.9 max"
# in µs of the answered queries, then on a second line the count in each of HIST_EDGES' buckets.
HIST_EDGES=(25 50 100 200 500 1000 2000 5000 10000)    # µs; the last bucket is everything above
latency_stats() {
    awk '$1 == ">" && $2 != "T" && $NF ~ /^[0-9.]+$/ {print $NF * 1e6}' "$1" | sort -g |
        awk -v edges="${HIST_EDGES[*]}" '
             BEGIN { ne = split(edges, e, " ") }
             { v[NR] = $1; s += $1
               for (b = 1; b <= ne && $1 > e[b]; b++) ; h[b]++ }
             function pct(q,  i) { i = int(q * NR + 0.999999); if (i < 1) i = 1; return v[i] }
             END { if (NR == 0) { print ""; print ""; exit }
                   printf "%.1f %.1f %.1f %.1f %.1f\n", s / NR, pct(0.50), pct(0.99), pct(0.999), v[NR]
                   for (b = 1; b <= ne + 1; b++) printf "%d%s", h[b] + 0, b <= ne ? " " : "\n" }'
}

# ---------------------------------------------------------------------------------------
# the phases of one round

# Parts: the cold pass and the closed loop run in SLICES parts, the servers taking turns on
# each part (their order rotating from part to part), so that a slow spell of the shared
# machine lands on every server about equally; each figure sums its server's parts. ACC holds
# the sums of the phase running: ACC[PHASE.NAME.what].
declare -A ACC=()
acc_add() {   # PHASE NAME: adds the last perf run to the sums
    local k="$1.$2" c
    ACC[$k.done]=$(( ${ACC[$k.done]:-0} + P_DONE ))
    ACC[$k.noerror]=$(( ${ACC[$k.noerror]:-0} + P_NOERROR ))
    ACC[$k.sent]=$(( ${ACC[$k.sent]:-0} + P_SENT ))
    ACC[$k.lost]=$(( ${ACC[$k.lost]:-0} + ${P_LOST:-0} ))
    ACC[$k.runtime]=$(awk -v a="${ACC[$k.runtime]:-0}" -v b="${P_RUNTIME:-0}" 'BEGIN {printf "%.6f", a + b}')
    for c in "${COUNTERS[@]}"; do ACC[$k.$c]=$(( ${ACC[$k.$c]:-0} + DELTA[$c] )); done
}
# acc_rec PHASE NAME ROUND: records PHASE_qps (answers / run time), PHASE_lost and the counters
# per NOERROR answer (PHASE_cpu_us, ...) from the sums, with a note when not all queries got a
# NOERROR answer; ACC_NOERROR is the sum of the answers.
acc_rec() {
    local k="$1.$2" c
    ACC_NOERROR=${ACC[$k.noerror]:-0}
    [ "${ACC[$k.sent]:-0}" = "$ACC_NOERROR" ] ||
        note "$( [ "$1" = hot ] && echo "closed loop" || echo "$1"), ${LABEL[$2]}, round $3 ($SLICES parts): sent ${ACC[$k.sent]:-0}, NOERROR $ACC_NOERROR, lost ${ACC[$k.lost]:-0}, the rest other rcodes"
    rec "$1_qps" "$2" "$3" "$(awk -v d="${ACC[$k.done]:-0}" -v t="${ACC[$k.runtime]:-0}" 'BEGIN { if (t > 0) printf "%.1f", d / t }')"
    rec "$1_lost" "$2" "$3" "$(( ${ACC[$k.sent]:-0} - ACC_NOERROR ))"
    [ "$ACC_NOERROR" -gt 0 ] || return 0
    for c in "${COUNTERS[@]}"; do
        rec "$1_$c" "$2" "$3" "$(awk -v d="${ACC[$k.$c]:-0}" -v f="${COUNTER_SCALE[$c]}" -v n="$ACC_NOERROR" 'BEGIN {printf "%.3f", d * f / n}')"
    done
}

# part_server PART I NAME...: the I-th server of part PART: the order rotates by one from part
# to part and runs backwards in every second part, so each server follows every other.
part_server() {
    local k=$1 i=$2; shift 2
    local a=("$@") n=$#
    [ $((k % 2)) = 0 ] || i=$(( n - 1 - i ))
    echo "${a[(i + k) % n]}"
}

phase_cold() {   # ROUND NAME...: the cold pass in SLICES parts, then each server's warm check
    local r=$1 k i s n; shift
    local servers=("$@") rss1
    local -A rss0=()
    n=${#servers[@]}
    ACC=()
    for s in "${servers[@]}"; do rss0[$s]=$(rss_kb "${PID[$s]}"); done
    for ((k = 0; k < SLICES; k++)); do
        for ((i = 0; i < n; i++)); do
            s=$(part_server "$k" "$i" "${servers[@]}")
            perf "$s" "$T/cold.$k.txt" "$T/cold.$s.$r.$k.out" -n 1 -l "$(( DURATION + 45 ))"
            acc_add cold "$s"
        done
    done
    for s in "${servers[@]}"; do
        rss1=$(rss_kb "${PID[$s]}")
        acc_rec cold "$s" "$r"
        if [ "$s" != floor ] && [ "$ACC_NOERROR" -gt 0 ]; then
            rec rss_per_name "$s" "$r" "$(( (rss1 - rss0[$s]) * 1024 / ACC_NOERROR ))"
            rec rss_mb "$s" "$r" "$(awk -v k="$rss1" 'BEGIN {printf "%.1f", k / 1024}')"
        fi
        # every name again, once, unmeasured: what the cold pass missed is cached now, and the
        # count of answers says whether the hot runs will be cache hits
        perf "$s" "$T/cold.txt" "$T/warm.$s.$r.out" -n 1 -l "$(( DURATION + 45 ))"
        [ "$P_NOERROR" = "$NAMES" ] || note "warm check, ${LABEL[$s]}, round $r: $P_NOERROR of $NAMES names answered NOERROR (rcodes: $P_RCODES, lost $P_LOST)"
    done
}

# validates NAME ROUND: a note unless NAME answers a name of the signed zone with AD (then its
# "signed" figures are not those of a validation: e.g. a resolverd without a validator).
validates() {
    local out flags
    out=$(dig @"${ADDR[$1]}" -p "$PORT" +tries=1 +time=5 +dnssec "ready.${SZONE%.}" A 2>&1)
    flags=$(sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p' <<<"$out" | head -n1)
    if [[ " $flags " == *" ad "* ]]; then rec vcold_ad "$1" "$2" 1; return 0; fi
    rec vcold_ad "$1" "$2" 0
    note "signed, round $2: ${LABEL[$1]} answers ready.${SZONE%.} without AD (flags: ${flags:-none}, $(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$out" | head -n1)): it did not validate"
}

# phase_signed ROUND: the signed zone, cold, through a fresh validating resolverd and a fresh
# validating Unbound (both anchored at signed.example.), in SLICES parts taking turns, as the
# cold pass does; each asked one name with DO first (validates), which also fetches the
# zone's DNSKEY set. Records vcold_* for vresolverd and vunbound.
phase_signed() {
    local r=$1 k i s servers=(vresolverd vunbound)
    [ $((r % 2)) = 0 ] && servers=(vunbound vresolverd)
    start_rd vresolverd "$r"
    start_unbound "$r" vunbound
    for s in "${servers[@]}"; do validates "$s" "$r"; done
    ACC=()
    for ((k = 0; k < SLICES; k++)); do
        for ((i = 0; i < 2; i++)); do
            s=$(part_server "$k" "$i" "${servers[@]}")
            perf "$s" "$T/vcold.$k.txt" "$T/vcold.$s.$r.$k.out" -n 1 -l "$(( DURATION + 45 ))"
            acc_add vcold "$s"
        done
    done
    for s in "${servers[@]}"; do acc_rec vcold "$s" "$r"; done
    # issue 11: a cache hit for a DO client (RRSIGs in the answer) against one without DO,
    # the signed names now cached, taking turns in SLICES parts
    cat "$T"/vcold.[0-9]*.txt >"$T/vhot.txt"
    local mode
    for ((k = 0; k < SLICES; k++)); do
        for mode in plain do; do
            perf vresolverd "$T/vhot.txt" "$T/vhot.$mode.$r.$k.out" -l "$(( DURATION / SLICES ))" \
                $( [ "$mode" = do ] && echo -D )
            acc_add "vhot_$mode" vresolverd
        done
    done
    for mode in plain do; do acc_rec "vhot_$mode" vresolverd "$r"; done
    rd_stats vresolverd "$r"
    for s in "${servers[@]}"; do
        stop_server "$s"
        [ "${EXIT_STATUS[$s]}" = 0 ] || note "signed, round $r: ${LABEL[$s]} exit status after TERM: ${EXIT_STATUS[$s]}"
    done
    if grep -qvE '^\s*$' "${LOGF[vresolverd]}"; then
        note "signed, round $r: ${LABEL[vresolverd]} logged $(grep -c . "${LOGF[vresolverd]}") lines at log-level warn, first: $(grep -m3 . "${LOGF[vresolverd]}" | tr '\n' '|')"
    fi
}

phase_hot() {   # ROUND NAME...: the closed loop, SLICES parts of DURATION / SLICES s each
    local r=$1 k i s n n0 n1 len; shift
    local servers=("$@")
    local -A nsd=()
    n=${#servers[@]}
    len=$(( DURATION / SLICES )); [ "$len" -ge 1 ] || len=1
    ACC=()
    for ((k = 0; k < SLICES; k++)); do
        for ((i = 0; i < n; i++)); do
            s=$(part_server "$k" "$i" "${servers[@]}")
            n0=$(group_ticks "$NSD_PGID")
            perf "$s" "$T/hot.txt" "$T/hot.$s.$r.$k.out" -l "$len"
            n1=$(group_ticks "$NSD_PGID")
            nsd[$s]=$(( ${nsd[$s]:-0} + n1 - n0 ))
            acc_add hot "$s"
            rec resp_bytes "$s" "$r" "$P_RESP"
        done
    done
    for s in "${servers[@]}"; do
        acc_rec hot "$s" "$r"
        [ "${nsd[$s]}" -le 2 ] || note "closed loop, ${LABEL[$s]}, round $r: NSD used ${nsd[$s]} ticks of CPU (not all cache hits?)"
    done
}

phase_rate() {   # NAME ROUND
    local s=$1 r=$2 avg p50 p99 p999 max
    perf "$s" "$T/hot.txt" "$T/rate.$s.$r.out" -l "$DURATION" -Q "$RATE" -v
    check_run "fixed rate, ${LABEL[$s]}, round $r"
    rec rate_qps "$s" "$r" "$P_QPS"
    rec_counters rate "$s" "$r"
    rec rate_lost "$s" "$r" "$(( P_SENT - P_NOERROR ))"
    local lat hist b
    lat=$(latency_stats "$T/rate.$s.$r.out")
    read -r avg p50 p99 p999 max <<<"$(sed -n 1p <<<"$lat")"
    read -r -a hist <<<"$(sed -n 2p <<<"$lat")"
    for b in "${!hist[@]}"; do rec "hist_$b" "$s" "$r" "${hist[$b]}"; done
    rec lat_avg "$s" "$r" "${avg:-}"
    rec lat_p50 "$s" "$r" "${p50:-}"
    rec lat_p99 "$s" "$r" "${p99:-}"
    rec lat_p999 "$s" "$r" "${p999:-}"
    rec lat_max "$s" "$r" "${max:-}"
    [ "${BENCH_KEEP:-0}" = 1 ] || rm -f "$T/rate.$s.$r.out"    # megabytes of -v lines
}

# phase_sys NAME ROUND: system calls per answer, counted by `strace -c -f -p` attached to all
# the server's threads over a dnsperf run of SYS_SECONDS at SYS_RATE q/s. strace stops the
# thread at every call, so it runs at a lower rate than the fixed-rate phase: at 20,000 q/s
# the slowed server batches more and the count per answer drops (the floor: 0.46 against 1.5
# at 5,000 q/s). Records sys_total (calls per answer) and sys:CALL for each call.
phase_sys() {
    local s=$1 r=$2 st="$T/strace.$1.$2"
    strace -c -f -p "${PID[$s]}" -o "$st.txt" 2>"$st.err" &
    STRACE_PID=$!
    if ! wait_until 10 grep -q attached "$st.err"; then
        stop_strace
        note "system calls, ${LABEL[$s]}, round $r: strace did not attach ($(head -c 200 "$st.err"))"
        return 0
    fi
    perf "$s" "$T/hot.txt" "$st.out" -l "$SYS_SECONDS" -Q "$SYS_RATE"
    stop_strace
    check_run "system calls (strace), ${LABEL[$s]}, round $r"
    [ "$P_NOERROR" -gt 0 ] || return 0
    awk -v n="$P_NOERROR" -v s="$s" -v r="$r" '
        /^-+ / { sep++; next }
        sep == 1 && NF >= 5 { printf "sys:%s %s %s %.3f\n", $NF, s, r, $4 / n }
        sep == 2 && $NF == "total" { printf "sys_total %s %s %.3f\n", s, r, $4 / n }' "$st.txt" >>"$RAW"
}

stop_strace() {   # detaches strace (TERM: it prints its summary and lets the process go)
    [ -n "${STRACE_PID:-}" ] || return 0
    stop_pid "$STRACE_PID"
    STRACE_PID=""
}

# syscalls_by_call: per server, the calls of the strace runs per answer (median over the rounds),
# most frequent first.
syscalls_by_call() {
    local s
    echo "system calls per answer at $SYS_RATE q/s under strace, by call (median of the rounds):"
    for s in "${SERVERS[@]}"; do
        awk -v s="$s" '$2 == s && $1 ~ /^sys:/ {print substr($1, 5), $4}' "$RAW" | sort -k1,1 -k2g |
            awk '{ v[$1, ++n[$1]] = $2 }
                 END { for (c in n) { k = n[c]; m = k % 2 ? v[c, (k + 1) / 2] : (v[c, k / 2] + v[c, k / 2 + 1]) / 2
                                      printf "%s %.3f\n", c, m } }' | sort -k2gr |
            awk -v l="$(printf '  %-10s' "${COLUMN[$s]}")" '$2 >= 0.001 { line = line sprintf(" %s %s", $1, $2) }
                 END { print l (line == "" ? " -" : line) }'
    done
}

# resolverd's own counters (when resolverctl is built): printed into the notes once a round.
rd_stats() {   # NAME ROUND
    [ -x "$RESOLVERCTL" ] && [ -n "${PID[$1]:-}" ] || return 0
    local st
    st=$("$RESOLVERCTL" -s "$T/$1.sock" stats 2>&1) || { note "round $2: resolverctl stats of ${LABEL[$1]} failed: $st"; return 0; }
    note "round $2, ${LABEL[$1]} stats: $(grep -E '^(queries\.total|cache\.hits|cache\.misses|cache\.entries|cache\.bytes|upstream\.queries|upstream\.timeouts|rcode\.SERVFAIL)=' <<<"$st" | tr '\n' ' ')"
}

# ---------------------------------------------------------------------------------------
# the table

# median METRIC SERVER: median over the rounds ("" when none).
median() {
    awk -v m="$1" -v s="$2" '$1 == m && $2 == s {print $4}' "$RAW" | sort -g |
        awk '{v[NR] = $1} END { if (NR == 0) exit;
             if (NR % 2) printf "%s\n", v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
fmt() {   # VALUE: a readable number (or "-")
    [ -n "$1" ] || { echo "-"; return; }
    awk -v x="$1" 'BEGIN { a = x < 0 ? -x : x;
        if (x == int(x) || a >= 1000) printf "%.0f", x; else if (a >= 100) printf "%.1f", x;
        else if (a >= 10) printf "%.2f", x; else printf "%.3f", x }'
}
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (b != 0) printf "%.2f", a / b; else print "-" }' || echo "-"; }

table() {
    local rows=(
        "hot_cpu_us|CPU per cache-hit answer, closed loop|us|lower"
        "hot_qps|cache-hit QPS, closed loop (-c $CLIENTS -q $OUTSTANDING)|q/s|higher"
        "rate_cpu_us|CPU per cache-hit answer at $RATE q/s|us|lower"
        "hot_wake|wake-ups per answer, closed loop|/answer|lower"
        "rate_wake|wake-ups per answer at $RATE q/s|/answer|lower"
        "sys_total|system calls per answer at $SYS_RATE q/s (strace)|/answer|lower"
        "lat_avg|latency at $RATE q/s: average|us|lower"
        "lat_p50|latency at $RATE q/s: median|us|lower"
        "lat_p99|latency at $RATE q/s: p99|us|lower"
        "lat_p999|latency at $RATE q/s: p99.9|us|lower"
        "lat_max|latency at $RATE q/s: max|us|lower"
        "cold_qps|cold cache: names/s (each name once)|names/s|higher"
        "cold_cpu_us|cold cache: server CPU per name|us|lower"
        "rss_per_name|RSS growth per cached name (A RRset+msg)|bytes|lower"
        "rss_mb|RSS after the cold pass|MiB|lower"
        "resp_bytes|average response size (dnsperf)|bytes|-"
        "hot_lost|closed loop: unanswered or not NOERROR|queries|lower"
        "rate_lost|fixed rate: unanswered or not NOERROR|queries|lower"
        "cold_lost|cold: unanswered or not NOERROR|names|lower"
        "vcold_qps|signed zone, validating, cold: names/s|names/s|higher"
        "vcold_cpu_us|signed zone, validating, cold: CPU per name|us|lower"
        "vcold_ad|signed zone: AD on the probe (1 = validated)|-|-"
        "vcold_lost|signed zone, cold: not NOERROR|names|lower"
        "vhot_plain_cpu_us|signed zone, cache hit, no DO: CPU/answer|us|lower"
        "vhot_do_cpu_us|signed zone, cache hit, DO: CPU/answer|us|lower"
        "vhot_plain_qps|signed zone, cache hit, no DO: q/s|q/s|higher"
        "vhot_do_qps|signed zone, cache hit, DO: q/s|q/s|higher"
    )
    local row m what unit better v s vals ratios line
    local -A short=([base]=base [unbound]=Unb [floor]=floor)
    line=$(printf '%-44s %-8s' "metric (median of $ROUNDS)" unit)
    for s in "${SERVERS[@]}"; do line+=$(printf ' %11s' "${COLUMN[$s]}"); done
    for s in "${SERVERS[@]}"; do [ "$s" = resolverd ] || line+=$(printf ' %9s' "rd/${short[$s]}"); done
    echo "$line"
    printf '%*s\n' "${#line}" '' | tr ' ' -
    for row in "${rows[@]}"; do
        IFS='|' read -r m what unit better <<<"$row"
        line=$(printf '%-44s %-8s' "$what" "$unit")
        declare -A vals=()
        for s in "${SERVERS[@]}"; do
            # the signed rows: the validating servers' figures in resolverd's and Unbound's columns
            if [[ $m == vcold_* || $m == vhot_* ]]; then vals[$s]=$(median "$m" "v$s"); else vals[$s]=$(median "$m" "$s"); fi
            line+=$(printf ' %11s' "$(fmt "${vals[$s]}")")
        done
        grep -q "^$m " "$RAW" || continue     # a phase left out (BENCH_SYSCALLS=0)
        for s in "${SERVERS[@]}"; do
            [ "$s" = resolverd ] && continue
            case $m in *_lost|*_ad|resp_bytes) v="-" ;; *) v=$(ratio "${vals[resolverd]}" "${vals[$s]}") ;; esac
            line+=$(printf ' %9s' "$v")
        done
        echo "$line"
    done
}

# regression: with a base, whether the figures issue 10 names are within 5% of the base's
# (the ratio of the medians; "better" counts as within).
regression() {
    [ "$WITH_BASE" = 1 ] || return 0
    local row m what better rd bs r verdict all=yes
    echo "regression check: resolverd within 5% of the base (${BASE:-$BASE_RESOLVERD}), medians of the same run"
    for row in "hot_cpu_us|cache-hit CPU per answer, closed loop|lower" "cold_qps|cold cache: names/s|higher" \
               "cold_cpu_us|cold cache: CPU per name|lower"; do
        IFS='|' read -r m what better <<<"$row"
        rd=$(median "$m" resolverd); bs=$(median "$m" base); r=$(ratio "$rd" "$bs")
        verdict=$(awk -v r="$r" -v b="$better" 'BEGIN { if (r !~ /^[0-9.]+$/) print "no figure";
                  else if ((b == "lower" && r <= 1.05) || (b == "higher" && r >= 0.95)) print "yes"; else print "NO" }')
        [ "$verdict" = yes ] || all=no
        printf '  %-40s resolverd/base %5s (%s is better): %-3s  per round: %s\n' "$what" "$r" "$better" "$verdict" \
            "$(awk -v m="$m" '$1 == m && $2 == "resolverd" {a[$3] = $4} $1 == m && $2 == "base" {b[$3] = $4}
                  END { for (i = 1; i in a || i in b; i++) printf "%s%s", (i > 1 ? " " : ""), (i in a && i in b && b[i] != 0) ? sprintf("%.2f", a[i] / b[i]) : "-" }' "$RAW")"
    done
    echo "  all within 5%: $all"
}

# validated NAME: NAME answered with AD in every round of the signed phase
validated() { awk -v s="$1" '$1 == "vcold_ad" && $2 == s { n++; if ($4 != 1) bad = 1 } END { exit !(n && !bad) }' "$RAW"; }

# signed_check: issue 11's bound, validating resolverd's CPU per signed name at most 0.8x
# validating Unbound's (medians of the same run), and whether both validated at all.
signed_check() {
    [ "$SIGNED" = 1 ] || return 0
    local rd ub r verdict
    rd=$(median vcold_cpu_us vresolverd); ub=$(median vcold_cpu_us vunbound); r=$(ratio "$rd" "$ub")
    verdict=$(awk -v r="$r" 'BEGIN { if (r !~ /^[0-9.]+$/) print "no figure"; else if (r <= 0.8) print "yes"; else print "NO" }')
    validated vresolverd || verdict="no verdict: resolverd did not validate (no AD)"
    validated vunbound || verdict="no verdict: Unbound did not validate (no AD)"
    echo "signed zone ($SIGNED_NAMES names, $SIGNED_ALG), both validating: resolverd/Unbound CPU per name $r (at most 0.80): $verdict"
    echo "  names/s resolverd/Unbound $(ratio "$(median vcold_qps vresolverd)" "$(median vcold_qps vunbound)")"
    echo "  validating resolverd, cache hit with DO / without: CPU per answer $(ratio "$(median vhot_do_cpu_us vresolverd)" "$(median vhot_plain_cpu_us vresolverd)"), QPS $(ratio "$(median vhot_do_qps vresolverd)" "$(median vhot_plain_qps vresolverd)") (issue 11: within 5%)"
}

# per_round: the single values behind the medians of the main rows, to judge the noise.
per_round() {
    local m s
    echo "per round (r1 r2 ...; the order of servers rotates each round):"
    for m in hot_cpu_us hot_qps lat_p50 lat_p99 cold_qps rss_per_name vcold_qps vcold_cpu_us; do
        for s in "${SERVERS[@]}" vresolverd vunbound; do
            awk -v m="$m" -v s="$s" '$1 == m && $2 == s {printf "%s%s", sep, ($4 == int($4) || $4 >= 1000 ? sprintf("%.0f", $4) : sprintf("%.2f", $4)); sep = " "}
                 END { if (sep != "") printf "\n" }' "$RAW" | sed "s/^/  $(printf '%-12s %-9s ' "$m" "$s")/"
        done
    done
}

# histogram: the share of fixed-rate answers in each latency bucket, all rounds pooled.
histogram() {
    local b s lo hi label
    printf '%-44s %-8s' "latency at $RATE q/s, all rounds pooled" ""
    for s in "${SERVERS[@]}"; do printf ' %11s' "${COLUMN[$s]}"; done
    printf '\n'
    for ((b = 0; b <= ${#HIST_EDGES[@]}; b++)); do
        lo=$([ "$b" = 0 ] && echo 0 || echo "${HIST_EDGES[b - 1]}")
        if [ "$b" -lt "${#HIST_EDGES[@]}" ]; then label="  $lo < t <= ${HIST_EDGES[b]}"; else label="  t > $lo"; fi
        printf '%-44s %-8s' "$label" "us"
        for s in "${SERVERS[@]}"; do
            hi=$(awk -v b="hist_$b" -v s="$s" '$2 == s && $1 ~ /^hist_/ {all += $4; if ($1 == b) n += $4}
                     END { if (all) printf "%.2f%%", 100 * n / all; else print "-" }' "$RAW")
            printf ' %11s' "$hi"
        done
        printf '\n'
    done
}

header() {
    local model
    model=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
    echo "resolverd benchmark  $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "machine:   $(nproc) CPUs (${model:-unknown model}), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, Linux $(uname -r)"
    echo "resolverd: $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?') ($RESOLVERD)"
    [ "$WITH_BASE" = 1 ] && echo "base:      $BASE_DESC${BASE_SKIP[*]:+, config without: ${BASE_SKIP[*]}}"
    echo "versions:  $("$UNBOUND" -V 2>/dev/null | head -n1), NSD $("$NSD" -v 2>&1 | sed -n 's/^NSD version //p' | head -n1), dnsperf $("$DNSPERF" -h 2>&1 | sed -n 's/^Version //p' | head -n1)"
    echo "load:      1-minute load average $LOAD_START at the start, ${load_end:-?} at the end (the machine is shared)"
    echo "setup:     threads $THREADS each (resolverd says threads=${RD_THREADS:-?} in use); $NAMES names in $ZONE; $ROUNDS rounds;"
    echo "           closed loop and fixed rate $DURATION s each; dnsperf -c $CLIENTS -q $OUTSTANDING over UDP on loopback"
    [ "$SIGNED" = 1 ] && echo "signed:    $SZONE, $SIGNED_NAMES names, KSK + ZSK $SIGNED_ALG, NSEC, signed in ${SIGN_MS:-?} ms; validating resolverd and Unbound anchored there (clients without DO)"
    return 0
}

# ---------------------------------------------------------------------------------------
# main

main() {
    local p r i s order
    for p in "$NSD" "$UNBOUND" "$DNSPERF" dig "$CC" setsid timeout pgrep shuf; do
        command -v "$p" >/dev/null || die "'$p' is not installed (Debian: apt-get install dnsperf nsd unbound dnsutils gcc procps coreutils util-linux)"
    done
    [ -x "$RESOLVERD" ] || die "$RESOLVERD is not built (make build/resolverd)"
    if [ "$SYS" = 1 ] && ! command -v strace >/dev/null; then
        note "strace is not installed (Debian: strace): no system call counts"; SYS=0
    fi
    mkdir -p "$OUT"
    T=$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX") || die "mktemp failed"
    : >"$RAW"
    [ "$WITH_BASE" = 1 ] && base_prepare
    if [ "$SIGNED" = 1 ]; then
        for p in ldns-keygen ldns-signzone ldns-key2ds; do
            command -v "$p" >/dev/null || { note "'$p' is not installed (Debian: ldnsutils): no signed zone"; SIGNED=0; break; }
        done
    fi

    say "building canned (the floor)"
    "$CC" -O2 -Wall -Wextra -pthread -o "$OUT/canned" "$BENCH_DIR/canned.c" || die "cannot build $BENCH_DIR/canned.c"

    say "zone $ZONE: $NAMES names"
    {
        printf '$TTL 86400\n$ORIGIN %s\n' "$ZONE"
        printf '@ IN SOA ns hostmaster 1 3600 900 604800 86400\n@ IN NS ns\nns IN A %s\n' "${ADDR[nsd]}"
        printf 'ready IN A 192.0.2.1\n'
        awk -v n="$NAMES" 'BEGIN { for (i = 1; i <= n; i++)
            printf "host-%06d IN A 10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256 }'
    } >"$T/bench.zone"
    awk -v n="$NAMES" -v z="${ZONE%.}" 'BEGIN { for (i = 1; i <= n; i++) printf "host-%06d.%s A\n", i, z }' |
        shuf --random-source=<(yes) >"$T/cold.txt"
    shuf --random-source=<(yes 2) "$T/cold.txt" >"$T/hot.txt"      # another order for the hot runs
    awk -v k="$SLICES" -v p="$T/cold." '{ print > (p ((NR - 1) % k) ".txt") }' "$T/cold.txt"   # the cold parts

    if [ "$SIGNED" = 1 ]; then
        say "zone $SZONE: $SIGNED_NAMES names, signing ($SIGNED_ALG)"
        sign_bench_zone
    fi
    say "starting NSD on ${ADDR[nsd]}@$PORT"
    start_nsd

    for ((r = 1; r <= ROUNDS; r++)); do
        order=()
        for ((i = 0; i < ${#SERVERS[@]}; i++)); do order+=("${SERVERS[(i + r - 1) % ${#SERVERS[@]}]}"); done
        check_deadline "round $r"
        say "round $r of $ROUNDS: fresh servers, order ${order[*]}"
        start_rd resolverd "$r"; [ "$WITH_BASE" = 1 ] && start_rd base "$r"
        start_unbound "$r"; start_floor "$r"
        if [ -z "${RD_THREADS:-}" ] && [ -x "$RESOLVERCTL" ]; then
            RD_THREADS=$("$RESOLVERCTL" -s "$T/resolverd.sock" status 2>/dev/null | sed -n 's/^threads=//p' | head -n1)
            [ -n "$RD_THREADS" ] || RD_THREADS=$("$RESOLVERCTL" -s "$T/resolverd.sock" stats 2>/dev/null | sed -n 's/^threads=//p' | head -n1)
        fi
        say "  cold: ${order[*]}, $SLICES parts each"; phase_cold "$r" "${order[@]}"
        check_deadline "closed loop, round $r"
        say "  closed loop: ${order[*]}, $SLICES parts of $(( DURATION / SLICES ))s each"; phase_hot "$r" "${order[@]}"
        for s in "${order[@]}"; do check_deadline "fixed rate, round $r"; say "  fixed rate $RATE q/s ${DURATION}s: ${LABEL[$s]}"; phase_rate "$s" "$r"; done
        if [ "$SYS" = 1 ]; then
            for s in "${order[@]}"; do check_deadline "system calls, round $r"; say "  system calls (strace) $SYS_RATE q/s ${SYS_SECONDS}s: ${LABEL[$s]}"; phase_sys "$s" "$r"; done
        fi
        rd_stats resolverd "$r"; [ "$WITH_BASE" = 1 ] && rd_stats base "$r"
        for s in "${SERVERS[@]}"; do stop_server "$s"; done
        for s in "${SERVERS[@]}"; do
            [ "$s" = floor ] || [ "${EXIT_STATUS[$s]}" = 0 ] || note "round $r: ${LABEL[$s]} exit status after TERM: ${EXIT_STATUS[$s]}"
        done
        for s in resolverd base; do
            [ -n "${LOGF[$s]:-}" ] && grep -qvE '^\s*$' "${LOGF[$s]}" || continue
            note "round $r: ${LABEL[$s]} logged $(grep -c . "${LOGF[$s]}") lines at log-level warn, first: $(grep -m3 . "${LOGF[$s]}" | tr '\n' '|')"
        done
        if [ "$SIGNED" = 1 ]; then
            check_deadline "signed zone, round $r"
            say "  signed zone, validating, cold: ${LABEL[vresolverd]}, ${LABEL[vunbound]}, $SLICES parts each"
            phase_signed "$r"
        fi
    done

    local total=$(( $(date +%s) - START_S )) load_end
    load_end=$(cut -d' ' -f1 /proc/loadavg)
    if awk -v a="$LOAD_START" -v b="$load_end" -v n="$(nproc)" 'BEGIN { exit !(a > n || b > n) }'; then
        note "the machine was busy (1-minute load $LOAD_START at the start, $load_end at the end, on $(nproc) CPUs): QPS and latency are depressed and noisy; CPU per answer and RSS hold up best"
    fi
    {
        header
        echo
        table
        echo
        histogram
        echo
        per_round
        echo
        if [ "$SYS" = 1 ]; then syscalls_by_call; echo; fi
        regression
        [ "$WITH_BASE" = 1 ] && echo
        if [ "$SIGNED" = 1 ]; then signed_check; echo; fi
        echo "ratios: resolverd's median over the others' (rd/base, rd/Unbound, rd/floor); for CPU, latency and RSS lower is better,"
        echo "for q/s and names/s higher is better. floor = canned answers (tools/bench/canned.c), no DNS work."
        echo "CPU = server utime+stime (all threads) / NOERROR answers; clock tick $((1000000 / HZ)) us. Raw values: build/bench/raw.txt"
        if [ ${#NOTES[@]} -gt 0 ]; then
            echo
            echo "notes:"
            printf '  - %s\n' "${NOTES[@]}"
        fi
        echo
        echo "run time: ${total} s"
    } | tee "$OUT/result.txt"
}

main "$@"
