#!/usr/bin/env bash
# 88-limits.t -- the resource caps: `ratelimit` (a burst from one /24 is cut to about QPS
# answers a second, a few TC=1 slips, the rest dropped; another prefix and TCP are not
# affected), `max-outstanding` (when full, the oldest resolution is dropped with SERVFAIL
# and the new question goes ahead; both SERVFAILs name the limit in an EDE),
# `max-clients-per-query` (the client over it gets SERVFAIL naming it), and a cache-busting
# flood of unique names keeps the cache within cache-size while evicting.
source "$(dirname "$0")/lib.sh"

UP=127.53.88.1
RD_ADDR=127.53.88.2
UP_PORT=$(pick_port $UP) && RD_PORT=$(pick_port $RD_ADDR) || bail "no port"
CTL="$T/control.sock"
printf '192.0.2.88 rl.test\n' >"$T/hosts"

# --- ratelimit ---------------------------------------------------------------------------
write_conf "$T/rl.conf" "listen $RD_ADDR $RD_PORT" "hosts $T/hosts" "control $CTL" \
    "ratelimit 10" "allow 127.0.0.0/8"
start_resolverd "$T/rl.conf" || bail "resolverd did not start"
# start_resolverd's readiness probe came from another address; the burst uses 127.53.89.9
out=$(perl "$E2E_DIR/burst.pl" 127.53.89.9 $RD_ADDR $RD_PORT rl.test 200 700)
diag "burst of 200 from 127.53.89.0/24 with ratelimit 10: $out"
answered=$(sed -n 's/.*answered=\([0-9]*\).*/\1/p' <<<"$out")
tc=$(sed -n 's/.*tc=\([0-9]*\).*/\1/p' <<<"$out")
cmp_ok "${answered:-999}" -le 30 "at most ~10 answers a second reach the prefix ($answered of 200)"
cmp_ok "${answered:-0}" -ge 10 "... but the first 10 are answered"
cmp_ok "${tc:-0}" -ge 20 "every other query over the limit gets TC=1 ($tc)"
cmp_ok "$(( answered + tc ))" -lt 200 "the rest are dropped"
is "$(stat_get ratelimit.dropped)" "$((200 - answered - tc))" "stats: ratelimit.dropped counts them"
cmp_ok "$(stat_get ratelimit.slipped)" -ge 20 "stats: ratelimit.slipped"
other=$(perl "$E2E_DIR/burst.pl" 127.53.90.9 $RD_ADDR $RD_PORT rl.test 5 500)
like "$other" 'answered=5 tc=0' "another /24 is answered in full meanwhile"
r=$(dig @$RD_ADDR -p $RD_PORT -b 127.53.89.9 +tcp +tries=1 +time=2 rl.test A)
is "$(dig_section "$r" ANSWER | awk '{print $5}')" 192.0.2.88 "TCP from the limited prefix is answered"
like "$(stat_get limit.ratelimit)" '^10$' "stats: limit.ratelimit=10"
stop_resolverd

# --- max-outstanding: the oldest resolution makes room --------------------------------------
bg_start perl "$E2E_DIR/slowdns.pl" $UP "$UP_PORT" 2500 "$T/slow.log"
wait_until 5 test -e "$T/slow.log" || bail "slowdns did not start"
write_conf "$T/mo.conf" "listen $RD_ADDR $RD_PORT" "forward . $UP@$UP_PORT" "control $CTL" \
    "threads 1" "max-outstanding 3" "upstream-timeout 5000" "jostle-timeout 1"
start_resolverd "$T/mo.conf" || bail "resolverd did not start"
logged_at_least() { [ "$(wc -l <"$T/slow.log")" -ge "$1" ]; }   # slowdns logs a line a query
# start_resolverd's readiness probe went upstream too: count from what is logged now, so
# that q1 is surely in flight (and the oldest) before q2 is sent
base=$(wc -l <"$T/slow.log")
t0=$(now_ms)
digs=()
for i in 1 2 3; do
    dig @$RD_ADDR -p $RD_PORT +tries=1 +time=6 "q$i.slow.test" A >"$T/q$i.out" 2>&1 &
    digs+=($!)
    wait_until 5 logged_at_least $((base + i)) || diag "q$i did not reach the upstream"
done
dig @$RD_ADDR -p $RD_PORT +tries=1 +time=6 q4.slow.test A >"$T/q4.out" 2>&1 &
q4=$!
first_done() { grep -q 'status:' "$T/q1.out"; }
wait_until 2 first_done; ok $? "a fourth question: the oldest of the three in flight ends at once"
is "$(dig_rcode "$(cat "$T/q1.out")")" SERVFAIL "... with SERVFAIL ($(( $(now_ms) - t0 )) ms after the first was asked)"
is "$(dig_ede "$(cat "$T/q1.out")"): $(dig_ede_text "$(cat "$T/q1.out")")" \
    "0: dropped to make room for newer questions (max-outstanding)" "... saying why: EDE 0 naming the limit"
wait "$q4"
is "$(dig_section "$(cat "$T/q4.out")" ANSWER | awk '{print $5}')" 192.0.2.77 "the new question is answered"
wait "${digs[@]}"
is "$(dig_rcode "$(cat "$T/q2.out")")/$(dig_rcode "$(cat "$T/q3.out")")" NOERROR/NOERROR "the other two finish normally"
is "$(stat_get mesh.dropped)" 1 "stats: mesh.dropped=1"
is "$(stat_get limit.max_outstanding)" 3 "stats: limit.max_outstanding=3"
stop_resolverd

# ... but only a resolution older than jostle-timeout makes room: young ones are kept and the
# newcomer gets SERVFAIL (at a high rate, dropping young ones would let none finish)
: >"$T/slow.log"
write_conf "$T/mo2.conf" "listen $RD_ADDR $RD_PORT" "forward . $UP@$UP_PORT" "control $CTL" \
    "threads 1" "max-outstanding 3" "upstream-timeout 5000" "jostle-timeout 5000"
start_resolverd "$T/mo2.conf" || bail "resolverd did not start"
digs=()
for i in 1 2 3; do
    dig @$RD_ADDR -p $RD_PORT +tries=1 +time=6 "y$i.slow.test" A >"$T/y$i.out" 2>&1 &
    digs+=($!)
    wait_until 5 logged_at_least $((i + 1)) || diag "y$i did not reach the upstream"
done
t0=$(now_ms)
out=$(rq y4.slow.test A)
is "$(dig_rcode "$out")" SERVFAIL "all three in flight are young: the fourth question gets SERVFAIL ($(( $(now_ms) - t0 )) ms)"
is "$(dig_ede "$out"): $(dig_ede_text "$out")" "0: too many questions in flight (max-outstanding)" \
    "... saying why: EDE 0 naming the limit"
wait "${digs[@]}"
is "$(dig_rcode "$(cat "$T/y1.out")")/$(dig_rcode "$(cat "$T/y2.out")")/$(dig_rcode "$(cat "$T/y3.out")")" \
    NOERROR/NOERROR/NOERROR "... and the three finish normally"
is "$(stat_get mesh.dropped)/$(stat_get mesh.refused)" 0/1 "stats: nothing dropped, one refused"
stop_resolverd

# --- max-clients-per-query: a client beyond the cap gets SERVFAIL at once, naming the limit --
: >"$T/slow.log"
write_conf "$T/mc.conf" "listen $RD_ADDR $RD_PORT" "forward . $UP@$UP_PORT" "control $CTL" \
    "threads 1" "max-clients-per-query 1" "upstream-timeout 5000"
start_resolverd "$T/mc.conf" || bail "resolverd did not start"
dig @$RD_ADDR -p $RD_PORT +tries=1 +time=6 z1.slow.test A >"$T/z1.out" 2>&1 &
zpid=$!
wait_until 5 logged_at_least 2 || diag "z1 did not reach the upstream"
out=$(rq z1.slow.test A)
is "$(dig_rcode "$out")/$(dig_ede "$out"): $(dig_ede_text "$out")" \
    "SERVFAIL/0: too many clients waiting for this name (max-clients-per-query)" \
    "max-clients-per-query 1: a second client asking the same gets SERVFAIL, EDE 0 naming the limit"
wait "$zpid"
is "$(dig_rcode "$(cat "$T/z1.out")")" NOERROR "... while the first one gets its answer"
stop_resolverd
bg_stop "$BG_PID"

# --- a cache-busting flood stays within cache-size -------------------------------------------
bg_start perl "$E2E_DIR/slowdns.pl" $UP "$UP_PORT" 0 "$T/fast.log"
wait_until 5 test -e "$T/fast.log" || bail "slowdns did not start"
write_conf "$T/cb.conf" "listen $RD_ADDR $RD_PORT" "forward . $UP@$UP_PORT" "control $CTL" \
    "cache-size 1M"
start_resolverd "$T/cb.conf" || bail "resolverd did not start"
for i in $(seq 1 12000); do echo "u$i.bust.test"; done >"$T/bust.names"
out=$(perl "$E2E_DIR/loadcheck.pl" $RD_ADDR $RD_PORT udp 12000 90 "@$T/bust.names")
diag "flood of unique names: $out"
like "$out" 'unanswered=0 noerror=12000' "12000 queries for 12000 unique names all answered"
bytes=$(stat_get cache.bytes)
cmp_ok "$bytes" -le $(( 1048576 * 3 / 4 )) "the answer cache stays within its share of cache-size 1M ($bytes bytes)"
cmp_ok "$(stat_get cache.evictions)" -gt 0 "... by evicting ($(stat_get cache.evictions) evictions)"
is "$(dig_section "$(rq u1.bust.test A)" ANSWER | awk '{print $5}')" 192.0.2.77 "still answering"
stop_resolverd

done_testing
