#!/usr/bin/env bash
# 30-forward.t -- forwarding to NSD and the cache: answers equal NSD's, TTLs count down,
# min/max/negative TTL clamps, cached answers (positive, NXDOMAIN, NODATA) served with NSD
# stopped while uncached names get SERVFAIL (with EDE 23 Network Error: NSD's port is closed),
# `resolverctl flush NAME` and `flush`, counters.
source "$(dirname "$0")/lib.sh"

NSD_A=127.53.30.1
RD_ADDR=127.53.30.2
NP=$(pick_port $NSD_A) && RD_PORT=$(pick_port $RD_ADDR) || bail "no port"
CTL="$T/control.sock"

start_nsd $NSD_A "$NP" "$DATA/example.test.zone" "$DATA/other.test.zone" || bail "nsd did not start"
write_conf "$T/resolver.conf" \
    "listen $RD_ADDR $RD_PORT" \
    "forward . $NSD_A@$NP" \
    "control $CTL" \
    "cache-size 8M" \
    "min-ttl 60" \
    "max-ttl 1000" \
    "max-negative-ttl 120" \
    "upstream-timeout 500" \
    "log-level debug"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"
declare -A s0 s1 s2
stats_snapshot s0

# --- forwarded answers equal NSD's -------------------------------------------------------
for q in "www.example.test A" "www.example.test AAAA" "mail.example.test A" "example.test MX" \
         "example.test NS" "alias.example.test A" "txt.example.test TXT" "www.other.test AAAA"; do
    want=$(short_sorted $NSD_A "$NP" $q)
    got=$(short_sorted "$RD_ADDR" "$RD_PORT" $q)
    [ -n "$want" ] && [ "$got" = "$want" ]
    ok $? "forwarded $q equals NSD's answer" || { diag "nsd:       $want"; diag "resolverd: $got"; }
done
out=$(rq alias.example.test A)
is "$(dig_section "$out" ANSWER | awk '{print $1, $4, $5}')" "alias.example.test. CNAME www.example.test.
www.example.test. A 192.0.2.1" "forwarded CNAME answer: CNAME then A, in order"
out=$(rq mail.example.test A)
is "$(dig_rcode "$out")" NOERROR "forwarded answer: NOERROR"
has_flag "$out" ra; ok $? "forwarded answer: RA set (flags: $(dig_flags "$out"))"
has_flag "$out" aa; isnt $? 0 "forwarded answer: AA not set, resolverd is no authority for it (flags: $(dig_flags "$out"))"

# --- a cached answer's TTL counts down ----------------------------------------------------
out1=$(rq ttl.example.test A); t1=$(now_ms)
ttl1=$(dig_ttl "$out1")
is "$(dig_section "$out1" ANSWER | awk '{print $5}')" 192.0.2.30 "ttl.example.test: answered"
cmp_ok "${ttl1:-0}" -le 300 "first TTL is at most the zone's 300 ($ttl1)"
hits0=$(stat_get cache.hits)
_ttl_dropped() { out2=$(rq ttl.example.test A); ttl2=$(dig_ttl "$out2"); [ -n "$ttl2" ] && [ "$ttl2" -lt "$ttl1" ]; }
wait_until 5 _ttl_dropped
ok $? "a cached answer's TTL counts down ($ttl1 -> $ttl2 after $(( $(now_ms) - t1 )) ms)"
diag "TTL countdown, first dig output:"; diag "$out1"
diag "TTL countdown, later dig output:"; diag "$out2"
el=$(( ($(now_ms) - t1) / 1000 ))
cmp_ok "${ttl2:-0}" -ge $(( ttl1 - el - 2 )) "... by about the time that passed (${el}s)"
cmp_ok "$(stat_get cache.hits)" -gt "${hits0:-999999}" "the later answers were cache hits"

# the client's case on a cache hit
out=$(rq TTL.Example.TEST A)
is "$(dig_section "$out" QUESTION | awk '{print $1}')" ";TTL.Example.TEST." "cache hit: the question keeps the client's case"
is "$(dig_section "$out" ANSWER | awk '{print $5}')" 192.0.2.30 "cache hit with another case: same answer"

# --- clamps: max-ttl 1000, min-ttl 60, max-negative-ttl 120 ------------------------------
ttl=$(dig_ttl "$(rq long.example.test A)")
cmp_ok "${ttl:-99999}" -le 1000 "max-ttl 1000: a 86400 s record, first answer (cache miss), TTL <= 1000 ($ttl)"
ttl=$(dig_ttl "$(rq long.example.test A)")
cmp_ok "${ttl:-99999}" -le 1000 "max-ttl 1000: a 86400 s record, from the cache, TTL <= 1000 ($ttl)"
ttl=$(dig_ttl "$(rq short.example.test A)")
cmp_ok "${ttl:-0}" -ge 55 "min-ttl 60: a 5 s record, first answer (cache miss), TTL >= 55 ($ttl)"
ttl=$(dig_ttl "$(rq short.example.test A)")
cmp_ok "${ttl:-0}" -ge 55 "min-ttl 60: a 5 s record, from the cache, TTL >= 55 ($ttl)"

# --- negative answers ---------------------------------------------------------------------
out=$(rq nx1.example.test A)
is "$(dig_rcode "$out")" NXDOMAIN "nx1.example.test: NXDOMAIN forwarded"
is "$(dig_section "$out" AUTHORITY | awk '{print $1, $4}')" "example.test. SOA" "NXDOMAIN: SOA in authority"
nttl=$(dig_section "$out" AUTHORITY | awk '$4 == "SOA" {print $2}')
cmp_ok "${nttl:-99999}" -le 120 "first NXDOMAIN (cache miss): SOA TTL capped by max-negative-ttl 120 ($nttl)"
out=$(rq nx1.example.test A)
is "$(dig_rcode "$out")" NXDOMAIN "nx1.example.test again: NXDOMAIN"
nttl=$(dig_section "$out" AUTHORITY | awk '$4 == "SOA" {print $2}')
cmp_ok "${nttl:-99999}" -le 120 "cached NXDOMAIN: SOA TTL capped by max-negative-ttl 120 ($nttl)"
out=$(rq www.example.test MX)
is "$(dig_rcode "$out")/$(dig_count "$out" ANSWER)" NOERROR/0 "www.example.test MX: NODATA forwarded"
stats_snapshot s1
cmp_ok "${s1[cache.entries]:-0}" -gt 0 "stats: cache.entries > 0 (${s1[cache.entries]})"

# --- NSD stopped: the cache answers, the rest is SERVFAIL ---------------------------------
stop_nsd; ok $? "nsd stopped"
out=$(rq www.example.test A)
is "$(dig_rcode "$out")" NOERROR "NSD down: cached www.example.test A still NOERROR"
is "$(dig_section "$out" ANSWER | awk '{print $5}')" 192.0.2.1 "NSD down: cached www.example.test A still answered"
is "$(rq +short mail.example.test A)" 192.0.2.25 "NSD down: cached mail.example.test A still answered"
is "$(rcode_of nx1.example.test A)" NXDOMAIN "NSD down: NXDOMAIN for nx1.example.test served from the cache"
out=$(rq www.example.test MX)
is "$(dig_rcode "$out")/$(dig_count "$out" ANSWER)" NOERROR/0 "NSD down: NODATA served from the cache"
t0=$(now_ms)
is "$(rcode_ede_of +time=5 uncached.example.test A)" SERVFAIL/23 "NSD down: an uncached name gets SERVFAIL (EDE 23: the forwarder is gone)"
cmp_ok $(( $(now_ms) - t0 )) -lt 4000 "... within 4 s"
is "$(rcode_ede_of +time=5 nx2.example.test A)" SERVFAIL/23 "NSD down: an uncached NXDOMAIN name gets SERVFAIL (EDE 23: the forwarder is gone)"

# --- flush NAME ---------------------------------------------------------------------------
rctl flush www.example.test >"$T/flush.out" 2>&1; rc=$?
is "$rc" 0 "resolverctl flush www.example.test: exit 0" || diag_file "$T/flush.out"
is "$(rcode_ede_of +time=5 www.example.test A)" SERVFAIL/23 "after flush NAME: www.example.test A is SERVFAIL (EDE 23: the forwarder is gone)"
is "$(rcode_ede_of +time=5 www.example.test AAAA)" SERVFAIL/23 "after flush NAME: www.example.test AAAA (all types) is SERVFAIL (EDE 23: the forwarder is gone)"
is "$(rq +short mail.example.test A)" 192.0.2.25 "after flush NAME: other cached names still served"
is "$(rcode_of nx1.example.test A)" NXDOMAIN "after flush NAME: cached NXDOMAIN of another name still served"
is "$(rq +short ttl.example.test A)" 192.0.2.30 "after flush NAME: ttl.example.test still served"

# --- counters -----------------------------------------------------------------------------
stats_snapshot s2
d() { echo $(( ${s2[$1]:--999999} - ${s0[$1]:-999999} )); }
cmp_ok "$(d queries.total)" -ge 30 "stats: queries.total grew by the queries asked ($(d queries.total))"
cmp_ok "$(d cache.hits)" -ge 12 "stats: cache.hits grew by the cached answers ($(d cache.hits))"
cmp_ok "$(d cache.misses)" -ge 10 "stats: cache.misses grew by the names fetched ($(d cache.misses))"
cmp_ok "$(d upstream.queries)" -ge 12 "stats: upstream.queries grew ($(d upstream.queries))"
cmp_ok "$(d rcode.NOERROR)" -ge 20 "stats: rcode.NOERROR grew ($(d rcode.NOERROR))"
cmp_ok "$(d rcode.NXDOMAIN)" -ge 4 "stats: rcode.NXDOMAIN grew ($(d rcode.NXDOMAIN))"
cmp_ok "$(d rcode.SERVFAIL)" -ge 4 "stats: rcode.SERVFAIL grew ($(d rcode.SERVFAIL))"
cmp_ok "${s2[queries.total]:-0}" -ge $(( ${s2[cache.hits]:-0} )) "stats: queries.total >= cache.hits"

# --- flush everything ---------------------------------------------------------------------
rctl flush >"$T/flush.out" 2>&1; rc=$?
is "$rc" 0 "resolverctl flush: exit 0" || diag_file "$T/flush.out"
is "$(stat_get cache.entries)" 0 "after flush: cache.entries=0"
is "$(rcode_ede_of +time=5 mail.example.test A)" SERVFAIL/23 "after flush: mail.example.test is SERVFAIL (EDE 23: the forwarder is gone)"
is "$(rcode_ede_of +time=5 nx1.example.test A)" SERVFAIL/23 "after flush: the cached NXDOMAIN is gone too (EDE 23: the forwarder is gone)"

stop_resolverd
done_testing
