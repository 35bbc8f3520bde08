/* test_negcache.c -- unit tests for resolver/negcache.c (RFC 8198): what a validated
 * denial teaches, and the NXDOMAIN and NODATA answers synthesised from it. The RRSIGs are
 * text: negcache only keeps them, the validator checked them before. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keycache.h"
#include "negcache.h"
#include "valmsg.h"
#include "wire.h"
#include "tap.h"
#include "ldns_test.h"

#define NOW 1700000000
#define SIG(owner, covered, labels) \
    owner " RRSIG " covered " 13 " labels " 300 20300101000000 20200101000000 1234 example. AAAA"

static const char *const denial[] = {
    "example. 300 IN SOA ns.example. h.example. 1 2 3 4 300", SIG("example.", "SOA", "1"),
    "c.example. 300 IN NSEC m.example. A RRSIG NSEC", SIG("c.example.", "NSEC", "2"),
    "example. 300 IN NSEC c.example. SOA NS RRSIG NSEC DNSKEY", SIG("example.", "NSEC", "1"),
    NULL };

/* The validated NXDOMAIN for d.example., every RRset marked secure as the validator would. */
static void parse_secure(struct val_msg *m)
{
    ldns_pkt *pkt = NULL;
    uint8_t *wire = NULL;
    size_t len = 0;

    if (ldns_pkt_query_new_frm_str(&pkt, "d.example.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0) !=
        LDNS_STATUS_OK)
        exit(2);
    ldns_pkt_set_qr(pkt, true);
    ldns_pkt_set_rcode(pkt, LDNS_RCODE_NXDOMAIN);
    push_all(pkt, LDNS_SECTION_AUTHORITY, denial);
    if (ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK || valmsg_parse(wire, len, m) != 0)
        exit(2);
    for (size_t i = 0; i < m->n_sets; i++) {
        m->sets[i].v.status = SEC_SECURE;
        m->sets[i].v.ttl = 300;
    }
    free(wire);
    ldns_pkt_free(pkt);
}

static int rcode_of(struct keycache *kc, const char *name, ldns_rr_type t, bool *ad)
{
    uint8_t key[WIRE_MAX_NAME];
    size_t key_len, len = 0;
    ldns_rdf *n = dname(name);

    memcpy(key, ldns_rdf_data(n), ldns_rdf_size(n));
    key_len = ldns_rdf_size(n);
    ldns_rdf_deep_free(n);
    uint8_t *wire = negcache_answer(kc, key, key_len, t, LDNS_RR_CLASS_IN, NOW + 10, &len);
    if (!wire)
        return -1;
    int rcode = WIRE_RCODE(wire);
    *ad = wire[3] & 0x20;
    free(wire);
    return rcode;
}

int main(void)
{
    struct keycache *kc = keycache_new(1 << 20);
    struct val_msg m;
    bool ad = false;

    parse_secure(&m);
    is_int(rcode_of(kc, "e.example.", LDNS_RR_TYPE_A, &ad), -1, "nothing learnt: no answer");
    negcache_learn(kc, &m, NOW);
    is_int(rcode_of(kc, "e.example.", LDNS_RR_TYPE_A, &ad), WIRE_RCODE_NXDOMAIN,
           "e.example. lies in c..m and *.example. in example...c: NXDOMAIN without asking");
    ok(ad, "... with AD: it rests on validated records");
    is_int(rcode_of(kc, "c.example.", LDNS_RR_TYPE_AAAA, &ad), WIRE_RCODE_NOERROR,
           "c.example. has no AAAA (its NSEC lists A): NODATA");
    is_int(rcode_of(kc, "c.example.", LDNS_RR_TYPE_A, &ad), -1, "... but it has an A: ask");
    is_int(rcode_of(kc, "x.example.", LDNS_RR_TYPE_A, &ad), -1,
           "x.example. is beyond the ranges learnt: ask");
    is_int(rcode_of(kc, "e.example.", LDNS_RR_TYPE_DS, &ad), -1, "a DS is the parent's: ask");
    is_int(rcode_of(kc, "www.other.", LDNS_RR_TYPE_A, &ad), -1, "another zone: ask");

    m.sets[0].v.status = SEC_INSECURE;
    struct keycache *fresh = keycache_new(1 << 20);
    negcache_learn(fresh, &m, NOW);
    is_int(rcode_of(fresh, "e.example.", LDNS_RR_TYPE_A, &ad), -1,
           "an insecure denial teaches nothing");
    keycache_free(fresh);
    valmsg_free(&m);
    keycache_free(kc);
    done_testing();
}
