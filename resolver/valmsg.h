/* valmsg.h -- a response as the validator sees it: the RRsets to check, and what the
 * checked ones prove.
 *
 * Pure functions of a message and of the verdicts the caller (validate.c) wrote into it,
 * so every decision of the validator but the I/O is unit-tested and fuzzed here:
 *   - valmsg_parse splits a response into RRsets with the RRSIGs that cover them: every
 *     RRset of the answer section (the CNAME chain included), and of the authority section
 *     the SOA, NSEC and NSEC3 RRsets (what a denial or a wildcard answer rests on; NS and
 *     DS there are a referral's business, not the answer's). Each RRset's signer is the
 *     signer name of its first RRSIG (NULL: unsigned).
 *   - valmsg_prove, once every RRset is secure, checks what the answer claims beyond its
 *     signatures: an NXDOMAIN or NODATA has its NSEC/NSEC3 proof, a wildcard expansion the
 *     proof that the next closer name does not exist (RFC 4035 5.3.4, 5.4; RFC 5155 8).
 *   - valmsg_ds_outcome reads the reply to a DS question the validator asked on its way
 *     down: a DS RRset, a proven insecure delegation, or no zone cut at that name.
 * Limits: the NSEC3 work of one response draws on a struct nsec3_budget (nsec3.h); NSEC3
 * above NSEC3_MAX_ITERATIONS makes the answer insecure with EDE 27 (RFC 9276). */
#ifndef VALMSG_H
#define VALMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ldns/ldns.h>

#include "dnssec_verify.h"
#include "nsec3.h"

struct val_rrset {
    ldns_rr_list *rrs;              /* the RRset, clones */
    ldns_rr_list *sigs;             /* the RRSIGs over it, clones (may be empty) */
    ldns_pkt_section section;       /* LDNS_SECTION_ANSWER or _AUTHORITY */
    const ldns_rdf *signer;         /* the first RRSIG's signer name (in sigs); NULL: none */
    bool derived;                   /* an unsigned CNAME synthesised from a DNAME of the
                                     * answer (RFC 6672 5.3.1): as good as the DNAME */
    struct verdict v;               /* the caller's: SEC_UNCHECKED until checked */
};

struct val_msg {
    ldns_pkt *pkt;
    struct val_rrset *sets;
    size_t n_sets;
    ldns_rdf *qname;                /* lower-cased */
    ldns_rr_type qtype;
    ldns_pkt_rcode rcode;
    bool negative;                  /* NXDOMAIN, or NOERROR without the final data */
    ldns_rdf *last_name;            /* the CNAME chain's last name (the qname without one) */
};

/* Splits msg. 0, or -1 when it does not parse (or memory ran out): *m is then empty. */
int valmsg_parse(const uint8_t *msg, size_t len, struct val_msg *m);
void valmsg_free(struct val_msg *m);

/* The RRset of type `type` at owner in section sec, or NULL. */
struct val_rrset *valmsg_find(const struct val_msg *m, ldns_pkt_section sec,
                              const ldns_rdf *owner, ldns_rr_type type);

/* The answer's own claims, every RRset of m being secure: SEC_SECURE, SEC_INSECURE (an
 * NSEC3 opt-out span or too many iterations; *ede EDE_NONE or 27) or SEC_BOGUS with *ede
 * and *why. zone: the signer of the denial records (the SOA's). */
enum sec_status valmsg_prove(const struct val_msg *m, struct nsec3_budget *budget, int *ede,
                             const char **why);

enum ds_outcome {
    DS_FOUND,               /* the DS RRset of name is in the answer (secure) */
    DS_INSECURE,            /* proven: a delegation without DS, or in an NSEC3 opt-out span */
    DS_NO_CUT,              /* proven: name is no delegation (it exists without NS, or not
                             * at all): the zone above goes on below it */
    DS_BOGUS,               /* nothing is proven */
};

/* What the reply m to "name DS?", its RRsets all secure under zone's keys, says. */
enum ds_outcome valmsg_ds_outcome(const struct val_msg *m, const ldns_rdf *name,
                                  struct nsec3_budget *budget, const char **why);

/* Whether any DS of ds has an algorithm and digest type we can check: without one, the
 * child zone is insecure (RFC 6840 5.2), and its DNSKEY set need not even be fetched. */
bool valmsg_ds_usable(const ldns_rr_list *ds);

#endif
