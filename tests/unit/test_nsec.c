/* test_nsec.c -- unit tests for resolver/nsec.c on the NSEC chain of a small zone:
 *
 *   example.  SOA NS NSEC RRSIG DNSKEY    (apex)
 *   a.example.  A
 *   d.example.  NS  (an unsigned delegation)       ds.example.  NS DS (a signed one)
 *   dn.example. DNAME
 *   m.example.  A MX
 *   *.w.example.  TXT                     (a wildcard below w, an empty non-terminal)
 *
 * covering, matching, NXDOMAIN, NODATA, empty non-terminals, wildcard answers and wildcard
 * NODATA, DS absence, and the RFC 6840 4.1 rule for NSECs at cuts and DNAMEs. */
#include <stdio.h>
#include <stdlib.h>

#include "nsec.h"
#include "tap.h"
#include "ldns_test.h"

static ldns_rr_list *chain;
static ldns_rdf *zone;

static ldns_rr_list *nsecs(const char *const *texts)
{
    ldns_rr_list *l = ldns_rr_list_new();
    for (size_t i = 0; texts[i]; i++)
        ldns_rr_list_push_rr(l, rr(texts[i]));
    return l;
}

static bool nx(const char *name)
{
    ldns_rdf *n = dname(name);
    bool r = nsec_proves_nxdomain(chain, n, zone);
    ldns_rdf_deep_free(n);
    return r;
}

static bool nodata(const char *name, ldns_rr_type t)
{
    ldns_rdf *n = dname(name);
    bool r = nsec_proves_nodata(chain, n, t, zone);
    ldns_rdf_deep_free(n);
    return r;
}

static bool no_ds(const char *name)
{
    ldns_rdf *n = dname(name);
    bool r = nsec_proves_no_ds(chain, n, zone);
    ldns_rdf_deep_free(n);
    return r;
}

static bool wildcard_answer(const char *name, uint8_t labels)
{
    ldns_rdf *n = dname(name);
    bool r = nsec_proves_wildcard_answer(chain, n, labels, zone);
    ldns_rdf_deep_free(n);
    return r;
}

/* Only some NSECs of the chain: what a server that strips proofs would send. */
static bool nx_with(const char *const *texts, const char *name)
{
    ldns_rr_list *saved = chain;
    chain = nsecs(texts);
    bool r = nx(name);
    ldns_rr_list_deep_free(chain);
    chain = saved;
    return r;
}

int main(void)
{
    static const char *const zone_chain[] = {
        "example. 300 IN NSEC a.example. SOA NS NSEC RRSIG DNSKEY",
        "a.example. 300 IN NSEC d.example. A RRSIG NSEC",
        "d.example. 300 IN NSEC dn.example. NS RRSIG NSEC",
        "dn.example. 300 IN NSEC ds.example. DNAME RRSIG NSEC",
        "ds.example. 300 IN NSEC m.example. NS DS RRSIG NSEC",
        "m.example. 300 IN NSEC *.w.example. A MX RRSIG NSEC",
        "*.w.example. 300 IN NSEC example. TXT RRSIG NSEC",
        NULL };
    chain = nsecs(zone_chain);
    zone = dname("example.");

    ldns_rdf *b = dname("b.example."), *a = dname("a.example."), *z = dname("z.example.");
    ok(nsec_covers(ldns_rr_list_rr(chain, 1), b), "a -> d covers b");
    ok(!nsec_covers(ldns_rr_list_rr(chain, 1), a), "... not its own owner");
    ok(nsec_covers(ldns_rr_list_rr(chain, 6), z), "the last NSEC (*.w -> apex) covers z.example");
    ldns_rdf_deep_free(b);
    ldns_rdf_deep_free(a);
    ldns_rdf_deep_free(z);

    ok(nx("b.example."), "NXDOMAIN for b.example: covered, and *.example covered too");
    ok(nx("zz.example."), "NXDOMAIN for zz.example, after the last name");
    ok(nx("x.example."), "NXDOMAIN for x.example, between m and *.w");
    ok(!nx("a.example."), "no NXDOMAIN for a name that exists");
    ok(!nx("x.w.example."), "no NXDOMAIN where the wildcard *.w.example exists");
    static const char *const no_wildcard_proof[] = { "a.example. 300 IN NSEC d.example. A RRSIG NSEC", NULL };
    /* the apex NSEC covers *.example, so without it b.example's wildcard stays possible */
    ok(!nx_with(no_wildcard_proof, "b.example."), "no NXDOMAIN without the NSEC that denies the wildcard");
    ok(!nx("x.d.example."), "an NSEC at a delegation proves nothing below it (RFC 6840 4.1)");
    ok(!nx("x.dn.example."), "... nor does one at a DNAME");
    ok(!nx("www.other."), "an NSEC of example. proves nothing about other.");

    ok(nodata("a.example.", LDNS_RR_TYPE_AAAA), "NODATA: a.example has no AAAA");
    ok(!nodata("a.example.", LDNS_RR_TYPE_A), "... but it has an A");
    ok(!nodata("b.example.", LDNS_RR_TYPE_A), "no NODATA for a name that does not exist");
    ok(nodata("w.example.", LDNS_RR_TYPE_A), "NODATA for the empty non-terminal w.example");
    ok(nodata("x.w.example.", LDNS_RR_TYPE_A), "wildcard NODATA: *.w.example has no A");
    ok(!nodata("x.w.example.", LDNS_RR_TYPE_TXT), "... but has the TXT");
    ok(!nodata("d.example.", LDNS_RR_TYPE_A), "a delegation's NSEC says nothing of the child's A");
    ok(nodata("d.example.", LDNS_RR_TYPE_DS), "... but proves it has no DS");
    ok(!nodata("example.", LDNS_RR_TYPE_SOA), "the apex has its SOA");
    ok(nodata("example.", LDNS_RR_TYPE_MX), "... and no MX");

    ok(no_ds("d.example."), "d.example: NS without DS, an insecure delegation");
    ok(!no_ds("ds.example."), "ds.example has its DS");
    ok(!no_ds("example."), "the apex NSEC (SOA) cannot deny the zone's own DS");
    ok(no_ds("c.example."), "a name that does not exist has no DS either");

    ok(wildcard_answer("x.w.example.", 2), "a *.w.example expansion for x.w.example: x.w is covered");
    ok(!wildcard_answer("a.example.", 1), "no wildcard answer for a name that exists");
    ok(!wildcard_answer("x.w.example.", 3), "labels as many as the name's: not a wildcard");
    ok(!wildcard_answer("x.example.", 0), "labels above the zone: refused");

    ldns_rr_list_deep_free(chain);
    ldns_rdf_deep_free(zone);
    return done_testing();
}
