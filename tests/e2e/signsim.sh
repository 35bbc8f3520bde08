# tests/e2e/signsim.sh -- sourced right after lib.sh by the tests that validate over the signed
# simulated internet (tools/simnet/signsim: zones signed at start, NSD on 127.55.x.y port 53).
#
# 1. The private network namespace of simnet.sh (simlib.sh), probing 127.55.0.1.
# 2. Signs and starts the signed tree into $T/signsim (one TAP test, with the signing time);
#    everything is stopped at exit with the rest of lib.sh's cleanup.
# 3. Gives:
#    SIGN_DIR SIGN_HINTS         the running tree and its root hints (tools/simnet/signed/root.hints)
#    SIGN_ANCHORS SIGN_ROOT_ANCHOR   its trust anchor files (written at start; space-separated)
#    SIGN_CASES                  tools/simnet/signed/cases.txt; `sign_cases` prints its case lines
#    vub_start [ANCHOR...] / vub_stop / vub_restart
#                                Unbound validating over the tree on $VUB_ADDR (127.55.255.1) port
#                                $VUB_PORT, cold cache at each start (anchors: all of them)
#    vq DIG-ARGS...              dig at it (+tries=1 +time=10)
#    fwd_start / fwd_stop        a second validating Unbound on $FWD_ADDR (127.55.255.3) port
#                                $FWD_PORT, forwarding to the first; fq DIG-ARGS... asks it
#    dig_ede OUT                 the Extended DNS Error codes of a dig output (space-separated)
#    sign_check LABEL OUT CDOUT RCODE VERDICT [EXPECT...]
#                                a case's verdict (cases.txt's header): OUT asked with +dnssec,
#                                CDOUT the same with +cdflag (used for bogus only)
#    SIGN_RD_ADDR                127.55.255.2, for a resolverd validating over the tree

SIGNSIM="$ROOT/tools/simnet/signsim"
SIGN_CASES="$ROOT/tools/simnet/signed/cases.txt"

SIMLIB_PROBE=127.55.0.1
. "$E2E_DIR/simlib.sh"

SIGN_DIR="$T/signsim"
SIGN_HINTS="$ROOT/tools/simnet/signed/root.hints"
VUB_ADDR=127.55.255.1
VUB_PORT=""
FWD_ADDR=127.55.255.3
FWD_PORT=""
SIGN_RD_ADDR=127.55.255.2

simlib_start "signed simulated internet" "$SIGNSIM" "$SIGN_DIR"
eval "$(grep "^SIGN_" "$SIGN_DIR/env")"      # SIGN_ANCHORS, SIGN_ROOT_ANCHOR

sign_cases() { grep -v '^[[:space:]]*\(#\|$\)' "$SIGN_CASES"; }

# vub_start [ANCHOR...]: the validating Unbound, cold cache. No TAP output; non-zero (its log
# as diag lines) when it did not start.
vub_start() {
    [ -n "$VUB_PORT" ] || VUB_PORT=$(pick_port "$VUB_ADDR") || return 1
    "$SIGNSIM" unbound-start "$SIGN_DIR" "$VUB_PORT" "$@" 2>"$T/vub-start.err" && return 0
    diag_file "$T/vub-start.err" "unbound: "
    return 1
}
vub_stop() { "$SIGNSIM" unbound-stop "$SIGN_DIR"; }
vub_restart() { vub_stop && vub_start "$@"; }
vq() { dig @"$VUB_ADDR" -p "$VUB_PORT" +tries=1 +time=10 "$@" 2>&1; }

fwd_start() {
    [ -n "$FWD_PORT" ] || FWD_PORT=$(pick_port "$FWD_ADDR") || return 1
    "$SIGNSIM" fwd-start "$SIGN_DIR" "$FWD_PORT" "$VUB_PORT" 2>"$T/fwd-start.err" && return 0
    diag_file "$T/fwd-start.err" "unbound (forwarder): "
    return 1
}
fwd_stop() { "$SIGNSIM" fwd-stop "$SIGN_DIR"; }
fq() { dig @"$FWD_ADDR" -p "$FWD_PORT" +tries=1 +time=10 "$@" 2>&1; }

dig_ede() { sed -n 's/^; EDE: \([0-9]*\).*/\1/p' <<<"$1" | tr '\n' ' ' | sed 's/ $//'; }

# sign_check LABEL OUT CDOUT RCODE VERDICT [EXPECT...]: the verdict (AD, or SERVFAIL and the
# data with CD), the EDE code, then the rcode and the answer (sim_check).
sign_check() {
    local label=$1 out=$2 cdout=$3 rcode=$4 verdict=$5 v ede="" ad; shift 5
    v=${verdict%%/*}; [[ $verdict == */* ]] && ede=${verdict#*/}
    has_flag "$out" ad && ad=AD || ad=no-AD
    is "$(dig_ede "$out")" "$ede" "$label: EDE ${ede:-none}"
    case $v in
    secure)   is "$ad" AD "$label: secure (AD)" || diag "$out"
              sim_check "$label" "$out" "$rcode" "$@" ;;
    insecure) is "$ad" no-AD "$label: insecure (no AD)" || diag "$out"
              sim_check "$label" "$out" "$rcode" "$@" ;;
    bogus)    sim_check "$label: bogus" "$out" SERVFAIL
              is "$(has_flag "$cdout" ad && echo AD || echo no-AD)" no-AD "$label: with CD, no AD"
              sim_check "$label: with CD" "$cdout" "$rcode" "$@" ;;
    *)        ok 1 "$label: verdict $verdict?" ;;
    esac
}
