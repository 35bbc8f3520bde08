#!/usr/bin/env bash
# 90-malformed.t -- hostile and broken client input, over UDP and TCP, to a resolverd that
# forwards to a local NSD: truncated headers, compression-pointer loops and wild pointers,
# over-long labels and names, wrong section counts, QR=1, broken OPT records, EDNS version 1
# (BADVERS), meta-types and other classes, the largest messages, zero-length frames, frames
# that lie about their length, slow-loris clients and more connections than the cap.
#
# Every malformed message is followed by a good "sentinel" query (dnsraw.pl mal): its reply
# proves the server is still serving and bounds the wait, so "no reply" is known without a
# fixed timeout. Each case is checked against what the code intends (wire.c wire_parse_query,
# request.c request_handle): a packet without a readable header or with QR=1 is dropped
# silently; a broken question or OPT, QDCOUNT != 1, or a count the packet cannot back is
# FORMERR; an opcode other than QUERY is NOTIMP; EDNS version > 0 is BADVERS; a meta-type
# question is FORMERR and a class other than IN is REFUSED, without any upstream query (the
# REFUSED and NOTIMP with EDNS say why: EDE 21 Not Supported). After
# each group, good UDP and TCP queries must still be answered correctly. The number of
# malformed packets sent is printed at the end.
source "$(dirname "$0")/lib.sh"

NSD_A=127.53.90.1
RD_ADDR=127.53.90.2
NP=$(pick_port $NSD_A) && RD_PORT=$(pick_port $RD_ADDR) || bail "no port"
CTL="$T/control.sock"
IDLE_MS=1500
CAP=6
MALFORMED=0     # malformed packets (messages, frames) sent so far

# the test zone plus a record of a type nobody knows, in RFC 3597 syntax
cp "$DATA/example.test.zone" "$T/example.test.zone"
printf 'unknown\tIN TYPE65280 \\# 4 0a0b0c0d\n' >>"$T/example.test.zone"
start_nsd $NSD_A "$NP" "$T/example.test.zone" || bail "nsd did not start"
write_conf "$T/resolver.conf" \
    "listen $RD_ADDR $RD_PORT" \
    "forward . $NSD_A@$NP" \
    "control $CTL" \
    "tcp-idle-timeout $IDLE_MS" \
    "tcp-max-connections $CAP"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"

# good LABEL: good queries are still answered correctly after a group (three tests): a cached
# answer over UDP, a new name forwarded over TCP, and one forwarded over UDP
_good_n=0
good() {
    _good_n=$((_good_n + 1))
    is "$(rq +short www.example.test A)" 192.0.2.1 "after $1: a good UDP query is answered (192.0.2.1)"
    is "$(rcode_of +tcp good$_good_n-tcp.example.test A)" NXDOMAIN "after $1: a good TCP query is forwarded and answered (NXDOMAIN)"
    is "$(dig_section "$(rq example.test MX)" ANSWER | awk '{print $5, $6}')" "10 mail.example.test." \
        "after $1: a good UDP query for another type is answered (MX)"
}

# ---- the expected outcome of every case of the catalogue -----------------------------------
# CASE  TOKENS: "noreply", or what the reply must show (idmatch=1 and qr=1 are always added).
# Over TCP, short0 is a zero-length frame: the server closes the connection (TCP_EXPECT).
R_FORMERR_NOQ='rcode=FORMERR qd=0 an=0 ns=0'          # FORMERR before the question was read
R_FORMERR_Q='rcode=FORMERR qd=1 qname=www.example.test. an=0 ns=0'
declare -A EXPECT TCP_EXPECT
for n in $(seq 0 11); do EXPECT[short$n]=noreply; done
TCP_EXPECT[short0]=noreply
EXPECT+=(
    [qr]=noreply
    [qd0]=$R_FORMERR_NOQ [qd0opt]=$R_FORMERR_NOQ [qd2]=$R_FORMERR_NOQ [qd2short]=$R_FORMERR_NOQ
    [qdmax]=$R_FORMERR_NOQ
    [opcode1]='rcode=NOTIMP opcode=1 qd=1' [opcode2]='rcode=NOTIMP opcode=2 qd=1'
    [opcode4]='rcode=NOTIMP opcode=4 qd=1' [opcode5]='rcode=NOTIMP opcode=5 qd=1'
    [opcode15]='rcode=NOTIMP opcode=15 qd=1'
    # TC=1 in a query means nothing; resolverd ignores it (Unbound answers FORMERR)
    [tcbit]='rcode=NOERROR tc=0 an=1' [zbit]='rcode=NOERROR an=1'
    [ptrself]=$R_FORMERR_NOQ [ptrloop]=$R_FORMERR_NOQ [ptrfwd]=$R_FORMERR_NOQ [ptroob]=$R_FORMERR_NOQ
    [ptrhdr]=$R_FORMERR_NOQ [ptrhalf]=$R_FORMERR_NOQ
    [label64]=$R_FORMERR_NOQ [label80]=$R_FORMERR_NOQ
    [label63]='rcode=NXDOMAIN qd=1 ns=1' [name255]='rcode=NXDOMAIN qd=1 ns=1'
    [name256]=$R_FORMERR_NOQ [name300]=$R_FORMERR_NOQ [noterm]=$R_FORMERR_NOQ
    [noqtype]=$R_FORMERR_NOQ [halfqtype]=$R_FORMERR_NOQ
    [trailing]='rcode=NOERROR qd=1 an=1'
    # records in the answer/authority sections of a query, and extra additional records, are
    # parsed (bounds-checked) and ignored when they parse (Unbound answers FORMERR to these)
    [an1]='rcode=NOERROR an=1 opt=0' [ns1]='rcode=NOERROR an=1 opt=0'
    [ar2]='rcode=NOERROR an=1 opt=1 ednsver=0' [arptrloop]='rcode=NOERROR an=1 opt=0'
    [anhuge]=$R_FORMERR_Q [nshuge]=$R_FORMERR_Q [arhuge]=$R_FORMERR_Q [allhuge]=$R_FORMERR_Q
    [rrrdlen]=$R_FORMERR_Q
    [optrdlen]="$R_FORMERR_Q opt=0" [optoptlen]="$R_FORMERR_Q opt=0" [optopthalf]="$R_FORMERR_Q opt=0"
    [opt2]=$R_FORMERR_Q [optan]="$R_FORMERR_Q opt=0" [optns]="$R_FORMERR_Q opt=0"
    [optowner]="$R_FORMERR_Q opt=0" [optownerptr]="$R_FORMERR_Q opt=0"
    [ednsv1]='rcode=BADVERS opt=1 ednsver=0 qd=1 an=0' [ednsv255]='rcode=BADVERS opt=1 ednsver=0 qd=1 an=0'
    [optsize0]='rcode=NOERROR opt=1 ednsver=0 an=1' [optunknown]='rcode=NOERROR opt=1 ednsver=0 an=1'
    [qtypeopt]=$R_FORMERR_Q [qtypetkey]=$R_FORMERR_Q [qtypetsig]=$R_FORMERR_Q
    [qtypemailb]=$R_FORMERR_Q [qtypemaila]=$R_FORMERR_Q [qtype128]=$R_FORMERR_Q [qtype248]=$R_FORMERR_Q
    [qtypeaxfr]='rcode=REFUSED qd=1' [qtypeixfr]='rcode=REFUSED qd=1' [qtype0]='rcode=NOERROR an=0 ns=1'
    [classch]='rcode=REFUSED qd=1 an=0' [classhs]='rcode=REFUSED qd=1 an=0'
    [classnone]='rcode=REFUSED qd=1 an=0' [classany]='rcode=REFUSED qd=1 an=0'
    [class65280]='rcode=REFUSED qd=1 an=0' [class0]='rcode=REFUSED qd=1 an=0'
    [big]='rcode=NOERROR an=1' [bigjunk]=$R_FORMERR_Q
    [fresh]='rcode=NXDOMAIN qd=1 an=0 ns=1'
)
declare -A DESC
while read -r c _ d; do DESC[$c]=$d; done < <(perl "$DNSRAW" mal list)
for c in "${!DESC[@]}"; do [ -n "${EXPECT[$c]:-}" ] || bail "case $c has no expectation"; done

# expect_of PROTO CASE: sets EXP to the tokens a line must carry (the sentinel's too)
expect_of() {
    EXP=${EXPECT[$2]}
    [ "$1" = tcp ] && [ -n "${TCP_EXPECT[$2]:-}" ] && EXP=${TCP_EXPECT[$2]}
    [ "$EXP" = noreply ] || EXP="reply idmatch=1 qr=1 $EXP"
    if [ "$1" = tcp ] && [ "$2" = short0 ]; then EXP+=" sentinel=closed"
    elif [ "$1" != pipe ]; then EXP+=" sentinel=NXDOMAIN"; fi
}
# line_matches LINE TOKENS: every token is a word of LINE
line_matches() { local l=" $1 " t; for t in $2; do [[ $l == *" $t "* ]] || return 1; done; }
# check PROTO OUTPUT: one test per case line; adds the malformed count
check() {
    local proto=$1 line c
    while read -r line; do
        if [[ $line == malformed=* ]]; then MALFORMED=$((MALFORMED + ${line#malformed=})); continue; fi
        c=${line%% *}
        expect_of "$proto" "$c"
        line_matches "$line" "$EXP"
        ok $? "$proto $c (${DESC[$c]}): $EXP" || diag "got: $line"
    done <<<"$2"
}
# group NAME CASE...: the cases over UDP, then each over its own TCP connection, then good()
group() {
    local name=$1 out n; shift
    for proto in udp tcp; do
        out=$(perl "$DNSRAW" mal "$RD_ADDR" "$RD_PORT" $proto example.test "$@" 2>&1)
        n=$(grep -c '^[a-z0-9]* \(reply\|noreply\)' <<<"$out")
        is "$n" "$#" "$name over $proto: a result line for each of the $# cases" || diag "$out"
        check $proto "$out"
    done
    rd_alive; ok $? "$name: resolverd is still running"
    good "$name"
}

tcp_open0() { [ "$(stat_get tcp.open)" = 0 ]; }

# ---- the good path first: unknown types pass through unchanged, other classes are refused ---
good "start"
nsd_out=$(nq unknown.example.test TYPE65280)
want=$(dig_section "$nsd_out" ANSWER | awk '{$2=""; print}')
is "$want" 'unknown.example.test.  IN TYPE65280 \# 4 0A0B0C0D' "NSD serves TYPE65280 with RFC 3597 data"
out=$(rq unknown.example.test TYPE65280)
is "$(dig_rcode "$out")" NOERROR "TYPE65280 through resolverd: NOERROR"
is "$(dig_section "$out" ANSWER | awk '{$2=""; print}')" "$want" "... and the record is returned unchanged"
hits0=$(stat_get cache.hits)
out=$(rq +tcp unknown.example.test TYPE65280)
is "$(dig_section "$out" ANSWER | awk '{$2=""; print}')" "$want" "... again over TCP, from the cache, unchanged"
cmp_ok "$(stat_get cache.hits)" -gt "$hits0" "... (it was a cache hit)"
is "$(rcode_of nothere.example.test TYPE65280)" NXDOMAIN "TYPE65280 of a name that does not exist: NXDOMAIN"
up0=$(stat_get upstream.queries)
is "$(rcode_ede_of -c CLASS65280 -t A www.example.test)" REFUSED/21 "class CLASS65280: REFUSED, EDE 21 (Not Supported)"
out=$(rq -c CH -t TXT version.bind)
is "$(dig_rcode "$out")/$(dig_ede "$out")" REFUSED/21 "class CH: REFUSED, EDE 21"
is "$(dig_ede_text "$out")" "only class IN is served" "... saying what is not supported"
is "$(rcode_ede_of -c ANY -t A www.example.test)" REFUSED/21 "class ANY: REFUSED, EDE 21"
out=$(rq +opcode=2 www.example.test A)
is "$(dig_rcode "$out")/$(dig_ede "$out")" NOTIMP/21 "opcode STATUS: NOTIMP, EDE 21"
is "$(dig_ede_text "$out")" "only opcode QUERY is served" "... saying what is not supported"
is "$(rcode_of -t TYPE41 www.example.test)" FORMERR "QTYPE OPT (a meta-type): FORMERR"
is "$(stat_get upstream.queries)" "$up0" "... none of them cost an upstream query"

# ---- the catalogue, group by group, over UDP and TCP ---------------------------------------
group "truncated headers" short0 short1 short2 short3 short4 short5 short6 short7 short8 short9 short10 short11
group "header fields" qr qd0 qd0opt qd2 qd2short qdmax opcode1 opcode2 opcode4 opcode5 opcode15 tcbit zbit
group "compression pointers" ptrself ptrloop ptrfwd ptroob ptrhdr ptrhalf arptrloop
group "labels and names" label64 label80 label63 name255 name256 name300 noterm noqtype halfqtype trailing
group "section counts" an1 ns1 anhuge nshuge arhuge allhuge ar2 rrrdlen
group "OPT records" optrdlen optoptlen optopthalf opt2 optan optns optowner optownerptr ednsv1 ednsv255 optsize0 optunknown
group "types and classes" qtypeopt qtypetkey qtypetsig qtypemailb qtypemaila qtype128 qtype248 qtypeaxfr qtypeixfr qtype0 classch classhs classnone classany class65280 class0
group "largest messages" big bigjunk fresh

# ---- all of it pipelined on one TCP connection: the framing must survive --------------------
cases=()
for c in $(perl "$DNSRAW" mal list | awk '{print $1}'); do [ "$c" = short0 ] || cases+=("$c"); done
out=$(perl "$DNSRAW" malpipe "$RD_ADDR" "$RD_PORT" example.test "${cases[@]}" 2>&1)
declare -A PIPE
while read -r c line; do PIPE[$c]=$line; done <<<"$out"
bad="" want_replies=1
for c in "${cases[@]}"; do
    expect_of pipe "$c"
    line_matches "${PIPE[$c]:-}" "$EXP" || bad+="$c: ${PIPE[$c]:-}"$'\n'
    [ "${EXPECT[$c]}" = noreply ] || want_replies=$((want_replies + 1))
done
is "$bad" "" "pipelined: ${#cases[@]} cases on one TCP connection, each answered as on its own connection"
last=$(tail -n1 <<<"$out")
like "$last" "^sentinel=NXDOMAIN replies=$want_replies " "pipelined: the good query after them is answered, and $want_replies replies in all ($last)"
MALFORMED=$((MALFORMED + $(sed -n 's/.* malformed=\([0-9]*\)$/\1/p' <<<"$last")))
# a zero-length frame right behind a query that is still being forwarded: the connection is
# closed at once, the late upstream answer finds it gone (no reply, no use-after-free: ASan)
res=$(perl "$DNSRAW" malpipe "$RD_ADDR" "$RD_PORT" example.test fresh short0 fresh 2>&1)
like "$(tail -n1 <<<"$res")" '^sentinel=closed ' "a zero-length frame behind forwarded queries: the server closes the connection ($(tail -n1 <<<"$res"))"
MALFORMED=$((MALFORMED + $(sed -n 's/.* malformed=\([0-9]*\)$/\1/p' <<<"$res")))
wait_until 5 tcp_open0; ok $? "... and it is gone (tcp.open=$(stat_get tcp.open))"
good "the pipeline"

# ---- TCP frames that lie about their length --------------------------------------------------
res=$(perl "$DNSRAW" tcplie "$RD_ADDR" "$RD_PORT" 300 20 half 5 2>&1); MALFORMED=$((MALFORMED + 1))
like "$res" '^eof=1 ' "a frame announcing 300 octets, 20 sent, then SHUT_WR: the server closes ($res)"
ms=$(sed -n 's/.*ms=\([0-9]*\).*/\1/p' <<<"$res")
cmp_ok "${ms:-99999}" -lt "$IDLE_MS" "... at once, not at the idle timeout (${ms} ms)"
like "$res" 'replies=0$' "... without a reply"
res=$(perl "$DNSRAW" tcplie "$RD_ADDR" "$RD_PORT" 65535 4000 half 5 2>&1); MALFORMED=$((MALFORMED + 1))
like "$res" '^eof=1 .*replies=0$' "a frame announcing 65535 octets, 4000 sent, then SHUT_WR: closed, no reply ($res)"
for i in 1 2 3; do
    perl "$DNSRAW" tcplie "$RD_ADDR" "$RD_PORT" 512 $((i * 7)) close 1 >/dev/null 2>&1
    MALFORMED=$((MALFORMED + 1))
done
wait_until 5 tcp_open0; ok $? "3 frames cut short by a full close: every connection is gone (tcp.open=$(stat_get tcp.open))"
good "lying frames"

# ---- slow-loris clients, several at once -----------------------------------------------------
LORIS=4
for i in $(seq 1 $LORIS); do
    bg_start perl "$DNSRAW" partial "$RD_ADDR" "$RD_PORT" 6 150 >"$T/loris.$i" 2>&1
    loris_pids+=("$BG_PID")
    MALFORMED=$((MALFORMED + 1))
done
loris_connected() { [ "$(stat_get tcp.open)" -ge $LORIS ] 2>/dev/null; }
wait_until 5 loris_connected; ok $? "$LORIS slow-loris clients connected (tcp.open=$(stat_get tcp.open))"
t0=$(now_ms)
is "$(rq +short www.example.test A)" 192.0.2.1 "while they trickle: a UDP query is answered"
is "$(rq +tcp +short mail.example.test A)" 192.0.2.25 "while they trickle: a TCP query is answered"
el=$(( $(now_ms) - t0 ))
cmp_ok "$el" -lt 1000 "... both promptly (${el} ms)"
loris_done() { local p; for p in "${loris_pids[@]}"; do process_gone "$p" || return 1; done; }
wait_until 10 loris_done; ok $? "every slow-loris client finished"
closed=0 late=0
for i in $(seq 1 $LORIS); do
    r=$(cat "$T/loris.$i"); ms=$(sed -n 's/^closed ms=\([0-9]*\).*/\1/p' <<<"$r")
    [ -n "$ms" ] && closed=$((closed + 1))
    [ -n "$ms" ] && [ "$ms" -gt $((IDLE_MS + 1500)) ] && late=$((late + 1))
done
is "$closed" $LORIS "the server closed all $LORIS slow-loris connections, though bytes kept coming ($(cat "$T"/loris.* | tr '\n' ' '))"
is "$late" 0 "... each within the idle timeout ($IDLE_MS ms) plus 1.5 s"
for p in "${loris_pids[@]}"; do bg_stop "$p"; done
good "slow-loris clients"

# ---- more TCP connections than tcp-max-connections -------------------------------------------
refused0=$(stat_get tcp.refused_cap)
res=$(perl "$DNSRAW" tcpcap "$RD_ADDR" "$RD_PORT" $CAP www.example.test 2>&1)
is "$(grep -c '^held[0-9]*=answered$' <<<"$res")" $CAP "$CAP connections (the cap) held, each answered"
like "$res" 'extra=(closed|refused)' "connection $((CAP + 1)) is turned away ($(grep extra= <<<"$res"))"
like "$res" 'after=answered' "after they close, a new connection is answered"
cmp_ok "$(stat_get tcp.refused_cap)" -gt "$refused0" "stats: tcp.refused_cap counts it ($(stat_get tcp.refused_cap))"
# the cap filled by clients that connect and never send a byte: turned away until the idle
# timeout frees the slots, then served again
mkdir -p "$T/holdcap"
open0=$(stat_get tcp.open)
perl "$DNSRAW" tcpholdcap "$RD_ADDR" "$RD_PORT" $CAP 5 www.example.test "$T/holdcap" >"$T/holdcap.out" 2>&1 &
holdcap=$!
wait_until 10 test -e "$T/holdcap/held"
_all_accepted() { [ "$(stat_get tcp.open)" -ge $((open0 + CAP)) ]; }
wait_until 10 _all_accepted; ok $? "the server accepted all $CAP silent connections (tcp.open)"
touch "$T/holdcap/go"
wait "$holdcap"
res=$(cat "$T/holdcap.out")
like "$res" 'extra=(closed|refused)' "$CAP silent connections fill the cap: the next one is turned away"
like "$res" "idle_closed=$CAP " "... the server closes all $CAP silent ones ($(grep idle_closed <<<"$res"))"
ms=$(sed -n 's/^idle_closed=[0-9]* ms=\([0-9]*\)/\1/p' <<<"$res")
cmp_ok "${ms:-99999}" -le $((IDLE_MS + 1500)) "... within the idle timeout plus 1.5 s (${ms} ms)"
like "$res" 'after=answered' "... and then a new connection is answered"
good "the connection cap"

# ---- what the server counted, and a clean exit -------------------------------------------------
cmp_ok "$(stat_get queries.dropped)" -ge 24 "stats: queries.dropped counts the silent drops ($(stat_get queries.dropped))"
cmp_ok "$(stat_get rcode.FORMERR)" -ge 100 "stats: rcode.FORMERR counts the FORMERR replies ($(stat_get rcode.FORMERR))"
wait_until 5 tcp_open0; ok $? "no client TCP connection left open (tcp.open=$(stat_get tcp.open))"
diag "malformed packets sent: $MALFORMED"
cmp_ok "$MALFORMED" -ge 200 "the suite sent at least 200 malformed packets ($MALFORMED)"
stop_resolverd
done_testing
