#!/usr/bin/env bash
# 70-control-signals.t -- `resolverd -t`, the control socket (mode 0600, removed at exit),
# resolverctl's exit codes, SIGHUP and `resolverctl reload` (new hosts file, new zone, a bad
# config kept out), and a clean TERM.
source "$(dirname "$0")/lib.sh"

RD_ADDR=127.53.70.2
RD_PORT=$(pick_port $RD_ADDR) || bail "no port"
CTL="$T/control.sock"

# --- -t: config check -------------------------------------------------------------------------
if [ ! -x "$RESOLVERD" ]; then ok 1 "$RESOLVERD is built"; bail "no resolverd"; fi
cat >"$T/bad.conf" <<EOF
# a comment
listen $RD_ADDR $RD_PORT

no-such-directive yes
EOF
err=$(timeout 10 "$RESOLVERD" -c "$T/bad.conf" -t 2>&1 >/dev/null); rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; ok $? "-t on a config with an unknown directive: non-zero exit ($rc)"
like "$err" "bad\\.conf:4:" "... stderr names FILE:LINE ($err)"
printf 'listen %s %s\ncache-size lots\n' "$RD_ADDR" "$RD_PORT" >"$T/bad2.conf"
err=$(timeout 10 "$RESOLVERD" -c "$T/bad2.conf" -t 2>&1 >/dev/null); rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; ok $? "-t on a config with a bad value: non-zero exit ($rc)"
like "$err" "bad2\\.conf:2:" "... stderr names FILE:LINE ($err)"
printf 'listen %s %s\nforward . 127.0.0.1@99999\n' "$RD_ADDR" "$RD_PORT" >"$T/bad3.conf"
err=$(timeout 10 "$RESOLVERD" -c "$T/bad3.conf" -t 2>&1 >/dev/null); rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; ok $? "-t on a forward with a bad port: non-zero exit ($rc)"
like "$err" "bad3\\.conf:2:" "... stderr names FILE:LINE ($err)"
err=$(timeout 10 "$RESOLVERD" -c "$T/missing.conf" -t 2>&1 >/dev/null); rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; ok $? "-t on a missing file: non-zero exit ($rc)"
like "$err" "missing\\.conf" "... stderr names the file"
# the bad config does not start the daemon either
err=$(timeout 10 "$RESOLVERD" -c "$T/bad.conf" 2>&1 >/dev/null); rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; ok $? "resolverd with a bad config does not start ($rc)"

cp "$DATA/hosts" "$T/hosts1"
printf '192.0.2.77 second.hosts.test\n' >"$T/hosts2"
write_conf "$T/resolver.conf" \
    "listen $RD_ADDR $RD_PORT" \
    "hosts $T/hosts1" \
    "zone example.test $DATA/example.test.zone" \
    "control $CTL" \
    "log-level debug"
out=$(timeout 10 "$RESOLVERD" -c "$T/resolver.conf" -t 2>&1); rc=$?
is "$rc" 0 "-t on a good config: exit 0" || diag "$out"

# --- the control socket ---------------------------------------------------------------------
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"
wait_until 5 test -S "$CTL"; ok $? "control socket exists"
is "$(stat -c %a "$CTL" 2>&1)" 600 "control socket has mode 600"
st=$(rctl stats 2>"$T/ctl.err"); rc=$?
is "$rc" 0 "resolverctl stats: exit 0" || diag_file "$T/ctl.err"
for k in queries.total cache.hits cache.misses cache.entries answers.hosts upstream.queries \
         upstream.timeouts rcode.NOERROR rcode.NXDOMAIN rcode.SERVFAIL; do
    grep -qE "^${k//./\\.}=[0-9]+\$" <<<"$st"; ok $? "stats has $k=NUMBER"
done
unlike "$st" '^ok' "stats: the daemon's status line is not printed"
out=$(rctl no-such-command 2>&1); rc=$?
isnt "$rc" 0 "resolverctl with an unknown command: non-zero exit"
like "$out" '.' "... and says something ($out)"
out=$("$RESOLVERCTL" -s "$T/nonexistent.sock" stats 2>&1); rc=$?
isnt "$rc" 0 "resolverctl at a socket nobody listens on: non-zero exit"
like "$out" '.' "... with a message ($out)"
rctl flush >/dev/null 2>&1; is $? 0 "resolverctl flush: exit 0"

# --- SIGHUP: a new hosts file path, a new zone ---------------------------------------------
is "$(rq +short www.hosts.test A)" 192.0.2.10 "before reload: answered from hosts1"
out=$(rq www.other.test A)
isnt "$(dig_rcode "$out")/$(dig_section "$out" ANSWER | awk '{print $5}')" NOERROR/198.51.100.1 "before reload: other.test is not served"
write_conf "$T/resolver.conf" \
    "listen $RD_ADDR $RD_PORT" \
    "hosts $T/hosts2" \
    "zone example.test $DATA/example.test.zone" \
    "zone other.test $DATA/other.test.zone" \
    "control $CTL" \
    "log-level debug"
kill -HUP "$RD_PID"
wait_until 10 eval '[ "$(rq +short second.hosts.test A)" = 192.0.2.77 ]'
ok $? "SIGHUP: the new hosts file is used"
out=$(rq www.hosts.test A)
isnt "$(dig_section "$out" ANSWER | awk '{print $5}')" 192.0.2.10 "SIGHUP: names of the old hosts file are gone"
out=$(rq www.other.test A)
is "$(dig_rcode "$out")/$(dig_section "$out" ANSWER | awk '{print $5}')" NOERROR/198.51.100.1 "SIGHUP: the new zone other.test is served"
has_flag "$out" aa; ok $? "... authoritatively"
is "$(rq +short www.example.test A)" 192.0.2.1 "SIGHUP: the old zone is still served"
rd_alive; ok $? "resolverd still running after SIGHUP"
wait_until 5 test -S "$CTL"; ok $? "control socket still there after SIGHUP"

# --- resolverctl reload; a broken config is refused and the old one kept -------------------
printf '192.0.2.88 third.hosts.test\n' >"$T/hosts3"
sed -i "s|^hosts .*|hosts $T/hosts3|" "$T/resolver.conf"
rctl reload >"$T/reload.out" 2>&1; rc=$?
is "$rc" 0 "resolverctl reload: exit 0" || diag_file "$T/reload.out"
wait_until 10 eval '[ "$(rq +short third.hosts.test A)" = 192.0.2.88 ]'
ok $? "resolverctl reload: the new hosts file is used"
echo "this-is-not-a-directive" >>"$T/resolver.conf"
rctl reload >"$T/reload.out" 2>&1; rc=$?
isnt "$rc" 0 "resolverctl reload with a broken config: non-zero exit"
like "$(cat "$T/reload.out")" 'resolver\.conf:[0-9]+:' "... the message names FILE:LINE ($(head -n1 "$T/reload.out"))"
is "$(rq +short third.hosts.test A)" 192.0.2.88 "... and the running config is kept"
is "$(rq +short www.other.test A)" 198.51.100.1 "... zones included"
kill -HUP "$RD_PID"
wait_until 1 eval '! rd_alive'; rd_alive; ok $? "SIGHUP with a broken config: resolverd keeps running"
is "$(rq +short third.hosts.test A)" 192.0.2.88 "... and keeps answering"

# --- TERM: exit 0, socket removed ---------------------------------------------------------
stop_resolverd
wait_until 5 eval '[ ! -e "$CTL" ]'; ok $? "control socket removed after TERM"

# INT stops cleanly too
write_conf "$T/int.conf" "listen $RD_ADDR $RD_PORT" "control $CTL"
start_resolverd "$T/int.conf" || bail "resolverd did not start again"
stop_resolverd INT
wait_until 5 eval '[ ! -e "$CTL" ]'; ok $? "control socket removed after INT"
done_testing
