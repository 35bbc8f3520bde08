# tests/e2e/lib.sh -- sourced by every tests/e2e/*.t script.
#
# Gives a test: TAP output (ok/is/like/... and done_testing), a private temp dir ($T),
# free ports, NSD and resolverd started in the background and stopped again by PID
# (bounded waits, TERM then KILL), dig helpers, and raw-packet helpers (dnsraw.pl).
# Nothing here needs root or port 53: servers listen on 127.53.X.Y with ports 5300-5399.
# No fixed sleeps: every wait is `wait_until SECONDS CMD...`, a bounded condition poll.

set -o pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
DATA="$ROOT/tests/data"
RESOLVERD=${RESOLVERD:-$ROOT/build/asan/resolverd}
RESOLVERCTL=${RESOLVERCTL:-$ROOT/build/asan/resolverctl}
NSD=${NSD:-nsd}
DNSRAW="$E2E_DIR/dnsraw.pl"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

T=$(mktemp -d "${TMPDIR:-/tmp}/e2e.$(basename "$0" .t).XXXXXX") || { echo "Bail out! mktemp"; exit 1; }

# ---------------------------------------------------------------------------------------
# TAP
_tap_n=0
_tap_fail=0
_tap_done=0

diag() { local l; while IFS= read -r l; do printf '# %s\n' "$l"; done <<<"$*"; }
# diag_file FILE [PREFIX]: every line of FILE as a diag line.
diag_file() { [ -f "$1" ] || return 0; local l; while IFS= read -r l; do printf '# %s%s\n' "${2:-}" "$l"; done <"$1"; }

# ok RC NAME: passes when RC is 0 (use as: [ "$a" = b ]; ok $? "name").
ok() {
    local rc=$1; shift
    _tap_n=$((_tap_n + 1))
    if [ "$rc" -eq 0 ] 2>/dev/null; then
        printf 'ok %d - %s\n' "$_tap_n" "$*"
        return 0
    fi
    _tap_fail=$((_tap_fail + 1))
    printf 'not ok %d - %s\n' "$_tap_n" "$*"
    printf '#   Failed test %s\n' "'$*'" 
    local n=${#BASH_SOURCE[@]}
    printf '#   at %s line %s\n' "${BASH_SOURCE[n-1]}" "${BASH_LINENO[n-2]}"
    return 1
}
is() {
    if [ "$1" = "$2" ]; then ok 0 "$3"; return 0; fi
    ok 1 "$3"; diag "     got: '$1'" ; diag "expected: '$2'"; return 1
}
isnt() {
    if [ "$1" != "$2" ]; then ok 0 "$3"; return 0; fi
    ok 1 "$3"; diag "     got: '$1'"; diag "expected anything else"; return 1
}
like() {
    if [[ $1 =~ $2 ]]; then ok 0 "$3"; return 0; fi
    ok 1 "$3"; diag "     got: '$1'"; diag "  expected to match: /$2/"; return 1
}
unlike() {
    if ! [[ $1 =~ $2 ]]; then ok 0 "$3"; return 0; fi
    ok 1 "$3"; diag "     got: '$1'"; diag "  expected not to match: /$2/"; return 1
}
# cmp_ok A OP B NAME: integer comparison, OP one of -eq -ne -lt -le -gt -ge.
cmp_ok() {
    if [[ $1 =~ ^-?[0-9]+$ && $3 =~ ^-?[0-9]+$ ]] && test "$1" "$2" "$3"; then ok 0 "$4"; return 0; fi
    ok 1 "$4"; diag "    '$1'"; diag "        $2"; diag "    '$3'"; return 1
}

# skip REASON NAME: a test that cannot run here (counts as passed).
skip() { _tap_n=$((_tap_n + 1)); printf 'ok %d - %s # SKIP %s\n' "$_tap_n" "$2" "$1"; }

# done_testing: prints the plan, stops everything, exits non-zero when a test failed.
done_testing() {
    _tap_done=1
    cleanup
    printf '1..%d\n' "$_tap_n"
    [ "$_tap_fail" -eq 0 ] || diag "Looks like you failed $_tap_fail test(s) of $_tap_n."
    trap - EXIT
    [ "$_tap_fail" -gt 254 ] && exit 254
    exit "$_tap_fail"
}
# bail: a precondition failed (e.g. a server did not start); stop here, failing.
bail() {
    diag "giving up: $*"
    done_testing
}

# ---------------------------------------------------------------------------------------
# waiting

# wait_until SECONDS CMD [ARGS...]: runs CMD until it succeeds or SECONDS have passed
# (returns 1 then). The poll step is 50 ms.
wait_until() {
    local limit=$1 step=0.05 deadline; shift
    deadline=$(( $(date +%s%N) + $(awk -v s="$limit" 'BEGIN {printf "%.0f", s * 1000000000}') ))
    while :; do
        "$@" && return 0
        [ "$(date +%s%N)" -lt "$deadline" ] || return 1
        sleep "$step"
    done
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# process_gone PID: PID has exited (gone, or a zombie waiting to be reaped).
process_gone() {
    local st
    [ -r "/proc/$1/stat" ] || return 0
    st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 0
    [ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}
# group_gone PGID: no live process left in the process group.
group_gone() {
    local p
    for p in $(pgrep -g "$1" 2>/dev/null); do process_gone "$p" || return 1; done
    return 0
}

# ---------------------------------------------------------------------------------------
# everything a test starts is registered here and stopped at exit

_bg_pids=()        # plain background helpers (silent servers): TERM, then KILL
_nsd_pgids=()      # NSD process groups
RD_PID=""

cleanup() {
    local p
    [ -n "$RD_PID" ] && _kill_pid "$RD_PID" && RD_PID=""
    for p in "${_nsd_pgids[@]}"; do _kill_group "$p"; done
    _nsd_pgids=()
    for p in "${_bg_pids[@]}"; do _kill_pid "$p"; done
    _bg_pids=()
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        diag "KEEP_TMP=1: files kept in $T"
    else
        rm -rf "$T"
    fi
}
_on_exit() {
    local rc=$?
    if [ "$_tap_done" = 0 ]; then
        diag "test script ended (status $rc) before done_testing"
        cleanup
        printf '1..%d\n' "$_tap_n"
        exit $((rc ? rc : 255))
    fi
}
trap _on_exit EXIT
trap 'exit 130' INT TERM

_kill_pid() {   # TERM, wait up to 5 s, KILL; reaps it when it is our child
    local pid=$1
    process_gone "$pid" || kill -TERM "$pid" 2>/dev/null
    wait_until 5 process_gone "$pid" || { kill -KILL "$pid" 2>/dev/null; wait_until 2 process_gone "$pid"; }
    wait "$pid" 2>/dev/null
    return 0
}
_kill_group() {
    local pg=$1
    group_gone "$pg" || kill -TERM -- "-$pg" 2>/dev/null
    wait_until 5 group_gone "$pg" || { kill -KILL -- "-$pg" 2>/dev/null; wait_until 2 group_gone "$pg"; }
    wait "$pg" 2>/dev/null
    return 0
}

# bg_start CMD...: runs CMD in the background, stopped (by PID) at exit; sets BG_PID.
bg_start() {
    "$@" &
    BG_PID=$!
    _bg_pids+=("$BG_PID")
}
bg_stop() {
    local p keep=()
    _kill_pid "$1"
    for p in "${_bg_pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    _bg_pids=("${keep[@]}")
}

# ---------------------------------------------------------------------------------------
# ports

_ports_given=" "
# port_free ADDR PORT: nobody has ADDR:PORT (UDP or TCP) bound.
port_free() { perl "$DNSRAW" portfree "$1" "$2"; }
# pick_port ADDR: prints a free port in 5300-5399, starting at an offset derived from $$,
# never the same ADDR:PORT twice in one test.
pick_port() {
    local addr=$1 i p
    for i in $(seq 0 99); do
        p=$(( 5300 + ($$ + i * 7) % 100 ))
        case "$_ports_given" in *" $addr:$p "*) continue ;; esac
        if port_free "$addr" "$p"; then
            _ports_given+="$addr:$p "
            echo "$p"
            return 0
        fi
    done
    echo "pick_port: no free port on $addr" >&2
    return 1
}

# ---------------------------------------------------------------------------------------
# dig helpers

# dig_q ADDR PORT DIG-ARGS...
dig_q() { local a=$1 p=$2; shift 2; dig @"$a" -p "$p" +tries=1 +time=2 "$@" 2>&1; }
# rq DIG-ARGS...: dig_q at the running resolverd.
rq() { dig_q "$RD_ADDR" "$RD_PORT" "$@"; }
# nq DIG-ARGS...: dig_q at the last started NSD.
nq() { dig_q "$NSD_ADDR" "$NSD_PORT" "$@"; }

# Parsers of dig's default output (pass the whole text).
dig_rcode() { sed -n 's/.*status: \([A-Z0-9]*\),.*/\1/p' <<<"$1" | head -n1; }
dig_flags() { sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p' <<<"$1" | head -n1; }
has_flag() { [[ " $(dig_flags "$1") " == *" $2 "* ]]; }
# dig_section TEXT ANSWER|AUTHORITY|ADDITIONAL|QUESTION: that section's lines.
dig_section() {
    awk -v s=";; $2 SECTION:" '$0 == s {on=1; next} on && /^$/ {exit} on {print}' <<<"$1"
}
# dig_count TEXT ANSWER: the count dig's header line gives for that section.
dig_count() { sed -n "s/.*[ ,]$2: \([0-9]*\).*/\1/p" <<<"$1" | head -n1; }
# dig_ttl TEXT: TTL of the first answer record.
dig_ttl() { dig_section "$1" ANSWER | awk 'NR==1 {print $2}'; }
# dig_answered OUT: dig got a reply at all.
dig_answered() { [[ $1 == *"->>HEADER<<-"* ]]; }

# dig_ede OUT: the Extended DNS Error code (RFC 8914) of the reply, as dig 9.18 shows it
# in the OPT pseudosection ("; EDE: 22 (No Reachable Authority): (text)"); "" when none.
dig_ede() { sed -n 's/^; EDE: \([0-9]*\).*/\1/p' <<<"$1" | head -n1; }
# dig_ede_text OUT: that EDE's text ("" when none).
dig_ede_text() { sed -n 's/^; EDE: [0-9]* ([^)]*): (\(.*\))$/\1/p' <<<"$1" | head -n1; }
# rcode_of DIG-ARGS...: asks resolverd, prints the rcode ("" when no reply).
rcode_of() { dig_rcode "$(rq "$@")"; }
# rcode_ede_of DIG-ARGS...: asks resolverd, prints RCODE/EDE ("SERVFAIL/22"; "SERVFAIL/"
# when the reply has no EDE).
rcode_ede_of() { local out; out=$(rq "$@"); echo "$(dig_rcode "$out")/$(dig_ede "$out")"; }
# short_sorted ADDR PORT DIG-ARGS...: +short answer, sorted (to compare two servers).
short_sorted() { dig_q "$@" +short | sort; }

# ---------------------------------------------------------------------------------------
# NSD

# start_nsd ADDR PORT ZONE...: ZONE is PATH (name = file name without .zone) or NAME=PATH.
# Response rate limiting is off unless NSD_RRL is set: its lines, or empty for NSD's defaults.
# NSD_CTL=1: a control socket ($T/nsdN/nsd.ctl), so nsd_queries can read its counters.
# Sets NSD_ADDR NSD_PORT NSD_PGID; emits one TAP test ("nsd started ...").
start_nsd() {
    local addr=$1 port=$2 z name path n=${#_nsd_pgids[@]}; shift 2
    local dir="$T/nsd$n" ; mkdir -p "$dir"
    local conf="$dir/nsd.conf" first=""
    cat >"$conf" <<EOF
server:
    ip-address: $addr@$port
    do-ip6: no
    username: ""
    chroot: ""
    database: ""
    zonesdir: "$dir"
    pidfile: "$dir/nsd.pid"
    zonelistfile: "$dir/zone.list"
    xfrdfile: "$dir/xfrd.state"
    xfrdir: "$dir/xfr"
    logfile: "$dir/nsd.log"
    verbosity: 1
    server-count: 1
    hide-version: yes
${NSD_RRL-    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0}
    reuseport: no

remote-control:
${NSD_CTL:+    control-enable: yes
    control-interface: $dir/nsd.ctl}${NSD_CTL:-    control-enable: no}

EOF
    for z in "$@"; do
        if [[ $z == *=* ]]; then name=${z%%=*}; path=${z#*=}; else path=$z; name=$(basename "$z" .zone); fi
        [ -n "$first" ] || first=$name
        printf 'zone:\n    name: "%s"\n    zonefile: "%s"\n\n' "$name" "$path" >>"$conf"
    done
    NSD_ADDR=$addr NSD_PORT=$port
    setsid "$NSD" -d -c "$conf" >"$dir/stdout" 2>&1 &
    NSD_PGID=$!
    _nsd_pgids+=("$NSD_PGID")
    if wait_until 10 _nsd_ready "$addr" "$port" "$first"; then
        ok 0 "nsd started on $addr@$port"
        return 0
    fi
    ok 1 "nsd started on $addr@$port"
    diag_file "$dir/stdout" "nsd: "; diag_file "$dir/nsd.log" "nsd.log: "
    return 1
}
# nsd_queries [N]: the queries NSD number N (default 0) has answered (NSD_CTL=1 at its start).
nsd_queries() {
    nsd-control -c "$T/nsd${1:-0}/nsd.conf" stats_noreset 2>/dev/null | sed -n 's/^num.queries=//p'
}
_nsd_ready() {
    process_gone "$NSD_PGID" && return 1
    [ -n "$(dig @"$1" -p "$2" +tries=1 +time=1 +short SOA "$3" 2>/dev/null)" ]
}
# stop_nsd [PGID]: stops that NSD (default: the last started); true when it stopped.
stop_nsd() {
    local pg=${1:-$NSD_PGID} p keep=()
    _kill_group "$pg"
    for p in "${_nsd_pgids[@]}"; do [ "$p" = "$pg" ] || keep+=("$p"); done
    _nsd_pgids=("${keep[@]}")
    group_gone "$pg"
}

# ---------------------------------------------------------------------------------------
# resolverd

# write_conf FILE LINES...: a resolverd config file, one directive per argument.
write_conf() { local f=$1; shift; printf '%s\n' "# written by $(basename "$0")" "$@" >"$f"; }

# start_resolverd CONF [ADDR PORT]: runs resolverd -c CONF in the background and waits until
# it answers on ADDR PORT (default: the first `listen` line of CONF). Sets RD_PID RD_ADDR
# RD_PORT RD_LOG RD_CONF; emits one TAP test ("resolverd started ...").
start_resolverd() {
    local conf=$1
    RD_CONF=$conf
    RD_ADDR=${2:-$(awk '$1=="listen" {print $2; exit}' "$conf")}
    RD_PORT=${3:-$(awk '$1=="listen" {print $3; exit}' "$conf")}
    RD_PORT=${RD_PORT:-53}
    _rd_n=$(( ${_rd_n:-0} + 1 ))
    RD_LOG="$T/resolverd.$_rd_n.log"
    if [ ! -x "$RESOLVERD" ]; then
        ok 1 "resolverd started on $RD_ADDR@$RD_PORT"
        diag "$RESOLVERD is not built (make build/asan/resolverd)"
        return 1
    fi
    env "${RD_ENV[@]}" "$RESOLVERD" -c "$conf" 2>"$RD_LOG" >&2 &
    RD_PID=$!
    if wait_until 10 _rd_ready; then
        ok 0 "resolverd started on $RD_ADDR@$RD_PORT"
        return 0
    fi
    ok 1 "resolverd started on $RD_ADDR@$RD_PORT"
    diag_file "$RD_LOG" "resolverd: "
    return 1
}
_rd_ready() {
    process_gone "$RD_PID" && return 1
    dig_answered "$(dig @"$RD_ADDR" -p "$RD_PORT" +tries=1 +time=1 localhost.test.invalid 2>&1)"
}
# rd_alive: resolverd is still running.
rd_alive() { [ -n "$RD_PID" ] && ! process_gone "$RD_PID"; }

# stop_resolverd [SIGNAL]: TERM (or SIGNAL), wait (bounded), and two TAP tests: exit status 0, and no sanitizer
# report in the log. The log is dumped as diag lines when either fails.
stop_resolverd() {
    local st pid=$RD_PID sig=${1:-TERM}
    [ -n "$pid" ] || return 0
    kill -"$sig" "$pid" 2>/dev/null
    if wait_until 10 process_gone "$pid"; then
        wait "$pid"; st=$?
    else
        kill -KILL "$pid" 2>/dev/null; wait_until 2 process_gone "$pid"; wait "$pid"
        st="did not stop within 10 s of $sig"
    fi
    RD_PID=""
    local bad=0
    is "$st" 0 "resolverd exited cleanly (status 0 after SIG$sig)" || bad=1
    ! grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|WARNING: ThreadSanitizer|runtime error:|SUMMARY: .*Sanitizer' "$RD_LOG"
    ok $? "no sanitizer report in the resolverd log" || bad=1
    [ "$bad" = 0 ] || rd_log_diag
    return $bad
}
rd_log_diag() { diag "---- $RD_LOG"; diag_file "$RD_LOG" "resolverd: "; }

# ---------------------------------------------------------------------------------------
# redis-server (the shared cache tests): one of our own on $REDIS_ADDR:$REDIS_PORT (set them
# first), no persistence, its files in $T/redis, stopped by PID. start_redis waits (bounded)
# until it answers PING and sets REDIS_PID; rcli runs redis-cli against it.
REDIS_PID=""
start_redis() {
    mkdir -p "$T/redis"
    printf '%s\n' "bind $REDIS_ADDR" "port $REDIS_PORT" "dir $T/redis" 'save ""' "appendonly no" \
        "daemonize no" "logfile $T/redis/redis.log" >"$T/redis/redis.conf"
    bg_start redis-server "$T/redis/redis.conf"
    REDIS_PID=$BG_PID
    wait_until 10 redis_up
}
stop_redis() { bg_stop "$REDIS_PID"; REDIS_PID=""; }
rcli() { redis-cli -h "$REDIS_ADDR" -p "$REDIS_PORT" "$@"; }
redis_up() { [ "$(rcli ping 2>/dev/null)" = PONG ]; }

# ---------------------------------------------------------------------------------------
# faked time (libfaketime), for TTL expiry without waiting
#
# fake_clock_on: every resolverd started afterwards runs under libfaketime with its wall
# clock (time(), which every TTL uses) moved by an offset read again at every call
# (FAKETIME_NO_CACHE), so the running daemon's clock jumps when fake_clock_at changes it.
# Its monotonic clock (libev's timers: upstream timeouts, serve-stale's client timeout)
# stays real, so a jump never fires a timer. Sets RD_ENV; false (skip the test) when
# libfaketime is not installed. fake_clock_off: the following starts run on real time.
# fake_clock_at SECONDS: from now on the daemon's clock reads START + SECONDS (e.g. 9.5)
# and runs on from there; START is a whole second a little after fake_clock_on, so the
# second a step lands in is known (TTLs count whole seconds).
fake_clock_on() {
    local lib
    for lib in /usr/lib/*/faketime/libfaketimeMT.so.1 /usr/lib/faketime/libfaketimeMT.so.1; do
        [ -e "$lib" ] && break
    done
    [ -e "$lib" ] || return 1
    FAKE_CLOCK_FILE="$T/faketime"
    FAKE_CLOCK_START=$(( $(date +%s) + 2 ))
    fake_clock_at 0
    # ASan wants to come first among the libraries; with a preload it cannot
    RD_ENV=(LD_PRELOAD="$lib" FAKETIME_TIMESTAMP_FILE="$FAKE_CLOCK_FILE" FAKETIME_NO_CACHE=1
            FAKETIME_DONT_FAKE_MONOTONIC=1 ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0")
}
fake_clock_off() { RD_ENV=(); }
fake_clock_at() {
    LC_ALL=C awk -v start="$FAKE_CLOCK_START" -v s="$1" -v now="$(date +%s%N)" \
        'BEGIN { printf "%+.3fs\n", start + s - now / 1e9 }' >"$FAKE_CLOCK_FILE.new" &&
        mv -f "$FAKE_CLOCK_FILE.new" "$FAKE_CLOCK_FILE"
}
RD_ENV=()

# rctl ARGS...: resolverctl at this test's control socket ($CTL).
rctl() { "$RESOLVERCTL" -s "$CTL" "$@"; }
# stat_get KEY: one counter from `resolverctl stats` ("" when missing).
stat_get() { rctl stats 2>/dev/null | sed -n "s/^$1=//p" | head -n1; }
# stats_snapshot: all counters into the associative array named by $1.
stats_snapshot() {
    local -n _arr=$1; local k v
    _arr=()
    while IFS='=' read -r k v; do [ -n "$k" ] && _arr["$k"]=$v; done < <(rctl stats 2>/dev/null)
}

# ---------------------------------------------------------------------------------------
# TLS: a throw-away CA and certificates, made by the test (never committed keys that expire)

# tls_make_ca DIR: DIR/ca.pem and DIR/ca.key, a CA valid for two days.
tls_make_ca() {
    mkdir -p "$1"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=resolverd test CA" -keyout "$1/ca.key" -out "$1/ca.pem" >/dev/null 2>&1
}
# tls_make_cert DIR NAME SAN: DIR/NAME.pem and DIR/NAME.key, signed by DIR's CA, for the
# subjectAltName SAN (e.g. "DNS:dot.test,IP:127.0.0.1").
tls_make_cert() {
    local dir=$1 name=$2 san=$3
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
        -keyout "$dir/$name.key" -out "$dir/$name.csr" >/dev/null 2>&1 &&
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$san" >"$dir/$name.ext" &&
    openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
        -set_serial "0x1$(openssl rand -hex 7)" -days 2 -extfile "$dir/$name.ext" \
        -out "$dir/$name.pem" >/dev/null 2>&1
}
# tls_serial FILE: the certificate's serial number (hex, as openssl prints it).
tls_serial() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'; }
