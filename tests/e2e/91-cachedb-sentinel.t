#!/usr/bin/env bash
# 91-cachedb-sentinel.t -- `cachedb sentinel ADDR:PORT NAME`: a Redis primary, its replica
# and a Sentinel watching them, all started here on loopback (own configs and directories,
# stopped by PID). Two resolverd instances find the primary through the Sentinel and share
# answers through it; the primary is killed; once the Sentinel has promoted the replica both
# instances use the new primary (an answer written through one is a hit on the other), and
# no client got a wrong answer or waited long meanwhile.
source "$(dirname "$0")/lib.sh"

command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    bail "redis-server and redis-cli are needed (make deps)"

NSD_A=127.53.97.1
R_A=127.53.97.9       # the primary; the replica and the Sentinel have addresses of their own
R2_A=127.53.97.8
S_A=127.53.97.7
SECRET=e2e-sentinel-secret
TIMEOUT_MS=200
NP=$(pick_port $NSD_A) && P1=$(pick_port $R_A) && P2=$(pick_port $R2_A) && SP=$(pick_port $S_A) ||
    bail "no port"

rcli() { local a=$1 p=$2; shift 2; redis-cli -h "$a" -p "$p" "$@"; }
up() { [ "$(rcli "$1" "$2" ping 2>/dev/null)" = PONG ]; }
start_server() {    # start_server NAME ADDR PORT EXTRA-LINE...: sets SRV_PID
    local name=$1 addr=$2 port=$3; shift 3
    mkdir -p "$T/$name"
    printf '%s\n' "bind $addr" "port $port" "dir $T/$name" 'save ""' "appendonly no" \
        "daemonize no" "logfile $T/$name/log" "$@" >"$T/$name/conf"
    bg_start redis-server "$T/$name/conf" ${SENTINEL:+--sentinel}
    SRV_PID=$BG_PID
    wait_until 10 up "$addr" "$port"
}
start_server primary $R_A "$P1"; ok $? "primary on $R_A:$P1"; PRIMARY=$SRV_PID
start_server replica $R2_A "$P2" "replicaof $R_A $P1" "replica-announce-ip $R2_A"; ok $? "replica on $R2_A:$P2"
SENTINEL=1 start_server sentinel $S_A "$SP" "sentinel monitor main $R_A $P1 1" \
    "sentinel down-after-milliseconds main 1000" "sentinel failover-timeout main 4000"
ok $? "sentinel on $S_A:$SP"
synced() { rcli $R2_A "$P2" info replication | grep -q 'master_link_status:up'; }
wait_until 15 synced; ok $? "the replica follows the primary"
NSD_CTL=1 start_nsd $NSD_A "$NP" "$DATA/example.test.zone" || bail "nsd did not start"

declare -a PIDS LOGS ADDRS PORTS
use() { RD_ADDR=${ADDRS[$1]} RD_PORT=${PORTS[$1]} CTL=$T/ctl$1 RD_PID=${PIDS[$1]} RD_LOG=${LOGS[$1]}; }
for i in 1 2; do
    ADDRS[$i]=127.53.97.1$i
    PORTS[$i]=$(pick_port "${ADDRS[$i]}") || bail "no port"
    write_conf "$T/rd$i.conf" "listen ${ADDRS[$i]} ${PORTS[$i]}" "forward . $NSD_A@$NP" \
        "control $T/ctl$i" "threads 2" "cachedb sentinel $S_A:$SP main" \
        "cachedb-secret $SECRET" "cachedb-timeout $TIMEOUT_MS" "log-level debug"
    start_resolverd "$T/rd$i.conf" || bail "resolverd $i did not start"
    PIDS[$i]=$RD_PID LOGS[$i]=$RD_LOG
    _bg_pids+=("$RD_PID")
done
named() { grep -q "Sentinel names $1 the primary" "${LOGS[1]}" &&
          grep -q "Sentinel names $1 the primary" "${LOGS[2]}"; }
wait_until 10 named "$R_A:$P1"; ok $? "both instances learn the primary from the Sentinel"
ready() { local i; for i in 1 2; do [ "$(grep -c 'cachedb: .*: ready' "${LOGS[$i]}")" -ge 4 ] || return 1; done; }
wait_until 10 ready; ok $? "... and connect to it (two workers, main thread, flush channel)"

shared() {          # shared NAME: resolved through 1, a Redis hit on 2
    local h0 q0
    use 2; h0=$(stat_get cachedb.hits)
    use 1; rq "$1" A >/dev/null
    q0=$(nsd_queries)
    use 2; [ "$(dig_section "$(rq "$1" A)" ANSWER | awk '{print $5}')" = 192.0.2.1 ] &&
        [ "$(stat_get cachedb.hits)" -gt "$h0" ] && [ "$(nsd_queries)" = "$q0" ]
}
wait_until 5 shared www.example.test; ok $? "an answer resolved through 1 is a Redis hit on 2"

# --- the primary dies; the Sentinel promotes the replica ------------------------------------
kill -KILL "$PRIMARY"; wait_until 5 process_gone "$PRIMARY"; ok $? "primary killed"
bad=0 slow=0
promoted() { rcli $R2_A "$P2" info replication | grep -q 'role:master'; }
while ! promoted; do
    use $(( RANDOM % 2 + 1 ))
    out=$(rq "fo$RANDOM.example.test" A)       # a new name: asks Redis (or skips it)
    [ "$(dig_rcode "$out")" = NXDOMAIN ] || bad=$((bad + 1))
    t=$(sed -n 's/^;; Query time: \([0-9]*\) msec.*/\1/p' <<<"$out")
    [ "${t:-9999}" -le $(( TIMEOUT_MS + 800 )) ] || slow=$((slow + 1))
    [ $SECONDS -lt 60 ] || break
done
promoted; ok $? "the Sentinel promoted the replica"
is "$bad/$slow" 0/0 "during the failover: no wrong answer, no client waited long (wrong/slow)"
wait_until 20 named "$R2_A:$P2"; ok $? "both instances find the new primary through the Sentinel"
keys0=$(rcli $R2_A "$P2" dbsize)
newname() { local n="fo$RANDOM.example.test"; use 1; rq "$n" A >/dev/null; [ "$(rcli $R2_A "$P2" dbsize)" -gt "$keys0" ]; }
wait_until 20 newname; ok $? "instance 1 writes to the new primary"
h0=$(use 2; stat_get cachedb.hits)
use 1; rq long.example.test A >/dev/null
keys0=$(rcli $R2_A "$P2" dbsize)
stored() { [ "$(rcli $R2_A "$P2" dbsize)" -gt "$keys0" ]; }
wait_until 5 stored
use 2; out=$(rq long.example.test A)
cmp_ok "$(stat_get cachedb.hits)" -gt "$h0" "instance 2 reads it from the new primary"
for i in 1 2; do use $i; stop_resolverd; done
done_testing
