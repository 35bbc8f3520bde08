#!/usr/bin/env bash
# 39-prefetch-cachedb.t -- a prefetch asks the upstream, never the shared cache: with
# `cachedb redis` on, the value in Redis is the very answer about to expire, so a refresh
# answered from it would refresh nothing (and come back due at once). One resolverd with
# prefetch and cachedb, a real redis-server and one NSD (its own query counter); the clock
# moves with libfaketime: a 10 s answer hit twice, then once 9.5 s in, is refreshed from NSD.
source "$(dirname "$0")/lib.sh"

command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    bail "redis-server and redis-cli are needed (make deps)"
fake_clock_on || { echo "1..0 # SKIP libfaketime is not installed (Debian faketime)"; exit 0; }

NSD_A=127.53.39.1
RD_ADDR=127.53.39.2
REDIS_A=127.53.39.9
NP=$(pick_port $NSD_A) && RD_PORT=$(pick_port $RD_ADDR) && RP=$(pick_port $REDIS_A) ||
    bail "no port"
CTL="$T/control.sock"

REDIS_ADDR=$REDIS_A REDIS_PORT=$RP
start_redis; ok $? "redis-server started on $REDIS_A:$RP" || bail "no redis"

cat >"$T/pf.test.zone" <<'EOF'
$ORIGIN pf.test.
$TTL 3600
@     IN SOA ns1 hostmaster 1 3600 600 86400 300
      IN NS  ns1
ns1   IN A   192.0.2.53
ten   10 IN A 192.0.2.10
EOF
NSD_CTL=1 start_nsd $NSD_A "$NP" "pf.test=$T/pf.test.zone" || bail "nsd did not start"

write_conf "$T/resolver.conf" "listen $RD_ADDR $RD_PORT" "forward . $NSD_A@$NP" "threads 1" \
    "prefetch yes" "cachedb redis $REDIS_A:$RP" "cachedb-secret e2e-secret-39" \
    "cachedb-prefix e2e39:" "cachedb-timeout 200" "control $CTL" "log-level debug"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"
cachedb_ready() { grep -q 'cachedb: .*: ready$' "$RD_LOG"; }
wait_until 10 cachedb_ready; ok $? "resolverd is connected to Redis"
idle() { [ "$(stat_get mesh.outstanding)" = 0 ]; }
stored() { [ "$(stat_get cachedb.stores)" -ge 1 ]; }

n0=$(nsd_queries) m0=$(stat_get cache.misses)   # start_resolverd's probe is counted
fake_clock_at 0
is "$(dig_section "$(rq ten.pf.test A)" ANSWER | awk '{print $5}')" 192.0.2.10 "the first query is answered"
wait_until 5 stored; ok $? "... and the answer is written to Redis"
fake_clock_at 1; rq ten.pf.test A >/dev/null
fake_clock_at 2; rq ten.pf.test A >/dev/null
is "$(( $(nsd_queries) - n0 ))" 1 "two more hits ask nothing upstream (NSD asked once)"

fake_clock_at 9.5
out=$(rq ten.pf.test A)
is "$(dig_ttl "$out")" 1 "9.5 s into the 10 s TTL the client gets the cached answer (TTL 1)"
wait_until 5 idle; ok $? "the refresh ends"
is "$(stat_get prefetch.started)" 1 "one prefetch started"
is "$(stat_get cachedb.hits)" 0 "... not answered from Redis (cachedb.hits 0)"
is "$(( $(nsd_queries) - n0 ))" 2 "... but by NSD (asked a second time)"

fake_clock_at 12
out=$(rq ten.pf.test A)
cmp_ok "$(dig_ttl "$out")" -ge 5 "after the old answer's expiry the refreshed one is served ($(dig_ttl "$out") s left)"
is "$(( $(stat_get cache.misses) - m0 ))" 1 "... from the cache: only the first query ever missed"

stop_resolverd
done_testing
