/* nsec3.c -- NSEC3 denial proofs (see nsec3.h).
 *
 * A proof is read in hashed space: an NSEC3 *matches* a name when its owner label is the
 * name's hash, and *covers* it when the hash sorts strictly between the owner's and the
 * next hash (raw bytes compare as their base32hex forms do). The closest encloser proof
 * (RFC 5155 8.3) walks from the name towards the zone: the first ancestor whose hash
 * matches is the closest encloser, and the name one label longer -- the next closer name
 * -- must be covered. Each name is hashed once per proof (the names are few and the hashes
 * are what the budget counts). */
#include "nsec3.h"

#include <string.h>

#include <openssl/evp.h>

#include "dname.h"
#include "wire.h"

#define HASH_LEN      20            /* SHA-1, the only NSEC3 hash algorithm (RFC 5155 11) */
#define HASH_SHA1     1
#define FLAG_OPT_OUT  0x01
#define B32_HASH_LEN  32            /* base32hex of 20 octets, no padding */
#define MAX_NAMES     16            /* hashes remembered in one proof */

/* NSEC3 rdata fields (RFC 5155 3.2) */
enum { F_ALG, F_FLAGS, F_ITERATIONS, F_SALT, F_NEXT, F_TYPES, F_COUNT };

struct params {
    uint16_t iterations;
    uint8_t salt_len;
    const uint8_t *salt;
};

struct proof {
    const ldns_rr_list *list;
    const ldns_rdf *zone;
    struct params p;
    struct nsec3_budget *budget;
    bool over_budget;
    size_t n_known;
    struct { ldns_rdf *name; uint8_t hash[HASH_LEN]; } known[MAX_NAMES];
};

int nsec3_hash(const uint8_t *name, size_t name_len, const uint8_t *salt, uint8_t salt_len,
               uint16_t iterations, uint8_t out[20])
{
    uint8_t buf[WIRE_MAX_NAME + 255];
    unsigned int len;

    if (name_len > WIRE_MAX_NAME)
        return -1;
    memcpy(buf, name, name_len);
    memcpy(buf + name_len, salt, salt_len);
    if (!EVP_Digest(buf, name_len + salt_len, out, &len, EVP_sha1(), NULL) || len != HASH_LEN)
        return -1;
    for (unsigned i = 0; i < iterations; i++) {
        memcpy(buf, out, HASH_LEN);
        memcpy(buf + HASH_LEN, salt, salt_len);
        if (!EVP_Digest(buf, HASH_LEN + salt_len, out, &len, EVP_sha1(), NULL))
            return -1;
    }
    return 0;
}

/* The owner's hash, from the base32hex first label; false when it is not one. */
static bool owner_hash(const ldns_rr *rr, uint8_t out[HASH_LEN])
{
    const uint8_t *d = ldns_rdf_data(ldns_rr_owner(rr));

    return d[0] == B32_HASH_LEN &&
           ldns_b32_pton_extended_hex((const char *)d + 1, B32_HASH_LEN, out, HASH_LEN) == HASH_LEN;
}

static const uint8_t *next_hash(const ldns_rr *rr)
{
    const ldns_rdf *next = ldns_rr_rdf(rr, F_NEXT);
    const uint8_t *d = ldns_rdf_data(next);

    return ldns_rdf_size(next) == HASH_LEN + 1 && d[0] == HASH_LEN ? d + 1 : NULL;
}

static void read_params(const ldns_rr *rr, struct params *p)
{
    const uint8_t *salt = ldns_rdf_data(ldns_rr_rdf(rr, F_SALT));

    p->iterations = ldns_rdf2native_int16(ldns_rr_rdf(rr, F_ITERATIONS));
    p->salt_len = salt[0];
    p->salt = salt + 1;
}

/* An NSEC3 of the zone we can read: SHA-1, no unknown flag, the owner one label below the
 * zone and a hash, the next hash 20 octets. */
static bool usable(const ldns_rr *rr, const ldns_rdf *zone)
{
    uint8_t hash[HASH_LEN];

    /* an empty type bitmap (an empty non-terminal) may come without its field */
    if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC3 ||
        (ldns_rr_rd_count(rr) != F_COUNT && ldns_rr_rd_count(rr) != F_TYPES) ||
        ldns_rdf2native_int8(ldns_rr_rdf(rr, F_ALG)) != HASH_SHA1 ||
        (ldns_rdf2native_int8(ldns_rr_rdf(rr, F_FLAGS)) & ~FLAG_OPT_OUT) ||
        ldns_rdf_size(ldns_rr_rdf(rr, F_SALT)) != 1u + ldns_rdf_data(ldns_rr_rdf(rr, F_SALT))[0] ||
        !next_hash(rr) || !owner_hash(rr, hash))
        return false;
    ldns_rdf *parent = ldns_dname_left_chop(ldns_rr_owner(rr));
    bool in_zone = parent && ldns_dname_compare(parent, zone) == 0;
    ldns_rdf_deep_free(parent);
    return in_zone;
}

static bool same_params(const ldns_rr *rr, const struct params *p)
{
    struct params q;

    read_params(rr, &q);
    return q.iterations == p->iterations && q.salt_len == p->salt_len &&
           memcmp(q.salt, p->salt, p->salt_len) == 0;
}

/* Sets up a proof on the usable records; false when there is none. */
static bool proof_begin(struct proof *pf, const ldns_rr_list *list, const ldns_rdf *zone,
                        struct nsec3_budget *budget)
{
    memset(pf, 0, sizeof *pf);
    pf->list = list;
    pf->zone = zone;
    pf->budget = budget;
    for (size_t i = 0; list && i < ldns_rr_list_rr_count(list); i++)
        if (usable(ldns_rr_list_rr(list, i), zone)) {
            read_params(ldns_rr_list_rr(list, i), &pf->p);
            return true;
        }
    return false;
}

static void proof_end(struct proof *pf)
{
    for (size_t i = 0; i < pf->n_known; i++)
        ldns_rdf_deep_free(pf->known[i].name);
}

/* The name's hash, computed once per proof; NULL when the budget is spent. */
static const uint8_t *hash_of(struct proof *pf, const ldns_rdf *name)
{
    uint8_t key[WIRE_MAX_NAME];
    size_t len;

    for (size_t i = 0; i < pf->n_known; i++)
        if (ldns_dname_compare(pf->known[i].name, name) == 0)
            return pf->known[i].hash;
    if (pf->n_known == MAX_NAMES || pf->budget->hashes_left == 0 ||
        dname_to_key(name, key, &len) != 0) {
        pf->over_budget = true;
        return NULL;
    }
    pf->budget->hashes_left--;
    size_t i = pf->n_known;
    if (nsec3_hash(key, len, pf->p.salt, pf->p.salt_len, pf->p.iterations, pf->known[i].hash) != 0 ||
        !(pf->known[i].name = ldns_rdf_clone(name)))
        return NULL;
    pf->n_known++;
    return pf->known[i].hash;
}

static bool covers_hash(const ldns_rr *rr, const uint8_t *h)
{
    uint8_t owner[HASH_LEN];
    const uint8_t *next = next_hash(rr);

    if (!owner_hash(rr, owner))
        return false;
    if (memcmp(owner, next, HASH_LEN) < 0)
        return memcmp(owner, h, HASH_LEN) < 0 && memcmp(h, next, HASH_LEN) < 0;
    return memcmp(owner, h, HASH_LEN) < 0 || memcmp(h, next, HASH_LEN) < 0;   /* the last */
}

static bool matches_hash(const ldns_rr *rr, const uint8_t *h)
{
    uint8_t owner[HASH_LEN];
    return owner_hash(rr, owner) && memcmp(owner, h, HASH_LEN) == 0;
}

/* The record of the proof's chain matching (or covering) name; NULL when none or over budget. */
static const ldns_rr *find(struct proof *pf, const ldns_rdf *name, bool covering)
{
    const uint8_t *h = hash_of(pf, name);

    for (size_t i = 0; h && i < ldns_rr_list_rr_count(pf->list); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(pf->list, i);
        if (usable(rr, pf->zone) && same_params(rr, &pf->p) &&
            (covering ? covers_hash(rr, h) : matches_hash(rr, h)))
            return rr;
    }
    return NULL;
}

static bool has_type(const ldns_rr *rr, ldns_rr_type t)
{
    return ldns_rr_rd_count(rr) > F_TYPES &&
           ldns_nsec_bitmap_covers_type(ldns_rr_rdf(rr, F_TYPES), t);
}

static bool opt_out(const ldns_rr *rr)
{
    return ldns_rdf2native_int8(ldns_rr_rdf(rr, F_FLAGS)) & FLAG_OPT_OUT;
}

/* The closest encloser proof for name: *ce (the caller frees it) and the NSEC3 covering the
 * next closer name. An encloser at a cut or a DNAME proves nothing below it (RFC 5155 8.3,
 * RFC 6840 4.1). */
static bool closest_encloser(struct proof *pf, const ldns_rdf *name, ldns_rdf **ce,
                             const ldns_rr **next_cover)
{
    ldns_rdf *closer = ldns_rdf_clone(name), *candidate = closer ? ldns_dname_left_chop(closer) : NULL;

    *ce = NULL;
    while (candidate && dname_at_or_below(candidate, pf->zone)) {
        const ldns_rr *m = find(pf, candidate, false);
        if (m) {
            bool cut = (has_type(m, LDNS_RR_TYPE_NS) && !has_type(m, LDNS_RR_TYPE_SOA)) ||
                       has_type(m, LDNS_RR_TYPE_DNAME);
            *next_cover = cut ? NULL : find(pf, closer, true);
            if (*next_cover) {
                *ce = candidate;
                ldns_rdf_deep_free(closer);
                return true;
            }
            break;
        }
        if (pf->over_budget)
            break;
        ldns_rdf_deep_free(closer);
        closer = candidate;
        candidate = ldns_dname_left_chop(closer);
    }
    ldns_rdf_deep_free(candidate);
    ldns_rdf_deep_free(closer);
    return false;
}

static ldns_rdf *wildcard_of(const ldns_rdf *ce)
{
    uint8_t data[WIRE_MAX_NAME + 2] = { 1, '*' };

    if (ldns_rdf_size(ce) + 2 > WIRE_MAX_NAME)
        return NULL;
    memcpy(data + 2, ldns_rdf_data(ce), ldns_rdf_size(ce));
    return ldns_dname_new_frm_data((uint16_t)(ldns_rdf_size(ce) + 2), data);
}

/* How a proof ended: the budget and the iteration cap first. */
static enum nsec3_result verdict(struct proof *pf, bool proven)
{
    enum nsec3_result r = pf->over_budget && !proven ? NSEC3_OVER_BUDGET
                        : proven ? NSEC3_PROVEN : NSEC3_NOT_PROVEN;
    proof_end(pf);
    return r;
}

/* Starts a proof; NSEC3_PROVEN to go on, else how it ends before any hashing. */
static enum nsec3_result start(struct proof *pf, const ldns_rr_list *list, const ldns_rdf *name,
                               const ldns_rdf *zone, struct nsec3_budget *budget)
{
    if (!dname_at_or_below(name, zone) || !proof_begin(pf, list, zone, budget))
        return NSEC3_NOT_PROVEN;
    if (pf->p.iterations > NSEC3_MAX_ITERATIONS)
        return NSEC3_INSECURE;      /* RFC 9276 3.2: too costly to check, treat as unsigned */
    return NSEC3_PROVEN;
}

enum nsec3_result nsec3_prove_nxdomain(const ldns_rr_list *nsec3s, const ldns_rdf *qname,
                                       const ldns_rdf *zone, struct nsec3_budget *budget)
{
    struct proof pf;
    enum nsec3_result r = start(&pf, nsec3s, qname, zone, budget);
    ldns_rdf *ce = NULL, *wild = NULL;
    const ldns_rr *next_cover;

    if (r != NSEC3_PROVEN)
        return r;
    bool proven = closest_encloser(&pf, qname, &ce, &next_cover) && (wild = wildcard_of(ce)) &&
                  find(&pf, wild, true);
    bool unsigned_span = proven && opt_out(next_cover);
    ldns_rdf_deep_free(ce);
    ldns_rdf_deep_free(wild);
    if (unsigned_span) {            /* an unsigned delegation may hide there (RFC 5155 9.2) */
        proof_end(&pf);
        return NSEC3_INSECURE;
    }
    return verdict(&pf, proven);
}

static bool matching_lacks(const ldns_rr *m, ldns_rr_type qtype)
{
    bool cut = has_type(m, LDNS_RR_TYPE_NS) && !has_type(m, LDNS_RR_TYPE_SOA);

    if (has_type(m, qtype) || has_type(m, LDNS_RR_TYPE_CNAME))
        return false;
    return qtype == LDNS_RR_TYPE_DS ? !has_type(m, LDNS_RR_TYPE_SOA) : !cut;
}

enum nsec3_result nsec3_prove_nodata(const ldns_rr_list *nsec3s, const ldns_rdf *qname,
                                     ldns_rr_type qtype, const ldns_rdf *zone,
                                     struct nsec3_budget *budget)
{
    struct proof pf;
    enum nsec3_result r = start(&pf, nsec3s, qname, zone, budget);
    ldns_rdf *ce = NULL, *wild = NULL;
    const ldns_rr *m, *next_cover;

    if (r != NSEC3_PROVEN)
        return r;
    if ((m = find(&pf, qname, false)))
        return verdict(&pf, matching_lacks(m, qtype));
    bool enclosed = closest_encloser(&pf, qname, &ce, &next_cover);
    /* wildcard NODATA (RFC 5155 8.7): the encloser's wildcard matches, without the type */
    bool proven = enclosed && (wild = wildcard_of(ce)) && (m = find(&pf, wild, false)) &&
                  !has_type(m, qtype) && !has_type(m, LDNS_RR_TYPE_CNAME);
    ldns_rdf_deep_free(ce);
    ldns_rdf_deep_free(wild);
    if (enclosed && opt_out(next_cover)) {
        /* the name may be an unsigned delegation in an opt-out span (RFC 5155 8.6, 9.2):
         * nothing is proven either way, the answer is insecure */
        proof_end(&pf);
        return NSEC3_INSECURE;
    }
    return verdict(&pf, proven);
}

enum nsec3_result nsec3_prove_wildcard_answer(const ldns_rr_list *nsec3s, const ldns_rdf *qname,
                                              uint8_t labels, const ldns_rdf *zone,
                                              struct nsec3_budget *budget)
{
    struct proof pf;
    enum nsec3_result r = start(&pf, nsec3s, qname, zone, budget);
    uint8_t n = ldns_dname_label_count(qname);

    if (r != NSEC3_PROVEN)
        return r;
    if (labels >= n || labels < ldns_dname_label_count(zone))
        return verdict(&pf, false);
    ldns_rdf *next_closer = ldns_dname_clone_from(qname, n - (labels + 1));
    const ldns_rr *cover = next_closer ? find(&pf, next_closer, true) : NULL;
    ldns_rdf_deep_free(next_closer);
    if (cover && opt_out(cover)) {  /* an unsigned delegation may hide there (RFC 5155 9.2) */
        proof_end(&pf);
        return NSEC3_INSECURE;
    }
    return verdict(&pf, cover != NULL);
}

enum nsec3_result nsec3_prove_no_ds(const ldns_rr_list *nsec3s, const ldns_rdf *name,
                                    const ldns_rdf *zone, struct nsec3_budget *budget)
{
    struct proof pf;
    enum nsec3_result r = start(&pf, nsec3s, name, zone, budget);
    ldns_rdf *ce = NULL;
    const ldns_rr *m, *next_cover;

    if (r != NSEC3_PROVEN)
        return r;
    if ((m = find(&pf, name, false)))
        return verdict(&pf, has_type(m, LDNS_RR_TYPE_NS) && !has_type(m, LDNS_RR_TYPE_DS) &&
                                !has_type(m, LDNS_RR_TYPE_SOA));
    /* no exact match: only an opt-out span over the next closer name leaves it unsigned */
    bool spanned = closest_encloser(&pf, name, &ce, &next_cover) && opt_out(next_cover);
    ldns_rdf_deep_free(ce);
    if (spanned) {
        proof_end(&pf);
        return NSEC3_INSECURE;
    }
    return verdict(&pf, false);
}
