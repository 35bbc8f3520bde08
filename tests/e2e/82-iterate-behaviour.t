#!/usr/bin/env bash
# 82-iterate-behaviour.t -- how resolverd iterates, on the simulated internet: a repeated
# question costs the authorities nothing; a sibling name skips the levels above its zone;
# with one root server down it still resolves; a delegation loop and an over-long CNAME chain
# end in SERVFAIL quickly, saying why (EDE); forward-first falls back to iteration; 0x20 case
# randomisation and qname minimisation show on the wire; poisoning attempts are scrubbed and
# counted.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/simnet.sh"

printf '127.0.0.1 localhost.test.invalid\n' >"$T/hosts"
RD_ADDR=$SIM_RD_ADDR RD_PORT=53
# start_rd [CONF LINES...]: a cold resolverd iterating over the sim
start_rd() {
    sim_resolverd_conf "$T/resolver.conf" "hosts $T/hosts" "log-level debug" "$@"
    start_resolverd "$T/resolver.conf" "$RD_ADDR" 53 || bail "resolverd did not start"
}
answer_of() { dig_section "$(rq "$@")" ANSWER | awk '{print $5}' | LC_ALL=C sort | tr '\n' ' '; }

# --- the cache: a repeated question reaches no authority ----------------------------------
start_rd
is "$(answer_of www.example.test A)" "192.0.2.10 " "cold: www.example.test answered"
c0=$(sim_count)
is "$(answer_of www.example.test A)" "192.0.2.10 " "asked again: same answer"
is "$(answer_of WWW.EXAMPLE.TEST A)" "192.0.2.10 " "asked again in another case: same answer"
is "$(sim_count)" "$c0" "the repeats reached no authority (count stays $c0)"
# a sibling in the same zone: only the zone's own server is asked (the delegation is cached)
is "$(answer_of mail.example.test A)" "192.0.2.25 " "a sibling name is answered"
is "$(( $(sim_count) - c0 ))" 1 "... with one query: root and TLD were skipped"
# NXDOMAIN is cached too
out=$(rq nope.example.test A); c1=$(sim_count)
is "$(dig_rcode "$(rq nope.example.test A)")" NXDOMAIN "NXDOMAIN asked again"
is "$(sim_count)" "$c1" "... answered from the cache"

# --- the wire: 0x20 and qname minimisation ------------------------------------------------
log="$SIM_DIR/ns1.spoof.test/queries.log"
rq www.spoof.test A >/dev/null
qn=$(sed -n 's/.*qname=\([^ ]*\).*/\1/p' "$log" | grep -i '^www\.spoof\.test\.\?$' | head -n1)
[ -n "$qn" ] && [ "$qn" != "$(tr 'A-Z' 'a-z' <<<"$qn")" ]
ok $? "0x20: the authority saw the name in mixed case ($qn)"
grep -q "asking 127.54.0.[12]@53 (zone .) for test. type 1" "$RD_LOG"
ok $? "qname minimisation: a root server was asked for the TLD only (test. A)"
! grep -qE "asking 127.54.0.[12]@53 \(zone \.\) for [^ .]+\.[^ ]+\. type" "$RD_LOG"
ok $? "qname minimisation: no root server saw a name of two labels or more"
grep -q "asking 127.54.1.1@53 (zone test.) for spoof.test. type 1" "$RD_LOG"
ok $? "qname minimisation: the test. server was asked for spoof.test. only"
! grep -q "asking 127.54.1.1@53 (zone test.) for www.spoof.test." "$RD_LOG"
ok $? "qname minimisation: the test. server never saw www.spoof.test."

# --- poisoning: out-of-bailiwick data is dropped and counted --------------------------------
is "$(answer_of www.evil.test A)" "192.0.2.66 " "the poisoner's own name is answered"
is "$(answer_of www.example.test A)" "192.0.2.10 " "the victim name keeps its true address"
cmp_ok "$(stat_get iterator.scrubbed)" -ge 2 "out-of-bailiwick records were dropped ($(stat_get iterator.scrubbed))"
stop_resolverd

# --- limits: loops and long chains end quickly --------------------------------------------
start_rd
t0=$(now_ms); r=$(rcode_ede_of www.loop1.test A); el=$(( $(now_ms) - t0 ))
is "$r" SERVFAIL/22 "a delegation loop: SERVFAIL, EDE 22 (no server of the zone can be reached)"
cmp_ok "$el" -lt 3000 "... within 3 s (${el} ms)"
t0=$(now_ms); out=$(rq l01.example.test A); el=$(( $(now_ms) - t0 ))
is "$(dig_rcode "$out")/$(dig_ede "$out")" SERVFAIL/0 "a CNAME chain of 20: SERVFAIL, EDE 0 (Other)"
is "$(dig_ede_text "$out")" "CNAME chain too long (max-cname-chain)" "... whose text names the limit"
cmp_ok "$el" -lt 3000 "... within 3 s (${el} ms)"
grep -q "CNAME chain too long" "$RD_LOG"; ok $? "... and the log says which limit"
t0=$(now_ms); r=$(rcode_ede_of +time=15 www.dead.test A); el=$(( $(now_ms) - t0 ))
is "$r" SERVFAIL/22 "every server of a zone silent: SERVFAIL (EDE 22), not silence"
cmp_ok "$el" -lt 11000 "... within the 10 s limit per question (${el} ms)"
stop_resolverd

# --- one root server down ---------------------------------------------------------------------
sim_stop_server a.root.sim || bail "could not stop a.root.sim"
start_rd
is "$(answer_of www.diff.test A)" "192.0.2.70 " "with a.root.sim down: still resolved"
is "$(answer_of host.a.b.c.deep.test A)" "192.0.2.60 " "... and a deep name too"
stop_resolverd
sim_start_server a.root.sim || bail "could not restart a.root.sim"

# --- nothing cached at all (max-ttl 0): glue straight from the referral still works -----------
start_rd "max-ttl 0" "min-ttl 0"
is "$(answer_of www.example.test A)" "192.0.2.10 " "max-ttl 0: resolved with glue the cache would not keep"
is "$(answer_of www.glueless.test A)" "192.0.2.40 " "max-ttl 0: a glueless delegation too"
stop_resolverd

# --- root-priming no: the roots are not asked for their NS set --------------------------------
c0=$(sim_count_settled)
start_rd "root-priming no"
is "$(sim_count)" "$c0" "root-priming no: starting sends nothing"
is "$(answer_of www.example.test A)" "192.0.2.10 " "... and names still resolve from the hints"
! grep -q "primed the root" "$RD_LOG"; ok $? "... without priming"
stop_resolverd

# --- query-loopback no (the default): iteration never sends to 127.0.0.0/8 --------------------
write_conf "$T/noloop.conf" "listen $RD_ADDR 53" "root-hints $SIM_HINTS" "hosts $T/hosts" \
    "control $T/control.sock"
c0=$(sim_count_settled)
start_resolverd "$T/noloop.conf" "$RD_ADDR" 53 || bail "resolverd did not start"
is "$(rcode_ede_of www.example.test A)" SERVFAIL/22 "query-loopback no: the sim (all on 127.54/16) is not asked: SERVFAIL, EDE 22"
is "$(sim_count)" "$c0" "... and no authority received a single query"
stop_resolverd

# --- forward-first: a dead forwarder, then iteration ------------------------------------------
DEAD=127.54.254.1
start_rd "forward . $DEAD@53" "forward-first yes" "upstream-timeout 300"
is "$(answer_of www.example.test A)" "192.0.2.10 " "forward-first yes: the forwarder is dead, iteration answers"
stop_resolverd
start_rd "forward . $DEAD@53" "forward-first no" "upstream-timeout 300"
is "$(rcode_ede_of www.example.test A)" SERVFAIL/23 "forward-first no: the forwarder is dead, SERVFAIL, EDE 23"
stop_resolverd

done_testing
