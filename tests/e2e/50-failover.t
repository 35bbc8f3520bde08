#!/usr/bin/env bash
# 50-failover.t -- upstream failover: a dead upstream (nobody listens) then NSD, a silent
# upstream (reads, never answers) then NSD, all upstreams dead or silent -> SERVFAIL in bounded
# time, never silence, saying why (EDE 22 when they time out, 23 when their ports are closed);
# and the longest forward zone wins over `.`.
source "$(dirname "$0")/lib.sh"

NSD_A=127.53.50.1
RD_ADDR=127.53.50.2
SILENT_A=127.53.50.8
DEAD_A=127.53.50.9
NP=$(pick_port $NSD_A) && RD_PORT=$(pick_port $RD_ADDR) && SP=$(pick_port $SILENT_A) \
    && DP=$(pick_port $DEAD_A) || bail "no port"
CTL="$T/control.sock"
TIMEOUT_MS=400

start_nsd $NSD_A "$NP" "$DATA/example.test.zone" "$DATA/other.test.zone" || bail "nsd did not start"
bg_start perl "$DNSRAW" silent $SILENT_A "$SP" "$T/silent.log"
SILENT_PID=$BG_PID
wait_until 5 test -e "$T/silent.log"; ok $? "silent upstream listening on $SILENT_A@$SP"

write_conf "$T/resolver.conf" \
    "listen $RD_ADDR $RD_PORT" \
    "forward . $DEAD_A@$DP" \
    "forward example.test $DEAD_A@$DP $NSD_A@$NP" \
    "forward other.test $SILENT_A@$SP $NSD_A@$NP" \
    "forward silent.test $SILENT_A@$SP" \
    "forward dead.test $DEAD_A@$DP $DEAD_A@$((DP + 1))" \
    "control $CTL" \
    "upstream-timeout $TIMEOUT_MS" \
    "log-level debug"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"

# dead first, NSD second
t0=$(now_ms)
out=$(rq +time=5 www.example.test A)
el=$(( $(now_ms) - t0 ))
is "$(dig_rcode "$out")" NOERROR "dead upstream, then NSD: NOERROR"
is "$(dig_section "$out" ANSWER | awk '{print $5}')" 192.0.2.1 "dead upstream, then NSD: answered by NSD"
cmp_ok "$el" -lt $(( 2 * TIMEOUT_MS + 1500 )) "... within 2 x upstream-timeout + 1.5 s ($el ms)"
is "$(rq +time=5 +short mail.example.test A)" 192.0.2.25 "dead upstream, then NSD: a second name too"
unlike "$(rq mail.example.test A)" '; EDE:' "... an answer carries no EDE"

# silent first, NSD second
t0=$(now_ms)
out=$(rq +time=5 www.other.test A)
el=$(( $(now_ms) - t0 ))
is "$(dig_rcode "$out")" NOERROR "silent upstream, then NSD: NOERROR"
is "$(dig_section "$out" ANSWER | awk '{print $5}')" 198.51.100.1 "silent upstream, then NSD: answered by NSD"
cmp_ok "$el" -lt $(( TIMEOUT_MS + 1500 )) "... within upstream-timeout + 1.5 s ($el ms)"
is "$(rq +time=5 +short www.other.test AAAA)" 2001:db8:1::1 "silent upstream, then NSD: a second question too"

# only silent upstreams: SERVFAIL, not silence
t_before=$(stat_get upstream.timeouts)
n_before=$(grep -c 'qname=' "$T/silent.log")
t0=$(now_ms)
out=$(rq +time=8 www.silent.test A)
el=$(( $(now_ms) - t0 ))
is "$(dig_rcode "$out")" SERVFAIL "only a silent upstream: SERVFAIL"
is "$(dig_ede "$out")" 22 "... with EDE 22 (No Reachable Authority): it timed out"
is "$(dig_ede_text "$out")" "every forwarder failed" "... and the reason as the EDE text"
cmp_ok "$el" -lt 6000 "... within 6 s ($el ms)"
cmp_ok "$(grep -ci 'qname=www\.silent\.test\.' "$T/silent.log")" -ge 1 "the silent upstream was asked for www.silent.test"
cmp_ok "$(stat_get upstream.timeouts)" -gt "${t_before:-999999}" "stats: upstream.timeouts grew"
cmp_ok "$(grep -c 'qname=' "$T/silent.log")" -gt "$n_before" "the silent upstream saw the queries"

# only dead upstreams: SERVFAIL, not silence
t0=$(now_ms)
out=$(rq +time=8 www.dead.test A)
el=$(( $(now_ms) - t0 ))
is "$(dig_rcode "$out")" SERVFAIL "only dead upstreams: SERVFAIL"
is "$(dig_ede "$out")" 23 "... with EDE 23 (Network Error): their ports are closed"
cmp_ok "$el" -lt 6000 "... within 6 s ($el ms)"
t0=$(now_ms)
out=$(rq +tcp +time=8 www2.dead.test A)
is "$(dig_rcode "$out")/$(dig_ede "$out")" SERVFAIL/23 "only dead upstreams, asked over TCP: SERVFAIL, EDE 23"
out=$(rq +noedns +time=8 www3.dead.test A)
is "$(dig_rcode "$out")/$(dig_ede "$out")" SERVFAIL/ "only dead upstreams, asked without EDNS: SERVFAIL, no EDE"
unlike "$out" 'OPT PSEUDOSECTION' "... and no OPT record (RFC 8914: EDE needs EDNS)"
cmp_ok "$(( $(now_ms) - t0 ))" -lt 6000 "... within 6 s"

# longest suffix: `.` goes to the dead upstream only; example.test has NSD
is "$(rcode_ede_of +time=5 www.nowhere.test A)" SERVFAIL/23 "a name only under \`.\` (dead upstream): SERVFAIL, EDE 23"
is "$(rq +short www.example.test A)" 192.0.2.1 "example.test still resolved through its own forward zone"

# several clients at once while the only upstream is silent: everyone gets SERVFAIL
digs=()
for i in 1 2 3 4 5; do rq +time=8 many.silent.test A >"$T/many.$i" & digs+=($!); done
wait_until 10 eval '[ "$(cat "$T"/many.* | grep -c "status: SERVFAIL")" -eq 5 ]'
ok $? "5 clients asking the same question of a silent upstream all get SERVFAIL"
is "$(cat "$T"/many.* | grep -c '^; EDE: 22 (No Reachable Authority)')" 5 "... each with EDE 22"
for p in "${digs[@]}"; do _kill_pid "$p"; done
# identical questions in flight go upstream once: 5 clients cause no more upstream queries
# than one client does (one.silent.test, asked alone above as www.silent.test was)
is "$(rcode_ede_of +time=8 one.silent.test A)" SERVFAIL/22 "one client, silent upstream: SERVFAIL, EDE 22"
c1=$(grep -ci 'qname=one\.silent\.test\.' "$T/silent.log")
c5=$(grep -ci 'qname=many\.silent\.test\.' "$T/silent.log")
is "$c5" "$c1" "5 identical questions in flight cause as many upstream queries as 1 ($c5 vs $c1)"

bg_stop "$SILENT_PID"
stop_nsd
# NSD and the silent server gone: everything SERVFAIL, the daemon still answers
is "$(rcode_ede_of +time=5 fresh.example.test A)" SERVFAIL/23 "NSD stopped, both upstreams of example.test dead: SERVFAIL, EDE 23"
rd_alive; ok $? "resolverd still running"
stop_resolverd
done_testing
