/* response.h -- picking apart an authoritative server's response for the iterator.
 *
 * Pure functions on ldns packets, so the iterator's classification can be unit-tested
 * without a network. Bailiwick: a server asked as an authority for `zone` may only tell us
 * about names at or below `zone`; everything else is scrubbed before anything is read,
 * so it can neither be cached nor returned (this is what defeats the classic Kaminsky-style
 * additional-section poisoning). For validation, the RRSIGs over an RRset and a reply's
 * denial records (NSEC, NSEC3, the SOA) are picked out as sent; response_build makes the
 * iterator's result message from what was picked. */
#ifndef RESPONSE_H
#define RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <ldns/ldns.h>

#include "dname.h"

/* Removes from every section the RRs whose owner is not at or below zone, and from the
 * additional section anything but A and AAAA (OPT is not an RR in ldns's packet). Returns
 * how many were removed. */
size_t response_scrub(ldns_pkt *pkt, const ldns_rdf *zone);

/* Lower-cases every owner name and every domain name inside RDATA (RFC 4034 6.2), so the
 * random case we sent for 0x20, which servers echo through name compression, never
 * reaches the cache or a client. */
void response_canonicalize(ldns_pkt *pkt);

enum response_referral {
    REFERRAL_NONE,          /* no NS records in the authority section, an answer, or (with
                             * AA) NS records that are not a downward referral */
    REFERRAL_DOWN,          /* a proper referral: the NS owner is below zone, at or above name */
    REFERRAL_BAD,           /* NS records that point up or sideways: a lame server */
};

/* Classifies the authority section. On REFERRAL_DOWN *ns gets a new list with clones of
 * the NS RRset (caller frees with ldns_rr_list_deep_free). */
enum response_referral response_referral(const ldns_pkt *pkt, const ldns_rdf *zone,
                                         const ldns_rdf *name, ldns_rr_list **ns);

/* Clones of the RRs in section `sec` with that owner and type (LDNS_RR_TYPE_ANY: every
 * type but CNAME), in a new list; NULL when there are none. */
ldns_rr_list *response_rrset(const ldns_pkt *pkt, ldns_pkt_section sec, const ldns_rdf *owner,
                             ldns_rr_type type);

/* True when the authority section holds an NS record for a zone strictly above `zone` (a
 * referral upwards, towards the root): read before response_scrub drops such records. */
bool response_refers_upwards(const ldns_pkt *pkt, const ldns_rdf *zone);

/* A clone of the SOA in the authority section whose owner is at or above `name`, or NULL. */
ldns_rr *response_soa(const ldns_pkt *pkt, const ldns_rdf *name);

/* Appends to `into` clones of the RRSIGs in section `sec` (ANSWER or AUTHORITY) over the
 * RRset (owner, type), in the order the server sent them: what a validator checks that
 * RRset with. False when out of memory (into keeps what was added). */
bool response_push_sigs(ldns_rr_list *into, const ldns_pkt *pkt, ldns_pkt_section sec,
                        const ldns_rdf *owner, ldns_rr_type type);

/* Appends to `into` clones of the authority section's denial records, in the order sent:
 * every NSEC and NSEC3 record and every RRSIG over one (RFC 4035 3.1.3: the proof of a
 * negative or wildcard answer), and when soa is not NULL the SOA records at soa's owner
 * and the RRSIGs over them. False when out of memory (into keeps what was added). */
bool response_push_denial(ldns_rr_list *into, const ldns_pkt *pkt, const ldns_rr *soa);

/* Clones of the A/AAAA records in section `sec` whose owner is an NS target of `ns`, in a
 * new list sorted canonically (so each RRset is contiguous); never NULL unless out of memory. */
ldns_rr_list *response_glue(const ldns_pkt *pkt, ldns_pkt_section sec, const ldns_rr_list *ns);

/* A response message (QR, RA, no OPT) for the question (qname, qtype, qclass) with rcode
 * and the answer and authority sections (either may be NULL: empty), in the lists' order:
 * what the iterator hands on for the message cache (a negative answer's SOA, with DNSSEC
 * also its RRSIGs and the NSEC/NSEC3 proof). malloc'ed; NULL when out of memory. */
uint8_t *response_build(const ldns_rdf *qname, ldns_rr_type qtype, ldns_rr_class qclass,
                        ldns_pkt_rcode rcode, const ldns_rr_list *answer,
                        const ldns_rr_list *authority, size_t *len);

#endif
