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

struct cache_limits {
    size_t max_bytes;               /* cache-size: every byte an entry owns counts */
    uint32_t min_ttl;               /* positive TTLs are raised to this ... */
    uint32_t max_ttl;               /* ... and lowered to this */
    uint32_t max_negative_ttl;      /* negative TTLs are lowered to this */
};

enum cache_kind { CACHE_POSITIVE, CACHE_NEGATIVE };

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

/* On a live entry, copies its message into out with every TTL counted down to what
 * remains, marks it most recently used, and returns the length (0 on a miss, an expired
 * entry -- which is then removed -- or cap too small). *kind, if not NULL, says which. */
size_t cache_lookup(struct cache *c, const uint8_t *name_lc, size_t name_len, uint16_t qtype,
                    uint16_t qclass, time_t now, uint8_t *out, size_t cap, enum cache_kind *kind);

/* Removes every entry of that name (all types and classes); returns how many. */
size_t cache_flush_name(struct cache *c, const uint8_t *name_lc, size_t name_len);
/* Removes everything; returns how many. */
size_t cache_flush_all(struct cache *c);

/* Says whether an entry should go: its lower-cased key name, type, class and kind. */
typedef bool (*cache_match_fn)(const uint8_t *name_lc, size_t name_len, uint16_t qtype,
                               uint16_t qclass, enum cache_kind kind, void *arg);
/* Removes every entry (live or expired) for which match returns true; returns how many. */
size_t cache_flush_if(struct cache *c, cache_match_fn match, void *arg);

/* One live entry, for dumping: its key, kind, its message with every TTL counted down to
 * what remains (valid only during the call) and the entry's remaining lifetime in
 * seconds. Returns false to stop the walk. */
typedef bool (*cache_walk_fn)(const uint8_t *name_lc, size_t name_len, uint16_t qtype,
                              uint16_t qclass, enum cache_kind kind, const uint8_t *msg,
                              size_t len, uint32_t ttl_left, void *arg);
/* Calls fn for each live entry, shard by shard, most recently used first within a shard; expired entries are skipped
 * (not removed) and nothing is reordered. Returns how many entries fn was called with,
 * or -1 if memory for the message copy ran out. */
long cache_walk(struct cache *c, time_t now, cache_walk_fn fn, void *arg);

size_t cache_entries(struct cache *c);
size_t cache_bytes(struct cache *c);      /* what counts against max_bytes */
uint64_t cache_evictions(struct cache *c); /* entries dropped for space since cache_new */

#endif
