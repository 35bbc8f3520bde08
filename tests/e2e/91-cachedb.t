#!/usr/bin/env bash
# 91-cachedb.t -- the shared cache (`cachedb redis`): three resolverd instances forwarding to
# one NSD share a real redis-server started here (own config, port and directory, stopped by
# PID). A name resolved through one is a Redis hit on the other two with no further query at
# NSD (its own counters, nsd-control); `flush NAME` on one makes all three miss; a value
# corrupted by hand is refused and counted; Redis killed under load costs no client more than
# cachedb-timeout plus the resolution, gives no wrong answer, and is used again once back;
# an instance whose Redis is down (or silent) from the start answers as without cachedb,
# after at most one timeout per worker thread.
source "$(dirname "$0")/lib.sh"

command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    bail "redis-server and redis-cli are needed (make deps)"

NSD_A=127.53.91.1
REDIS_A=127.53.91.9
SECRET=e2e-secret-85
PREFIX=e2e85:
TIMEOUT_MS=200
NP=$(pick_port $NSD_A) && RP=$(pick_port $REDIS_A) || bail "no port"

REDIS_ADDR=$REDIS_A REDIS_PORT=$RP     # for lib.sh's start_redis, stop_redis, rcli

start_redis; ok $? "redis-server started on $REDIS_A:$RP" || bail "no redis"
NSD_CTL=1 start_nsd $NSD_A "$NP" "$DATA/example.test.zone" || bail "nsd did not start"

# --- three instances --------------------------------------------------------------------
declare -a PIDS LOGS ADDRS PORTS CTLS
conf_for() {        # conf_for N REDIS-LINE: instance N's config
    write_conf "$T/rd$1.conf" \
        "listen 127.53.91.1$1 ${PORTS[$1]}" \
        "forward . $NSD_A@$NP" \
        "control $T/ctl$1" \
        "threads 2" \
        "upstream-timeout 1000" \
        "$2" \
        "cachedb-secret $SECRET" \
        "cachedb-prefix $PREFIX" \
        "cachedb-timeout $TIMEOUT_MS" \
        "log-level debug"
}
use() { RD_ADDR=${ADDRS[$1]} RD_PORT=${PORTS[$1]} CTL=${CTLS[$1]} RD_PID=${PIDS[$1]} RD_LOG=${LOGS[$1]}; }
launch() {          # launch N REDIS-LINE
    ADDRS[$1]=127.53.91.1$1
    PORTS[$1]=${PORTS[$1]:-$(pick_port 127.53.91.1$1)} || bail "no port"
    CTLS[$1]=$T/ctl$1
    conf_for "$1" "$2"
    start_resolverd "$T/rd$1.conf" || bail "resolverd $1 did not start"
    PIDS[$1]=$RD_PID LOGS[$1]=$RD_LOG
    _bg_pids+=("$RD_PID")       # stopped at exit even when a test bails
}
ready_all() { local i; for i in 1 2 3; do grep -q 'cachedb: .*: ready$' "${LOGS[$i]}" || return 1; done; }
for i in 1 2 3; do launch $i "cachedb redis $REDIS_A:$RP"; done
wait_until 10 ready_all; ok $? "all three instances connected to Redis"

# --- a name resolved through one is a Redis hit on the other two ------------------------
q0=$(nsd_queries)
use 1; out=$(rq www.example.test A)
is "$(dig_section "$out" ANSWER | awk '{print $5}')" 192.0.2.1 "instance 1 resolves www.example.test"
cmp_ok "$(( $(nsd_queries) - q0 ))" -eq 1 "... with one query at NSD"
written() { [ "$(rcli --scan --pattern "$PREFIX*" | wc -l)" -ge 1 ]; }
wait_until 5 written; ok $? "... and writes the answer to Redis"
for i in 2 3; do
    use $i
    out=$(rq www.example.test A)
    is "$(dig_section "$out" ANSWER | awk '{print $5}')" 192.0.2.1 "instance $i answers www.example.test"
    is "$(stat_get cachedb.hits)" 1 "... from Redis (cachedb.hits=1)"
    ttl=$(dig_ttl "$out")
    cmp_ok "${ttl:-0}" -le 3600 "... with the TTL aged, not raised ($ttl)"
done
cmp_ok "$(( $(nsd_queries) - q0 ))" -eq 1 "NSD still saw one query for the three instances"

# --- flush NAME on one makes all three miss -----------------------------------------------
use 1; rq txt.example.test TXT >/dev/null     # another name, stored before the flush
txt_stored() { [ "$(rcli --scan --pattern "$PREFIX*" | wc -l)" -ge 4 ]; }   # 2 answers, 2 key sets
wait_until 5 txt_stored; ok $? "txt.example.test is in Redis too"
use 1; like "$(rctl flush www.example.test)" "flushed 1 entries" "flush www.example.test on instance 1"
flushed_all() { grep -q 'flush from another instance: flush www.example.test' "${LOGS[2]}" &&
                grep -q 'flush from another instance: flush www.example.test' "${LOGS[3]}"; }
wait_until 5 flushed_all; ok $? "instances 2 and 3 got the flush"
q0=$(nsd_queries)
declare -A m0
for i in 1 2 3; do use $i; m0[$i]=$(stat_get cache.misses); done
use 2; cdbm=$(stat_get cachedb.misses)
out=$(rq www.example.test A)
is "$(dig_section "$out" ANSWER | awk '{print $5}')" 192.0.2.1 "instance 2 resolves it again"
is "$(stat_get cachedb.misses)" $(( cdbm + 1 )) "... a Redis miss: the flush removed it there too"
wait_until 5 written
for i in 1 3; do use $i; rq www.example.test A >/dev/null; done
for i in 1 2 3; do use $i; is "$(stat_get cache.misses)" $(( m0[$i] + 1 )) "instance $i: a local miss after the flush"; done
cmp_ok "$(( $(nsd_queries) - q0 ))" -eq 1 "NSD saw one query after the flush (the others hit Redis again)"
use 3; h0=$(stat_get cachedb.hits); rq txt.example.test TXT >/dev/null
is "$(stat_get cachedb.hits)" $(( h0 + 1 )) "flush NAME left the other names in Redis (txt.example.test a hit)"

# --- a wider flush (a new generation) makes everything in Redis a miss ----------------------
use 1; like "$(rctl flush-zone example.test)" "flushed" "flush-zone example.test on instance 1"
zflushed() { grep -q 'flush from another instance: flush-zone example.test' "${LOGS[2]}"; }
wait_until 5 zflushed; ok $? "instance 2 got it"
use 2; m1=$(stat_get cachedb.misses); q0=$(nsd_queries)
rq txt.example.test TXT >/dev/null
is "$(stat_get cachedb.misses)" $(( m1 + 1 )) "after flush-zone txt.example.test is a Redis miss on instance 2"
cmp_ok "$(( $(nsd_queries) - q0 ))" -eq 1 "... resolved at NSD"

# --- a value corrupted by hand is refused ---------------------------------------------------
# the key: PREFIX + the first 32 hex digits of HMAC-SHA256(secret, wire name | type | class | DO),
# DO 1: the value is the answer's form for DO clients
key_of() { printf "$1"'\x00\x01\x00\x01\x01' | openssl dgst -sha256 -hmac "$SECRET" | awk '{print substr($NF, 1, 32)}'; }
mailkey=$PREFIX$(key_of '\x04mail\x07example\x04test\x00')
use 1; rq mail.example.test A >/dev/null
stored() { [ "$(rcli exists "$mailkey")" = 1 ]; }
wait_until 5 stored; ok $? "mail.example.test is stored under the documented key"
head -c 300 /dev/urandom >"$T/junk"
rcli -x set "$mailkey" <"$T/junk" >/dev/null
use 2; e0=$(stat_get cachedb.errors); q0=$(nsd_queries)
out=$(rq mail.example.test A)
is "$(dig_section "$out" ANSWER | awk '{print $5}')" 192.0.2.25 "a corrupted value is not served: the right answer"
is "$(stat_get cachedb.errors)" $(( e0 + 1 )) "... the value is counted as refused (cachedb.errors)"
cmp_ok "$(( $(nsd_queries) - q0 ))" -eq 1 "... and resolved at NSD"
# a value with the right magic and a broken message behind it: refused as well
rcli set "$mailkey" "RDB1$(printf '%024d' 0)not a dns message" >/dev/null
use 3; e0=$(stat_get cachedb.errors)
out=$(rq mail.example.test A)
is "$(dig_section "$out" ANSWER | awk '{print $5}')" 192.0.2.25 "a value with a broken message is not served"
is "$(stat_get cachedb.errors)" $(( e0 + 1 )) "... and counted"
rd_alive; ok $? "instance 3 survived the corrupted values"

# --- Redis killed mid-load ------------------------------------------------------------------
load() {            # load N FILE: N unique NXDOMAIN names through instance 1, "rcode ms" lines
    local i out
    for i in $(seq 1 "$1"); do
        out=$(dig_q "${ADDRS[1]}" "${PORTS[1]}" "load$i-$RANDOM.example.test" A)
        echo "$(dig_rcode "$out") $(sed -n 's/^;; Query time: \([0-9]*\) msec.*/\1/p' <<<"$out")"
    done >"$2"
}
load 200 "$T/load" &
LOAD_PID=$!
lines() { [ "$(wc -l <"$T/load")" -ge "$1" ]; }
wait_until 60 lines 40
kill -STOP "$REDIS_PID"; ok $? "Redis stalled (SIGSTOP) mid-load"
wait_until 60 lines 100
kill -KILL "$REDIS_PID"; wait_until 5 process_gone "$REDIS_PID"; ok $? "... then killed"
wait "$LOAD_PID"
is "$(awk '$1 != "NXDOMAIN"' "$T/load" | wc -l)" 0 "every answer during the load is the right one (NXDOMAIN)" ||
    diag "$(sort "$T/load" | uniq -c | head)"
max=$(awk '{ if ($2 > m) m = $2 } END { print m + 0 }' "$T/load")
cmp_ok "$max" -le $(( TIMEOUT_MS + 800 )) "no client waited more than cachedb-timeout + the resolution ($max ms)"
use 1
to=$(stat_get cachedb.timeouts)
[ "${to:-0}" -ge 1 ] && [ "$to" -le 2 ]; ok $? "the stall cost one timeout per worker thread at most ($to), then Redis was skipped"
bg_stop "$REDIS_PID"
start_redis; ok $? "Redis back on the same port"
back() { use 1; rq "back$RANDOM.example.test" A >/dev/null; [ "$(rcli dbsize)" -ge 1 ]; }
wait_until 15 back; ok $? "instance 1 writes to Redis again once it is back"

# --- Redis down (or silent) from the start ---------------------------------------------------
for i in 1 2 3; do use $i; stop_resolverd; done
DEAD=$(pick_port $REDIS_A) || bail "no port"
launch 1 "cachedb redis $REDIS_A:$DEAD"             # nothing listens there
SILENT=$(pick_port $REDIS_A) || bail "no port"       # accepts connections, never answers
perl -MIO::Socket::IP -e '$s = IO::Socket::IP->new(LocalHost => $ARGV[0], LocalPort => $ARGV[1],
    Listen => 5, ReuseAddr => 1) or die; @c = (); while (1) { push @c, $s->accept }' $REDIS_A "$SILENT" &
SILENT_PID=$!; _bg_pids+=("$SILENT_PID")
launch 2 "cachedb redis $REDIS_A:$SILENT"
for i in 1 2; do
    use $i
    slow=0
    for n in www mail ttl long txt; do
        out=$(rq $n.example.test A)
        dig_answered "$out" && [ "$(dig_rcode "$out")" = NOERROR ] || slow=1
        t=$(sed -n 's/^;; Query time: \([0-9]*\) msec.*/\1/p' <<<"$out")
        [ "${t:-9999}" -le $(( TIMEOUT_MS + 800 )) ] || slow=1
    done
    is "$slow" 0 "instance $i (Redis $( [ $i = 1 ] && echo closed || echo silent)): answers as without cachedb"
    cmp_ok "$(stat_get cachedb.timeouts)" -le 2 "... after at most one timeout per worker"
    is "$(stat_get cachedb.hits)" 0 "... and no Redis hit"
done
for i in 1 2; do use $i; stop_resolverd; done
bg_stop "$SILENT_PID"
done_testing
