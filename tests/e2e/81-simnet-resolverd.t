#!/usr/bin/env bash
# 81-simnet-resolverd.t -- iteration proven on the simulated internet, side by side with
# Unbound: every case of tools/simnet/cases.txt is asked of a cold resolverd and of a cold
# Unbound; both must give the expected rcode and answer, and the same rcode and answer RRsets
# as each other. The queries each needed (as counted by the authorities themselves, priming
# included) are printed as a table. A "+" case continues with the same warm resolvers.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/simnet.sh"

# the readiness probe of start_resolverd must not reach the authorities (it would be counted)
printf '127.0.0.1 localhost.test.invalid\n' >"$T/hosts"
sim_resolverd_conf "$T/resolver.conf" "hosts $T/hosts" "log-level debug"
RD_ADDR=$SIM_RD_ADDR RD_PORT=53
unbound_start || bail "unbound did not start"
unbound_stop

summary="$T/summary"
printf '%-17s %-28s %-5s %-9s %9s %8s\n' case question type rcode resolverd unbound >"$summary"
rd_up=0
ub_up=0
while read -r name qname qtype rcode expect; do
    if [[ $name == +* ]]; then
        name=${name#+}
    else
        [ "$rd_up" = 1 ] && { stop_resolverd; rd_up=0; }
        [ "$ub_up" = 1 ] && { unbound_stop; ub_up=0; }
    fi
    # resolverd first, alone, so that the authorities' count is its own. Once it has
    # answered nothing of it is in flight (priming ends before any resolution can).
    if [[ $rd_up == 1 ]]; then before=$after; else before=$(sim_count_settled); fi
    if [ "$rd_up" = 0 ]; then
        start_resolverd "$T/resolver.conf" "$RD_ADDR" 53 || bail "resolverd did not start"
        rd_up=1
    fi
    out=$(rq +time=12 "$qname" "$qtype")
    mid=$(sim_count)
    if [ "$ub_up" = 0 ]; then
        unbound_start || bail "unbound did not start"
        ub_up=1
    fi
    uout=$(uq "$qname" "$qtype")
    after=$(sim_count)
    sim_check "resolverd: $name ($qname $qtype)" "$out" "$rcode" $expect
    is "$(dig_rcode "$out")" "$(dig_rcode "$uout")" "$name: the same rcode as Unbound"
    is "$(answer_set "$out")" "$(answer_set "$uout")" "$name: the same answer RRsets as Unbound"
    printf '%-17s %-28s %-5s %-9s %9s %8s\n' "$name" "$qname" "$qtype" "$(dig_rcode "$out")" \
        $((mid - before)) $((after - mid)) >>"$summary"
done < <(sim_cases)
[ "$ub_up" = 1 ] && unbound_stop
[ "$rd_up" = 1 ] && stop_resolverd

diag "Queries received by all authorities, cold caches, priming included (resolverd alone first,"
diag "counted until it stopped; then Unbound, counted until its answer):"
diag_file "$summary" "  "
cp "$summary" "$ROOT/build/simnet-counts.txt" 2>/dev/null
done_testing
