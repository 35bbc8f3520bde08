#!/usr/bin/env bash
# 77-trace.t -- `resolverctl trace NAME [TYPE] [--json]` on the simulated internet: a cold
# name shows the root, TLD and authoritative steps in order, with the referrals and what was
# cached; the same name again is a cache hit with its remaining TTL; hosts-file and local-zone
# names stop at their own step; --json carries the same steps; a glueless delegation shows
# its side resolution; bad arguments fail; a trace does not hold up client queries.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/simnet.sh"

printf '192.0.2.77 pinned.example.test\n' >"$T/hosts"
cat >"$T/corp.zone" <<'ZONE'
$ORIGIN corp.internal.
$TTL 300
@    IN SOA ns.corp.internal. admin.corp.internal. 1 3600 600 86400 60
@    IN NS  ns.corp.internal.
ns   IN A   10.0.0.1
www  IN A   10.0.0.80
ZONE
# other.lab. is forwarded: first to an address where nothing listens, then to its authority
sim_resolverd_conf "$T/resolver.conf" "hosts $T/hosts" "zone corp.internal. $T/corp.zone" \
    "forward other.lab. 127.54.255.99 127.54.11.1"
start_resolverd "$T/resolver.conf" "$SIM_RD_ADDR" 53 || bail "resolverd did not start"
RD_ADDR=$SIM_RD_ADDR RD_PORT=53

# line_of PATTERN TEXT: the number of the first line of TEXT matching PATTERN (0: none)
line_of() { local n; n=$(grep -nE -m1 -- "$1" <<<"$2" | cut -d: -f1); echo "${n:-0}"; }

# --- a cold name: root, TLD, authority, in order ---------------------------------------
cold=$(rctl trace www.example.test A); rc=$?
is "$rc" 0 "trace of a cold name: exit status 0"
diag "$cold"
is "$(head -n1 <<<"$cold")" "trace www.example.test. A" "it starts with the question"
like "$cold" 'hosts +miss' "the hosts file is consulted first (miss)"
like "$cold" 'local-zone +miss' "then the local zones (miss)"
like "$cold" 'cache +miss' "then the cache (miss)"
like "$cold" 'route +iterate' "then the route: iteration"
like "$cold" 'delegation +\. from the (root hints|RRset cache \(TTL [0-9]+ left\)): NS a\.root\.sim\. b\.root\.sim\.' \
    "iteration starts at the root (hints, or the primed root NS set)"
root=$(line_of 'query +127\.54\.0\.[12]@53 \(([ab])\.root\.sim\.\) zone \. asked test\. A: referral' "$cold")
tld=$(line_of 'query +127\.54\.1\.1@53 \(ns1\.nic\.test\.\) zone test\. asked example\.test\. A: referral' "$cold")
auth=$(line_of 'query +127\.54\.10\.1@53 \(ns1\.example\.test\.\) zone example\.test\. asked www\.example\.test\. A: answer' "$cold")
cmp_ok "$root" -gt 0 "a root server was asked (line $root) and referred to test."
cmp_ok "$tld" -gt "$root" "then the test. server (line $tld), referring to example.test."
cmp_ok "$auth" -gt "$tld" "then example.test.'s server (line $auth), which answered"
like "$cold" 'referral to test\.: NS' "the referral names the child zone and its NS"
like "$cold" 'cached +test\. NS TTL [0-9]+: [0-9]+ NS records? and [0-9]+ glue' "the test. delegation was cached"
like "$cold" 'cached +www\.example\.test\. A TTL [0-9]+: positive answer in the message cache' "the answer was cached"
like "$cold" 'in [0-9]+\.[0-9] ms' "each query shows its RTT"
like "$cold" 'result +NOERROR from iterate, 1 answer record' "the result line"
like "$cold" $'www\\.example\\.test\\.\t[0-9]+\tIN\tA\t192\\.0\\.2\\.10' "the answer record"

# --- the same name again: a cache hit with the TTL left ---------------------------------
hot=$(rctl trace www.example.test); rc=$?
is "$rc" 0 "trace of a hot name: exit status 0 (TYPE defaults to A)"
diag "$hot"
like "$hot" 'cache +hit: positive answer, [0-9]+ s of TTL left' "a cache hit with the remaining TTL"
like "$hot" 'result +NOERROR from cache' "answered from the cache"
unlike "$hot" 'query ' "no server was asked"
# a sibling: the example.test. delegation comes from the RRset cache
sib=$(rctl trace mail.example.test A)
like "$sib" 'delegation +example\.test\. from the RRset cache \(TTL [0-9]+ left\)' \
    "a sibling starts at the cached example.test. delegation"
is "$(grep -c 'query ' <<<"$sib")" 1 "... and asks one server only"
# and a client query now is a hit: the trace cached the answer like any resolution
is "$(dig_section "$(rq mail.example.test A)" ANSWER | awk '{print $5}')" 192.0.2.25 \
    "a client gets the traced answer"

# --- negative, glueless, local ------------------------------------------------------------
neg=$(rctl trace nope.example.test A)
like "$neg" 'asked nope\.example\.test\. A: nxdomain' "NXDOMAIN is named as the verdict"
like "$neg" 'result +NXDOMAIN from iterate, 0 answer records' "... and the result"
like "$neg" $'example\\.test\\.\t[0-9]+\tIN\tSOA' "... with the SOA"
gl=$(rctl trace www.glueless.test A)
like "$gl" 'ns-lookup +ns1\.hosting\.lab\. A \(a name server of glueless\.test\.\): resolving' \
    "a glueless delegation: the NS name is resolved on the side"
like "$gl" $'\n +[0-9.]+ {4}query +127\\.54\\.[0-9.]+@53 .*zone lab\\.' "... its queries are indented one level deeper"
like "$gl" 'result +NOERROR' "... and the name resolves"
h=$(rctl trace pinned.example.test A)
like "$h" 'hosts +hit: 1 record from the hosts file' "a hosts name stops at the hosts step"
like "$h" 'result +NOERROR from hosts' "... answered from hosts"
unlike "$h" 'cache ' "... without looking at the cache"
lz=$(rctl trace www.corp.internal A)
like "$lz" 'local-zone +answer' "a local-zone name stops at the local-zone step"
like "$lz" 'result +NOERROR from local-zone, 1 answer record, authoritative' "... authoritative"

fw=$(rctl trace ns1.other.lab A)
diag "$fw"
like "$fw" 'route +forward: forward zone other\.lab\.: 2 upstreams' "a forwarded name: the forward zone is named"
f1=$(line_of 'query +127\.54\.255\.99@53 zone other\.lab\. asked ns1\.other\.lab\. A: (network-error|timeout).*trying the next forwarder' "$fw")
f2=$(line_of 'query +127\.54\.11\.1@53 zone other\.lab\. asked ns1\.other\.lab\. A: answer in [0-9.]+ ms: rcode 0, 1 answer record' "$fw")
cmp_ok "$f1" -gt 0 "the first forwarder failed (line $f1), and the trace says the next is tried"
cmp_ok "$f2" -gt "$f1" "the second forwarder answered (line $f2)"
like "$fw" 'result +NOERROR from forward, 1 answer record' "... and that is the result"
unlike "$fw" 'result .*authoritative' "a forwarded answer is not authoritative"

# --- JSON ----------------------------------------------------------------------------------
rctl flush-zone example.test >/dev/null
js=$(rctl trace www.example.test A --json)
ok $? "trace --json: exit status 0"
if command -v python3 >/dev/null; then
    summary=$(python3 -c '
import json, sys
t = json.load(sys.stdin)
q = [s for s in t["steps"] if s["step"] == "query"]
print(t["name"], t["type"], t["source"], t["rcode"], t["finished"], len(q) >= 1,
      all("rtt_ms" in s and "server" in s and "zone" in s for s in q), t["answer"][0].split()[-1])
' <<<"$js")
    is "$summary" "www.example.test. A iterate NOERROR True True True 192.0.2.10" \
        "the JSON parses and carries the question, route, rcode, queries and answer"
else
    like "$js" '^\{"name":"www\.example\.test\.","type":"A"' "the JSON starts with the question"
fi
like "$js" '"step":"query","depth":0,"ms":[0-9.]+,"verdict":"answer"' "JSON query steps have a verdict"

# --- bad arguments ------------------------------------------------------------------------
out=$(rctl trace 2>&1); is "$?" 1 "trace without a name: exit 1"; like "$out" 'usage: trace' "... with the usage"
out=$(rctl trace www.example.test NOSUCHTYPE 2>&1); is "$?" 1 "an unknown type: exit 1"
like "$out" "unknown type 'NOSUCHTYPE'" "... named"
out=$(rctl trace a..b 2>&1); is "$?" 1 "an invalid name: exit 1"
out=$(rctl trace a b c d 2>&1); is "$?" 1 "too many arguments: exit 1"

# --- a slow trace does not hold up clients -----------------------------------------------
# every server of dead.test is silent: the trace waits on timeouts, and clients meanwhile
# are answered at once
t0=$(now_ms)
rctl trace www.dead.test A >"$T/slow.out" 2>&1 &
tpid=$!
r=$(dig_rcode "$(rq www.example.test A)")
is "$r" NOERROR "a client query is answered while a trace runs"
kill -0 "$tpid" 2>/dev/null
ok $? "... and the trace was still running then"
wait "$tpid"; is "$?" 0 "the slow trace finished with exit 0 after $(( $(now_ms) - t0 )) ms"
slow=$(cat "$T/slow.out")
diag "$slow"
like "$slow" 'asked www\.dead\.test\. A: timeout: no usable reply' "the silent server shows as a timeout"
like "$slow" 'result +SERVFAIL \(iterate\)' "the result is SERVFAIL"
like "$slow" 'EDE 22 \(No Reachable Authority\): no server left to ask' \
    "... with the EDE a client gets: 22, and the reason"
js=$(rctl trace www.dead.test A --json)
like "$js" '"rcode":"SERVFAIL","ede":22,"ede_text":"no server left to ask"' "... in the JSON too"
out=$(rq +time=8 www.dead.test A)
is "$(dig_ede "$out"): $(dig_ede_text "$out")" "22: no server left to ask" "a client asking the same gets that EDE"

stop_resolverd
done_testing
