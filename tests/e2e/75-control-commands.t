#!/usr/bin/env bash
# 75-control-commands.t -- the resolverctl commands beyond flush/stats/reload, against a
# resolverd forwarding to NSD: status, dump-cache (comment lines, remaining TTLs),
# flush-type (that type only), flush-negative (negative entries only), flush-zone (the zone,
# its subnames and its negative entries, nothing outside it), the qtype counters,
# stats-reset, flush-infra, and bad arguments. What a flush removed is checked twice: in
# cache.entries, and by stopping NSD (flushed names then get SERVFAIL with EDE 23, the rest is
# answered).
source "$(dirname "$0")/lib.sh"

NSD_A=127.53.75.1
RD_ADDR=127.53.75.2
NP=$(pick_port $NSD_A) && RD_PORT=$(pick_port $RD_ADDR) || bail "no port"
CTL="$T/control.sock"

start_nsd $NSD_A "$NP" "$DATA/example.test.zone" "$DATA/other.test.zone" || bail "nsd did not start"
write_conf "$T/resolver.conf" \
    "listen $RD_ADDR $RD_PORT" \
    "forward . $NSD_A@$NP" \
    "control $CTL" \
    "cache-size 8M" \
    "upstream-timeout 500" \
    "log-level debug"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"

# has_line TEXT REGEX NAME / lacks_line: does some line of a multi-line output match?
has_line() { grep -qE -- "$2" <<<"$1"; ok $? "$3" || diag "$1"; }
lacks_line() { ! grep -qE -- "$2" <<<"$1"; ok $? "$3" || diag "$1"; }

# --- status ---------------------------------------------------------------------------------
out=$(rctl status 2>&1); rc=$?
is "$rc" 0 "status: exit 0" || diag "$out"
has_line "$out" '^version=resolverd 0\.1\.0$' "status: the version"
has_line "$out" '^uptime=[0-9]+$' "status: the uptime in seconds"
has_line "$out" "^threads=$(nproc)\$" "status: threads (one per CPU by default)"
has_line "$out" "^config=$T/resolver\\.conf\$" "status: the config file"
has_line "$out" '^cache\.size=8388608$' "status: cache-size 8M"
has_line "$out" '^cache\.entries=0$' "status: the cache is empty at start"
_uptime_grew() { up=$(rctl status 2>/dev/null | sed -n 's/^uptime=//p'); [ "${up:-0}" -ge 1 ]; }
wait_until 5 _uptime_grew; ok $? "status: the uptime grows ($up s)"

# --- fill the cache -------------------------------------------------------------------------
is "$(rq +short www.example.test A)" 192.0.2.1 "www.example.test A"
is "$(rq +short www.example.test AAAA)" 2001:db8::1 "www.example.test AAAA"
is "$(rq +short mail.example.test A)" 192.0.2.25 "mail.example.test A"
is "$(rq +short example.test MX)" "10 mail.example.test." "example.test MX"
out1=$(rq ttl.example.test A); ttl1=$(dig_ttl "$out1")
is "$(dig_section "$out1" ANSWER | awk '{print $5}')" 192.0.2.30 "ttl.example.test A (TTL $ttl1)"
out=$(rq www.example.test MX)
is "$(dig_rcode "$out")/$(dig_count "$out" ANSWER)" NOERROR/0 "www.example.test MX: NODATA"
is "$(rcode_of nx1.example.test A)" NXDOMAIN "nx1.example.test: NXDOMAIN"
is "$(rq +short www.other.test A)" 198.51.100.1 "www.other.test A"
is "$(rcode_of nx1.other.test A)" NXDOMAIN "nx1.other.test: NXDOMAIN"
e0=$(stat_get cache.entries)
cmp_ok "${e0:-0}" -ge 9 "nine answers cached ($e0)"

# --- per-type counters ----------------------------------------------------------------------
cmp_ok "$(stat_get qtype.A)" -ge 6 "stats: qtype.A counts the A queries ($(stat_get qtype.A))"
cmp_ok "$(stat_get qtype.AAAA)" -ge 1 "stats: qtype.AAAA ($(stat_get qtype.AAAA))"
cmp_ok "$(stat_get qtype.MX)" -ge 2 "stats: qtype.MX ($(stat_get qtype.MX))"
has_line "$(rctl stats)" '^qtype\.other=[0-9]+$' "stats: qtype.other"

# --- dump-cache -----------------------------------------------------------------------------
dump=$(rctl dump-cache 2>&1); rc=$?
is "$rc" 0 "dump-cache: exit 0" || diag "$dump"
has_line "$dump" '^; ttl\.example\.test\. A IN positive rcode=NOERROR$' "dump-cache: a positive entry's comment line"
dttl=$(awk '$1 == "ttl.example.test." && $4 == "A" && $5 == "192.0.2.30" {print $2; exit}' <<<"$dump")
cmp_ok "${dttl:-99999}" -le "${ttl1:-0}" "dump-cache: ttl.example.test's TTL is not above the one served ($dttl <= $ttl1)"
cmp_ok "${dttl:-0}" -gt 0 "dump-cache: ... and still positive"
has_line "$dump" '^; nx1\.example\.test\. A IN negative rcode=NXDOMAIN$' "dump-cache: a negative entry is marked"
has_line "$dump" '^example\.test\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+SOA[[:space:]]' "dump-cache: ... with its SOA"
has_line "$dump" '^; www\.example\.test\. MX IN negative rcode=NOERROR$' "dump-cache: NODATA is negative with NOERROR"
is "$(grep -c '^; .* rcode=' <<<"$dump")" "$e0" "dump-cache: one comment line per entry"
_dump_ttl_dropped() {
    d2=$(rctl dump-cache | awk '$1 == "ttl.example.test." && $4 == "A" {print $2; exit}')
    [ -n "$d2" ] && [ "$d2" -lt "$dttl" ]
}
wait_until 5 _dump_ttl_dropped; ok $? "dump-cache: the TTL shown is what remains ($dttl -> $d2)"

# --- flush-type -----------------------------------------------------------------------------
out=$(rctl flush-type www.example.test AAAA 2>&1); rc=$?
is "$rc" 0 "flush-type: exit 0"
is "$out" "flushed 1 entries" "flush-type www.example.test AAAA: one entry"
is "$(stat_get cache.entries)" $(( e0 - 1 )) "flush-type: cache.entries one less"
dump=$(rctl dump-cache)
lacks_line "$dump" '^; www\.example\.test\. AAAA ' "flush-type: the AAAA entry is gone from the dump"
has_line "$dump" '^; www\.example\.test\. A IN positive' "flush-type: the A entry of the same name stays"

# --- flush-negative -------------------------------------------------------------------------
out=$(rctl flush-negative 2>&1); rc=$?
is "$rc" 0 "flush-negative: exit 0"
is "$out" "flushed 3 entries" "flush-negative: the NODATA and the two NXDOMAIN entries"
is "$(stat_get cache.entries)" $(( e0 - 4 )) "flush-negative: cache.entries three less"
lacks_line "$(rctl dump-cache)" ' negative rcode=' "flush-negative: no negative entry left in the dump"

# new negative entries, inside and outside the zone, for flush-zone
is "$(rcode_of nx2.example.test A)" NXDOMAIN "nx2.example.test: NXDOMAIN"
is "$(rcode_of nx2.other.test A)" NXDOMAIN "nx2.other.test: NXDOMAIN"

# --- with NSD stopped, what is cached shows ---------------------------------------------------
stop_nsd; ok $? "nsd stopped"
is "$(rcode_ede_of +time=5 www.example.test AAAA)" SERVFAIL/23 "after flush-type: www.example.test AAAA is SERVFAIL (EDE 23)"
is "$(rq +short www.example.test A)" 192.0.2.1 "after flush-type: www.example.test A still answered"
is "$(rcode_ede_of +time=5 nx1.example.test A)" SERVFAIL/23 "after flush-negative: nx1.example.test is SERVFAIL (EDE 23)"
is "$(rcode_ede_of +time=5 nx1.other.test A)" SERVFAIL/23 "after flush-negative: nx1.other.test is SERVFAIL (EDE 23)"
is "$(rq +short mail.example.test A)" 192.0.2.25 "after flush-negative: positive answers still served"

# --- flush-zone -----------------------------------------------------------------------------
before=$(stat_get cache.entries)
out=$(rctl flush-zone Example.TEST 2>&1); rc=$?
is "$rc" 0 "flush-zone: exit 0"
is "$out" "flushed 5 entries" "flush-zone example.test: www A, mail A, ttl A, the apex MX, nx2"
is "$(stat_get cache.entries)" 2 "flush-zone: the two other.test entries are left (of $before)"
is "$(rcode_ede_of +time=5 www.example.test A)" SERVFAIL/23 "after flush-zone: www.example.test is SERVFAIL (EDE 23)"
is "$(rcode_ede_of +time=5 example.test MX)" SERVFAIL/23 "after flush-zone: the apex is SERVFAIL (EDE 23)"
is "$(rcode_ede_of +time=5 nx2.example.test A)" SERVFAIL/23 "after flush-zone: its negative entry is gone (EDE 23)"
is "$(rq +short www.other.test A)" 198.51.100.1 "after flush-zone: www.other.test still answered"
is "$(rcode_of nx2.other.test A)" NXDOMAIN "after flush-zone: other.test's negative entry kept"
out=$(rctl flush-zone example.test other.test 2>&1)
is "$out" "flushed 2 entries" "flush-zone with two names"
is "$(stat_get cache.entries)" 0 "... the cache is empty"

# --- flush-infra, stats-reset ----------------------------------------------------------------
out=$(rctl flush-infra 2>&1); rc=$?
is "$rc" 0 "flush-infra: exit 0"
has_line "$out" '^flushed [0-9]+ entries$' "flush-infra: says how many ($out)"
cmp_ok "$(stat_get queries.total)" -gt 0 "before stats-reset: queries.total > 0"
out=$(rctl stats-reset 2>&1); rc=$?
is "$rc" 0 "stats-reset: exit 0"
is "$out" "statistics reset" "stats-reset: says so"
st=$(rctl stats)
has_line "$st" '^queries\.total=0$' "stats-reset: queries.total=0"
has_line "$st" '^qtype\.A=0$' "stats-reset: qtype.A=0"
has_line "$st" '^rcode\.SERVFAIL=0$' "stats-reset: rcode.SERVFAIL=0"
has_line "$st" '^tcp\.open=0$' "stats-reset: the tcp.open gauge is still right"
rq www.other.test A >/dev/null
is "$(stat_get queries.total)" 1 "after stats-reset: counting starts again"

# --- bad arguments ----------------------------------------------------------------------------
bad() {   # bad DESCRIPTION PATTERN ARGS...: non-zero exit and a message matching PATTERN
    local what=$1 pat=$2; shift 2
    local out rc
    out=$(rctl "$@" 2>&1); rc=$?
    isnt "$rc" 0 "$what: non-zero exit"
    like "$out" "$pat" "$what: says why ($out)"
}
bad "flush-type with an unknown type" "unknown type 'BOGUS'" flush-type www.example.test BOGUS
bad "flush-type with an invalid name" "invalid name" flush-type 'a..b' A
bad "flush-type without a type" "usage: flush-type NAME TYPE" flush-type www.example.test
bad "flush-zone with an invalid name" "invalid name 'a..b'" flush-zone example.test 'a..b'
bad "flush-zone without a name" "usage: flush-zone NAME" flush-zone
bad "flush-negative with an argument" "usage: flush-negative" flush-negative example.test
bad "status with an argument" "usage: status" status now
bad "dump-cache with an argument" "usage: dump-cache" dump-cache now
rd_alive; ok $? "resolverd still running"

stop_resolverd
done_testing
