/* ede.c -- the names of the Extended DNS Error codes (RFC 8914 section 4 and the IANA
 * registry "Extended DNS Error Codes"), for trace output and logs. The wire side is
 * wire_add_ede in wire.c; which code a failure gets is decided where it fails. */
#include "ede.h"

static const char *const ede_names[] = {
    [EDE_OTHER] = "Other Error",
    [EDE_UNSUPPORTED_DNSKEY_ALG] = "Unsupported DNSKEY Algorithm",
    [EDE_UNSUPPORTED_DS_DIGEST] = "Unsupported DS Digest Type",
    [EDE_STALE_ANSWER] = "Stale Answer",
    [EDE_FORGED_ANSWER] = "Forged Answer",
    [EDE_DNSSEC_INDETERMINATE] = "DNSSEC Indeterminate",
    [EDE_DNSSEC_BOGUS] = "DNSSEC Bogus",
    [EDE_SIGNATURE_EXPIRED] = "Signature Expired",
    [EDE_SIGNATURE_NOT_YET_VALID] = "Signature Not Yet Valid",
    [EDE_DNSKEY_MISSING] = "DNSKEY Missing",
    [EDE_RRSIGS_MISSING] = "RRSIGs Missing",
    [EDE_NO_ZONE_KEY_BIT] = "No Zone Key Bit Set",
    [EDE_NSEC_MISSING] = "NSEC Missing",
    [EDE_CACHED_ERROR] = "Cached Error",
    [EDE_NOT_READY] = "Not Ready",
    [EDE_BLOCKED] = "Blocked",
    [EDE_CENSORED] = "Censored",
    [EDE_FILTERED] = "Filtered",
    [EDE_PROHIBITED] = "Prohibited",
    [EDE_STALE_NXDOMAIN] = "Stale NXDOMAIN Answer",
    [EDE_NOT_AUTHORITATIVE] = "Not Authoritative",
    [EDE_NOT_SUPPORTED] = "Not Supported",
    [EDE_NO_REACHABLE_AUTHORITY] = "No Reachable Authority",
    [EDE_NETWORK_ERROR] = "Network Error",
    [EDE_INVALID_DATA] = "Invalid Data",
};

const char *ede_name(int code)
{
    if (code < 0 || (unsigned)code >= sizeof ede_names / sizeof ede_names[0])
        return "Unknown";
    return ede_names[code];
}
