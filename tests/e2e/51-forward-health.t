#!/usr/bin/env bash
# 51-forward-health.t -- forwarders remember their health (infra cache) across queries:
#  - a silent first forwarder costs one timeout: once it failed, following queries skip it
#    (upstream.timeouts stays at 1 but for the probes, each query well under upstream-timeout,
#    the silent server sees none of them) and it is probed in the background with its zone's
#    apex NS; a refused one (nothing listening) likewise costs one error;
#  - started for real, it answers a probe and is the first forwarder again (ordered policy);
#  - forward-policy fastest with a slow (150 ms) first upstream and a fast second: most
#    queries go to the fast one, while `ordered` sends them all to the slow one;
#  - forward-probe no: no probes; a zone whose only forwarder is down still asks it (the least
#    recently failed), so it answers as soon as the server is back;
#  - flush-infra forgets which forwarders are down.
source "$(dirname "$0")/lib.sh"

NSD_B=127.53.51.1       # the healthy forwarder: example.test, other.test
RD_ADDR=127.53.51.2
FWD_A=127.53.51.8       # first forwarder of example.test: silent, later an NSD of its own
DEAD=127.53.51.9        # nothing listens: port unreachable
SLOW=127.53.51.10       # answers after 150 ms
LONE=127.53.51.11       # lone.test's only forwarder: nothing at first, later an NSD
PB=$(pick_port $NSD_B) && RD_PORT=$(pick_port $RD_ADDR) && PA=$(pick_port $FWD_A) &&
    DP=$(pick_port $DEAD) && SP=$(pick_port $SLOW) && LP=$(pick_port $LONE) || bail "no port"
CTL="$T/control.sock"
TIMEOUT_MS=1000

start_nsd $NSD_B "$PB" "$DATA/example.test.zone" "$DATA/other.test.zone" || bail "nsd did not start"
NSD_B_PG=$NSD_PGID
bg_start perl "$DNSRAW" silent $FWD_A "$PA" "$T/silent.log"
SILENT_PID=$BG_PID
bg_start perl "$E2E_DIR/slowdns.pl" $SLOW "$SP" 150 "$T/slow.log"
wait_until 5 test -e "$T/silent.log" -a -e "$T/slow.log"; ok $? "silent and slow upstreams listening"

conf() {    # conf POLICY PROBE: the config with forward-policy POLICY, forward-probe PROBE
    write_conf "$T/resolver.conf" \
        "listen $RD_ADDR $RD_PORT" \
        "forward example.test $FWD_A@$PA $NSD_B@$PB" \
        "forward dead.other.test $DEAD@$DP $NSD_B@$PB" \
        "forward slow.other.test $SLOW@$SP $NSD_B@$PB" \
        "forward lone.test $LONE@$LP" \
        "forward-policy $1" \
        "forward-probe $2" \
        "upstream-timeout $TIMEOUT_MS" \
        "control $CTL" \
        "log-level debug"
}
conf ordered yes
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"

# ask NAME: one A query; sets OUT and EL (its latency in ms)
ask() { local t0; t0=$(now_ms); OUT=$(rq +time=5 "$1" A); EL=$(( $(now_ms) - t0 )); }
silent_saw() { grep -ciE "qname=$1\$" "$T/silent.log"; }

# --- a silent first forwarder: one timeout, then skipped ----------------------------------
ask www.example.test
is "$(dig_section "$OUT" ANSWER | awk '{print $5}')" 192.0.2.1 "silent first forwarder: answered by the second"
cmp_ok "$EL" -ge $(( TIMEOUT_MS - 50 )) "... after the first one's timeout ($EL ms)"
is "$(stat_get upstream.timeouts)" 1 "stats: upstream.timeouts 1"
is "$(stat_get forward.marked_down)" 1 "stats: forward.marked_down 1"
is "$(stat_get forward.down_now)" 1 "stats: forward.down_now 1"
like "$(cat "$RD_LOG")" "forwarder $FWD_A@$PA is down \\(no reply in time\\)" "the log says it is down"
max=0 bad=0
for i in $(seq 1 10); do
    ask "n$i.example.test"
    [ "$(dig_rcode "$OUT")" = NXDOMAIN ] || bad=$((bad + 1))
    [ "$EL" -gt "$max" ] && max=$EL
done
is "$bad" 0 "10 more names: each answered by the second forwarder (NXDOMAIN)"
cmp_ok "$max" -lt $(( TIMEOUT_MS / 2 )) "... each well under upstream-timeout (slowest $max ms)"
is "$(silent_saw 'n[0-9]+\.example\.test\.?')" 0 "... and the silent forwarder saw none of them"
probes=$(stat_get forward.probes)
cmp_ok "$(stat_get upstream.timeouts)" -le $(( 1 + probes )) \
    "stats: upstream.timeouts still 1 but for the $probes probes, not one per query"
tr=$(rctl trace n99.example.test A)
like "$tr" 'forward zone example\.test\.: 2 upstreams \(1 down: 1 skipped, 0 asked as a retry\)' \
    "trace: the route names the skipped forwarder"
unlike "$tr" "query +$FWD_A@$PA" "trace: ... and asks only the live one"
wait_until 10 eval '[ "$(silent_saw "example\\.test\\.?")" -ge 1 ]'
ok $? "the silent forwarder is probed in the background, for its zone's apex (example.test.)" ||
    diag_file "$T/silent.log" "silent: "

# --- nothing listening: one network error, then skipped -----------------------------------
e0=$(stat_get upstream.errors)
ask www.dead.other.test
is "$(dig_rcode "$OUT")" NXDOMAIN "refused first forwarder: answered by the second"
e1=$(stat_get upstream.errors)
is "$(( e1 - e0 ))" 1 "stats: one upstream error"
p1=$(stat_get forward.probes)
for i in 1 2 3 4 5; do ask "n$i.dead.other.test"; done
is "$(dig_rcode "$OUT")" NXDOMAIN "5 more names answered"
cmp_ok "$(( $(stat_get upstream.errors) - e1 ))" -le $(( $(stat_get forward.probes) - p1 )) \
    "... without an error but for the probes: the dead one is skipped"
is "$(stat_get forward.down_now)" 2 "stats: forward.down_now 2"

# --- ordered: every query goes to the first (slow) upstream -------------------------------
s=0
for i in 1 2 3 4 5; do ask "o$i.slow.other.test"; [ "$(dig_section "$OUT" ANSWER | awk '{print $5}')" = 192.0.2.77 ] && s=$((s + 1)); done
is "$s" 5 "ordered: all 5 queries answered by the first upstream (the slow one)"

# --- the silent one comes back for real ----------------------------------------------------
bg_stop "$SILENT_PID"
printf '%s\n' '$ORIGIN example.test.' '$TTL 3600' \
    '@ IN SOA ns1 hostmaster 1 3600 600 86400 300' '@ IN NS ns1' 'ns1 IN A 192.0.2.53' \
    'www IN A 192.0.2.208' >"$T/example-a.zone"
start_nsd $FWD_A "$PA" "example.test=$T/example-a.zone" || bail "nsd on $FWD_A did not start"
recovered() { [ "$(stat_get forward.recovered)" -ge 1 ]; }
wait_until 70 recovered; ok $? "a probe finds it answering: forward.recovered 1"
like "$(cat "$RD_LOG")" "forwarder $FWD_A@$PA answers its probe again: up" "the log says it is up"
is "$(stat_get forward.down_now)" 1 "stats: forward.down_now 1 (the dead one)"
rctl flush >/dev/null
ask www.example.test
is "$(dig_section "$OUT" ANSWER | awk '{print $5}')" 192.0.2.208 "ordered: it is the first forwarder again"
cmp_ok "$EL" -lt $(( TIMEOUT_MS / 2 )) "... answering at once ($EL ms)"

# --- fastest, and forward-probe no ---------------------------------------------------------
conf fastest no
rctl reload >/dev/null; ok $? "reload: forward-policy fastest, forward-probe no"
p0=$(stat_get forward.probes)
s=0 f=0
for i in $(seq 1 40); do
    ask "f$i.slow.other.test"
    case "$(dig_rcode "$OUT")/$(dig_section "$OUT" ANSWER | awk '{print $5}')" in
        NOERROR/192.0.2.77) s=$((s + 1)) ;;
        NXDOMAIN/) f=$((f + 1)) ;;
    esac
done
cmp_ok "$f" -ge 32 "fastest: most of 40 queries go to the fast upstream ($f)"
cmp_ok "$s" -le 8 "... a few explore the slow one ($s)"
is "$(( s + f ))" 40 "... and every query was answered"

# lone.test: its only forwarder refuses (down), then an NSD starts there
ask www.lone.test
is "$(dig_rcode "$OUT")" SERVFAIL "the only forwarder refuses: SERVFAIL"
is "$(stat_get forward.down_now)" 2 "... it is down"
printf '%s\n' '$ORIGIN lone.test.' '$TTL 3600' '@ IN SOA ns hostmaster 1 3600 600 86400 300' \
    '@ IN NS ns' 'ns IN A 192.0.2.54' 'www IN A 192.0.2.51' >"$T/lone.zone"
start_nsd $LONE "$LP" "lone.test=$T/lone.zone" || bail "nsd on $LONE did not start"
ask www.lone.test
is "$(dig_section "$OUT" ANSWER | awk '{print $5}')" 192.0.2.51 \
    "all down: the least recently failed is asked, and answers at once"
is "$(stat_get forward.probes)" "$p0" "forward-probe no: no probe since the reload"

# flush-infra forgets the health: the dead one is up again, and its next failure marks it
# down again
is "$(stat_get forward.down_now)" 1 "the dead forwarder is still down"
rctl flush-infra >/dev/null; ok $? "flush-infra"
is "$(stat_get forward.down_now)" 0 "... every forwarder is up again"
m0=$(stat_get forward.marked_down)
ask www2.dead.other.test
is "$(dig_rcode "$OUT")" NXDOMAIN "a name under dead.other.test is still answered"
is "$(( $(stat_get forward.marked_down) - m0 ))" 1 "... and the dead one is marked down anew"

rd_alive; ok $? "resolverd still running"
stop_resolverd
done_testing
