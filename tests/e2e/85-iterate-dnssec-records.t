#!/bin/bash
# 85-iterate-dnssec-records.t -- what the iterator hands on for validation, on the signed
# simulated internet (tools/simnet/signsim): with the tree's root anchor loaded its queries
# carry DO, and its result keeps the records a validator needs as the authorities sent them:
# every answer RRset (the CNAME links included, across zones) followed by its RRSIGs; a
# negative answer's SOA, NSEC or NSEC3 records and their RRSIGs; a wildcard answer's proof
# (seen in the trace: the message cache keeps no authority section for a positive answer);
# DS asked of the parent's servers (ns1.nic.sec, never ns1.secure.sec, which serves the
# children), with and without qname minimisation, cold and warm: the secure DS with sec.'s
# RRSIG, the NSEC proving insecure.sec has none (and the NSEC3 an opt-out delegation's), the
# NODATA/NXDOMAIN of names that are not cuts. Asked with dig +dnssec +cd, so it holds with
# the validator too.
# Needs: nsd, ldnsutils, dig, perl, and root or unshare -rn (see simnet.sh).
. "$(dirname "$0")/lib.sh"
. "$E2E_DIR/signsim.sh"

printf '127.0.0.1 localhost.test.invalid\n' >"$T/hosts"
CTL="$T/control.sock"
# rd_conf FILE [LINE...]: a resolverd iterating over the signed tree, its root anchor loaded
rd_conf() {
    local f=$1; shift
    write_conf "$f" "listen $SIGN_RD_ADDR 53" "outgoing-interface $SIGN_RD_ADDR" \
        "root-hints $SIGN_HINTS" "query-loopback yes" "control $CTL" "hosts $T/hosts" \
        "dnssec yes" "trust-anchor-file $SIGN_ROOT_ANCHOR" "log-level debug" "$@"
}
dq() { rq +dnssec +cdflag +time=10 "$@"; }
# types OUT SECTION: "owner TYPE" of each record of a section (RRSIGs as RRSIG/COVERED)
types() {
    dig_section "$1" "$2" | awk '{ t = $4; if (t == "RRSIG") t = t "/" $5
                                   printf "%s%s %s", sep, tolower($1), t; sep = "; " }'
}
# signers OUT SECTION TYPE: the signer names of the RRSIGs over TYPE in a section
signers() {
    dig_section "$1" "$2" | awk -v t="$3" '$4 == "RRSIG" && $5 == t {print tolower($12)}' |
        sort -u | tr '\n' ' ' | sed 's/ $//'
}
n_of() { dig_section "$1" "$2" | awk -v t="$3" '$4 == t || ($4 == "RRSIG" && "RRSIG/" $5 == t)' | wc -l; }
# every NSEC/NSEC3 of a section has an RRSIG at its owner over its type
all_signed() {
    dig_section "$1" "$2" | awk '$4 == "NSEC" || $4 == "NSEC3" { need[tolower($1) " " $4] = 1 }
        $4 == "RRSIG" { have[tolower($1) " " $5] = 1 }
        END { for (k in need) if (!(k in have)) bad = 1; exit bad }'
}

# ds_checks LABEL: the DS cases, asked of a running resolverd
ds_checks() {
    local l=$1 out tr
    tr=$(rctl trace secure.sec DS)
    like "$tr" "127\.55\.1\.1@53 \(ns1\.nic\.sec\.\) zone sec\. asked secure\.sec\. DS" \
        "$l: DS secure.sec asked of sec.'s server" || diag "$tr"
    is "$(grep -c '127\.55\.10\.1@53.* asked secure\.sec\. DS' <<<"$tr")" 0 "... never of the child's"
    out=$(dq secure.sec DS)
    is "$(dig_rcode "$out") $(types "$out" ANSWER)" "NOERROR secure.sec. DS; secure.sec. RRSIG/DS" \
        "$l: DS secure.sec: the DS and its RRSIG" || diag "$out"
    is "$(signers "$out" ANSWER DS)" "sec." "... signed by the parent, sec."
    out=$(dq insecure.sec DS)
    is "$(dig_rcode "$out") $(types "$out" AUTHORITY)" \
        "NOERROR sec. SOA; sec. RRSIG/SOA; insecure.sec. NSEC; insecure.sec. RRSIG/NSEC" \
        "$l: no DS at insecure.sec: sec.'s NODATA with SOA, the NSEC and their RRSIGs" || diag "$out"
    like "$(dig_section "$out" AUTHORITY | awk '$4 == "NSEC"')" "NSEC[[:space:]]+[^ ]+ NS RRSIG NSEC$" \
        "... the NSEC shows NS without DS"
    out=$(dq unsigned.optout.sec DS)
    is "$(dig_rcode "$out")/$(dig_section "$out" AUTHORITY | awk '$4 == "SOA" {print tolower($1)}')" \
        NOERROR/optout.sec. "$l: no DS at an opt-out delegation: optout.sec.'s NODATA" || diag "$out"
    all_signed "$out" AUTHORITY && [ "$(n_of "$out" AUTHORITY NSEC3)" -ge 1 ]
    ok $? "... with the NSEC3 proof, signed" || diag "$out"
    out=$(dq www.secure.sec DS)
    is "$(dig_rcode "$out") $(types "$out" AUTHORITY)" \
        "NOERROR secure.sec. SOA; secure.sec. RRSIG/SOA; www.secure.sec. NSEC; www.secure.sec. RRSIG/NSEC" \
        "$l: DS of a name inside a zone: the zone's NODATA with its NSEC" || diag "$out"
    out=$(dq wild.secure.sec DS)
    is "$(dig_rcode "$out")/$(n_of "$out" AUTHORITY SOA)" NOERROR/1 \
        "$l: DS of an empty non-terminal (wild.secure.sec): NODATA with SOA" || diag "$out"
    cmp_ok "$(n_of "$out" AUTHORITY NSEC)" -ge 1 "... and an NSEC"
    all_signed "$out" AUTHORITY; ok $? "... each NSEC with its RRSIG"
    out=$(dq nic.sec DS)
    is "$(dig_rcode "$out")/$(dig_section "$out" AUTHORITY | awk '$4 == "SOA" {print tolower($1)}')" \
        NOERROR/sec. "$l: DS of an empty non-terminal of the parent (nic.sec): sec.'s NODATA" || diag "$out"
    all_signed "$out" AUTHORITY && [ "$(n_of "$out" AUTHORITY NSEC)" -ge 1 ]
    ok $? "... with its NSEC, signed"
    out=$(dq nope.secure.sec DS)
    is "$(dig_rcode "$out")/$(n_of "$out" AUTHORITY NSEC)/$(n_of "$out" AUTHORITY RRSIG/SOA)" NXDOMAIN/1/1 \
        "$l: DS of a name that does not exist: NXDOMAIN with the SOA's RRSIG and an NSEC" || diag "$out"
}

# --- qname minimisation on (the default) --------------------------------------------------------
rd_conf "$T/min.conf" "qname-minimisation yes"
start_resolverd "$T/min.conf" "$SIGN_RD_ADDR" 53 || bail "resolverd did not start"

out=$(dq www.secure.sec A)
is "$(dig_rcode "$out") $(types "$out" ANSWER)" "NOERROR www.secure.sec. A; www.secure.sec. RRSIG/A" \
    "www.secure.sec A: the A followed by its RRSIG" || diag "$out"
is "$(signers "$out" ANSWER A)" "secure.sec." "... signed by secure.sec."

out=$(dq to-nsec3.secure.sec A)
is "$(types "$out" ANSWER)" \
    "to-nsec3.secure.sec. CNAME; to-nsec3.secure.sec. RRSIG/CNAME; www.nsec3.sec. A; www.nsec3.sec. RRSIG/A" \
    "a CNAME across two signed zones: each RRset followed by its own zone's RRSIG" || diag "$out"
is "$(signers "$out" ANSWER CNAME)/$(signers "$out" ANSWER A)" "secure.sec./nsec3.sec." "... the CNAME by secure.sec., the A by nsec3.sec."
out=$(dq to-back.secure.sec A)
is "$(types "$out" ANSWER)" \
    "to-back.secure.sec. CNAME; to-back.secure.sec. RRSIG/CNAME; back.insecure.sec. CNAME; www.secure.sec. A; www.secure.sec. RRSIG/A" \
    "secure -> insecure -> secure: the unsigned CNAME without RRSIG, the others with theirs" || diag "$out"

out=$(dq any.wild.secure.sec A)
is "$(types "$out" ANSWER)" "any.wild.secure.sec. A; any.wild.secure.sec. RRSIG/A" "a wildcard answer with its RRSIG" || diag "$out"
is "$(dig_section "$out" ANSWER | awk '$4 == "RRSIG" {print $7}')" 3 "... whose labels field (3) says it was synthesised"
tr=$(rctl trace any.new.wild.secure.sec A)
like "$tr" "answer in [0-9.]+ ms: 2 records, authoritative; [1-9][0-9]* NSEC/NSEC3 proof records? kept" \
    "... the iterator keeps the NSEC proving the next closer name absent (trace)" || diag "$tr"
out=$(dq any.wild.secure.sec AAAA)
is "$(dig_rcode "$out")/$(n_of "$out" AUTHORITY SOA)/$(n_of "$out" AUTHORITY RRSIG/SOA)" NOERROR/1/1 \
    "a wildcard NODATA: the SOA and its RRSIG" || diag "$out"
cmp_ok "$(n_of "$out" AUTHORITY NSEC)" -ge 1 "... and the NSEC proof"
all_signed "$out" AUTHORITY; ok $? "... each NSEC with its RRSIG"

out=$(dq nope.secure.sec A)
is "$(dig_rcode "$out")/$(n_of "$out" AUTHORITY SOA)/$(n_of "$out" AUTHORITY RRSIG/SOA)" NXDOMAIN/1/1 \
    "NXDOMAIN: the SOA and its RRSIG" || diag "$out"
cmp_ok "$(n_of "$out" AUTHORITY NSEC)" -ge 1 "... the NSEC proof"
all_signed "$out" AUTHORITY; ok $? "... each NSEC with its RRSIG"
out=$(dq www.secure.sec AAAA)
is "$(dig_rcode "$out") $(types "$out" AUTHORITY | tr ';' '\n' | sed 's/^ //' | sort | tr '\n' ';')" \
    "NOERROR secure.sec. RRSIG/SOA;secure.sec. SOA;www.secure.sec. NSEC;www.secure.sec. RRSIG/NSEC;" \
    "NODATA: SOA, the NSEC at the name, their RRSIGs" || diag "$out"

out=$(dq nope.nsec3.sec A)
is "$(dig_rcode "$out")/$(n_of "$out" AUTHORITY SOA)/$(n_of "$out" AUTHORITY RRSIG/SOA)" NXDOMAIN/1/1 \
    "NSEC3 zone, NXDOMAIN: the SOA and its RRSIG" || diag "$out"
cmp_ok "$(n_of "$out" AUTHORITY NSEC3)" -ge 2 "... the NSEC3 records of the proof (closest encloser, next closer)"
is "$(n_of "$out" AUTHORITY RRSIG/NSEC3)" "$(n_of "$out" AUTHORITY NSEC3)" "... each with its RRSIG"
all_signed "$out" AUTHORITY; ok $? "... at its owner"
out=$(dq www.nsec3.sec AAAA)
is "$(dig_rcode "$out")/$(n_of "$out" AUTHORITY NSEC3)/$(n_of "$out" AUTHORITY RRSIG/NSEC3)" NOERROR/1/1 \
    "NSEC3 zone, NODATA: the matching NSEC3 and its RRSIG" || diag "$out"
tr=$(rctl trace other.wild.nsec3.sec A)
like "$tr" "answer in [0-9.]+ ms: 2 records, authoritative; [1-9][0-9]* NSEC/NSEC3 proof records? kept" \
    "NSEC3 wildcard answer: the NSEC3 proof kept (trace)" || diag "$tr"
out=$(dq nope.optout.sec A)
is "$(dig_rcode "$out")/$(n_of "$out" AUTHORITY SOA)" NXDOMAIN/1 "opt-out zone, NXDOMAIN: the SOA" || diag "$out"
cmp_ok "$(n_of "$out" AUTHORITY NSEC3)" -ge 1 "... and the NSEC3 records"
out=$(dq nope.insecure.sec A)
is "$(dig_rcode "$out") $(types "$out" AUTHORITY)" "NXDOMAIN insecure.sec. SOA" \
    "an unsigned zone's NXDOMAIN: the SOA alone, as without DNSSEC" || diag "$out"

ds_checks "minimised, warm"
stop_resolverd

# --- qname minimisation off; cold: the DS questions first -----------------------------------------
rd_conf "$T/full.conf" "qname-minimisation no"
start_resolverd "$T/full.conf" "$SIGN_RD_ADDR" 53 || bail "resolverd did not start"
ds_checks "not minimised, cold"
stop_resolverd

rd_conf "$T/min-cold.conf" "qname-minimisation yes"
start_resolverd "$T/min-cold.conf" "$SIGN_RD_ADDR" 53 || bail "resolverd did not start"
ds_checks "minimised, cold"
stop_resolverd

done_testing
