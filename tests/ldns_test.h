/* ldns_test.h -- building DNS data for the C unit tests from presentation format.
 *
 * Each helper exits with status 2 (and a TAP diagnostic) on text it cannot read, so a
 * typo in a test fails loudly instead of testing nothing. Include after tap.h. */
#ifndef LDNS_TEST_H
#define LDNS_TEST_H

#include <stdlib.h>

#include <ldns/ldns.h>

static ldns_rdf *dname(const char *text) __attribute__((unused));
static ldns_rr *rr(const char *text) __attribute__((unused));
static void push_all(ldns_pkt *pkt, ldns_pkt_section sec, const char *const *rrs)
    __attribute__((unused));

static ldns_rdf *dname(const char *text)
{
    ldns_rdf *d = ldns_dname_new_frm_str(text);
    if (!d) {
        diag("bad name in test: %s", text);
        exit(2);
    }
    return d;
}

/* An RR with default TTL 300 and class IN. */
static ldns_rr *rr(const char *text)
{
    ldns_rr *r = NULL;
    if (ldns_rr_new_frm_str(&r, text, 300, NULL, NULL) != LDNS_STATUS_OK || !r) {
        diag("bad RR in test: %s", text);
        exit(2);
    }
    return r;
}

/* Pushes every RR of a NULL-terminated list (or none, for NULL) into a section. */
static void push_all(ldns_pkt *pkt, ldns_pkt_section sec, const char *const *rrs)
{
    for (size_t i = 0; rrs && rrs[i]; i++)
        if (!ldns_pkt_push_rr(pkt, sec, rr(rrs[i]))) {
            diag("cannot push %s", rrs[i]);
            exit(2);
        }
}

#endif
