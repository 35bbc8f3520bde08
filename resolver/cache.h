/* cache.h -- the message cache: whole response messages in wire form, keyed by
 * (name, type, class), positive and negative (RFC 2308), bounded in bytes with LRU eviction.
 *
 * Entries are stored ready to send (see wire_finish_reply): a hit copies the message and
 * writes each RR's remaining TTL at the offsets recorded at insertion, so a hit needs no
 * parsing and no allocation. Keys are lower-cased wire names; the client's case is put
 * back by wire_finish_reply. Times are wall-clock seconds (time()), so tests can move them
 * with libfaketime.
 *
 * Thread use: one cache is shared by every worker thread. It is split into up to 16
 * shards by name hash (one per MiB of cache-size, so small caches are one shard), each
 * with its own mutex and its own share of cache-size and LRU order; every call locks only
 * the shard(s) it touches. Callbacks (cache_flush_if, cache_walk) run under a shard's lock
 * and must not call back into the cache. */
#ifndef CACHE_H
#define CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cache;

/* The cache's policy, from the config (state.c): bounds and what a lookup may do. */
struct cache_limits {
    size_t max_bytes;               /* cache-size: every byte an entry owns counts */
    uint32_t min_ttl;               /* positive TTLs are raised to this ... */
    uint32_t max_ttl;               /* ... and lowered to this */
    uint32_t max_negative_ttl;      /* negative TTLs are lowered to this */
    bool prefetch;                  /* `prefetch`: hits late in a TTL ask for a refresh */
    uint32_t stale_max_age;         /* `serve-stale-max-age` when serve-stale is on, else 0:
                                     * seconds an expired entry is kept to be served stale */
};

enum cache_kind { CACHE_POSITIVE, CACHE_NEGATIVE };

/* DNSSEC (msgform.h): an answer has a form for clients without the DO bit (PLAIN: no
 * RRSIG, NSEC, NSEC3) and one for DO clients (DNSSEC). When the two differ both are stored,
 * the form being part of the key (one cache, one byte budget, one LRU); when they are the
 * same one entry serves both. A DO client's lookup takes the DNSSEC entry, else the plain
 * one if it is the same for DO clients; it never gets a plain form whose DNSSEC records
 * were cut (then it misses), and a client without DO never gets a DNSSEC form. */
enum cache_form { CACHE_FORM_PLAIN, CACHE_FORM_DNSSEC };

/* How cache_store_forms serves DO clients. */
enum cache_do_form {
    CACHE_DO_SAME,                  /* the plain form: the answer has no DNSSEC records */
    CACHE_DO_OWN,                   /* their own form, stored next to the plain one */
    CACHE_DO_MISSING,               /* the plain form lost records DO clients want (a
                                     * synthesised entry, a dump): they miss and resolve */
};

/* Prefetch (Unbound's `prefetch`): a hit in the last tenth of an entry's TTL (rounded up
 * to whole seconds), on an entry hit at least CACHE_PREFETCH_MIN_HITS times (this hit
 * included), asks the caller to refresh it -- once per stored entry, so a popular name
 * costs one upstream resolution per TTL and never expires under its clients. The hit
 * count keeps names asked once (or by one client's retry) from costing a refresh. */
#define CACHE_PREFETCH_MIN_HITS 2

/* Serve-stale (RFC 8767): an expired entry is kept (within the byte budget, LRU as any
 * other) until stale_max_age seconds past its expiry and is served, with every TTL set to
 * CACHE_STALE_TTL, when its refresh fails (cache_lookup_stale). After a failed refresh
 * (cache_stale_backoff) lookups serve it stale at once for CACHE_STALE_RETRY seconds,
 * doubled after each further failure up to CACHE_STALE_RETRY_MAX, so a dead authority is
 * asked once per back-off and not once per client query (RFC 8767 5's failure recheck). */
#define CACHE_STALE_TTL       30
#define CACHE_STALE_RETRY     30
#define CACHE_STALE_RETRY_MAX 300

/* What a lookup found, besides the message. */
struct cache_hit {
    enum cache_kind kind;
    bool prefetch;                  /* refresh this entry now, in the background */
    bool stale;                     /* expired, in its back-off: TTLs are CACHE_STALE_TTL */
};

struct cache *cache_new(const struct cache_limits *limits);
/* New limits (on reload); evicts at once if the cache is now over its size. */
void cache_set_limits(struct cache *c, const struct cache_limits *limits);
void cache_free(struct cache *c);

/* Stores a response to (name, type, class). `msg` is a whole message without OPT, as
 * received (its ID and flags are kept as they are and rewritten on every reply). What is
 * cached: NOERROR with answers (positive; TTL = the smallest RR TTL, each clamped to
 * [min_ttl, max_ttl]); NXDOMAIN, or NOERROR with an empty answer, with a SOA in the
 * authority section (negative; TTL = min(SOA TTL, SOA MINIMUM), capped by max_negative_ttl,
 * and the SOA's TTL in the stored message set to it). Anything else (SERVFAIL, TC, no SOA,
 * malformed) is not cached and -1 is returned. Replaces an existing entry. Returns 0. */
int cache_store(struct cache *c, const uint8_t *name_lc, size_t name_len, uint16_t qtype,
                uint16_t qclass, const uint8_t *msg, size_t len, time_t now);
/* cache_store of an answer in its two forms (see enum cache_form): `plain` as cache_store
 * takes it (for clients without DO; its store decides the return value), and for DO clients
 * as `how` says -- with CACHE_DO_OWN, `dnssec` (dnssec_len octets), which is stored under
 * the same rules (if it alone is refused, DO clients miss). Any older DNSSEC form of the
 * key goes. cache_store is this with CACHE_DO_SAME. */
int cache_store_forms(struct cache *c, const uint8_t *name_lc, size_t name_len, uint16_t qtype,
                      uint16_t qclass, const uint8_t *plain, size_t plain_len,
                      enum cache_do_form how, const uint8_t *dnssec, size_t dnssec_len,
                      time_t now);

/* On a live entry, copies its message into out with every TTL counted down to what
 * remains, marks it most recently used, and returns the length (0 on a miss, an expired
 * entry -- which is then removed unless kept for serve-stale -- or cap too small). *kind,
 * if not NULL, says which. A look only: no hit is counted (trace, tests, resolve.c). */
size_t cache_lookup(struct cache *c, const uint8_t *name_lc, size_t name_len, uint16_t qtype,
                    uint16_t qclass, time_t now, uint8_t *out, size_t cap, enum cache_kind *kind);
/* cache_lookup of the form a DO client gets (its own, or the plain one when the same). */
size_t cache_lookup_do(struct cache *c, const uint8_t *name_lc, size_t name_len, uint16_t qtype,
                       uint16_t qclass, time_t now, uint8_t *out, size_t cap, enum cache_kind *kind);
/* A client's lookup (request.c): cache_lookup of the client's form (dnssec_ok: it set DO)
 * that counts the hit on the entry and says in *hit what was found -- its kind, whether to
 * prefetch it, and whether the copy is of an expired entry in its serve-stale back-off
 * (TTLs CACHE_STALE_TTL). Each form counts its own hits and asks its own prefetch. */
size_t cache_lookup_client(struct cache *c, const uint8_t *name_lc, size_t name_len,
                           uint16_t qtype, uint16_t qclass, bool dnssec_ok, time_t now,
                           uint8_t *out, size_t cap, struct cache_hit *hit);

/* On an expired entry kept for serve-stale, copies its message into out with every TTL
 * set to CACHE_STALE_TTL and returns the length (0 when there is none, the entry is
 * live, or cap is too small); *kind, if not NULL, says which. */
size_t cache_lookup_stale(struct cache *c, const uint8_t *name_lc, size_t name_len,
                          uint16_t qtype, uint16_t qclass, bool dnssec_ok, time_t now,
                          uint8_t *out, size_t cap, enum cache_kind *kind);
/* The refresh of an expired entry failed: until the back-off has passed, lookups serve it
 * stale at once (see CACHE_STALE_RETRY), in both its forms. No effect on a live or missing
 * entry. */
void cache_stale_backoff(struct cache *c, const uint8_t *name_lc, size_t name_len,
                         uint16_t qtype, uint16_t qclass, time_t now);

/* Removes every entry of that name (all types and classes); returns how many. */
size_t cache_flush_name(struct cache *c, const uint8_t *name_lc, size_t name_len);
/* Removes everything; returns how many. */
size_t cache_flush_all(struct cache *c);

/* Says whether an entry should go: its lower-cased key name, type, class and kind. */
typedef bool (*cache_match_fn)(const uint8_t *name_lc, size_t name_len, uint16_t qtype,
                               uint16_t qclass, enum cache_kind kind, void *arg);
/* Removes every entry (live or expired) for which match returns true; returns how many. */
size_t cache_flush_if(struct cache *c, cache_match_fn match, void *arg);

/* One live entry, for dumping: its key, kind, whether DO clients get another form of it
 * (dnssec_form: its DNSSEC records are not in msg), its message (the plain form) with every
 * TTL counted down to what remains (valid only during the call) and the entry's remaining
 * lifetime in seconds. Returns false to stop the walk. */
typedef bool (*cache_walk_fn)(const uint8_t *name_lc, size_t name_len, uint16_t qtype,
                              uint16_t qclass, enum cache_kind kind, bool dnssec_form,
                              const uint8_t *msg, size_t len, uint32_t ttl_left, void *arg);
/* Calls fn for each live plain entry (DNSSEC forms are not walked), shard by shard, most
 * recently used first within a shard; expired entries are skipped (not removed) and
 * nothing is reordered. Returns how many entries fn was called with,
 * or -1 if memory for the message copy ran out. */
long cache_walk(struct cache *c, time_t now, cache_walk_fn fn, void *arg);

size_t cache_entries(struct cache *c);   /* both forms count */
size_t cache_bytes(struct cache *c);      /* what counts against max_bytes */
uint64_t cache_evictions(struct cache *c); /* entries dropped for space since cache_new */

#endif
