# tests/e2e/simlib.sh -- what the simulated internets' test libraries share (sourced by simnet.sh
# and signsim.sh, after lib.sh, with SIMLIB_PROBE set to an address their tree uses):
# 1. The network namespace (simnet.sh's header says why): re-executes the test in a private
#    network (and PID) namespace with loopback up, or skips it; then checks that nobody holds
#    $SIMLIB_PROBE port 53.
# 2. answer_set OUT, sim_check LABEL OUT RCODE [EXPECT...] (simnet.sh's header).

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

