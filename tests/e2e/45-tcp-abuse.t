#!/usr/bin/env bash
# 45-tcp-abuse.t -- TCP clients that misbehave cannot hurt the others: a client that
# pipelines queries for a large answer and never reads is stopped by back-pressure (other
# clients are still answered at once, memory stays bounded) and closed after the idle
# timeout; a partial frame, even one trickled byte by byte (slow loris), does not keep a
# connection open; a client that half-closes after its queries still gets every reply,
# including the late forwarded ones, before the server closes.
source "$(dirname "$0")/lib.sh"

UP=127.53.45.1
RD_ADDR=127.53.45.2
UP_PORT=$(pick_port $UP) && RD_PORT=$(pick_port $RD_ADDR) || bail "no port"
UPLOG="$T/upstream.log"
CTL="$T/control.sock"
IDLE_MS=1000
CAP=4
UP_DELAY_MS=300
RSS_LIMIT_KB=$((200 * 1024))

# names under example.test come from the local zone (big: ~3 KB of TXT); everything else
# goes to a scripted upstream that answers after UP_DELAY_MS
bg_start perl "$E2E_DIR/slowdns.pl" $UP "$UP_PORT" $UP_DELAY_MS "$UPLOG"
wait_until 5 test -e "$UPLOG" || bail "slow upstream did not start"
write_conf "$T/resolver.conf" \
    "listen $RD_ADDR $RD_PORT" \
    "zone example.test. $DATA/example.test.zone" \
    "forward . $UP@$UP_PORT" \
    "upstream-timeout 3000" \
    "control $CTL" \
    "tcp-idle-timeout $IDLE_MS" \
    "tcp-max-connections $CAP"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"

rss_kb() { awk '$1 == "VmRSS:" {print $2}' "/proc/$RD_PID/status" 2>/dev/null; }
is "$(rq +tcp +short big.example.test TXT | grep -c big-)" 30 "the local zone's big TXT RRset (30 records) over TCP"
rss0=$(rss_kb)
diag "resolverd RSS at start: ${rss0} kB"

# --- a) a client that pipelines and never reads ----------------------------------------------
FLOODLOG="$T/flood.log"
bg_start perl "$DNSRAW" flood "$RD_ADDR" "$RD_PORT" big.example.test/TXT 2000 8 "$FLOODLOG" >"$T/flood.out" 2>&1
FLOOD_PID=$BG_PID
flood_frames() { sed -n 's/^progress frames=\([0-9]*\).*/\1/p' "$FLOODLOG" 2>/dev/null | tail -n1; }
flooding() { [ "$(flood_frames)" -ge 2000 ] 2>/dev/null; }
wait_until 5 flooding
ok $? "the flooding client wrote 2000 pipelined queries for the big TXT ($(flood_frames) so far)"

# while it floods, other clients are answered at once
t0=$(now_ms)
out=$(rq www.example.test A)
el=$(( $(now_ms) - t0 ))
is "$(dig_section "$out" ANSWER | awk '{print $5}')" 192.0.2.1 "during the flood a UDP query is answered"
cmp_ok "$el" -le 2000 "... promptly ($el ms)"
t0=$(now_ms)
out=$(rq +tcp mail.example.test A)
el=$(( $(now_ms) - t0 ))
is "$(dig_section "$out" ANSWER | awk '{print $5}')" 192.0.2.25 "during the flood a TCP query on another connection is answered"
cmp_ok "$el" -le 2000 "... promptly ($el ms)"
process_gone "$FLOOD_PID"; isnt $? 0 "... while the flooding connection was still writing"

# memory stays bounded while the flood lasts: sample RSS until the flooder ends; stop the
# flooder ourselves (failing) if RSS passes the limit, so a regression cannot eat the box
max_rss=0
watch_flood() {
    local r; r=$(rss_kb)
    [ -n "$r" ] && [ "$r" -gt "$max_rss" ] && max_rss=$r
    if [ "$max_rss" -gt "$RSS_LIMIT_KB" ]; then bg_stop "$FLOOD_PID"; return 0; fi
    process_gone "$FLOOD_PID"
}
wait_until 12 watch_flood
cmp_ok "$max_rss" -le "$RSS_LIMIT_KB" "resolverd's RSS stayed under $((RSS_LIMIT_KB / 1024)) MB during the flood (peak ${max_rss} kB)"
bg_stop "$FLOOD_PID"
res=$(cat "$T/flood.out")
[ -n "$res" ] || diag "the flooder was stopped by the test (RSS over the limit) before it saw the connection close"
like "$res" '^closed ' "the server closed the flooding connection ($res)"
ms=$(sed -n 's/^closed ms=\([0-9]*\).*/\1/p' <<<"$res")
cmp_ok "${ms:-99999}" -le $((IDLE_MS + 3000)) "... within the idle timeout ($IDLE_MS ms) plus 3 s of connecting (${ms} ms)"
rd_alive; ok $? "resolverd still running after the flood"
is "$(rq +tcp +short www.example.test A)" 192.0.2.1 "after the flood a TCP query is answered"

# --- b) partial frames ------------------------------------------------------------------------
res=$(perl "$DNSRAW" partial "$RD_ADDR" "$RD_PORT" 5 2>&1)
ms=$(sed -n 's/^closed ms=\([0-9]*\).*/\1/p' <<<"$res")
like "$res" '^closed ' "1 byte of a frame, then nothing: the server closes the connection ($res)"
cmp_ok "${ms:-0}" -ge $((IDLE_MS / 2)) "... not before about the idle timeout"
cmp_ok "${ms:-99999}" -le $((IDLE_MS + 1500)) "... and soon after it"
# a slow loris: one more byte of the frame every 200 ms, the frame never complete
res=$(perl "$DNSRAW" partial "$RD_ADDR" "$RD_PORT" 5 200 2>&1)
ms=$(sed -n 's/^closed ms=\([0-9]*\).*/\1/p' <<<"$res")
like "$res" '^closed ' "a frame trickled byte by byte (every 200 ms): the server closes the connection ($res)"
cmp_ok "${ms:-0}" -ge $((IDLE_MS / 2)) "... not before about the idle timeout"
cmp_ok "${ms:-99999}" -le $((IDLE_MS + 1500)) "... and soon after it, though bytes keep coming"

# --- c) half-close: queries, then SHUT_WR, then read ------------------------------------------
names=(hc1.fwd.test hc2.fwd.test hc3.fwd.test hc4.fwd.test hc5.fwd.test www.example.test big.example.test/TXT)
res=$(perl "$DNSRAW" halfclose "$RD_ADDR" "$RD_PORT" 6 "${names[@]}" 2>&1)
is "$(grep -c '^reply .* match=1 ' <<<"$res")" "${#names[@]}" "half-closed after ${#names[@]} queries: every reply arrives, IDs and names matching" || diag "$res"
is "$(grep -c '^reply .*qname=hc[0-9]\.fwd\.test\. rcode=NOERROR an=1$' <<<"$res")" 5 "... the 5 forwarded answers (upstream delay $UP_DELAY_MS ms) among them"
like "$res" "replies=${#names[@]} sent=${#names[@]} eof=1 " "... and only then the server closes the connection ($(tail -n1 <<<"$res"))"

# --- d) it survived -------------------------------------------------------------------------
is "$(rq +short www.example.test A)" 192.0.2.1 "resolverd answers after all of it"
cmp_ok "$(stat_get tcp.open)" -eq 0 "stats: no client TCP connection left open ($(stat_get tcp.open))"
stop_resolverd
done_testing
