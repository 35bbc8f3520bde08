/* htable.h -- the one hash table every table of resolverd is built on (the model is
 * Unbound's util/storage/lruhash.c: one table, many users).
 *
 * Intrusive and chained: an entry embeds a node, the table holds pointers to nodes in a
 * power-of-two array of slots, chains are singly linked, and the array doubles once
 * entries outnumber slots (a failed doubling leaves longer chains: nothing fails). The
 * hash is the user's (wire_name_hash for names, an address hash for servers); the slot is
 * its low bits, so a user that shards by the top bits (cache.c) keeps both independent.
 *
 * Two layers:
 *   struct htable   chains only. mesh.c (its resolutions in flight) uses it bare.
 *   struct lruhash  an htable whose entries are also on one LRU list (lru.h) and count
 *                   against a budget: each entry's cost (bytes, or 1 to bound entries)
 *                   is summed in `used`; evicting drops the least recently used. The
 *                   message cache (one per shard), the RRset cache and infra use it.
 *
 * No locks and no allocation per entry here: the user owns its entries (lruhash hands
 * them back to ops->dispose when it drops one) and holds whatever lock it needs (cache.c
 * a mutex per shard, rrcache.c and infra.c one each, mesh.c none: one mesh per thread).
 * A lookup is inline: htable_chain gives the chain of a hash, the caller compares its own
 * key, so a cache hit costs no call and no callback.
 *
 * Not built on it, on purpose: hosts.c's indexes (positions into flat arrays that move
 * while a file loads, 8 octets a slot, read-only after loading) and ratelimit.c's fixed,
 * lossy counter array (no entry per client at all); their headers say why. */
#ifndef HTABLE_H
#define HTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lru.h"

struct htable_node {
    struct htable_node *next;           /* the chain of one slot */
    uint64_t hash;
};

struct htable {
    struct htable_node **slots;
    size_t slot_count;                  /* a power of two */
    size_t count;                       /* nodes in the table */
};

/* The entry of type `type` whose member `member` is the node n (any node type here). */
#define HTABLE_ENTRY(n, type, member) LRU_ENTRY(n, type, member)

/* initial_slots is rounded up to a power of two (at least 1). 0, or -1 without memory. */
int htable_init(struct htable *t, size_t initial_slots);
/* Frees the slot array only: the entries are the user's. */
void htable_fini(struct htable *t);

/* The first node of hash's chain; walk on with ->next, comparing ->hash and the key. */
static inline struct htable_node *htable_chain(const struct htable *t, uint64_t hash)
{
    return t->slots[hash & (t->slot_count - 1)];
}

/* Links n (not in any table) under hash; may double the slot array. */
void htable_insert(struct htable *t, struct htable_node *n, uint64_t hash);
/* Unlinks n, which must be in t. */
void htable_remove(struct htable *t, struct htable_node *n);

/* Calls fn on every node, slot by slot; fn may remove (and free) the node it is given,
 * no other, and must not insert. */
typedef void (*htable_visit_fn)(struct htable_node *n, void *arg);
void htable_walk(struct htable *t, htable_visit_fn fn, void *arg);

/* ---- lruhash: the table with its LRU list and budget -------------------------------- */

struct lruhash_node {
    struct htable_node h;
    struct lru_node lru;                /* position in the use order */
};

struct lruhash;

struct lruhash_ops {
    size_t (*cost)(const struct lruhash_node *n);   /* what the entry counts; constant */
    void (*dispose)(struct lruhash_node *n);        /* frees an entry the table dropped */
};

/* Clears an entry's "used since" mark and says whether it was set (see `referenced`). */
typedef bool lruhash_referenced_fn(struct lruhash_node *n);

struct lruhash {
    struct htable table;
    struct lru_list lru;                /* head = most recently used */
    size_t used;                        /* sum of ops->cost over the entries */
    const struct lruhash_ops *ops;
    /* NULL: exact LRU, every use moves its entry (lruhash_touch). Set by a user whose
     * lookups only mark their entry instead (CLOCK, second chance): a marked entry at the
     * tail is moved to the head, unmarked, instead of being dropped. A hit then writes
     * no neighbour: in a cache of millions, two cache and TLB misses less a hit. */
    lruhash_referenced_fn *referenced;
};

/* The lruhash node of a node found through htable_chain(&l->table, hash). */
#define LRUHASH_NODE(hn) HTABLE_ENTRY(hn, struct lruhash_node, h)

int lruhash_init(struct lruhash *l, size_t initial_slots, const struct lruhash_ops *ops);
/* Drops every entry (dispose), then frees the slot array. */
void lruhash_fini(struct lruhash *l);

static inline struct htable_node *lruhash_chain(const struct lruhash *l, uint64_t hash)
{
    return htable_chain(&l->table, hash);
}

static inline size_t lruhash_count(const struct lruhash *l)
{
    return l->table.count;
}

/* Marks n most recently used. */
static inline void lruhash_touch(struct lruhash *l, struct lruhash_node *n)
{
    lru_unlink(&l->lru, &n->lru);
    lru_push_head(&l->lru, &n->lru);
}

/* Links n as the most recently used and adds its cost; evicts nothing (see evict_to). */
void lruhash_insert(struct lruhash *l, struct lruhash_node *n, uint64_t hash);
/* Unlinks n, subtracts its cost and disposes of it. */
void lruhash_remove(struct lruhash *l, struct lruhash_node *n);
/* Drops least recently used entries until used <= max_used; returns how many. */
size_t lruhash_evict_to(struct lruhash *l, size_t max_used);
/* Drops every entry; returns how many. */
size_t lruhash_clear(struct lruhash *l);

/* Drops every entry for which match is true; returns how many. With a hash, only that
 * hash's chain is looked at (match still sees only nodes of that hash). */
typedef bool (*lruhash_match_fn)(const struct lruhash_node *n, void *arg);
size_t lruhash_remove_if(struct lruhash *l, lruhash_match_fn match, void *arg);
size_t lruhash_remove_hash_if(struct lruhash *l, uint64_t hash, lruhash_match_fn match,
                              void *arg);

#endif
