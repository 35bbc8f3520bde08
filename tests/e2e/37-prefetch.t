#!/usr/bin/env bash
# 37-prefetch.t -- prefetch: under a steady load on a name with a 10 s TTL, the answer is
# refreshed in the background before it expires, so over 60 s of faked time only the first
# query misses (cache.misses grows by 1) while the upstream is asked about once per TTL;
# with `prefetch no` the same load misses once per TTL; a name hit only once in the last
# tenth of its TTL is not prefetched (CACHE_PREFETCH_MIN_HITS); prefetches are bounded to a
# tenth of max-outstanding, the rest skipped and counted. Time moves with
# libfaketime (lib.sh fake_clock_*), half a faked second per query; the faked second
# each query lands in is known, so "9.5 s into a 10 s TTL" is exact.
source "$(dirname "$0")/lib.sh"

NSD_A=127.53.37.1
RD_ADDR=127.53.37.2
NP=$(pick_port $NSD_A) && RD_PORT=$(pick_port $RD_ADDR) || bail "no port"
CTL="$T/control.sock"
fake_clock_on || { echo "1..0 # SKIP libfaketime is not installed (Debian faketime)"; exit 0; }

cat >"$T/pf.test.zone" <<'EOF'
$ORIGIN pf.test.
$TTL 3600
@     IN SOA ns1 hostmaster 1 3600 600 86400 300
      IN NS  ns1
ns1   IN A   192.0.2.53
ten   10 IN A 192.0.2.10
once  10 IN A 192.0.2.11
EOF
start_nsd $NSD_A "$NP" "pf.test=$T/pf.test.zone" || bail "nsd did not start"

# start_rd PREFETCH: a resolverd forwarding to NSD, two worker threads (a prefetch may be
# posted to the thread that owns the name), its clock at START
start_rd() {
    fake_clock_at 0
    write_conf "$T/resolver.conf" \
        "listen $RD_ADDR $RD_PORT" \
        "forward . $NSD_A@$NP" \
        "threads 2" \
        "prefetch $1" \
        "control $CTL" \
        "log-level debug"
    start_resolverd "$T/resolver.conf" || bail "resolverd did not start"
}
idle() { [ "$(stat_get mesh.outstanding)" = 0 ]; }
# half SECONDS: the offset k/2 as a decimal ("9.5")
half() { printf '%d.%d' $(( $1 / 2 )) $(( $1 % 2 * 5 )); }

# steady_load FROM TO: one query for ten.pf.test every half faked second, offsets FROM/2 to
# TO/2 s. After each, the background work (a prefetch) is let finish before the clock moves:
# the upstream is fast next to the TTL. Sets bad (queries without the answer) and minttl.
steady_load() {
    local k out
    bad=0 minttl=999
    for ((k = $1; k <= $2; k++)); do
        fake_clock_at "$(half $k)"
        out=$(rq ten.pf.test A)
        if [ "$(dig_section "$out" ANSWER | awk '{print $5}')" = 192.0.2.10 ]; then
            ttl=$(dig_ttl "$out")
            [ "$ttl" -lt "$minttl" ] && minttl=$ttl
        else
            bad=$((bad + 1)); diag "offset $(half $k): $out"
        fi
        wait_until 5 idle || diag "offset $(half $k): still resolving after 5 s"
    done
}

# --- prefetch yes (the default spelled out) --------------------------------------------------
start_rd yes
declare -A s0 s1
stats_snapshot s0
steady_load 0 120
stats_snapshot s1
is "$bad" 0 "prefetch: every one of 121 queries over 60 faked seconds got the answer"
is "$(( s1[cache.misses] - s0[cache.misses] ))" 1 "prefetch: only the first query missed the cache (cache.misses +1)"
cmp_ok "$(( s1[prefetch.started] - s0[prefetch.started] ))" -ge 5 "prefetch: refreshed in the background about once per TTL (prefetch.started +$(( s1[prefetch.started] - s0[prefetch.started] )))"
cmp_ok "$(( s1[upstream.queries] - s0[upstream.queries] ))" -le 9 "... so the upstream was asked about once per TTL, not per query (upstream.queries +$(( s1[upstream.queries] - s0[upstream.queries] )))"
cmp_ok "$minttl" -ge 1 "no answer went out with TTL 0 (lowest $minttl)"
is "${s1[prefetch.skipped]}" 0 "no prefetch was skipped (prefetch.skipped)"

# a name hit once, in the last tenth of its TTL: no prefetch (it needs 2 hits)
fake_clock_at 70
rq once.pf.test A >/dev/null
p0=$(stat_get prefetch.started)
fake_clock_at 79.5
out=$(rq once.pf.test A)
is "$(dig_section "$out" ANSWER | awk '{print $2, $5}')" "1 192.0.2.11" "a name asked again 9.5 s into its 10 s TTL: a hit, TTL 1 left"
wait_until 5 idle
is "$(stat_get prefetch.started)" "$p0" "... its first hit starts no prefetch"
m0=$(stat_get cache.misses)
fake_clock_at 81
rq once.pf.test A >/dev/null
is "$(( $(stat_get cache.misses) - m0 ))" 1 "... so once its TTL ran out it missed"
stop_resolverd

# --- prefetch no: the same load misses once per TTL -------------------------------------------
start_rd no
stats_snapshot s0
steady_load 0 60
stats_snapshot s1
is "$bad" 0 "prefetch no: every query over 30 faked seconds got the answer"
cmp_ok "$(( s1[cache.misses] - s0[cache.misses] ))" -ge 3 "prefetch no: a miss each time the TTL ran out (cache.misses +$(( s1[cache.misses] - s0[cache.misses] )))"
is "${s1[prefetch.started]}" 0 "prefetch no: no prefetch started"
stop_resolverd

# --- the bound: prefetches hold at most a tenth of max-outstanding -----------------------------
# One thread, max-outstanding 10: one prefetch at a time. A slow upstream (1.5 s a reply)
# keeps the first one in flight while two more names come due; those are skipped, and
# every client is still answered from the cache at once.
SLOW_A=127.53.37.3
SP=$(pick_port $SLOW_A) || bail "no port"
bg_start perl "$E2E_DIR/slowdns.pl" $SLOW_A "$SP" 1500 "$T/slow.log"
wait_until 5 test -e "$T/slow.log" || bail "slow upstream did not start"
fake_clock_at 0
write_conf "$T/resolver.conf" "listen $RD_ADDR $RD_PORT" "forward . $SLOW_A@$SP" "threads 1" \
    "max-outstanding 10" "upstream-timeout 3000" "control $CTL"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"
pids=()
for n in a b c; do rq +time=5 $n.slow.test A >"$T/cold.$n" & pids+=($!); done
wait "${pids[@]}"
is "$(cat "$T"/cold.* | grep -c '192\.0\.2\.77')" 3 "three names resolved through the slow upstream"
fake_clock_at 100
for n in a b c; do rq $n.slow.test A >/dev/null; done       # the first hit of each
fake_clock_at 285                       # the last 30 s of the 300 s TTL
p0=$(stat_get prefetch.started) k0=$(stat_get prefetch.skipped)
t0=$(now_ms); fast=0
for n in a b c; do [ "$(rq +short $n.slow.test A)" = 192.0.2.77 ] && fast=$((fast + 1)); done
el=$(( $(now_ms) - t0 ))
is "$fast" 3 "three names hit late in their TTL: all answered"
cmp_ok "$el" -lt 1400 "... from the cache, without waiting for the slow upstream ($el ms)"
is "$(( $(stat_get prefetch.started) - p0 ))" 1 "... one prefetch started (a tenth of max-outstanding 10)"
is "$(( $(stat_get prefetch.skipped) - k0 ))" 2 "... the other two skipped (prefetch.skipped)"
stop_resolverd

done_testing
