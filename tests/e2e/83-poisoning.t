#!/usr/bin/env bash
# 83-poisoning.t -- cache-poisoning attempts against resolverd on the simulated internet, and
# none may work:
#  1. forged replies flood resolverd's outbound query while a slow authority (badns.pl slow,
#     ns1.slow.test: right answers, 250 ms late) takes its time: an attacker that sees the
#     queries (dnsraw.pl forge: raw packets, any source) finds resolverd's socket in
#     /proc/net/udp and sends replies wrong in exactly one way each -- ID, 0x20 case, question,
#     source port, source address. The answer must be the real one, and the forged address
#     must never reach the cache (resolverctl dump-cache) or any later answer;
#     With the real answer later than the timeout (ns1.slower.test, 600 ms), forged replies of
#     the right ID but the wrong 0x20 case must not switch 0x20 off for the server;
#  2. out-of-bailiwick data from an authority (badns.pl poison, ns1.evil.test): NS and glue
#     for other zones, the parent and the root, extra answer records, a CNAME with a forged
#     target address, a referral with out-of-bailiwick glue: nothing of it is cached or
#     returned, and later questions for the victims go to their real servers;
#  3. referrals to zones that are not children of the zone asked (badns.pl sideref,
#     ns1.side.test): a sibling, the parent, the zone itself, an unrelated zone, a zone below
#     the name: never followed (SERVFAIL, its only server being lame), nothing cached.
# Prints the number of forged packets sent.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/simnet.sh"

printf '127.0.0.1 localhost.test.invalid\n' >"$T/hosts"
RD_ADDR=$SIM_RD_ADDR RD_PORT=53
BAD=6.6.6.6
start_rd() {
    sim_resolverd_conf "$T/resolver.conf" "hosts $T/hosts" "log-level debug" "$@"
    start_resolverd "$T/resolver.conf" "$RD_ADDR" 53 || bail "resolverd did not start"
}
answer_of() { dig_section "$(rq "$@")" ANSWER | awk '{print $5}' | LC_ALL=C sort | tr '\n' ' '; }
# no_bad_in_cache LABEL: one test: the forged address is nowhere in the answer cache
no_bad_in_cache() {
    local dump; dump=$(rctl dump-cache 2>&1)
    if [[ $dump == *"$BAD"* ]]; then
        ok 1 "$1: $BAD is nowhere in dump-cache"; diag "$(grep -F -e "$BAD" -e '; ' <<<"$dump" | head -n 20)"
    else
        ok 0 "$1: $BAD is nowhere in dump-cache ($(tail -n1 <<<"$dump"))"
    fi
}
# victims LABEL: the names a forger or poisoner aimed at still resolve to their real data
victims() {
    is "$(answer_of www.example.test A)" "192.0.2.10 " "$1: www.example.test A is the real 192.0.2.10"
    is "$(answer_of ns1.example.test A)" "127.54.10.1 " "$1: ns1.example.test A is the real 127.54.10.1"
    is "$(answer_of mail.example.test A)" "192.0.2.25 " "$1: a new name in example.test (mail) is resolved by its real server"
}

# ---- the misbehaving servers, asked directly, do what the tests below rely on ----------------
aq() { local a=$1; shift; dig @"$a" +norec +tries=1 +time=2 "$@" 2>&1; }
t0=$(now_ms); out=$(aq 127.54.40.6 www.slow.test A); el=$(( $(now_ms) - t0 ))
is "$(dig_section "$out" ANSWER | awk '{print $5}')" 192.0.2.88 "ns1.slow.test answers www.slow.test A 192.0.2.88"
cmp_ok "$el" -ge 240 "... but late (${el} ms)"
out=$(aq 127.54.40.7 sib.side.test A)
like "$(dig_section "$out" AUTHORITY)" '^example\.test\..*NS.*ns1\.side\.test\.' "ns1.side.test refers sib.side.test to its sibling example.test."
out=$(aq 127.54.40.3 cname.evil.test A)
like "$(dig_section "$out" ANSWER)" 'www\.example\.test\..*A.*6\.6\.6\.6' "ns1.evil.test puts a forged www.example.test A into cname.evil.test's answer"
out=$(aq 127.54.40.3 www.sub.evil.test A)
like "$(dig_section "$out" ADDITIONAL)" 'ns1\.example\.test\..*6\.6\.6\.6' "ns1.evil.test refers sub.evil.test to ns1.example.test, with forged glue"

# ---- 1. a flood of forged replies during a slow resolution ---------------------------------
SLOW=127.54.40.6
SLOWLOG="$SIM_DIR/ns1.slow.test/queries.log"
start_rd
# the delegations on the way are cached first, so the flood meets only the slow server's query
is "$(rcode_of slow.test SOA)" NOERROR "slow.test's SOA (the slow server answers, late)"
rm -f "$T/forge.stop"
bg_start perl "$DNSRAW" forge "$SLOWLOG" $SLOW "$RD_PID" $BAD 30 "$T/forge.stop" >"$T/forge.out" 2>&1
FORGER=$BG_PID
forger_ready() { grep -q '^ready' "$T/forge.out"; }
wait_until 5 forger_ready || { diag_file "$T/forge.out"; bail "the forger did not start"; }
mism0=$(stat_get upstream.mismatched)
names=(www a b c d e f g)
bad_answers=""
for n in "${names[@]}"; do
    a=$(answer_of $n.slow.test A)
    [ "$a" = "192.0.2.88 " ] || bad_answers+="$n.slow.test: '$a'; "
done
touch "$T/forge.stop"
wait_until 5 process_gone "$FORGER"; ok $? "the forger finished"
bg_stop "$FORGER"
res=$(grep '^queries=' "$T/forge.out")
diag "forger: $res"
get() { sed -n "s/.*\<$1=\([0-9]*\).*/\1/p" <<<"$res"; }
is "$bad_answers" "" "${#names[@]} names of the slow zone asked under the flood: every answer is the real 192.0.2.88"
cmp_ok "$(get queries)" -ge ${#names[@]} "the forger saw every query resolverd sent to the slow server ($(get queries))"
is "$(get portmatch)" "$(get queries)" "... and found resolverd's socket for each in /proc/net/udp"
cmp_ok "$(get wrongcase)" -gt 0 "forged: right ID, address and port, wrong 0x20 case ($(get wrongcase))"
cmp_ok "$(get wrongq)" -gt 0 "forged: right ID, address and port, another question ($(get wrongq))"
cmp_ok "$(get wrongport)" -gt 0 "forged: right ID and question, wrong source port ($(get wrongport))"
cmp_ok "$(get wrongaddr)" -gt 0 "forged: right ID and question, wrong source address ($(get wrongaddr))"
cmp_ok "$(get wrongid)" -gt 0 "forged: wrong ID, everything else right ($(get wrongid))"
FORGED=$(get total)
# the kernel drops what does not come from the connected server address and port; the rest
# reaches resolverd, which must check and drop it (and may lose some to a full socket buffer)
mism=$(( $(stat_get upstream.mismatched) - mism0 ))
reach=$(( $(get wrongcase) + $(get wrongq) + $(get wrongid) ))
cmp_ok "$mism" -gt 0 "forged replies reached resolverd and were dropped as mismatched ($mism)"
cmp_ok "$mism" -le "$reach" "... no more than those from the server's address and port ($reach)"
lc_queries=$(grep -c "from=$SIM_RD_ADDR#[0-9]* id=[0-9]* qname=[a-z.0-9-]*slow\\.test\\. qtype=1 " "$SLOWLOG")
diag "queries to the slow server without 0x20 (a retry after a case mismatch): $lc_queries"
no_bad_in_cache "after the flood"
like "$(rctl dump-cache)" 'www\.slow\.test\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.88' \
    "... and the real answer is what was cached"
c0=$(sim_count)
is "$(answer_of WWW.SLOW.TEST A)" "192.0.2.88 " "asked again: the real answer, from the cache"
is "$(sim_count)" "$c0" "... without asking anyone"
victims "after the flood"
stop_resolverd

# ---- 1b. forged replies with the right ID but the wrong 0x20 case, the real answer too late ----
# ns1.slower.test answers after 600 ms, later than the first timeout for a server never
# measured (376 ms). Replies that match but for the 0x20 case are all resolverd has when the
# timer fires: it must not conclude "this server does not keep case" from what an attacker
# could have sent -- that would switch 0x20 off for the server and accept the next reply in any
# case. It asks again over TCP, where no off-path forger can answer, with 0x20 kept.
SLOWERLOG="$SIM_DIR/ns1.slower.test/queries.log"
start_rd
is "$(rcode_of test SOA)" NOERROR "test.'s SOA (the path to slower.test is cached)"
rm -f "$T/forge.stop"
bg_start perl "$DNSRAW" forge "$SLOWERLOG" 127.54.40.8 "$RD_PID" $BAD 30 "$T/forge.stop" 0 >"$T/forge2.out" 2>&1
FORGER=$BG_PID
forger_ready() { grep -q '^ready' "$T/forge2.out"; }
wait_until 5 forger_ready || { diag_file "$T/forge2.out"; bail "the forger did not start"; }
out=$(rq +time=8 www.slower.test A)
touch "$T/forge.stop"
wait_until 5 process_gone "$FORGER"; ok $? "the forger finished"
bg_stop "$FORGER"
res=$(grep '^queries=' "$T/forge2.out")
diag "forger: $res"
FORGED=$((FORGED + $(get total)))
cmp_ok "$(get wrongcase)" -gt 0 "forged: right ID, address and port, wrong 0x20 case ($(get wrongcase))"
is "$(dig_section "$out" ANSWER | awk '{print $5}')" 192.0.2.88 "www.slower.test: the real answer, though forged ones came first and the real one late" || rd_log_diag
grep -qi '^q tcp .*qname=www\.slower\.test\.' "$SLOWERLOG"
ok $? "the question was asked again over TCP, where no forger can answer"
no_bad_in_cache "after the wrong-case forgeries"
# 0x20 is still on for the server: a later question goes out in mixed case (24 letters: the
# chance of random case coming out all lower-case is 2^-24)
rq +time=8 mixedcasecheckname.slower.test A >/dev/null
qn=$(sed -n "s/^q udp from=$SIM_RD_ADDR#[0-9]* id=[0-9]* qname=\(mixedcasecheckname\.slower\.test\.\) .*/\1/Ip" "$SLOWERLOG" | tail -n1)
[ -n "$qn" ] && [ "$qn" != "$(tr 'A-Z' 'a-z' <<<"$qn")" ]
ok $? "0x20 is still used with that server afterwards (it saw '$qn')"
# ... while a server that really does not keep case (over TCP either) is still answered, and
# then asked without 0x20
NOCASELOG="$SIM_DIR/ns1.nocase.test/queries.log"
is "$(answer_of +time=8 www.nocase.test A)" "192.0.2.89 " "a server that lower-cases every question it echoes is still answered"
asked=$(grep -i 'qname=www\.nocase\.test\.' "$NOCASELOG" | awk '{print $2}' | tr '\n' ' ')
is "$asked" "udp tcp udp " "... after a UDP try with 0x20, a TCP one that showed the server's habit, and one without 0x20"
qn=$(grep -i 'qname=www\.nocase\.test\.' "$NOCASELOG" | tail -n1 | sed 's/.*qname=\([^ ]*\).*/\1/')
is "$qn" "www.nocase.test." "... the last in lower case"
stop_resolverd

# ---- 2. out-of-bailiwick data in authority, additional and answer sections --------------------
EVILLOG="$SIM_DIR/ns1.evil.test/queries.log"
start_rd
scrub0=$(stat_get iterator.scrubbed)
is "$(answer_of www.evil.test A)" "192.0.2.66 " "www.evil.test (NS example.test and www.example.test A $BAD on the side): 192.0.2.66"
out=$(rq cname.evil.test A)
is "$(dig_rcode "$out")" NOERROR "cname.evil.test (CNAME www.example.test, with a forged A for it in the answer): NOERROR"
is "$(dig_section "$out" ANSWER | awk '{print $4, $5}' | tr '\n' ' ')" "CNAME www.example.test. A 192.0.2.10 " \
    "... the CNAME, then www.example.test's real address, looked up at its own server"
is "$(answer_of tld.evil.test A)" "192.0.2.66 " "tld.evil.test (NS for test. and the root, glue for their servers): 192.0.2.66"
is "$(answer_of glue.evil.test A)" "192.0.2.66 " "glue.evil.test (addresses for ns1.example.test and ns1.other.lab): 192.0.2.66"
is "$(answer_of ans.evil.test A)" "192.0.2.66 " "ans.evil.test (unrelated records in the answer section): only its own address"
is "$(answer_of other.evil.test A)" "192.0.2.66 " "other.evil.test (listed as $BAD in that answer section): its real 192.0.2.66"
is "$(rcode_ede_of www.sub.evil.test A)" SERVFAIL/22 "www.sub.evil.test (a referral to ns1.example.test with glue $BAD): SERVFAIL, EDE 22"
! grep -q "asking $BAD" "$RD_LOG"; ok $? "... and $BAD was never asked anything"
cmp_ok "$(( $(stat_get iterator.scrubbed) - scrub0 ))" -ge 12 "out-of-bailiwick records were dropped ($(( $(stat_get iterator.scrubbed) - scrub0 )))"
no_bad_in_cache "after the poisoner"
victims "after the poisoner"
is "$(answer_of ns1.other.lab A)" "127.54.11.1 " "after the poisoner: ns1.other.lab A is the real 127.54.11.1"
is "$(answer_of a.root.sim A)" "127.54.0.1 " "after the poisoner: a.root.sim A is the real 127.54.0.1"
is "$(answer_of ns1.nic.test A)" "127.54.1.1 " "after the poisoner: ns1.nic.test A is the real 127.54.1.1"
is "$(answer_of www.diff.test A)" "192.0.2.70 " "after the poisoner: a new name in test. is resolved through the real test. servers"
is "$(dig_section "$(rq test NS)" ANSWER | awk '{print $5}')" "ns1.nic.test." "after the poisoner: test. NS is the real one"
is "$(grep -c 'do=poisoned' "$EVILLOG")" 0 "the poisoner was never asked about a name outside its zone (nobody believed its NS records)"
stop_resolverd

# ---- 3. referrals to zones that are not children of the zone asked -----------------------------
SIDELOG="$SIM_DIR/ns1.side.test/queries.log"
start_rd
lame0=$(stat_get iterator.lame)
scrub0=$(stat_get iterator.scrubbed)
side0=$(grep -c '^q ' "$SIDELOG")
declare -A TO=([sib]="a sibling, example.test." [up]="the parent, test." [self]="itself, side.test."
               [far]="an unrelated zone, evil.lab." [below]="a zone below the name, x.below.side.test.")
for n in sib up self far below; do
    t0=$(now_ms); r=$(rcode_ede_of $n.side.test A); el=$(( $(now_ms) - t0 ))
    is "$r" SERVFAIL/22 "$n.side.test: a referral to ${TO[$n]}: not followed, SERVFAIL, EDE 22 (${el} ms)"
done
asked=$(tail -n +$((side0 + 1)) "$SIDELOG")
is "$(grep -c '^q ' <<<"$asked")" 5 "ns1.side.test was asked once per name: no referral was followed back to it"
is "$(grep -vc 'qname=[a-zA-Z]*\.[sS][iI][dD][eE]\.[tT][eE][sS][tT]\. ' <<<"$asked")" 0 "... and about nothing but those names"
cmp_ok "$(( $(stat_get iterator.lame) - lame0 ))" -ge 5 "each referral made the server lame ($(( $(stat_get iterator.lame) - lame0 )))"
# a referral to the parent is seen before the scrubber drops it ("referral upwards"); one whose
# NS owner lies elsewhere outside side.test is scrubbed before it is read (out of bailiwick),
# which leaves "no answer and no referral"; one to side.test itself or below the name
# survives the scrubber and is refused as "upwards or sideways": lame either way
is "$(grep -cE '127\.54\.40\.7@53 is lame \((referral upwards( or sideways)?|not authoritative and not a referral)\)' "$RD_LOG")" 5 \
    "the log says why each time ($(grep -c 'referral upwards or sideways' "$RD_LOG") sideways, $(grep -c 'not authoritative and not a referral' "$RD_LOG") scrubbed away)"
cmp_ok "$(( $(stat_get iterator.scrubbed) - scrub0 ))" -ge 3 "the NS records for example.test., test. and evil.lab. were scrubbed ($(( $(stat_get iterator.scrubbed) - scrub0 )))"
unlike "$(rctl dump-cache)" 'ns1\.side\.test' "dump-cache: no NS record pointing at ns1.side.test"
victims "after the sideways referrals"
is "$(dig_section "$(rq test NS)" ANSWER | awk '{print $5}')" "ns1.nic.test." "test. NS is still the real one"
is "$(answer_of www.other.lab A)" "$(dig @127.54.11.1 +norec +short www.other.lab A | LC_ALL=C sort | tr '\n' ' ')" \
    "a name in lab. (evil.lab's parent) is resolved by its real servers"
is "$(grep -c 'qname=[^ ]*example\.test\.' "$SIDELOG")" 0 "ns1.side.test never saw a question about example.test"
stop_resolverd

diag "forged packets sent: $FORGED"
cmp_ok "${FORGED:-0}" -ge 1000 "the forger sent at least 1000 forged packets ($FORGED)"
done_testing
