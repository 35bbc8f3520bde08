#!/usr/bin/env bash
# tests/deckard/deckard.sh PROGRAM [pytest args...] -- what `make deckard` and
# `make deckard-unbound` run (tests/deckard/README.md).
#
# Runs CZ-NIC's Deckard conformance scenarios ($DECKARD_HOME/run.sh, default
# ../shared/deckard) against PROGRAM (resolverd: the program description resolverd.yaml,
# template resolverd.j2, binary from $EXTRA_PATH; unbound: unbound.yaml with
# unbound-tuned.j2, the reference configuration), prints Deckard's summary, then the
# verdict on the counted subset of issue 10: the iter_ scenarios that need no trust anchor,
# without iter_minim_* (a scenario counts when it passes in every qmin mode it runs in), and
# the counts per category next to Unbound 1.17.1's (issue 11 compares the DNSSEC ones).
#
# Exit status: 2 when Deckard is missing or could not run, else 0 (the scenarios' outcome
# is in the summary; the DNSSEC ones fail until resolverd validates).
set -o nounset -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PROGRAM=${1:?usage: deckard.sh resolverd|unbound [pytest args]}
shift
DECKARD_HOME=${DECKARD_HOME:-../shared/deckard}
unset DECKARD_DIR   # Deckard's own variable (a folder it must create): never inherit one

if [ ! -x "$DECKARD_HOME/run.sh" ]; then
  cat >&2 <<EOF
deckard: no Deckard at $DECKARD_HOME (looked for $DECKARD_HOME/run.sh).
  Deckard is an external tool, not part of this repository. Either put the shared export
  (Deckard + run.sh, see its README.md) at ../shared/deckard next to this checkout, or
  point DECKARD_HOME at it:  make deckard DECKARD_HOME=/path/to/shared/deckard
EOF
  exit 2
fi
case $PROGRAM in
  resolverd) yaml=$HERE/resolverd.yaml ;;
  unbound)   yaml=$HERE/unbound.yaml
             command -v unbound >/dev/null || { echo "deckard: unbound is not installed (make deps)" >&2; exit 2; } ;;
  *) echo "deckard: unknown program $PROGRAM (resolverd or unbound)" >&2; exit 2 ;;
esac
if [ "$(id -u)" != 0 ]; then
  echo "deckard: run.sh installs Debian packages and builds network namespaces: run as root" >&2
  exit 2
fi

WORK=${DECKARD_WORK:-/tmp/deckard-work}
"$DECKARD_HOME/run.sh" "$yaml" "$HERE" "$@"
rc=$?
xml=$(ls -t "$WORK"/results/"$(basename "$yaml" .yaml)"-*.xml 2>/dev/null | head -1)
if [ -z "$xml" ] || [ ! -s "$xml" ]; then
  echo "deckard: Deckard produced no results (exit $rc); see $WORK/results/" >&2
  exit 2
fi

# The counted subset: iter_ without iter_minim_* and without the scenarios that need a
# trust anchor (those whose CONFIG names one).
sets=$WORK/deckard/sets/resolver
python3 "$(dirname "$DECKARD_HOME/run.sh")/summarize.py" "$xml" -v | awk -v sets="$sets" '
  $1 ~ /^iter_/ && $1 !~ /^iter_minim_/ {
    cmd = "grep -qi trust-anchor " sets "/" $1 ".rpl"; if (system(cmd) == 0) next
    n++; if ($2 == "pass") p++; else bad = bad "\n    " $1 " " $2
  }
  END {
    if (n) printf "counted subset (iter_, no trust anchor, no iter_minim_*): %d of %d pass%s\n", p, n, bad
  }'

# Per category, next to Unbound 1.17.1's figures on the same set and machine (the table of
# ../shared/deckard/README.md: scenarios run, pass, partial), and the DNSSEC categories of
# issue 11 together. Only the categories this run selected are printed.
python3 "$(dirname "$DECKARD_HOME/run.sh")/summarize.py" "$xml" -v | awk '
  BEGIN {
    split("iter 42 32 1 val 72 55 3 nsec 7 4 3 nsec3 1 0 0 black 5 4 0 world 4 1 1 fwd 1 1 0 module 8 0 0 DNSSEC 90 65 7", r, " ")
    for (i = 1; i in r; i += 4) { ref_n[r[i]] = r[i + 1]; ref_p[r[i]] = r[i + 2]; ref_q[r[i]] = r[i + 3] }
    dnssec = " val nsec nsec3 black world fwd "
  }
  NF >= 2 && $2 ~ /^(pass|fail|partial|skipped)$/ {
    c = $1; sub(/_.*/, "", c)
    if (!(c in n)) { order[++k] = c; if (index(dnssec, " " c " ")) nd++ }
    n[c]++; v[c, $2]++
    if (index(dnssec, " " c " ")) { n["DNSSEC"]++; v["DNSSEC", $2]++ }
  }
  END {
    if (!k) exit
    printf "\nper category (pass: in every qmin mode it runs in)      Unbound 1.17.1 (same set)\n"
    printf "  %-8s %4s %5s %8s %5s      %4s %5s %8s\n", "category", "run", "pass", "partial", "fail", "run", "pass", "partial"
    for (i = 1; i <= k; i++) row(order[i] "_", order[i])
    if (nd > 1) {
      row("DNSSEC", "DNSSEC")
      printf "  (DNSSEC: the %d of val_ nsec_ nsec3_ black_ world_ fwd_ run here; Unbound: all six)\n", nd
    }
  }
  function row(label, c) {
    printf "  %-8s %4d %5d %8d %5d      %4s %5s %8s\n", label, n[c], v[c, "pass"], v[c, "partial"], v[c, "fail"], \
      (c in ref_n) ? ref_n[c] : "-", (c in ref_p) ? ref_p[c] : "-", (c in ref_q) ? ref_q[c] : "-"
  }'
echo "results: $xml (per-scenario folders of failures under $WORK/tmp/)"
exit 0
