#!/usr/bin/env bash
# 76-warm-restart.t -- dump-cache, restart, load-cache: a restarted resolverd serves the
# dumped answers (positive and negative) with the TTLs that really remain, while its
# upstream is down; entries that expired since the dump are skipped; a broken dump file is
# refused with FILE:LINE and what is wrong.
source "$(dirname "$0")/lib.sh"

NSD_A=127.53.76.1
RD_ADDR=127.53.76.2
NP=$(pick_port $NSD_A) && RD_PORT=$(pick_port $RD_ADDR) || bail "no port"
CTL="$T/control.sock"
start_nsd $NSD_A "$NP" "$DATA/example.test.zone" || bail "nsd did not start"
write_conf "$T/resolver.conf" "listen $RD_ADDR $RD_PORT" "forward . $NSD_A@$NP" \
    "control $CTL" "upstream-timeout 300"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"

is "$(rq +short www.example.test A)" 192.0.2.1 "warm-up: www.example.test answered"
is "$(rcode_of gone.example.test A)" NXDOMAIN "warm-up: gone.example.test is NXDOMAIN"
ttl_before=$(dig_ttl "$(rq www.example.test A)")
rctl dump-cache >"$T/dump" ; ok $? "dump-cache succeeded"
like "$(head -n1 "$T/dump")" '^; resolverd cache dump time=[0-9]+$' "the dump starts with its time"
grep -q '^www\.example\.test\.' "$T/dump"; ok $? "the dump holds www.example.test"
stop_resolverd
stop_nsd; ok $? "nsd stopped: from now on only the cache can answer"

start_resolverd "$T/resolver.conf" || bail "resolverd did not restart"
is "$(rcode_ede_of www.example.test A)" SERVFAIL/23 "restarted with an empty cache: SERVFAIL, EDE 23 (NSD is gone)"
out=$(cd / && rctl load-cache "$T/dump"); rc=$?
is "$rc" 0 "load-cache succeeded"
like "$out" '^loaded [1-9][0-9]* entries' "load-cache says how many entries it loaded ($out)"
is "$(rq +short www.example.test A)" 192.0.2.1 "after load-cache: www.example.test answered from the cache"
is "$(rcode_of gone.example.test A)" NXDOMAIN "after load-cache: the negative entry too"
ttl_after=$(dig_ttl "$(rq www.example.test A)")
cmp_ok "${ttl_after:-99999}" -le "${ttl_before:-0}" "the TTL is what remained, not a fresh one ($ttl_before -> $ttl_after)"

# a dump from long ago: its entries have expired and are skipped
now=$(date +%s)
sed "1s/time=.*/time=$((now - 100000))/" "$T/dump" >"$T/old-dump"
rctl flush >/dev/null
out=$(rctl load-cache "$T/old-dump"); rc=$?
is "$rc" 0 "an old dump loads without error"
like "$out" '^loaded 0 entries \([1-9][0-9]* expired' "... and every entry in it had expired ($out)"
is "$(rcode_ede_of www.example.test A)" SERVFAIL/23 "... so nothing is served from it (EDE 23)"

# relative paths are resolved by resolverctl, against its own directory
cp "$T/dump" "$T/rel-dump"
out=$(cd "$T" && rctl load-cache rel-dump); rc=$?
is "$rc" 0 "load-cache with a relative path works ($out)"

# bad input: a clear error naming the file and line
printf '; resolverd cache dump time=%s\n; www.example.test. A IN positive rcode=NOERROR\nthis is not a record\n' "$now" >"$T/bad-dump"
err=$(rctl load-cache "$T/bad-dump" 2>&1 >/dev/null); rc=$?
isnt "$rc" 0 "a broken dump is refused (exit $rc)"
like "$err" "bad-dump:3: not a record" "... naming the file and line ($err)"
err=$(rctl load-cache "$T/no-such-file" 2>&1 >/dev/null); rc=$?
isnt "$rc" 0 "a missing file is refused (exit $rc)"
like "$err" "no-such-file: No such file or directory" "... saying so ($err)"

stop_resolverd
done_testing
