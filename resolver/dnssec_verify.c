/* dnssec_verify.c -- RRSIG and DS checks on top of ldns (see dnssec_verify.h).
 *
 * One signature is judged in two steps: the checks of our own (signer, key, labels, time),
 * which cost nothing and explain a failure precisely, then the crypto, which draws on the
 * budget. An RRset is secure as soon as one signature verifies; when none does, the reason
 * kept is the one that got furthest (a bad signature says more than an expired one, which
 * says more than no matching key), so the EDE names what an operator should fix. */
#include "dnssec_verify.h"

#include "dname.h"
#include "ede.h"

#define DNSKEY_FLAG_ZONE   0x0100
#define DNSKEY_FLAG_REVOKE 0x0080
#define DNSKEY_PROTOCOL    3

/* RRSIG rdata fields (RFC 4034 3.1) */
enum { SIG_COVERED, SIG_ALG, SIG_LABELS, SIG_ORIG_TTL, SIG_EXPIRES, SIG_INCEPTION, SIG_TAG,
       SIG_SIGNER, SIG_FIELDS = 9 };

bool dnssec_algorithm_supported(uint8_t algorithm)
{
    switch (algorithm) {
    case LDNS_RSASHA1: case LDNS_RSASHA1_NSEC3: case LDNS_RSASHA256: case LDNS_RSASHA512:
    case LDNS_ECDSAP256SHA256: case LDNS_ECDSAP384SHA384: case LDNS_ED25519: case LDNS_ED448:
        return true;
    default:
        return false;
    }
}

bool dnssec_digest_supported(uint8_t digest_type)
{
    return digest_type == LDNS_SHA1 || digest_type == LDNS_SHA256 || digest_type == LDNS_SHA384;
}

static uint8_t field8(const ldns_rr *rr, size_t i) { return ldns_rdf2native_int8(ldns_rr_rdf(rr, i)); }
static uint16_t field16(const ldns_rr *rr, size_t i) { return ldns_rdf2native_int16(ldns_rr_rdf(rr, i)); }
static uint32_t field32(const ldns_rr *rr, size_t i) { return ldns_rdf2native_int32(ldns_rr_rdf(rr, i)); }

bool dnssec_ds_matches(const ldns_rr *ds, const ldns_rr *dnskey)
{
    if (ldns_rr_get_type(ds) != LDNS_RR_TYPE_DS || ldns_rr_rd_count(ds) != 4 ||
        ldns_rr_get_type(dnskey) != LDNS_RR_TYPE_DNSKEY || ldns_rr_rd_count(dnskey) != 4 ||
        !dnssec_digest_supported(field8(ds, 2)) ||
        ldns_dname_compare(ldns_rr_owner(ds), ldns_rr_owner(dnskey)) != 0)
        return false;
    ldns_rr *computed = ldns_key_rr2ds(dnskey, (ldns_hash)field8(ds, 2));
    bool same = computed && ldns_rr_rd_count(computed) == 4;
    for (size_t i = 0; same && i < 4; i++)
        same = ldns_rdf_compare(ldns_rr_rdf(computed, i), ldns_rr_rdf(ds, i)) == 0;
    ldns_rr_free(computed);
    return same;
}

/* A key this signature may have been made with: the signer's zone key, same algorithm
 * and tag, protocol 3, not revoked. */
static bool key_fits(const ldns_rr *key, const ldns_rr *sig)
{
    if (ldns_rr_get_type(key) != LDNS_RR_TYPE_DNSKEY || ldns_rr_rd_count(key) != 4)
        return false;
    uint16_t flags = field16(key, 0);
    return (flags & DNSKEY_FLAG_ZONE) && !(flags & DNSKEY_FLAG_REVOKE) &&
           field8(key, 1) == DNSKEY_PROTOCOL && field8(key, 2) == field8(sig, SIG_ALG) &&
           ldns_calc_keytag(key) == field16(sig, SIG_TAG) &&
           ldns_dname_compare(ldns_rr_owner(key), ldns_rr_rdf(sig, SIG_SIGNER)) == 0;
}

/* Owner labels without a leading "*" (RFC 4034 3.1.3). */
static uint8_t owner_labels(const ldns_rdf *owner)
{
    uint8_t n = ldns_dname_label_count(owner);
    const uint8_t *d = ldns_rdf_data(owner);

    return n > 0 && ldns_rdf_size(owner) > 1 && d[0] == 1 && d[1] == '*' ? n - 1 : n;
}

/* Why a signature did not do; rank orders the failures by how far the signature got, so
 * the reason kept for the RRset is the most telling one. */
struct failure {
    int rank;                       /* 0: no failure */
    int ede;
    const char *why;
};

static void keep_failure(struct verdict *out, struct failure f, int *best_rank)
{
    if (f.rank == 0 || f.rank < *best_rank)
        return;
    *best_rank = f.rank;
    out->status = SEC_BOGUS;
    out->ede = f.ede;
    out->why = f.why;
}

/* Our own checks of one RRSIG over rrset, before any crypto. */
static struct failure precheck(const ldns_rr *sig, const ldns_rr_list *rrset,
                               const ldns_rdf *signer, time_t now)
{
    const ldns_rdf *owner = ldns_rr_owner(ldns_rr_list_rr(rrset, 0));
    uint32_t now32 = (uint32_t)now;

    if (!dnssec_algorithm_supported(field8(sig, SIG_ALG)))
        return (struct failure){ 1, EDE_UNSUPPORTED_DNSKEY_ALG, "signed only with algorithms not supported" };
    if (ldns_dname_compare(ldns_rr_rdf(sig, SIG_SIGNER), signer) != 0 ||
        !dname_at_or_below(owner, signer))
        return (struct failure){ 2, EDE_DNSSEC_BOGUS, "the signer is not the zone of the data" };
    if (field8(sig, SIG_LABELS) > owner_labels(owner))
        return (struct failure){ 2, EDE_DNSSEC_BOGUS, "the RRSIG labels field exceeds the owner's" };
    if ((int32_t)(now32 - field32(sig, SIG_INCEPTION)) < 0)
        return (struct failure){ 3, EDE_SIGNATURE_NOT_YET_VALID, "signature not yet valid" };
    if ((int32_t)(field32(sig, SIG_EXPIRES) - now32) < 0)
        return (struct failure){ 3, EDE_SIGNATURE_EXPIRED, "signature expired" };
    return (struct failure){ 0, EDE_NONE, NULL };
}

/* The TTL a verified RRset may be kept for (RFC 4035 5.3.3): no longer than its own TTL,
 * the original TTL, or the signature's remaining validity. */
static uint32_t secure_ttl(const ldns_rr_list *rrset, const ldns_rr *sig, time_t now)
{
    uint32_t ttl = field32(sig, SIG_ORIG_TTL);
    uint32_t left = field32(sig, SIG_EXPIRES) - (uint32_t)now;

    for (size_t i = 0; i < ldns_rr_list_rr_count(rrset); i++)
        if (ldns_rr_ttl(ldns_rr_list_rr(rrset, i)) < ttl)
            ttl = ldns_rr_ttl(ldns_rr_list_rr(rrset, i));
    return left < ttl ? left : ttl;
}

static bool covers(const ldns_rr *sig, const ldns_rr *data)
{
    return ldns_rr_get_type(sig) == LDNS_RR_TYPE_RRSIG && ldns_rr_rd_count(sig) == SIG_FIELDS &&
           ldns_rdf2rr_type(ldns_rr_rdf(sig, SIG_COVERED)) == ldns_rr_get_type(data) &&
           ldns_rr_get_class(sig) == ldns_rr_get_class(data) &&
           ldns_dname_compare(ldns_rr_owner(sig), ldns_rr_owner(data)) == 0;
}

#define LIMIT_FAILURE ((struct failure){ 5, EDE_DNSSEC_BOGUS, \
                                          "too many signature verifications (KeyTrap limit)" })

/* Tries the keys that fit one signature; true when one verifies it. */
static bool try_keys(const ldns_rr_list *rrset, ldns_rr *sig, const ldns_rr_list *keys,
                     time_t now, struct verify_budget *budget, unsigned *attempts,
                     struct verdict *out, int *best)
{
    bool any_key = false;

    for (size_t k = 0; k < ldns_rr_list_rr_count(keys); k++) {
        ldns_rr *key = ldns_rr_list_rr(keys, k);
        if (!key_fits(key, sig))
            continue;
        any_key = true;
        if (*attempts >= VERIFY_MAX_PER_RRSET || budget->left == 0) {
            keep_failure(out, LIMIT_FAILURE, best);
            return false;
        }
        (*attempts)++;
        budget->left--;
        budget->used++;
        /* ldns takes non-const lists; it verifies a canonical copy of the RRset */
        if (ldns_verify_rrsig_time((ldns_rr_list *)rrset, sig, key, now) == LDNS_STATUS_OK)
            return true;
        keep_failure(out, (struct failure){ 4, EDE_DNSSEC_BOGUS, "signature does not verify" }, best);
    }
    if (!any_key)
        keep_failure(out, (struct failure){ 2, EDE_DNSKEY_MISSING, "no key of the zone matches the signature" }, best);
    return false;
}

void dnssec_verify_rrset(const ldns_rr_list *rrset, const ldns_rr_list *sigs,
                         const ldns_rr_list *keys, const ldns_rdf *signer, time_t now,
                         struct verify_budget *budget, struct verdict *out)
{
    int best = 0;
    unsigned attempts = 0;

    *out = (struct verdict){ SEC_BOGUS, EDE_RRSIGS_MISSING, "no signature covers the data", 0, 0, false };
    if (!rrset || ldns_rr_list_rr_count(rrset) == 0) {
        out->why = "nothing to verify";
        out->ede = EDE_DNSSEC_BOGUS;
        return;
    }
    const ldns_rr *first = ldns_rr_list_rr(rrset, 0);
    for (size_t i = 0; sigs && i < ldns_rr_list_rr_count(sigs); i++) {
        ldns_rr *sig = ldns_rr_list_rr(sigs, i);
        if (!covers(sig, first))
            continue;
        struct failure f = precheck(sig, rrset, signer, now);
        if (f.rank) {
            keep_failure(out, f, &best);
            continue;
        }
        if (!try_keys(rrset, sig, keys, now, budget, &attempts, out, &best)) {
            if (best == LIMIT_FAILURE.rank)
                return;             /* out of budget: no more work for this RRset */
            continue;
        }
        uint8_t labels = field8(sig, SIG_LABELS);
        *out = (struct verdict){ SEC_SECURE, EDE_NONE, "signature verified",
                                 secure_ttl(rrset, sig, now), labels,
                                 labels < owner_labels(ldns_rr_owner(first)) };
        return;
    }
}

/* The keys of dnskeys that a DS of ds or an anchor key vouches for; NULL when out of memory.
 * *usable tells whether any DS (or anchor) had an algorithm and digest we support. */
static ldns_rr_list *vouched_keys(const ldns_rr_list *dnskeys, const ldns_rr_list *ds,
                                  const ldns_rr_list *anchor_keys, bool *usable,
                                  unsigned *ds_fails)
{
    ldns_rr_list *trusted = ldns_rr_list_new();

    *usable = anchor_keys && ldns_rr_list_rr_count(anchor_keys) > 0;
    for (size_t i = 0; trusted && ds && i < ldns_rr_list_rr_count(ds); i++) {
        const ldns_rr *d = ldns_rr_list_rr(ds, i);
        if (ldns_rr_rd_count(d) != 4 || !dnssec_algorithm_supported(field8(d, 1)) ||
            !dnssec_digest_supported(field8(d, 2)))
            continue;
        *usable = true;
        bool matched = false;
        for (size_t k = 0; k < ldns_rr_list_rr_count(dnskeys); k++) {
            ldns_rr *key = ldns_rr_list_rr(dnskeys, k);
            if (!dnssec_ds_matches(d, key))
                continue;
            matched = true;
            if (!ldns_rr_list_contains_rr(trusted, key))
                ldns_rr_list_push_rr(trusted, key);
        }
        if (!matched && ++*ds_fails >= VERIFY_MAX_DS_FAILS)
            break;
    }
    for (size_t i = 0; trusted && anchor_keys && i < ldns_rr_list_rr_count(anchor_keys); i++)
        for (size_t k = 0; k < ldns_rr_list_rr_count(dnskeys); k++)
            if (ldns_rr_compare(ldns_rr_list_rr(anchor_keys, i), ldns_rr_list_rr(dnskeys, k)) == 0 &&
                !ldns_rr_list_contains_rr(trusted, ldns_rr_list_rr(dnskeys, k)))
                ldns_rr_list_push_rr(trusted, ldns_rr_list_rr(dnskeys, k));
    return trusted;
}

void dnssec_verify_dnskeys(const ldns_rr_list *dnskeys, const ldns_rr_list *sigs,
                           const ldns_rr_list *ds, const ldns_rr_list *anchor_keys,
                           const ldns_rdf *zone, time_t now, struct verify_budget *budget,
                           struct verdict *out)
{
    bool usable;
    unsigned ds_fails = 0;
    ldns_rr_list *trusted = dnskeys ? vouched_keys(dnskeys, ds, anchor_keys, &usable, &ds_fails)
                                    : NULL;

    if (!trusted) {
        *out = (struct verdict){ SEC_BOGUS, EDE_DNSKEY_MISSING, "no DNSKEY set", 0, 0, false };
    } else if (!usable) {
        /* nothing we can check: the zone is as good as unsigned (RFC 6840 5.2) */
        *out = (struct verdict){ SEC_INSECURE, EDE_UNSUPPORTED_DNSKEY_ALG,
                                 "no DS with a supported algorithm and digest", 0, 0, false };
    } else if (ldns_rr_list_rr_count(trusted) == 0) {
        *out = (struct verdict){ SEC_BOGUS, EDE_DNSKEY_MISSING,
                                 ds_fails >= VERIFY_MAX_DS_FAILS ? "too many DS records match no key"
                                                                 : "no DNSKEY matches the DS",
                                 0, 0, false };
    } else {
        dnssec_verify_rrset(dnskeys, sigs, trusted, zone, now, budget, out);
    }
    ldns_rr_list_free(trusted);     /* the records are dnskeys' own */
}
