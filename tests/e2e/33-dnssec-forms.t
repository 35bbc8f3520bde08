#!/usr/bin/env bash
# 33-dnssec-forms.t -- the two forms of a cached answer (README "DNSSEC"): a client that sets
# DO gets the RRSIGs (and a negative answer's NSEC proof, a wildcard answer's proof), a client
# without DO gets exactly the bytes it got before validation existed -- the same as from a
# resolverd with `dnssec no`. Each form is a cache hit for the other kind of client once one
# of them resolved it. The zone is signed here at start (ldns-keygen, ldns-signzone), served
# by NSD and forwarded to; no validator is needed for what is tested here.
source "$(dirname "$0")/lib.sh"

NSD_A=127.53.33.1
RD_ADDR=127.53.33.2
NP=$(pick_port $NSD_A) && RD_PORT=$(pick_port $RD_ADDR) || bail "no port"
CTL="$T/control.sock"
command -v ldns-signzone >/dev/null && command -v ldns-keygen >/dev/null ||
    bail "ldns-keygen, ldns-signzone not found (Debian package ldnsutils)"

# --- a signed zone, signed now -----------------------------------------------------------------
mkdir -p "$T/keys"
cat >"$T/dnssec.test.zone" <<'EOF'
$ORIGIN dnssec.test.
$TTL 3600
@       IN SOA ns1.dnssec.test. hostmaster.dnssec.test. 1 3600 600 86400 300
        IN NS  ns1.dnssec.test.
ns1     IN A   192.0.2.53
www     IN A   192.0.2.1
www     IN AAAA 2001:db8::1
txt     IN TXT "signed hello"
*.wild  IN A   192.0.2.77
EOF
ksk=$(cd "$T/keys" && ldns-keygen -a ECDSAP256SHA256 -k dnssec.test 2>&1) &&
zsk=$(cd "$T/keys" && ldns-keygen -a ECDSAP256SHA256 dnssec.test 2>&1) &&
(cd "$T/keys" && ldns-signzone -o dnssec.test. -e "$(date -u -d '+30 days' +%Y%m%d%H%M%S)" \
    -f "$T/dnssec.test.signed" "$T/dnssec.test.zone" "$ksk" "$zsk") >"$T/sign.log" 2>&1
ok $? "zone signed at start (KSK $ksk)" || { diag_file "$T/sign.log" "sign: "; bail "no signed zone"; }

NSD_CTL=1 start_nsd $NSD_A "$NP" "dnssec.test=$T/dnssec.test.signed" || bail "nsd did not start"
conf() {
    write_conf "$T/resolver.conf" "listen $RD_ADDR $RD_PORT" "forward dnssec.test $NSD_A@$NP" \
        "control $CTL" "edns-buffer-size 4096" "prefetch no" "$@"
}
conf "dnssec yes" "trust-anchor-file $T/keys/$ksk.ds"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"

section_has() { dig_section "$1" "$2" | awk -v t="$3" '$4 == t {n++} END {exit n ? 0 : 1}'; }

# --- DO clients get the DNSSEC records -------------------------------------------------------
out=$(rq +dnssec www.dnssec.test A)
section_has "$out" ANSWER RRSIG; ok $? "DO: the answer carries its RRSIG"
dig_count_is() { [ "$(dig_count "$1" "$2")" = "$3" ]; }
dig_count_is "$out" AUTHORITY 0; ok $? "DO: a positive answer without proof has no authority section"
out=$(rq +dnssec gone.dnssec.test A)
is "$(dig_rcode "$out")" NXDOMAIN "DO: gone.dnssec.test is NXDOMAIN"
section_has "$out" AUTHORITY NSEC && section_has "$out" AUTHORITY RRSIG && section_has "$out" AUTHORITY SOA
ok $? "DO: ... with SOA, NSEC and RRSIGs in authority"
out=$(rq +dnssec x.wild.dnssec.test A)
section_has "$out" AUTHORITY NSEC; ok $? "DO: a wildcard answer keeps its NSEC proof"
! section_has "$out" AUTHORITY NS; ok $? "DO: ... but not the NS set"

# --- clients without DO get no DNSSEC record -------------------------------------------------
for q in "www.dnssec.test A" "gone.dnssec.test A" "x.wild.dnssec.test A" "txt.dnssec.test TXT"; do
    out=$(rq $q)
    ! grep -qE '[[:space:]](RRSIG|NSEC|NSEC3)[[:space:]]' <<<"$out"; ok $? "no DO: $q has no RRSIG/NSEC"
done
out=$(rq gone.dnssec.test A)
is "$(dig_count "$out" AUTHORITY)" 1 "no DO: a negative answer keeps its SOA only"

# --- each form is a hit for its kind of client, whichever asked first ------------------------
rctl flush >/dev/null
rq www.dnssec.test A >/dev/null                          # a miss: both forms stored
h0=$(stat_get cache.hits); u0=$(nsd_queries)
out=$(rq +dnssec www.dnssec.test A)
section_has "$out" ANSWER RRSIG; ok $? "a DO client after a plain one: RRSIGs"
is "$(stat_get cache.hits)" $(( h0 + 1 )) "... from the cache"
is "$(nsd_queries)" "$u0" "... NSD not asked"
rctl flush >/dev/null
rq +dnssec gone.dnssec.test A >/dev/null
h0=$(stat_get cache.hits)
out=$(rq gone.dnssec.test A)
! grep -qE '[[:space:]](RRSIG|NSEC)[[:space:]]' <<<"$out"; ok $? "a plain client after a DO one: no DNSSEC records"
is "$(stat_get cache.hits)" $(( h0 + 1 )) "... from the cache"

# --- the DO hit is byte for byte the DO miss (the fast path) -----------------------------------
for q in "www.dnssec.test A" "gone.dnssec.test A" "x.wild.dnssec.test A"; do
    rctl flush >/dev/null
    out=$(perl "$E2E_DIR/fastpath.pl" $RD_ADDR $RD_PORT udp $q 4096 1)
    a=$(sed -n 1p <<<"$out"); b=$(sed -n 2p <<<"$out")
    [ -n "$a" ] && [ "$a" != noreply ] && [ "$a" = "$b" ]
    ok $? "DO: the cache hit for $q is the miss byte for byte" || diag "miss: $a" "hit:  $b"
done

# --- dump-cache: the plain form, marked when DO clients have another -----------------------
rq www.dnssec.test A >/dev/null
rctl dump-cache >"$T/dump"
grep -q '^; www\.dnssec\.test\. A IN positive rcode=NOERROR signed$' "$T/dump"
ok $? "dump-cache marks a signed entry" || diag_file "$T/dump" "dump: "
! grep -q 'RRSIG' "$T/dump"; ok $? "dump-cache writes the plain form (no RRSIG)"

# --- without DO: the same bytes as from a resolverd that does not validate ----------------------
QUESTIONS=("www.dnssec.test A" "gone.dnssec.test A" "x.wild.dnssec.test A" "txt.dnssec.test TXT"
           "www.dnssec.test AAAA" "nothing.dnssec.test TXT")
replies() {   # every question, without EDNS and with EDNS (DO clear): miss and hit lines
    local q e
    for q in "${QUESTIONS[@]}"; do
        for e in 0 1232; do
            rctl flush >/dev/null
            perl "$E2E_DIR/fastpath.pl" $RD_ADDR $RD_PORT udp $q $e 0
        done
    done
}
with_dnssec=$(replies)
stop_resolverd
conf "dnssec no"
start_resolverd "$T/resolver.conf" || bail "resolverd did not restart"
without=$(replies)
n=0
for ((i = 1; i <= $(wc -l <<<"$with_dnssec"); i++)); do
    a=$(sed -n "${i}p" <<<"$with_dnssec"); b=$(sed -n "${i}p" <<<"$without")
    [ -n "$a" ] && [ "$a" != noreply ] && [ "$a" = "$b" ] || { n=$((n + 1)); diag "line $i: $a" "   vs $b"; }
done
is "$n" 0 "no DO: every reply is byte for byte what dnssec no gives ($(wc -l <<<"$with_dnssec") replies)"
stop_resolverd
done_testing
