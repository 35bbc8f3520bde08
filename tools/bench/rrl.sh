#!/bin/bash
# tools/bench/rrl.sh -- resolverd and Unbound iterating against authorities that rate-limit
# (`make bench-rrl`; part of `make bench`).
#
# Two NSD instances (NET.3, NET.4) serve rrl.lab. with NSD's default response rate limiting
# (Debian's build: rrl-ratelimit 200 responses a second per client /24 and kind, rrl-slip 2:
# every second response over the limit is a TC=1 "slip", the others are dropped); a third
# (NET.1, no RRL) is the root and delegates rrl.lab. to them. resolverd (NET.2... see below)
# and Unbound 1.17 iterate from root hints naming NET.1. For each rate (RRL_RATES) each
# resolver in turn, started fresh, gets RRL_SECONDS of unique names under rrl.lab. at that
# rate (dnsperf -n 1 -Q RATE), every one NXDOMAIN, so every query is a miss and all of them
# fall into one RRL bucket per server. Reported per run: the SERVFAIL share and lost queries,
# latency p50/p99/max (a lost query counts as dnsperf's timeout), the authorities' query
# counts (NSD's statistics: UDP and TCP), resolverd's upstream.timeouts / upstream.queries and
# retries over TCP, RSS before and after the flood; then resolverd/Unbound ratios.
# Table to stdout and build/bench/rrl.txt.
#
# Port 53 is needed (root hints carry no port), so the script re-executes itself in a private
# network namespace (`unshare -n` as root, `unshare -rn` otherwise), with a PID namespace where
# allowed, as tests/e2e/simnet.sh does: nothing it starts can outlive it, and it cannot meet
# a DNS service of the host. The resolvers leave from different /24s (resolverd NET1.2,
# Unbound NET2.2), so neither spends the other's RRL budget.
#
# Environment (defaults in brackets):
#   RRL_RATES ["300 1000 4000"]   unique names a second
#   RRL_SECONDS [10]              length of each flood
#   RRL_THREADS [2]               threads of each resolver
#   RRL_CACHE [4M]                resolverd cache-size; Unbound gets the same split in two
#   RRL_NET [127.57]              the /16 used: root NET.0.1, authorities NET.0.3 and NET.0.4,
#                                 resolverd NET.1.2, Unbound NET.2.2
#   RRL_SERVERS ["resolverd unbound"]  the resolvers run (one alone: a quicker experiment)
#   RRL_KEEP=1                    keep the temp dir
#   RESOLVERD RESOLVERCTL UNBOUND UNBOUND_CONTROL NSD NSD_CONTROL DNSPERF   the programs
set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
OUT="$ROOT/build/bench"

if [ -z "${RRL_IN_NETNS:-}" ]; then
    flags=-rn
    [ "$(id -u)" = 0 ] && flags=-n
    pidns=(--pid --fork --mount-proc --kill-child)
    unshare "$flags" "${pidns[@]}" true 2>/dev/null || pidns=()
    unshare "$flags" true 2>/dev/null || { echo "rrl.sh: needs root or user namespaces (unshare -rn)" >&2; exit 1; }
    exec env RRL_IN_NETNS=1 unshare "$flags" "${pidns[@]}" -- /bin/bash -c \
        'ip link set lo up || exit 1; exec /bin/bash "$0" "$@"' "$0" "$@"
fi

RATES=${RRL_RATES:-300 1000 4000}
SECS=${RRL_SECONDS:-10}
THREADS=${RRL_THREADS:-2}
CACHE=${RRL_CACHE:-4M}
NET=${RRL_NET:-127.57}
RESOLVERD=${RESOLVERD:-$ROOT/build/resolverd}
RESOLVERCTL=${RESOLVERCTL:-$ROOT/build/resolverctl}
UNBOUND=${UNBOUND:-unbound}
UNBOUND_CONTROL=${UNBOUND_CONTROL:-unbound-control}
NSD=${NSD:-nsd}
NSD_CONTROL=${NSD_CONTROL:-nsd-control}
DNSPERF=${DNSPERF:-dnsperf}
PORT=53
PROBE=probe.rrl.lab
TOOL=rrl
NET_HINT=RRL_NET
START_S=$(date +%s)
NOTES=()
PERF_TIMEOUT=12                 # dnsperf -t: a query unanswered this long is lost
declare -A ADDR=([root]=$NET.0.1 [ns1]=$NET.0.3 [ns2]=$NET.0.4 [resolverd]=$NET.1.2 [unbound]=$NET.2.2)
NSD_PGIDS=() SRV_PID="" T=""
# shellcheck source=common.sh
source "$BENCH_DIR/common.sh"

stop_all() {
    [ -n "$SRV_PID" ] && stop_pid "$SRV_PID"
    SRV_PID=""
    for NSD_PGID in "${NSD_PGIDS[@]}"; do stop_nsd_zone; done
    NSD_PGIDS=()
    if [ -n "$T" ] && [ "${RRL_KEEP:-0}" != 1 ]; then rm -rf "$T"; fi
}
trap 'stop_all' EXIT
trap 'stop_all; exit 130' INT TERM

for p in "$RESOLVERD" "$RESOLVERCTL" "$UNBOUND" "$UNBOUND_CONTROL" "$NSD" "$NSD_CONTROL" "$DNSPERF" dig; do
    command -v "$p" >/dev/null || die "'$p' is not installed (make deps-bench; Debian: dnsperf nsd unbound dnsutils)"
done
T=$(mktemp -d /tmp/rrl-bench.XXXXXX) || die "mktemp failed"
mkdir -p "$OUT"

# ---- the zones ---------------------------------------------------------------------------

cat >"$T/root.zone" <<EOF
.            86400 IN SOA a.root.lab. nobody.invalid. 1 3600 600 86400 3600
.            86400 IN NS a.root.lab.
a.root.lab. 86400 IN A ${ADDR[root]}
rrl.lab.    86400 IN NS ns1.rrl.lab.
rrl.lab.    86400 IN NS ns2.rrl.lab.
ns1.rrl.lab. 86400 IN A ${ADDR[ns1]}
ns2.rrl.lab. 86400 IN A ${ADDR[ns2]}
EOF
cat >"$T/rrl.zone" <<EOF
rrl.lab.     3600 IN SOA ns1.rrl.lab. nobody.invalid. 1 3600 600 86400 300
rrl.lab.     3600 IN NS ns1.rrl.lab.
rrl.lab.     3600 IN NS ns2.rrl.lab.
ns1.rrl.lab. 3600 IN A ${ADDR[ns1]}
ns2.rrl.lab. 3600 IN A ${ADDR[ns2]}
probe.rrl.lab. 3600 IN A 192.0.2.1
EOF
printf '.  3600000 NS a.root.lab.\na.root.lab. 3600000 A %s\n' "${ADDR[root]}" >"$T/root.hints"

# start_nsd NAME ZONE FILE RRL: common.sh's NSD, with Debian's default RRL when RRL=yes and
# a control socket for its statistics
start_nsd() {
    local name=$1 zone=$2 file=$3 rrl=$4
    NSD_CONF_EXTRA="    control-enable: yes
    control-interface: $T/$name/nsd.sock"
    [ "$rrl" = yes ] && NSD_RRL="" || NSD_RRL="    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0"
    PROBE_SAVE=$PROBE
    [ "$zone" = . ] && PROBE=a.root.lab
    start_nsd_zone "$T/$name" "${ADDR[$name]}" "$zone" "$file"
    PROBE=$PROBE_SAVE
    NSD_PGIDS+=("$NSD_PGID")
}
nsd_stats() {   # NAME: "queries tcp" since the last call (nsd-control stats resets them)
    "$NSD_CONTROL" -c "$T/$1/nsd.conf" stats 2>/dev/null |
        awk -F= '$1 == "num.queries" {q = $2} $1 == "num.tcp" {t = $2} END {print q + 0, t + 0}'
}

# ---- the resolvers -----------------------------------------------------------------------

start_resolverd() {
    local dir="$T/resolverd"
    mkdir -p "$dir"
    cat >"$dir/resolver.conf" <<EOF
listen ${ADDR[resolverd]} 53
outgoing-interface ${ADDR[resolverd]}
threads $THREADS
root-hints $T/root.hints
root-priming no
query-loopback yes
cache-size $CACHE
prefetch no
allow 127.0.0.0/8
control $dir/control.sock
log-level warn
EOF
    SRV_LOG="$dir/log"
    SRV_CTL=("$RESOLVERCTL" -s "$dir/control.sock")
    ensure_free "${ADDR[resolverd]}"
    "$RESOLVERD" -c "$dir/resolver.conf" >"$SRV_LOG" 2>&1 &
    SRV_PID=$!
}

start_unbound() {
    local dir="$T/unbound"
    mkdir -p "$dir"
    local half=$(( ${CACHE%M} / 2 ))
    cat >"$dir/unbound.conf" <<EOF
server:
$(unbound_server_lines "$dir" "${ADDR[unbound]}" 53 "$THREADS")
    outgoing-interface: ${ADDR[unbound]}
    root-hints: "$T/root.hints"
    msg-cache-size: ${half}m
    rrset-cache-size: ${half}m
    prefetch: no
remote-control:
    control-enable: yes
    control-interface: $dir/control.sock
    control-use-cert: no
EOF
    SRV_LOG="$dir/log"
    SRV_CTL=("$UNBOUND_CONTROL" -c "$dir/unbound.conf")
    ensure_free "${ADDR[unbound]}"
    "$UNBOUND" -d -c "$dir/unbound.conf" >"$SRV_LOG" 2>&1 &
    SRV_PID=$!
}

rss_kb() { awk '$1 == "VmRSS:" {print $2}' "/proc/$1/status"; }
rd_stat() { "${SRV_CTL[@]}" stats 2>/dev/null | awk -F= -v k="$1" '$1 == k {print $2}'; }
rd_idle() { [ "$(rd_stat mesh.outstanding)" = 0 ]; }

# run SERVER RATE: one flood against a fresh SERVER; appends a line to $T/results
run() {
    local s=$1 rate=$2 out="$T/perf.$1.$2" names="$T/names.$2"
    local count=$(( rate * SECS ))
    [ -s "$names" ] || awk -v n="$count" -v r="$rate" 'BEGIN {for (i = 1; i <= n; i++) printf "u%d-%d.rrl.lab A\n", r, i}' >"$names"
    "start_$s"
    wait_until 30 ready "$SRV_PID" "${ADDR[$s]}" || { log_tail "$SRV_LOG"; die "$s did not start"; }
    local rss0; rss0=$(rss_kb "$SRV_PID")
    nsd_stats ns1 >/dev/null; nsd_stats ns2 >/dev/null
    say "$s: $rate names/s for $SECS s"
    timeout $(( SECS + PERF_TIMEOUT + 30 )) "$DNSPERF" -s "${ADDR[$s]}" -p 53 -d "$names" -n 1 \
        -Q "$rate" -l $(( SECS + PERF_TIMEOUT + 5 )) -t "$PERF_TIMEOUT" -c 4 -q 40000 -v >"$out" 2>&1 ||
        { log_tail "$out"; die "dnsperf failed against $s"; }
    process_gone "$SRV_PID" && { log_tail "$SRV_LOG"; die "$s died during the flood"; }
    local rss1; rss1=$(rss_kb "$SRV_PID")
    local tmo="-" upq="-" tcp="-"
    if [ "$s" = resolverd ]; then
        wait_until 15 rd_idle || note "$s at $rate/s: $(rd_stat mesh.outstanding) resolutions still in flight 15 s after the flood"
        "${SRV_CTL[@]}" stats >"$T/stats.$s.$rate" 2>&1
        tmo=$(rd_stat upstream.timeouts); upq=$(rd_stat upstream.queries); tcp=$(rd_stat upstream.tcp)
    else
        tcp=$("${SRV_CTL[@]}" stats_noreset 2>/dev/null | awk -F= '$1 == "num.query.tcpout" {print $2}')
    fi
    local rss2; rss2=$(rss_kb "$SRV_PID")
    local a b; read -r a at < <(nsd_stats ns1); read -r b bt < <(nsd_stats ns2)
    local sent sf lost lat
    sent=$(awk '/Queries sent:/ {print $3}' "$out")
    lost=$(awk '/Queries lost:/ {print $3}' "$out")
    sf=$(awk '/Response codes:/ {for (i = 3; i <= NF; i++) if ($i == "SERVFAIL") {v = $(i + 1); sub(/,/, "", v); print v}}' "$out")
    # a lost query counts as the whole timeout
    lat=$(awk -v t="$PERF_TIMEOUT" '$1 == ">" && $2 == "T" {print t * 1000; next}
                                     $1 == ">" && $NF ~ /^[0-9.]+$/ {print $NF * 1000}' "$out" | sort -g |
        awk '{v[NR] = $1} function pct(q,  i) { i = int(q * NR + 0.999999); if (i < 1) i = 1; return v[i] }
             END { if (NR) printf "%.1f %.0f %.0f", pct(0.50), pct(0.99), v[NR]; else print "- - -" }')
    stop_pid "$SRV_PID"
    [ "$STOP_STATUS" = 0 ] || note "$s at $rate/s: exit status after TERM: $STOP_STATUS"
    [ "$s" = resolverd ] && grep -q . "$SRV_LOG" && note "$s at $rate/s logged: $(head -c 300 "$SRV_LOG" | tr '\n' ' ')"
    SRV_PID=""
    echo "$rate $s ${sent:-0} ${sf:-0} ${lost:-0} $lat ${a:-0} ${at:-0} ${b:-0} ${bt:-0} ${tmo:--} ${upq:--} ${tcp:--} $rss0 $rss1 $rss2" >>"$T/results"
}

# ---- main --------------------------------------------------------------------------------

start_nsd root . "$T/root.zone" no
start_nsd ns1 rrl.lab. "$T/rrl.zone" yes
start_nsd ns2 rrl.lab. "$T/rrl.zone" yes
for rate in $RATES; do
    for s in ${RRL_SERVERS:-resolverd unbound}; do run "$s" "$rate"; done
done

report() {
    echo "rrl.sh: unique NXDOMAIN names under rrl.lab., 2 NSD $("$NSD" -v 2>&1 | sed -n 's/^NSD version //p' | head -n1) with RRL 200/s slip 2, $SECS s a rate"
    echo "resolverd $(git -C "$ROOT" describe --always --dirty 2>/dev/null) vs $("$UNBOUND" -V | head -n1), $THREADS threads each, cache $CACHE; load $(cut -d' ' -f1-3 /proc/loadavg)"
    printf '%-6s %-9s %6s %8s %5s %7s %7s %7s %15s %15s %13s %6s %16s\n' rate server sent SERVFAIL lost \
        p50_ms p99_ms max_ms "ns1 q(tcp)" "ns2 q(tcp)" "timeouts/q" tcp "RSS MB bef/aft"
    awk '{ printf "%-6s %-9s %6d %7.2f%% %5d %7s %7s %7s %15s %15s %13s %6s %16s\n", $1, $2, $3, $3 ? 100 * $4 / $3 : 0, $5,
           $6, $7, $8, $9 "(" $10 ")", $11 "(" $12 ")", ($13 == "-" ? "-" : $13 "/" $14), $15,
           sprintf("%.1f/%.1f", $16 / 1024, $18 / 1024) }' "$T/results"
    echo "ratios resolverd/Unbound: SERVFAIL share (difference), p99, max, RSS after"
    awk '{ k = $1; if ($2 == "resolverd") { rs[k] = $3 ? 100 * $4 / $3 : 0; rp[k] = $7; rm[k] = $8; rr[k] = $18; order[++n] = k }
           else { us[k] = $3 ? 100 * $4 / $3 : 0; up[k] = $7; um[k] = $8; ur[k] = $18 } }
         END { for (i = 1; i <= n; i++) { k = order[i]
               printf "  %5s/s: SERVFAIL %+.2f points, p99 x%.2f, max x%.2f, RSS after x%.2f\n", k, rs[k] - us[k],
                      up[k] ? rp[k] / up[k] : 0, um[k] ? rm[k] / um[k] : 0, ur[k] ? rr[k] / ur[k] : 0 } }' "$T/results"
    for n in "${NOTES[@]}"; do echo "note: $n"; done
}
report | tee "$OUT/rrl.txt"
