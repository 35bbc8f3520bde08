# tests/e2e/simlib.sh -- what the simulated internets' test libraries share (sourced by simnet.sh
# and signsim.sh, after lib.sh, with SIMLIB_PROBE set to an address their tree uses):
# 1. The network namespace (simnet.sh's header says why): re-executes the test in a private
#    network (and PID) namespace with loopback up, or skips it; then checks that nobody holds
#    $SIMLIB_PROBE port 53.
# 2. simlib_start LABEL TOOL DIR: `TOOL start DIR` (tools/simnet/simnet or signsim) as one TAP
#    test, bail out when it fails; lib.sh's cleanup runs `TOOL stop DIR` and kills the servers'
#    process groups (DIR/pids) should that not have stopped them.
# 3. answer_set OUT, sim_check LABEL OUT RCODE [EXPECT...] (simnet.sh's header).
# Sourced twice (both trees in one test), the second time does nothing.

[ -n "${_simlib_loaded:-}" ] && return 0
_simlib_loaded=1

_simnet_skip() {
    echo "1..0 # SKIP $*"
    rm -rf "$T"
    trap - EXIT
    exit 0
}

if [ -z "${SIMNET_IN_NETNS:-}" ]; then
    _sn_flags=-rn
    [ "$(id -u)" = 0 ] && _sn_flags=-n
    if [ "${SIMNET_NETNS:-auto}" != no ] && command -v ip >/dev/null && unshare "$_sn_flags" true 2>/dev/null; then
        # and a PID namespace where it works: when the test ends, however it ends, the kernel
        # stops every process it started (the test is its PID 1)
        _sn_pidns=(--pid --fork --mount-proc --kill-child)
        unshare "$_sn_flags" "${_sn_pidns[@]}" true 2>/dev/null || _sn_pidns=()
        # lib.sh made $T and set its traps; the re-executed test makes its own
        rm -rf "$T"
        trap - EXIT
        exec env SIMNET_IN_NETNS=1 unshare "$_sn_flags" "${_sn_pidns[@]}" -- /bin/bash -c \
            'ip link set lo up || { echo "Bail out! ip link set lo up failed"; exit 1; }; exec /bin/bash "$0" "$@"' \
            "$0" "$@"
    fi
    [ "$(id -u)" = 0 ] || _simnet_skip "port 53 needs root or user namespaces (unshare -rn) and ip (iproute2)"
    port_free "$SIMLIB_PROBE" 53 || _simnet_skip "$SIMLIB_PROBE port 53 is taken (another simulated internet?)"
fi

_simlib_tools=() _simlib_dirs=()
# cleanup (lib.sh) also stops the trees (each with its Unbounds), all servers at once
eval "_lib_$(declare -f cleanup)"
cleanup() {
    local i
    [ -n "$RD_PID" ] && _kill_pid "$RD_PID" && RD_PID=""
    for i in "${!_simlib_dirs[@]}"; do
        [ -f "${_simlib_dirs[i]}/pids" ] && "${_simlib_tools[i]}" stop "${_simlib_dirs[i]}"
    done
    _lib_cleanup
}

simlib_start() {
    local label=$1 tool=$2 dir=$3 t0 name pg more=""
    name=$(basename "$tool"); t0=$(now_ms)
    _simlib_tools+=("$tool") _simlib_dirs+=("$dir")
    if "$tool" start "$dir" 2>"$T/$name.err"; then
        [ -f "$dir/sign.log" ] && more="; $(sed 's/^[a-z]*: //' "$dir/sign.log")"
        ok 0 "$label started ($(wc -l <"$dir/pids") servers in $(( $(now_ms) - t0 )) ms${SIMNET_IN_NETNS:+, private network namespace}$more)"
    else
        ok 1 "$label started"
        diag_file "$T/$name.err" "$name: "
        bail "no $label"
    fi
    # every server is a process group: lib.sh's cleanup stops them even if TOOL stop did not
    while read -r _ _ pg _; do _nsd_pgids+=("$pg"); done <"$dir/pids"
}

answer_set() {
    dig_section "$1" ANSWER | awk '{ $1 = tolower($1); $2 = ""; print }' | sed 's/  */ /g' | LC_ALL=C sort
}

# sim_check LABEL OUT RCODE [EXPECT...]: the rcode, then the answer section against EXPECT
# (cases.txt: a plain string must be in the answer section, !STRING nowhere in the reply,
# nothing plain: the answer section is empty).
sim_check() {
    local label=$1 out=$2 rcode=$3 e ans bad="" plain=0; shift 3
    is "$(dig_rcode "$out")" "$rcode" "$label: rcode $rcode"
    ans=$(dig_section "$out" ANSWER)
    for e in "$@"; do
        if [[ $e == !* ]]; then
            [[ $out == *"${e#!}"* ]] && bad+=" has ${e#!};"
        else
            plain=1
            [[ $ans == *"$e"* ]] || bad+=" lacks $e;"
        fi
    done
    [ "$plain" = 1 ] || [ -z "$ans" ] || bad+=" answer not empty;"
    if [ -z "$bad" ]; then ok 0 "$label: answer ${*:-empty}"; return 0; fi
    ok 1 "$label: answer ${*:-empty}"
    diag "problem:$bad"
    diag "$out"
    return 1
}

