/* test_msgform.c -- unit tests for resolver/msgform.c: the form of an answer for clients
 * without DO (today's bytes: no RRSIG/NSEC/NSEC3, a positive answer cut after its answer
 * section) and the form for DO clients (RRSIGs, denial proofs, wildcard proofs). */
#include <stdlib.h>
#include <string.h>

#include "msgform.h"
#include "tap.h"
#include "ldns_test.h"

static const char *const SIG_A =
    "www.example.test. 300 IN RRSIG A 13 3 300 20300101000000 20200101000000 1234 "
    "example.test. AAAA";
static const char *const SIG_NS =
    "example.test. 300 IN RRSIG NS 13 2 300 20300101000000 20200101000000 1234 "
    "example.test. AAAA";
static const char *const SIG_SOA =
    "example.test. 300 IN RRSIG SOA 13 2 300 20300101000000 20200101000000 1234 "
    "example.test. AAAA";
static const char *const SIG_NSEC =
    "a.example.test. 300 IN RRSIG NSEC 13 3 300 20300101000000 20200101000000 1234 "
    "example.test. AAAA";
static const char *const SOA =
    "example.test. 300 IN SOA ns.example.test. h.example.test. 1 2 3 4 300";
static const char *const NSEC = "a.example.test. 300 IN NSEC c.example.test. A RRSIG NSEC";
static const char *const NS = "example.test. 300 IN NS ns.example.test.";
static const char *const GLUE = "ns.example.test. 300 IN A 192.0.2.53";

struct wire {
    uint8_t *data;
    size_t len;
};

/* A response (AA set, as authorities send it; AD as given) built and rendered by ldns. */
static struct wire build(const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rcode, bool ad,
                         const char *const *an, const char *const *ns, const char *const *ar)
{
    ldns_pkt *pkt = ldns_pkt_query_new(dname(qname), qtype, LDNS_RR_CLASS_IN, 0);
    struct wire w = { NULL, 0 };

    ldns_pkt_set_qr(pkt, true);
    ldns_pkt_set_aa(pkt, true);
    ldns_pkt_set_ad(pkt, ad);
    ldns_pkt_set_id(pkt, 0x1234);
    ldns_pkt_set_rcode(pkt, rcode);
    push_all(pkt, LDNS_SECTION_ANSWER, an);
    push_all(pkt, LDNS_SECTION_AUTHORITY, ns);
    push_all(pkt, LDNS_SECTION_ADDITIONAL, ar);
    if (ldns_pkt2wire(&w.data, pkt, &w.len) != LDNS_STATUS_OK) {
        diag("cannot render");
        exit(2);
    }
    ldns_pkt_free(pkt);
    return w;
}

/* Today's store transform: AA cleared, a positive answer cut after its answers. */
static size_t todays_form(struct wire *w)
{
    w->data[2] &= (uint8_t)~0x04;
    return w->len = wire_answer_only(w->data, w->len);
}

static bool same_bytes(const uint8_t *a, size_t alen, const struct wire *b)
{
    return alen == b->len && memcmp(a, b->data, alen) == 0;
}

/* How many RRs of type t in section sec (0 an, 1 ns, 2 ar) of a message. */
static size_t count_type(const uint8_t *msg, size_t len, int sec, ldns_rr_type t)
{
    ldns_pkt *pkt = NULL;
    size_t n = 0;

    if (ldns_wire2pkt(&pkt, msg, len) != LDNS_STATUS_OK)
        return (size_t)-1;
    ldns_rr_list *l = sec == 0 ? ldns_pkt_answer(pkt) : sec == 1 ? ldns_pkt_authority(pkt)
                                                                 : ldns_pkt_additional(pkt);
    for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
        n += ldns_rr_get_type(ldns_rr_list_rr(l, i)) == t || t == LDNS_RR_TYPE_ANY;
    ldns_pkt_free(pkt);
    return n;
}

static struct msgform f, f2;

static void test_unsigned_positive(void)
{
    const char *an[] = { "www.example.test. 300 IN A 192.0.2.1", NULL };
    const char *ns[] = { NS, NULL }, *ar[] = { GLUE, NULL };
    struct wire m = build("www.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, an, ns, ar);
    struct wire today = build("www.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, an, ns, ar);

    todays_form(&today);
    is_int(msgform_split(m.data, m.len, LDNS_RR_TYPE_A, &f), 0, "unsigned positive: split");
    ok(same_bytes(f.plain, f.plain_len, &today), "unsigned positive: plain is today's bytes");
    ok(f.same && same_bytes(f.dnssec, f.dnssec_len, &today),
       "unsigned positive: the DO form is the same (one entry will do)");
    ok(!(f.plain[2] & 0x04), "unsigned positive: AA cleared");
    free(m.data);
    free(today.data);
}

static void test_unsigned_negative(void)
{
    const char *ns[] = { SOA, NULL };
    struct wire m = build("gone.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, false, NULL, ns, NULL);
    struct wire today = build("gone.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, false, NULL, ns, NULL);

    todays_form(&today);
    is_int(msgform_split(m.data, m.len, LDNS_RR_TYPE_A, &f), 0, "unsigned NXDOMAIN: split");
    ok(same_bytes(f.plain, f.plain_len, &today) && f.same, "unsigned NXDOMAIN: today's bytes, one form");
    free(m.data);
    free(today.data);
}

static void test_signed_positive(void)
{
    const char *an[] = { "www.example.test. 300 IN A 192.0.2.1", SIG_A, NULL };
    const char *an_unsigned[] = { "www.example.test. 300 IN A 192.0.2.1", NULL };
    const char *ns[] = { NS, SIG_NS, NULL }, *ar[] = { GLUE, NULL };
    struct wire m = build("www.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true, an, ns, ar);
    /* what `dnssec no` gets: the authority asked without DO sends no RRSIG */
    struct wire nodo = build("www.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true,
                             an_unsigned, (const char *[]){ NS, NULL }, ar);

    todays_form(&nodo);
    is_int(msgform_split(m.data, m.len, LDNS_RR_TYPE_A, &f), 0, "signed positive: split");
    ok(same_bytes(f.plain, f.plain_len, &nodo), "signed positive: plain is the unsigned answer's bytes");
    is_int(count_type(f.plain, f.plain_len, 0, LDNS_RR_TYPE_RRSIG), 0, "signed positive: no RRSIG in plain");
    ok(!f.same, "signed positive: two forms");
    is_int(count_type(f.dnssec, f.dnssec_len, 0, LDNS_RR_TYPE_RRSIG), 1, "signed positive: DO form has the RRSIG");
    is_int(count_type(f.dnssec, f.dnssec_len, 0, LDNS_RR_TYPE_A), 1, "signed positive: ... and the A");
    is_int(count_type(f.dnssec, f.dnssec_len, 1, LDNS_RR_TYPE_ANY) +
           count_type(f.dnssec, f.dnssec_len, 2, LDNS_RR_TYPE_ANY), 0,
           "signed positive: DO form has no authority (no proof) nor additional");
    ok((f.plain[3] & 0x20) && (f.dnssec[3] & 0x20), "signed positive: AD kept in both forms");
    ok(!(f.plain[2] & 0x04) && !(f.dnssec[2] & 0x04), "signed positive: AA cleared in both");

    /* the DO form split again gives the same two forms (Redis keeps the DO form) */
    is_int(msgform_split(f.dnssec, f.dnssec_len, LDNS_RR_TYPE_A, &f2), 0, "DO form split again");
    ok(f2.plain_len == f.plain_len && memcmp(f2.plain, f.plain, f.plain_len) == 0 &&
       f2.dnssec_len == f.dnssec_len && memcmp(f2.dnssec, f.dnssec, f.dnssec_len) == 0,
       "DO form split again: the same forms");
    free(m.data);
    free(nodo.data);
}

static void test_signed_negative(void)
{
    const char *ns[] = { SOA, SIG_SOA, NSEC, SIG_NSEC, NULL };
    struct wire m = build("b.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, true, NULL, ns, NULL);
    struct wire nodo = build("b.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, true, NULL,
                             (const char *[]){ SOA, NULL }, NULL);
    struct wire whole = build("b.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, true, NULL, ns, NULL);

    todays_form(&nodo);
    todays_form(&whole);
    is_int(msgform_split(m.data, m.len, LDNS_RR_TYPE_A, &f), 0, "signed NXDOMAIN: split");
    ok(same_bytes(f.plain, f.plain_len, &nodo), "signed NXDOMAIN: plain is SOA only, the unsigned bytes");
    ok(same_bytes(f.dnssec, f.dnssec_len, &whole), "signed NXDOMAIN: DO form is the whole answer");
    is_int(count_type(f.dnssec, f.dnssec_len, 1, LDNS_RR_TYPE_NSEC), 1, "signed NXDOMAIN: DO form has the NSEC");
    free(m.data);
    free(nodo.data);
    free(whole.data);

    /* NODATA at the end of a CNAME chain: the answer's RRSIGs go from plain too */
    const char *an[] = { "c.example.test. 300 IN CNAME a.example.test.",
        "c.example.test. 300 IN RRSIG CNAME 13 3 300 20300101000000 20200101000000 1234 example.test. AAAA",
        NULL };
    m = build("c.example.test.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, false, an, ns, NULL);
    is_int(msgform_split(m.data, m.len, LDNS_RR_TYPE_AAAA, &f), 0, "signed chain NODATA: split");
    is_int(count_type(f.plain, f.plain_len, 0, LDNS_RR_TYPE_ANY), 1, "signed chain NODATA: plain answer is the CNAME");
    is_int(count_type(f.plain, f.plain_len, 1, LDNS_RR_TYPE_ANY), 1, "signed chain NODATA: plain authority is the SOA");
    is_int(count_type(f.dnssec, f.dnssec_len, 1, LDNS_RR_TYPE_ANY), 4, "signed chain NODATA: DO authority whole");
    free(m.data);
}

static void test_wildcard(void)
{
    const char *an[] = { "b.example.test. 300 IN A 192.0.2.7",
        "b.example.test. 300 IN RRSIG A 13 2 300 20300101000000 20200101000000 1234 example.test. AAAA",
        NULL };
    const char *ns[] = { NS, SIG_NS, NSEC, SIG_NSEC, NULL }, *ar[] = { GLUE, NULL };
    struct wire m = build("b.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, true, an, ns, ar);

    is_int(msgform_split(m.data, m.len, LDNS_RR_TYPE_A, &f), 0, "wildcard: split");
    is_int(count_type(f.plain, f.plain_len, 0, LDNS_RR_TYPE_ANY), 1, "wildcard: plain answer is the A");
    is_int(count_type(f.plain, f.plain_len, 1, LDNS_RR_TYPE_ANY), 0, "wildcard: plain has no authority");
    is_int(count_type(f.dnssec, f.dnssec_len, 0, LDNS_RR_TYPE_ANY), 2, "wildcard: DO answer A + RRSIG");
    is_int(count_type(f.dnssec, f.dnssec_len, 1, LDNS_RR_TYPE_ANY), 2, "wildcard: DO authority: the proof only");
    is_int(count_type(f.dnssec, f.dnssec_len, 1, LDNS_RR_TYPE_NSEC), 1, "wildcard: ... its NSEC");
    is_int(count_type(f.dnssec, f.dnssec_len, 1, LDNS_RR_TYPE_NS), 0, "wildcard: ... not the NS set");
    is_int(count_type(f.dnssec, f.dnssec_len, 2, LDNS_RR_TYPE_ANY), 0, "wildcard: DO form has no additional");
    is_int(msgform_split(f.dnssec, f.dnssec_len, LDNS_RR_TYPE_A, &f2), 0, "wildcard DO form split again");
    ok(f2.dnssec_len == f.dnssec_len && memcmp(f2.dnssec, f.dnssec, f.dnssec_len) == 0 &&
       f2.plain_len == f.plain_len && memcmp(f2.plain, f.plain, f.plain_len) == 0,
       "wildcard DO form split again: the same forms");
    free(m.data);
}

static void test_asked_types(void)
{
    const char *an[] = { SIG_A, NULL };
    struct wire m = build("www.example.test.", LDNS_RR_TYPE_RRSIG, LDNS_RCODE_NOERROR, false, an, NULL, NULL);

    is_int(msgform_split(m.data, m.len, LDNS_RR_TYPE_RRSIG, &f), 0, "qtype RRSIG: split");
    is_int(count_type(f.plain, f.plain_len, 0, LDNS_RR_TYPE_RRSIG), 1, "qtype RRSIG: plain keeps the asked RRSIG");
    ok(f.same, "qtype RRSIG: one form");
    free(m.data);

    const char *an2[] = { NSEC, SIG_NSEC, NULL };
    m = build("a.example.test.", LDNS_RR_TYPE_NSEC, LDNS_RCODE_NOERROR, false, an2, NULL, NULL);
    is_int(msgform_split(m.data, m.len, LDNS_RR_TYPE_NSEC, &f), 0, "qtype NSEC: split");
    is_int(count_type(f.plain, f.plain_len, 0, LDNS_RR_TYPE_NSEC), 1, "qtype NSEC: plain keeps the NSEC");
    is_int(count_type(f.plain, f.plain_len, 0, LDNS_RR_TYPE_RRSIG), 0, "qtype NSEC: ... not its RRSIG");
    is_int(count_type(f.dnssec, f.dnssec_len, 0, LDNS_RR_TYPE_RRSIG), 1, "qtype NSEC: the DO form has it");
    free(m.data);

    ok(msgform_dnssec_only(LDNS_RR_TYPE_NSEC3, 1, LDNS_RR_TYPE_NSEC3), "NSEC3 in authority: DO only, whatever asked");
    ok(!msgform_dnssec_only(LDNS_RR_TYPE_DNSKEY, 0, LDNS_RR_TYPE_DNSKEY), "DNSKEY: data for everyone");
}

static void test_malformed(void)
{
    const char *an[] = { "www.example.test. 300 IN A 192.0.2.1", SIG_A, NULL };
    struct wire m = build("www.example.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, false, an, NULL, NULL);

    is_int(msgform_split(m.data, m.len - 3, LDNS_RR_TYPE_A, &f), -1, "cut message: no form");
    ok(f.plain_len == 0 && f.dnssec_len == 0, "cut message: both lengths 0");
    is_int(msgform_split(m.data, 5, LDNS_RR_TYPE_A, &f), -1, "shorter than a header: no form");
    free(m.data);
}

int main(void)
{
    test_unsigned_positive();
    test_unsigned_negative();
    test_signed_positive();
    test_signed_negative();
    test_wildcard();
    test_asked_types();
    test_malformed();
    return done_testing();
}
