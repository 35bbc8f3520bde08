#!/usr/bin/env bash
# installed-run.sh -- runs an installed resolverd with its installed config, unchanged, as
# a system would: for tests/e2e/92-install.t, inside `unshare -nm` (a private network
# namespace with loopback up, so port 53 is ours alone, and a private mount namespace whose
# /run is a fresh tmpfs and whose /etc/passwd has the user resolverd). Real root only.
#
#   installed-run.sh PREFIX PASSWD OUTDIR
#
# Writes OUTDIR/result: key=value lines the test checks (started, dig, ctl, owner, stop).
set -u
prefix=$1 passwd=$2 out=$3
conf=$prefix/etc/resolverd/resolver.conf
res() { echo "$1=$2" >>"$out/result"; }
: >"$out/result"
ip link set lo up || { res setup "ip link failed"; exit 0; }
mount -t tmpfs tmpfs /run || { res setup "mount /run failed"; exit 0; }
mount --bind "$passwd" /etc/passwd || { res setup "mount passwd failed"; exit 0; }
res setup ok
"$prefix/sbin/resolverd" --config "$conf" >"$out/log" 2>&1 &
pid=$!
answer=""     # a bounded poll (100 steps, 10 s), as lib.sh's wait_until, which needs the TAP harness
poll_step=0.1
for _ in $(seq 1 100); do
    answer=$(dig @127.0.0.1 +tries=1 +time=1 +short localhost 2>/dev/null) && [ -n "$answer" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep "$poll_step"
done
res dig "$answer"
res dig6 "$(dig @::1 +tries=1 +time=1 +short localhost 2>/dev/null | head -n1)"
res ctl "$("$prefix/sbin/resolverctl" --config "$conf" stats 2>&1 | grep -c '^queries.total=')"
res user "$(ps -o user= -p "$pid" 2>/dev/null | tr -d ' ')"
res owner "$(stat -c %U /run/resolverd/control 2>/dev/null)"
res dirowner "$(stat -c %U /run/resolverd 2>/dev/null)"
kill -TERM "$pid" 2>/dev/null
wait "$pid"
res stop "$?"
res left "$(ls /run/resolverd 2>/dev/null | wc -l)"
