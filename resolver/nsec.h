/* nsec.h -- what NSEC records prove: NXDOMAIN, NODATA, wildcard answers and wildcard
 * NODATA (RFC 4035 5.4), and the absence of a DS at a delegation (an insecure delegation).
 *
 * Pure functions of the records given, which the caller has already verified (their
 * RRSIGs, with dnssec_verify_rrset) as records of zone; here they are only reasoned
 * about. The RFC 6840 4.1 rule is applied throughout: an NSEC from above a zone cut (NS
 * without SOA) or at a DNAME proves nothing about names below it, and a delegation's NSEC
 * proves nothing about the child's types but the absence of a DS. Names are ldns names,
 * compared case-insensitively in canonical order (RFC 4034 6.1). */
#ifndef NSEC_H
#define NSEC_H

#include <stdbool.h>
#include <stdint.h>
#include <ldns/ldns.h>

/* name lies strictly between the NSEC's owner and its next name (the last NSEC of a
 * zone, whose next name is the apex, covers everything after its owner). */
bool nsec_covers(const ldns_rr *nsec, const ldns_rdf *name);

/* The type bitmap of nsec has type. */
bool nsec_has_type(const ldns_rr *nsec, ldns_rr_type type);

/* qname does not exist in zone, and neither does a wildcard that could have matched it. */
bool nsec_proves_nxdomain(const ldns_rr_list *nsecs, const ldns_rdf *qname,
                          const ldns_rdf *zone);

/* qname exists without qtype (nor a CNAME), or a wildcard does, matching qname, and qname
 * itself does not exist (wildcard NODATA). */
bool nsec_proves_nodata(const ldns_rr_list *nsecs, const ldns_rdf *qname, ldns_rr_type qtype,
                        const ldns_rdf *zone);

/* An answer for qname synthesised from a wildcard whose RRSIG had `labels` labels is
 * allowed: the next closer name (qname cut to labels + 1) does not exist (RFC 4035 5.3.4). */
bool nsec_proves_wildcard_answer(const ldns_rr_list *nsecs, const ldns_rdf *qname,
                                 uint8_t labels, const ldns_rdf *zone);

/* The delegation to name has no DS: the parent's NSEC at name shows NS but neither DS nor
 * SOA (an insecure delegation), or name does not exist at all. */
bool nsec_proves_no_ds(const ldns_rr_list *nsecs, const ldns_rdf *name, const ldns_rdf *zone);

#endif
