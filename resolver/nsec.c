/* nsec.c -- NSEC denial proofs (see nsec.h).
 *
 * Every proof is built from two primitives: an NSEC that *matches* a name (its owner is
 * the name: the name exists, with the types of the bitmap) and one that *covers* it (the
 * name sorts strictly between owner and next: it does not exist). The closest encloser of
 * a name that does not exist is the longest ancestor it shares with the covering NSEC's
 * owner or next name; the wildcard that could have matched sits right below it. */
#include "nsec.h"

#include <string.h>

#include "dname.h"

static bool is_nsec_of(const ldns_rr *rr, const ldns_rdf *zone)
{
    return ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC && ldns_rr_rd_count(rr) == 2 &&
           ldns_rdf_get_type(ldns_rr_rdf(rr, 0)) == LDNS_RDF_TYPE_DNAME &&
           dname_at_or_below(ldns_rr_owner(rr), zone);
}

bool nsec_has_type(const ldns_rr *nsec, ldns_rr_type type)
{
    return ldns_rr_rd_count(nsec) == 2 && ldns_nsec_bitmap_covers_type(ldns_rr_rdf(nsec, 1), type);
}

bool nsec_covers(const ldns_rr *nsec, const ldns_rdf *name)
{
    const ldns_rdf *owner = ldns_rr_owner(nsec), *next = ldns_rr_rdf(nsec, 0);

    if (ldns_dname_compare(owner, next) < 0)
        return ldns_dname_compare(owner, name) < 0 && ldns_dname_compare(name, next) < 0;
    /* the zone's last NSEC: its next name is the apex, and it covers what sorts after it */
    return ldns_dname_compare(owner, name) < 0 || ldns_dname_compare(name, next) < 0;
}

/* RFC 6840 4.1: an NSEC at a zone cut (NS without SOA) or at a DNAME says nothing about
 * the names below its owner. */
static bool says_nothing_below(const ldns_rr *nsec, const ldns_rdf *name)
{
    const ldns_rdf *owner = ldns_rr_owner(nsec);

    return ldns_dname_is_subdomain(name, owner) &&
           ((nsec_has_type(nsec, LDNS_RR_TYPE_NS) && !nsec_has_type(nsec, LDNS_RR_TYPE_SOA)) ||
            nsec_has_type(nsec, LDNS_RR_TYPE_DNAME));
}

static const ldns_rr *find_covering(const ldns_rr_list *nsecs, const ldns_rdf *name,
                                    const ldns_rdf *zone)
{
    if (!dname_at_or_below(name, zone))
        return NULL;                /* the zone's NSECs speak only of its own names */
    for (size_t i = 0; nsecs && i < ldns_rr_list_rr_count(nsecs); i++) {
        const ldns_rr *n = ldns_rr_list_rr(nsecs, i);
        if (is_nsec_of(n, zone) && nsec_covers(n, name) && !says_nothing_below(n, name))
            return n;
    }
    return NULL;
}

static const ldns_rr *find_matching(const ldns_rr_list *nsecs, const ldns_rdf *name,
                                    const ldns_rdf *zone)
{
    for (size_t i = 0; nsecs && i < ldns_rr_list_rr_count(nsecs); i++) {
        const ldns_rr *n = ldns_rr_list_rr(nsecs, i);
        if (is_nsec_of(n, zone) && ldns_dname_compare(ldns_rr_owner(n), name) == 0)
            return n;
    }
    return NULL;
}

/* How many labels (from the root) a and b share. */
static uint8_t shared_labels(const ldns_rdf *a, const ldns_rdf *b)
{
    uint8_t na = ldns_dname_label_count(a), nb = ldns_dname_label_count(b);
    uint8_t n = na < nb ? na : nb;

    for (; n > 0; n--) {
        ldns_rdf *sa = ldns_dname_clone_from(a, na - n), *sb = ldns_dname_clone_from(b, nb - n);
        bool same = sa && sb && ldns_dname_compare(sa, sb) == 0;
        ldns_rdf_deep_free(sa);
        ldns_rdf_deep_free(sb);
        if (same)
            break;
    }
    return n;
}

/* "*." + the closest encloser of name, which `cover` covers; NULL when out of memory. */
static ldns_rdf *wildcard_at_encloser(const ldns_rdf *name, const ldns_rr *cover,
                                      const ldns_rdf *zone)
{
    uint8_t by_owner = shared_labels(name, ldns_rr_owner(cover));
    uint8_t by_next = shared_labels(name, ldns_rr_rdf(cover, 0));
    uint8_t ce_labels = by_owner > by_next ? by_owner : by_next;
    uint8_t zone_labels = ldns_dname_label_count(zone);
    uint8_t data[LDNS_MAX_DOMAINLEN + 3] = { 1, '*' };

    if (ce_labels < zone_labels)
        ce_labels = zone_labels;    /* an encloser above the zone: the apex's wildcard */
    ldns_rdf *ce = ldns_dname_clone_from(name, ldns_dname_label_count(name) - ce_labels);
    if (!ce || ldns_rdf_size(ce) + 2 > LDNS_MAX_DOMAINLEN + 1) {
        ldns_rdf_deep_free(ce);
        return NULL;
    }
    memcpy(data + 2, ldns_rdf_data(ce), ldns_rdf_size(ce));
    ldns_rdf *wild = ldns_dname_new_frm_data((uint16_t)(ldns_rdf_size(ce) + 2), data);
    ldns_rdf_deep_free(ce);
    return wild;
}

bool nsec_proves_nxdomain(const ldns_rr_list *nsecs, const ldns_rdf *qname,
                          const ldns_rdf *zone)
{
    const ldns_rr *cover = find_covering(nsecs, qname, zone);

    if (!cover || find_matching(nsecs, qname, zone))
        return false;
    ldns_rdf *wild = wildcard_at_encloser(qname, cover, zone);
    bool proven = wild && find_covering(nsecs, wild, zone) && !find_matching(nsecs, wild, zone);
    ldns_rdf_deep_free(wild);
    return proven;
}

/* The NSEC matching the name shows it without qtype (nor a CNAME), and is one that may say
 * so: a delegation's NSEC speaks only about the DS, the child's apex NSEC never about it. */
static bool matching_lacks(const ldns_rr *m, ldns_rr_type qtype)
{
    bool cut = nsec_has_type(m, LDNS_RR_TYPE_NS) && !nsec_has_type(m, LDNS_RR_TYPE_SOA);

    if (nsec_has_type(m, qtype) || nsec_has_type(m, LDNS_RR_TYPE_CNAME))
        return false;
    if (qtype == LDNS_RR_TYPE_DS)
        return !nsec_has_type(m, LDNS_RR_TYPE_SOA) || ldns_dname_label_count(ldns_rr_owner(m)) == 0;
    return !cut;
}

bool nsec_proves_nodata(const ldns_rr_list *nsecs, const ldns_rdf *qname, ldns_rr_type qtype,
                        const ldns_rdf *zone)
{
    const ldns_rr *m = find_matching(nsecs, qname, zone);

    if (m)
        return matching_lacks(m, qtype);
    const ldns_rr *cover = find_covering(nsecs, qname, zone);
    if (!cover)
        return false;
    /* an empty non-terminal: the NSEC's next name is below qname, so qname exists, empty */
    if (ldns_dname_is_subdomain(ldns_rr_rdf(cover, 0), qname))
        return true;
    ldns_rdf *wild = wildcard_at_encloser(qname, cover, zone);
    const ldns_rr *wm = wild ? find_matching(nsecs, wild, zone) : NULL;
    ldns_rdf_deep_free(wild);
    return wm && !nsec_has_type(wm, qtype) && !nsec_has_type(wm, LDNS_RR_TYPE_CNAME);
}

bool nsec_proves_wildcard_answer(const ldns_rr_list *nsecs, const ldns_rdf *qname,
                                 uint8_t labels, const ldns_rdf *zone)
{
    uint8_t n = ldns_dname_label_count(qname);

    if (labels >= n || labels < ldns_dname_label_count(zone))
        return false;
    ldns_rdf *next_closer = ldns_dname_clone_from(qname, n - (labels + 1));
    bool proven = next_closer && find_covering(nsecs, next_closer, zone);
    ldns_rdf_deep_free(next_closer);
    return proven;
}

bool nsec_proves_no_ds(const ldns_rr_list *nsecs, const ldns_rdf *name, const ldns_rdf *zone)
{
    const ldns_rr *m = find_matching(nsecs, name, zone);

    if (m)
        return nsec_has_type(m, LDNS_RR_TYPE_NS) && !nsec_has_type(m, LDNS_RR_TYPE_DS) &&
               !nsec_has_type(m, LDNS_RR_TYPE_SOA);
    return find_covering(nsecs, name, zone) != NULL;
}
