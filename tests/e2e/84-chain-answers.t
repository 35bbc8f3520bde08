#!/usr/bin/env bash
# 84-chain-answers.t -- the shape of answers reached through a DNAME or a CNAME chain, on
# the simulated internet, side by side with Unbound: an answer synthesised through a DNAME
# carries the DNAME ahead of the synthesised CNAME (RFC 6672 3.1); a CNAME chain that ends
# in NODATA or NXDOMAIN carries the SOA of the zone where it ended in the authority section
# (RFC 2308 3), fresh and from the cache, and the negative answer is cached for the chain's
# last name too (asking that name reaches no authority).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/simnet.sh"

printf '127.0.0.1 localhost.test.invalid\n' >"$T/hosts"
sim_resolverd_conf "$T/resolver.conf" "hosts $T/hosts" "log-level debug"
RD_ADDR=$SIM_RD_ADDR RD_PORT=53
start_resolverd "$T/resolver.conf" "$RD_ADDR" 53 || bail "resolverd did not start"
unbound_start || bail "unbound did not start"

# types of the answer section, in order ("DNAME CNAME A")
answer_types() { dig_section "$1" ANSWER | awk '{printf "%s%s", sep, $4; sep=" "}'; }
# owner and type of the authority section's records ("third.sim. SOA")
authority_of() { dig_section "$1" AUTHORITY | awk '{printf "%s%s %s", sep, tolower($1), $4; sep="; "}'; }

# --- DNAME -----------------------------------------------------------------------------------
out=$(rq +time=12 end.alias.example.test A)
uout=$(uq end.alias.example.test A)
is "$(dig_rcode "$out")" NOERROR "DNAME: NOERROR"
is "$(answer_types "$out")" "DNAME CNAME A" "DNAME: the DNAME comes first, then the synthesised CNAME, then the A"
is "$(answer_types "$uout")" "DNAME CNAME A" "... as Unbound answers"
like "$(dig_section "$out" ANSWER | head -n1)" '^alias\.example\.test\.[[:space:]].*DNAME[[:space:]]+third\.sim\.$' \
    "... the DNAME record is alias.example.test. DNAME third.sim."
is "$(answer_set "$out")" "$(answer_set "$uout")" "DNAME: the same answer RRsets as Unbound"
out=$(rq end.alias.example.test A)
is "$(answer_types "$out")" "DNAME CNAME A" "DNAME: the same order from the cache"

# --- CNAME chains ending in NODATA or NXDOMAIN ---------------------------------------------------
# NAME QNAME QTYPE RCODE SOA-OWNER
while read -r name qname qtype rcode soa; do
    out=$(rq +time=12 "$qname" "$qtype")
    uout=$(uq "$qname" "$qtype")
    is "$(dig_rcode "$out")" "$rcode" "$name: $rcode"
    is "$(answer_types "$out")" CNAME "$name: the CNAME in the answer section"
    is "$(authority_of "$out")" "$soa SOA" "$name: the SOA of $soa in the authority section"
    is "$(authority_of "$uout")" "$soa SOA" "... as Unbound answers"
    is "$(answer_set "$out")" "$(answer_set "$uout")" "$name: the same answer RRsets as Unbound"
    out=$(rq "$qname" "$qtype")
    is "$(authority_of "$out")" "$soa SOA" "$name: the SOA also in the answer from the cache"
done <<'CASES'
nodata-other   to-nodata.example.test   AAAA NOERROR  third.sim.
nxdomain-other to-nxdomain.example.test A    NXDOMAIN third.sim.
nodata-same    to-mail.example.test     AAAA NOERROR  example.test.
nxdomain-same  to-nope.example.test     A    NXDOMAIN example.test.
CASES

# --- the negative answer is cached for the chain's last name ---------------------------------
unbound_stop
before=$(sim_count)
for q in "end.third.sim AAAA NOERROR third.sim." "gone.third.sim A NXDOMAIN third.sim." \
         "mail.example.test AAAA NOERROR example.test." "nope.example.test A NXDOMAIN example.test."; do
    set -- $q
    out=$(rq "$1" "$2")
    is "$(dig_rcode "$out"):$(dig_count "$out" ANSWER):$(authority_of "$out")" "$3:0:$4 SOA" \
        "$1 $2 asked directly: $3 with the SOA of $4"
done
is "$(sim_count)" "$before" "... all four from the cache: no authority was asked"
stop_resolverd
done_testing
