/* test_response.c -- unit tests for resolver/response.c: bailiwick checks, scrubbing,
 * canonicalisation, referral classification, the RRset/SOA/glue extractors, the DNSSEC
 * record pickers (RRSIGs, denial proofs) and the result message (response_build).
 *
 * Every packet is built in memory with ldns from RRs in presentation format; no network. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "response.h"
#include "tap.h"
#include "ldns_test.h"

/* ---- helpers ------------------------------------------------------------------------- */

/* A response to "qname IN A" with the given sections (NULL-terminated lists, or NULL). */
static ldns_pkt *response(bool aa, const char *const *answer, const char *const *authority,
                          const char *const *additional)
{
    ldns_pkt *pkt = ldns_pkt_new();
    if (!pkt)
        exit(2);
    ldns_pkt_set_qr(pkt, true);
    ldns_pkt_set_aa(pkt, aa);
    push_all(pkt, LDNS_SECTION_ANSWER, answer);
    push_all(pkt, LDNS_SECTION_AUTHORITY, authority);
    push_all(pkt, LDNS_SECTION_ADDITIONAL, additional);
    return pkt;
}

static bool at_or_below(const char *name, const char *zone)
{
    ldns_rdf *n = dname(name), *z = dname(zone);
    bool result = dname_at_or_below(n, z);
    ldns_rdf_deep_free(n);
    ldns_rdf_deep_free(z);
    return result;
}

/* One RR as "owner TYPE rdata..." (no TTL/class), in a static buffer. */
static const char *rr_text(const ldns_rr *r)
{
    static char text[512];
    char *owner = ldns_rdf2str(ldns_rr_owner(r));
    char *type = ldns_rr_type2str(ldns_rr_get_type(r));
    size_t used = (size_t)snprintf(text, sizeof text, "%s %s", owner, type);
    for (size_t i = 0; i < ldns_rr_rd_count(r) && used < sizeof text; i++) {
        char *rd = ldns_rdf2str(ldns_rr_rdf(r, i));
        used += (size_t)snprintf(text + used, sizeof text - used, " %s", rd ? rd : "?");
        free(rd);
    }
    free(owner);
    free(type);
    return text;
}

/* A section (or list) rendered as "rr | rr | ...", in a static buffer. */
static const char *list_text(const ldns_rr_list *list)
{
    static char text[4096];
    size_t used = 0;
    text[0] = '\0';
    for (size_t i = 0; i < ldns_rr_list_rr_count(list) && used < sizeof text; i++)
        used += (size_t)snprintf(text + used, sizeof text - used, "%s%s", i ? " | " : "",
                                 rr_text(ldns_rr_list_rr(list, i)));
    return text;
}

/* How many RRs of `list` have this owner (case-insensitive) and type. */
static size_t count_rrs(const ldns_rr_list *list, const char *owner, ldns_rr_type type)
{
    ldns_rdf *o = dname(owner);
    size_t n = 0;
    for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
        const ldns_rr *r = ldns_rr_list_rr(list, i);
        if (ldns_rr_get_type(r) == type && ldns_dname_compare(ldns_rr_owner(r), o) == 0)
            n++;
    }
    ldns_rdf_deep_free(o);
    return n;
}

/* ---- dname_at_or_below ---------------------------------------------------------------- */

static void test_dname_at_or_below(void)
{
    ok(at_or_below("WWW.Example.TEST.", "www.example.test."), "at_or_below: equal names, different case");
    ok(at_or_below("example.test.", "example.test."), "at_or_below: equal names");
    ok(at_or_below("www.example.test.", "example.test."), "at_or_below: a child is below");
    ok(at_or_below("a.b.WWW.example.test.", "EXAMPLE.test."), "at_or_below: a grandchild, mixed case, is below");
    ok(!at_or_below("test.", "example.test."), "at_or_below: the parent is above, not below");
    ok(!at_or_below("other.test.", "example.test."), "at_or_below: a sibling is not below");
    ok(!at_or_below("www.other.test.", "example.test."), "at_or_below: a sibling's child is not below");
    ok(!at_or_below("www.xexample.test.", "example.test."), "at_or_below: a suffix that is no label boundary does not count");
    ok(at_or_below("www.example.test.", "."), "at_or_below: everything is below the root");
    ok(at_or_below(".", "."), "at_or_below: the root is at the root");
    ok(!at_or_below(".", "test."), "at_or_below: the root is not below test.");
}

/* ---- response_scrub --------------------------------------------------------------------- */

static const char *const scrub_answer[] = {
    "www.example.test. 300 IN A 192.0.2.1",
    "www.other.test. 300 IN A 192.0.2.66",
    "WWW.EXAMPLE.TEST. 300 IN AAAA 2001:db8::1",
    "www.notexample.test. 300 IN A 192.0.2.67",
    NULL,
};
static const char *const scrub_authority[] = {
    "example.test. 300 IN NS ns1.example.test.",
    "test. 300 IN NS ns.evil.test.",
    NULL,
};
static const char *const scrub_additional[] = {
    "ns1.example.test. 300 IN A 192.0.2.53",
    "www.victim.test. 300 IN A 192.0.2.66",
    "example.test. 300 IN MX 10 mail.example.test.",
    "ns1.example.test. 300 IN AAAA 2001:db8::53",
    "ns1.example.test. 300 IN TXT \"in zone but not an address\"",
    NULL,
};

static void check_counts(const ldns_pkt *pkt, const char *what)
{
    char name[160];
    snprintf(name, sizeof name, "%s: ANCOUNT matches the answer list", what);
    is_int(ldns_pkt_ancount(pkt), ldns_rr_list_rr_count(ldns_pkt_answer(pkt)), name);
    snprintf(name, sizeof name, "%s: NSCOUNT matches the authority list", what);
    is_int(ldns_pkt_nscount(pkt), ldns_rr_list_rr_count(ldns_pkt_authority(pkt)), name);
    snprintf(name, sizeof name, "%s: ARCOUNT matches the additional list", what);
    is_int(ldns_pkt_arcount(pkt), ldns_rr_list_rr_count(ldns_pkt_additional(pkt)), name);
}

static void test_scrub_zone(void)
{
    ldns_pkt *pkt = response(true, scrub_answer, scrub_authority, scrub_additional);
    ldns_rdf *zone = dname("example.test.");

    is_int(ldns_pkt_ancount(pkt) + ldns_pkt_nscount(pkt) + ldns_pkt_arcount(pkt), 11,
           "scrub: the test packet starts with 11 RRs");
    is_int(response_scrub(pkt, zone), 6, "scrub example.test.: returns the 6 RRs it removed");
    is_str(list_text(ldns_pkt_answer(pkt)),
           "www.example.test. A 192.0.2.1 | WWW.EXAMPLE.TEST. AAAA 2001:db8::1",
           "scrub example.test.: answer keeps in-zone records, order preserved");
    is_int(count_rrs(ldns_pkt_answer(pkt), "www.other.test.", LDNS_RR_TYPE_A), 0,
           "scrub example.test.: www.other.test A removed from the answer");
    is_int(count_rrs(ldns_pkt_answer(pkt), "www.notexample.test.", LDNS_RR_TYPE_A), 0,
           "scrub example.test.: www.notexample.test A removed from the answer");
    is_str(list_text(ldns_pkt_authority(pkt)), "example.test. NS ns1.example.test.",
           "scrub example.test.: 'test. NS' removed from the authority, the zone's NS kept");
    is_str(list_text(ldns_pkt_additional(pkt)),
           "ns1.example.test. A 192.0.2.53 | ns1.example.test. AAAA 2001:db8::53",
           "scrub example.test.: additional keeps only in-zone A/AAAA");
    is_int(count_rrs(ldns_pkt_additional(pkt), "www.victim.test.", LDNS_RR_TYPE_A), 0,
           "scrub example.test.: www.victim.test A removed from the additional section");
    is_int(count_rrs(ldns_pkt_additional(pkt), "example.test.", LDNS_RR_TYPE_MX), 0,
           "scrub example.test.: MX removed from the additional section");
    check_counts(pkt, "scrub example.test.");
    is_int(ldns_pkt_ancount(pkt), 2, "scrub example.test.: ANCOUNT is 2");
    is_int(ldns_pkt_nscount(pkt), 1, "scrub example.test.: NSCOUNT is 1");
    is_int(ldns_pkt_arcount(pkt), 2, "scrub example.test.: ARCOUNT is 2");
    is_int(response_scrub(pkt, zone), 0, "scrub example.test.: a second scrub removes nothing");

    ldns_rdf_deep_free(zone);
    ldns_pkt_free(pkt);
}

static void test_scrub_root(void)
{
    ldns_pkt *pkt = response(false, scrub_answer, scrub_authority, scrub_additional);
    ldns_rdf *zone = dname(".");

    is_int(response_scrub(pkt, zone), 2, "scrub .: only the MX and TXT in additional are removed");
    is_int(ldns_rr_list_rr_count(ldns_pkt_answer(pkt)), 4, "scrub .: the answer keeps all 4");
    is_int(ldns_rr_list_rr_count(ldns_pkt_authority(pkt)), 2, "scrub .: the authority keeps both");
    is_str(list_text(ldns_pkt_additional(pkt)),
           "ns1.example.test. A 192.0.2.53 | www.victim.test. A 192.0.2.66 | "
           "ns1.example.test. AAAA 2001:db8::53",
           "scrub .: additional keeps every address record");
    check_counts(pkt, "scrub .");

    ldns_rdf_deep_free(zone);
    ldns_pkt_free(pkt);
}

static void test_scrub_empty(void)
{
    ldns_pkt *pkt = response(false, NULL, NULL, NULL);
    ldns_rdf *zone = dname("example.test.");
    is_int(response_scrub(pkt, zone), 0, "scrub: an empty packet loses nothing");
    check_counts(pkt, "scrub empty");
    ldns_rdf_deep_free(zone);
    ldns_pkt_free(pkt);
}

/* ---- response_canonicalize -------------------------------------------------------------- */

static void test_canonicalize(void)
{
    static const char *const answer[] = {
        "WWW.Example.TEST. 300 IN CNAME Target.EXAMPLE.test.",
        "Target.EXAMPLE.test. 300 IN MX 10 MAIL.Example.TEST.",
        NULL,
    };
    static const char *const authority[] = {
        "Example.TEST. 300 IN NS NS1.Example.TEST.",
        "Example.TEST. 300 IN SOA NS1.EXAMPLE.TEST. HostMaster.Example.TEST. 1 7200 3600 1209600 300",
        NULL,
    };
    static const char *const additional[] = {
        "NS1.Example.TEST. 300 IN A 192.0.2.1",
        NULL,
    };
    ldns_pkt *pkt = response(true, answer, authority, additional);

    response_canonicalize(pkt);
    is_str(list_text(ldns_pkt_answer(pkt)),
           "www.example.test. CNAME target.example.test. | target.example.test. MX 10 mail.example.test.",
           "canonicalize: answer owners and CNAME/MX targets lower-cased");
    is_str(rr_text(ldns_rr_list_rr(ldns_pkt_authority(pkt), 0)), "example.test. NS ns1.example.test.",
           "canonicalize: NS owner and target lower-cased");
    is_str(rr_text(ldns_rr_list_rr(ldns_pkt_authority(pkt), 1)),
           "example.test. SOA ns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 300",
           "canonicalize: SOA owner, MNAME and RNAME lower-cased");
    is_str(list_text(ldns_pkt_additional(pkt)), "ns1.example.test. A 192.0.2.1",
           "canonicalize: additional owners lower-cased");
    ldns_pkt_free(pkt);
}

/* ---- response_referral ------------------------------------------------------------------ */

/* Classifies; *ns_count gets the size of the cloned NS set (or -1 when none was returned). */
static enum response_referral classify(const ldns_pkt *pkt, const char *zone_text,
                                       const char *name_text, char *ns_text, size_t ns_len)
{
    ldns_rdf *zone = dname(zone_text), *name = dname(name_text);
    ldns_rr_list sentinel;
    ldns_rr_list *ns = &sentinel;     /* must be overwritten: NULL or a fresh list */
    enum response_referral r = response_referral(pkt, zone, name, &ns);

    if (ns == &sentinel)
        snprintf(ns_text, ns_len, "(untouched)");
    else if (!ns)
        snprintf(ns_text, ns_len, "(null)");
    else
        snprintf(ns_text, ns_len, "%s", list_text(ns));
    if (ns != &sentinel)
        ldns_rr_list_deep_free(ns);
    ldns_rdf_deep_free(zone);
    ldns_rdf_deep_free(name);
    return r;
}

struct referral_case {
    const char *what;
    bool aa;
    const char *const *answer;
    const char *const *authority;
    const char *zone, *name;
    enum response_referral want;
    const char *want_ns;              /* the cloned NS set as list_text, or "(null)" */
};

static const char *const glue[] = {
    "ns1.example.test. 300 IN A 192.0.2.53",
    NULL,
};
static const char *const auth_child[] = {
    "example.test. 300 IN NS ns1.example.test.",
    "example.test. 300 IN NS ns2.example.test.",
    NULL,
};
static const char *const auth_child_mixed[] = {
    "EXAMPLE.test. 300 IN NS ns1.example.test.",
    "example.TEST. 300 IN NS ns2.example.test.",
    NULL,
};
static const char *const auth_child_and_other[] = {
    "example.test. 300 IN NS ns1.example.test.",
    "other.test. 300 IN NS ns.other.test.",
    "example.test. 300 IN NS ns2.example.test.",
    NULL,
};
static const char *const auth_deep[] = {
    "b.example.test. 300 IN NS ns.b.example.test.",
    NULL,
};
static const char *const auth_up[] = {
    ". 300 IN NS a.root.sim.",
    NULL,
};
static const char *const auth_side[] = {
    "other.test. 300 IN NS ns.other.test.",
    NULL,
};
static const char *const auth_self[] = {
    "test. 300 IN NS ns.test.",
    NULL,
};
static const char *const auth_self_upper[] = {
    "TEST. 300 IN NS ns.test.",
    NULL,
};
static const char *const auth_soa[] = {
    "test. 300 IN SOA ns.test. hostmaster.test. 1 7200 3600 1209600 300",
    NULL,
};
static const char *const auth_self_soa[] = {
    "test. 300 IN SOA ns.test. hostmaster.test. 1 7200 3600 1209600 300",
    "test. 300 IN NS ns.test.",
    NULL,
};
static const char *const answer_cname[] = {
    "www.example.test. 300 IN CNAME www.other.test.",
    NULL,
};

#define CHILD_NS "example.test. NS ns1.example.test. | example.test. NS ns2.example.test."

static const struct referral_case referral_cases[] = {
    { "a proper referral to example.test.", false, NULL, auth_child,
      "test.", "www.example.test.", REFERRAL_DOWN, CHILD_NS },
    { "a referral with mixed-case owners", false, NULL, auth_child_mixed,
      "test.", "www.example.test.", REFERRAL_DOWN,
      "EXAMPLE.test. NS ns1.example.test. | example.TEST. NS ns2.example.test." },
    { "a referral: only the child's NS set is cloned", false, NULL, auth_child_and_other,
      "test.", "www.example.test.", REFERRAL_DOWN, CHILD_NS },
    { "a referral exactly to the name", false, NULL, auth_child,
      "test.", "example.test.", REFERRAL_DOWN, CHILD_NS },
    { "a referral skipping a level", false, NULL, auth_deep,
      "test.", "www.a.b.example.test.", REFERRAL_DOWN, "b.example.test. NS ns.b.example.test." },
    { "a referral from the root", false, NULL, auth_child,
      ".", "www.example.test.", REFERRAL_DOWN, CHILD_NS },
    { "an upward referral (. NS from a test. server)", false, NULL, auth_up,
      "test.", "www.example.test.", REFERRAL_BAD, "(null)" },
    { "a sideways referral (other.test. NS)", false, NULL, auth_side,
      "test.", "www.example.test.", REFERRAL_BAD, "(null)" },
    { "a referral below the zone but not above the name", false, NULL, auth_child,
      "test.", "www.other.test.", REFERRAL_BAD, "(null)" },
    { "a referral to the zone itself (test. NS)", false, NULL, auth_self,
      "test.", "www.example.test.", REFERRAL_BAD, "(null)" },
    { "a referral to the zone itself, owner in upper case", false, NULL, auth_self_upper,
      "test.", "www.example.test.", REFERRAL_BAD, "(null)" },
    { "a referral to the zone itself, zone in upper case", false, NULL, auth_self,
      "TEST.", "www.example.test.", REFERRAL_BAD, "(null)" },
    { "AA set on a downward referral (accepted, as Unbound does)", true, NULL, auth_child,
      "test.", "www.example.test.", REFERRAL_DOWN,
      "example.test. NS ns1.example.test. | example.test. NS ns2.example.test." },
    { "AA set, NS for the zone itself next to a SOA (a negative answer)", true, NULL,
      auth_self_soa, "test.", "www.example.test.", REFERRAL_NONE, "(null)" },
    { "AA set, NS for the zone itself, no SOA (not a referral, not lame either)", true, NULL,
      auth_self, "test.", "www.example.test.", REFERRAL_NONE, "(null)" },
    { "an answer present with NS in authority", false, answer_cname, auth_child,
      "test.", "www.example.test.", REFERRAL_NONE, "(null)" },
    { "no NS in authority (negative answer with SOA)", false, NULL, auth_soa,
      "test.", "www.example.test.", REFERRAL_NONE, "(null)" },
    { "an empty response", false, NULL, NULL,
      "test.", "www.example.test.", REFERRAL_NONE, "(null)" },
};

static const char *referral_name(enum response_referral r)
{
    return r == REFERRAL_NONE ? "NONE" : r == REFERRAL_DOWN ? "DOWN" : r == REFERRAL_BAD ? "BAD" : "?";
}

static void test_referral(void)
{
    for (size_t i = 0; i < sizeof referral_cases / sizeof referral_cases[0]; i++) {
        const struct referral_case *c = &referral_cases[i];
        ldns_pkt *pkt = response(c->aa, c->answer, c->authority, glue);
        char ns[1024], name[256];
        enum response_referral got = classify(pkt, c->zone, c->name, ns, sizeof ns);

        snprintf(name, sizeof name, "referral: %s (zone %s, name %s) -> %s", c->what, c->zone,
                 c->name, referral_name(c->want));
        is_str(referral_name(got), referral_name(c->want), name);
        snprintf(name, sizeof name, "referral: %s: NS set %s", c->what,
                 c->want == REFERRAL_DOWN ? "cloned" : "is NULL");
        is_str(ns, c->want_ns, name);
        ldns_pkt_free(pkt);
    }
}

/* The cloned NS set must outlive the packet (ASan catches a shallow copy). */
static void test_referral_clone(void)
{
    ldns_pkt *pkt = response(false, NULL, auth_child, glue);
    ldns_rdf *zone = dname("test."), *name = dname("www.example.test.");
    ldns_rr_list *ns = NULL;

    is_int(response_referral(pkt, zone, name, &ns), REFERRAL_DOWN, "referral clone: DOWN");
    ok(ns && ldns_rr_list_rr(ns, 0) != ldns_rr_list_rr(ldns_pkt_authority(pkt), 0),
       "referral clone: the NS RRs are copies, not the packet's");
    ldns_pkt_free(pkt);
    is_str(list_text(ns), CHILD_NS, "referral clone: the NS set is intact after the packet is freed");
    ldns_rr_list_deep_free(ns);
    ldns_rdf_deep_free(zone);
    ldns_rdf_deep_free(name);
}

/* ---- response_rrset --------------------------------------------------------------------- */

static void test_rrset(void)
{
    static const char *const answer[] = {
        "www.example.test. 300 IN A 192.0.2.1",
        "mail.example.test. 300 IN A 192.0.2.3",
        "WWW.EXAMPLE.TEST. 300 IN A 192.0.2.2",
        "www.example.test. 300 IN AAAA 2001:db8::1",
        "www.example.test. 300 IN CNAME alias.example.test.",
        NULL,
    };
    static const char *const authority[] = {
        "www.example.test. 300 IN A 192.0.2.9",
        NULL,
    };
    ldns_pkt *pkt = response(true, answer, authority, NULL);
    ldns_rdf *www = dname("Www.Example.Test."), *none = dname("nope.example.test.");
    ldns_rr_list *l;

    l = response_rrset(pkt, LDNS_SECTION_ANSWER, www, LDNS_RR_TYPE_A);
    is_str(list_text(l), "www.example.test. A 192.0.2.1 | WWW.EXAMPLE.TEST. A 192.0.2.2",
           "rrset: A by owner, case-insensitive, other owners and types left out");
    ok(l && ldns_rr_list_rr(l, 0) != ldns_rr_list_rr(ldns_pkt_answer(pkt), 0),
       "rrset: the RRs are clones");
    ldns_rr_list_deep_free(l);

    l = response_rrset(pkt, LDNS_SECTION_ANSWER, www, LDNS_RR_TYPE_AAAA);
    is_str(list_text(l), "www.example.test. AAAA 2001:db8::1", "rrset: AAAA");
    ldns_rr_list_deep_free(l);

    l = response_rrset(pkt, LDNS_SECTION_ANSWER, www, LDNS_RR_TYPE_CNAME);
    is_str(list_text(l), "www.example.test. CNAME alias.example.test.", "rrset: CNAME asked for");
    ldns_rr_list_deep_free(l);

    l = response_rrset(pkt, LDNS_SECTION_ANSWER, www, LDNS_RR_TYPE_ANY);
    is_int(ldns_rr_list_rr_count(l), 3, "rrset: ANY returns the 3 non-CNAME records");
    is_int(count_rrs(l, "www.example.test.", LDNS_RR_TYPE_CNAME), 0, "rrset: ANY leaves out the CNAME");
    is_int(count_rrs(l, "mail.example.test.", LDNS_RR_TYPE_A), 0, "rrset: ANY keeps to the owner");
    ldns_rr_list_deep_free(l);

    l = response_rrset(pkt, LDNS_SECTION_AUTHORITY, www, LDNS_RR_TYPE_A);
    is_str(list_text(l), "www.example.test. A 192.0.2.9", "rrset: reads only the section asked for");
    ldns_rr_list_deep_free(l);

    ok(response_rrset(pkt, LDNS_SECTION_ANSWER, www, LDNS_RR_TYPE_MX) == NULL,
       "rrset: no record of that type -> NULL");
    ok(response_rrset(pkt, LDNS_SECTION_ANSWER, none, LDNS_RR_TYPE_A) == NULL,
       "rrset: no record with that owner -> NULL");
    ok(response_rrset(pkt, LDNS_SECTION_ADDITIONAL, www, LDNS_RR_TYPE_A) == NULL,
       "rrset: empty section -> NULL");

    ldns_rdf_deep_free(www);
    ldns_rdf_deep_free(none);
    ldns_pkt_free(pkt);
}

/* ---- response_soa ----------------------------------------------------------------------- */

static const char *soa_owner(const char *const *answer, const char *const *authority,
                             const char *name_text)
{
    static char text[256];
    ldns_pkt *pkt = response(true, answer, authority, NULL);
    ldns_rdf *name = dname(name_text);
    ldns_rr *soa = response_soa(pkt, name);

    ldns_pkt_free(pkt);             /* the SOA must be a clone that outlives the packet */
    if (soa) {
        char *owner = ldns_rdf2str(ldns_rr_owner(soa));
        snprintf(text, sizeof text, "%s %s", owner,
                 ldns_rr_get_type(soa) == LDNS_RR_TYPE_SOA ? "SOA" : "not-SOA");
        free(owner);
    } else {
        snprintf(text, sizeof text, "(null)");
    }
    ldns_rr_free(soa);
    ldns_rdf_deep_free(name);
    return text;
}

static void test_soa(void)
{
    static const char *const zone_soa[] = {
        "example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 300",
        NULL,
    };
    static const char *const other_soa[] = {
        "other.test. 300 IN SOA ns.other.test. hostmaster.other.test. 1 7200 3600 1209600 300",
        NULL,
    };
    static const char *const child_soa[] = {
        "sub.www.example.test. 300 IN SOA ns.test. h.test. 1 7200 3600 1209600 300",
        NULL,
    };
    static const char *const mixed[] = {
        "example.test. 300 IN NS ns1.example.test.",
        "other.test. 300 IN SOA ns.other.test. hostmaster.other.test. 1 7200 3600 1209600 300",
        "TEST. 300 IN SOA ns.test. hostmaster.test. 1 7200 3600 1209600 300",
        NULL,
    };

    is_str(soa_owner(NULL, zone_soa, "www.example.test."), "example.test. SOA",
           "soa: the zone's SOA for a name below it");
    is_str(soa_owner(NULL, zone_soa, "EXAMPLE.TEST."), "example.test. SOA",
           "soa: the zone's SOA for the apex itself, case-insensitive");
    is_str(soa_owner(NULL, other_soa, "www.example.test."), "(null)",
           "soa: a SOA of an unrelated zone is not taken");
    is_str(soa_owner(NULL, child_soa, "www.example.test."), "(null)",
           "soa: a SOA below the name is not taken");
    is_str(soa_owner(NULL, mixed, "www.example.test."), "TEST. SOA",
           "soa: skips NS and unrelated SOAs, finds the one above the name");
    is_str(soa_owner(zone_soa, NULL, "www.example.test."), "(null)",
           "soa: only the authority section is read");
}

/* ---- response_glue ---------------------------------------------------------------------- */

/* Number of maximal runs of equal (owner, type) in list, and of distinct (owner, type) keys:
 * the two are equal exactly when every RRset is contiguous. */
static void glue_runs(const ldns_rr_list *list, size_t *runs, size_t *keys)
{
    size_t n = ldns_rr_list_rr_count(list);
    *runs = *keys = 0;
    for (size_t i = 0; i < n; i++) {
        const ldns_rr *a = ldns_rr_list_rr(list, i);
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++) {
            const ldns_rr *b = ldns_rr_list_rr(list, k);
            seen = ldns_rr_get_type(a) == ldns_rr_get_type(b) &&
                   ldns_dname_compare(ldns_rr_owner(a), ldns_rr_owner(b)) == 0;
        }
        *keys += !seen;
        const ldns_rr *prev = i ? ldns_rr_list_rr(list, i - 1) : NULL;
        *runs += !prev || ldns_rr_get_type(a) != ldns_rr_get_type(prev) ||
                 ldns_dname_compare(ldns_rr_owner(a), ldns_rr_owner(prev)) != 0;
    }
}

static ldns_rr_list *ns_list(const char *const *texts)
{
    ldns_rr_list *l = ldns_rr_list_new();
    if (!l)
        exit(2);
    for (size_t i = 0; texts[i]; i++)
        ldns_rr_list_push_rr(l, rr(texts[i]));
    return l;
}

static void test_glue(void)
{
    static const char *const ns_texts[] = {
        "example.test. 300 IN NS ns1.example.test.",
        "example.test. 300 IN NS NS2.example.test.",
        "example.test. 300 IN NS ns.elsewhere.test.",
        NULL,
    };
    static const char *const additional[] = {
        "ns2.example.test. 300 IN A 192.0.2.2",
        "ns1.example.test. 300 IN AAAA 2001:db8::1",
        "ns1.example.test. 300 IN A 192.0.2.1",
        "other.example.test. 300 IN A 192.0.2.99",
        "ns2.example.test. 300 IN AAAA 2001:db8::2",
        "ns1.example.test. 300 IN TXT \"not glue\"",
        "NS1.EXAMPLE.TEST. 300 IN A 192.0.2.11",
        "ns1.example.test. 300 IN MX 10 mx.example.test.",
        "ns2.example.test. 300 IN A 192.0.2.22",
        NULL,
    };
    static const char *const authority[] = {
        "ns.elsewhere.test. 300 IN A 198.51.100.1",
        NULL,
    };
    ldns_pkt *pkt = response(false, NULL, authority, additional);
    ldns_rr_list *ns = ns_list(ns_texts);
    ldns_rr_list *g = response_glue(pkt, LDNS_SECTION_ADDITIONAL, ns);
    size_t runs, keys;

    ldns_pkt_free(pkt);             /* the glue must be clones that outlive the packet */
    ok(g != NULL, "glue: a list");
    is_int(ldns_rr_list_rr_count(g), 6, "glue: the 6 A/AAAA records of the NS targets");
    is_int(count_rrs(g, "ns1.example.test.", LDNS_RR_TYPE_A), 2, "glue: ns1 A (both cases)");
    is_int(count_rrs(g, "ns1.example.test.", LDNS_RR_TYPE_AAAA), 1, "glue: ns1 AAAA");
    is_int(count_rrs(g, "ns2.example.test.", LDNS_RR_TYPE_A), 2, "glue: ns2 A (target in upper case)");
    is_int(count_rrs(g, "ns2.example.test.", LDNS_RR_TYPE_AAAA), 1, "glue: ns2 AAAA");
    is_int(count_rrs(g, "other.example.test.", LDNS_RR_TYPE_A), 0, "glue: a non-target's address left out");
    is_int(count_rrs(g, "ns1.example.test.", LDNS_RR_TYPE_TXT) +
           count_rrs(g, "ns1.example.test.", LDNS_RR_TYPE_MX), 0, "glue: non-address records left out");
    is_int(count_rrs(g, "ns.elsewhere.test.", LDNS_RR_TYPE_A), 0, "glue: other sections are not read");
    glue_runs(g, &runs, &keys);
    is_int(keys, 4, "glue: 4 (owner, type) RRsets");
    is_int(runs, keys, "glue: sorted so each (owner, type) RRset is one contiguous run");
    ldns_rr_list_deep_free(g);

    pkt = response(false, NULL, authority, additional);
    g = response_glue(pkt, LDNS_SECTION_AUTHORITY, ns);
    is_str(list_text(g), "ns.elsewhere.test. A 198.51.100.1", "glue: from the section asked for");
    ldns_rr_list_deep_free(g);
    ldns_pkt_free(pkt);

    pkt = response(false, NULL, auth_child, NULL);
    g = response_glue(pkt, LDNS_SECTION_ADDITIONAL, ns);
    ok(g != NULL, "glue: no additional section -> a list, not NULL");
    is_int(ldns_rr_list_rr_count(g), 0, "glue: no additional section -> empty");
    ldns_rr_list_deep_free(g);
    ldns_pkt_free(pkt);

    ldns_rr_list *empty = ldns_rr_list_new();
    pkt = response(false, NULL, NULL, additional);
    g = response_glue(pkt, LDNS_SECTION_ADDITIONAL, empty);
    ok(g != NULL, "glue: no NS targets -> a list, not NULL");
    is_int(ldns_rr_list_rr_count(g), 0, "glue: no NS targets -> empty");
    ldns_rr_list_deep_free(g);
    ldns_rr_list_free(empty);
    ldns_pkt_free(pkt);

    ldns_rr_list_deep_free(ns);
}

/* ---- DNSSEC records: RRSIGs, denial proofs, the result message ------------------------ */

#define SIG(owner, type, labels) \
    owner " 300 IN RRSIG " type " 13 " labels " 300 20300101000000 20200101000000 4242 " \
    "secure.sec. c2lnbmF0dXJlIG9mIA=="
#define SEC_SOA "secure.sec. 60 IN SOA ns1.secure.sec. h.secure.sec. 1 3600 600 86400 60"

static const char *const signed_answer[] = {
    "www.secure.sec. 300 IN A 192.0.2.10", SIG("www.secure.sec.", "A", "3"),
    SIG("www.secure.sec.", "AAAA", "3"), SIG("web.secure.sec.", "A", "3"), NULL };
static const char *const signed_authority[] = {
    SEC_SOA, SIG("secure.sec.", "SOA", "2"),
    "other.sec. 60 IN SOA ns1.sec. h.sec. 1 3600 600 86400 60",
    "secure.sec. 300 IN NS ns1.secure.sec.", SIG("secure.sec.", "NS", "2"),
    "nop.secure.sec. 60 IN NSEC www.secure.sec. A RRSIG NSEC", SIG("nop.secure.sec.", "NSEC", "3"),
    "2vptu5timamqttgl4luu9kg21e0aor3s.secure.sec. 60 IN NSEC3 1 0 0 - "
        "3u8bsspk4tnk5iaa3aoqedcu2r1pm6ih A RRSIG",
    SIG("2vptu5timamqttgl4luu9kg21e0aor3s.secure.sec.", "NSEC3", "3"),
    "secure.sec. 300 IN DS 4242 13 2 "
        "e2d3c916f6deeac73294e8268fb5885044a833fc5459588f4a9184cfc41a5766",
    SIG("secure.sec.", "DS", "2"), NULL };

/* The types of a list as "TYPE[/COVERED] ..." in a static buffer. */
static const char *types_text(const ldns_rr_list *list)
{
    static char text[1024];
    size_t used = 0;
    text[0] = '\0';
    for (size_t i = 0; i < ldns_rr_list_rr_count(list) && used < sizeof text - 32; i++) {
        const ldns_rr *r = ldns_rr_list_rr(list, i);
        char *type = ldns_rr_type2str(ldns_rr_get_type(r));
        char *covered = ldns_rr_get_type(r) == LDNS_RR_TYPE_RRSIG
                        ? ldns_rr_type2str(ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(r))) : NULL;
        used += (size_t)snprintf(text + used, sizeof text - used, "%s%s%s%s", i ? " " : "",
                                 type, covered ? "/" : "", covered ? covered : "");
        free(type);
        free(covered);
    }
    return text;
}

static void test_scrub_dnssec(void)
{
    ldns_pkt *pkt = response(true, signed_answer, signed_authority, NULL);
    ldns_rdf *zone = dname("secure.sec.");

    is_int((int)response_scrub(pkt, zone), 1, "scrubbing a signed reply drops only the SOA "
           "of another zone");
    is_int((int)ldns_pkt_nscount(pkt), 10, "... the NSEC, NSEC3, DS and every RRSIG stay");
    ldns_rdf_deep_free(zone);
    ldns_pkt_free(pkt);
}

static void test_push_sigs(void)
{
    ldns_pkt *pkt = response(true, signed_answer, signed_authority, NULL);
    ldns_rdf *www = dname("www.secure.sec."), *apex = dname("secure.sec.");
    ldns_rr_list *l = ldns_rr_list_new();

    ok(response_push_sigs(l, pkt, LDNS_SECTION_ANSWER, www, LDNS_RR_TYPE_A) &&
       ldns_rr_list_rr_count(l) == 1, "the RRSIGs over www A: one (not AAAA, not web)");
    ok(response_push_sigs(l, pkt, LDNS_SECTION_AUTHORITY, apex, LDNS_RR_TYPE_NS), "and the "
       "NS set's from the authority section");
    is_str(types_text(l), "RRSIG/A RRSIG/NS", "... appended in order");
    ldns_rr_list_deep_free(l);
    l = ldns_rr_list_new();
    ok(response_push_sigs(l, pkt, LDNS_SECTION_ANSWER, www, LDNS_RR_TYPE_TXT) &&
       ldns_rr_list_rr_count(l) == 0, "none over a type not signed: nothing added");
    ldns_rr_list_deep_free(l);
    ldns_rdf_deep_free(www);
    ldns_rdf_deep_free(apex);
    ldns_pkt_free(pkt);
}

static void test_push_denial(void)
{
    ldns_pkt *pkt = response(true, NULL, signed_authority, NULL);
    ldns_rdf *name = dname("nope.secure.sec.");
    ldns_rr *soa = response_soa(pkt, name);
    ldns_rr_list *l = ldns_rr_list_new();

    ok(response_push_denial(l, pkt, soa), "the denial records with the SOA");
    is_str(types_text(l), "SOA RRSIG/SOA NSEC RRSIG/NSEC NSEC3 RRSIG/NSEC3",
           "... the SOA, NSEC, NSEC3 and their RRSIGs in the order sent; no NS, DS, other SOA");
    ldns_rr_list_deep_free(l);
    l = ldns_rr_list_new();
    ok(response_push_denial(l, pkt, NULL), "without an SOA (a wildcard answer's proof)");
    is_str(types_text(l), "NSEC RRSIG/NSEC NSEC3 RRSIG/NSEC3", "... only the NSEC/NSEC3 records");
    ldns_rr_list_deep_free(l);
    ldns_rr_free(soa);
    ldns_rdf_deep_free(name);
    ldns_pkt_free(pkt);
}

/* The message as response_build made it before it took an authority list: the answer
 * and, when soa is not NULL, that SOA alone. */
static uint8_t *old_build(const ldns_rdf *qname, ldns_pkt_rcode rcode, const char *const *answer,
                          const char *soa, size_t *len)
{
    ldns_pkt *pkt = ldns_pkt_new();
    ldns_rr *q = ldns_rr_new();
    uint8_t *wire = NULL;

    ldns_rr_set_owner(q, ldns_rdf_clone(qname));
    ldns_rr_set_type(q, LDNS_RR_TYPE_A);
    ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
    ldns_rr_set_question(q, true);
    ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q);
    ldns_pkt_set_qr(pkt, true);
    ldns_pkt_set_ra(pkt, true);
    ldns_pkt_set_rcode(pkt, rcode);
    push_all(pkt, LDNS_SECTION_ANSWER, answer);
    if (soa)
        ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, rr(soa));
    if (ldns_pkt2wire(&wire, pkt, len) != LDNS_STATUS_OK)
        exit(2);
    ldns_pkt_free(pkt);
    return wire;
}

static ldns_rr_list *rr_list(const char *const *texts)
{
    ldns_rr_list *l = ldns_rr_list_new();
    for (size_t i = 0; texts && texts[i]; i++)
        ldns_rr_list_push_rr(l, rr(texts[i]));
    return l;
}

static void test_build(void)
{
    static const char *const answer[] = { "www.secure.sec. 300 IN A 192.0.2.10", NULL };
    static const char *const soa_only[] = { SEC_SOA, NULL };
    ldns_rdf *www = dname("www.secure.sec."), *nope = dname("nope.secure.sec.");
    ldns_rr_list *ans = rr_list(answer), *soa = rr_list(soa_only);
    size_t len, old_len;
    uint8_t *wire, *old;

    wire = response_build(www, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, LDNS_RCODE_NOERROR, ans, NULL,
                          &len);
    old = old_build(www, LDNS_RCODE_NOERROR, answer, NULL, &old_len);
    ok(wire && len == old_len && memcmp(wire, old, len) == 0,
       "a positive answer: byte for byte the message it always was");
    free(wire);
    free(old);

    wire = response_build(nope, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, LDNS_RCODE_NXDOMAIN, NULL, soa,
                          &len);
    old = old_build(nope, LDNS_RCODE_NXDOMAIN, NULL, SEC_SOA, &old_len);
    ok(wire && len == old_len && memcmp(wire, old, len) == 0,
       "a negative answer with its SOA as the authority list: byte for byte as before");
    free(wire);
    free(old);

    ldns_pkt *pkt = response(true, NULL, signed_authority, NULL);
    ldns_rr *s = response_soa(pkt, nope);
    ldns_rr_list *denial = ldns_rr_list_new();
    ldns_pkt *back = NULL;
    response_push_denial(denial, pkt, s);
    wire = response_build(nope, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, LDNS_RCODE_NXDOMAIN, NULL,
                          denial, &len);
    ok(wire && ldns_wire2pkt(&back, wire, len) == LDNS_STATUS_OK,
       "a negative answer with its proof builds and parses");
    is_str(back ? types_text(ldns_pkt_authority(back)) : "",
           "SOA RRSIG/SOA NSEC RRSIG/NSEC NSEC3 RRSIG/NSEC3",
           "... the authority section as the list gave it");
    ok(back && !ldns_pkt_edns(back) && ldns_pkt_qr(back) && ldns_pkt_ra(back) &&
       ldns_pkt_get_rcode(back) == LDNS_RCODE_NXDOMAIN, "... QR, RA, NXDOMAIN, no OPT");
    ldns_pkt_free(back);
    free(wire);
    ldns_rr_list_deep_free(denial);
    ldns_rr_free(s);
    ldns_pkt_free(pkt);
    ldns_rr_list_deep_free(ans);
    ldns_rr_list_deep_free(soa);
    ldns_rdf_deep_free(www);
    ldns_rdf_deep_free(nope);
}

int main(void)
{
    test_dname_at_or_below();
    test_scrub_zone();
    test_scrub_root();
    test_scrub_empty();
    test_canonicalize();
    test_referral();
    test_referral_clone();
    test_rrset();
    test_soa();
    test_glue();
    test_scrub_dnssec();
    test_push_sigs();
    test_push_denial();
    test_build();
    return done_testing();
}
