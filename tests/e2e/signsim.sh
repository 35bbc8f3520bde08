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
#    plain_start / plain_stop    instead of it, a non-validating Unbound there (a plain
#                                forwarder: RRSIGs for DO clients, AD never)
#    fwd_start [ADDR@PORT] / fwd_stop
#                                a second validating Unbound on $FWD_ADDR (127.55.255.3) port
#                                $FWD_PORT, forwarding to the first (or to ADDR@PORT); fq
#                                DIG-ARGS... asks it
#    strip_start / strip_stop    a forwarder that strips signatures on $STRIP_ADDR
#                                (127.55.255.4) port $STRIP_PORT, UDP: the queries go on to
#                                $VUB_ADDR@$VUB_PORT with the DO bit cleared (stripdo.pl)
#    dig_ede OUT                 the Extended DNS Error codes of a dig output (space-separated)
#    sign_check LABEL OUT CDOUT RCODE VERDICT [EXPECT...]
#                                a case's verdict (cases.txt's header): OUT asked with +dnssec,
#                                CDOUT the same with +cdflag (used for bogus only)
#    sign_run_cases ASK RESTART  every case of cases.txt through one resolver: `ASK DIG-ARGS...`
#                                queries it, `RESTART` gives it a cold cache before every case
#                                but the first and the "+" ones (it runs, cold, when called);
#                                sign_check for each, the EDE codes as diag lines
#    sign_nodo_checks ASK        what a client without DO gets (RFC 4035 3.2, RFC 6840 5.7):
#                                secure data without AD or RRSIG, AD when it set AD, insecure
#                                data never AD, bogus data SERVFAIL all the same
#    sign_onebad ASK RESTART     one-bad-server over 4 cold starts (RESTART before each): secure
#                                every time, and the broken server was asked
#    SIGN_EDE_ALSO[CASE]=CODE    (set by a test) an EDE code accepted for CASE besides the one
#                                of cases.txt; the test says why (RFC 8914) where it sets it
#    SIGN_RD_ADDR                127.55.255.2, for a resolverd validating over the tree
#    sign_resolverd_conf FILE [LINE...]
#                                a resolverd config validating over the tree: listens on
#                                $SIGN_RD_ADDR port 53, queries leave from there, root-hints
#                                $SIGN_HINTS, query-loopback yes, dnssec yes, a
#                                trust-anchor-file line per $SIGN_ANCHORS, control
#                                $T/control.sock (sets CTL), hosts $T/hosts (the readiness
#                                probe's name, so that it stays local), plus LINEs (later ones
#                                win: "dnssec no", or anchors of one's own)
#    sq DIG-ARGS...              dig at that resolverd (+tries=1 +time=10)

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
STRIP_ADDR=127.55.255.4
STRIP_PORT=""
STRIP_PID=""
SIGN_RD_ADDR=127.55.255.2
declare -gA SIGN_EDE_ALSO=()

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

# plain_start: a non-validating Unbound on $VUB_ADDR@$VUB_PORT (stop the validating one first)
plain_start() {
    [ -n "$VUB_PORT" ] || VUB_PORT=$(pick_port "$VUB_ADDR") || return 1
    "$SIGNSIM" plain-start "$SIGN_DIR" "$VUB_PORT" 2>"$T/plain-start.err" && return 0
    diag_file "$T/plain-start.err" "unbound (plain): "
    return 1
}
plain_stop() { vub_stop; }

fwd_start() {
    [ -n "$FWD_PORT" ] || FWD_PORT=$(pick_port "$FWD_ADDR") || return 1
    "$SIGNSIM" fwd-start "$SIGN_DIR" "$FWD_PORT" "${1:-$VUB_PORT}" 2>"$T/fwd-start.err" && return 0
    diag_file "$T/fwd-start.err" "unbound (forwarder): "
    return 1
}
fwd_stop() { "$SIGNSIM" fwd-stop "$SIGN_DIR"; }
fq() { dig @"$FWD_ADDR" -p "$FWD_PORT" +tries=1 +time=10 "$@" 2>&1; }

# strip_start: stripdo.pl in front of whatever runs on $VUB_ADDR@$VUB_PORT; ready when its
# log file exists (it creates it once bound)
strip_start() {
    [ -n "$STRIP_PORT" ] || STRIP_PORT=$(pick_port "$STRIP_ADDR") || return 1
    rm -f "$T/stripdo.log"
    bg_start perl "$E2E_DIR/stripdo.pl" "$STRIP_ADDR" "$STRIP_PORT" "$VUB_ADDR" "$VUB_PORT" \
        "$T/stripdo.log" 2>"$T/stripdo.err"
    STRIP_PID=$BG_PID
    wait_until 5 test -e "$T/stripdo.log" && return 0
    diag_file "$T/stripdo.err" "stripdo: "
    return 1
}
strip_stop() { [ -z "$STRIP_PID" ] || bg_stop "$STRIP_PID"; STRIP_PID=""; }

sign_resolverd_conf() {
    local f=$1 a anchors=(); shift
    CTL="$T/control.sock"
    [ -f "$T/hosts" ] || printf '127.0.0.1 localhost.test.invalid\n' >"$T/hosts"
    for a in $SIGN_ANCHORS; do anchors+=("trust-anchor-file $a"); done
    write_conf "$f" "listen $SIGN_RD_ADDR 53" "outgoing-interface $SIGN_RD_ADDR" \
        "root-hints $SIGN_HINTS" "query-loopback yes" "control $CTL" "hosts $T/hosts" \
        "dnssec yes" "${anchors[@]}" "$@"
}
sq() { dig @"$SIGN_RD_ADDR" -p 53 +tries=1 +time=10 "$@" 2>&1; }

dig_ede() { sed -n 's/^; EDE: \([0-9]*\).*/\1/p' <<<"$1" | tr '\n' ' ' | sed 's/ $//'; }

# sign_check LABEL OUT CDOUT RCODE VERDICT [EXPECT...]: the verdict (AD, or SERVFAIL and the
# data with CD), the EDE code, then the rcode and the answer (sim_check).
sign_check() {
    local label=$1 out=$2 cdout=$3 rcode=$4 verdict=$5 v ede="" ad got also; shift 5
    v=${verdict%%/*}; [[ $verdict == */* ]] && ede=${verdict#*/}
    has_flag "$out" ad && ad=AD || ad=no-AD
    got=$(dig_ede "$out"); also=${SIGN_EDE_ALSO[$label]:-}
    if [ -n "$also" ] && [ "$got" = "$also" ]; then
        ok 0 "$label: EDE $also (cases.txt: ${ede:-none}; $also accepted for this resolver)"
    else
        is "$got" "$ede" "$label: EDE ${ede:-none}${also:+ (or $also)}"
    fi
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

sign_run_cases() {
    local ask=$1 restart=$2 first=1 name qname qtype rcode verdict expect out cdout ede
    while read -r name qname qtype rcode verdict expect; do
        if [[ $name == +* ]]; then name=${name#+}
        elif [ $first = 0 ]; then $restart || bail "$restart failed before $name"; fi
        first=0
        out=$($ask +dnssec "$qname" "$qtype")
        cdout=""; [[ $verdict == bogus* ]] && cdout=$($ask +dnssec +cdflag "$qname" "$qtype")
        # shellcheck disable=SC2086   # EXPECT is a word list
        sign_check "$name" "$out" "$cdout" "$rcode" "$verdict" $expect
        ede=$(sed -n 's/^; EDE: //p' <<<"$out")
        [ -z "$ede" ] || diag "$name: EDE $ede"
    done < <(sign_cases)
}

sign_nodo_checks() {
    local ask=$1 out
    out=$($ask +nodnssec +noadflag www.secure.sec A)
    sim_check "no-DO secure" "$out" NOERROR 192.0.2.10 '!RRSIG'
    ok "$(has_flag "$out" ad && echo 1 || echo 0)" "no-DO secure: no AD when the client did not ask for it"
    out=$($ask +nodnssec +adflag www.secure.sec A)
    ok "$(has_flag "$out" ad && echo 0 || echo 1)" "no-DO secure, AD in the query: AD (RFC 6840 5.7)" || diag "$out"
    unlike "$out" "RRSIG" "... and still no RRSIG"
    out=$($ask +nodnssec +adflag www.insecure.sec A)
    sim_check "no-DO insecure" "$out" NOERROR 192.0.2.20
    ok "$(has_flag "$out" ad && echo 1 || echo 0)" "no-DO insecure, AD in the query: no AD"
    out=$($ask +nodnssec www.expired.sec A)
    sim_check "no-DO bogus" "$out" SERVFAIL
}

sign_onebad() {
    local ask=$1 restart=$2 before after i out secure_runs=0
    before=$("$SIGNSIM" counts "$SIGN_DIR" | awk '$1 == "ns2.onebad.sec" {print $2}')
    for i in 1 2 3 4; do
        $restart || bail "$restart failed (one-bad-server, start $i)"
        out=$($ask +dnssec www.onebad.sec A)
        has_flag "$out" ad && [[ $(dig_section "$out" ANSWER) == *192.0.2.60* ]] && secure_runs=$((secure_runs + 1))
    done
    is "$secure_runs" 4 "one-bad-server: secure in 4 of 4 cold starts"
    after=$("$SIGNSIM" counts "$SIGN_DIR" | awk '$1 == "ns2.onebad.sec" {print $2}')
    cmp_ok "$((after - before))" -gt 0 "... and the broken server was asked ($((after - before)) queries)"
}
