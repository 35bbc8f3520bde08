# tests/e2e/simnet.sh -- sourced right after lib.sh by the tests that iterate over the simulated
# internet (tools/simnet/: real NSD servers and badns.pl on 127.54.x.y port 53).
#
# 1. Network namespace. Port 53 needs root, and two such tests must not collide on the same
#    addresses (prove -j), nor with a DNS service of the host. So the test re-executes itself
#    in a private network namespace with loopback up: `unshare -n` as root, `unshare -rn` (a
#    user namespace too) otherwise; also in a private PID namespace when allowed (--pid --fork
#    --mount-proc --kill-child), so that nothing it started can outlive it. SIMNET_NETNS=no
#    keeps the host's namespaces (root only); when neither works the whole test is skipped
#    ("1..0 # SKIP").
# 2. Starts the simulated internet into $T/sim (one TAP test); everything is stopped at exit
#    with the rest of lib.sh's cleanup.
# 3. Gives:
#    SIM_DIR SIM_HINTS           the running sim and its root hints (tools/simnet/root.hints)
#    SIM_CASES                   tools/simnet/cases.txt; `sim_cases` prints its case lines
#    sim_count                   total queries received by all authorities so far
#    sim_count_settled           the same, once it stopped moving (two equal reads, <= 5 s)
#    sim_counts                  per server: "NAME COUNT"
#    sim_stop_server NAME / sim_start_server NAME   (e.g. a.root.sim: "one root down")
#    unbound_start / unbound_stop / unbound_restart  Unbound iterating over the sim, on
#                                $UB_ADDR (127.54.255.1) port $UB_PORT, cold cache at each start
#    uq DIG-ARGS...              dig at Unbound (+tries=1 +time=10: an all-dead zone can take ~5 s)
#    answer_set OUT              the answer section of a dig output, TTLs removed, owner names
#                                lower-cased, sorted: compare two resolvers with `is`
#    sim_check LABEL OUT RCODE [EXPECT...]
#                                two TAP tests: the rcode, and the answer against a case's
#                                EXPECT list (see cases.txt)
#    sim_resolverd_conf FILE [LINE...]
#                                a resolverd config iterating over the sim: listens on
#                                $SIM_RD_ADDR (127.54.255.2) port 53, queries leave from there too,
#                                root-hints $SIM_HINTS, query-loopback yes, control $T/control.sock
#                                (sets CTL), plus LINEs

SIMNET="$ROOT/tools/simnet/simnet"
SIM_CASES="$ROOT/tools/simnet/cases.txt"

SIMLIB_PROBE=127.54.0.1
. "$E2E_DIR/simlib.sh"    # the private network namespace; answer_set, sim_check

SIM_DIR="$T/sim"
export SIM_DIR SIM_HINTS="$ROOT/tools/simnet/root.hints"
UB_ADDR=127.54.255.1
UB_PORT=""
SIM_RD_ADDR=127.54.255.2

simlib_start "simulated internet" "$SIMNET" "$SIM_DIR"

sim_count() { "$SIMNET" count "$SIM_DIR"; }
sim_counts() { "$SIMNET" counts "$SIM_DIR"; }
sim_count_settled() {
    local prev cur
    prev=$(sim_count)
    for _ in $(seq 1 12); do     # each read takes a few hundred ms: bounded to about 5 s
        cur=$(sim_count)
        [ "$cur" = "$prev" ] && break
        prev=$cur
    done
    echo "$cur"
}
sim_stop_server() { "$SIMNET" stop-server "$SIM_DIR" "$1"; }
sim_start_server() { "$SIMNET" start-server "$SIM_DIR" "$1"; }
sim_cases() { grep -v '^[[:space:]]*\(#\|$\)' "$SIM_CASES"; }

# unbound_start: Unbound on $UB_ADDR@$UB_PORT (a port picked once), cold cache. No TAP output;
# returns non-zero (with its log as diag lines) when it did not start.
unbound_start() {
    [ -n "$UB_PORT" ] || UB_PORT=$(pick_port "$UB_ADDR") || return 1
    "$SIMNET" unbound-start "$SIM_DIR" "$UB_PORT" 2>"$T/unbound-start.err" && return 0
    diag_file "$T/unbound-start.err" "unbound: "
    return 1
}
unbound_stop() { "$SIMNET" unbound-stop "$SIM_DIR"; }
unbound_restart() { unbound_stop && unbound_start; }
uq() { dig @"$UB_ADDR" -p "$UB_PORT" +tries=1 +time=10 "$@" 2>&1; }

sim_resolverd_conf() {
    local f=$1; shift
    CTL="$T/control.sock"
    write_conf "$f" "listen $SIM_RD_ADDR 53" "outgoing-interface $SIM_RD_ADDR" \
        "root-hints $SIM_HINTS" "query-loopback yes" "control $CTL" "$@"
}
