/* keycache.h -- what the validator knows about each zone's keys (the model is Unbound's
 * validator/val_kcache.c): a zone's DNSKEY set proven good, the zone proven insecure (no
 * DS, or only algorithms we cannot check), or bad (the chain to it is bogus, with the
 * reason), each with a TTL.
 *
 * A validation walks from the closest trust anchor down to the signer of its data; every
 * step it proves is stored here, so the next question under the same zones starts from the
 * closest entry instead of the anchor and fetches nothing it already proved. Bad entries
 * live briefly (`val-bogus-ttl`), so a repaired zone recovers and a broken one is not
 * refetched for every client. Shared by the worker threads under one mutex (the cold
 * path: a hit in the message cache never comes here). Bounded in bytes, LRU. Keys are
 * lower-cased wire names; times are wall-clock seconds, as every cache here. */
#ifndef KEYCACHE_H
#define KEYCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <ldns/ldns.h>

enum key_state {
    KEY_NONE,               /* nothing cached (lookup results only) */
    KEY_GOOD,               /* the DNSKEY set is proven */
    KEY_INSECURE,           /* proven unsigned: data below is insecure */
    KEY_BAD,                /* the chain is bogus here: data below is bogus */
};

struct key_info {
    enum key_state state;
    ldns_rr_list *keys;     /* KEY_GOOD: a deep copy, the caller's to free; else NULL */
    int ede;                /* KEY_BAD: the enum ede_code of the reason */
    char why[96];           /* KEY_BAD: the reason as text */
    uint32_t ttl_left;      /* seconds the entry has left */
    uint8_t zone[255];      /* the zone the entry is for (lower-cased wire form) */
    size_t zone_len;
};

struct keycache *keycache_new(size_t max_bytes);
void keycache_free(struct keycache *kc);

/* Stores what is known of zone (replacing what was): keys only with KEY_GOOD (copied),
 * ede/why only with KEY_BAD. ttl 0 stores nothing. 0, or -1 when out of memory or when
 * the entry would take more than an eighth of the budget. */
int keycache_store(struct keycache *kc, const uint8_t *zone_lc, size_t zone_len,
                   enum key_state state, const ldns_rr_list *keys, uint32_t ttl, int ede,
                   const char *why, time_t now);

/* The live entry of the longest zone at or above name_lc, into *out (out->state KEY_NONE
 * when there is none); the caller frees out->keys with ldns_rr_list_deep_free. */
void keycache_closest(struct keycache *kc, const uint8_t *name_lc, size_t name_len,
                      time_t now, struct key_info *out);

/* Drops the bad entries (`resolverctl flush-bogus`), or all; returns how many. */
size_t keycache_flush_bad(struct keycache *kc);
size_t keycache_flush_all(struct keycache *kc);
size_t keycache_entries(struct keycache *kc);

#endif
