/* nsec3.h -- what NSEC3 records prove (RFC 5155 8): NXDOMAIN, NODATA, wildcard answers and
 * wildcard NODATA through the closest encloser proof, and a delegation without DS, which an
 * opt-out NSEC3 turns into an insecure one.
 *
 * Pure functions of the records given, which the caller has already verified as records
 * of zone. The hashing is our own (SHA-1 with OpenSSL, RFC 5155 5), so no ldns NSEC3 call
 * ever sees a record it would abort on (ldns issue 307: hash algorithms other than 1).
 * Records with another hash algorithm, unknown flags, an owner that is not one label below
 * the zone, or other parameters than the response's first usable NSEC3 are ignored.
 *
 * Limits (RFC 9276, CVE-2023-50868): above NSEC3_MAX_ITERATIONS the answer is insecure (the
 * caller gives EDE 27), and every hash drawn from struct nsec3_budget, NSEC3_MAX_HASHES per
 * response by default; running out is NSEC3_OVER_BUDGET, never more work. */
#ifndef NSEC3_H
#define NSEC3_H

#include <stdbool.h>
#include <stdint.h>
#include <ldns/ldns.h>

#define NSEC3_MAX_ITERATIONS 150
#define NSEC3_MAX_HASHES     8
#define EDE_UNSUPPORTED_NSEC3_ITERATIONS 27     /* RFC 9276; not in ldns 1.8.3's list */

enum nsec3_result {
    NSEC3_NOT_PROVEN,       /* the records do not prove it: bogus */
    NSEC3_PROVEN,
    NSEC3_INSECURE,         /* opt-out span, or too many iterations to check */
    NSEC3_OVER_BUDGET,      /* more hashing than allowed: bogus by limit */
};

struct nsec3_budget {
    unsigned hashes_left;
};

/* The hash of an owner name (lower-cased wire form) as RFC 5155 5 defines it. 0, or -1
 * when the digest fails. */
int nsec3_hash(const uint8_t *name, size_t name_len, const uint8_t *salt, uint8_t salt_len,
               uint16_t iterations, uint8_t out[20]);

enum nsec3_result nsec3_prove_nxdomain(const ldns_rr_list *nsec3s, const ldns_rdf *qname,
                                       const ldns_rdf *zone, struct nsec3_budget *budget);
enum nsec3_result nsec3_prove_nodata(const ldns_rr_list *nsec3s, const ldns_rdf *qname,
                                     ldns_rr_type qtype, const ldns_rdf *zone,
                                     struct nsec3_budget *budget);
/* An answer synthesised from a wildcard whose RRSIG had `labels` labels: the next closer
 * name does not exist. */
enum nsec3_result nsec3_prove_wildcard_answer(const ldns_rr_list *nsec3s, const ldns_rdf *qname,
                                              uint8_t labels, const ldns_rdf *zone,
                                              struct nsec3_budget *budget);
/* The delegation to name has no DS (PROVEN) or lies in an opt-out span (INSECURE). */
enum nsec3_result nsec3_prove_no_ds(const ldns_rr_list *nsec3s, const ldns_rdf *name,
                                    const ldns_rdf *zone, struct nsec3_budget *budget);

#endif
