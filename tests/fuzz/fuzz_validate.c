/* fuzz_validate.c -- libFuzzer target: the validator's decisions on a signed reply
 * (valmsg.c, dnssec_verify.c, nsec.c, nsec3.c), against one fixed key set.
 *
 * Input: the first octet picks the question (a name and type under example.test, or the
 * DS of a child) and whether the reply is read as an answer or as a DS reply on the way
 * down; the rest is the reply. The zone's key is a fixed ECDSA P-256 key (below), so the
 * seeds, signed with it, verify and the fuzzer mutates real signatures. Everything runs
 * at a fixed time with the validator's budgets.
 *
 * Invariants: a reply parses or is refused; every RRset gets a verdict of the enum, with a
 * reason when bogus and a TTL no longer than the RRset's own when secure; the signature
 * budget is never overdrawn; a proof or a DS outcome is one of its values.
 *
 * FUZZ_VALIDATE_SEEDS=DIR (set when running the binary once with no input) writes the seed
 * corpus, signed with the fixed key, into DIR. */
#include "fuzz_common.h"
#include "dnssec_verify.h"
#include "ede.h"
#include "nsec3.h"
#include "valmsg.h"

#define NOW         1700000000
#define BUDGET      64

static const char private_key[] =
    "Private-key-format: v1.2\n"
    "Algorithm: 13 (ECDSAP256SHA256)\n"
    "PrivateKey: znKg5CH7gJsWrnMVnHLyts3mw1gW702r8y8FPKhDLSI=\n";

static ldns_key *zone_key;
static ldns_rr_list *zone_keys;     /* the DNSKEY set every reply is checked against */
static ldns_rdf *zone;

static const struct { const char *name; ldns_rr_type type; } questions[] = {
    { "www.example.test.", LDNS_RR_TYPE_A },
    { "www.example.test.", LDNS_RR_TYPE_AAAA },
    { "nope.example.test.", LDNS_RR_TYPE_A },
    { "any.wild.example.test.", LDNS_RR_TYPE_A },
    { "sub.example.test.", LDNS_RR_TYPE_DS },
    { "example.test.", LDNS_RR_TYPE_DNSKEY },
};
#define N_QUESTIONS (sizeof questions / sizeof questions[0])

static void load_key(void)
{
    FILE *f = fmemopen((void *)private_key, sizeof private_key - 1, "r");
    int line = 0;

    if (!f || ldns_key_new_frm_fp_l(&zone_key, f, &line) != LDNS_STATUS_OK)
        fuzz_die("the fixed key does not load");
    fclose(f);
    zone = ldns_dname_new_frm_str("example.test.");
    ldns_key_set_pubkey_owner(zone_key, ldns_rdf_clone(zone));
    ldns_key_set_flags(zone_key, 257);
    ldns_rr *dnskey = ldns_key2rr(zone_key);
    if (!zone || !dnskey)
        fuzz_die("no DNSKEY from the fixed key");
    ldns_key_set_keytag(zone_key, ldns_calc_keytag(dnskey));
    zone_keys = ldns_rr_list_new();
    ldns_rr_list_push_rr(zone_keys, dnskey);
}

/* ---- the seeds: replies signed with the fixed key ----------------------------------------- */

static void sign_into(ldns_pkt *pkt, ldns_pkt_section sec, const char *const *texts)
{
    ldns_rr_list *rrset = ldns_rr_list_new();
    ldns_key_list *keys = ldns_key_list_new();

    for (size_t i = 0; texts[i]; i++) {
        ldns_rr *r = NULL;
        if (ldns_rr_new_frm_str(&r, texts[i], 300, NULL, NULL) != LDNS_STATUS_OK)
            fuzz_die(texts[i]);
        ldns_rr_list_push_rr(rrset, ldns_rr_clone(r));
        ldns_pkt_push_rr(pkt, sec, r);
    }
    ldns_key_set_inception(zone_key, NOW - 3600);
    ldns_key_set_expiration(zone_key, NOW + 86400);
    ldns_key_list_push_key(keys, zone_key);
    ldns_rr_list *sigs = ldns_sign_public(rrset, keys);
    ldns_key_list_set_key_count(keys, 0);
    ldns_key_list_free(keys);
    for (size_t i = 0; sigs && i < ldns_rr_list_rr_count(sigs); i++)
        ldns_pkt_push_rr(pkt, sec, ldns_rr_clone(ldns_rr_list_rr(sigs, i)));
    ldns_rr_list_deep_free(sigs);
    ldns_rr_list_deep_free(rrset);
}

static void write_seed(const char *dir, int n, uint8_t pick, ldns_pkt *pkt)
{
    uint8_t *wire = NULL;
    size_t len = 0;
    char path[512];

    snprintf(path, sizeof path, "%s/seed-%02d", dir, n);
    FILE *f = ldns_pkt2wire(&wire, pkt, &len) == LDNS_STATUS_OK ? fopen(path, "wb") : NULL;
    if (!f || fwrite(&pick, 1, 1, f) != 1 || fwrite(wire, 1, len, f) != len || fclose(f) != 0)
        fuzz_die(path);
    free(wire);
    ldns_pkt_free(pkt);
}

static ldns_pkt *reply(unsigned q, ldns_pkt_rcode rcode)
{
    ldns_pkt *pkt = NULL;
    if (ldns_pkt_query_new_frm_str(&pkt, questions[q].name, questions[q].type,
                                   LDNS_RR_CLASS_IN, 0) != LDNS_STATUS_OK)
        fuzz_die("query");
    ldns_pkt_set_qr(pkt, true);
    ldns_pkt_set_rcode(pkt, rcode);
    return pkt;
}

static void write_seeds(const char *dir)
{
    static const char *const a[] = { "www.example.test. A 192.0.2.1", NULL };
    static const char *const soa[] = {
        "example.test. SOA ns.example.test. h.example.test. 1 7200 3600 86400 300", NULL };
    static const char *const nsec_www[] = {
        "www.example.test. NSEC z.example.test. A RRSIG NSEC", NULL };
    static const char *const nsec_nope[] = {
        "example.test. NSEC www.example.test. SOA NS RRSIG NSEC DNSKEY", NULL };
    static const char *const wild[] = { "any.wild.example.test. A 192.0.2.2", NULL };
    static const char *const nsec_wild[] = {
        "*.wild.example.test. NSEC z.example.test. A RRSIG NSEC", NULL };
    static const char *const ds[] = {
        "sub.example.test. DS 1234 13 2 0000000000000000000000000000000000000000000000000000000000000000", NULL };
    static const char *const nsec_sub[] = {
        "sub.example.test. NSEC www.example.test. NS RRSIG NSEC", NULL };
    ldns_pkt *p;
    int n = 0;

    p = reply(0, LDNS_RCODE_NOERROR); sign_into(p, LDNS_SECTION_ANSWER, a); write_seed(dir, n++, 0, p);
    p = reply(1, LDNS_RCODE_NOERROR); sign_into(p, LDNS_SECTION_AUTHORITY, soa);
    sign_into(p, LDNS_SECTION_AUTHORITY, nsec_www); write_seed(dir, n++, 1, p);
    p = reply(2, LDNS_RCODE_NXDOMAIN); sign_into(p, LDNS_SECTION_AUTHORITY, soa);
    sign_into(p, LDNS_SECTION_AUTHORITY, nsec_nope); write_seed(dir, n++, 2, p);
    p = reply(3, LDNS_RCODE_NOERROR); sign_into(p, LDNS_SECTION_ANSWER, wild);
    sign_into(p, LDNS_SECTION_AUTHORITY, nsec_wild); write_seed(dir, n++, 3, p);
    p = reply(4, LDNS_RCODE_NOERROR); sign_into(p, LDNS_SECTION_ANSWER, ds); write_seed(dir, n++, 4 | 0x80, p);
    p = reply(4, LDNS_RCODE_NOERROR); sign_into(p, LDNS_SECTION_AUTHORITY, soa);
    sign_into(p, LDNS_SECTION_AUTHORITY, nsec_sub); write_seed(dir, n++, 4 | 0x80, p);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    load_key();
    const char *seeds = getenv("FUZZ_VALIDATE_SEEDS");
    if (seeds) {
        write_seeds(seeds);
        exit(0);
    }
    return 0;
}

/* ---- one input ------------------------------------------------------------------------------ */

static uint32_t largest_ttl(const ldns_rr_list *rrs)
{
    uint32_t ttl = 0;
    for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++)
        if (ldns_rr_ttl(ldns_rr_list_rr(rrs, i)) > ttl)
            ttl = ldns_rr_ttl(ldns_rr_list_rr(rrs, i));
    return ttl;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct val_msg m;
    struct verify_budget budget = { BUDGET, 0 };
    struct nsec3_budget hashes = { NSEC3_MAX_HASHES };
    int ede;
    const char *why;

    if (size < 1 || valmsg_parse(data + 1, size - 1, &m) != 0)
        return 0;
    unsigned q = (data[0] & 0x7f) % N_QUESTIONS;
    for (size_t i = 0; i < m.n_sets; i++) {
        struct val_rrset *s = &m.sets[i];
        dnssec_verify_rrset(s->rrs, s->sigs, zone_keys, zone, NOW, &budget, &s->v);
        FUZZ_CHECK(s->v.status == SEC_SECURE || s->v.status == SEC_BOGUS);
        FUZZ_CHECK(s->v.status != SEC_BOGUS || (s->v.why && s->v.ede != EDE_NONE));
        FUZZ_CHECK(s->v.status != SEC_SECURE || s->v.ttl <= largest_ttl(s->rrs));
        FUZZ_CHECK(budget.left + budget.used == BUDGET);
    }
    if (data[0] & 0x80) {
        ldns_rdf *name = ldns_dname_new_frm_str(questions[q].name);
        enum ds_outcome o = name ? valmsg_ds_outcome(&m, name, &hashes, &why) : DS_BOGUS;
        FUZZ_CHECK(o == DS_FOUND || o == DS_INSECURE || o == DS_NO_CUT || o == DS_BOGUS);
        ldns_rdf_deep_free(name);
    } else {
        enum sec_status st = valmsg_prove(&m, &hashes, &ede, &why);
        FUZZ_CHECK(st == SEC_SECURE || st == SEC_INSECURE || st == SEC_BOGUS);
        FUZZ_CHECK(st != SEC_BOGUS || (why && ede != EDE_NONE));
    }
    FUZZ_CHECK(hashes.hashes_left <= NSEC3_MAX_HASHES);
    valmsg_free(&m);
    return 0;
}
