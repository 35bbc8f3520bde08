#!/usr/bin/env bash
# 40-transport.t -- the listener: TCP, EDNS (OPT echoed, the client's size honoured, TC over
# UDP), a large answer whole over TCP, pipelined TCP queries, FORMERR/NOTIMP for bad queries,
# silence for an unreadable header, TCP idle timeout and connection cap, IPv6.
source "$(dirname "$0")/lib.sh"

NSD_A=127.53.40.1
RD_ADDR=127.53.40.2
NP=$(pick_port $NSD_A) && RD_PORT=$(pick_port $RD_ADDR) || bail "no port"
CTL="$T/control.sock"
IDLE_MS=1500
CAP=3

V6=""
if port_free ::1 "$RD_PORT"; then V6=1; fi

start_nsd $NSD_A "$NP" "$DATA/example.test.zone" "$DATA/other.test.zone" || bail "nsd did not start"
write_conf "$T/resolver.conf" \
    "listen $RD_ADDR $RD_PORT" \
    ${V6:+"listen ::1 $RD_PORT"} \
    "forward . $NSD_A@$NP" \
    "control $CTL" \
    "tcp-idle-timeout $IDLE_MS" \
    "tcp-max-connections $CAP" \
    "log-level debug"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"

# --- TCP ----------------------------------------------------------------------------------
out=$(rq +tcp www.example.test A)
is "$(dig_rcode "$out")" NOERROR "TCP: NOERROR"
is "$(dig_section "$out" ANSWER | awk '{print $5}')" 192.0.2.1 "TCP: www.example.test A answered"
like "$out" 'SERVER: 127\.53\.40\.2#[0-9]+.*\(TCP\)' "TCP: dig really used TCP"
is "$(rcode_of +tcp nx-tcp.example.test A)" NXDOMAIN "TCP: NXDOMAIN forwarded"
is "$(rq +tcp +short www.example.test A)" "$(rq +notcp +short www.example.test A)" "TCP and UDP give the same answer"

# --- EDNS -----------------------------------------------------------------------------------
out=$(rq mail.example.test A)
like "$out" 'OPT PSEUDOSECTION' "EDNS query: the reply carries an OPT record"
out=$(rq +noedns mail.example.test A)
unlike "$out" 'OPT PSEUDOSECTION' "query without EDNS: no OPT in the reply"
is "$(dig_section "$out" ANSWER | awk '{print $5}')" 192.0.2.25 "query without EDNS: answered"

# --- the big TXT RRset (~3 KB) --------------------------------------------------------------
nsd_rrs=$(dig_q $NSD_A "$NP" +tcp +short big.example.test TXT | grep -c big-)
cmp_ok "$nsd_rrs" -eq 30 "NSD has the 30 big TXT records (over TCP)"
out=$(rq +tcp big.example.test TXT)
is "$(dig_rcode "$out")" NOERROR "big TXT over TCP: NOERROR"
is "$(dig_section "$out" ANSWER | grep -c big-)" "$nsd_rrs" "big TXT over TCP: whole, as many records as NSD's"
has_flag "$out" tc; isnt $? 0 "big TXT over TCP: no TC"
size=$(sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p' <<<"$out")
cmp_ok "${size:-0}" -gt 1232 "big TXT over TCP: the reply is larger than 1232 bytes ($size)"

out=$(rq +noedns +ignore big.example.test TXT)
is "$(dig_rcode "$out")" NOERROR "big TXT over UDP without EDNS: NOERROR"
has_flag "$out" tc; ok $? "big TXT over UDP without EDNS: TC set (flags: $(dig_flags "$out"))"
size=$(sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p' <<<"$out")
cmp_ok "${size:-9999}" -le 512 "... and the reply fits in 512 bytes ($size)"

out=$(rq +bufsize=1232 +ignore big.example.test TXT)
has_flag "$out" tc; ok $? "big TXT over UDP with EDNS 1232: TC set (flags: $(dig_flags "$out"))"
size=$(sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p' <<<"$out")
cmp_ok "${size:-9999}" -le 1232 "... and the reply fits in 1232 bytes ($size)"
like "$out" 'OPT PSEUDOSECTION' "... and carries OPT"

out=$(rq big.example.test TXT)   # dig retries over TCP by itself on TC
is "$(dig_section "$out" ANSWER | grep -c big-)" "$nsd_rrs" "dig's own TC -> TCP retry gets the whole RRset"

out=$(rq +noedns +ignore www.example.test A)
has_flag "$out" tc; isnt $? 0 "a small answer over UDP without EDNS: no TC"

# --- pipelining: several queries on one TCP connection --------------------------------------
pl=$(perl "$DNSRAW" pipeline "$RD_ADDR" "$RD_PORT" www.example.test mail.example.test/AAAA \
        big.example.test/TXT nx-pipe.example.test alias.example.test www.other.test/AAAA 2>&1)
is "$(grep -c '^reply ' <<<"$pl")" 6 "pipelined TCP: 6 replies on one connection" || diag "$pl"
is "$(grep -c '^reply .* match=1 ' <<<"$pl")" 6 "pipelined TCP: every reply's ID matches its question" || diag "$pl"
like "$pl" 'qname=big\.example\.test\. rcode=NOERROR an=30' "pipelined TCP: the big RRset whole"
like "$pl" 'qname=nx-pipe\.example\.test\. rcode=NXDOMAIN' "pipelined TCP: the NXDOMAIN"
like "$pl" 'qname=alias\.example\.test\. rcode=NOERROR an=2' "pipelined TCP: the CNAME chain"

# --- malformed queries over UDP --------------------------------------------------------------
r=$(perl "$DNSRAW" udp "$RD_ADDR" "$RD_PORT" qd0 2>&1)
like "$r" 'idmatch=1 qr=1 .*rcode=FORMERR' "QDCOUNT 0: FORMERR ($r)"
r=$(perl "$DNSRAW" udp "$RD_ADDR" "$RD_PORT" qd2 2>&1)
like "$r" 'idmatch=1 qr=1 .*rcode=FORMERR' "QDCOUNT 2: FORMERR ($r)"
r=$(perl "$DNSRAW" udp "$RD_ADDR" "$RD_PORT" badq 2>&1)
like "$r" 'idmatch=1 qr=1 .*rcode=FORMERR' "a truncated question: FORMERR ($r)"
r=$(perl "$DNSRAW" udp "$RD_ADDR" "$RD_PORT" opcode2 2>&1)
like "$r" 'idmatch=1 qr=1 opcode=2 rcode=NOTIMP' "opcode 2 (STATUS): NOTIMP ($r)"
r=$(perl "$DNSRAW" udp "$RD_ADDR" "$RD_PORT" short www.example.test 1 2>&1)
is "$r" noreply "a 5-byte packet: no reply"
r=$(perl "$DNSRAW" udp "$RD_ADDR" "$RD_PORT" query www.example.test 2>&1)
like "$r" 'idmatch=1 qr=1 opcode=0 rcode=NOERROR tc=0 qd=1 an=1' "after the bad packets a normal raw query is answered ($r)"

# --- TCP idle timeout ---------------------------------------------------------------------
t0=$(now_ms)
r=$(perl "$DNSRAW" idle "$RD_ADDR" "$RD_PORT" 6 2>&1)
el=$(( $(now_ms) - t0 ))
is "$r" closed "an idle TCP connection is closed by the server (tcp-idle-timeout $IDLE_MS, after $el ms)"
cmp_ok "$el" -ge $(( IDLE_MS / 2 )) "... not before about the idle timeout"

# --- TCP connection cap ---------------------------------------------------------------------
r=$(perl "$DNSRAW" tcpcap "$RD_ADDR" "$RD_PORT" $CAP www.example.test 2>&1)
is "$(grep -c '^held[0-9]*=answered' <<<"$r")" $CAP "$CAP TCP connections (the cap) are served" || diag "$r"
like "$r" 'extra=(noreply|closed|refused)' "one more connection over the cap is not served ($(grep extra <<<"$r"))"
like "$r" 'after=answered' "after the others close, a new connection is served"

# --- IPv6 ---------------------------------------------------------------------------------
if [ -n "$V6" ]; then
    is "$(dig_q ::1 "$RD_PORT" +short www.example.test AAAA)" 2001:db8::1 "IPv6 listener (::1): UDP"
    is "$(dig_q ::1 "$RD_PORT" +tcp +short mail.example.test A)" 192.0.2.25 "IPv6 listener (::1): TCP"
else
    skip "no ::1 here" "IPv6 listener (::1): UDP"
    skip "no ::1 here" "IPv6 listener (::1): TCP"
fi

rd_alive; ok $? "resolverd still running after the malformed packets"
stop_resolverd
done_testing
