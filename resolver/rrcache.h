/* rrcache.h -- the RRset cache the iterator walks: NS sets, glue and answers, with trust.
 *
 * The message cache (cache.h) holds whole replies for clients; this one holds single
 * RRsets keyed by (owner, type, class), so the iterator can find the closest delegation
 * (NS set + addresses of its servers) for any name. Every replacement goes through one
 * predicate on trust (RFC 2181 5.4.1): data from an authoritative answer outranks
 * authority-section data, which outranks glue/additional data; a live entry is never
 * replaced by a lower-ranked one (an expired one always is). Bounded in bytes, LRU.
 * Times are wall-clock seconds, as in cache.h. Shared by the worker threads: every public
 * call holds the cache's one mutex (the iterator, its only heavy user, is the cold path). */
#ifndef RRCACHE_H
#define RRCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ldns/ldns.h>

struct rrcache;

enum rr_trust {
    RR_TRUST_GLUE = 1,          /* additional section, referral glue */
    RR_TRUST_AUTHORITY = 2,     /* authority section: NS sets of referrals */
    RR_TRUST_ANSWER = 3,        /* answer section of an authoritative reply */
};

struct rrcache *rrcache_new(size_t max_bytes, uint32_t max_ttl);
void rrcache_set_limits(struct rrcache *c, size_t max_bytes, uint32_t max_ttl);
void rrcache_free(struct rrcache *c);

/* Stores a copy of `rrset` (all RRs share owner, type and class; an empty or mixed list
 * is ignored and returns -1). TTL = the smallest RR TTL, capped by max_ttl; 0 is not
 * stored. Returns 0 when stored, 1 when a live entry of higher trust was kept, -1 on error. */
int rrcache_store(struct rrcache *c, const ldns_rr_list *rrset, enum rr_trust trust,
                  time_t now);

/* A fresh deep copy of the live RRset (TTLs counted down to what remains), or NULL.
 * *trust (if not NULL) gets the entry's trust. The caller frees with ldns_rr_list_deep_free. */
ldns_rr_list *rrcache_lookup(struct rrcache *c, const ldns_rdf *owner, ldns_rr_type type,
                             ldns_rr_class rclass, time_t now, enum rr_trust *trust);

/* Removes every entry of that owner name (uncompressed wire form, any case, as control.c
 * and the message cache key names; all types); returns how many. */
size_t rrcache_flush_name(struct rrcache *c, const uint8_t *name_lc, size_t name_len);
size_t rrcache_flush_all(struct rrcache *c);

/* Says whether an entry should go: its lower-cased owner (wire form), type and class. */
typedef bool (*rrcache_match_fn)(const uint8_t *name_lc, size_t name_len, uint16_t type,
                                 uint16_t rclass, void *arg);
/* Removes every entry (live or expired) for which match returns true; returns how many. */
size_t rrcache_flush_if(struct rrcache *c, rrcache_match_fn match, void *arg);
size_t rrcache_entries(struct rrcache *c);
size_t rrcache_bytes(struct rrcache *c);

#endif
