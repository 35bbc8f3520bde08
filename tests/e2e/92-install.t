#!/usr/bin/env bash
# 92-install.t -- `make install` and `make uninstall` (Makefile, dist/), and the installed
# systemd unit.
#
# Into a staging DESTDIR: the tree is listed and compared with the expected one path by
# path (modes too), the config has absolute paths, `user resolverd` and the control socket
# under /run/resolverd/, an existing config is never overwritten, and uninstall removes
# everything (but a config that was edited). Into a PREFIX of its own (so the paths inside
# the files are real): the installed config passes `resolverd --check` and names root hints
# that exist, the man pages are found under mandir and lint clean, and the unit passes
# `systemd-analyze verify` and rates <= 4.0 in `systemd-analyze security --offline=yes`, and
# (as root) the installed resolverd runs with the installed config unchanged and answers
# on 127.0.0.1 port 53 in namespaces of its own (installed-run.sh). systemd does not run
# here (PID 1 is not systemd, and it is not booted): systemd-analyze works on unit files.
source "$(dirname "$0")/lib.sh"

MAKE=(make -s -C "$ROOT" CREATE_USER=no)
STAGE="$T/stage"

# tree DIR: every path below DIR with its type and mode, sorted ("f 644 usr/local/...")
tree() { (cd "$1" && find . -mindepth 1 -printf '%y %m %P\n' | sort -k3); }

expected_tree() {   # PREFIX (without DESTDIR), as tree prints it
    local p=${1#/} d h
    d=$p
    while [ -n "$d" ] && [ "$d" != . ]; do echo "d 755 $d"; d=$(dirname "$d"); done
    for d in etc etc/resolverd lib lib/systemd lib/systemd/system lib/sysusers.d sbin share \
             share/man share/man/man5 share/man/man8 share/resolverd; do
        echo "d 755 $p/$d"
    done
    for d in etc/resolverd/resolver.conf lib/systemd/system/resolverd.service \
             lib/sysusers.d/resolverd.conf share/man/man5/resolver.conf.5 \
             share/man/man8/resolverctl.8 share/man/man8/resolverd.8; do
        echo "f 644 $p/$d"
    done
    echo "f 755 $p/sbin/resolverctl"
    echo "f 755 $p/sbin/resolverd"
    for h in "$ROOT"/hints/*; do echo "f 644 $p/share/resolverd/$(basename "$h")"; done
}

# --- DESTDIR staging ------------------------------------------------------------------------------
umask 022
"${MAKE[@]}" install DESTDIR="$STAGE" >"$T/install.out" 2>&1
is "$?" 0 "make install DESTDIR=stage" || diag_file "$T/install.out"
got=$(tree "$STAGE")
want=$(expected_tree /usr/local | sort -k3)
is "$got" "$want" "the staged tree is exactly the expected one (paths, types, modes)" \
    || diag "$(diff <(echo "$want") <(echo "$got"))"
diag "$got"
CONF="$STAGE/usr/local/etc/resolverd/resolver.conf"
grep -qx 'root-hints /usr/local/share/resolverd/root.hints.*' "$CONF"; ok $? "config: root hints at \$(datadir)/resolverd"
grep -q '^user resolverd ' "$CONF"; ok $? "config: user resolverd"
grep -qx 'control /run/resolverd/control' "$CONF"; ok $? "config: control socket /run/resolverd/control"
grep -qx 'trust-anchor-file /usr/local/share/resolverd/root.key.*' "$CONF"
ok $? "config: the root's trust anchors at \$(datadir)/resolverd"
! awk '$1 == "root-hints" || $1 == "hosts" || $1 == "zone" || $1 == "control" ||
       $1 == "trust-anchor-file" {print $2}' "$CONF" \
    | grep -v '^/'; ok $? "config: every path in it is absolute"
# the staged files are where DESTDIR put them: the config's data paths, seen from the stage
sed "s|/usr/local/share/|$STAGE/usr/local/share/|" "$CONF" >"$T/staged.conf"
out=$("$STAGE/usr/local/sbin/resolverd" --check --config "$T/staged.conf" 2>"$T/check.err")
is "$?:$out" "0:$T/staged.conf: ok" \
    "the installed resolverd --check passes the installed config (anchors and hints read)"
cmp -s "$STAGE/usr/local/sbin/resolverd" "$ROOT/build/resolverd"; ok $? "sbin/resolverd is the optimised build"
grep -q 'ExecStart=/usr/local/sbin/resolverd --config /usr/local/etc/resolverd/resolver.conf' \
    "$STAGE/usr/local/lib/systemd/system/resolverd.service"; ok $? "unit: ExecStart with the installed paths"
grep -q '^u resolverd ' "$STAGE/usr/local/lib/sysusers.d/resolverd.conf"; ok $? "sysusers.d: the user resolverd"

echo "# edited by the admin" >>"$CONF"
"${MAKE[@]}" install DESTDIR="$STAGE" >"$T/install2.out" 2>&1
is "$?" 0 "make install again"
is "$(tail -n1 "$CONF")" "# edited by the admin" "an existing config is not overwritten"
grep -q 'keeping the existing' "$T/install2.out"; ok $? "... and install says so"

"${MAKE[@]}" uninstall DESTDIR="$STAGE" >"$T/uninstall.out" 2>&1
is "$?" 0 "make uninstall DESTDIR=stage"
is "$(cd "$STAGE" && find . -type f | sort)" "./usr/local/etc/resolverd/resolver.conf" \
    "uninstall removes every file but the edited config"
grep -q 'keeping .*resolver.conf: it was changed' "$T/uninstall.out"; ok $? "... and says why it keeps that one"
rm -rf "$STAGE"

# --- GNU directory variables ------------------------------------------------------------------------
DEB=(PREFIX=/usr sysconfdir=/etc mandir=/usr/share/man)
"${MAKE[@]}" install DESTDIR="$STAGE" "${DEB[@]}" >"$T/deb.out" 2>&1
is "$?" 0 "make install PREFIX=/usr sysconfdir=/etc (Debian layout)"
for f in usr/sbin/resolverd usr/sbin/resolverctl etc/resolverd/resolver.conf usr/share/resolverd/root.hints \
         usr/lib/systemd/system/resolverd.service usr/share/man/man8/resolverd.8 usr/share/man/man5/resolver.conf.5; do
    [ -f "$STAGE/$f" ]; ok $? "Debian layout: /$f"
done
grep -qx 'root-hints /usr/share/resolverd/root.hints.*' "$STAGE/etc/resolverd/resolver.conf"
ok $? "Debian layout: the config names /usr/share/resolverd/root.hints"
grep -q 'ExecReload=/usr/sbin/resolverctl --config /etc/resolverd/resolver.conf reload' \
    "$STAGE/usr/lib/systemd/system/resolverd.service"; ok $? "Debian layout: ExecReload through resolverctl"
grep -q '^\.I /etc/resolverd/resolver.conf' "$STAGE/usr/share/man/man5/resolver.conf.5"
ok $? "Debian layout: the man pages name /etc/resolverd"
"${MAKE[@]}" uninstall DESTDIR="$STAGE" "${DEB[@]}" >/dev/null 2>&1
is "$(cd "$STAGE" && find . -type f)" "" "uninstall of the Debian layout leaves no file"
rm -rf "$STAGE"

# --- a real prefix: the files name paths that exist -------------------------------------------------
P="$T/prefix"
"${MAKE[@]}" install PREFIX="$P" >"$T/prefix.out" 2>&1
is "$?" 0 "make install PREFIX=\$T/prefix" || diag_file "$T/prefix.out"
PCONF="$P/etc/resolverd/resolver.conf"
hints=$(awk '$1 == "root-hints" {print $2}' "$PCONF")
[ -r "$hints" ] && [ "$hints" = "$P/share/resolverd/root.hints" ]; ok $? "the config's root hints exist ($hints)"
out=$("$P/sbin/resolverd" --check --config "$PCONF" 2>"$T/pcheck.err")
is "$?:$out" "0:$PCONF: ok" "resolverd --check passes the installed config"
! grep -q 'no iteration' "$T/pcheck.err"; ok $? "... and iteration is on (the hints load)"
for m in man8/resolverd.8 man8/resolverctl.8 man5/resolver.conf.5; do
    page=$(basename "$m"); name=${page%.*}; sec=${page##*.}
    is "$(MANPATH="$P/share/man" man -w "$sec" "$name" 2>&1)" "$P/share/man/$m" "man finds $name($sec) under mandir"
    if command -v mandoc >/dev/null; then
        out=$(mandoc -T lint "$P/share/man/$m" 2>&1); is "$?:$out" "0:" "installed $page: mandoc -T lint clean"
    else
        skip "mandoc is not installed (make deps)" "installed $page: mandoc -T lint clean"
    fi
done

UNIT="$P/lib/systemd/system/resolverd.service"
if command -v systemd-analyze >/dev/null && systemd-analyze --help >/dev/null 2>&1; then
    out=$(MANPATH="$P/share/man" systemd-analyze verify "$UNIT" 2>&1)
    is "$?:$out" "0:" "systemd-analyze verify: clean (man pages found too)"
    sec=$(systemd-analyze security --offline=yes --no-pager "$UNIT" 2>&1)
    level=$(sed -n 's/.*Overall exposure level for resolverd.service: \([0-9.]*\).*/\1/p' <<<"$sec")
    diag "systemd-analyze security: exposure $level"
    awk -v l="$level" 'BEGIN {exit !(l != "" && l + 0 <= 4.0)}'
    ok $? "systemd-analyze security --offline=yes: exposure $level <= 4.0 (\"OK\" or better)" \
        || diag "$sec"
else
    skip "systemd-analyze is not available" "systemd-analyze verify"
    skip "systemd-analyze is not available" "systemd-analyze security"
fi
for want in 'Type=notify' 'ExecReload=.*resolverctl .* reload' 'AmbientCapabilities=CAP_NET_BIND_SERVICE' \
            'CapabilityBoundingSet=CAP_NET_BIND_SERVICE' 'ProtectSystem=strict' 'ProtectHome=yes' \
            'PrivateTmp=yes' 'NoNewPrivileges=yes' 'RuntimeDirectory=resolverd' 'StateDirectory=resolverd' \
            'SystemCallFilter=@system-service' 'WatchdogSec=' 'User=resolverd'; do
    grep -qE "^$want" "$UNIT"; ok $? "unit: $want"
done
# The installed files as they are, run as a system runs them (without systemd, which does not
# run here): as root, in a private network namespace (port 53 on 127.0.0.1 and ::1 is ours
# alone, and nothing gets out) and mount namespace (a fresh /run, and an /etc/passwd that
# has the user resolverd). installed-run.sh says what it saw.
RUNS="the installed resolverd with its installed config"
if [ "$(id -u)" = 0 ] && unshare -nm --propagation private true 2>/dev/null; then
    { cat /etc/passwd; echo 'resolverd:x:64999:64999:resolverd test user:/nonexistent:/usr/sbin/nologin'; } >"$T/passwd"
    mkdir -p "$T/run"
    unshare -nm --propagation private "$E2E_DIR/installed-run.sh" "$P" "$T/passwd" "$T/run"
    result() { sed -n "s/^$1=//p" "$T/run/result"; }
    is "$(result setup)" ok "namespaces set up for $RUNS"
    is "$(result dig)" 127.0.0.1 "$RUNS: dig @127.0.0.1 localhost answers 127.0.0.1"         || diag_file "$T/run/log" "resolverd: "
    is "$(result dig6)" 127.0.0.1 "... and over ::1"
    is "$(result ctl)" 1 "resolverctl --config (the installed one) reaches /run/resolverd/control"
    is "$(result user)" resolverd "it runs as the user resolverd (user resolverd)"
    is "$(result owner):$(result dirowner)" resolverd:resolverd "/run/resolverd and its control socket belong to resolverd"
    is "$(result stop):$(result left)" 0:0 "TERM: exit 0, the control socket removed"
else
    for t in setup dig dig6 ctl user owner stop; do skip "needs root and unshare -nm" "$RUNS: $t"; done
fi

"${MAKE[@]}" uninstall PREFIX="$P" >/dev/null 2>&1
is "$(find "$P" -type f)" "" "uninstall PREFIX=\$T/prefix leaves no file"

done_testing
