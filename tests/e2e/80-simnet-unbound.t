#!/bin/bash
# 80-simnet-unbound.t -- proves the simulated internet itself (tools/simnet), before resolverd
# iterates over it: the servers answer as tools/simnet/README.md says, and the misbehaving ones
# really misbehave (asked directly, no recursion), and Unbound (the reference recursive
# resolver) starts against it. Every case of tools/simnet/cases.txt is then asked of Unbound
# and resolverd side by side in 81-simnet-resolverd.t.
# Needs: nsd, unbound, dig, perl, and root or unshare -rn (see simnet.sh).
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/simnet.sh"

command -v unbound >/dev/null || bail "unbound is not installed (Debian package unbound)"

# --- the servers, asked directly ---------------------------------------------------------
# aq ADDR DIG-ARGS...: one authority, no recursion
aq() { local a=$1; shift; dig @"$a" +norec +tries=1 +time=2 "$@" 2>&1; }

out=$(aq 127.54.0.1 . NS)
like "$(dig_section "$out" ADDITIONAL)" "a\.root\.sim\..*127\.54\.0\.1" "a.root.sim: priming answer with glue"
out=$(aq 127.54.0.2 www.example.test A)
like "$(dig_section "$out" AUTHORITY)" "^test\..*NS.*ns1\.nic\.test\." "b.root.sim: referral to test."
out=$(aq 127.54.1.1 www.example.test A)
like "$(dig_section "$out" ADDITIONAL)" "ns1\.example\.test\..*127\.54\.10\.1" "test.: referral to example.test with glue"
out=$(aq 127.54.1.1 www.glueless.test A)
is "$(dig_count "$out" ADDITIONAL)" 1 "test.: glueless.test referral without glue (only OPT)"
out=$(aq 127.54.1.1 www.diff.test A)
is "$(dig_section "$out" AUTHORITY | awk '$4 == "NS"' | wc -l)" 1 "test.: parent lists one NS for diff.test"
out=$(aq 127.54.16.2 diff.test NS)
is "$(dig_section "$out" ANSWER | awk '$4 == "NS"' | wc -l)" 2 "diff.test apex lists two NS"

out=$(aq 127.54.10.1 +bufsize=1232 +ignore big.example.test TXT)
ok "$(has_flag "$out" tc; echo $?)" "big.example.test TXT over UDP (1232) is truncated"
out=$(aq 127.54.10.1 +tcp big.example.test TXT)
is "$(dig_count "$out" ANSWER)" 8 "big.example.test TXT over TCP: 8 records"
size=$(sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p' <<<"$out")
cmp_ok "$size" -gt 1232 "big.example.test TXT answer is $size octets (> 1232)"

out=$(aq 127.54.40.1 www.lame.test A)
is "$(dig_rcode "$out")" REFUSED "ns1.lame.test answers REFUSED"
out=$(aq 127.54.40.2 www.up.example.test A)
like "$(dig_section "$out" AUTHORITY)" "^\.[[:space:]].*NS.*a\.root\.sim\." "ns1.up.example.test answers an upward referral to the root"
ok "$(has_flag "$out" aa && echo 1 || echo 0)" "... not authoritative"
out=$(aq 127.54.40.3 www.evil.test A)
like "$(dig_section "$out" ADDITIONAL)" "www\.example\.test\..*6\.6\.6\.6" "ns1.evil.test adds an out-of-bailiwick A (poison)"
like "$(dig_section "$out" AUTHORITY)" "example\.test\..*NS.*ns1\.evil\.test\." "... and an out-of-bailiwick NS"
out=$(aq 127.54.40.4 www.spoof.test A)
like "$out" "ID mismatch" "ns1.spoof.test sends a wrong-ID reply first"
like "$(dig_section "$out" ANSWER)" "192\.0\.2\.77" "... then the true one"
grep -q 'qname=www.spoof.test.' "$SIM_DIR/ns1.spoof.test/queries.log"
ok $? "ns1.spoof.test logged the query"
out=$(dig @127.54.40.5 +norec +tries=1 +time=1 www.half.test A 2>&1)
ok "$(dig_answered "$out" && echo 1 || echo 0)" "ns1.half.test never answers"
out=$(aq 127.54.13.2 www.glueless.test A)
like "$(dig_section "$out" ANSWER)" "192\.0\.2\.40" "ns1.hosting.lab serves glueless.test"
out=$(aq 127.54.4.3 10.2.0.192.in-addr.arpa PTR)
like "$(dig_section "$out" ANSWER)" "www\.example\.test\." "ns1.rev.sim serves the PTR"

before=$(sim_count)
aq 127.54.10.1 www.example.test A >/dev/null
aq 127.54.40.1 www.example.test A >/dev/null
is "$(sim_count)" $((before + 2)) "simnet count sees one query at NSD and one at badns.pl"

# --- every case through Unbound, cold cache each -----------------------------------------------
unbound_start || bail "unbound did not start"
ok 0 "unbound started on $UB_ADDR@$UB_PORT"
unbound_stop

# Every case of cases.txt is asked of Unbound (and of resolverd) in 81-simnet-resolverd.t.
done_testing
