#!/usr/bin/env bash
# 55-upstream-rcodes.t -- a forwarder that answers FORMERR or NOTIMP (it will not or cannot
# answer our query) is a failed server, not an answer: the next forwarder is asked and the
# client gets its real answer; with no other forwarder the client gets SERVFAIL, never the
# upstream's FORMERR/NOTIMP (which would blame the client's own query).
source "$(dirname "$0")/lib.sh"

NSD_A=127.53.55.1
RD_ADDR=127.53.55.2
FE=127.53.55.3      # answers FORMERR
NI=127.53.55.4      # answers NOTIMP
NP=$(pick_port $NSD_A) && RD_PORT=$(pick_port $RD_ADDR) && FE_PORT=$(pick_port $FE) &&
    NI_PORT=$(pick_port $NI) || bail "no port"
CTL="$T/control.sock"

start_nsd $NSD_A "$NP" "$DATA/example.test.zone" "$DATA/other.test.zone" || bail "nsd did not start"
bg_start perl "$E2E_DIR/slowdns.pl" $FE "$FE_PORT" 0 "$T/formerr.log" FORMERR
bg_start perl "$E2E_DIR/slowdns.pl" $NI "$NI_PORT" 0 "$T/notimp.log" NOTIMP
wait_until 5 test -e "$T/formerr.log" -a -e "$T/notimp.log" || bail "scripted upstreams did not start"
r=$(perl "$DNSRAW" udp $FE "$FE_PORT" query www.example.test 2>&1)
like "$r" 'idmatch=1 qr=1 opcode=0 rcode=FORMERR .*qd=1 an=0' "the scripted upstream answers FORMERR, question echoed ($r)"
r=$(perl "$DNSRAW" udp $NI "$NI_PORT" query www.example.test 2>&1)
like "$r" 'idmatch=1 qr=1 opcode=0 rcode=NOTIMP .*qd=1 an=0' "the other answers NOTIMP ($r)"

# example.test: FORMERR first, NSD second; other.test: NOTIMP first, NSD second;
# only-formerr.test / only-notimp.test: that server alone
write_conf "$T/resolver.conf" \
    "listen $RD_ADDR $RD_PORT" \
    "forward example.test. $FE@$FE_PORT $NSD_A@$NP" \
    "forward other.test. $NI@$NI_PORT $NSD_A@$NP" \
    "forward only-formerr.test. $FE@$FE_PORT" \
    "forward only-notimp.test. $NI@$NI_PORT" \
    "upstream-timeout 2000" \
    "control $CTL"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"

# ask NAME TYPE LOG: one query; sets OUT, UPQ (upstream.queries it cost), HITS (queries
# the scripted server behind LOG received)
ask() {
    local q0 l0
    q0=$(stat_get upstream.queries); l0=$(wc -l <"$3")
    OUT=$(rq "$1" "$2")
    UPQ=$(( $(stat_get upstream.queries) - q0 ))
    HITS=$(( $(wc -l <"$3") - l0 ))
}

# --- FORMERR, then a real server -----------------------------------------------------------
ask www.example.test A "$T/formerr.log"
is "$(dig_rcode "$OUT")" NOERROR "FORMERR from the first forwarder: the client gets NOERROR"
is "$(dig_section "$OUT" ANSWER | awk '{print $5}')" 192.0.2.1 "... with the second forwarder's data"
is "$HITS" 1 "... the FORMERR server was asked first"
is "$UPQ" 2 "... stats: upstream.queries grew by 2"

# --- NOTIMP, then a real server ------------------------------------------------------------
ask www.other.test A "$T/notimp.log"
expect=$(nq +short www.other.test A)
is "$(dig_rcode "$OUT")" NOERROR "NOTIMP from the first forwarder: the client gets NOERROR"
is "$(dig_section "$OUT" ANSWER | awk '{print $5}')" "$expect" "... with the second forwarder's data ($expect)"
is "$HITS" 1 "... the NOTIMP server was asked first"
is "$UPQ" 2 "... stats: upstream.queries grew by 2"

# NXDOMAIN behind a FORMERR server is the second server's verdict too
ask nx-rcode.example.test A "$T/formerr.log"
is "$(dig_rcode "$OUT")" NXDOMAIN "FORMERR first, then the real server's NXDOMAIN: NXDOMAIN"
is "$UPQ" 2 "... stats: upstream.queries grew by 2"

# --- the FORMERR / NOTIMP server alone ------------------------------------------------------
ask www.only-formerr.test A "$T/formerr.log"
is "$(dig_rcode "$OUT")" SERVFAIL "only the FORMERR forwarder: the client gets SERVFAIL, not FORMERR"
is "$(dig_ede "$OUT")" 22 "... with EDE 22 (No Reachable Authority): no forwarder would answer"
is "$HITS" 1 "... after asking it"
ask www.only-notimp.test A "$T/notimp.log"
is "$(dig_rcode "$OUT")" SERVFAIL "only the NOTIMP forwarder: the client gets SERVFAIL, not NOTIMP"
is "$(dig_ede "$OUT")" 22 "... with EDE 22 (No Reachable Authority): no forwarder would answer"
is "$HITS" 1 "... after asking it"

stop_resolverd
done_testing
