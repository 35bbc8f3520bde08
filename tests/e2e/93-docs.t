#!/usr/bin/env bash
# 93-docs.t -- the man pages (man/) and the README agree with the code.
#
# The lists are taken from the C tables themselves: every directive of `directives[]` in
# resolver/config.c has an entry in resolver.conf(5), a row in README's configuration
# table and a line in the shipped resolver.conf; every command of `commands[]` in
# resolver/control.c has an entry in resolverctl(8), a row in README's resolverctl table and
# a line in `resolverctl --help`; and back: resolver.conf(5) documents no directive the
# parser does not know. Every `stats` key a running daemon prints is in resolverctl(8).
# The pages lint clean (mandoc -T lint, groff -w all) and read with `man -l`.
source "$(dirname "$0")/lib.sh"

MAN="$ROOT/man"
directives=$(sed -n '/^static const struct directive directives\[\] = {/,/^};/p' "$ROOT/resolver/config.c" \
    | grep -oE '^ *(\{ |YESNO\(|NUMBER\(|SECONDS\()"[a-z0-9-]+"' | grep -oE '"[^"]+"' | tr -d '"')
commands=$(sed -n '/^static const struct control_command commands\[\] = {/,/^};/p' "$ROOT/resolver/control.c" \
    | grep -oE '^ *\{ "[a-z-]+"' | grep -oE '"[^"]+"' | tr -d '"')
cmp_ok "$(wc -w <<<"$directives")" -ge 30 "the directive table was read ($(wc -w <<<"$directives") directives)"
cmp_ok "$(wc -w <<<"$commands")" -ge 10 "the command table was read ($(wc -w <<<"$commands") commands)"

# the names each man page gives an entry (.TP, then a .B/.BR/.BI line starting with it)
man_entries() { awk 'prev ~ /^\.(TP|TQ)/ && /^\.B[IR]? / {print $2} {prev = $0}' "$1" | tr -d '"'; }

missing() {   # WHAT LIST CMD...: the names of LIST for which CMD NAME fails
    local what=$1 list=$2 n bad=""; shift 2
    for n in $list; do "$@" "$n" || bad+=" $n"; done
    is "${bad# }" "" "$what"
}
in_list() { grep -qxF -- "$1" <<<"$LIST"; }

LIST=$(man_entries "$MAN/resolver.conf.5")
missing "every directive of the parser has an entry in resolver.conf(5)" "$directives" in_list
LIST=$directives
missing "resolver.conf(5) documents no directive the parser does not know" \
    "$(man_entries "$MAN/resolver.conf.5")" in_list
readme_config_row() { grep -qE "^\| .*\`$1[ \`]" "$ROOT/README.md"; }
missing "every directive has a row in README's configuration table" "$directives" readme_config_row
shipped_conf_line() { grep -qE "^(# ?)?$1( |$)" "$ROOT/resolver.conf"; }
missing "every directive has a line in the shipped resolver.conf" "$directives" shipped_conf_line

LIST=$(man_entries "$MAN/resolverctl.8")
missing "every control command has an entry in resolverctl(8)" "$commands" in_list
readme_command_row() { grep -qE "^\| \`$1( [^\`]*)?\` \|" "$ROOT/README.md"; }
missing "every control command has a row in README's resolverctl table" "$commands" readme_command_row
HELP=$("$RESOLVERCTL" --help)
in_help() { grep -qE "^  $1( |$)" <<<"$HELP"; }
missing "every control command is in resolverctl --help" "$commands" in_help

# every section a complete page needs
for page in resolverd.8 resolverctl.8; do
    for s in NAME SYNOPSIS DESCRIPTION OPTIONS FILES 'EXIT STATUS' 'SEE ALSO'; do
        grep -qx "\.SH \"\?$s\"\?" "$MAN/$page"; ok $? "$page has $s"
    done
done
for s in SIGTERM SIGINT SIGHUP; do grep -qx "\.B $s" "$MAN/resolverd.8"; ok $? "resolverd(8) documents $s"; done
for o in --config --check --version --help; do
    grep -q "${o//-/\\\\-}" "$MAN/resolverd.8"; ok $? "resolverd(8) documents $o"
done
for o in --config --socket --version --help; do
    grep -q "${o//-/\\\\-}" "$MAN/resolverctl.8"; ok $? "resolverctl(8) documents $o"
done

# every stats key of a running daemon
ADDR=127.53.93.1
PORT=$(pick_port "$ADDR") || bail "no free port"
CTL="$T/control"
write_conf "$T/resolver.conf" "listen $ADDR $PORT" "control $CTL" "root-hints /nonexistent" "threads 1"
start_resolverd "$T/resolver.conf" || bail "resolverd did not start"
keys=$(rctl stats | cut -d= -f1)
cmp_ok "$(wc -w <<<"$keys")" -ge 60 "stats printed its keys ($(wc -w <<<"$keys"))"
stop_resolverd
PAGE=$(mandoc -T ascii "$MAN/resolverctl.8" | col -b)
in_page() { grep -qF -- "$1" <<<"$PAGE"; }
missing "every stats key is documented in resolverctl(8)" "$keys" in_page
readme_stat() { grep -qF -- "\`$1\`" "$ROOT/README.md" || grep -qF -- "\`${1%%.*}." "$ROOT/README.md"; }
missing "every stats key (or its family, as rcode.*) is named in README" "$keys" readme_stat

# lint and reading
for page in "$MAN"/*.[58]; do
    name=$(basename "$page")
    if command -v mandoc >/dev/null; then
        out=$(mandoc -T lint "$page" 2>&1); is "$?:$out" "0:" "$name: mandoc -T lint clean"
    else
        skip "mandoc is not installed (make deps)" "$name: mandoc -T lint clean"
    fi
    out=$(groff -man -w all -z "$page" 2>&1); is "$?:$out" "0:" "$name: groff -w all clean"
    like "$(MANWIDTH=80 man -l "$page" 2>/dev/null | col -b | head -n 5)" 'NAME' "$name: man -l reads it"
done

done_testing
