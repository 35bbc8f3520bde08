/* test_valmsg.c -- unit tests for resolver/valmsg.c: splitting a response into the RRsets
 * the validator checks, the denial and wildcard proofs once they are checked, and what a
 * DS reply says on the way down. The proofs only read verdicts and signer names, so the
 * RRSIGs here are text, not made by a key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ede.h"
#include "response.h"
#include "valmsg.h"
#include "tap.h"
#include "ldns_test.h"

#define SIG(owner, covered, owner_labels, signer) \
    owner " RRSIG " covered " 13 " owner_labels " 300 20300101000000 20200101000000 1234 " \
    signer " AAAA"

static ldns_rr_list *list_of(const char *const *texts)
{
    ldns_rr_list *l = ldns_rr_list_new();
    for (size_t i = 0; texts && texts[i]; i++)
        ldns_rr_list_push_rr(l, rr(texts[i]));
    return l;
}

/* A response to qname/qtype with rcode and the given answer and authority records, built
 * as the iterator builds its results (response_build). */
static int parse(const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rcode,
                 const char *const *answer, const char *const *authority, struct val_msg *m)
{
    ldns_rdf *name = dname(qname);
    ldns_rr_list *an = list_of(answer), *au = list_of(authority);
    size_t len = 0;
    uint8_t *wire = response_build(name, qtype, LDNS_RR_CLASS_IN, rcode, an, au, &len);

    if (!wire)
        exit(2);
    int rc = valmsg_parse(wire, len, m);
    free(wire);
    ldns_rr_list_deep_free(an);
    ldns_rr_list_deep_free(au);
    ldns_rdf_deep_free(name);
    return rc;
}

/* Marks every RRset secure, as the validator would after verifying them. */
static void all_secure(struct val_msg *m)
{
    for (size_t i = 0; i < m->n_sets; i++)
        m->sets[i].v.status = SEC_SECURE;
}

static enum sec_status prove(struct val_msg *m, int *ede)
{
    struct nsec3_budget b = { NSEC3_MAX_HASHES };
    const char *why;
    return valmsg_prove(m, &b, ede, &why);
}

static bool name_is(const ldns_rdf *name, const char *text)
{
    ldns_rdf *want = dname(text);
    bool same = name && ldns_dname_compare(name, want) == 0;
    ldns_rdf_deep_free(want);
    return same;
}

static void test_split(void)
{
    static const char *const answer[] = {
        "www.example. CNAME host.other.", SIG("www.example.", "CNAME", "2", "example."),
        "host.other. A 192.0.2.1", "host.other. A 192.0.2.2", SIG("host.other.", "A", "2", "other."), NULL };
    static const char *const authority[] = {
        "other. NS ns.other.", "x.example. NSEC z.example. A RRSIG NSEC", NULL };
    struct val_msg m;

    ok(parse("www.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, answer, authority, &m) == 0,
       "split: a CNAME chain parses");
    is_int((int)m.n_sets, 3, "split: CNAME, A and the authority NSEC (not the NS)");
    is_int((int)ldns_rr_list_rr_count(m.sets[1].rrs), 2, "split: the A RRset has both records");
    is_int((int)ldns_rr_list_rr_count(m.sets[1].sigs), 1, "split: ... and its RRSIG");
    ok(name_is(m.sets[0].signer, "example.") && name_is(m.sets[1].signer, "other."),
       "split: each RRset's signer from its RRSIG");
    ok(m.sets[2].signer == NULL, "split: an unsigned RRset has no signer");
    ok(name_is(m.last_name, "host.other.") && !m.negative, "split: the chain ends at the data");
    ok(valmsg_find(&m, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC) == &m.sets[2],
       "split: valmsg_find by section and type");
    valmsg_free(&m);
    ok(parse("www.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, NULL, NULL, &m) == 0 &&
       m.negative && m.n_sets == 0, "split: an empty NOERROR is a denial with nothing to check");
    valmsg_free(&m);
}

static void test_dname(void)
{
    static const char *const answer[] = {
        "example. DNAME example.net.", SIG("example.", "DNAME", "1", "example."),
        "www.example. CNAME www.example.net.",
        "other.example. CNAME elsewhere.net.",
        "www.example.net. A 192.0.2.1", SIG("www.example.net.", "A", "3", "example.net."), NULL };
    struct val_msg m;

    ldns_rdf *w = dname("www.example."), *o = dname("other.example.");
    parse("www.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, answer, NULL, &m);
    struct val_rrset *www = valmsg_find(&m, LDNS_SECTION_ANSWER, w, LDNS_RR_TYPE_CNAME);
    struct val_rrset *other = valmsg_find(&m, LDNS_SECTION_ANSWER, o, LDNS_RR_TYPE_CNAME);
    ldns_rdf_deep_free(w);
    ldns_rdf_deep_free(o);
    ok(www && www->derived, "dname: the CNAME it synthesises needs no signature of its own");
    ok(other && !other->derived, "dname: a CNAME to anything else does");
    valmsg_free(&m);
}

static void test_denials(void)
{
    static const char *const nx_proof[] = {
        "example. SOA ns.example. h.example. 1 2 3 4 300", SIG("example.", "SOA", "1", "example."),
        "a.example. NSEC c.example. A RRSIG NSEC", SIG("a.example.", "NSEC", "2", "example."),
        "example. NSEC a.example. SOA NS RRSIG NSEC DNSKEY", SIG("example.", "NSEC", "1", "example."), NULL };
    static const char *const soa_only[] = {
        "example. SOA ns.example. h.example. 1 2 3 4 300", SIG("example.", "SOA", "1", "example."), NULL };
    static const char *const nodata_proof[] = {
        "example. SOA ns.example. h.example. 1 2 3 4 300", SIG("example.", "SOA", "1", "example."),
        "www.example. NSEC z.example. A RRSIG NSEC", SIG("www.example.", "NSEC", "2", "example."), NULL };
    static const char *const many_iterations[] = {
        "example. SOA ns.example. h.example. 1 2 3 4 300", SIG("example.", "SOA", "1", "example."),
        "7u3l9pm3ad5bpi0tmsqtf6f5pq6vo4sg.example. NSEC3 1 0 200 - 8a5ga7ccaeo4u8q4mhtf5ebms1ktq3tj A RRSIG",
        SIG("7u3l9pm3ad5bpi0tmsqtf6f5pq6vo4sg.example.", "NSEC3", "2", "example."), NULL };
    struct val_msg m;
    int ede;

    parse("b.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, nx_proof, &m);
    all_secure(&m);
    is_int(prove(&m, &ede), SEC_SECURE, "nxdomain: covered name and no wildcard: secure");
    valmsg_free(&m);
    parse("b.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, soa_only, &m);
    all_secure(&m);
    is_int(prove(&m, &ede), SEC_BOGUS, "nxdomain: a signed SOA alone proves nothing");
    is_int(ede, EDE_NSEC_MISSING, "nxdomain: ... EDE 12 (NSEC Missing)");
    valmsg_free(&m);
    parse("www.example.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, NULL, nodata_proof, &m);
    all_secure(&m);
    is_int(prove(&m, &ede), SEC_SECURE, "nodata: the name's NSEC without the type: secure");
    valmsg_free(&m);
    parse("www.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, NULL, nodata_proof, &m);
    all_secure(&m);
    is_int(prove(&m, &ede), SEC_BOGUS, "nodata: the NSEC lists the type asked: bogus");
    valmsg_free(&m);
    parse("nope.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, many_iterations, &m);
    all_secure(&m);
    is_int(prove(&m, &ede), SEC_INSECURE, "nsec3: 200 iterations: insecure (RFC 9276)");
    is_int(ede, EDE_UNSUPPORTED_NSEC3_ITERATIONS, "nsec3: ... EDE 27");
    valmsg_free(&m);
}

static void test_wildcard(void)
{
    static const char *const answer[] = {
        "any.wild.example. A 192.0.2.1", SIG("any.wild.example.", "A", "2", "example."), NULL };
    static const char *const proof[] = {
        "*.wild.example. NSEC z.wild.example. A RRSIG NSEC", SIG("*.wild.example.", "NSEC", "3", "example."), NULL };
    struct val_msg m;
    int ede;

    parse("any.wild.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, answer, proof, &m);
    all_secure(&m);
    m.sets[0].v.wildcard = true;
    m.sets[0].v.sig_labels = 2;
    is_int(prove(&m, &ede), SEC_SECURE, "wildcard: the next closer name is proven absent");
    valmsg_free(&m);
    parse("any.wild.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, answer, NULL, &m);
    all_secure(&m);
    m.sets[0].v.wildcard = true;
    m.sets[0].v.sig_labels = 2;
    is_int(prove(&m, &ede), SEC_BOGUS, "wildcard: an expansion without its NSEC: bogus");
    valmsg_free(&m);
    parse("any.wild.example.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, answer, NULL, &m);
    all_secure(&m);
    is_int(prove(&m, &ede), SEC_SECURE, "wildcard: no expansion, nothing more to prove");
    valmsg_free(&m);
}

static enum ds_outcome ds(const char *name, ldns_pkt_rcode rcode, const char *const *answer,
                          const char *const *authority)
{
    struct val_msg m;
    struct nsec3_budget b = { NSEC3_MAX_HASHES };
    const char *why;
    ldns_rdf *n = dname(name);

    parse(name, LDNS_RR_TYPE_DS, rcode, answer, authority, &m);
    enum ds_outcome out = valmsg_ds_outcome(&m, n, &b, &why);
    ldns_rdf_deep_free(n);
    valmsg_free(&m);
    return out;
}

static void test_ds(void)
{
    static const char *const found[] = {
        "sub.example. DS 1234 13 2 0000000000000000000000000000000000000000000000000000000000000000",
        SIG("sub.example.", "DS", "2", "example."), NULL };
    static const char *const soa[] = {
        "example. SOA ns.example. h.example. 1 2 3 4 300", SIG("example.", "SOA", "1", "example."), NULL };
    static const char *const cut[] = {
        "example. SOA ns.example. h.example. 1 2 3 4 300", SIG("example.", "SOA", "1", "example."),
        "sub.example. NSEC z.example. NS RRSIG NSEC", SIG("sub.example.", "NSEC", "2", "example."), NULL };
    static const char *const no_cut[] = {
        "example. SOA ns.example. h.example. 1 2 3 4 300", SIG("example.", "SOA", "1", "example."),
        "sub.example. NSEC z.example. A RRSIG NSEC", SIG("sub.example.", "NSEC", "2", "example."), NULL };
    static const char *const apex[] = {
        "sub.example. SOA ns.example. h.example. 1 2 3 4 300", SIG("sub.example.", "SOA", "2", "sub.example."),
        "sub.example. NSEC a.sub.example. SOA NS RRSIG NSEC DNSKEY", SIG("sub.example.", "NSEC", "2", "sub.example."), NULL };
    static const char *const gone[] = {
        "example. SOA ns.example. h.example. 1 2 3 4 300", SIG("example.", "SOA", "1", "example."),
        "a.example. NSEC z.example. A RRSIG NSEC", SIG("a.example.", "NSEC", "2", "example."),
        "example. NSEC a.example. SOA NS RRSIG NSEC DNSKEY", SIG("example.", "NSEC", "1", "example."), NULL };

    is_int(ds("sub.example.", LDNS_RCODE_NOERROR, found, NULL), DS_FOUND, "ds: the DS RRset");
    is_int(ds("sub.example.", LDNS_RCODE_NOERROR, NULL, cut), DS_INSECURE,
           "ds: the parent's NSEC shows NS without DS: an insecure delegation");
    is_int(ds("sub.example.", LDNS_RCODE_NOERROR, NULL, no_cut), DS_NO_CUT,
           "ds: the name exists without NS: no zone cut, the walk goes on below");
    is_int(ds("sub.example.", LDNS_RCODE_NOERROR, NULL, apex), DS_BOGUS,
           "ds: the child's apex NSEC proves nothing about its DS");
    is_int(ds("sub.example.", LDNS_RCODE_NOERROR, NULL, soa), DS_BOGUS,
           "ds: a NODATA without NSEC proves nothing");
    is_int(ds("m.example.", LDNS_RCODE_NXDOMAIN, NULL, gone), DS_NO_CUT,
           "ds: a proven NXDOMAIN: no cut");
    is_int(ds("m.example.", LDNS_RCODE_SERVFAIL, NULL, NULL), DS_BOGUS, "ds: a failure: bogus");
}

static void test_usable(void)
{
    ldns_rr_list *l = ldns_rr_list_new();
    ldns_rr_list_push_rr(l, rr("x. DS 1 3 2 0000000000000000000000000000000000000000000000000000000000000000"));
    ldns_rr_list_push_rr(l, rr("x. DS 1 13 99 0000"));
    ok(!valmsg_ds_usable(l), "usable: DSA and an unknown digest: nothing to check with");
    ldns_rr_list_push_rr(l, rr("x. DS 1 13 2 0000000000000000000000000000000000000000000000000000000000000000"));
    ok(valmsg_ds_usable(l), "usable: one ECDSA P-256 / SHA-256 DS is enough");
    ldns_rr_list_deep_free(l);
}

int main(void)
{
    test_split();
    test_dname();
    test_denials();
    test_wildcard();
    test_ds();
    test_usable();
    done_testing();
}
