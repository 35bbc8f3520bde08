/* ede.h -- Extended DNS Errors (RFC 8914): the INFO-CODEs resolverd gives and their names.
 *
 * A reply says why it failed with an EDE option in its OPT record (wire_add_ede puts it
 * there). The codes are the IANA registry's; ede_name gives the registry's name for the
 * trace output and the logs, the same words dig prints after "; EDE:". EDE_NONE marks
 * "no reason recorded" in the structs that carry one (never on the wire). */
#ifndef EDE_H
#define EDE_H

enum ede_code {
    EDE_NONE = -1,
    EDE_OTHER = 0,
    EDE_UNSUPPORTED_DNSKEY_ALG = 1,
    EDE_UNSUPPORTED_DS_DIGEST = 2,
    EDE_STALE_ANSWER = 3,
    EDE_FORGED_ANSWER = 4,
    EDE_DNSSEC_INDETERMINATE = 5,
    EDE_DNSSEC_BOGUS = 6,
    EDE_SIGNATURE_EXPIRED = 7,
    EDE_SIGNATURE_NOT_YET_VALID = 8,
    EDE_DNSKEY_MISSING = 9,
    EDE_RRSIGS_MISSING = 10,
    EDE_NO_ZONE_KEY_BIT = 11,
    EDE_NSEC_MISSING = 12,
    EDE_CACHED_ERROR = 13,
    EDE_NOT_READY = 14,
    EDE_BLOCKED = 15,
    EDE_CENSORED = 16,
    EDE_FILTERED = 17,
    EDE_PROHIBITED = 18,
    EDE_STALE_NXDOMAIN = 19,
    EDE_NOT_AUTHORITATIVE = 20,
    EDE_NOT_SUPPORTED = 21,
    EDE_NO_REACHABLE_AUTHORITY = 22,
    EDE_NETWORK_ERROR = 23,
    EDE_INVALID_DATA = 24,
};

/* The registry's name of code ("No Reachable Authority"), or "Unknown" for codes it does
 * not (yet) list and for EDE_NONE. Never NULL. */
const char *ede_name(int code);

#endif
