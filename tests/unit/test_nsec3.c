/* test_nsec3.c -- unit tests for resolver/nsec3.c: the hash against RFC 5155 appendix A,
 * then proofs over NSEC3 chains built here for a small zone (hashes computed, sorted,
 * linked), with and without opt-out: NXDOMAIN, NODATA, empty non-terminals, wildcard
 * NODATA and answers, DS absence, the iteration cap, the hash budget, and records of an
 * unknown hash algorithm (which must be ignored, not passed to ldns). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "nsec3.h"
#include "tap.h"
#include "ldns_test.h"

struct node { const char *name, *types; uint8_t hash[20]; char b32[40]; };

static int by_hash(const void *a, const void *b)
{
    return memcmp(((const struct node *)a)->hash, ((const struct node *)b)->hash, 20);
}

/* The NSEC3 chain of zone "example." over nodes, salt aabbccdd; flags and iterations given. */
static ldns_rr_list *chain(struct node *nodes, size_t n, int flags, int iterations, int alg)
{
    static const uint8_t salt[] = { 0xaa, 0xbb, 0xcc, 0xdd };
    ldns_rr_list *l = ldns_rr_list_new();

    for (size_t i = 0; i < n; i++) {
        uint8_t key[WIRE_MAX_NAME];
        size_t len;
        if (dname_key_from_text(nodes[i].name, key, &len) != 0 ||
            nsec3_hash(key, len, salt, 4, (uint16_t)iterations, nodes[i].hash) != 0)
            exit(2);
        int w = ldns_b32_ntop_extended_hex(nodes[i].hash, 20, nodes[i].b32, sizeof nodes[i].b32);
        if (w != 32)
            exit(2);
        nodes[i].b32[w] = '\0';
    }
    qsort(nodes, n, sizeof *nodes, by_hash);
    for (size_t i = 0; i < n; i++) {
        char text[512];
        snprintf(text, sizeof text, "%s.example. 300 IN NSEC3 %d %d %d aabbccdd %s %s", nodes[i].b32,
                 alg, flags, iterations, nodes[(i + 1) % n].b32, nodes[i].types);
        ldns_rr_list_push_rr(l, rr(text));
    }
    return l;
}

static ldns_rdf *zone;
static ldns_rr_list *cur;
static struct nsec3_budget budget;

static enum nsec3_result nx(const char *name)
{
    ldns_rdf *n = dname(name);
    budget.hashes_left = NSEC3_MAX_HASHES;
    enum nsec3_result r = nsec3_prove_nxdomain(cur, n, zone, &budget);
    ldns_rdf_deep_free(n);
    return r;
}

static enum nsec3_result nodata(const char *name, ldns_rr_type t)
{
    ldns_rdf *n = dname(name);
    budget.hashes_left = NSEC3_MAX_HASHES;
    enum nsec3_result r = nsec3_prove_nodata(cur, n, t, zone, &budget);
    ldns_rdf_deep_free(n);
    return r;
}

static enum nsec3_result no_ds(const char *name)
{
    ldns_rdf *n = dname(name);
    budget.hashes_left = NSEC3_MAX_HASHES;
    enum nsec3_result r = nsec3_prove_no_ds(cur, n, zone, &budget);
    ldns_rdf_deep_free(n);
    return r;
}

static enum nsec3_result wildcard_answer(const char *name, uint8_t labels)
{
    ldns_rdf *n = dname(name);
    budget.hashes_left = NSEC3_MAX_HASHES;
    enum nsec3_result r = nsec3_prove_wildcard_answer(cur, n, labels, zone, &budget);
    ldns_rdf_deep_free(n);
    return r;
}

static void test_vectors(void)
{
    static const uint8_t salt[] = { 0xaa, 0xbb, 0xcc, 0xdd };
    static const struct { const char *name, *hash; } v[] = {
        { "example", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom" },
        { "a.example", "35mthgpgcu1qg68fab165klnsnk3dpvl" },
        { "*.w.example", "r53bq7cc2uvmubfu5ocmm6pers9tk9en" },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t key[WIRE_MAX_NAME], h[20];
        char b32[40];
        size_t len;
        dname_key_from_text(v[i].name, key, &len);
        nsec3_hash(key, len, salt, 4, 12, h);
        int w = ldns_b32_ntop_extended_hex(h, 20, b32, sizeof b32);
        b32[w > 0 ? w : 0] = '\0';
        for (char *c = b32; *c; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        is_str(b32, v[i].hash, v[i].name);
    }
}

static void test_chain(void)
{
    struct node nodes[] = {
        { "example.", "SOA NS DNSKEY NSEC3PARAM RRSIG", {0}, "" },
        { "a.example.", "A RRSIG", {0}, "" },
        { "d.example.", "NS", {0}, "" },
        { "ds.example.", "NS DS RRSIG", {0}, "" },
        { "w.example.", "", {0}, "" },
        { "*.w.example.", "TXT RRSIG", {0}, "" },
    };
    cur = chain(nodes, 6, 0, 12, 1);

    is_int(nx("b.example."), NSEC3_PROVEN, "NXDOMAIN b.example: encloser, next closer, wildcard");
    is_int(nx("x.y.a.example."), NSEC3_PROVEN, "NXDOMAIN x.y.a.example: the encloser is a.example");
    is_int(nx("a.example."), NSEC3_NOT_PROVEN, "no NXDOMAIN for a name that exists");
    is_int(nx("x.w.example."), NSEC3_NOT_PROVEN, "no NXDOMAIN where *.w.example exists");
    is_int(nx("x.d.example."), NSEC3_NOT_PROVEN, "a delegation is no closest encloser (RFC 5155 8.3)");
    is_int(nx("www.other."), NSEC3_NOT_PROVEN, "a name outside the zone: nothing proven");

    is_int(nodata("a.example.", LDNS_RR_TYPE_AAAA), NSEC3_PROVEN, "NODATA: a.example has no AAAA");
    is_int(nodata("a.example.", LDNS_RR_TYPE_A), NSEC3_NOT_PROVEN, "... but an A");
    is_int(nodata("w.example.", LDNS_RR_TYPE_A), NSEC3_PROVEN, "NODATA at the empty non-terminal w");
    is_int(nodata("x.w.example.", LDNS_RR_TYPE_A), NSEC3_PROVEN, "wildcard NODATA at *.w.example");
    is_int(nodata("x.w.example.", LDNS_RR_TYPE_TXT), NSEC3_NOT_PROVEN, "... not for its TXT");
    is_int(nodata("d.example.", LDNS_RR_TYPE_A), NSEC3_NOT_PROVEN, "a delegation's NSEC3 says nothing of the child's A");
    is_int(nodata("d.example.", LDNS_RR_TYPE_DS), NSEC3_PROVEN, "... but denies its DS");

    is_int(no_ds("d.example."), NSEC3_PROVEN, "d.example: NS without DS");
    is_int(no_ds("ds.example."), NSEC3_NOT_PROVEN, "ds.example has a DS");
    is_int(no_ds("example."), NSEC3_NOT_PROVEN, "the apex NSEC3 cannot deny the zone's own DS");
    is_int(no_ds("u.example."), NSEC3_NOT_PROVEN, "no opt-out: a missing delegation proves no insecurity");

    is_int(wildcard_answer("x.w.example.", 2), NSEC3_PROVEN, "an expansion of *.w.example for x.w.example");
    is_int(wildcard_answer("a.example.", 1), NSEC3_NOT_PROVEN, "no wildcard answer for a name that exists");

    budget.hashes_left = 1;
    ldns_rdf *n = dname("x.y.z.b.example.");
    is_int(nsec3_prove_nxdomain(cur, n, zone, &budget), NSEC3_OVER_BUDGET,
           "one hash allowed: over budget, not a verdict");
    ldns_rdf_deep_free(n);
    ldns_rr_list_deep_free(cur);
}

static void test_opt_out_and_limits(void)
{
    struct node nodes[] = {                     /* d.example, unsigned, has no NSEC3 */
        { "example.", "SOA NS DNSKEY NSEC3PARAM RRSIG", {0}, "" },
        { "a.example.", "A RRSIG", {0}, "" },
        { "ds.example.", "NS DS RRSIG", {0}, "" },
    };
    cur = chain(nodes, 3, 1, 12, 1);
    is_int(no_ds("d.example."), NSEC3_INSECURE, "opt-out over d.example: an insecure delegation");
    is_int(nx("d.example."), NSEC3_INSECURE, "NXDOMAIN in an opt-out span is only insecure");
    is_int(no_ds("ds.example."), NSEC3_NOT_PROVEN, "a signed delegation in an opt-out zone keeps its DS");
    is_int(nodata("d.example.", LDNS_RR_TYPE_MX), NSEC3_INSECURE,
           "NODATA for a name in an opt-out span: insecure (Deckard val_nsec3_optout_ad)");
    ldns_rr_list_deep_free(cur);

    struct node wild[] = {                      /* the spans between them opt-out */
        { "example.", "SOA NS DNSKEY NSEC3PARAM RRSIG", {0}, "" },
        { "w.example.", "", {0}, "" },
        { "*.w.example.", "MX RRSIG", {0}, "" },
    };
    cur = chain(wild, 3, 1, 12, 1);
    is_int(wildcard_answer("a.z.w.example.", 2), NSEC3_INSECURE,
           "a wildcard answer whose next closer name is in an opt-out span: insecure (B.4)");
    is_int(nodata("a.z.w.example.", LDNS_RR_TYPE_AAAA), NSEC3_INSECURE,
           "... and so is a wildcard NODATA there (B.5)");
    ldns_rr_list_deep_free(cur);

    struct node many[] = { { "example.", "SOA NS RRSIG", {0}, "" }, { "a.example.", "A", {0}, "" } };
    cur = chain(many, 2, 0, 500, 1);
    is_int(nx("b.example."), NSEC3_INSECURE, "500 iterations: insecure (RFC 9276), nothing hashed");
    ldns_rr_list_deep_free(cur);

    struct node other[] = { { "example.", "SOA NS RRSIG", {0}, "" }, { "a.example.", "A", {0}, "" } };
    cur = chain(other, 2, 0, 12, 2);
    is_int(nx("b.example."), NSEC3_NOT_PROVEN, "hash algorithm 2: records ignored, no abort");
    ldns_rr_list_deep_free(cur);
}

int main(void)
{
    zone = dname("example.");
    test_vectors();
    test_chain();
    test_opt_out_and_limits();
    ldns_rdf_deep_free(zone);
    return done_testing();
}
