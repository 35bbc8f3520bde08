#!/bin/bash
# 85-signed-unbound.t -- the signed simulated internet (tools/simnet/signsim) and the reference
# verdicts on it: the tree is signed as tools/simnet/README.md says (asked of the servers
# directly), then every case of tools/simnet/signed/cases.txt is asked of Unbound validating
# from the tree's own root anchor: AD for secure, none for insecure, SERVFAIL (and the data
# with CD) for bogus, and Unbound's Extended DNS Error. The same cases are for resolverd's
# validator (issue 11). Also: the island without its anchor, and a validating forwarder in
# front of a validating, a plain and a signature-stripping one.
# Needs: nsd, unbound, ldnsutils, dig, perl, and root or unshare -rn (see simnet.sh).
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/signsim.sh"

command -v unbound >/dev/null || bail "unbound is not installed (Debian package unbound)"

# signing is part of every start: keep it quick (ECDSA and EdDSA keys; one small RSA key)
sign_ms=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "ms,") k = $(i - 1); else if ($i == "ms") s = $(i - 1) } END { print k + s }' "$SIGN_DIR/sign.log")
cmp_ok "$sign_ms" -lt 15000 "keys made and zones signed in $sign_ms ms (< 15 s)"

# --- the tree, asked directly ---------------------------------------------------------------
aq() { local a=$1; shift; dig @"$a" +norec +dnssec +tries=1 +time=2 "$@" 2>&1; }
# rrsig_of OUT TYPE [SECTION]: the RRSIG lines over TYPE in a section (ANSWER) of a dig output
rrsig_of() { dig_section "$1" "${3:-ANSWER}" | grep -P "\tRRSIG\t$2 "; }

out=$(aq 127.55.0.1 . DNSKEY)
is "$(dig_section "$out" ANSWER | awk '$4 == "DNSKEY"' | wc -l)" 2 "a.root.sec: the root has a KSK and a ZSK"
like "$(rrsig_of "$out" DNSKEY)" " 13 0 86400 " "... the DNSKEY set signed (ECDSA P-256)"
tag=$(awk '$4 == "DS" {print $5}' "$SIGN_ROOT_ANCHOR")
like "$(rrsig_of "$out" DNSKEY)" " $tag \. " "... by the key of the anchor's DS (tag $tag)"
out=$(aq 127.55.0.2 www.secure.sec A)
like "$(dig_section "$out" AUTHORITY)" "^sec\..*DS" "b.root.sec: referral to sec. with its DS"
out=$(aq 127.55.1.1 www.secure.sec A)
like "$(rrsig_of "$out" DS AUTHORITY)" "secure\.sec\..*RRSIG.*sec\." "ns1.nic.sec: secure.sec DS, signed by sec."
out=$(aq 127.55.1.1 www.insecure.sec A)
like "$(dig_section "$out" AUTHORITY)" "^insecure\.sec\..*NSEC.* NS RRSIG NSEC" "ns1.nic.sec: insecure.sec referral, NSEC without DS"
out=$(aq 127.55.1.1 www.badds.sec A)
dstag=$(dig_section "$out" AUTHORITY | awk '$4 == "DS" {print $5}')
out=$(aq 127.55.10.1 badds.sec DNSKEY)
unlike "$out" "id = $dstag " "badds.sec: no DNSKEY has the tag of its DS ($dstag)"
out=$(aq 127.55.10.1 +multi badds.sec DNSKEY)
unlike "$out" "id = $dstag\b" "... (dig +multi key ids)"
out=$(aq 127.55.10.1 www.nosig.sec A)
is "$(rrsig_of "$out" A)" "" "nosig.sec: www A without RRSIG"
out=$(aq 127.55.10.1 www.wrongsigner.sec A)
like "$(rrsig_of "$out" A)" " secure\.sec\. " "wrongsigner.sec: www A signed by secure.sec."
out=$(aq 127.55.10.1 nope.nonsec.sec A)
is "$(dig_rcode "$out")/$(grep -c 'IN.NSEC' <<<"$out")" NXDOMAIN/0 "nonsec.sec: NXDOMAIN without NSEC"
out=$(aq 127.55.10.1 www.expired.sec A)
exp=$(rrsig_of "$out" A | awk '{print $9}')
cmp_ok "$exp" -lt "$(date -u +%Y%m%d%H%M%S)" "expired.sec: signature expired ($exp)"
out=$(aq 127.55.10.1 www.future.sec A)
inc=$(rrsig_of "$out" A | awk '{print $10}')
cmp_ok "$inc" -gt "$(date -u +%Y%m%d%H%M%S)" "future.sec: signature not yet valid ($inc)"
out=$(aq 127.55.10.1 iter500.sec NSEC3PARAM)
like "$(dig_section "$out" ANSWER)" "NSEC3PARAM.1 0 500 -" "iter500.sec: NSEC3 with 500 iterations"
out=$(aq 127.55.10.1 www.unsigned.optout.sec A)
like "$(dig_section "$out" AUTHORITY)" "NSEC3.1 1 0 -" "optout.sec: the unsigned delegation's referral has an opt-out NSEC3"
unlike "$(dig_section "$out" AUTHORITY)" "IN.DS" "... and no DS"
out=$(aq 127.55.10.1 unknownalg.sec DNSKEY)
like "$(dig_section "$out" ANSWER)" "DNSKEY.257 3 100 " "unknownalg.sec: DNSKEY of algorithm 100"
out=$(aq 127.55.1.1 unknownalg.sec DS)
like "$(dig_section "$out" ANSWER)" "DS.[0-9]+ 100 2 " "... and its DS too"
out=$(aq 127.55.12.1 www.onebad.sec A)
isnt "$(rrsig_of "$out" A)" "" "ns1.onebad.sec: www A signed"
out=$(aq 127.55.12.2 www.onebad.sec A)
is "$(rrsig_of "$out" A)" "" "ns2.onebad.sec: the same without its RRSIG"
like "$(cat "$SIGN_DIR/anchors/island.insecure.sec.key")" "DNSKEY.257 3 15 " "the island's anchor: its DNSKEY (Ed25519)"

# --- every case through the validating Unbound ------------------------------------------------
vub_start || bail "unbound did not start"
ok 0 "validating unbound started on $VUB_ADDR@$VUB_PORT (anchors: ${SIGN_ANCHORS//$SIGN_DIR\//})"
sign_run_cases vq vub_restart

# --- one bad server of two: secure however the servers are picked (4 cold starts) -------------
sign_onebad vq vub_restart

# --- clients without DO ----------------------------------------------------------------------
vub_restart || bail "unbound did not restart"
sign_nodo_checks vq

# --- the island without its anchor: insecure, as any zone under an unsigned parent ----------------
vub_restart "$SIGN_ROOT_ANCHOR" || bail "unbound did not restart"
out=$(vq +dnssec www.island.insecure.sec A)
sign_check "island-no-anchor" "$out" "" NOERROR insecure 192.0.2.50

# --- a validating forwarder in front of the validating Unbound -----------------------------------
vub_restart || bail "unbound did not restart"
fwd_start || bail "the forwarding unbound did not start"
ok 0 "forwarding unbound started on $FWD_ADDR@$FWD_PORT (to $VUB_ADDR@$VUB_PORT)"
out=$(fq +dnssec www.secure.sec A)
sign_check "fwd-secure" "$out" "" NOERROR secure 192.0.2.10
out=$(fq +dnssec www.insecure.sec A)
sign_check "fwd-insecure" "$out" "" NOERROR insecure 192.0.2.20
out=$(fq +dnssec www.expired.sec A)
cdout=$(fq +dnssec +cdflag www.expired.sec A)
sign_check "fwd-bogus" "$out" "$cdout" NOERROR bogus/7 192.0.2.1
fwd_stop
vub_stop

# --- the validating forwarder in front of a plain (non-validating) Unbound: still validates;
# in front of one that strips signatures (stripdo.pl clears DO): a secure zone is bogus ---------
plain_start || bail "the plain unbound did not start"
fwd_start || bail "the forwarding unbound did not start"
out=$(fq +dnssec www.secure.sec A)
sign_check "fwd-plain-secure" "$out" "" NOERROR secure 192.0.2.10
out=$(fq +dnssec www.expired.sec A)
cdout=$(fq +dnssec +cdflag www.expired.sec A)
sign_check "fwd-plain-bogus" "$out" "$cdout" NOERROR bogus/7 192.0.2.1
fwd_stop
strip_start || bail "stripdo.pl did not start"
fwd_start "$STRIP_ADDR@$STRIP_PORT" || bail "the forwarding unbound did not start"
out=$(fq +dnssec www.secure.sec A)
cdout=$(fq +dnssec +cdflag www.secure.sec A)
sign_check "fwd-stripped" "$out" "$cdout" NOERROR bogus/10 192.0.2.10
diag "fwd-stripped: EDE $(sed -n 's/^; EDE: //p' <<<"$out")"
like "$(head -n1 "$T/stripdo.log")" "do=1" "... the forwarder got DO queries and stripped them"
fwd_stop
strip_stop
plain_stop

done_testing
