#!/usr/bin/env bash
# 41-tcp-reuse.t -- upstream TCP connections are reused and pipelined (resolver/tcppool.c).
# An upstream that answers UDP with TC=1 only (tcdns.pl, as an RRL slip) makes every
# resolution go on over TCP: many questions, one after another and a burst at once, must
# all be answered over far fewer connections than questions; an idle connection is closed
# after a while; and when the server closes each connection after one answer (a
# per-connection query limit), every question is still answered.
source "$(dirname "$0")/lib.sh"

UP=127.53.41.1
UP2=127.53.41.3
RD_ADDR=127.53.41.2
UP_PORT=$(pick_port $UP) && UP2_PORT=$(pick_port $UP2) && RD_PORT=$(pick_port $RD_ADDR) ||
    bail "no port"
UPLOG="$T/tcdns.log" UP2LOG="$T/tcdns-maxq1.log"
CTL="$T/control.sock"
SEQ=20 BURST=200

bg_start perl "$E2E_DIR/tcdns.pl" $UP "$UP_PORT" "$UPLOG"
bg_start perl "$E2E_DIR/tcdns.pl" $UP2 "$UP2_PORT" "$UP2LOG" 1
wait_until 5 test -e "$UPLOG" || bail "tcdns.pl did not start"
wait_until 5 test -e "$UP2LOG" || bail "tcdns.pl (MAXQ 1) did not start"
write_conf "$T/resolver.conf" \
    "listen $RD_ADDR $RD_PORT" \
    "threads 1" \
    "forward . $UP@$UP_PORT" \
    "forward closing.test $UP2@$UP2_PORT" \
    "upstream-timeout 2000" \
    "control $CTL"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"

count() { grep -c "^$1" "$2"; }
base=$(count tcp "$UPLOG")     # start_resolverd's readiness probe went upstream too

# --- one question after another: one connection, kept open ----------------------------------
answered=0
for i in $(seq 1 $SEQ); do
    out=$(rq "seq$i.reuse.test" A)
    [ "$(dig_section "$out" ANSWER | awk '{print $5}')" = 192.0.2.77 ] && answered=$((answered + 1))
done
is "$answered" $SEQ "$SEQ questions one after another, each answered over TCP after TC=1"
is "$(( $(count tcp "$UPLOG") - base ))" $SEQ "... the upstream saw $SEQ TCP queries"
accepts=$(count accept "$UPLOG")
cmp_ok "$accepts" -lt $SEQ "... on fewer connections than questions ($accepts)"
cmp_ok "$accepts" -le 2 "... one connection reused (at most 2, should the machine stall past the idle time)"

# --- a burst at once: pipelined on a few connections ----------------------------------------
seq 1 $BURST | sed 's/^/burst/; s/$/.reuse.test/' >"$T/names"
before=$accepts
out=$(perl "$E2E_DIR/loadcheck.pl" $RD_ADDR "$RD_PORT" udp $BURST 20 "@$T/names")
diag "burst: $out"
like "$out" "sent=$BURST answered=$BURST mismatched=0 wronganswer=0 unanswered=0 noerror=$BURST" \
    "a burst of $BURST questions: every one answered"
burst_conns=$(( $(count accept "$UPLOG") - before ))
# tcppool.h: TCPPOOL_PER_SERVER connections to one server per thread
cmp_ok "$burst_conns" -le 4 "... over at most 4 new connections ($burst_conns), queries pipelined"
is "$(( $(count tcp "$UPLOG") - base ))" $((SEQ + BURST)) "... the upstream saw each over TCP once"
is "$(stat_get upstream.tcp_connections)" "$(count accept "$UPLOG")" \
    "upstream.tcp_connections counts the connections the upstream accepted"

# --- idle connections close -----------------------------------------------------------------
all_closed() { [ "$(count close "$UPLOG")" = "$(count accept "$UPLOG")" ]; }
wait_until 10 all_closed
ok $? "idle connections are closed by resolverd ($(count close "$UPLOG") of $(count accept "$UPLOG"))"

# --- a server that closes each connection after one answer ----------------------------------
answered=0
for i in $(seq 1 10); do
    out=$(rq "q$i.closing.test" A)
    [ "$(dig_section "$out" ANSWER | awk '{print $5}')" = 192.0.2.77 ] && answered=$((answered + 1))
done
is "$answered" 10 "a server closing every connection after one answer: all 10 answered"
is "$(count server-close "$UP2LOG")" "$(count accept "$UP2LOG")" "... it closed each connection it opened"
is "$(stat_get rcode.SERVFAIL)" 0 "no SERVFAIL in the whole test"

stop_resolverd
done_testing
