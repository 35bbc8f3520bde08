#!/usr/bin/env bash
# 38-serve-stale.t -- serve-stale (RFC 8767) on the simulated internet: with every authority
# of a zone down, a name cached before answers, once its TTL has run out, with TTL 30 and
# EDE 3 (Stale Answer) within serve-stale-client-timeout; a stale NXDOMAIN carries EDE 19;
# after the failed refresh the name is served stale without asking upstream until the
# back-off has passed; with an authority that never answers, the client gets the stale
# answer at the client timeout while the resolution goes on; with `serve-stale no` the
# same name gets SERVFAIL with an EDE naming the cause. Time moves with libfaketime (lib.sh fake_clock_*).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/simnet.sh"

fake_clock_on || { diag "libfaketime is not installed (Debian faketime)"; skip "no libfaketime" "serve-stale"; done_testing; }
printf '127.0.0.1 localhost.test.invalid\n' >"$T/hosts"
RD_ADDR=$SIM_RD_ADDR RD_PORT=53
CLIENT_TIMEOUT=600                      # below one upstream-timeout (1000 ms): see half.test
start_rd() {
    sim_resolverd_conf "$T/resolver.conf" "hosts $T/hosts" "log-level debug" "prefetch no" \
        "serve-stale-client-timeout $CLIENT_TIMEOUT" "$@"
    start_resolverd "$T/resolver.conf" "$RD_ADDR" 53 || bail "resolverd did not start"
}
idle() { [ "$(stat_get mesh.outstanding)" = 0 ]; }
ede_of() { sed -n 's/^; EDE: \(.*\)$/\1/p' <<<"$1" | head -n1; }
# timed DIG-ARGS: dig at resolverd; sets out and el (ms)
timed() { local t0; t0=$(now_ms); out=$(rq +time=8 "$@"); el=$(( $(now_ms) - t0 )); }

# --- serve-stale yes ------------------------------------------------------------------------
start_rd "serve-stale yes"
is "$(rq +short www.diff.test A)" 192.0.2.70 "www.diff.test resolved and cached (TTL 3600)"
is "$(dig_rcode "$(rq nope.diff.test A)")" NXDOMAIN "nope.diff.test: NXDOMAIN cached (TTL 300)"
is "$(rq +short www.half.test A)" 192.0.2.50 "www.half.test resolved and cached (TTL 3600)"
sim_stop_server ns1.diff.test && sim_stop_server ns2.diff.test
ok $? "both authorities of diff.test stopped"
fake_clock_at 3700

timed www.diff.test A
is "$(dig_rcode "$out")" NOERROR "an hour later, every authority down: NOERROR"
is "$(dig_section "$out" ANSWER | awk '{print $2, $5}')" "30 192.0.2.70" "... the expired answer with TTL 30"
is "$(ede_of "$out")" "3 (Stale Answer)" "... and EDE 3 (Stale Answer)" || diag "$out"
cmp_ok "$el" -le $(( CLIENT_TIMEOUT + 400 )) "... within serve-stale-client-timeout ${CLIENT_TIMEOUT} ms (+ slack: $el ms)"

timed nope.diff.test A
is "$(dig_rcode "$out")" NXDOMAIN "a cached NXDOMAIN: served stale too"
is "$(ede_of "$out")" "19 (Stale NXDOMAIN Answer)" "... with EDE 19 (Stale NXDOMAIN Answer)" || diag "$out"
is "$(dig_section "$out" AUTHORITY | awk '$4 == "SOA" {print $2}')" 30 "... its SOA with TTL 30"

wait_until 10 idle
q0=$(stat_get upstream.queries)
timed www.diff.test A
is "$(ede_of "$out") $(dig_section "$out" ANSWER | awk '{print $2}')" "3 (Stale Answer) 30" \
    "asked again after the failed refresh: stale at once"
cmp_ok "$el" -lt 1000 "... without waiting ($el ms)"
is "$(stat_get upstream.queries)" "$q0" "... and without asking upstream (back-off)"
cmp_ok "$(stat_get answers.stale)" -ge 3 "answers.stale counts them ($(stat_get answers.stale))"

fake_clock_at 3735                      # past the 30 s back-off
timed www.diff.test A
is "$(ede_of "$out")" "3 (Stale Answer)" "after the back-off: stale again ..."
cmp_ok "$(stat_get upstream.queries)" -gt "$q0" "... after a new try upstream"

# an authority that never answers: the client gets the stale answer at the client timeout
sim_stop_server ns2.half.test && ok 0 "ns2.half.test stopped (ns1.half.test never answers)"
timed www.half.test A
is "$(dig_section "$out" ANSWER | awk '{print $2, $5}')" "30 192.0.2.50" "www.half.test, only a silent server left: the stale answer"
is "$(ede_of "$out")" "3 (Stale Answer)" "... with EDE 3"
cmp_ok "$el" -ge $(( CLIENT_TIMEOUT - 100 )) "... after the client timeout ($el ms) ..."
cmp_ok "$el" -le $(( CLIENT_TIMEOUT + 400 )) "... not much later"
cmp_ok "$(stat_get mesh.outstanding)" -ge 1 "... while the resolution goes on in the background"
wait_until 15 idle
ok $? "... until it gives up"
stop_resolverd
sim_start_server ns2.half.test

# --- serve-stale no ---------------------------------------------------------------------------
sim_start_server ns1.diff.test && sim_start_server ns2.diff.test
fake_clock_at 0
start_rd "serve-stale no"
is "$(rq +short www.diff.test A)" 192.0.2.70 "serve-stale no: www.diff.test cached"
sim_stop_server ns1.diff.test && sim_stop_server ns2.diff.test
fake_clock_at 3700
timed www.diff.test A
is "$(dig_rcode "$out")" SERVFAIL "serve-stale no: an hour later, every authority down: SERVFAIL"
like "$(ede_of "$out")" '^2[23] \(' "... saying why: EDE 22 or 23 ($(ede_of "$out"))"
unlike "$out" "Stale Answer" "... no stale answer"
is "$(stat_get answers.stale)" 0 "... answers.stale 0"
stop_resolverd

done_testing
