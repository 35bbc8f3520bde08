#!/usr/bin/env bash
# 73-cli-logging.t -- the command lines of resolverd and resolverctl (--help, --version,
# --config, --check, --socket and the short forms), and the log: journal priorities when
# stderr is $JOURNAL_STREAM, `log syslog`, `log-queries` with its rate bound.
source "$(dirname "$0")/lib.sh"

VERSION=$(sed -n 's/^#define RESOLVERD_VERSION "\(.*\)"$/\1/p' "$ROOT/resolver/version.h")
ADDR=127.53.73.1
PORT=$(pick_port "$ADDR") || bail "no free port"
CTL="$T/control"
printf '192.0.2.73 www.cli.test\n' >"$T/hosts"
base=("listen $ADDR $PORT" "control $CTL" "root-hints /nonexistent" "hosts $T/hosts" "threads 1")
write_conf "$T/good.conf" "${base[@]}"
write_conf "$T/bad.conf" "${base[@]}" "cache-size lots"

# run PROGRAM ARGS...: sets OUT (stdout), ERR (stderr), RC
run() { OUT=$("$@" 2>"$T/err"); RC=$?; ERR=$(cat "$T/err"); }

# version_and_help NAME PROGRAM HELP-PATTERN...: --version/-v and --help/-h of one program
version_and_help() {
    local name=$1 prog=$2 opt pat; shift 2
    for opt in --version -v; do
        run "$prog" $opt
        is "$RC:$OUT" "0:$name $VERSION" "$name $opt: the version, exit 0"
    done
    for opt in --help -h; do
        run "$prog" $opt
        is "$RC" 0 "$name $opt: exit 0"
        for pat in "$@"; do like "$OUT" "$pat" "$name $opt: names $pat"; done
    done
}

# --- resolverd ------------------------------------------------------------------------------------
version_and_help resolverd "$RESOLVERD" '--config FILE' '--check'
run "$RESOLVERD" --bogus
is "$RC" 2 "resolverd --bogus: exit 2"
like "$ERR" "unrecognized option '--bogus'.*usage: resolverd" "... saying so, with the usage on stderr"
run "$RESOLVERD" stray
is "$RC" 2 "resolverd with a stray argument: exit 2"
run "$RESOLVERD" --config
is "$RC" 2 "resolverd --config without a file: exit 2"
for form in "--check --config $T/good.conf" "-t -c $T/good.conf" "--check --config=$T/good.conf" \
            "-c $T/good.conf --check"; do
    run "$RESOLVERD" $form
    is "$RC:$OUT" "0:$T/good.conf: ok" "resolverd $form: ok, exit 0"
done
run "$RESOLVERD" --check --config "$T/bad.conf"
is "$RC" 1 "resolverd --check on a bad config: exit 1"
like "$ERR" "bad.conf:[0-9]+: 'cache-size' needs a size" "... with FILE:LINE: problem"

# --- resolverctl ------------------------------------------------------------------------------------
version_and_help resolverctl "$RESOLVERCTL" '--socket SOCKET' '--config CONF'
run "$RESOLVERCTL" --socket
is "$RC" 2 "resolverctl --socket without a path: exit 2"
run "$RESOLVERCTL" --bogus status
is "$RC" 2 "resolverctl --bogus: exit 2"
run "$RESOLVERCTL" --socket "$CTL" --config "$T/good.conf" status
is "$RC" 2 "resolverctl with both --socket and --config: exit 2"

start_resolverd "$T/good.conf" || bail "resolverd did not start"
for form in "--socket $CTL" "--socket=$CTL" "-s $CTL" "--config $T/good.conf" \
            "--config=$T/good.conf" "-c $T/good.conf"; do
    run "$RESOLVERCTL" $form status
    like "$RC:$OUT" "^0:version=resolverd $VERSION" "resolverctl $form status"
done
! grep -q 'resolverd\[info\]: query ' "$RD_LOG"; ok $? "log-queries is off by default"
stop_resolverd

# --- log-queries ------------------------------------------------------------------------------------
write_conf "$T/ql.conf" "${base[@]}" "log-queries yes" "log-level error"
start_resolverd "$T/ql.conf" || bail "resolverd did not start"
rq +short www.cli.test >/dev/null
rq +tcp +short AAAA www.cli.test >/dev/null
like "$(cat "$RD_LOG")" "resolverd\[info\]: query 127\.0\.0\.1@[0-9]+ www\.cli\.test\. A IN udp" \
    "log-queries yes: a line for a UDP query (even at log-level error)"
like "$(cat "$RD_LOG")" "query 127\.0\.0\.1@[0-9]+ www\.cli\.test\. AAAA IN tcp" "... and for a TCP query"

# a burst of 1000: at most 250 lines a second, the rest counted and reported
perl "$E2E_DIR/burst.pl" 127.0.0.1 "$ADDR" "$PORT" www.cli.test 1000 500 >/dev/null
next_second=$(( $(date +%s) + 1 ))
wait_until 3 test "$(date +%s)" -gt "$next_second"
rq +short www.cli.test >/dev/null      # opens a new window: the report comes
wait_until 3 grep -q 'queries not logged' "$RD_LOG"
ok $? "a burst over the bound: 'queries not logged' is reported"
QLINE='resolverd\[info\]: query '
max=$(grep "$QLINE" "$RD_LOG" | cut -c1-19 | sort | uniq -c | sort -rn | awk 'NR==1 {print $1}')
cmp_ok "$max" -le 252 "at most 250 query lines in any one second (got $max; 2 for clock edges)"
logged=$(grep -c "$QLINE" "$RD_LOG")
skipped=$(sed -n 's/.*query log: \([0-9]*\) queries not logged (at most 250 lines a second)/\1/p' "$RD_LOG" \
          | awk '{s += $1} END {print s + 0}')
total=$(stat_get queries.total)
is "$((logged + skipped))" "$total" "logged ($logged) + not logged ($skipped) = queries.total"
stop_resolverd

# --- the journal: stderr is $JOURNAL_STREAM -------------------------------------------------------
next_log="$T/resolverd.$(( ${_rd_n:-0} + 1 )).log"
: >"$next_log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$next_log") start_resolverd "$T/good.conf" || bail "resolverd did not start"
grep -q "^<6>resolverd $VERSION started with" "$RD_LOG"; ok $? "journal: info lines carry <6>, no timestamp"
grep -q "^<4>no iteration: " "$RD_LOG"; ok $? "journal: warnings carry <4>"
stop_resolverd
JOURNAL_STREAM=1:1 start_resolverd "$T/good.conf" || bail "resolverd did not start"
like "$(cat "$RD_LOG")" "[0-9]T[0-9:]+ resolverd\[info\]: resolverd $VERSION started" \
    "JOURNAL_STREAM of another stream (a redirected stderr): plain lines"
stop_resolverd

# --- log syslog ---------------------------------------------------------------------------------------
write_conf "$T/syslog.conf" "${base[@]}" "log syslog"
start_resolverd "$T/syslog.conf" || bail "resolverd did not start"
like "$(rq +short www.cli.test)" '^192\.0\.2\.73$' "log syslog: it serves"
! grep -q 'started with' "$RD_LOG"; ok $? "log syslog: the log no longer goes to stderr"
stop_resolverd
write_conf "$T/badlog.conf" "${base[@]}" "log journal"
run "$RESOLVERD" --check --config "$T/badlog.conf"
like "$RC:$ERR" "^1:.*badlog.conf:[0-9]+: 'log' needs stderr or syslog, got 'journal'" "log: a bad sink is an error"

done_testing
