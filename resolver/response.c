/* response.c -- bailiwick scrubbing and classification of authority responses (see
 * response.h). Everything here works on clones: the packet keeps ownership of its RRs. */
#include "response.h"

#include "rrlist.h"

static bool keep_rr(const ldns_rr *rr, const ldns_rdf *zone, bool additional)
{
    ldns_rr_type type = ldns_rr_get_type(rr);

    if (additional && type != LDNS_RR_TYPE_A && type != LDNS_RR_TYPE_AAAA)
        return false;
    return dname_at_or_below(ldns_rr_owner(rr), zone);
}

/* Rebuilds one section with the RRs worth keeping; returns how many were dropped. */
static size_t scrub_section(ldns_rr_list *list, const ldns_rdf *zone, bool additional)
{
    size_t kept = 0, n = ldns_rr_list_rr_count(list);

    for (size_t i = 0; i < n; i++) {
        ldns_rr *rr = ldns_rr_list_rr(list, i);
        if (keep_rr(rr, zone, additional))
            ldns_rr_list_set_rr(list, rr, kept++);
        else
            ldns_rr_free(rr);
    }
    ldns_rr_list_set_rr_count(list, kept);
    return n - kept;
}

size_t response_scrub(ldns_pkt *pkt, const ldns_rdf *zone)
{
    size_t dropped = scrub_section(ldns_pkt_answer(pkt), zone, false) +
                     scrub_section(ldns_pkt_authority(pkt), zone, false) +
                     scrub_section(ldns_pkt_additional(pkt), zone, true);

    ldns_pkt_set_ancount(pkt, (uint16_t)ldns_rr_list_rr_count(ldns_pkt_answer(pkt)));
    ldns_pkt_set_nscount(pkt, (uint16_t)ldns_rr_list_rr_count(ldns_pkt_authority(pkt)));
    ldns_pkt_set_arcount(pkt, (uint16_t)ldns_rr_list_rr_count(ldns_pkt_additional(pkt)));
    return dropped;
}

static void canonicalize_section(ldns_rr_list *list)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++)
        ldns_rr2canonical(ldns_rr_list_rr(list, i));
}

void response_canonicalize(ldns_pkt *pkt)
{
    canonicalize_section(ldns_pkt_answer(pkt));
    canonicalize_section(ldns_pkt_authority(pkt));
    canonicalize_section(ldns_pkt_additional(pkt));
}

ldns_rr_list *response_rrset(const ldns_pkt *pkt, ldns_pkt_section sec, const ldns_rdf *owner,
                             ldns_rr_type type)
{
    ldns_rr_list *section = ldns_pkt_get_section_clone(pkt, sec);
    ldns_rr_list *out = ldns_rr_list_new();

    for (size_t i = 0; section && out && i < ldns_rr_list_rr_count(section); i++) {
        ldns_rr *rr = ldns_rr_list_rr(section, i);
        ldns_rr_type t = ldns_rr_get_type(rr);
        bool match = type == LDNS_RR_TYPE_ANY ? t != LDNS_RR_TYPE_CNAME : t == type;
        if (match && ldns_dname_compare(ldns_rr_owner(rr), owner) == 0) {
            ldns_rr *copy = ldns_rr_clone(rr);
            if (!copy || !ldns_rr_list_push_rr(out, copy))
                ldns_rr_free(copy);
        }
    }
    ldns_rr_list_deep_free(section);
    if (out && ldns_rr_list_rr_count(out) == 0) {
        ldns_rr_list_free(out);
        return NULL;
    }
    return out;
}

enum response_referral response_referral(const ldns_pkt *pkt, const ldns_rdf *zone,
                                         const ldns_rdf *name, ldns_rr_list **ns)
{
    ldns_rr_list *auth = ldns_pkt_authority(pkt);
    const ldns_rdf *owner = NULL;

    *ns = NULL;
    if (ldns_rr_list_rr_count(ldns_pkt_answer(pkt)) > 0)
        return REFERRAL_NONE;
    for (size_t i = 0; i < ldns_rr_list_rr_count(auth) && !owner; i++)
        if (ldns_rr_get_type(ldns_rr_list_rr(auth, i)) == LDNS_RR_TYPE_NS)
            owner = ldns_rr_owner(ldns_rr_list_rr(auth, i));
    if (!owner)
        return REFERRAL_NONE;
    /* strictly below the zone (ldns_dname_is_subdomain says "TEST." is below "test.") */
    bool downward = ldns_dname_compare(owner, zone) != 0 && dname_at_or_below(owner, zone) &&
                    dname_at_or_below(name, owner);
    if (ldns_pkt_aa(pkt)) {
        /* Some servers set AA on referrals (Unbound accepts them); but NS records next to a
         * SOA, or for the zone itself, are an authoritative negative answer's decoration. */
        ldns_rr *soa = response_soa(pkt, name);
        bool referral = downward && !soa;
        ldns_rr_free(soa);
        if (!referral)
            return REFERRAL_NONE;
    } else if (!downward) {
        return REFERRAL_BAD;
    }
    *ns = response_rrset(pkt, LDNS_SECTION_AUTHORITY, owner, LDNS_RR_TYPE_NS);
    return *ns ? REFERRAL_DOWN : REFERRAL_BAD;
}

bool response_refers_upwards(const ldns_pkt *pkt, const ldns_rdf *zone)
{
    const ldns_rr_list *auth = ldns_pkt_authority(pkt);

    for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
        const ldns_rdf *owner = ldns_rr_owner(ldns_rr_list_rr(auth, i));
        if (ldns_rr_get_type(ldns_rr_list_rr(auth, i)) == LDNS_RR_TYPE_NS &&
            dname_at_or_below(zone, owner) && ldns_dname_compare(zone, owner) != 0)
            return true;
    }
    return false;
}

ldns_rr *response_soa(const ldns_pkt *pkt, const ldns_rdf *name)
{
    ldns_rr_list *auth = ldns_pkt_authority(pkt);

    for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(auth, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && dname_at_or_below(name, ldns_rr_owner(rr)))
            return ldns_rr_clone(rr);
    }
    return NULL;
}

/* True when rr is an RRSIG over the RRset (owner, type). */
static bool covers(const ldns_rr *rr, const ldns_rdf *owner, ldns_rr_type type)
{
    const ldns_rdf *covered;

    if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG || !(covered = ldns_rr_rrsig_typecovered(rr)) ||
        ldns_rdf_size(covered) != 2)
        return false;
    return ldns_rdf2rr_type(covered) == type && ldns_dname_compare(ldns_rr_owner(rr), owner) == 0;
}

static bool push_clone(ldns_rr_list *into, const ldns_rr *rr)
{
    ldns_rr *copy = rrlist_clone_rr(rr);     /* NULL also when a field failed to copy */

    if (copy && ldns_rr_list_push_rr(into, copy))
        return true;
    ldns_rr_free(copy);
    return false;
}

bool response_push_sigs(ldns_rr_list *into, const ldns_pkt *pkt, ldns_pkt_section sec,
                        const ldns_rdf *owner, ldns_rr_type type)
{
    const ldns_rr_list *list = sec == LDNS_SECTION_ANSWER ? ldns_pkt_answer(pkt)
                                                          : ldns_pkt_authority(pkt);

    for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++)
        if (covers(ldns_rr_list_rr(list, i), owner, type) &&
            !push_clone(into, ldns_rr_list_rr(list, i)))
            return false;
    return true;
}

/* A denial record (response_push_denial): NSEC, NSEC3, the SOA at soa's owner (soa not
 * NULL), or an RRSIG over one of them. */
static bool is_denial(const ldns_rr *rr, const ldns_rr *soa)
{
    const ldns_rr_type denial[] = { LDNS_RR_TYPE_NSEC, LDNS_RR_TYPE_NSEC3 };
    ldns_rr_type type = ldns_rr_get_type(rr);

    if (type == LDNS_RR_TYPE_NSEC || type == LDNS_RR_TYPE_NSEC3)
        return true;
    for (size_t i = 0; i < sizeof denial / sizeof denial[0]; i++)
        if (covers(rr, ldns_rr_owner(rr), denial[i]))
            return true;
    if (!soa)
        return false;
    return ldns_dname_compare(ldns_rr_owner(rr), ldns_rr_owner(soa)) == 0 &&
           (type == LDNS_RR_TYPE_SOA || covers(rr, ldns_rr_owner(soa), LDNS_RR_TYPE_SOA));
}

bool response_push_denial(ldns_rr_list *into, const ldns_pkt *pkt, const ldns_rr *soa)
{
    const ldns_rr_list *auth = ldns_pkt_authority(pkt);

    for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++)
        if (is_denial(ldns_rr_list_rr(auth, i), soa) && !push_clone(into, ldns_rr_list_rr(auth, i)))
            return false;
    return true;
}

static bool is_ns_target(const ldns_rr_list *ns, const ldns_rdf *name)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
        const ldns_rdf *target = ldns_rr_rdf(ldns_rr_list_rr(ns, i), 0);
        if (target && ldns_dname_compare(target, name) == 0)
            return true;
    }
    return false;
}

ldns_rr_list *response_glue(const ldns_pkt *pkt, ldns_pkt_section sec, const ldns_rr_list *ns)
{
    ldns_rr_list *section = ldns_pkt_get_section_clone(pkt, sec);
    ldns_rr_list *out = ldns_rr_list_new();

    for (size_t i = 0; section && out && i < ldns_rr_list_rr_count(section); i++) {
        ldns_rr *rr = ldns_rr_list_rr(section, i);
        ldns_rr_type t = ldns_rr_get_type(rr);
        if ((t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA) && is_ns_target(ns, ldns_rr_owner(rr))) {
            ldns_rr *copy = ldns_rr_clone(rr);
            if (!copy || !ldns_rr_list_push_rr(out, copy))
                ldns_rr_free(copy);
        }
    }
    ldns_rr_list_deep_free(section);
    if (out)
        ldns_rr_list_sort(out);
    return out;
}

/* Appends clones of list's RRs to section sec; false when out of memory. */
static bool push_section(ldns_pkt *pkt, ldns_pkt_section sec, const ldns_rr_list *list)
{
    for (size_t i = 0; list && i < ldns_rr_list_rr_count(list); i++) {
        ldns_rr *copy = rrlist_clone_rr(ldns_rr_list_rr(list, i));
        if (!copy || !ldns_pkt_push_rr(pkt, sec, copy)) {
            ldns_rr_free(copy);
            return false;
        }
    }
    return true;
}

uint8_t *response_build(const ldns_rdf *qname, ldns_rr_type qtype, ldns_rr_class qclass,
                        ldns_pkt_rcode rcode, const ldns_rr_list *answer,
                        const ldns_rr_list *authority, size_t *len)
{
    ldns_pkt *pkt = ldns_pkt_new();
    ldns_rr *question = ldns_rr_new();
    uint8_t *wire = NULL;

    if (!pkt || !question) {
        ldns_pkt_free(pkt);
        ldns_rr_free(question);
        return NULL;
    }
    ldns_rr_set_owner(question, ldns_rdf_clone(qname));
    ldns_rr_set_type(question, qtype);
    ldns_rr_set_class(question, qclass);
    ldns_rr_set_question(question, true);
    ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, question);
    ldns_pkt_set_qr(pkt, true);
    ldns_pkt_set_ra(pkt, true);
    ldns_pkt_set_rcode(pkt, rcode);
    if (!push_section(pkt, LDNS_SECTION_ANSWER, answer) ||
        !push_section(pkt, LDNS_SECTION_AUTHORITY, authority) ||
        ldns_pkt2wire(&wire, pkt, len) != LDNS_STATUS_OK)
        wire = NULL;
    ldns_pkt_free(pkt);
    return wire;
}
