/* valmsg.c -- a response as the validator sees it (see valmsg.h).
 *
 * The RRsets are cloned out of the parsed packet, grouped by owner, type and class, so
 * ldns may lower-case an RRSIG owner in place while verifying (dnssec_verify.h) without
 * touching anything another resolution holds. Denial records are taken from the authority
 * section only, where RFC 4035 3.1.3 puts them. */
#include "valmsg.h"

#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "ede.h"
#include "nsec.h"
#include "wire.h"

static bool same_owner(const ldns_rr *a, const ldns_rdf *owner)
{
    return ldns_dname_compare(ldns_rr_owner(a), owner) == 0;
}

static bool covers(const ldns_rr *sig, const ldns_rr *rr)
{
    const ldns_rdf *covered = ldns_rr_rrsig_typecovered(sig);
    return covered && ldns_rdf2rr_type(covered) == ldns_rr_get_type(rr) &&
           ldns_rr_get_class(sig) == ldns_rr_get_class(rr) && same_owner(sig, ldns_rr_owner(rr));
}

/* Whether rr's RRset is among the first `upto` RRs of list (already grouped). */
static bool seen_before(const ldns_rr_list *list, size_t upto, const ldns_rr *rr)
{
    for (size_t i = 0; i < upto; i++) {
        const ldns_rr *o = ldns_rr_list_rr(list, i);
        if (ldns_rr_get_type(o) == ldns_rr_get_type(rr) &&
            ldns_rr_get_class(o) == ldns_rr_get_class(rr) && same_owner(o, ldns_rr_owner(rr)))
            return true;
    }
    return false;
}

static bool wanted(ldns_pkt_section sec, ldns_rr_type t)
{
    if (t == LDNS_RR_TYPE_RRSIG)
        return false;
    return sec == LDNS_SECTION_ANSWER || t == LDNS_RR_TYPE_SOA || t == LDNS_RR_TYPE_NSEC ||
           t == LDNS_RR_TYPE_NSEC3;
}

/* The RRset of `first` (the i-th RR of list) and its RRSIGs, as clones. */
static int group(const ldns_rr_list *list, size_t i, ldns_pkt_section sec, struct val_rrset *s)
{
    const ldns_rr *first = ldns_rr_list_rr(list, i);

    *s = (struct val_rrset){ .rrs = ldns_rr_list_new(), .sigs = ldns_rr_list_new(),
                             .section = sec, .v = { .status = SEC_UNCHECKED, .ede = EDE_NONE } };
    if (!s->rrs || !s->sigs)
        return -1;
    for (size_t k = i; k < ldns_rr_list_rr_count(list); k++) {
        const ldns_rr *rr = ldns_rr_list_rr(list, k);
        bool member = ldns_rr_get_type(rr) == ldns_rr_get_type(first) &&
                      ldns_rr_get_class(rr) == ldns_rr_get_class(first) &&
                      same_owner(rr, ldns_rr_owner(first));
        bool sig = ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG && covers(rr, first);
        if (!member && !sig)
            continue;
        ldns_rr *copy = ldns_rr_clone(rr);
        if (!copy || !ldns_rr_list_push_rr(member ? s->rrs : s->sigs, copy)) {
            ldns_rr_free(copy);
            return -1;
        }
    }
    /* RRSIGs before the RRset (some servers order them so) are found by a second pass */
    for (size_t k = 0; k < i; k++) {
        const ldns_rr *rr = ldns_rr_list_rr(list, k);
        ldns_rr *copy;
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG || !covers(rr, first))
            continue;
        if (!(copy = ldns_rr_clone(rr)) || !ldns_rr_list_push_rr(s->sigs, copy)) {
            ldns_rr_free(copy);
            return -1;
        }
    }
    if (ldns_rr_list_rr_count(s->sigs) > 0)
        s->signer = ldns_rr_rrsig_signame(ldns_rr_list_rr(s->sigs, 0));
    return 0;
}

static int add_section(struct val_msg *m, ldns_pkt_section sec)
{
    const ldns_rr_list *list = sec == LDNS_SECTION_ANSWER ? ldns_pkt_answer(m->pkt)
                                                          : ldns_pkt_authority(m->pkt);

    for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(list, i);
        if (!wanted(sec, ldns_rr_get_type(rr)) || seen_before(list, i, rr))
            continue;
        struct val_rrset *grown = realloc(m->sets, (m->n_sets + 1) * sizeof *grown);
        if (!grown)
            return -1;
        m->sets = grown;
        if (group(list, i, sec, &m->sets[m->n_sets++]) != 0)
            return -1;
    }
    return 0;
}

/* Whether the CNAME cname is what the DNAME dname synthesises for its owner: the owner
 * with the DNAME's owner as suffix replaced by its target. */
static bool synthesised_by(const ldns_rr *cname, const ldns_rr *dname)
{
    const ldns_rdf *owner = ldns_rr_owner(cname), *from = ldns_rr_owner(dname);
    const ldns_rdf *to = ldns_rr_rdf(dname, 0), *target = ldns_rr_rdf(cname, 0);

    if (!to || !target || !ldns_dname_is_subdomain(owner, from))
        return false;
    /* owner's labels above `from`, as a name of their own, then the DNAME's target */
    size_t keep = ldns_dname_label_count(owner) - ldns_dname_label_count(from), cut = 0;
    const uint8_t *d = ldns_rdf_data(owner);
    for (size_t i = 0; i < keep; i++)
        cut += (size_t)d[cut] + 1;
    uint8_t head_wire[WIRE_MAX_NAME + 1];
    memcpy(head_wire, d, cut);
    head_wire[cut] = 0;
    ldns_rdf *head = ldns_dname_new_frm_data((uint16_t)(cut + 1), head_wire);
    ldns_rdf *want = head ? ldns_dname_cat_clone(head, to) : NULL;
    bool same = want && ldns_dname_compare(want, target) == 0;
    ldns_rdf_deep_free(want);
    ldns_rdf_deep_free(head);
    return same;
}

static void mark_derived(struct val_msg *m)
{
    for (size_t i = 0; i < m->n_sets; i++) {
        struct val_rrset *s = &m->sets[i];
        const ldns_rr *c = ldns_rr_list_rr(s->rrs, 0);
        if (s->section != LDNS_SECTION_ANSWER || s->signer ||
            ldns_rr_get_type(c) != LDNS_RR_TYPE_CNAME)
            continue;
        for (size_t k = 0; k < m->n_sets && !s->derived; k++) {
            const ldns_rr *d = ldns_rr_list_rr(m->sets[k].rrs, 0);
            s->derived = m->sets[k].section == LDNS_SECTION_ANSWER &&
                         ldns_rr_get_type(d) == LDNS_RR_TYPE_DNAME && synthesised_by(c, d);
        }
    }
}

/* The chain's last name from the question on, and whether the final data is there. */
static void follow_chain(struct val_msg *m)
{
    const ldns_rr_list *answer = ldns_pkt_answer(m->pkt);
    const ldns_rdf *name = m->qname;
    bool data = false;

    for (size_t hop = 0; hop <= ldns_rr_list_rr_count(answer); hop++) {
        const ldns_rdf *next = NULL;
        for (size_t i = 0; i < ldns_rr_list_rr_count(answer); i++) {
            const ldns_rr *rr = ldns_rr_list_rr(answer, i);
            if (!same_owner(rr, name))
                continue;
            if (ldns_rr_get_type(rr) == m->qtype || m->qtype == LDNS_RR_TYPE_ANY)
                data = true;
            else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && ldns_rr_rdf(rr, 0))
                next = ldns_rr_rdf(rr, 0);
        }
        if (data || !next)
            break;
        name = next;
    }
    m->last_name = ldns_rdf_clone(name);
    if (m->last_name)
        ldns_dname2canonical(m->last_name);
    m->negative = m->rcode == LDNS_RCODE_NXDOMAIN || (m->rcode == LDNS_RCODE_NOERROR && !data);
}

int valmsg_parse(const uint8_t *msg, size_t len, struct val_msg *m)
{
    memset(m, 0, sizeof *m);
    if (ldns_wire2pkt(&m->pkt, msg, len) != LDNS_STATUS_OK)
        return -1;
    const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(m->pkt), 0);
    if (!q || !(m->qname = ldns_rdf_clone(ldns_rr_owner(q))))
        goto failed;
    ldns_dname2canonical(m->qname);
    m->qtype = ldns_rr_get_type(q);
    m->rcode = ldns_pkt_get_rcode(m->pkt);
    if (add_section(m, LDNS_SECTION_ANSWER) != 0 || add_section(m, LDNS_SECTION_AUTHORITY) != 0)
        goto failed;
    follow_chain(m);
    mark_derived(m);
    if (!m->last_name)
        goto failed;
    return 0;
failed:
    valmsg_free(m);
    return -1;
}

void valmsg_free(struct val_msg *m)
{
    for (size_t i = 0; i < m->n_sets; i++) {
        ldns_rr_list_deep_free(m->sets[i].rrs);
        ldns_rr_list_deep_free(m->sets[i].sigs);
    }
    free(m->sets);
    ldns_rdf_deep_free(m->qname);
    ldns_rdf_deep_free(m->last_name);
    ldns_pkt_free(m->pkt);
    memset(m, 0, sizeof *m);
}

struct val_rrset *valmsg_find(const struct val_msg *m, ldns_pkt_section sec,
                              const ldns_rdf *owner, ldns_rr_type type)
{
    for (size_t i = 0; i < m->n_sets; i++) {
        const ldns_rr *first = ldns_rr_list_rr(m->sets[i].rrs, 0);
        if (m->sets[i].section == sec && first && ldns_rr_get_type(first) == type &&
            (!owner || same_owner(first, owner)))
            return &m->sets[i];
    }
    return NULL;
}

/* ---- denial ----------------------------------------------------------------------------- */

/* Every authority record of type t, borrowed (free the list with ldns_rr_list_free). */
static ldns_rr_list *authority_records(const struct val_msg *m, ldns_rr_type t)
{
    ldns_rr_list *out = ldns_rr_list_new();

    for (size_t i = 0; out && i < m->n_sets; i++) {
        const struct val_rrset *s = &m->sets[i];
        if (s->section != LDNS_SECTION_AUTHORITY ||
            ldns_rr_get_type(ldns_rr_list_rr(s->rrs, 0)) != t)
            continue;
        for (size_t k = 0; k < ldns_rr_list_rr_count(s->rrs); k++)
            ldns_rr_list_push_rr(out, ldns_rr_list_rr(s->rrs, k));
    }
    return out;
}

/* The zone the denial records come from: the SOA's signer, else the first NSEC(3)'s. */
static const ldns_rdf *denial_zone(const struct val_msg *m)
{
    const struct val_rrset *s = valmsg_find(m, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_SOA);

    if (!s)
        s = valmsg_find(m, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC);
    if (!s)
        s = valmsg_find(m, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC3);
    return s ? s->signer : NULL;
}

static bool too_many_iterations(const ldns_rr_list *nsec3s)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(nsec3s); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(nsec3s, i);
        if (ldns_rr_rd_count(rr) >= 3 &&
            ldns_rdf2native_int16(ldns_rr_rdf(rr, 2)) > NSEC3_MAX_ITERATIONS)
            return true;
    }
    return false;
}

static enum sec_status nsec3_status(enum nsec3_result r, int *ede, const char **why,
                                    const char *what)
{
    switch (r) {
    case NSEC3_PROVEN:
        return SEC_SECURE;
    case NSEC3_INSECURE:
        *why = "an NSEC3 opt-out span";
        return SEC_INSECURE;
    case NSEC3_OVER_BUDGET:
        *ede = EDE_DNSSEC_BOGUS;
        *why = "too much NSEC3 hashing for one response";
        return SEC_BOGUS;
    default:
        *ede = EDE_NSEC_MISSING;
        *why = what;
        return SEC_BOGUS;
    }
}

/* What the proof kind says for `name`, with NSEC records or else NSEC3 records. */
enum proof { PROVE_NXDOMAIN, PROVE_NODATA, PROVE_WILDCARD };

static enum sec_status prove_one(enum proof kind, const ldns_rr_list *nsecs,
                                 const ldns_rr_list *nsec3s, const ldns_rdf *name,
                                 ldns_rr_type qtype, uint8_t labels, const ldns_rdf *zone,
                                 struct nsec3_budget *budget, int *ede, const char **why)
{
    static const char *const missing[] = { "no NSEC proof that the name does not exist",
                                           "no NSEC proof that the type does not exist",
                                           "no NSEC proof for the wildcard answer" };
    if (ldns_rr_list_rr_count(nsecs) > 0) {
        bool ok = kind == PROVE_NXDOMAIN ? nsec_proves_nxdomain(nsecs, name, zone)
                : kind == PROVE_NODATA ? nsec_proves_nodata(nsecs, name, qtype, zone)
                : nsec_proves_wildcard_answer(nsecs, name, labels, zone);
        if (ok)
            return SEC_SECURE;
    }
    if (ldns_rr_list_rr_count(nsec3s) > 0) {
        if (too_many_iterations(nsec3s)) {
            *ede = EDE_UNSUPPORTED_NSEC3_ITERATIONS;
            *why = "NSEC3 iterations above 150";
            return SEC_INSECURE;
        }
        enum nsec3_result r = kind == PROVE_NXDOMAIN ? nsec3_prove_nxdomain(nsec3s, name, zone, budget)
                            : kind == PROVE_NODATA ? nsec3_prove_nodata(nsec3s, name, qtype, zone, budget)
                            : nsec3_prove_wildcard_answer(nsec3s, name, labels, zone, budget);
        return nsec3_status(r, ede, why, missing[kind]);
    }
    *ede = EDE_NSEC_MISSING;
    *why = missing[kind];
    return SEC_BOGUS;
}

/* The least of two statuses: one insecure part makes the whole insecure. */
static enum sec_status least(enum sec_status a, enum sec_status b)
{
    return a < b ? a : b;
}

enum sec_status valmsg_prove(const struct val_msg *m, struct nsec3_budget *budget, int *ede,
                             const char **why)
{
    ldns_rr_list *nsecs = authority_records(m, LDNS_RR_TYPE_NSEC);
    ldns_rr_list *nsec3s = authority_records(m, LDNS_RR_TYPE_NSEC3);
    enum sec_status st = SEC_SECURE;

    *ede = EDE_NONE;
    *why = NULL;
    if (!nsecs || !nsec3s) {
        *ede = EDE_OTHER;
        *why = "out of memory";
        st = SEC_BOGUS;
    } else if (m->negative) {
        const ldns_rdf *zone = denial_zone(m);
        st = zone ? prove_one(m->rcode == LDNS_RCODE_NXDOMAIN ? PROVE_NXDOMAIN : PROVE_NODATA,
                              nsecs, nsec3s, m->last_name, m->qtype, 0, zone, budget, ede, why)
                  : (*ede = EDE_NSEC_MISSING, *why = "a denial without signed records", SEC_BOGUS);
    }
    for (size_t i = 0; st > SEC_BOGUS && i < m->n_sets; i++) {
        const struct val_rrset *s = &m->sets[i];
        if (s->section != LDNS_SECTION_ANSWER || !s->v.wildcard || !s->signer)
            continue;
        st = least(st, prove_one(PROVE_WILDCARD, nsecs, nsec3s,
                                 ldns_rr_owner(ldns_rr_list_rr(s->rrs, 0)), m->qtype,
                                 s->v.sig_labels, s->signer, budget, ede, why));
    }
    ldns_rr_list_free(nsecs);
    ldns_rr_list_free(nsec3s);
    return st;
}

/* ---- a DS reply on the way down -------------------------------------------------------- */

static const ldns_rr *matching_nsec(const ldns_rr_list *nsecs, const ldns_rdf *name)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(nsecs); i++)
        if (same_owner(ldns_rr_list_rr(nsecs, i), name))
            return ldns_rr_list_rr(nsecs, i);
    return NULL;
}

static enum ds_outcome ds_by_nsec(const ldns_rr_list *nsecs, const ldns_rdf *name,
                                  const ldns_rdf *zone, bool nxdomain, const char **why)
{
    const ldns_rr *m = matching_nsec(nsecs, name);

    if (nxdomain)
        return nsec_proves_nxdomain(nsecs, name, zone) ? DS_NO_CUT : DS_BOGUS;
    if (m && nsec_has_type(m, LDNS_RR_TYPE_SOA)) {
        *why = "the child zone answered for its own DS";
        return DS_BOGUS;
    }
    if (m && nsec_has_type(m, LDNS_RR_TYPE_NS))
        return nsec_has_type(m, LDNS_RR_TYPE_DS) ? DS_BOGUS : DS_INSECURE;
    return nsec_proves_nodata(nsecs, name, LDNS_RR_TYPE_DS, zone) ? DS_NO_CUT : DS_BOGUS;
}

static enum ds_outcome ds_by_nsec3(const ldns_rr_list *nsec3s, const ldns_rdf *name,
                                   const ldns_rdf *zone, bool nxdomain,
                                   struct nsec3_budget *budget, const char **why)
{
    enum nsec3_result r;

    if (too_many_iterations(nsec3s)) {
        *why = "NSEC3 iterations above 150";
        return DS_INSECURE;
    }
    if (nxdomain) {
        r = nsec3_prove_nxdomain(nsec3s, name, zone, budget);
        return r == NSEC3_PROVEN ? DS_NO_CUT : r == NSEC3_INSECURE ? DS_INSECURE : DS_BOGUS;
    }
    r = nsec3_prove_no_ds(nsec3s, name, zone, budget);
    if (r == NSEC3_PROVEN || r == NSEC3_INSECURE)
        return DS_INSECURE;
    if (r == NSEC3_OVER_BUDGET)
        return DS_BOGUS;
    r = nsec3_prove_nodata(nsec3s, name, LDNS_RR_TYPE_DS, zone, budget);
    return r == NSEC3_PROVEN ? DS_NO_CUT : r == NSEC3_INSECURE ? DS_INSECURE : DS_BOGUS;
}

enum ds_outcome valmsg_ds_outcome(const struct val_msg *m, const ldns_rdf *name,
                                  struct nsec3_budget *budget, const char **why)
{
    *why = "no proof that the delegation has no DS";
    if (valmsg_find(m, LDNS_SECTION_ANSWER, name, LDNS_RR_TYPE_DS))
        return DS_FOUND;
    if (valmsg_find(m, LDNS_SECTION_ANSWER, name, LDNS_RR_TYPE_CNAME))
        return DS_NO_CUT;           /* a CNAME owner is no zone cut */
    if (m->rcode != LDNS_RCODE_NOERROR && m->rcode != LDNS_RCODE_NXDOMAIN) {
        *why = "the DS question failed";
        return DS_BOGUS;
    }
    const ldns_rdf *zone = denial_zone(m);
    ldns_rr_list *nsecs = authority_records(m, LDNS_RR_TYPE_NSEC);
    ldns_rr_list *nsec3s = authority_records(m, LDNS_RR_TYPE_NSEC3);
    bool nx = m->rcode == LDNS_RCODE_NXDOMAIN;
    enum ds_outcome out = DS_BOGUS;
    if (zone && nsecs && ldns_rr_list_rr_count(nsecs) > 0)
        out = ds_by_nsec(nsecs, name, zone, nx, why);
    else if (zone && nsec3s && ldns_rr_list_rr_count(nsec3s) > 0)
        out = ds_by_nsec3(nsec3s, name, zone, nx, budget, why);
    ldns_rr_list_free(nsecs);
    ldns_rr_list_free(nsec3s);
    return out;
}

bool valmsg_ds_usable(const ldns_rr_list *ds)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(ds); i++) {
        const ldns_rr *d = ldns_rr_list_rr(ds, i);
        if (ldns_rr_rd_count(d) == 4 &&
            dnssec_algorithm_supported(ldns_rdf2native_int8(ldns_rr_rdf(d, 1))) &&
            dnssec_digest_supported(ldns_rdf2native_int8(ldns_rr_rdf(d, 2))))
            return true;
    }
    return false;
}
