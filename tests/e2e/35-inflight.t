#!/usr/bin/env bash
# 35-inflight.t -- identical questions in flight go upstream once: a burst of clients asking
# the same uncached name while a (slow) upstream takes its time are all answered from one
# upstream query; a different name is a query of its own.
source "$(dirname "$0")/lib.sh"

UP=127.53.35.1
RD_ADDR=127.53.35.2
UP_PORT=$(pick_port $UP) && RD_PORT=$(pick_port $RD_ADDR) || bail "no port"
UPLOG="$T/upstream.log"
CTL="$T/control.sock"

bg_start perl "$E2E_DIR/slowdns.pl" $UP "$UP_PORT" 700 "$UPLOG"
wait_until 5 test -e "$UPLOG" || bail "slow upstream did not start"
write_conf "$T/resolver.conf" \
    "listen $RD_ADDR $RD_PORT" \
    "forward . $UP@$UP_PORT" \
    "upstream-timeout 3000" \
    "control $CTL"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"
base=$(wc -l <"$UPLOG")

# 20 clients at once, each with its own ID and case
pids=()
for i in $(seq 1 20); do
    name=burst.example.test
    [ $((i % 2)) = 0 ] && name=BURST.Example.TEST
    dig @"$RD_ADDR" -p "$RD_PORT" +tries=1 +time=4 "$name" A >"$T/dig.$i" 2>&1 &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

answered=0; cased=0
for i in $(seq 1 20); do
    out=$(cat "$T/dig.$i")
    [ "$(dig_rcode "$out")" = NOERROR ] && [ "$(dig_section "$out" ANSWER | awk '{print $5}')" = 192.0.2.77 ] && answered=$((answered + 1))
    [ $((i % 2)) = 0 ] && [[ "$(dig_section "$out" QUESTION)" == *";BURST.Example.TEST."* ]] && cased=$((cased + 1))
done
is "$answered" 20 "all 20 clients of the burst got the answer"
is "$cased" 10 "each got the question back in its own case"
is "$(( $(wc -l <"$UPLOG") - base ))" 1 "the burst cost exactly one upstream query"
cmp_ok "$(stat_get mesh.joined)" -ge 1 "stats: clients joined a resolution in flight ($(stat_get mesh.joined))"

# the answer is now cached: no new upstream query
out=$(rq burst.example.test A)
is "$(dig_section "$out" ANSWER | awk '{print $5}')" 192.0.2.77 "asked again: answered"
is "$(( $(wc -l <"$UPLOG") - base ))" 1 "... from the cache (still one upstream query)"

# a different name is a resolution of its own
out=$(rq other.example.test A)
is "$(( $(wc -l <"$UPLOG") - base ))" 2 "another name: one more upstream query"

stop_resolverd
done_testing
