#!/usr/bin/env bash
# 89-rrl.t -- iterating against authorities that rate-limit (NSD's default RRL, as Debian
# ships it: 200 responses a second per client /24 and kind, every second one over the limit
# a TC=1 "slip", the rest dropped). A root (no RRL) delegates rrl.lab. to two NSD servers
# with RRL; a flood of unique names under rrl.lab., each NXDOMAIN (one RRL bucket per
# server), goes through resolverd. Expected: next to no SERVFAIL, every query answered, the
# slips retried over TCP (upstream.tc, upstream.tcp), and neither server taken for dead
# (infra.backoffs 0), though both drop queries. Root hints carry no port, so this runs in a
# private network namespace on port 53 (as the simnet tests do).
source "$(dirname "$0")/lib.sh"

if [ -z "${RRL_IN_NETNS:-}" ]; then
    _flags=-rn
    [ "$(id -u)" = 0 ] && _flags=-n
    rm -rf "$T"
    trap - EXIT
    if command -v ip >/dev/null && unshare "$_flags" true 2>/dev/null; then
        exec env RRL_IN_NETNS=1 unshare "$_flags" -- /bin/bash -c \
            'ip link set lo up || { echo "Bail out! ip link set lo up failed"; exit 1; }; exec /bin/bash "$0" "$@"' \
            "$0" "$@"
    fi
    echo "1..0 # SKIP needs a private network namespace (root or unshare -rn, and ip)"
    exit 0
fi

ROOT_NS=127.53.89.1 RD_ADDR=127.53.89.2 NS1=127.53.89.3 NS2=127.53.89.4 RD_PORT=53
NAMES=${RRL_TEST_NAMES:-3000}
CTL="$T/control.sock"
cat >"$T/root.zone" <<EOF
.             86400 IN SOA a.root.lab. nobody.invalid. 1 3600 600 86400 3600
.             86400 IN NS a.root.lab.
a.root.lab.   86400 IN A $ROOT_NS
rrl.lab.      86400 IN NS ns1.rrl.lab.
rrl.lab.      86400 IN NS ns2.rrl.lab.
ns1.rrl.lab.  86400 IN A $NS1
ns2.rrl.lab.  86400 IN A $NS2
EOF
cat >"$T/rrl.zone" <<EOF
rrl.lab.      3600 IN SOA ns1.rrl.lab. nobody.invalid. 1 3600 600 86400 300
rrl.lab.      3600 IN NS ns1.rrl.lab.
rrl.lab.      3600 IN NS ns2.rrl.lab.
ns1.rrl.lab.  3600 IN A $NS1
ns2.rrl.lab.  3600 IN A $NS2
EOF
printf '.  3600000 NS a.root.lab.\na.root.lab. 3600000 A %s\n' "$ROOT_NS" >"$T/root.hints"

start_nsd $ROOT_NS 53 ".=$T/root.zone" || bail "root NSD did not start"
NSD_RRL="" start_nsd $NS1 53 "rrl.lab=$T/rrl.zone" || bail "NSD 1 did not start"
NSD_RRL="" start_nsd $NS2 53 "rrl.lab=$T/rrl.zone" || bail "NSD 2 did not start"

write_conf "$T/rd.conf" "listen $RD_ADDR 53" "outgoing-interface $RD_ADDR" "threads 2" \
    "root-hints $T/root.hints" "root-priming no" "query-loopback yes" "prefetch no" \
    "allow 127.0.0.0/8" "control $CTL" "cache-size 4M" "log-level warn"
start_resolverd "$T/rd.conf" || bail "resolverd did not start"

seq 1 "$NAMES" | sed 's/^/u/; s/$/.rrl.lab/' >"$T/names"
t0=$(now_ms)
out=$(perl "$E2E_DIR/loadcheck.pl" $RD_ADDR 53 udp "$NAMES" 30 "@$T/names")
ms=$(( $(now_ms) - t0 ))
diag "flood of $NAMES unique NXDOMAIN names in $ms ms: $out"
sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$out")
is "${sent:-0}" "$NAMES" "every name was asked"
snap() { rctl stats; rctl status; }
snap >"$T/stats"
st() { sed -n "s/^$1=//p" "$T/stats" | head -n1; }
diag "$(grep -E '^(rcode\.(NXDOMAIN|SERVFAIL)|upstream\.|infra\.)' "$T/stats" | tr '\n' ' ')"
servfail=$(st rcode.SERVFAIL)
cmp_ok "$(( ${servfail:-$NAMES} * 1000 ))" -le "$NAMES" "at most 0.1% SERVFAIL ($servfail of $NAMES)"
# loadcheck.pl stops waiting for its 64 outstanding queries after 0.5 s without a reply;
# resolverd's own counters say whether each got its answer, if late
cmp_ok "$(st rcode.NXDOMAIN)" -ge "$(( NAMES - NAMES / 1000 ))" "the rest NXDOMAIN: every question answered"
cmp_ok "$(st upstream.tc)" -ge 1 "the authorities rate-limit: TC=1 slips (upstream.tc)"
cmp_ok "$(st upstream.timeouts)" -ge 1 "... and drops (upstream.timeouts)"
cmp_ok "$(st upstream.tcp)" -ge "$(st upstream.tc)" "... retried over TCP, and TCP preferred after (upstream.tcp)"
is "$(st infra.backoffs)" 0 "neither server was taken for dead (infra.backoffs)"
is "$(st infra.entries)" 3 "infra knows the root and both servers"
stop_resolverd
done_testing
