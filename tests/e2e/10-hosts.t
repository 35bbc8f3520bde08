#!/usr/bin/env bash
# 10-hosts.t -- answers from a hosts file: A, AAAA, PTR (v4 and v6), NODATA, the client's case,
# the answers.hosts counter, and a live edit of the file picked up without a restart.
# No forwarders: a name the hosts file does not have cannot be answered from anywhere else.
source "$(dirname "$0")/lib.sh"

RD_ADDR=127.53.10.2
RD_PORT=$(pick_port $RD_ADDR) || bail "no port"
CTL="$T/control.sock"
HOSTS="$T/hosts"
cp "$DATA/hosts" "$HOSTS"
write_conf "$T/resolver.conf" \
    "listen $RD_ADDR $RD_PORT" \
    "hosts $HOSTS" \
    "control $CTL" \
    "cache-size 4M" \
    "log-level debug"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"

h0=$(stat_get answers.hosts)

# A: both names of a line, and a tab-separated line
out=$(rq www.hosts.test A)
is "$(dig_rcode "$out")" NOERROR "A www.hosts.test: NOERROR"
is "$(dig_section "$out" ANSWER | awk '{print $1, $3, $4, $5}')" "www.hosts.test. IN A 192.0.2.10" \
    "A www.hosts.test: the address from the hosts file"
is "$(rq +short web.hosts.test A)" 192.0.2.10 "A for the second name of a line"
is "$(rq +short mixedcase.hosts.test A)" 192.0.2.40 "A from a tab-separated line written in mixed case"

# AAAA
out=$(rq www.hosts.test AAAA)
is "$(dig_rcode "$out")" NOERROR "AAAA www.hosts.test: NOERROR"
is "$(rq +short www.hosts.test AAAA)" 2001:db8::10 "AAAA www.hosts.test: the IPv6 address"
is "$(rq +short v6only.hosts.test AAAA)" 2001:db8::30 "AAAA of an IPv6-only name"

# PTR, IPv4 and IPv6: the first name of the line
out=$(rq -x 192.0.2.10)
is "$(dig_rcode "$out")" NOERROR "PTR 10.2.0.192.in-addr.arpa: NOERROR"
is "$(rq +short -x 192.0.2.10)" www.hosts.test. "PTR 192.0.2.10 -> the first name of its line"
is "$(rq +short -x 2001:db8::10)" www.hosts.test. "PTR 2001:db8::10 (ip6.arpa) -> www.hosts.test."
is "$(rq +short -x 2001:db8::30)" v6only.hosts.test. "PTR of an IPv6-only name"

# NODATA: the name is there, the type is not -> NOERROR, empty answer (not SERVFAIL)
out=$(rq v4only.hosts.test AAAA)
is "$(dig_rcode "$out")" NOERROR "AAAA of an IPv4-only name: NOERROR"
is "$(dig_count "$out" ANSWER)" 0 "AAAA of an IPv4-only name: empty answer (NODATA)"
out=$(rq v6only.hosts.test A)
is "$(dig_rcode "$out")/$(dig_count "$out" ANSWER)" NOERROR/0 "A of an IPv6-only name: NODATA"
out=$(rq www.hosts.test MX)
is "$(dig_rcode "$out")/$(dig_count "$out" ANSWER)" NOERROR/0 "MX of a hosts name: NODATA"

# a name that is not in the file is not answered from it
out=$(rq nothere.hosts.test A)
dig_answered "$out"; ok $? "a name not in the hosts file gets a reply"
isnt "$(dig_rcode "$out")/$(dig_count "$out" ANSWER)" NOERROR/1 "... but not an address"

# the client's case is kept (question and owner), matching is case-insensitive
out=$(rq WwW.HoStS.TeSt A)
is "$(dig_section "$out" QUESTION | awk '{print $1}')" ";WwW.HoStS.TeSt." "mixed-case query: question keeps the client's case"
is "$(dig_section "$out" ANSWER | awk '{print $5}')" 192.0.2.10 "mixed-case query: answered"
is "$(dig_section "$out" ANSWER | awk '{print $1}')" WwW.HoStS.TeSt. "mixed-case query: answer owner keeps the client's case"

# answers.hosts counts them
h1=$(stat_get answers.hosts)
cmp_ok "${h1:-0}" -ge $(( ${h0:-999999} + 11 )) "stats: answers.hosts grew by at least the 11 positive hosts answers ($h0 -> $h1)"

# live edit 1: rewrite in place; the address changes and the line gets longer (size changes)
{ grep -v '^192\.0\.2\.20 ' "$HOSTS"; echo "192.0.2.201     v4only.hosts.test added.hosts.test"; } >"$HOSTS.new"
cat "$HOSTS.new" >"$HOSTS"       # in place: same inode, new size and mtime
t0=$(now_ms)
wait_until 15 eval '[ "$(rq +short v4only.hosts.test A)" = 192.0.2.201 ]'
ok $? "hosts file edited in place: new address served without a restart ($(( $(now_ms) - t0 )) ms)"
is "$(rq +short added.hosts.test A)" 192.0.2.201 "hosts file edited in place: a new name is served"
is "$(rq +short -x 192.0.2.201)" v4only.hosts.test. "hosts file edited in place: its PTR is served"
out=$(rq -x 192.0.2.20)
isnt "$(dig_section "$out" ANSWER | awk '{print $5}')" v4only.hosts.test. "the old address's PTR is gone"

# live edit 2: replace the file by rename (what editors and sed -i do)
{ grep -v '^192\.0\.2\.201 ' "$HOSTS"; echo "192.0.2.222 v4only.hosts.test"; } >"$HOSTS.tmp"
mv "$HOSTS.tmp" "$HOSTS"
t0=$(now_ms)
wait_until 15 eval '[ "$(rq +short v4only.hosts.test A)" = 192.0.2.222 ]'
ok $? "hosts file replaced by rename: new address served ($(( $(now_ms) - t0 )) ms)"
out=$(rq added.hosts.test A)
isnt "$(dig_section "$out" ANSWER | awk '{print $5}')" 192.0.2.201 "a name removed from the hosts file is no longer answered"

rd_alive; ok $? "resolverd still running"
stop_resolverd
done_testing
