#!/usr/bin/env bash
# 78-control-safety.t -- the control socket cannot hurt DNS service: clients that connect and
# say nothing, stop half-way through a line, or pour out garbage do not delay answers nor
# other resolverctl calls, and are dropped at the 5 s limit; resolverctl commands (stats,
# dump-cache, flush, trace) run during a query load without losing or corrupting a reply.
source "$(dirname "$0")/lib.sh"

NSD_A=127.53.78.1
RD_ADDR=127.53.78.2
NP=$(pick_port $NSD_A) && RD_PORT=$(pick_port $RD_ADDR) || bail "no port"
CTL="$T/control.sock"

start_nsd $NSD_A "$NP" "$DATA/example.test.zone" || bail "nsd did not start"
write_conf "$T/resolver.conf" "listen $RD_ADDR $RD_PORT" "forward . $NSD_A@$NP" \
    "control $CTL" "cache-size 8M"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"

# --- hostile control clients --------------------------------------------------------------
# Each holds its connection and reports, when the daemon closes it, how long it lived (ms).
# silent: connects, sends nothing; partial: half a command, no newline; garbage: 64 KiB of
# junk without a newline; slowreader: a dump-cache it never reads.
cat >"$T/ctlclient.pl" <<'PERL'
use strict; use warnings; use IO::Socket::UNIX; use Time::HiRes qw(time);
my ($path, $mode, $out) = @ARGV;
my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $path) or die "connect: $!";
my $t0 = time;
if ($mode eq 'partial')    { print $s "flus"; }
if ($mode eq 'garbage')    { my $junk = join '', map { chr(33 + ($_ % 90)) } 1 .. 65536;
                             local $SIG{PIPE} = 'IGNORE'; syswrite $s, $junk; }
if ($mode eq 'slowreader') { print $s "dump-cache\n"; }
$s->flush;
open my $fh, '>', "$out.ready" or die; close $fh;
if ($mode eq 'slowreader') { select undef, undef, undef, 8; }   # a reader that never reads
my $buf; 1 while (sysread($s, $buf, 4096) // 0) > 0;
open $fh, '>', $out or die; printf $fh "%d\n", (time - $t0) * 1000; close $fh;
PERL
for mode in silent partial garbage slowreader; do
    bg_start perl "$T/ctlclient.pl" "$CTL" "$mode" "$T/$mode.out"
done
all_ready() { for m in silent partial garbage slowreader; do [ -e "$T/$m.out.ready" ] || return 1; done; }
wait_until 5 all_ready; ok $? "four hostile control clients connected"

t0=$(now_ms); r=$(rq www.example.test A); el=$(( $(now_ms) - t0 ))
is "$(dig_rcode "$r")" NOERROR "a DNS query is answered while they hold their connections"
cmp_ok "$el" -lt 1000 "... promptly (${el} ms)"
out=$(rctl stats 2>&1); is "$?" 0 "resolverctl stats works meanwhile"
like "$out" 'queries\.total=[0-9]+' "... with its output"
for mode in silent partial garbage; do
    w0=$(now_ms); wait_until 8 test -s "$T/$mode.out"; ok $? "the $mode client was disconnected (waited $(( $(now_ms) - w0 )) ms)"
    ms=$(cat "$T/$mode.out" 2>/dev/null)
    cmp_ok "${ms:-99999}" -le 6500 "... within the 5 s client limit (${ms} ms)"
done
wait_until 12 test -s "$T/slowreader.out"; ok $? "the client that never read its dump-cache was let go"
is "$(dig_rcode "$(rq www.example.test A)")" NOERROR "the daemon still answers afterwards"

# --- resolverctl during a query load --------------------------------------------------------
# Two query streams (dig -f over five names, 500 queries a pass, passes repeated until told
# to stop) run while resolverctl runs stats, dump-cache, flush, trace and status 5 times
# over; then the streams stop. Every query must get NOERROR with the zone's answer, and every
# resolverctl call must succeed. The daemon's side is counted exactly: every query it read got
# a reply (the rcode counters add up to queries.total). The client may retry once, so that a
# datagram the kernel drops on a loaded machine before the daemon reads it is not counted as
# the daemon's loss; the retries are reported.
names=(www mail alias long ttl)
for i in $(seq 0 499); do echo "${names[i % 5]}.example.test A"; done >"$T/batch"
for s in 1 2; do
    bg_start bash -c "n=0; while [ ! -e '$T/stop' ] || [ \$n -lt 1 ]; do
        dig @$RD_ADDR -p $RD_PORT +tries=2 +time=3 +noall +answer +comments -f '$T/batch' >>'$T/load$s.out' 2>&1
        n=\$((n + 1)); done; echo \$n >'$T/load$s.done'"
done
ctl_runs=0 ctl_fail=0
for round in 1 2 3 4 5; do
    for cmd in "stats" "dump-cache" "flush" "trace www.example.test A" "status"; do
        rctl $cmd >/dev/null 2>&1 || ctl_fail=$((ctl_fail + 1))
        ctl_runs=$((ctl_runs + 1))
    done
done
touch "$T/stop"
loads_done() { [ -e "$T/load1.done" ] && [ -e "$T/load2.done" ]; }
wait_until 60 loads_done; ok $? "both query streams finished"
is "$ctl_fail" 0 "all $ctl_runs resolverctl calls made during the load succeeded"
passes=$(( $(cat "$T/load1.done") + $(cat "$T/load2.done") ))
sent=$(( passes * 500 ))
replies=$(cat "$T/load1.out" "$T/load2.out" | grep -c 'status: NOERROR')
is "$replies" "$sent" "every one of the $sent queries got a NOERROR reply"
is "$(cat "$T/load1.out" "$T/load2.out" | grep -c 'status: ')" "$sent" "... and no other rcode"
is "$(cat "$T/load1.out" "$T/load2.out" | grep -ci 'no servers could be reached')" 0 "... and none was lost"
diag "client retries after a timeout: $(cat "$T/load1.out" "$T/load2.out" | grep -ci 'timed out')"
replies_sent() {
    local -A st; stats_snapshot st
    local sum=0 k; for k in "${!st[@]}"; do [[ $k == rcode.* ]] && sum=$((sum + st[$k])); done
    last_counts="queries.total=${st[queries.total]:-?} replies=$sum"
    [ -n "${st[queries.total]}" ] && [ "$sum" -eq "${st[queries.total]}" ]
}
wait_until 5 replies_sent; ok $? "the daemon answered every query it read ($last_counts)"
wrong=$(cat "$T/load1.out" "$T/load2.out" | awk '$4 == "A" && $1 ~ /^(www|alias)\./ && $5 != "192.0.2.1" ||
    $4 == "A" && $1 ~ /^mail\./ && $5 != "192.0.2.25" || $4 == "A" && $1 ~ /^long\./ && $5 != "192.0.2.86" ||
    $4 == "A" && $1 ~ /^ttl\./ && $5 != "192.0.2.30"' | wc -l)
is "$wrong" 0 "every A record in the replies is the zone's own"

stop_resolverd
done_testing
