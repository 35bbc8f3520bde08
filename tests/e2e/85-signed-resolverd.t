#!/bin/bash
# 85-signed-resolverd.t -- resolverd's validator on the signed simulated internet, the twin of
# 85-signed-unbound.t: every case of tools/simnet/signed/cases.txt (Unbound 1.17.1's verdicts)
# asked of a cold resolverd (build/asan) iterating the tree with `dnssec yes` and the tree's
# anchors (root.ds and the island's key, as 85 gives Unbound): AD for secure, none for
# insecure, SERVFAIL with the EDE code and the data with CD for bogus; one bad server of two
# over 4 cold starts, and clients without DO, as 85 checks Unbound. Then the island without
# its anchor (insecure), a negative trust anchor over a bogus zone (insecure), and resolverd
# forwarding to a plain (non-validating) Unbound (it still validates) and to a forwarder that
# strips signatures (bogus, EDE 10, as Unbound says in 85). 0x20 and prefetch as in
# 81-simnet-resolverd.t (the defaults: on). Needs what 85 needs, and build/asan/resolverd.
#
# SIGN_DNSSEC=no runs it all with `dnssec no`: the harness end to end, every verdict then
# "insecure" (so the secure and bogus checks fail, and nothing else should).
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/signsim.sh"

command -v unbound >/dev/null || bail "unbound is not installed (Debian package unbound)"
DNSSEC=${SIGN_DNSSEC:-}     # empty: the "dnssec yes" of sign_resolverd_conf

# Where resolverd may name a bogus answer's cause differently from Unbound (cases.txt stays
# the reference), with the RFC 8914 reason:
# - expired-cached: the bogus answer again, now from the cache. Unbound keeps only "bogus" for
#   a cached verdict (6); a validator that keeps the reason with the verdict still knows that
#   no signature is valid any more and all are expired, which is 7's definition (4.8) and more
#   precise than 6 (4.7).
SIGN_EDE_ALSO[expired-cached]=7
# - wrong-signer: an RRSIG is there, by secure.sec. instead of wrongsigner.sec. Unbound finds
#   no usable signature (10, "no RRSIGs could be found ... where RRSIGs were expected", 4.11);
#   a validator that rejects the signature it found (RFC 4035 5.3.1: the signer must be the
#   zone) ends in the Bogus state without a more specific code: 6 (4.7).
SIGN_EDE_ALSO[wrong-signer]=6

conf="$T/resolver.conf"
# rd_conf [LINE...]: the validating config of the tree (signsim.sh), `dnssec no` on request
rd_conf() { sign_resolverd_conf "$conf" "log-level debug" "$@" ${DNSSEC:+"dnssec $DNSSEC"}; }
rd_start() { start_resolverd "$conf" "$SIGN_RD_ADDR" 53; }
rd_restart() { stop_resolverd && rd_start; }

# --- every case, cold resolverd before each (but "+") -----------------------------------------
rd_conf
rd_start || bail "resolverd did not start"
sign_run_cases sq rd_restart

# --- one bad server of two: secure however the servers are picked (4 cold starts) -------------
sign_onebad sq rd_restart

# --- clients without DO ----------------------------------------------------------------------
rd_restart || bail "resolverd did not restart"
sign_nodo_checks sq

# --- the referral's DS is checked, not asked again; the control commands ---------------------
rd_restart || bail "resolverd did not restart"
out=$(rctl trace www.secure.sec A 2>&1)
like "$out" "validate: secure\\.sec\\.: its DS records as the parent's referral gave them \\(no question\\)" \
    "trace: the DS of secure.sec. taken from sec.'s referral (as Deckard's val_secds needs)"
unlike "$out" "secure\\.sec\\.: asking its DS" "... and not asked of sec.'s servers"
like "$out" "validate: secure: AD set" "trace: the verdict"
out=$(rctl trust-anchors)
like "$out" "(^|[[:space:]])\\. DS tag=[0-9]+ algorithm=13 state=good" "trust-anchors: the root's DS, its keys proven"
like "$out" "island\\.insecure\\.sec\\. DNSKEY tag=[0-9]+ algorithm=[0-9]+ state=unproven" \
    "... the island's key, not used yet"
cmp_ok "$(stat_get dnssec.secure)" -ge 1 "stats: dnssec.secure counted"
sq +dnssec www.badds.sec A >/dev/null
like "$(rctl flush-bogus)" "^flushed [1-9][0-9]* entries" "flush-bogus: badds.sec.'s broken chain forgotten"
is "$(stat_get dnssec.bogus)" 1 "stats: dnssec.bogus counted once"

# --- aggressive-nsec (RFC 8198): a denial proven once answers its neighbours -----------------
sq +dnssec nope.secure.sec A >/dev/null
out=$(rctl trace nopf.secure.sec A 2>&1)
like "$out" "aggressive-nsec: NXDOMAIN from the zone's validated NSEC records" \
    "aggressive-nsec: nopf.secure.sec. lies in the NSEC range nope.secure.sec.'s denial proved"
like "$out" "NXDOMAIN from aggressive-nsec" "... answered without asking"
out=$(sq +dnssec noq.secure.sec A)
sign_check "aggressive-nxdomain" "$out" "" NXDOMAIN secure
like "$(dig_section "$out" AUTHORITY)" "IN.NSEC" "... with the NSEC proof for a DO client"
rd_conf "aggressive-nsec no"
rd_restart || bail "resolverd did not restart"
sq +dnssec nope.secure.sec A >/dev/null
like "$(rctl trace nopf.secure.sec A 2>&1)" "NXDOMAIN from iterate" "aggressive-nsec no: asked"
rd_conf

# --- the island without its anchor: insecure, as any zone under an unsigned parent ----------
rd_conf "# the root's anchor only"
sed -i "/^trust-anchor-file /{ \|$SIGN_ROOT_ANCHOR|!d }" "$conf"
is "$(grep -c '^trust-anchor-file' "$conf")" 1 "island-no-anchor: the config names the root's anchor only"
rd_restart || bail "resolverd did not restart"
out=$(sq +dnssec www.island.insecure.sec A)
sign_check "island-no-anchor" "$out" "" NOERROR insecure 192.0.2.50

# --- a negative trust anchor over a bogus zone: insecure, the data, no AD (RFC 7646) ---------
rd_conf "negative-trust-anchor expired.sec"
rd_restart || bail "resolverd did not restart"
out=$(sq +dnssec www.expired.sec A)
sign_check "nta-expired" "$out" "" NOERROR insecure 192.0.2.1
out=$(sq +dnssec www.secure.sec A)
sign_check "nta-other-zone" "$out" "" NOERROR secure 192.0.2.10
stop_resolverd

# --- forwarding to a plain Unbound (no validation there): resolverd still validates ------------
plain_start || bail "the plain unbound did not start"
rd_conf "forward . $VUB_ADDR@$VUB_PORT"
rd_start || bail "resolverd did not start"
out=$(sq +dnssec www.secure.sec A)
sign_check "fwd-plain-secure" "$out" "" NOERROR secure 192.0.2.10
out=$(sq +dnssec www.insecure.sec A)
sign_check "fwd-plain-insecure" "$out" "" NOERROR insecure 192.0.2.20
out=$(sq +dnssec www.expired.sec A)
cdout=$(sq +dnssec +cdflag www.expired.sec A)
sign_check "fwd-plain-bogus" "$out" "$cdout" NOERROR bogus/7 192.0.2.1
stop_resolverd

# --- forwarding to one that strips signatures: a secure zone is bogus, and says so ------------
strip_start || bail "stripdo.pl did not start"
rd_conf "forward . $STRIP_ADDR@$STRIP_PORT"
rd_start || bail "resolverd did not start"
out=$(sq +dnssec www.secure.sec A)
cdout=$(sq +dnssec +cdflag www.secure.sec A)
sign_check "fwd-stripped" "$out" "$cdout" NOERROR bogus/10 192.0.2.10
diag "fwd-stripped: EDE $(sed -n 's/^; EDE: //p' <<<"$out")"
like "$(head -n1 "$T/stripdo.log")" "do=1" "... resolverd asked the forwarder with DO"
stop_resolverd
strip_stop
plain_stop

done_testing
