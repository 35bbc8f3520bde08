/* classify.h -- what an authoritative server's reply means for the iterator: the verdict.
 *
 * Pure: classify_reply reads a parsed reply (already scrubbed to the zone asked and
 * canonicalised, response.c) with what was asked, and returns a verdict -- answer, CNAME
 * to resolve anew, referral, NXDOMAIN, NODATA, lame, or for a minimised question "one
 * label deeper" / "ask the full name" -- together with the records it carries (the CNAME /
 * DNAME chain followed, the final RRset, the SOA, the child's NS set and glue; for a query
 * sent with DO also the RRSIGs and the NSEC/NSEC3 proof, for the validator) and the
 * RRsets worth caching with their trust (RFC 2181 5.4.1). No I/O, no cache written, no
 * daemon context: iterate.c does the I/O and the caching around it, tests/unit/test_classify.c
 * and tests/fuzz/fuzz_upstream.c call it directly. */
#ifndef CLASSIFY_H
#define CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include <ldns/ldns.h>

#include "rrcache.h"

enum classify_kind {
    CLASSIFY_ANSWER,        /* the final RRset is here: answer */
    CLASSIFY_CNAME,         /* the chain left this server's data: resolve `target` anew */
    CLASSIFY_REFERRAL,      /* a delegation downwards: ns (and glue) */
    CLASSIFY_NXDOMAIN,      /* the name (the chain's last) does not exist; soa if sent */
    CLASSIFY_NODATA,        /* it exists, without data of the type; soa if sent */
    CLASSIFY_LAME,          /* this server cannot help: why */
    CLASSIFY_FAIL,          /* the resolution must end: why (a CNAME chain too long) */
    CLASSIFY_DEEPER,        /* minimised question: the name exists here, ask one label more */
    CLASSIFY_FULL_NAME,     /* minimised question: misbehaviour or NXDOMAIN: ask the full name */
};

struct classify_input {
    const ldns_pkt *resp;           /* scrubbed and canonicalised */
    const ldns_rdf *zone;           /* the zone the server was asked as an authority for */
    const ldns_rdf *target;         /* the name being resolved (the question, or a CNAME's) */
    ldns_rr_type qtype;
    const ldns_rdf *asked;          /* the name in the question sent */
    ldns_rr_type asked_type;
    int cnames;                     /* CNAMEs followed before this reply */
    int max_cnames;                 /* the chain's limit (max-cname-chain) */
    bool refers_upwards;            /* before scrubbing, NS records above the zone were in
                                     * the authority section (response_refers_upwards) */
    bool dnssec;                    /* the query had the DO bit: keep what a validator needs
                                     * (RRSIGs, the NSEC/NSEC3 proof) as the server sent it */
};

struct classify_rrset {
    ldns_rr_list *rrs;              /* one RRset, owned by the verdict */
    enum rr_trust trust;
};

struct classify_verdict {
    enum classify_kind kind;
    const char *why;                /* LAME, FAIL: a reason for the log and the trace */
    ldns_rr_list *chain;            /* DNAMEs and CNAMEs followed in this reply, in order
                                     * (a DNAME ahead of the CNAME it implies); with dnssec
                                     * each followed by the RRSIGs over it */
    int cnames;                     /* CNAMEs among them */
    ldns_rdf *target;               /* the name the chain ended at (a copy of the input's
                                     * target when none was followed); NULL: a CNAME without
                                     * a target */
    ldns_rr_list *answer;           /* ANSWER: the final RRset */
    ldns_rr_list *answer_sigs;      /* ANSWER with dnssec: the RRSIGs over it, or NULL */
    ldns_rr *soa;                   /* NXDOMAIN, NODATA: the SOA at or above target, or NULL */
    ldns_rr_list *denial;           /* with dnssec, ANSWER and CNAME (a wildcard's proof) and
                                     * NXDOMAIN and NODATA with an SOA: the authority
                                     * section's NSEC/NSEC3 records and RRSIGs over them, and
                                     * for the negative ones the SOA and its RRSIGs
                                     * (response_push_denial); NULL otherwise */
    ldns_rr_list *ns;               /* REFERRAL: the child's NS set */
    ldns_rr_list *glue;             /* REFERRAL, an NS answer: addresses of its NS names */
    ldns_rr_list *ds_proof;         /* REFERRAL with dnssec: the child's DS RRset or the
                                     * NSEC/NSEC3 proof that it has none, with the RRSIGs,
                                     * unchecked (the validator's, before it asks the DS);
                                     * NULL when the referral carried neither */
    bool with_cname;                /* FULL_NAME: the server answered the minimised name with
                                     * a CNAME */
    struct classify_rrset *cache;   /* what to cache, in order */
    size_t n_cache;
    bool out_of_memory;             /* internal: a copy failed; the verdict reads as LAME */
};

/* True when `asked` (type asked_type) is a minimised form of the target's question. */
bool classify_is_minimised(const struct classify_input *in);

/* Fills v (zeroed first) with the verdict on in->resp. Out of memory reads as LAME. */
void classify_reply(const struct classify_input *in, struct classify_verdict *v);

/* Frees what v holds; v can then be reused. */
void classify_verdict_free(struct classify_verdict *v);

/* A name for the verdict's kind ("answer", "referral" ...), for logs and tests. */
const char *classify_kind_name(enum classify_kind kind);

#endif
