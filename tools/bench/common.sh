# tools/bench/common.sh -- what bench.sh and cachebust.sh share: waiting on conditions,
# probing servers, stopping processes by PID, and starting NSD for one zone. Sourced; the
# script sets TOOL (its name, for messages), START_S, PORT, PROBE, NET_HINT (the variables
# that move its addresses) and defines stop_all before calling any of these.

say() { printf '[%s %3ds] %s\n' "$TOOL" "$(( $(date +%s) - START_S ))" "$*" >&2; }
note() { NOTES+=("$*"); say "note: $*"; }

die() {
    printf '%s: FAILED: %s\n' "$TOOL" "$*" >&2
    stop_all
    exit 1
}

# wait_until SECONDS CMD...: polls CMD every 50 ms until it succeeds; 1 when time runs out.
wait_until() {
    local limit=$1 deadline; shift
    deadline=$(( $(date +%s%N) + limit * 1000000000 ))
    while :; do
        "$@" && return 0
        [ "$(date +%s%N)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
}

# process_gone PID: exited (gone, or a zombie not yet reaped).
process_gone() {
    local st
    [ -r "/proc/$1/stat" ] || return 0
    st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 0
    [ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}
group_gone() {
    local p
    for p in $(pgrep -g "$1" 2>/dev/null); do process_gone "$p" || return 1; done
    return 0
}

# answers ADDR: something answers DNS on ADDR:PORT (any rcode).
answers() {
    [[ $(dig @"$1" -p "$PORT" +tries=1 +time=1 +norecurse "$PROBE" A 2>&1) == *"->>HEADER<<-"* ]]
}
answers_probe() {   # ADDR: the probe name resolves (NOERROR with an answer)
    [ -n "$(dig @"$1" -p "$PORT" +tries=1 +time=1 +short "$PROBE" A 2>/dev/null)" ]
}
ready() { ! process_gone "$1" && answers_probe "$2"; }

stop_pid() {   # PID: TERM, wait up to 10 s, KILL; sets STOP_STATUS (exit status, or why not)
    local pid=$1
    process_gone "$pid" || kill -TERM "$pid" 2>/dev/null
    if ! wait_until 10 process_gone "$pid"; then
        kill -KILL "$pid" 2>/dev/null
        wait_until 3 process_gone "$pid"
        wait "$pid" 2>/dev/null
        STOP_STATUS="killed: did not stop within 10 s of TERM"
        return
    fi
    wait "$pid" 2>/dev/null
    STOP_STATUS=$?
}

log_tail() {   # FILE: its last lines, indented, on stderr
    [ -s "$1" ] && { echo "---- last lines of $1:" >&2; tail -n 20 "$1" | sed 's/^/    /' >&2; }
    return 0
}

# ensure_free ADDR: nobody answers there yet (a stray server would fake our readiness check).
ensure_free() {
    ! answers "$1" || die "something already answers DNS on $1 port $PORT (set $NET_HINT)"
}

# start_nsd_zone DIR ADDR ZONE ZONEFILE: NSD in the foreground in its own process group
# (NSD_PGID), serving ZONE on ADDR:PORT with all its state in DIR; dies unless it answers
# the probe name within 30 s. Rate limiting is off unless NSD_RRL is set (its lines, or
# empty for NSD's defaults); NSD_CONF_EXTRA replaces `control-enable: no`; NSD_ZONES_EXTRA
# (whole `zone:` clauses) adds zones.
start_nsd_zone() {
    local dir=$1 addr=$2 zone=$3 zonefile=$4
    mkdir -p "$dir"
    cat >"$dir/nsd.conf" <<EOF_NSD
server:
    ip-address: $addr@$PORT
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
${NSD_CONF_EXTRA:-    control-enable: no}
zone:
    name: "$zone"
    zonefile: "$zonefile"
${NSD_ZONES_EXTRA:-}
EOF_NSD
    ensure_free "$addr"
    setsid "$NSD" -d -c "$dir/nsd.conf" >"$dir/stdout" 2>&1 &
    NSD_PGID=$!
    if ! wait_until 30 ready "$NSD_PGID" "$addr"; then
        log_tail "$dir/stdout"; log_tail "$dir/nsd.log"
        die "NSD did not serve $zone on $addr port $PORT within 30 s"
    fi
}

# stop_nsd_zone: stops the NSD of start_nsd_zone (its whole process group), if running.
stop_nsd_zone() {
    [ -n "${NSD_PGID:-}" ] || return 0
    group_gone "$NSD_PGID" || kill -TERM -- "-$NSD_PGID" 2>/dev/null
    wait_until 10 group_gone "$NSD_PGID" || { kill -KILL -- "-$NSD_PGID" 2>/dev/null; wait_until 3 group_gone "$NSD_PGID"; }
    wait "$NSD_PGID" 2>/dev/null
    NSD_PGID=""
}

# unbound_server_lines DIR ADDR PORT THREADS: the `server:` settings every Unbound of the
# benchmarks shares (foreground, no privileges or chroot, state in DIR, loopback clients);
# each script adds what its run needs (outgoing address, caches, hints or forwarding, control).
unbound_server_lines() {
    cat <<EOF
    verbosity: 0
    interface: $2
    port: $3
    do-ip6: no
    num-threads: $4
    so-reuseport: yes
    module-config: "iterator"
    username: ""
    chroot: ""
    directory: "$1"
    pidfile: "$1/unbound.pid"
    logfile: ""
    use-syslog: no
    do-daemonize: no
    do-not-query-localhost: no
    access-control: 127.0.0.0/8 allow
EOF
}
