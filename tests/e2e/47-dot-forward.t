#!/usr/bin/env bash
# 47-dot-forward.t -- DNS over TLS to forwarders (`forward-tls`): resolverd forwards to an
# Unbound serving DoT (tls-service-key/-pem) with a certificate from a CA the test makes;
# several queries share one connection; a zone whose AUTH-NAME the certificate does not
# show gets SERVFAIL with an EDE and nothing in clear text; failover from a server with
# the wrong name to a good one; the next connection after an idle close resumes the session.
source "$(dirname "$0")/lib.sh"

command -v unbound >/dev/null || bail "unbound is not installed (Debian package unbound)"
RD_ADDR=127.53.47.1
UB_ADDR=127.53.47.2
RD_PORT=$(pick_port $RD_ADDR) && UB_PORT=$(pick_port $UB_ADDR) || bail "no port"
CTL="$T/control.sock"
PKI="$T/pki"

tls_make_ca "$PKI" && tls_make_cert "$PKI" up "DNS:up.test,IP:$UB_ADDR" || bail "openssl could not make the test certificates"
cat >"$T/unbound.conf" <<CONF
server:
    interface: $UB_ADDR@$UB_PORT
    tls-port: $UB_PORT
    tls-service-key: "$PKI/up.key"
    tls-service-pem: "$PKI/up.pem"
    username: ""
    chroot: ""
    directory: "$T"
    pidfile: "$T/unbound.pid"
    use-syslog: no
    logfile: "$T/unbound.log"
    log-queries: yes
    verbosity: 1
    do-ip6: no
    num-threads: 1
    access-control: 127.0.0.0/8 allow
    local-zone: "up.test." static
    local-data: "www.up.test. 300 IN A 192.0.2.99"
    local-data: "mail.up.test. 300 IN A 192.0.2.98"
    local-data: "ftp.up.test. 300 IN A 192.0.2.97"
    local-data: "late.up.test. 300 IN A 192.0.2.96"
    local-zone: "bad.test." static
    local-data: "www.bad.test. 300 IN A 192.0.2.66"
    local-zone: "fail.test." static
    local-data: "www.fail.test. 300 IN A 192.0.2.55"
remote-control:
    control-enable: no
CONF
bg_start unbound -d -c "$T/unbound.conf"
UB_PID=$BG_PID
ub_ready() { kdig @"$UB_ADDR" -p "$UB_PORT" +tls-ca="$PKI/ca.pem" +tls-hostname=up.test +time=1 +retry=0 +short www.up.test 2>/dev/null | grep -q 192.0.2.99; }
wait_until 10 ub_ready
ok $? "unbound serves DNS over TLS on $UB_ADDR@$UB_PORT (checked with kdig +tls)" || bail "unbound did not start"

write_conf "$T/resolver.conf" \
    "listen $RD_ADDR $RD_PORT" \
    "forward-tls up.test. $UB_ADDR@$UB_PORT#up.test" \
    "forward-tls bad.test. $UB_ADDR@$UB_PORT#wrong.test" \
    "forward-tls fail.test. $UB_ADDR@$UB_PORT#wrong.test $UB_ADDR@$UB_PORT#up.test" \
    "tls-ca-file $PKI/ca.pem" \
    "threads 1" \
    "control $CTL"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"

is "$(rq +short www.up.test A)" 192.0.2.99 "a forward-tls zone is answered through Unbound over TLS"
is "$(stat_get upstream.tls_handshakes)" 1 "... after one TLS handshake"
out=$(for n in mail ftp; do rq +short $n.up.test A & done; wait)
is "$(sort <<<"$out" | tr '\n' ' ')" "192.0.2.97 192.0.2.98 " "two more questions at once are answered"
is "$(stat_get upstream.tcp_connections)" 1 "... on the same connection (upstream.tcp_connections=1)"
is "$(stat_get upstream.tls_handshakes)" 1 "... without another handshake"

out=$(rq www.bad.test A)
is "$(dig_rcode "$out")" SERVFAIL "a server whose certificate does not show the AUTH-NAME: SERVFAIL"
is "$(dig_ede "$out")" 23 "... with EDE 23 (Network Error)"
like "$(dig_ede_text "$out")" "certificate" "... saying the certificate failed"
cmp_ok "$(stat_get upstream.tls_failures)" -ge 1 "... counted in upstream.tls_failures"
like "$(cat "$T/unbound.log")" "www\.up\.test\. A IN" "(Unbound logs the questions it is asked)"
unlike "$(cat "$T/unbound.log")" "www\.bad\.test" "... and the question never reached the server"

is "$(rq +short www.fail.test A)" 192.0.2.55 "failover: the wrong-name server is skipped, the next one answers"

# the pool closes a connection after 3 s without queries; the next one resumes the session
c0=$(stat_get upstream.tcp_connections)
gone() { ! ss -tn state established "( dport = :$UB_PORT )" 2>/dev/null | grep -q "$UB_ADDR:$UB_PORT"; }
wait_until 8 gone
ok $? "the idle TLS connections close"
is "$(rq +short late.up.test A)" 192.0.2.96 "a question after that is answered on a new connection"
cmp_ok "$(stat_get upstream.tcp_connections)" -gt "$c0" "... a new connection (upstream.tcp_connections)"
cmp_ok "$(stat_get upstream.tls_resumptions)" -ge 1 "... which resumed the TLS session"

stop_resolverd
bg_stop "$UB_PID"
done_testing
