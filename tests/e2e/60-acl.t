#!/usr/bin/env bash
# 60-acl.t -- client access control: REFUSED outside `allow` (with EDE 18 Prohibited, no
# text; no EDE without EDNS), the most specific rule wins (a longer deny inside an allow, a
# longer allow inside a deny), loopback only by default.
# Answers come from a local zone, so no upstream is needed.
source "$(dirname "$0")/lib.sh"

RD_ADDR=127.53.60.2
RD_PORT=$(pick_port $RD_ADDR) || bail "no port"
ZONE="zone other.test $DATA/other.test.zone"

# from ADDR, print RCODE/EDE of `www.other.test A` ("/" = no reply; "NOERROR/" = no EDE)
from() { local src=$1; shift; rcode_ede_of -b "$src" "$@" www.other.test A; }

# --- allow 127.0.0.1/32 only ----------------------------------------------------------------
write_conf "$T/a.conf" "listen $RD_ADDR $RD_PORT" "$ZONE" "allow 127.0.0.1/32"
start_resolverd "$T/a.conf" || bail "resolverd did not start"
is "$(from 127.0.0.1)" NOERROR/ "allow 127.0.0.1/32: a query from 127.0.0.1 is answered"
is "$(rq -b 127.0.0.1 +short www.other.test A)" 198.51.100.1 "... with the data"
out=$(rq -b 127.53.9.9 www.other.test A)
is "$(dig_rcode "$out")" REFUSED "allow 127.0.0.1/32: a query from 127.53.9.9 is REFUSED"
is "$(dig_count "$out" ANSWER)" 0 "... with no answer data"
is "$(dig_ede "$out")" 18 "... saying why: EDE 18 (Prohibited)"
is "$(dig_ede_text "$out")" "" "... without a text (nothing about the config)"
out=$(rq +noedns -b 127.53.9.9 www.other.test A)
is "$(dig_rcode "$out")/$(dig_ede "$out")" REFUSED/ "... a query without EDNS: REFUSED, no EDE (RFC 8914)"
unlike "$out" 'OPT PSEUDOSECTION' "... and no OPT record"
out=$(rq +tcp -b 127.53.9.9 www.other.test A)
isnt "$(dig_rcode "$out")" NOERROR "allow 127.0.0.1/32: over TCP from 127.53.9.9 not answered with data ($(dig_rcode "$out"))"
unlike "$(dig_section "$out" ANSWER)" '198\.51\.100\.1' "... no address leaked over TCP"
is "$(from 127.0.0.2)" REFUSED/18 "allow 127.0.0.1/32: 127.0.0.2 is REFUSED too"
stop_resolverd

# --- allow 127.0.0.0/8, deny 127.53.9.0/24: the longer deny wins ----------------------------
write_conf "$T/b.conf" "listen $RD_ADDR $RD_PORT" "$ZONE" "allow 127.0.0.0/8" "deny 127.53.9.0/24"
start_resolverd "$T/b.conf" || bail "resolverd did not start"
is "$(from 127.53.9.9)" REFUSED/18 "deny 127.53.9.0/24 inside allow 127.0.0.0/8: 127.53.9.9 REFUSED"
is "$(from 127.53.9.200)" REFUSED/18 "... 127.53.9.200 REFUSED"
is "$(from 127.53.8.8)" NOERROR/ "... 127.53.8.8 (outside the deny) answered"
is "$(from 127.0.0.1)" NOERROR/ "... 127.0.0.1 answered"
stop_resolverd

# --- the other way round: deny 127.0.0.0/8, allow 127.53.7.0/24 (order in the file reversed) -
write_conf "$T/c.conf" "listen $RD_ADDR $RD_PORT" "$ZONE" "allow 127.53.7.0/24" "deny 127.0.0.0/8"
start_resolverd "$T/c.conf" || bail "resolverd did not start"
is "$(from 127.53.7.7)" NOERROR/ "allow 127.53.7.0/24 inside deny 127.0.0.0/8: 127.53.7.7 answered"
is "$(from 127.53.9.9)" REFUSED/18 "... 127.53.9.9 REFUSED"
is "$(from 127.0.0.1)" REFUSED/18 "... 127.0.0.1 REFUSED"
stop_resolverd

# --- no rule at all: loopback only, i.e. every 127.x is allowed ----------------------------
write_conf "$T/d.conf" "listen $RD_ADDR $RD_PORT" "$ZONE"
start_resolverd "$T/d.conf" || bail "resolverd did not start"
is "$(from 127.53.9.9)" NOERROR/ "no allow/deny: 127.53.9.9 (loopback) answered"
is "$(from 127.0.0.1)" NOERROR/ "no allow/deny: 127.0.0.1 answered"
stop_resolverd
done_testing
