/* test_classify.c -- unit tests for resolver/classify.c: the verdict on one authoritative
 * reply, from hand-built ldns packets (no network, no caches).
 *
 * Each case builds the reply a server of `zone` could send to the question asked, scrubs
 * and canonicalises it as iterate.c does (response.c), and checks the verdict: its kind,
 * the records it carries and the RRsets it wants cached with their trust. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "response.h"
#include "tap.h"
#include "ldns_test.h"

/* One case: the question asked of a server of `zone`, and the reply it sent. */
struct reply {
    const char *zone, *target, *asked;
    ldns_rr_type qtype, asked_type;
    bool aa;
    ldns_pkt_rcode rcode;
    const char *const *answer, *const *authority, *const *additional;
    int cnames, max_cnames;
    bool dnssec;                    /* the query had DO: keep RRSIGs and proofs */
};

struct run {
    ldns_pkt *pkt;
    ldns_rdf *zone, *target, *asked;
    struct classify_verdict v;
};

static void classify(const struct reply *r, struct run *run)
{
    run->pkt = ldns_pkt_new();
    if (!run->pkt)
        exit(2);
    ldns_pkt_set_qr(run->pkt, true);
    ldns_pkt_set_aa(run->pkt, r->aa);
    ldns_pkt_set_rcode(run->pkt, r->rcode);
    push_all(run->pkt, LDNS_SECTION_ANSWER, r->answer);
    push_all(run->pkt, LDNS_SECTION_AUTHORITY, r->authority);
    push_all(run->pkt, LDNS_SECTION_ADDITIONAL, r->additional);
    run->zone = dname(r->zone);
    run->target = dname(r->target);
    run->asked = dname(r->asked ? r->asked : r->target);
    bool upwards = response_refers_upwards(run->pkt, run->zone);
    response_scrub(run->pkt, run->zone);
    response_canonicalize(run->pkt);
    struct classify_input in = {
        .resp = run->pkt, .zone = run->zone, .target = run->target, .qtype = r->qtype,
        .asked = run->asked, .asked_type = r->asked_type ? r->asked_type : r->qtype,
        .cnames = r->cnames, .max_cnames = r->max_cnames ? r->max_cnames : 8,
        .refers_upwards = upwards, .dnssec = r->dnssec,
    };
    classify_reply(&in, &run->v);
}

static void run_free(struct run *run)
{
    classify_verdict_free(&run->v);
    ldns_pkt_free(run->pkt);
    ldns_rdf_deep_free(run->zone);
    ldns_rdf_deep_free(run->target);
    ldns_rdf_deep_free(run->asked);
}

static bool name_is(const ldns_rdf *name, const char *text)
{
    ldns_rdf *want = dname(text);
    bool same = name && ldns_dname_compare(name, want) == 0;
    ldns_rdf_deep_free(want);
    return same;
}

static size_t count(const ldns_rr_list *l)
{
    return l ? ldns_rr_list_rr_count(l) : 0;
}

/* The i-th RRset to cache has this type and trust. */
static bool cached(const struct classify_verdict *v, size_t i, ldns_rr_type type,
                   enum rr_trust trust)
{
    return i < v->n_cache && ldns_rr_get_type(ldns_rr_list_rr(v->cache[i].rrs, 0)) == type &&
           v->cache[i].trust == trust;
}

#define A LDNS_RR_TYPE_A
#define NOERROR LDNS_RCODE_NOERROR
#define NXDOMAIN LDNS_RCODE_NXDOMAIN
#define SOA_EXAMPLE "example.test. 60 IN SOA ns1.example.test. h.example.test. 1 3600 600 86400 60"

static void test_answer(void)
{
    static const char *const ans[] = { "www.example.test. 300 IN A 192.0.2.1",
                                       "www.example.test. 300 IN A 192.0.2.2", NULL };
    struct run run;

    classify(&(struct reply){ "example.test.", "www.example.test.", NULL, A, 0, true, NOERROR,
                              ans, NULL, NULL, 0, 0, false }, &run);
    is_str(classify_kind_name(run.v.kind), "answer", "an authoritative answer: ANSWER");
    is_int(count(run.v.answer), 2, "... with the whole RRset");
    is_int(count(run.v.chain), 0, "... and no chain");
    ok(cached(&run.v, 0, A, RR_TRUST_ANSWER) && run.v.n_cache == 1,
       "... the address RRset cached as answer data");
    run_free(&run);

    classify(&(struct reply){ "example.test.", "www.example.test.", NULL, A, 0, false, NOERROR,
                              ans, NULL, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_ANSWER && cached(&run.v, 0, A, RR_TRUST_AUTHORITY),
       "without AA: still an answer, cached only with authority trust (RFC 2181 5.4.1)");
    run_free(&run);

    static const char *const mx[] = { "example.test. 300 IN MX 10 mail.example.test.", NULL };
    classify(&(struct reply){ "example.test.", "example.test.", NULL, LDNS_RR_TYPE_MX, 0, true,
                              NOERROR, mx, NULL, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_ANSWER && run.v.n_cache == 0,
       "an MX answer: answered, nothing for the RRset cache (only addresses and NS go there)");
    run_free(&run);
}

static void test_ns_answer(void)
{
    static const char *const ans[] = { "example.test. 300 IN NS ns1.example.test.", NULL };
    static const char *const add[] = { "ns1.example.test. 300 IN A 192.0.2.53", NULL };
    struct run run;

    classify(&(struct reply){ "example.test.", "example.test.", NULL, LDNS_RR_TYPE_NS, 0, true,
                              NOERROR, ans, NULL, add, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_ANSWER && count(run.v.glue) == 1, "an NS answer carries its glue");
    ok(cached(&run.v, 0, LDNS_RR_TYPE_NS, RR_TRUST_ANSWER) &&
       cached(&run.v, 1, A, RR_TRUST_GLUE), "... NS cached as answer data, addresses as glue");
    run_free(&run);
}

static void test_referral(void)
{
    static const char *const auth[] = { "example.test. 3600 IN NS ns1.example.test.",
                                        "example.test. 3600 IN NS ns2.example.test.", NULL };
    static const char *const add[] = { "ns1.example.test. 3600 IN A 192.0.2.53",
                                       "ns1.example.test. 3600 IN AAAA 2001:db8::53",
                                       "ns2.example.test. 3600 IN A 192.0.2.54", NULL };
    struct run run;

    classify(&(struct reply){ "test.", "www.example.test.", NULL, A, 0, false, NOERROR, NULL,
                              auth, add, 0, 0, false }, &run);
    is_str(classify_kind_name(run.v.kind), "referral", "NS below the zone, no answer: REFERRAL");
    is_int(count(run.v.ns), 2, "... with the child's NS set");
    is_int(count(run.v.glue), 3, "... and its glue");
    ok(cached(&run.v, 0, LDNS_RR_TYPE_NS, RR_TRUST_AUTHORITY), "... NS cached as authority data");
    is_int(run.v.n_cache, 4, "... and each glue RRset (A ns1, AAAA ns1, A ns2) on its own");
    ok(cached(&run.v, 1, A, RR_TRUST_GLUE) && cached(&run.v, 3, A, RR_TRUST_GLUE) &&
       cached(&run.v, 2, LDNS_RR_TYPE_AAAA, RR_TRUST_GLUE), "... as glue");
    run_free(&run);
}

static void test_cname(void)
{
    static const char *const inzone[] = { "www.example.test. 300 IN CNAME web.example.test.",
                                          "web.example.test. 300 IN A 192.0.2.7", NULL };
    static const char *const away[] = { "www.example.test. 300 IN CNAME www.other.test.", NULL };
    struct run run;

    classify(&(struct reply){ "example.test.", "www.example.test.", NULL, A, 0, true, NOERROR,
                              inzone, NULL, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_ANSWER && count(run.v.chain) == 1 && run.v.cnames == 1 &&
       count(run.v.answer) == 1, "a CNAME and its target's A in one reply: ANSWER, chain of one");
    ok(name_is(run.v.target, "web.example.test."), "... the chain ends at the CNAME's target");
    run_free(&run);

    classify(&(struct reply){ "example.test.", "www.example.test.", NULL, A, 0, true, NOERROR,
                              away, NULL, NULL, 0, 0, false }, &run);
    is_str(classify_kind_name(run.v.kind), "cname", "a CNAME out of the zone: CNAME");
    ok(name_is(run.v.target, "www.other.test.") && count(run.v.chain) == 1,
       "... to be resolved anew at its target");
    run_free(&run);

    classify(&(struct reply){ "example.test.", "www.example.test.", NULL, A, 0, true, NOERROR,
                              away, NULL, NULL, 4, 4, false }, &run);
    ok(run.v.kind == CLASSIFY_FAIL && strstr(run.v.why, "CNAME"),
       "a CNAME beyond max-cname-chain: FAIL");
    run_free(&run);

    classify(&(struct reply){ "example.test.", "www.example.test.", NULL, LDNS_RR_TYPE_CNAME, 0,
                              true, NOERROR, away, NULL, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_ANSWER && run.v.cnames == 0, "asked for the CNAME itself: ANSWER");
    run_free(&run);
}

/* The type of chain record i, and its owner. */
static bool link_is(const struct classify_verdict *v, size_t i, ldns_rr_type type,
                    const char *owner)
{
    return i < count(v->chain) && ldns_rr_get_type(ldns_rr_list_rr(v->chain, i)) == type &&
           name_is(ldns_rr_owner(ldns_rr_list_rr(v->chain, i)), owner);
}

static void test_dname(void)
{
    static const char *const both[] = { "alias.example.test. 300 IN DNAME third.sim.",
                                        "end.alias.example.test. 300 IN CNAME end.third.sim.",
                                        NULL };
    static const char *const only[] = { "alias.example.test. 300 IN DNAME third.sim.", NULL };
    static const char *const inzone[] = { "alias.example.test. 300 IN DNAME new.example.test.",
                                          "www.new.example.test. 300 IN A 192.0.2.8", NULL };
    struct run run;

    classify(&(struct reply){ "example.test.", "end.alias.example.test.", NULL, A, 0, true,
                              NOERROR, both, NULL, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_CNAME && name_is(run.v.target, "end.third.sim."),
       "DNAME and its synthesised CNAME: follow to the substituted name");
    ok(count(run.v.chain) == 2 && link_is(&run.v, 0, LDNS_RR_TYPE_DNAME, "alias.example.test.") &&
       link_is(&run.v, 1, LDNS_RR_TYPE_CNAME, "end.alias.example.test."),
       "... the chain carries the DNAME ahead of the CNAME (RFC 6672 3.1)");
    is_int(run.v.cnames, 1, "... and counts one step towards max-cname-chain");
    run_free(&run);

    classify(&(struct reply){ "example.test.", "end.alias.example.test.", NULL, A, 0, true,
                              NOERROR, only, NULL, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_CNAME && name_is(run.v.target, "end.third.sim.") &&
       link_is(&run.v, 1, LDNS_RR_TYPE_CNAME, "end.alias.example.test."),
       "a DNAME without a CNAME: the CNAME is synthesised here");
    ok(count(run.v.chain) == 2 && ldns_rr_ttl(ldns_rr_list_rr(run.v.chain, 1)) == 300 &&
       name_is(ldns_rr_rdf(ldns_rr_list_rr(run.v.chain, 1), 0), "end.third.sim."),
       "... with the DNAME's TTL and the substituted target");
    run_free(&run);

    classify(&(struct reply){ "example.test.", "www.alias.example.test.", NULL, A, 0, true,
                              NOERROR, inzone, NULL, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_ANSWER && count(run.v.chain) == 2 && count(run.v.answer) == 1,
       "a DNAME within the zone, target answered in the same reply: ANSWER");
    run_free(&run);

    classify(&(struct reply){ "example.test.", "alias.example.test.", NULL, LDNS_RR_TYPE_DNAME, 0,
                              true, NOERROR, only, NULL, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_ANSWER && count(run.v.chain) == 0,
       "the DNAME owner asked for its DNAME: a plain answer");
    run_free(&run);
}

static void test_negative(void)
{
    static const char *const soa[] = { SOA_EXAMPLE, NULL };
    static const char *const chain[] = { "www.example.test. 300 IN CNAME gone.example.test.",
                                         NULL };
    struct run run;

    classify(&(struct reply){ "example.test.", "nope.example.test.", NULL, A, 0, true, NXDOMAIN,
                              NULL, soa, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_NXDOMAIN && run.v.soa, "AA, NXDOMAIN with SOA: NXDOMAIN, SOA kept");
    ok(run.v.n_cache == 0, "... nothing for the RRset cache");
    run_free(&run);

    classify(&(struct reply){ "example.test.", "www.example.test.", NULL, LDNS_RR_TYPE_AAAA, 0,
                              true, NOERROR, NULL, soa, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_NODATA && run.v.soa, "AA, NOERROR, no answer: NODATA with SOA");
    run_free(&run);

    classify(&(struct reply){ "example.test.", "www.example.test.", NULL, LDNS_RR_TYPE_AAAA, 0,
                              false, NOERROR, NULL, soa, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_NODATA && run.v.soa,
       "no AA, NOERROR, no answer, the zone's SOA: NODATA too (as Unbound reads it)");
    run_free(&run);

    classify(&(struct reply){ "example.test.", "www.example.test.", NULL, A, 0, true, NXDOMAIN,
                              chain, soa, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_NXDOMAIN && count(run.v.chain) == 1 &&
       name_is(run.v.target, "gone.example.test.") && run.v.soa,
       "a CNAME to a name that does not exist: NXDOMAIN at the target, chain and SOA kept");
    run_free(&run);

    classify(&(struct reply){ "example.test.", "nope.example.test.", NULL, A, 0, false, NXDOMAIN,
                              NULL, NULL, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_LAME, "NXDOMAIN without AA and without SOA: LAME");
    run_free(&run);
}

static void test_lame(void)
{
    static const char *const up[] = { "test. 3600 IN NS ns.test.", NULL };
    static const char *const side[] = { "other.test. 3600 IN NS ns.other.test.", NULL };
    static const char *const ans[] = { "www.example.test. 300 IN A 192.0.2.1", NULL };
    struct run run;

    classify(&(struct reply){ "example.test.", "www.example.test.", NULL, A, 0, true,
                              LDNS_RCODE_SERVFAIL, ans, NULL, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_LAME && strstr(run.v.why, "rcode"), "SERVFAIL: LAME (error rcode)");
    run_free(&run);

    classify(&(struct reply){ "example.test.", "www.example.test.", NULL, A, 0, false, NOERROR,
                              NULL, up, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_LAME && strstr(run.v.why, "upwards"),
       "an upward referral (seen before the scrubbing drops it): LAME");
    run_free(&run);

    static const char *const self[] = { "example.test. 3600 IN NS ns1.example.test.", NULL };
    classify(&(struct reply){ "example.test.", "www.example.test.", NULL, A, 0, false, NOERROR,
                              NULL, self, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_LAME && strstr(run.v.why, "upwards"),
       "a referral to the zone asked itself (lame delegation): LAME, upwards or sideways");
    run_free(&run);

    classify(&(struct reply){ "test.", "www.example.test.", NULL, A, 0, false, NOERROR, NULL,
                              side, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_LAME && strstr(run.v.why, "sideways"),
       "a referral sideways (other.test. for www.example.test.): LAME");
    run_free(&run);

    classify(&(struct reply){ "test.", "www.example.test.", NULL, A, 0, true, NOERROR, NULL,
                              up, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_LAME || run.v.kind == CLASSIFY_NODATA,
       "AA with the zone's own NS in authority: not a referral");
    run_free(&run);

    classify(&(struct reply){ "example.test.", "www.example.test.", NULL, A, 0, true, NOERROR,
                              NULL, up, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_LAME && strstr(run.v.why, "upwards"),
       "AA, no answer and the parent's NS in authority (Deckard's iter_lame_aaaa): LAME, not NODATA");
    run_free(&run);
}

static void test_out_of_bailiwick(void)
{
    static const char *const ans[] = { "www.example.test. 300 IN CNAME x.evil.",
                                       "x.evil. 300 IN A 203.0.113.66", NULL };
    static const char *const auth[] = { "evil. 3600 IN NS ns.evil.", NULL };
    static const char *const add[] = { "ns.evil. 3600 IN A 203.0.113.53",
                                       "www.other.test. 3600 IN A 203.0.113.1", NULL };
    struct run run;

    classify(&(struct reply){ "example.test.", "www.example.test.", NULL, A, 0, true, NOERROR,
                              ans, auth, add, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_CNAME && name_is(run.v.target, "x.evil."),
       "an answer for a name outside the zone is not believed: the CNAME is followed anew");
    ok(run.v.n_cache == 0 && !run.v.answer && !run.v.glue,
       "... and none of the out-of-bailiwick records is answered or cached");
    run_free(&run);
}

static void test_minimised(void)
{
    static const char *const auth[] = { "example.test. 3600 IN NS ns1.example.test.", NULL };
    static const char *const add[] = { "ns1.example.test. 3600 IN A 192.0.2.53", NULL };
    static const char *const soa[] = { "test. 60 IN SOA ns.test. h.test. 1 3600 600 86400 60",
                                       NULL };
    static const char *const cname[] = { "example.test. 300 IN CNAME elsewhere.test.", NULL };
    struct run run;
    struct reply r = { "test.", "www.example.test.", "example.test.", LDNS_RR_TYPE_AAAA, A,
                       false, NOERROR, NULL, auth, add, 0, 0, false };

    classify(&r, &run);
    ok(run.v.kind == CLASSIFY_REFERRAL && count(run.v.glue) == 1,
       "minimised question, referral: REFERRAL");
    run_free(&run);

    r.aa = true;
    r.authority = soa;
    r.additional = NULL;
    r.zone = "test.";
    classify(&r, &run);
    is_str(classify_kind_name(run.v.kind), "deeper",
           "minimised, AA NOERROR without data (an empty non-terminal): one label deeper");
    run_free(&run);

    r.rcode = NXDOMAIN;
    classify(&r, &run);
    ok(run.v.kind == CLASSIFY_FULL_NAME && !run.v.with_cname,
       "minimised, NXDOMAIN: ask the full name (relaxed, RFC 9156 3)");
    run_free(&run);

    r.rcode = NOERROR;
    r.answer = cname;
    classify(&r, &run);
    ok(run.v.kind == CLASSIFY_FULL_NAME && run.v.with_cname,
       "minimised, a CNAME at the minimised name: ask the full name");
    run_free(&run);
}

/* ---- DNSSEC: what the validator needs comes along (classify.h, in->dnssec) ----------- */

#define SIG(owner, type, labels, signer) \
    owner " 300 IN RRSIG " type " 13 " labels " 300 20300101000000 20200101000000 4242 " \
    signer " c2lnbmF0dXJlIG9mIA=="
#define SEC_SOA "secure.sec. 60 IN SOA ns1.secure.sec. h.secure.sec. 1 3600 600 86400 60"
#define SEC_SOA_SIG SIG("secure.sec.", "SOA", "2", "secure.sec.")

/* The list's RRs as "TYPE[/COVERED]" words, so a test reads the order at a glance. */
static const char *types_of(const ldns_rr_list *l)
{
    static char out[512];
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < count(l) && used < sizeof out - 32; i++) {
        const ldns_rr *r = ldns_rr_list_rr(l, i);
        char *type = ldns_rr_type2str(ldns_rr_get_type(r));
        char *covered = ldns_rr_get_type(r) == LDNS_RR_TYPE_RRSIG
                        ? ldns_rr_type2str(ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(r))) : NULL;
        used += (size_t)snprintf(out + used, sizeof out - used, "%s%s%s%s", i ? " " : "", type,
                                 covered ? "/" : "", covered ? covered : "");
        free(type);
        free(covered);
    }
    return out;
}

static void test_dnssec_answer(void)
{
    static const char *const ans[] = {
        "www.secure.sec. 300 IN A 192.0.2.10",
        SIG("www.secure.sec.", "A", "3", "secure.sec."),
        SIG("www.secure.sec.", "A", "3", "secure.sec."),   /* two keys: both kept */
        SIG("www.secure.sec.", "TXT", "3", "secure.sec."),  /* not over A */
        SIG("other.secure.sec.", "A", "3", "secure.sec."),  /* not this owner */
        NULL };
    struct run run;

    classify(&(struct reply){ "secure.sec.", "www.secure.sec.", NULL, A, 0, true, NOERROR,
                              ans, NULL, NULL, 0, 0, true }, &run);
    ok(run.v.kind == CLASSIFY_ANSWER && count(run.v.answer) == 1,
       "DO: an answer with RRSIGs is still an answer, the RRset alone in `answer`");
    is_str(types_of(run.v.answer_sigs), "RRSIG/A RRSIG/A",
           "... both RRSIGs over the RRset in answer_sigs, no other");
    ok(run.v.n_cache == 1 && count(run.v.cache[0].rrs) == 1,
       "... and the RRset cache gets the A RRset without signatures");
    ok(run.v.denial && count(run.v.denial) == 0, "... no proof in a plain answer");
    run_free(&run);

    classify(&(struct reply){ "secure.sec.", "www.secure.sec.", NULL, A, 0, true, NOERROR,
                              ans, NULL, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_ANSWER && !run.v.answer_sigs && !run.v.denial,
       "without DO: no signatures kept (the result as before)");
    run_free(&run);

    static const char *const wild[] = {
        "any.wild.secure.sec. 300 IN A 192.0.2.11",
        SIG("any.wild.secure.sec.", "A", "3", "secure.sec."), NULL };
    static const char *const wild_auth[] = {
        "w.secure.sec. 60 IN NSEC x.secure.sec. A RRSIG NSEC",
        SIG("w.secure.sec.", "NSEC", "3", "secure.sec."),
        "secure.sec. 300 IN NS ns1.secure.sec.",
        SIG("secure.sec.", "NS", "2", "secure.sec."), NULL };
    classify(&(struct reply){ "secure.sec.", "any.wild.secure.sec.", NULL, A, 0, true, NOERROR,
                              wild, wild_auth, NULL, 0, 0, true }, &run);
    ok(run.v.kind == CLASSIFY_ANSWER && count(run.v.answer_sigs) == 1,
       "a wildcard answer: ANSWER with its RRSIG");
    is_str(types_of(run.v.denial), "NSEC RRSIG/NSEC",
           "... and the NSEC proving the next closer name absent, with its RRSIG; no NS");
    run_free(&run);
}

static void test_dnssec_chain(void)
{
    static const char *const chain[] = {
        "to.secure.sec. 300 IN CNAME www.secure.sec.",
        SIG("to.secure.sec.", "CNAME", "3", "secure.sec."),
        "www.secure.sec. 300 IN A 192.0.2.10",
        SIG("www.secure.sec.", "A", "3", "secure.sec."), NULL };
    static const char *const away[] = {
        "to-nsec3.secure.sec. 300 IN CNAME www.nsec3.sec.",
        SIG("to-nsec3.secure.sec.", "CNAME", "3", "secure.sec."), NULL };
    static const char *const dname_rrs[] = {
        "alias.secure.sec. 300 IN DNAME secure.sec.",
        SIG("alias.secure.sec.", "DNAME", "3", "secure.sec."),
        "www.alias.secure.sec. 300 IN CNAME www.secure.sec.",
        "www.secure.sec. 300 IN A 192.0.2.10",
        SIG("www.secure.sec.", "A", "3", "secure.sec."), NULL };
    struct run run;

    classify(&(struct reply){ "secure.sec.", "to.secure.sec.", NULL, A, 0, true, NOERROR,
                              chain, NULL, NULL, 0, 0, true }, &run);
    is_str(types_of(run.v.chain), "CNAME RRSIG/CNAME",
           "DO: a CNAME in the chain followed by its RRSIG");
    ok(run.v.cnames == 1 && count(run.v.answer) == 1 && count(run.v.answer_sigs) == 1,
       "... counted once, the final RRset and its RRSIG apart");
    run_free(&run);

    classify(&(struct reply){ "secure.sec.", "to-nsec3.secure.sec.", NULL, A, 0, true, NOERROR,
                              away, NULL, NULL, 0, 0, true }, &run);
    ok(run.v.kind == CLASSIFY_CNAME && name_is(run.v.target, "www.nsec3.sec."),
       "a signed CNAME into another zone: CNAME");
    is_str(types_of(run.v.chain), "CNAME RRSIG/CNAME", "... with its RRSIG");
    run_free(&run);

    classify(&(struct reply){ "secure.sec.", "www.alias.secure.sec.", NULL, A, 0, true, NOERROR,
                              dname_rrs, NULL, NULL, 0, 0, true }, &run);
    is_str(types_of(run.v.chain), "DNAME RRSIG/DNAME CNAME",
           "a DNAME followed by its RRSIG, then the (unsigned) synthesised CNAME");
    run_free(&run);
}

static void test_dnssec_negative(void)
{
    static const char *const nx_auth[] = {
        SEC_SOA, SEC_SOA_SIG,
        "secure.sec. 60 IN NSEC a.secure.sec. NS SOA RRSIG NSEC DNSKEY",
        SIG("secure.sec.", "NSEC", "2", "secure.sec."),
        "nop.secure.sec. 60 IN NSEC www.secure.sec. A RRSIG NSEC",
        SIG("nop.secure.sec.", "NSEC", "3", "secure.sec."),
        "secure.sec. 300 IN NS ns1.secure.sec.", NULL };
    static const char *const nsec3_auth[] = {
        "nsec3.sec. 60 IN SOA ns1.secure.sec. h.nsec3.sec. 1 3600 600 86400 60",
        SIG("nsec3.sec.", "SOA", "2", "nsec3.sec."),
        "2vptu5timamqttgl4luu9kg21e0aor3s.nsec3.sec. 60 IN NSEC3 1 0 0 - "
            "3u8bsspk4tnk5iaa3aoqedcu2r1pm6ih A RRSIG",
        SIG("2vptu5timamqttgl4luu9kg21e0aor3s.nsec3.sec.", "NSEC3", "3", "nsec3.sec."), NULL };
    struct run run;

    classify(&(struct reply){ "secure.sec.", "nope.secure.sec.", NULL, A, 0, true, NXDOMAIN,
                              NULL, nx_auth, NULL, 0, 0, true }, &run);
    ok(run.v.kind == CLASSIFY_NXDOMAIN && run.v.soa, "DO: NXDOMAIN with SOA");
    is_str(types_of(run.v.denial), "SOA RRSIG/SOA NSEC RRSIG/NSEC NSEC RRSIG/NSEC",
           "... denial: the SOA, the NSECs and their RRSIGs in the order sent, no NS");
    run_free(&run);

    classify(&(struct reply){ "secure.sec.", "nope.secure.sec.", NULL, A, 0, true, NXDOMAIN,
                              NULL, nx_auth, NULL, 0, 0, false }, &run);
    ok(run.v.kind == CLASSIFY_NXDOMAIN && run.v.soa && !run.v.denial,
       "without DO: the SOA only, as before");
    run_free(&run);

    classify(&(struct reply){ "nsec3.sec.", "www.nsec3.sec.", NULL, LDNS_RR_TYPE_AAAA, 0, true,
                              NOERROR, NULL, nsec3_auth, NULL, 0, 0, true }, &run);
    ok(run.v.kind == CLASSIFY_NODATA, "DO: NODATA in an NSEC3 zone");
    is_str(types_of(run.v.denial), "SOA RRSIG/SOA NSEC3 RRSIG/NSEC3",
           "... the SOA and the NSEC3 proof with their RRSIGs");
    run_free(&run);

    static const char *const nosoa[] = {
        "nop.secure.sec. 60 IN NSEC www.secure.sec. A RRSIG NSEC", NULL };
    classify(&(struct reply){ "secure.sec.", "nope.secure.sec.", NULL, A, 0, true, NXDOMAIN,
                              NULL, nosoa, NULL, 0, 0, true }, &run);
    ok(run.v.kind == CLASSIFY_NXDOMAIN && !run.v.denial,
       "an NXDOMAIN without SOA keeps no NSEC (the message cache would not keep it at all)");
    run_free(&run);
}

static void test_dnssec_ds(void)
{
    static const char *const ds[] = {
        "secure.sec. 300 IN DS 4242 13 2 "
            "e2d3c916f6deeac73294e8268fb5885044a833fc5459588f4a9184cfc41a5766",
        SIG("secure.sec.", "DS", "2", "sec."), NULL };
    static const char *const no_ds[] = {
        "sec. 60 IN SOA ns1.nic.sec. h.sec. 1 3600 600 86400 60",
        SIG("sec.", "SOA", "1", "sec."),
        "insecure.sec. 60 IN NSEC nsec3.sec. NS RRSIG NSEC",
        SIG("insecure.sec.", "NSEC", "2", "sec."), NULL };
    static const char *const child[] = { "secure.sec. 300 IN NS ns1.secure.sec.",
        "secure.sec. 300 IN DS 4242 13 2 "
            "e2d3c916f6deeac73294e8268fb5885044a833fc5459588f4a9184cfc41a5766", NULL };
    static const char *const glue[] = { "ns1.secure.sec. 300 IN A 127.55.10.1", NULL };
    struct run run;

    classify(&(struct reply){ "sec.", "secure.sec.", NULL, LDNS_RR_TYPE_DS, 0, true, NOERROR,
                              ds, NULL, NULL, 0, 0, true }, &run);
    ok(run.v.kind == CLASSIFY_ANSWER && count(run.v.answer) == 1, "DS from the parent: ANSWER");
    is_str(types_of(run.v.answer_sigs), "RRSIG/DS", "... with the parent's RRSIG over it");
    run_free(&run);

    classify(&(struct reply){ "sec.", "insecure.sec.", NULL, LDNS_RR_TYPE_DS, 0, true, NOERROR,
                              NULL, no_ds, NULL, 0, 0, true }, &run);
    ok(run.v.kind == CLASSIFY_NODATA, "no DS at an insecure delegation: NODATA");
    is_str(types_of(run.v.denial), "SOA RRSIG/SOA NSEC RRSIG/NSEC",
           "... with the NSEC showing NS without DS, signed");
    run_free(&run);

    classify(&(struct reply){ "sec.", "secure.sec.", NULL, LDNS_RR_TYPE_DS, 0, false, NOERROR,
                              NULL, child, glue, 0, 0, true }, &run);
    ok(run.v.kind == CLASSIFY_ANSWER && count(run.v.answer) == 1 &&
       ldns_rr_get_type(ldns_rr_list_rr(run.v.answer, 0)) == LDNS_RR_TYPE_DS,
       "a DS query answered by a referral to its own name: the referral's DS is the answer");
    run_free(&run);

    static const char *const child_nsec[] = { "insecure.sec. 300 IN NS ns1.insecure.sec.",
        "insecure.sec. 60 IN NSEC nsec3.sec. NS RRSIG NSEC",
        SIG("insecure.sec.", "NSEC", "2", "sec."), NULL };
    static const char *const bare[] = { "insecure.sec. 300 IN NS ns1.insecure.sec.", NULL };
    static const char *const bare_glue[] = { "ns1.insecure.sec. 300 IN A 127.55.10.2", NULL };
    classify(&(struct reply){ "sec.", "insecure.sec.", NULL, LDNS_RR_TYPE_DS, 0, false, NOERROR,
                              NULL, child_nsec, bare_glue, 0, 0, true }, &run);
    ok(run.v.kind == CLASSIFY_NODATA, "... its NSEC proof of no DS makes a NODATA");
    is_str(types_of(run.v.denial), "NSEC RRSIG/NSEC", "... with that proof");
    run_free(&run);
    classify(&(struct reply){ "sec.", "insecure.sec.", NULL, LDNS_RR_TYPE_DS, 0, false, NOERROR,
                              NULL, bare, bare_glue, 0, 0, true }, &run);
    ok(run.v.kind == CLASSIFY_LAME && strstr(run.v.why, "DS"),
       "... with neither: LAME (not the parent side)");
    run_free(&run);

    classify(&(struct reply){ "sec.", "www.secure.sec.", NULL, LDNS_RR_TYPE_DS, 0, false,
                              NOERROR, NULL, child, glue, 0, 0, true }, &run);
    ok(run.v.kind == CLASSIFY_REFERRAL,
       "a DS query for a name below the child: the referral to the child is followed");
    ok(!run.v.denial, "... and keeps nothing of the referral's DS");
    run_free(&run);
}

int main(void)
{
    test_answer();
    test_ns_answer();
    test_referral();
    test_cname();
    test_dname();
    test_negative();
    test_lame();
    test_out_of_bailiwick();
    test_minimised();
    test_dnssec_answer();
    test_dnssec_chain();
    test_dnssec_negative();
    test_dnssec_ds();
    return done_testing();
}
