#!/usr/bin/env bash
# 20-localzone.t -- zones resolverd is authoritative for (`zone NAME PATH`): AA answers,
# NXDOMAIN and NODATA with the SOA in authority, in-zone CNAMEs followed, a delegation as a
# referral, the client's case kept; and a broken zone file is a start-up error naming it.
source "$(dirname "$0")/lib.sh"

RD_ADDR=127.53.20.2
RD_PORT=$(pick_port $RD_ADDR) || bail "no port"
CTL="$T/control.sock"
write_conf "$T/resolver.conf" \
    "listen $RD_ADDR $RD_PORT" \
    "zone example.test $DATA/example.test.zone" \
    "zone other.test. $DATA/other.test.zone" \
    "control $CTL" \
    "log-level debug"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"

# a positive answer: AA, the zone's data and TTL
out=$(rq www.example.test A)
is "$(dig_rcode "$out")" NOERROR "www.example.test A: NOERROR"
has_flag "$out" aa; ok $? "www.example.test A: AA flag set (flags: $(dig_flags "$out"))"
is "$(dig_section "$out" ANSWER | awk '{print $1, $2, $3, $4, $5}')" "www.example.test. 3600 IN A 192.0.2.1" \
    "www.example.test A: the record with the zone's TTL"
is "$(rq +short www.example.test AAAA)" 2001:db8::1 "www.example.test AAAA"
is "$(rq +short example.test MX)" "10 mail.example.test." "MX at the apex"
is "$(rq +short www.other.test A)" 198.51.100.1 "the second zone is served too"
out=$(rq +norec www.other.test A)
has_flag "$out" aa; ok $? "AA also without RD (flags: $(dig_flags "$out"))"
# the `+noall +comments` view shows the flags line with aa
like "$(rq +noall +comments www.example.test A)" 'flags: [a-z ]*aa' "dig +noall +comments shows aa"

# NXDOMAIN with the SOA in authority
out=$(rq nonexistent.example.test A)
is "$(dig_rcode "$out")" NXDOMAIN "nonexistent.example.test: NXDOMAIN"
has_flag "$out" aa; ok $? "NXDOMAIN is authoritative (AA)"
is "$(dig_count "$out" ANSWER)" 0 "NXDOMAIN: empty answer"
is "$(dig_section "$out" AUTHORITY | awk '{print $1, $3, $4}')" "example.test. IN SOA" "NXDOMAIN: the zone's SOA in authority"
out=$(rq deep.below.nothing.other.test AAAA)
is "$(dig_rcode "$out")" NXDOMAIN "NXDOMAIN in the second zone"
is "$(dig_section "$out" AUTHORITY | awk '{print $1, $4}')" "other.test. SOA" "... with other.test's SOA"

# NODATA with the SOA in authority
out=$(rq www.example.test MX)
is "$(dig_rcode "$out")" NOERROR "www.example.test MX: NOERROR"
is "$(dig_count "$out" ANSWER)" 0 "www.example.test MX: empty answer (NODATA)"
has_flag "$out" aa; ok $? "NODATA is authoritative (AA)"
is "$(dig_section "$out" AUTHORITY | awk '{print $1, $3, $4}')" "example.test. IN SOA" "NODATA: the zone's SOA in authority"

# an in-zone CNAME is followed
out=$(rq alias.example.test A)
is "$(dig_rcode "$out")" NOERROR "alias.example.test A: NOERROR"
ans=$(dig_section "$out" ANSWER | awk '{print $1, $4, $5}')
is "$ans" "alias.example.test. CNAME www.example.test.
www.example.test. A 192.0.2.1" "alias.example.test A: the CNAME, then the target's A"
is "$(rq +short alias.example.test CNAME)" www.example.test. "alias.example.test CNAME: the CNAME itself"

# a delegation inside the zone: a referral (NS in authority, glue, no AA)
out=$(rq www.sub.example.test A)
is "$(dig_rcode "$out")" NOERROR "below a delegation: NOERROR"
is "$(dig_count "$out" ANSWER)" 0 "below a delegation: no answer"
is "$(dig_section "$out" AUTHORITY | awk '{print $1, $4, $5}')" "sub.example.test. NS ns.sub.example.test." \
    "below a delegation: the NS in authority (a referral)"
has_flag "$out" aa; isnt $? 0 "a referral is not authoritative (no AA)"
like "$(dig_section "$out" ADDITIONAL)" 'ns\.sub\.example\.test\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.100' "the referral carries the glue"

# the client's case
out=$(rq WWW.Example.TEST A)
is "$(dig_section "$out" QUESTION | awk '{print $1}')" ";WWW.Example.TEST." "mixed-case query: the question keeps the client's case"
is "$(dig_section "$out" ANSWER | awk '{print $1, $5}')" "WWW.Example.TEST. 192.0.2.1" "mixed-case query: answered, owner in the client's case"

# the 13 queries above (and the start-up probe) are counted
cmp_ok "$(stat_get queries.total)" -ge 13 "stats: queries.total counts the queries ($(stat_get queries.total))"

stop_resolverd

# a zone file error is a start-up error naming the file
printf '$ORIGIN broken.test.\n@ IN SOA ns hm 1 2 3 4 5\nwww IN A 300.1.2.3\n' >"$T/broken.zone"
write_conf "$T/broken.conf" "listen $RD_ADDR $RD_PORT" "zone broken.test $T/broken.zone"
err=$(timeout 10 "$RESOLVERD" -c "$T/broken.conf" 2>&1 >/dev/null); rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; ok $? "a zone file with a bad record: resolverd refuses to start (exit $rc)"
like "$err" "broken\\.zone" "... and the message names the zone file"
done_testing
