#!/usr/bin/env bash
# 86-threads.t -- several worker threads under a mixed load: UDP and pipelined TCP clients
# ask overlapping names (random case) while resolverctl flushes, reloads and reads the
# stats; every reply must match its query (ID, question in the case sent, the zone's own
# address), none may be lost, and the daemon must stop cleanly. `make test-tsan` runs this
# file against the ThreadSanitizer build, where a data race fails the last assertion.
source "$(dirname "$0")/lib.sh"

NSD_A=127.53.86.1
RD_ADDR=127.53.86.2
NP=$(pick_port $NSD_A) && RD_PORT=$(pick_port $RD_ADDR) || bail "no port"
CTL="$T/control.sock"
THREADS=${THREADS_UNDER_TEST:-4}
LOAD_SECONDS=${LOAD_SECONDS:-6}        # each client sends for this long

# conc.test: n0..n199 -> 10.0.X.Y with X.Y the number (loadcheck.pl checks every answer)
{
    printf '$ORIGIN conc.test.\n$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 86400 60\n@ IN NS ns\nns IN A 127.0.0.1\n'
    for i in $(seq 0 199); do printf 'n%d IN A 10.0.%d.%d\n' "$i" $((i / 256)) $((i % 256)); done
} >"$T/conc.test.zone"
start_nsd $NSD_A "$NP" "$T/conc.test.zone" || bail "nsd did not start"
write_conf "$T/resolver.conf" "listen $RD_ADDR $RD_PORT" "forward . $NSD_A@$NP" \
    "control $CTL" "cache-size 8M" "threads $THREADS" "max-ttl 2"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"
is "$(rctl status | sed -n 's/^threads=//p')" "$THREADS" "status: $THREADS worker threads"

names=$(for i in $(seq 0 199); do printf 'n%d.conc.test,' "$i"; done)
LOADCHECK="$E2E_DIR/loadcheck.pl"
for k in 1 2 3 4; do
    bg_start bash -c "perl '$LOADCHECK' $RD_ADDR $RD_PORT udp 100000000 $LOAD_SECONDS '$names' >'$T/udp$k.out' 2>&1"
done
for k in 1 2; do
    bg_start bash -c "perl '$LOADCHECK' $RD_ADDR $RD_PORT tcp 100000000 $LOAD_SECONDS '$names' >'$T/tcp$k.out' 2>&1"
done
loads_done() { for f in udp1 udp2 udp3 udp4 tcp1 tcp2; do [ -s "$T/$f.out" ] || return 1; done; }

# the control plane at work meanwhile: flushes (whole, one name), reloads, stats, dumps
ctl_runs=0 ctl_fail=0
while ! loads_done && [ "$ctl_runs" -lt 2000 ]; do
    for cmd in "flush" "stats" "flush n7.conc.test" "reload" "dump-cache" "trace n3.conc.test" "flush-zone conc.test"; do
        rctl $cmd >/dev/null 2>&1 || ctl_fail=$((ctl_fail + 1))
        ctl_runs=$((ctl_runs + 1))
    done
done
wait_until 60 loads_done; ok $? "every load client finished"
is "$ctl_fail" 0 "all $ctl_runs resolverctl calls made during the load succeeded"
total=0 tcp_total=0
for f in udp1 udp2 udp3 udp4 tcp1 tcp2; do
    line=$(cat "$T/$f.out")
    n=$(sed -n 's/^sent=\([0-9]*\).*/\1/p' <<<"$line")
    like "$line" "^sent=$n answered=$n mismatched=0 wronganswer=0 unanswered=0 noerror=$n\$" \
        "$f: all ${n:-0} replies match their queries and carry the zone's address"
    total=$((total + ${n:-0}))
    [ "${f#tcp}" != "$f" ] && tcp_total=$((tcp_total + ${n:-0}))
done
cmp_ok "$total" -ge 1000 "the clients sent $total queries in ${LOAD_SECONDS} s"
cmp_ok "$ctl_runs" -ge 6 "resolverctl ran $ctl_runs commands meanwhile"
cmp_ok "$(stat_get queries.total)" -ge "$total" "stats: queries.total summed over the threads (>= $total)"
cmp_ok "$(stat_get queries.tcp)" -ge "$tcp_total" "stats: queries.tcp counted (>= $tcp_total)"

stop_resolverd
done_testing
