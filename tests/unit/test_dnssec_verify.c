/* test_dnssec_verify.c -- unit tests for resolver/dnssec_verify.c with keys made here
 * (never committed signed data that expires): a good signature, each check of our own
 * (signer, key owner and flags, labels, validity period), bad crypto, wildcard expansion,
 * the TTL cap, the KeyTrap budget, and DNSKEY sets vouched for by DS or by an anchor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnssec_verify.h"
#include "ede.h"
#include "tap.h"
#include "ldns_test.h"

static time_t now;

struct zone_key {
    ldns_key *key;
    ldns_rr *dnskey;
};

static struct zone_key make_key(const char *zone, ldns_signing_algorithm alg, uint16_t bits,
                                uint16_t flags)
{
    struct zone_key z;
    z.key = ldns_key_new_frm_algorithm(alg, bits);
    if (!z.key)
        exit(2);
    ldns_key_set_pubkey_owner(z.key, dname(zone));
    ldns_key_set_flags(z.key, flags);
    z.dnskey = ldns_key2rr(z.key);
    if (!z.dnskey)
        exit(2);
    ldns_key_set_keytag(z.key, ldns_calc_keytag(z.dnskey));
    return z;
}

static void free_key(struct zone_key *z)
{
    ldns_key_deep_free(z->key);
    ldns_rr_free(z->dnskey);
}

static ldns_rr_list *list_of(const char *const *texts)
{
    ldns_rr_list *l = ldns_rr_list_new();
    for (size_t i = 0; texts[i]; i++)
        ldns_rr_list_push_rr(l, rr(texts[i]));
    return l;
}

/* Signatures over rrset by z, valid from now+from to now+until. */
static ldns_rr_list *sign(const ldns_rr_list *rrset, struct zone_key *z, long from, long until)
{
    ldns_key_list *keys = ldns_key_list_new();
    ldns_key_set_inception(z->key, (uint32_t)(now + from));
    ldns_key_set_expiration(z->key, (uint32_t)(now + until));
    ldns_key_list_push_key(keys, z->key);
    ldns_rr_list *sigs = ldns_sign_public((ldns_rr_list *)rrset, keys);
    ldns_key_list_set_key_count(keys, 0);  /* the key is z's: the list must not free it */
    ldns_key_list_free(keys);
    if (!sigs)
        exit(2);
    return sigs;
}

static ldns_rr_list *one(ldns_rr *r)
{
    ldns_rr_list *l = ldns_rr_list_new();
    ldns_rr_list_push_rr(l, r);
    return l;
}

static struct verdict check(const ldns_rr_list *rrset, const ldns_rr_list *sigs,
                            const ldns_rr_list *keys, const char *signer,
                            struct verify_budget *b)
{
    struct verdict v;
    ldns_rdf *s = dname(signer);
    dnssec_verify_rrset(rrset, sigs, keys, s, now, b, &v);
    ldns_rdf_deep_free(s);
    return v;
}

static void test_rrset(ldns_signing_algorithm alg, uint16_t bits, const char *name)
{
    static const char *const data[] = { "www.example.test. 3600 IN A 192.0.2.1",
                                        "www.example.test. 3600 IN A 192.0.2.2", NULL };
    struct zone_key z = make_key("example.test.", alg, bits, 257);
    struct zone_key other = make_key("example.test.", alg, bits, 256);
    ldns_rr_list *rrset = list_of(data), *keys = one(ldns_rr_clone(z.dnskey));
    ldns_rr_list *wrong_keys = one(ldns_rr_clone(other.dnskey));
    struct verify_budget b = { 100, 0 };
    struct verdict v;

    ldns_rr_list *sigs = sign(rrset, &z, -60, 86400);
    v = check(rrset, sigs, keys, "example.test.", &b);
    is_int(v.status, SEC_SECURE, name);
    is_int(v.ttl, 3600, "... its TTL is the RRset's");
    ok(!v.wildcard, "... not a wildcard expansion");
    is_int(b.used, 1, "... one verification");

    v = check(rrset, sigs, keys, "test.", &b);
    is_int(v.ede, EDE_DNSSEC_BOGUS, "a signer that is not the zone asked for: bogus");
    v = check(rrset, sigs, wrong_keys, "example.test.", &b);
    is_int(v.ede, EDE_DNSKEY_MISSING, "keys without the signing one: DNSKEY Missing");
    v = check(rrset, NULL, keys, "example.test.", &b);
    is_int(v.ede, EDE_RRSIGS_MISSING, "no RRSIG: RRSIGs Missing");

    ldns_rr *changed = rr("www.example.test. 3600 IN A 192.0.2.99");
    ldns_rr *orig = ldns_rr_list_set_rr(rrset, changed, 1);
    b.used = 0;
    v = check(rrset, sigs, keys, "example.test.", &b);
    is_int(v.ede, EDE_DNSSEC_BOGUS, "changed data: bogus");
    is_str(v.why, "signature does not verify", "... the signature does not verify");
    ldns_rr_free(ldns_rr_list_set_rr(rrset, orig, 1));
    ldns_rr_list_deep_free(sigs);

    b.used = 0;
    sigs = sign(rrset, &z, -7200, -60);
    v = check(rrset, sigs, keys, "example.test.", &b);
    is_int(v.ede, EDE_SIGNATURE_EXPIRED, "an expired signature: Signature Expired");
    is_int(b.used, 0, "... found without any crypto");
    ldns_rr_list_deep_free(sigs);
    sigs = sign(rrset, &z, 3600, 7200);
    v = check(rrset, sigs, keys, "example.test.", &b);
    is_int(v.ede, EDE_SIGNATURE_NOT_YET_VALID, "a signature from the future: Not Yet Valid");
    ldns_rr_list_deep_free(sigs);
    sigs = sign(rrset, &z, -60, 100);
    v = check(rrset, sigs, keys, "example.test.", &b);
    ok(v.status == SEC_SECURE && v.ttl <= 100 && v.ttl >= 98,
       "a signature expiring in 100 s caps the TTL (%u)", v.ttl);
    ldns_rr_list_deep_free(sigs);

    ldns_rr_list_deep_free(rrset);
    ldns_rr_list_deep_free(keys);
    ldns_rr_list_deep_free(wrong_keys);
    free_key(&z);
    free_key(&other);
}

static void test_wildcard_and_keys(void)
{
    static const char *const wild[] = { "*.example.test. 300 IN TXT \"w\"", NULL };
    struct zone_key z = make_key("example.test.", LDNS_SIGN_ED25519, 256, 257);
    ldns_rr_list *rrset = list_of(wild), *keys = one(ldns_rr_clone(z.dnskey));
    ldns_rr_list *sigs = sign(rrset, &z, -60, 86400);
    struct verify_budget b = { 100, 0 };
    ldns_rdf *expanded = dname("a.b.example.test.");

    ldns_rr *records[] = { ldns_rr_list_rr(rrset, 0), ldns_rr_list_rr(sigs, 0) };
    for (int i = 0; i < 2; i++) {       /* ldns_rr_set_owner does not free the old owner */
        ldns_rdf_deep_free(ldns_rr_owner(records[i]));
        ldns_rr_set_owner(records[i], ldns_rdf_clone(expanded));
    }
    struct verdict v = check(rrset, sigs, keys, "example.test.", &b);
    is_int(v.status, SEC_SECURE, "a wildcard expansion verifies");
    ok(v.wildcard && v.sig_labels == 2, "... and is marked one (labels %u)", v.sig_labels);
    ldns_rdf_deep_free(expanded);

    /* the key flags: a revoked key, a key without the zone flag */
    ldns_rr_list *rev = one(ldns_rr_clone(z.dnskey));
    ldns_rdf *flags = ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 257 | 0x80);
    ldns_rdf_deep_free(ldns_rr_set_rdf(ldns_rr_list_rr(rev, 0), flags, 0));
    v = check(rrset, sigs, rev, "example.test.", &b);
    is_int(v.ede, EDE_DNSKEY_MISSING, "a revoked key is not used");
    ldns_rr_list_deep_free(rev);

    /* KeyTrap: twenty signatures with the key's tag that all fail cost at most eight */
    ldns_rr_list *many = ldns_rr_list_new();
    for (int i = 0; i < 20; i++) {
        ldns_rr *s = ldns_rr_clone(ldns_rr_list_rr(sigs, 0));
        ldns_rdf *sig = ldns_rr_rdf(s, 8);
        ldns_rdf_data(sig)[0] ^= (uint8_t)(i + 1);
        ldns_rr_list_push_rr(many, s);
    }
    b.used = 0;
    v = check(rrset, many, keys, "example.test.", &b);
    is_int(b.used, VERIFY_MAX_PER_RRSET, "twenty bad signatures: eight verifications at most");
    ok(v.status == SEC_BOGUS && strstr(v.why, "KeyTrap"), "... then bogus by the limit (%s)", v.why);
    b.left = 0;
    b.used = 0;
    v = check(rrset, sigs, keys, "example.test.", &b);
    ok(v.status == SEC_BOGUS && b.used == 0, "an exhausted question budget does no crypto at all");
    ldns_rr_list_deep_free(many);
    ldns_rr_list_deep_free(sigs);
    ldns_rr_list_deep_free(rrset);
    ldns_rr_list_deep_free(keys);
    free_key(&z);
}

static struct verdict check_keys(const ldns_rr_list *dnskeys, const ldns_rr_list *sigs,
                                 const ldns_rr_list *ds, const ldns_rr_list *anchors)
{
    struct verify_budget b = { 100, 0 };
    struct verdict v;
    ldns_rdf *zone = dname("example.test.");
    dnssec_verify_dnskeys(dnskeys, sigs, ds, anchors, zone, now, &b, &v);
    ldns_rdf_deep_free(zone);
    return v;
}

static void test_dnskeys(void)
{
    struct zone_key ksk = make_key("example.test.", LDNS_SIGN_ECDSAP256SHA256, 256, 257);
    struct zone_key zsk = make_key("example.test.", LDNS_SIGN_ECDSAP256SHA256, 256, 256);
    ldns_rr_list *dnskeys = ldns_rr_list_new();
    ldns_rr_list_push_rr(dnskeys, ldns_rr_clone(ksk.dnskey));
    ldns_rr_list_push_rr(dnskeys, ldns_rr_clone(zsk.dnskey));
    ldns_rr_list *sigs = sign(dnskeys, &ksk, -60, 86400);
    ldns_rr_list *ds = one(ldns_key_rr2ds(ksk.dnskey, LDNS_SHA256));
    ldns_rr_list *zsk_ds = one(ldns_key_rr2ds(zsk.dnskey, LDNS_SHA256));

    ok(dnssec_ds_matches(ldns_rr_list_rr(ds, 0), ksk.dnskey), "a DS matches its key");
    ok(!dnssec_ds_matches(ldns_rr_list_rr(ds, 0), zsk.dnskey), "... and not another");
    is_int(check_keys(dnskeys, sigs, ds, NULL).status, SEC_SECURE, "a DNSKEY set vouched for by DS");
    struct verdict v = check_keys(dnskeys, sigs, zsk_ds, NULL);
    is_int(v.status, SEC_BOGUS, "the DS of a key that did not sign the set: bogus");
    ldns_rr_list *anchor = one(ldns_rr_clone(ksk.dnskey));
    is_int(check_keys(dnskeys, sigs, NULL, anchor).status, SEC_SECURE,
           "a DNSKEY set vouched for by a DNSKEY anchor");

    ldns_rr_list *other_ds = one(rr("example.test. IN DS 1 13 2 "
                                    "0000000000000000000000000000000000000000000000000000000000000000"));
    v = check_keys(dnskeys, sigs, other_ds, NULL);
    ok(v.status == SEC_BOGUS && v.ede == EDE_DNSKEY_MISSING, "a DS that matches no key: DNSKEY Missing");
    ldns_rr_list *dsa_ds = one(rr("example.test. IN DS 1 3 2 "
                                  "0000000000000000000000000000000000000000000000000000000000000000"));
    is_int(check_keys(dnskeys, sigs, dsa_ds, NULL).status, SEC_INSECURE,
           "only a DSA DS: insecure, never bogus (RFC 6840 5.2)");
    ldns_rr_list *gost_ds = one(rr("example.test. IN DS 1 13 3 "
                                   "0000000000000000000000000000000000000000000000000000000000000000"));
    is_int(check_keys(dnskeys, sigs, gost_ds, NULL).status, SEC_INSECURE,
           "only a GOST digest: insecure");
    ldns_rr_list_push_rr(gost_ds, ldns_rr_clone(ldns_rr_list_rr(ds, 0)));
    is_int(check_keys(dnskeys, sigs, gost_ds, NULL).status, SEC_SECURE,
           "a GOST DS beside a SHA-256 one: the usable one decides");

    ldns_rr_list *five_bad = ldns_rr_list_new();
    for (int i = 0; i < 5; i++)
        ldns_rr_list_push_rr(five_bad, ldns_rr_clone(ldns_rr_list_rr(other_ds, 0)));
    ldns_rr_list_push_rr(five_bad, ldns_rr_clone(ldns_rr_list_rr(ds, 0)));
    v = check_keys(dnskeys, sigs, five_bad, NULL);
    ok(v.status == SEC_BOGUS && strstr(v.why, "too many DS"),
       "DS mismatches stop at %d (%s)", VERIFY_MAX_DS_FAILS, v.why);

    ldns_rr_list *lists[] = { dnskeys, sigs, ds, zsk_ds, anchor, other_ds, dsa_ds, gost_ds, five_bad };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        ldns_rr_list_deep_free(lists[i]);
    free_key(&ksk);
    free_key(&zsk);
}

static void test_support(void)
{
    ok(dnssec_algorithm_supported(8) && dnssec_algorithm_supported(13) &&
       dnssec_algorithm_supported(15) && dnssec_algorithm_supported(16),
       "RSA/SHA-256, P-256, Ed25519, Ed448 are supported");
    ok(!dnssec_algorithm_supported(3) && !dnssec_algorithm_supported(6) &&
       !dnssec_algorithm_supported(12) && !dnssec_algorithm_supported(200),
       "DSA, DSA-NSEC3, GOST and unknown algorithms are not");
    ok(dnssec_digest_supported(1) && dnssec_digest_supported(2) && dnssec_digest_supported(4) &&
       !dnssec_digest_supported(3), "SHA-1, SHA-256, SHA-384 digests; not GOST");
}

int main(void)
{
    now = time(NULL);
    test_support();
    test_rrset(LDNS_SIGN_ECDSAP256SHA256, 256, "an RRset signed with ECDSA P-256 verifies");
    test_rrset(LDNS_SIGN_RSASHA256, 1024, "an RRset signed with RSA/SHA-256 verifies");
    test_rrset(LDNS_SIGN_ED25519, 256, "an RRset signed with Ed25519 verifies");
    test_wildcard_and_keys();
    test_dnskeys();
    return done_testing();
}
