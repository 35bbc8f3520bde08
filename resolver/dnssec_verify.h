/* dnssec_verify.h -- RRSIG and DS checks: is this RRset signed by these keys, is this
 * DNSKEY set the one the parent's DS (or a trust anchor) vouches for.
 *
 * Pure functions of their inputs and the time given (no I/O, no clock read), so the
 * validator stage calls them and the unit tests and fuzz targets drive them directly. ldns
 * does the cryptography; what it does not check is checked here before any crypto runs
 * (RFC 4035 5.3.1): the signer is the zone whose keys are given and the owner is at or
 * below it, the key's owner is the signer with the zone flag and protocol 3 and not
 * revoked, the labels field fits the owner (a smaller one marks a wildcard expansion), and
 * the validity period holds in serial-number arithmetic (RFC 4034 3.1.5). Checking time
 * first means an expired signature costs no CPU.
 *
 * The work is bounded against the KeyTrap family (CVE-2023-50387): every signature
 * verification draws on a struct verify_budget -- at most VERIFY_MAX_PER_RRSET attempts
 * for one RRset and what is left of the question's total -- and running out is bogus with
 * its own reason, never more work.
 *
 * ldns lower-cases an RRSIG's owner in place while verifying: an RRSIG object must not be
 * verified by two threads at once (each resolution owns its records). */
#ifndef DNSSEC_VERIFY_H
#define DNSSEC_VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <ldns/ldns.h>

#define VERIFY_MAX_PER_RRSET 8      /* signature verifications for one RRset */
#define VERIFY_MAX_DS_FAILS  4      /* DS records that matched no key, per DNSKEY set */

/* RFC 4035 4.3, in the order a result can only be trusted more. */
enum sec_status { SEC_UNCHECKED, SEC_BOGUS, SEC_INDETERMINATE, SEC_INSECURE, SEC_SECURE };

struct verify_budget {
    unsigned left;                  /* verifications left for the whole question */
    unsigned used;                  /* verifications done, for stats and the trace */
};

struct verdict {
    enum sec_status status;
    int ede;                        /* enum ede_code when bogus (or insecure by algorithm) */
    const char *why;                /* a short text for the EDE, the trace and the logs */
    uint32_t ttl;                   /* secure: how long the RRset may be cached */
    uint8_t sig_labels;             /* secure: the RRSIG labels field that verified */
    bool wildcard;                  /* secure: an expansion of a wildcard (RFC 4035 5.3.4) */
};

/* DNSKEY algorithms and DS digest types that Debian's ldns and OpenSSL verify. Others (DSA,
 * GOST, unknown) make a zone insecure, never bogus (RFC 6840 5.2). */
bool dnssec_algorithm_supported(uint8_t algorithm);
bool dnssec_digest_supported(uint8_t digest_type);

/* Whether ds is the DS record of dnskey (same owner, key tag, algorithm and digest). */
bool dnssec_ds_matches(const ldns_rr *ds, const ldns_rr *dnskey);

/* Verifies rrset (one owner, type and class) with the RRSIGs among sigs that cover it,
 * using keys (the zone's DNSKEY set, already trusted) of the zone `signer`. Secure when one
 * signature verifies. */
void dnssec_verify_rrset(const ldns_rr_list *rrset, const ldns_rr_list *sigs,
                         const ldns_rr_list *keys, const ldns_rdf *signer, time_t now,
                         struct verify_budget *budget, struct verdict *out);

/* Whether the DNSKEY RRset dnskeys of zone is vouched for: one of its keys matches a DS of
 * ds (or equals a key of anchor_keys; either list may be NULL) and signs the set. Insecure
 * when no DS has an algorithm and digest we support (RFC 6840 5.2). */
void dnssec_verify_dnskeys(const ldns_rr_list *dnskeys, const ldns_rr_list *sigs,
                           const ldns_rr_list *ds, const ldns_rr_list *anchor_keys,
                           const ldns_rdf *zone, time_t now, struct verify_budget *budget,
                           struct verdict *out);

#endif
