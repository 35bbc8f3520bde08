#!/usr/bin/env bash
# 74-sdnotify.t -- resolverd speaks systemd's $NOTIFY_SOCKET protocol (resolver/sdnotify.c).
#
# notify.pl plays systemd's end: a datagram socket the test reads. resolverd sends READY=1
# only once it answers, RELOADING=1 then READY=1 around a reload (SIGHUP and `resolverctl
# reload`, a failed one too), STOPPING=1 at TERM, WATCHDOG=1 every half $WATCHDOG_USEC (not
# when $WATCHDOG_PID names another process), and the same to an abstract socket ('@name').
# Without $NOTIFY_SOCKET it runs as before. systemd itself is not needed (nor running here).
source "$(dirname "$0")/lib.sh"

ADDR=127.53.74.1
PORT=$(pick_port "$ADDR") || bail "no free port"
CTL="$T/control"
write_conf "$T/resolver.conf" "listen $ADDR $PORT" "control $CTL" "root-hints /nonexistent" \
    "hosts $T/hosts" "threads 2"
printf '192.0.2.74 www.notify.test\n' >"$T/hosts"

# notifications: the lines notify.pl has written so far
notes() { cat "$T/notes" 2>/dev/null; }
has_note() { grep -qxF -- "$1" "$T/notes" 2>/dev/null; }
count_note() { grep -cxF -- "$1" "$T/notes" 2>/dev/null || true; }
notes_at_least() { [ "$(count_note "$1")" -ge "$2" ]; }   # NOTE N: seen N times or more
listen_notify() {   # NAME: starts notify.pl and waits until it is bound
    rm -f "$T/notes"
    bg_start perl "$E2E_DIR/notify.pl" "$1" "$T/notes" 60
    NOTIFY_PID=$BG_PID
    wait_until 5 has_note bound || bail "notify.pl did not bind $1"
}

# --- a path socket: ready, reload, stop --------------------------------------------------------
listen_notify "$T/notify.sock"
NOTIFY_SOCKET="$T/notify.sock" start_resolverd "$T/resolver.conf" || bail "resolverd did not start"
wait_until 5 has_note "READY=1|STATUS=answering queries"
ok $? "READY=1 (with a STATUS line) once resolverd answers"
like "$(rq +short www.notify.test)" '^192\.0\.2\.74$' "it answers"
is "$(count_note 'READY=1|STATUS=answering queries')" 1 "READY=1 only once at the start"
! grep -q 'WATCHDOG=1' "$T/notes"; ok $? "no WATCHDOG=1 without \$WATCHDOG_USEC"

kill -HUP "$RD_PID"
wait_until 5 notes_at_least 'READY=1|STATUS=answering queries' 2
ok $? "SIGHUP: READY=1 again after the reload"
like "$(notes | sed -n 3p)" '^RELOADING=1\|STATUS=reloading\|MONOTONIC_USEC=[0-9]+$' \
    "SIGHUP: RELOADING=1 with MONOTONIC_USEC before it"

"$RESOLVERCTL" --socket "$CTL" reload >/dev/null
is "$?" 0 "resolverctl reload"
wait_until 5 notes_at_least 'READY=1|STATUS=answering queries' 3
ok $? "resolverctl reload: READY=1 after it"
is "$(grep -c '^RELOADING=1' "$T/notes")" 2 "... and RELOADING=1 before it"

cp "$T/resolver.conf" "$T/good.conf"
echo "bogus-directive 1" >>"$T/resolver.conf"
"$RESOLVERCTL" -s "$CTL" reload >/dev/null 2>&1
is "$?" 1 "a reload with a broken config fails"
wait_until 5 notes_at_least 'READY=1|STATUS=answering queries' 4
ok $? "... and still ends in READY=1 (the old config serves)"
cp "$T/good.conf" "$T/resolver.conf"

stop_resolverd
wait_until 5 has_note "STOPPING=1|STATUS=stopping"
ok $? "STOPPING=1 at TERM"
is "$(notes | tail -n1)" "STOPPING=1|STATUS=stopping" "STOPPING=1 is the last notification"
bg_stop "$NOTIFY_PID"

# --- an abstract socket, and the watchdog ----------------------------------------------------
ABSTRACT="@resolverd-test-$$-notify"
listen_notify "$ABSTRACT"
NOTIFY_SOCKET="$ABSTRACT" WATCHDOG_USEC=200000 start_resolverd "$T/resolver.conf" \
    || bail "resolverd did not start"
wait_until 5 has_note "READY=1|STATUS=answering queries"
ok $? "abstract socket ($ABSTRACT): READY=1"
wait_until 5 notes_at_least 'WATCHDOG=1' 5
ok $? "WATCHDOG_USEC=200000: WATCHDOG=1 keeps coming (5 within 5 s)"
like "$(cat "$RD_LOG")" 'systemd watchdog: WATCHDOG=1 every 0\.100 s' "the log says the interval"
stop_resolverd
bg_stop "$NOTIFY_PID"

# WATCHDOG_PID naming another process: the watchdog is not ours (systemd's rule)
listen_notify "$T/notify2.sock"
NOTIFY_SOCKET="$T/notify2.sock" WATCHDOG_USEC=100000 WATCHDOG_PID=1 \
    start_resolverd "$T/resolver.conf" || bail "resolverd did not start"
wait_until 5 has_note "READY=1|STATUS=answering queries"
ok $? "READY=1 with WATCHDOG_PID of another process"
like "$(rq +short www.notify.test)" '^192\.0\.2\.74$' "it answers (a moment for watchdog ticks)"
is "$(count_note 'WATCHDOG=1')" 0 "no WATCHDOG=1 for a watchdog meant for PID 1"
stop_resolverd
bg_stop "$NOTIFY_PID"

# --- no listener at the socket: nothing blocks, nothing fails --------------------------------
NOTIFY_SOCKET="$T/nobody.sock" start_resolverd "$T/resolver.conf" \
    || bail "resolverd did not start with a dead NOTIFY_SOCKET"
like "$(rq +short www.notify.test)" '^192\.0\.2\.74$' "a NOTIFY_SOCKET nobody listens on: it still serves"
kill -HUP "$RD_PID"
wait_until 5 grep -q 'reloaded' "$RD_LOG"; ok $? "... and reloads"
stop_resolverd

done_testing
