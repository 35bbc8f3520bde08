#!/usr/bin/env bash
# 46-dot-listener.t -- DNS over TLS for clients (`listen-tls`, RFC 7858): kdig +tls gets
# answers checked against a CA the test makes; several queries on one connection; TLS 1.1
# refused; session resumption counted; a client that stalls mid-handshake is dropped at
# tls-handshake-timeout while others are served; TLS connections count against the one
# tcp-max-connections cap; a reload with a renewed certificate keeps an open connection
# working, and new connections get the new certificate.
source "$(dirname "$0")/lib.sh"

command -v kdig >/dev/null || bail "kdig (knot-dnsutils) is not installed: make deps"
RD_ADDR=127.53.46.1
TLS_ADDR=127.53.46.2        # an address of its own: pick_port cannot hand out two ports of one
RD_PORT=$(pick_port $RD_ADDR) && TLS_PORT=$(pick_port $TLS_ADDR) || bail "no port"
CTL="$T/control.sock"
PKI="$T/pki"
HS_MS=1000
CAP=4

tls_make_ca "$PKI" && tls_make_cert "$PKI" dot "DNS:dot.test,IP:$TLS_ADDR" || bail "openssl could not make the test certificates"
cp "$PKI/dot.pem" "$T/cert.pem" && cp "$PKI/dot.key" "$T/key.pem"
write_conf "$T/resolver.conf" \
    "listen $RD_ADDR $RD_PORT" \
    "listen-tls $TLS_ADDR $TLS_PORT" \
    "tls-cert $T/cert.pem" \
    "tls-key $T/key.pem" \
    "tls-handshake-timeout $HS_MS" \
    "tcp-max-connections $CAP" \
    "zone example.test. $DATA/example.test.zone" \
    "control $CTL"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"

stat_is() { [ "$(stat_get "$1")" = "$2" ]; }
stat_above() { [ "$(stat_get "$1")" -gt "$2" ] 2>/dev/null; }
kq() { kdig @"$TLS_ADDR" -p "$TLS_PORT" +tls-ca="$PKI/ca.pem" +tls-hostname=dot.test +time=3 +retry=0 "$@" 2>&1; }

# --- a) queries over TLS ------------------------------------------------------------------
out=$(kq www.example.test A)
like "$out" "TLS session \(TLS1\.[23]\)" "kdig +tls: a TLS session with the certificate checked against the test CA"
like "$out" "www\.example\.test\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.1" "... and the answer"
is "$(stat_get queries.tls)" 1 "queries.tls counts it"
is "$(stat_get queries.tcp)" 0 "... and queries.tcp does not"
is "$(stat_get tls.handshakes)" 1 "tls.handshakes=1"

out=$(kq +keepopen +short www.example.test A mail.example.test A ttl.example.test A)
is "$(tr '\n' ' ' <<<"$out")" "192.0.2.1 192.0.2.25 192.0.2.30 " "three queries on one kept-open TLS connection are answered"
is "$(stat_get tls.handshakes)" 2 "... over one handshake"

out=$(kq +tls-hostname=other.test www.example.test A)
unlike "$out" "192\.0\.2\.1" "a client that wants another name refuses the certificate"

fail0=$(stat_get tls.failures)
out=$(openssl s_client -connect "$TLS_ADDR:$TLS_PORT" -tls1_1 </dev/null 2>&1)
unlike "$out" "Cipher is [A-Z]" "TLS 1.1 is refused (no session)"
wait_until 3 stat_above tls.failures "$fail0"
ok $? "... and counted in tls.failures ($(stat_get tls.failures))"

# --- b) resumption ------------------------------------------------------------------------
openssl s_client -connect "$TLS_ADDR:$TLS_PORT" -CAfile "$PKI/ca.pem" -tls1_2 -sess_out "$T/sess.pem" </dev/null >"$T/s1.out" 2>&1
openssl s_client -connect "$TLS_ADDR:$TLS_PORT" -CAfile "$PKI/ca.pem" -tls1_2 -sess_in "$T/sess.pem" </dev/null >"$T/s2.out" 2>&1
like "$(cat "$T/s2.out")" "Reused, TLSv1\.2" "a TLS 1.2 session is resumed"
is "$(stat_get tls.resumptions)" 1 "... and counted in tls.resumptions"

# --- c) stalled handshakes ------------------------------------------------------------------
fail0=$(stat_get tls.failures)
exec 5<>"/dev/tcp/$TLS_ADDR/$TLS_PORT" || bail "cannot connect"
exec 6<>"/dev/tcp/$TLS_ADDR/$TLS_PORT" || bail "cannot connect"
printf '\x16\x03\x01\x02\x00\x01' >&6     # the start of a ClientHello, never finished
t0=$(now_ms)
wait_until 3 stat_is tcp.open 2
ok $? "two clients stall in the handshake (tcp.open=$(stat_get tcp.open))"
out=$(kq +short www.example.test A)
el=$(( $(now_ms) - t0 ))
is "$out" 192.0.2.1 "while they stall another TLS client is served"
cmp_ok "$el" -lt "$HS_MS" "... at once ($el ms, before the handshake timeout)"
# the cap counts TLS and TCP together: two stalled + two more fill it
exec 7<>"/dev/tcp/$TLS_ADDR/$TLS_PORT" && exec 8<>"/dev/tcp/$TLS_ADDR/$TLS_PORT"
wait_until 3 stat_is tcp.open $CAP
ok $? "four TLS connections fill tcp-max-connections $CAP"
cap0=$(stat_get tcp.refused_cap)
out=$(rq +tcp +short www.example.test A)
unlike "$out" "192\.0\.2\.1" "a TCP query beyond the shared cap gets no answer"
is "$(stat_get tcp.refused_cap)" $((cap0 + 1)) "... counted in tcp.refused_cap"
is "$(rq +short www.example.test A)" 192.0.2.1 "UDP is still served"
timeout 5 cat <&6 >/dev/null
el=$(( $(now_ms) - t0 ))
cmp_ok "$el" -ge "$((HS_MS - 100))" "the half-sent handshake is closed by the server after the timeout ($el ms) ..."
cmp_ok "$el" -lt "$((HS_MS + 2500))" "... and not much later"
wait_until 5 stat_is tcp.open 0
ok $? "every stalled connection is gone (tcp.open=$(stat_get tcp.open))"
cmp_ok "$(stat_get tls.failures)" -ge "$((fail0 + 4))" "handshake timeouts count as tls.failures"
exec 5>&- 6>&- 7>&- 8>&-
is "$(kq +short www.example.test A)" 192.0.2.1 "TLS is served again after the stalls"

# --- d) reload with a renewed certificate -------------------------------------------------
old_serial=$(tls_serial "$T/cert.pem")
bg_start python3 "$E2E_DIR/dotclient.py" "$TLS_ADDR" "$TLS_PORT" "$PKI/ca.pem" dot.test www.example.test "$T/gate" "$T/client.out"
CLIENT=$BG_PID
wait_until 10 grep -qs '^first\|^error' "$T/client.out"
is "$(cut -d' ' -f1-3 "$T/client.out")" "first 0 192.0.2.1" "a client with a connection kept open is answered"
is "$(awk '/^first/ {print $4}' "$T/client.out")" "$old_serial" "... with the first certificate"
tls_make_cert "$PKI" dot2 "DNS:dot.test,IP:$TLS_ADDR" || bail "no second certificate"
cp "$PKI/dot2.pem" "$T/cert.pem" && cp "$PKI/dot2.key" "$T/key.pem"
new_serial=$(tls_serial "$T/cert.pem")
isnt "$new_serial" "$old_serial" "the renewed certificate has a serial of its own"
rctl reload >/dev/null
is "$?" 0 "resolverctl reload with the renewed certificate"
touch "$T/gate"
wait_until 10 grep -qs '^second\|^error' "$T/client.out"
is "$(sed -n 's/^\(second\|error\) */\1 /p' "$T/client.out")" "second 0 192.0.2.1" "the connection opened before the reload is still answered"
wait_until 5 process_gone "$CLIENT"
served=$(openssl s_client -connect "$TLS_ADDR:$TLS_PORT" -CAfile "$PKI/ca.pem" </dev/null 2>/dev/null | openssl x509 -noout -serial | sed 's/^serial=//')
is "$served" "$new_serial" "a new connection gets the renewed certificate"
is "$(kq +short www.example.test A)" 192.0.2.1 "... and kdig +tls still verifies and is answered"

printf 'garbage\n' >"$T/key.pem"
rctl reload >/dev/null 2>&1
isnt "$?" 0 "a reload with an unreadable key fails"
is "$(kq +short www.example.test A)" 192.0.2.1 "... and TLS goes on with the certificate it had"

stop_resolverd
done_testing
