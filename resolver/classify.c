/* classify.c -- the verdict on one authoritative reply (classify.h), a pure function.
 *
 * Two questions are told apart: a minimised one (RFC 9156: a name between the zone and
 * the target, type A) only decides how to go on -- a referral, one label deeper, or the
 * full name (relaxed mode, section 3, for servers that answer NXDOMAIN for empty
 * non-terminals or misbehave) -- and a full one, classified in this order: an error rcode
 * is lame; the answer section followed from the target through CNAMEs either ends at the
 * RRset asked for (ANSWER) or at a name whose data is elsewhere; an authoritative NXDOMAIN
 * for that name; a chain that moved on (CNAME); a referral downwards, or sideways/upwards
 * (lame); a NOERROR without data, with AA or the zone's SOA (NODATA); anything else is lame.
 *
 * DNAME (RFC 6672): a DNAME above the name being followed rewrites it; the chain gets the
 * DNAME ahead of the CNAME it implies (the server's synthesised one, or one made here
 * when the server sent none or a wrong one), so clients see the redirection (3.1). Each
 * DNAME step counts as a CNAME towards max-cname-chain, so DNAME loops end there.
 *
 * DNSSEC (in->dnssec: the query carried DO): the records a validator needs come along as
 * the server sent them -- each link of the chain and the final RRset followed by the RRSIGs
 * over it, and the authority section's NSEC/NSEC3 records with their RRSIGs (and for a
 * negative answer the SOA's) in `denial`. A referral's DS and NSEC are left behind: the
 * validator asks for the DS itself. A DS query answered by a referral to the DS's own name
 * came to a server of the child, not of the parent where a DS lives (RFC 4035 3.1.4.1):
 * lame, as Unbound reads it.
 *
 * Trust: an answer with AA is answer data; without AA it is only as good as authority data
 * (RFC 2181 5.4.1); referral NS sets are authority data and their addresses glue. Only
 * address answers and NS answers are worth an RRset-cache entry (the iterator looks up
 * nothing else there); the message cache stores the whole result elsewhere. */
#include "classify.h"

#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "response.h"

bool classify_is_minimised(const struct classify_input *in)
{
    return in->asked_type != in->qtype || ldns_dname_compare(in->asked, in->target) != 0;
}

static bool is_lame_rcode(ldns_pkt_rcode rcode)
{
    return rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN;
}

/* Adds a clone of rrs (one RRset) to what should be cached. */
static void want_cached(struct classify_verdict *v, const ldns_rr_list *rrs, enum rr_trust trust)
{
    struct classify_rrset *more = realloc(v->cache, (v->n_cache + 1) * sizeof *more);
    ldns_rr_list *copy = more ? ldns_rr_list_clone(rrs) : NULL;

    if (more)
        v->cache = more;
    if (!copy)
        return;
    v->cache[v->n_cache].rrs = copy;
    v->cache[v->n_cache++].trust = trust;
}

/* Every RRset of rrs (sorted canonically, so each RRset is a contiguous run). */
static void want_cached_all(struct classify_verdict *v, const ldns_rr_list *rrs,
                            enum rr_trust trust)
{
    size_t n = ldns_rr_list_rr_count(rrs);

    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        ldns_rr *first = ldns_rr_list_rr(rrs, i);
        while (j < n && ldns_rr_get_type(ldns_rr_list_rr(rrs, j)) == ldns_rr_get_type(first) &&
               ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(rrs, j)), ldns_rr_owner(first)) == 0)
            j++;
        ldns_rr_list *set = ldns_rr_list_new();
        for (size_t k = i; set && k < j; k++)
            ldns_rr_list_push_rr(set, ldns_rr_list_rr(rrs, k));
        if (set)
            want_cached(v, set, trust);
        ldns_rr_list_free(set);     /* shallow: the RRs belong to rrs */
        i = j;
    }
}

/* An NS set with the glue for its names: both to be cached, the glue kept for use. */
static void take_delegation(const struct classify_input *in, struct classify_verdict *v,
                            const ldns_rr_list *ns, enum rr_trust ns_trust)
{
    v->glue = response_glue(in->resp, LDNS_SECTION_ADDITIONAL, ns);
    want_cached(v, ns, ns_trust);
    if (v->glue)
        want_cached_all(v, v->glue, RR_TRUST_GLUE);
}

/* With dnssec, what a referral says of the child's DS: the DS RRset and its RRSIGs, or
 * the NSEC/NSEC3 records (and theirs) that deny it, so the validator need not ask. */
static void keep_ds_proof(const struct classify_input *in, struct classify_verdict *v,
                          const ldns_rdf *child)
{
    ldns_rr_list *ds = response_rrset(in->resp, LDNS_SECTION_AUTHORITY, child, LDNS_RR_TYPE_DS);
    ldns_rr_list *proof = ds ? ds : ldns_rr_list_new();
    bool ok = proof != NULL;

    if (ok && ds)
        ok = response_push_sigs(proof, in->resp, LDNS_SECTION_AUTHORITY, child, LDNS_RR_TYPE_DS);
    else if (ok)
        ok = response_push_denial(proof, in->resp, NULL);
    if (!ok || ldns_rr_list_rr_count(proof) == 0) {
        ldns_rr_list_deep_free(proof);
        return;
    }
    v->ds_proof = proof;
}

static void referral(const struct classify_input *in, struct classify_verdict *v,
                     ldns_rr_list *ns)
{
    v->kind = CLASSIFY_REFERRAL;
    v->ns = ns;
    take_delegation(in, v, ns, RR_TRUST_AUTHORITY);
    if (in->dnssec)
        keep_ds_proof(in, v, ldns_rr_owner(ldns_rr_list_rr(ns, 0)));
}

static void verdict(struct classify_verdict *v, enum classify_kind kind, const char *why)
{
    v->kind = kind;
    v->why = why;
}

/* With dnssec, the answer section's RRSIGs over (owner, type) go to `into`. */
static void keep_sigs(const struct classify_input *in, struct classify_verdict *v,
                      ldns_rr_list *into, const ldns_rdf *owner, ldns_rr_type type)
{
    if (in->dnssec && !response_push_sigs(into, in->resp, LDNS_SECTION_ANSWER, owner, type))
        v->out_of_memory = true;
}

/* A DS question answered by a referral to its own name: the parent's side of the cut
 * speaks all the same (Deckard's scripted servers do this, so do some real ones), and the
 * referral's DS RRset, or with dnssec its NSEC/NSEC3 proof that there is none, is the
 * answer, as Unbound takes it. False when it holds neither: the server is lame. */
static bool ds_from_referral(const struct classify_input *in, struct classify_verdict *v)
{
    ldns_rr_list *ds = response_rrset(in->resp, LDNS_SECTION_AUTHORITY, v->target,
                                      LDNS_RR_TYPE_DS);
    if (ds) {
        v->answer = ds;
        if (in->dnssec && (!(v->answer_sigs = ldns_rr_list_new()) ||
                           !response_push_sigs(v->answer_sigs, in->resp, LDNS_SECTION_AUTHORITY,
                                               v->target, LDNS_RR_TYPE_DS)))
            v->out_of_memory = true;
        verdict(v, CLASSIFY_ANSWER, NULL);
        return true;
    }
    if (!in->dnssec)
        return false;
    if (!(v->denial = ldns_rr_list_new()) || !response_push_denial(v->denial, in->resp, NULL)) {
        v->out_of_memory = true;
        return true;
    }
    if (ldns_rr_list_rr_count(v->denial) == 0) {
        ldns_rr_list_free(v->denial);
        v->denial = NULL;
        return false;
    }
    verdict(v, CLASSIFY_NODATA, NULL);
    return true;
}

/* The DNAME of the answer section whose owner is a proper ancestor of name, or NULL. */
static const ldns_rr *covering_dname(const ldns_pkt *resp, const ldns_rdf *name)
{
    const ldns_rr_list *answer = ldns_pkt_answer(resp);

    for (size_t i = 0; i < ldns_rr_list_rr_count(answer); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(answer, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNAME && ldns_rr_rdf(rr, 0) &&
            ldns_dname_compare(ldns_rr_owner(rr), name) != 0 &&
            dname_at_or_below(name, ldns_rr_owner(rr)))
            return rr;
    }
    return NULL;
}

/* name with its suffix `owner` replaced by `target` (RFC 6672 2.2); NULL when the result
 * would be longer than a name may be (the server should have said YXDOMAIN). Names are
 * canonical (response_canonicalize), so owner is a byte suffix of name. */
static ldns_rdf *dname_substitute(const ldns_rdf *name, const ldns_rdf *owner,
                                  const ldns_rdf *target)
{
    uint8_t buf[LDNS_MAX_DOMAINLEN + 1];
    size_t prefix = ldns_rdf_size(name) - ldns_rdf_size(owner);
    size_t len = prefix + ldns_rdf_size(target);

    if (ldns_rdf_size(owner) > ldns_rdf_size(name) || len > LDNS_MAX_DOMAINLEN)
        return NULL;
    memcpy(buf, ldns_rdf_data(name), prefix);
    memcpy(buf + prefix, ldns_rdf_data(target), ldns_rdf_size(target));
    return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, len, buf);
}

/* The CNAME a DNAME implies for name (RFC 6672 3.1): the server's own when it matches,
 * else one made here with the DNAME's TTL. NULL when out of memory. */
static ldns_rr *synthesised_cname(ldns_rr_list *cname, const ldns_rr *dname,
                                  const ldns_rdf *name, const ldns_rdf *next)
{
    const ldns_rr *sent = cname ? ldns_rr_list_rr(cname, 0) : NULL;
    ldns_rr *made;

    if (sent && ldns_rr_rdf(sent, 0) && ldns_dname_compare(ldns_rr_rdf(sent, 0), next) == 0)
        return ldns_rr_list_pop_rr(cname);
    if (!(made = ldns_rr_new()))
        return NULL;
    ldns_rr_set_owner(made, ldns_rdf_clone(name));
    ldns_rr_set_type(made, LDNS_RR_TYPE_CNAME);
    ldns_rr_set_class(made, ldns_rr_get_class(dname));
    ldns_rr_set_ttl(made, ldns_rr_ttl(dname));
    ldns_rr_push_rdf(made, ldns_rdf_clone(next));
    return made;
}

/* One link of the chain at v->target: the DNAME above it (then its CNAME), else the
 * CNAME at it. Returns the next name (NULL: none, or a link without a target), with the
 * records of the link pushed to v->chain; *found says whether there was a link at all. */
static ldns_rdf *follow_link(const struct classify_input *in, struct classify_verdict *v,
                             bool *found)
{
    const ldns_rr *dname = covering_dname(in->resp, v->target);
    ldns_rr_list *cname = response_rrset(in->resp, LDNS_SECTION_ANSWER, v->target,
                                         LDNS_RR_TYPE_CNAME);
    ldns_rdf *next = NULL;

    *found = dname || cname;
    if (dname) {
        next = dname_substitute(v->target, ldns_rr_owner(dname), ldns_rr_rdf(dname, 0));
        ldns_rr *link = next ? synthesised_cname(cname, dname, v->target, next) : NULL;
        ldns_rr_list_push_rr(v->chain, ldns_rr_clone(dname));
        keep_sigs(in, v, v->chain, ldns_rr_owner(dname), LDNS_RR_TYPE_DNAME);
        if (link)
            ldns_rr_list_push_rr(v->chain, link);
        if (link && cname)          /* the server's own CNAME: signed, if ever, by it */
            keep_sigs(in, v, v->chain, v->target, LDNS_RR_TYPE_CNAME);
    } else if (cname) {
        /* ldns reads a CNAME with an empty RDATA without complaint, and ldns_rdf_clone
         * asserts on its missing target: a chain without a target ends here (fuzz_upstream) */
        const ldns_rdf *alias = ldns_rr_rdf(ldns_rr_list_rr(cname, 0), 0);
        next = alias ? ldns_rdf_clone(alias) : NULL;
        ldns_rr_list_push_rr(v->chain, ldns_rr_list_pop_rr(cname));
        keep_sigs(in, v, v->chain, v->target, LDNS_RR_TYPE_CNAME);
    }
    ldns_rr_list_deep_free(cname);
    return next;
}

/* Follows the answer section from v->target through DNAMEs and CNAMEs. True when the
 * final RRset was found (v->answer); otherwise v->target is where the chain stopped. */
static bool follow_answer(const struct classify_input *in, struct classify_verdict *v)
{
    for (;;) {
        ldns_rr_list *rrset = response_rrset(in->resp, LDNS_SECTION_ANSWER, v->target, in->qtype);
        if (rrset) {
            enum rr_trust trust = ldns_pkt_aa(in->resp) ? RR_TRUST_ANSWER : RR_TRUST_AUTHORITY;
            if (in->qtype == LDNS_RR_TYPE_A || in->qtype == LDNS_RR_TYPE_AAAA)
                want_cached(v, rrset, trust);
            if (in->qtype == LDNS_RR_TYPE_NS)
                take_delegation(in, v, rrset, trust);
            v->answer = rrset;
            /* ANY and RRSIG answers hold their signatures already */
            if (in->dnssec && in->qtype != LDNS_RR_TYPE_ANY && in->qtype != LDNS_RR_TYPE_RRSIG &&
                (v->answer_sigs = ldns_rr_list_new()) == NULL)
                v->out_of_memory = true;
            if (v->answer_sigs)
                keep_sigs(in, v, v->answer_sigs, v->target, in->qtype);
            return true;
        }
        if (in->qtype == LDNS_RR_TYPE_CNAME)
            return false;
        bool found;
        ldns_rdf *next = follow_link(in, v, &found);
        if (!found)
            return false;
        ldns_rdf_deep_free(v->target);
        v->target = next;
        if (!next || in->cnames + ++v->cnames > in->max_cnames)
            return false;
    }
}

static void classify_minimised(const struct classify_input *in, struct classify_verdict *v)
{
    ldns_rr_list *ns = NULL;
    ldns_pkt_rcode rcode = ldns_pkt_get_rcode(in->resp);

    if (!is_lame_rcode(rcode) &&
        response_referral(in->resp, in->zone, in->asked, &ns) == REFERRAL_DOWN) {
        referral(in, v, ns);
        return;
    }
    ldns_rr_list *cname = response_rrset(in->resp, LDNS_SECTION_ANSWER, in->asked,
                                         LDNS_RR_TYPE_CNAME);
    if (rcode == LDNS_RCODE_NOERROR && ldns_pkt_aa(in->resp) && !cname)
        verdict(v, CLASSIFY_DEEPER, NULL);  /* the name exists (maybe an empty non-terminal) */
    else
        verdict(v, CLASSIFY_FULL_NAME, NULL);
    v->with_cname = cname != NULL;
    ldns_rr_list_deep_free(cname);
}

static void classify_full(const struct classify_input *in, struct classify_verdict *v)
{
    ldns_pkt_rcode rcode = ldns_pkt_get_rcode(in->resp);
    ldns_rr_list *ns = NULL;

    if (is_lame_rcode(rcode)) {
        verdict(v, CLASSIFY_LAME, "error rcode");
        return;
    }
    if (follow_answer(in, v)) {
        verdict(v, CLASSIFY_ANSWER, NULL);
        return;
    }
    if (in->cnames + v->cnames > in->max_cnames || !v->target) {
        verdict(v, CLASSIFY_FAIL, "CNAME chain too long (max-cname-chain)");
        return;
    }
    bool moved = ldns_dname_compare(in->target, v->target) != 0;
    v->soa = response_soa(in->resp, v->target);
    if ((ldns_pkt_aa(in->resp) || v->soa) && rcode == LDNS_RCODE_NXDOMAIN) {
        verdict(v, CLASSIFY_NXDOMAIN, NULL);
        return;
    }
    if (moved) {
        verdict(v, CLASSIFY_CNAME, NULL);
        return;
    }
    switch (response_referral(in->resp, in->zone, v->target, &ns)) {
    case REFERRAL_DOWN:
        if (in->qtype == LDNS_RR_TYPE_DS &&
            ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(ns, 0)), v->target) == 0) {
            ldns_rr_list_deep_free(ns);
            if (!ds_from_referral(in, v))
                verdict(v, CLASSIFY_LAME, "DS query referred to the child zone");
            return;
        }
        referral(in, v, ns);
        return;
    case REFERRAL_BAD:
        verdict(v, CLASSIFY_LAME, "referral upwards or sideways");
        return;
    case REFERRAL_NONE:
        break;
    }
    /* NODATA: AA, or (as Unbound reads it, Deckard's iter_cname_cache) the zone's SOA */
    if ((ldns_pkt_aa(in->resp) || v->soa) && rcode == LDNS_RCODE_NOERROR)
        verdict(v, CLASSIFY_NODATA, NULL);
    else
        verdict(v, CLASSIFY_LAME, "not authoritative and not a referral");
}

/* The proof that comes with an answer (a wildcard's: the next closer name does not exist)
 * or a negative answer. A negative answer without SOA keeps none: the message cache keeps
 * a negative answer whose authority section holds anything but SOAs for no time at all. */
static void keep_denial(const struct classify_input *in, struct classify_verdict *v)
{
    bool negative = v->kind == CLASSIFY_NXDOMAIN || v->kind == CLASSIFY_NODATA;

    if (v->kind != CLASSIFY_ANSWER && v->kind != CLASSIFY_CNAME && !(negative && v->soa))
        return;
    if (!(v->denial = ldns_rr_list_new()) || !response_push_denial(v->denial, in->resp, v->soa))
        v->out_of_memory = true;
}

void classify_reply(const struct classify_input *in, struct classify_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->chain = ldns_rr_list_new();
    v->target = ldns_rdf_clone(in->target);
    if (!v->chain || !v->target) {
        verdict(v, CLASSIFY_LAME, "out of memory");
        return;
    }
    /* an empty answer pointing towards the root comes from a server that does not serve
     * the zone: lame even with AA, which alone would make it pass for NODATA (Unbound
     * reads it so too: Deckard's iter_lame_aaaa) */
    if (in->refers_upwards && ldns_pkt_ancount(in->resp) == 0)
        verdict(v, CLASSIFY_LAME, "referral upwards");
    else if (classify_is_minimised(in))
        classify_minimised(in, v);
    else
        classify_full(in, v);
    if (v->kind != CLASSIFY_NXDOMAIN && v->kind != CLASSIFY_NODATA) {
        ldns_rr_free(v->soa);
        v->soa = NULL;
    }
    if (in->dnssec)
        keep_denial(in, v);
    if (v->out_of_memory)
        verdict(v, CLASSIFY_LAME, "out of memory");
}

void classify_verdict_free(struct classify_verdict *v)
{
    ldns_rr_list_deep_free(v->chain);
    ldns_rdf_deep_free(v->target);
    ldns_rr_list_deep_free(v->answer);
    ldns_rr_list_deep_free(v->answer_sigs);
    ldns_rr_free(v->soa);
    ldns_rr_list_deep_free(v->denial);
    ldns_rr_list_deep_free(v->ns);
    ldns_rr_list_deep_free(v->glue);
    ldns_rr_list_deep_free(v->ds_proof);
    for (size_t i = 0; i < v->n_cache; i++)
        ldns_rr_list_deep_free(v->cache[i].rrs);
    free(v->cache);
    memset(v, 0, sizeof *v);
}

const char *classify_kind_name(enum classify_kind kind)
{
    static const char *const names[] = {
        [CLASSIFY_ANSWER] = "answer", [CLASSIFY_CNAME] = "cname",
        [CLASSIFY_REFERRAL] = "referral", [CLASSIFY_NXDOMAIN] = "nxdomain",
        [CLASSIFY_NODATA] = "nodata", [CLASSIFY_LAME] = "lame", [CLASSIFY_FAIL] = "fail",
        [CLASSIFY_DEEPER] = "deeper", [CLASSIFY_FULL_NAME] = "full-name",
    };
    return (size_t)kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}
