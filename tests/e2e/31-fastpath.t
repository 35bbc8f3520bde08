#!/usr/bin/env bash
# 31-fastpath.t -- the cache-hit fast path answers byte for byte what the slow path does.
# For each question: flush, ask once (a miss: the resolution's stored answer shaped for the
# client), ask again (a hit: copied from the cache, ID, TTLs and case patched); the two
# replies must be identical but for the ID and the TTLs (blanked by fastpath.pl). Covers no
# EDNS, EDNS, the DO bit, mixed case, negative answers, a CNAME, truncation (TC=1) at the
# 512-octet limit and the full answer with a large buffer, over UDP and TCP; ANY answers
# minimally (RFC 8482); positive answers carry only their answer section.
source "$(dirname "$0")/lib.sh"

NSD_A=127.53.31.1
RD_ADDR=127.53.31.2
NP=$(pick_port $NSD_A) && RD_PORT=$(pick_port $RD_ADDR) || bail "no port"
CTL="$T/control.sock"
start_nsd $NSD_A "$NP" "$DATA/example.test.zone" || bail "nsd did not start"
write_conf "$T/resolver.conf" "listen $RD_ADDR $RD_PORT" "forward . $NSD_A@$NP" "control $CTL" \
    "edns-buffer-size 4096"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"

# same PROTO NAME TYPE EDNS DO WHAT: the miss and the hit replies are the same
same() {
    local proto=$1 name=$2 type=$3 edns=$4 do=$5 what=$6 out a b
    rctl flush >/dev/null
    out=$(perl "$E2E_DIR/fastpath.pl" $RD_ADDR $RD_PORT "$proto" "$name" "$type" "$edns" "$do")
    a=$(sed -n 1p <<<"$out"); b=$(sed -n 2p <<<"$out")
    [ -n "$a" ] && [ "$a" != noreply ] && [ "${a#unwalkable}" = "$a" ] && [ "$a" = "$b" ]
    ok $? "$what: the cache hit is byte for byte the first answer" || diag "miss: $a" "hit:  $b"
    LAST=$a
}
# flags of a blanked hex reply: octets 2 and 3
flags_of() { echo "${1:4:4}"; }
counts_of() { echo "${1:8:16}"; }       # QD AN NS AR

same udp WwW.ExAmPlE.TeSt A 0 0 "A, no EDNS, mixed case"
like "$LAST" "^0000$(printf '%s' 8180)0001000100000000" "... QR RD RA, one answer, no authority, no additional"
like "$LAST" "0357775707457841" "... the question in the client's case (WwW.ExAmPlE)"
same udp www.example.test A 1232 0 "A with EDNS 1232"
like "$(counts_of "$LAST")" '^0001000100000001$' "... one answer and the OPT record only"
same udp www.example.test A 1232 1 "A with EDNS and the DO bit"
like "$LAST" '000029[0-9a-f]{4}00008000' "... the OPT echoes DO"
same udp www.example.test AAAA 1232 0 "AAAA"
same udp MAIL.example.test MX 0 0 "a name with no MX (NODATA, upper case)"
like "$(counts_of "$LAST")" '^0001000000010000$' "... NODATA carries its SOA in authority"
same udp nx.example.test A 1232 0 "NXDOMAIN"
like "$(flags_of "$LAST")" '^8183$' "... rcode 3"
same udp alias.example.test A 0 0 "a CNAME to an A"
like "$(counts_of "$LAST")" '^0001000200000000$' "... both records of the chain"
same udp big.example.test TXT 0 0 "a big TXT without EDNS: truncated"
like "$(flags_of "$LAST")" '^8380$' "... TC=1"
same udp big.example.test TXT 4096 0 "a big TXT with a 4096-octet buffer: whole"
like "$(flags_of "$LAST")" '^8180$' "... not truncated"
same tcp big.example.test TXT 0 0 "a big TXT over TCP: whole"
same tcp Www.Example.Test A 0 0 "A over TCP, mixed case"

# ANY: one synthesized HINFO, no upstream query
out=$(rq www.example.test ANY)
is "$(dig_section "$out" ANSWER | awk '{print $4, $5, $6}')" 'HINFO "RFC8482" ""' "ANY is answered minimally with HINFO \"RFC8482\" (RFC 8482)"
is "$(dig_count "$out" ANSWER)" 1 "... and nothing else"

stop_resolverd
done_testing
