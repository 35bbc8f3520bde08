#!/bin/bash
# tools/bench/dot.sh -- DNS over TLS upstream latency next to plain TCP (`make bench-dot`;
# part of `make bench`).
#
# One Unbound (DOT_ADDR) answers every name under bench.dot. from a local zone, on a plain
# port and on a DNS-over-TLS port (tls-service-key/-pem, a certificate from a CA made here
# for the run). tools/bench/dotlat.c drives resolverd's own upstream code (tcppool.c, tls.c)
# to it: for each transport, after a warm-up, DOT_QUERIES queries one after the other over
# the same reused connection, each timed from send to reply. The acceptance line of issue
# 13: the TLS median within 1.5x of the TCP median. Table to stdout and build/bench/dot.txt;
# exit status 1 when the ratio is over DOT_MAX_RATIO.
#
# Environment (defaults in brackets):
#   DOT_ADDR [127.58.0.1]   Unbound's address (loopback)
#   DOT_PORT [5301]         its plain port; DOT_PORT+1 is its TLS port
#   DOT_QUERIES [2000]      timed queries per transport
#   DOT_MAX_RATIO [1.5]
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
OUT="$ROOT/build/bench"
ADDR=${DOT_ADDR:-127.58.0.1}
PORT=${DOT_PORT:-5301}
TLS_PORT=$((PORT + 1))
N=${DOT_QUERIES:-2000}
MAX_RATIO=${DOT_MAX_RATIO:-1.5}
CC=${CC:-cc}
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-dot.XXXXXX") || exit 1
UB_PID=""
cleanup() { [ -z "$UB_PID" ] || kill "$UB_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
die() { echo "dot.sh: $*" >&2; exit 2; }

mkdir -p "$OUT"
[ -f "$ROOT/build/libresolverd.a" ] || die "build first (make)"
# shellcheck disable=SC2046  # the library flags are words
"$CC" -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -I"$ROOT/resolver" -o "$OUT/dotlat" \
    "$BENCH_DIR/dotlat.c" "$ROOT/build/libresolverd.a" $(pkg-config --libs ldns) \
    -lssl -lcrypto -lhiredis -lev -lm -lpthread || die "cannot build dotlat.c"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj "/CN=bench CA" -keyout "$W/ca.key" -out "$W/ca.pem" >/dev/null 2>&1 &&
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=dot.bench" \
    -keyout "$W/up.key" -out "$W/up.csr" >/dev/null 2>&1 &&
printf 'subjectAltName=DNS:dot.bench\n' >"$W/ext" &&
openssl x509 -req -in "$W/up.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -set_serial 1 -days 1 \
    -extfile "$W/ext" -out "$W/up.pem" >/dev/null 2>&1 || die "openssl could not make the certificates"
cat >"$W/unbound.conf" <<CONF
server:
    interface: $ADDR@$PORT
    interface: $ADDR@$TLS_PORT
    tls-port: $TLS_PORT
    tls-service-key: "$W/up.key"
    tls-service-pem: "$W/up.pem"
    username: ""
    chroot: ""
    directory: "$W"
    pidfile: "$W/unbound.pid"
    use-syslog: no
    logfile: "$W/unbound.log"
    do-ip6: no
    num-threads: 1
    incoming-num-tcp: 100
    access-control: 127.0.0.0/8 allow
    local-zone: "bench.dot." redirect
    local-data: "bench.dot. 300 IN A 192.0.2.1"
remote-control:
    control-enable: no
CONF
unbound -d -c "$W/unbound.conf" 2>"$W/unbound.err" &
UB_PID=$!
for _ in $(seq 50); do
    dig @"$ADDR" -p "$PORT" +tcp +tries=1 +time=1 +short q.bench.dot 2>/dev/null | grep -q 192.0.2.1 && break
    kill -0 "$UB_PID" 2>/dev/null || die "unbound did not start: $(cat "$W/unbound.err")"
    sleep 0.1
done

{
    echo "DoT upstream latency over one reused connection (tools/bench/dot.sh, $(date -u +%F))"
    "$OUT/dotlat" "$ADDR" "$PORT" "$TLS_PORT" "$W/ca.pem" dot.bench "$N"
} | tee "$OUT/dot.txt"
[ "${PIPESTATUS[0]}" = 0 ] || die "dotlat failed"
ratio=$(awk '$1 == "ratio" {print $2}' "$OUT/dot.txt")
if awk -v r="$ratio" -v m="$MAX_RATIO" 'BEGIN { exit !(r <= m) }'; then
    echo "TLS/TCP median $ratio <= $MAX_RATIO: ok"
else
    echo "TLS/TCP median $ratio > $MAX_RATIO: over the acceptance bound"
    exit 1
fi
