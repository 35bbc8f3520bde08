/* anchors.h -- DNSSEC trust anchors: where every chain of trust starts.
 *
 * A trust anchor is a DS or DNSKEY record for a zone, taken on faith from a file
 * (`trust-anchor-file`, the shipped hints/root.key when the config names none). Anchors may
 * sit below the root ("islands of trust"); a name is validated from its closest anchor, the
 * one whose zone is the longest suffix of the name. A negative trust anchor
 * (`negative-trust-anchor NAME`, RFC 7646) says the zone and everything below it are to be
 * treated as insecure whatever the anchors say.
 *
 * The set is built once at load and read-only afterwards, so worker threads share it
 * without locks; a reload builds a new one. Names are kept in lower-cased wire form, the
 * form the caches key on. Records keep the TTL and data of the file; a DNSKEY anchor must
 * be a zone key of protocol 3 (RFC 4034 2.1.1, 2.1.2), checked at load, so the validator
 * can trust every record it gets from here. */
#ifndef ANCHORS_H
#define ANCHORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ldns/ldns.h>

#include "wire.h"

struct anchor {
    uint8_t zone[WIRE_MAX_NAME];    /* lower-cased wire form */
    size_t zone_len;
    ldns_rr_list *ds;               /* the DS anchors of the zone (may be empty) */
    ldns_rr_list *dnskey;           /* the DNSKEY anchors of the zone (may be empty) */
};

struct anchors {
    struct anchor *zones;
    size_t n_zones;
    struct nta {                    /* negative trust anchors */
        uint8_t name[WIRE_MAX_NAME];
        size_t name_len;
    } *negative;
    size_t n_negative;
};

/* Adds every anchor of the file at path. 0, or -1 with "PATH:LINE: what is wrong" in err
 * (the set keeps what it had before the call's first bad line). */
int anchors_load_file(struct anchors *a, const char *path, char *err, size_t errlen);

/* Adds one anchor record (DS, or a DNSKEY with the zone flag and protocol 3). The set takes
 * it. 0, or -1 with the reason in err, and rr still the caller's. */
int anchors_add_rr(struct anchors *a, ldns_rr *rr, char *err, size_t errlen);

/* Adds a negative trust anchor (lower-cased wire form). 0, or -1 when out of memory. */
int anchors_add_negative(struct anchors *a, const uint8_t *name_lc, size_t name_len);

/* The anchor with the longest zone at or above name_lc; NULL when none covers it. */
const struct anchor *anchors_closest(const struct anchors *a, const uint8_t *name_lc,
                                     size_t name_len);

/* Whether name_lc is at or below a negative trust anchor. */
bool anchors_negative(const struct anchors *a, const uint8_t *name_lc, size_t name_len);

/* Frees what the set holds and leaves it empty, ready for reuse. */
void anchors_clear(struct anchors *a);

#endif
