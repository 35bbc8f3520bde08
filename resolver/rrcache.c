/* rrcache.c -- the RRset cache: single RRsets keyed by (owner, type, class), with trust.
 *
 * Invariant (holds after every store and every rrcache_set_limits):
 *
 *     bytes == sum over entries of entry->cost  and  bytes <= max_bytes
 *
 * where cost (fixed when the entry is made) estimates what the entry holds: its own struct
 * and key name, RRCACHE_SLOT_OVERHEAD for its share of the hash table, the ldns_rr_list
 * and its pointer array, and per RR the ldns structs (ldns_rr, one ldns_rdf per field plus
 * the owner) and ldns_rr_uncompressed_size octets of data. malloc's own bookkeeping is not
 * counted. As in cache.c, an entry costing more than max_bytes / 8 is never stored, so one
 * RRset cannot empty the cache and the entry just stored is never the one evicted.
 *
 * Every replacement of a live entry goes through one predicate, entry_may_be_replaced
 * (RFC 2181 5.4.1): new data replaces old data only if the old is expired or the new
 * data's trust is at least the old's.
 *
 * Layout: one malloc per entry (struct + lower-cased owner name) plus the ldns_rr_list, a
 * deep copy in canonical form (ldns_rr2canonical: owners and the names inside NS, SOA, ...
 * lower-cased, so 0x20 case from upstream never leaks out of the cache). The entry lives
 * for `ttl` seconds from stored_at; an RRset has one TTL, so every RR is handed out with
 * the entry's remaining TTL.
 *
 * Expiry is lazy: an entry is removed when a lookup finds it expired, when a store
 * replaces it, or when it reaches the LRU tail and space is needed. The table is one
 * lruhash (htable.h, shared with cache.c and infra.c), hashed by the owner name alone, so all types of a name share a chain and rrcache_flush_name
 * is a single chain walk.
 *
 * Failure policy: if an allocation fails the RRset is not stored (or the lookup returns
 * NULL); a failed table resize leaves longer chains. Nothing here aborts. */
#include "rrcache.h"
#include "htable.h"

#include <stdbool.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rrlist.h"
#include "wire.h"

#define RRCACHE_INITIAL_SLOTS 64
#define RRCACHE_SLOT_OVERHEAD (2 * sizeof(struct rr_entry *))

struct rr_entry {
    struct lruhash_node node;           /* chain, use order; node.h.hash = wire_name_hash */
    ldns_rr_list *rrs;                  /* canonical deep copy, TTLs as received */
    size_t cost;                        /* what this entry adds to rrcache.bytes */
    time_t stored_at;
    uint32_t ttl;                       /* lifetime in seconds */
    uint16_t type, rclass;
    uint8_t trust;                      /* enum rr_trust */
    uint8_t name_len;
    uint8_t name[];                     /* lower-cased owner, uncompressed wire form */
};

struct rrcache {
    pthread_mutex_t lock;               /* every public call holds it */
    size_t max_bytes;
    uint32_t max_ttl;
    struct lruhash table;               /* entries; table.used = bytes */
};

/* ---- entries ----------------------------------------------------------------------- */

/* Seconds since the entry was stored, at most its ttl; a clock that went back counts as
 * no time passed. */
static uint32_t entry_age(const struct rr_entry *e, time_t now)
{
    if (now <= e->stored_at)
        return 0;
    if ((uint64_t)(now - e->stored_at) >= e->ttl)
        return e->ttl;
    return (uint32_t)(now - e->stored_at);
}

static bool entry_expired(const struct rr_entry *e, time_t now)
{
    return entry_age(e, now) >= e->ttl;
}

/* The one replacement predicate (RFC 2181 5.4.1): lower-ranked data never overwrites
 * live higher-ranked data; equal or better rank refreshes it. */
/* Does the live entry hold exactly these records (TTLs aside)? */
static bool entry_same_data(const struct rr_entry *old, const ldns_rr_list *rrset)
{
    size_t n = ldns_rr_list_rr_count(rrset);

    if (n != ldns_rr_list_rr_count(old->rrs))
        return false;
    for (size_t i = 0; i < n; i++) {
        ldns_rr *rr = ldns_rr_clone(ldns_rr_list_rr(rrset, i));
        bool found = false;
        if (!rr)
            return false;
        ldns_rr2canonical(rr);
        for (size_t k = 0; k < n && !found; k++)
            found = ldns_rr_compare(ldns_rr_list_rr(old->rrs, k), rr) == 0;
        ldns_rr_free(rr);
        if (!found)
            return false;
    }
    return true;
}

/* The one replacement rule: an expired entry always goes; otherwise higher trust wins, and
 * equal trust replaces only with different data. The same data does not refresh the TTL,
 * so a zone removed from its parent cannot be kept alive for ever by its own servers
 * re-announcing their NS set ("ghost domain names", CVE-2012-1033). */
static bool entry_may_be_replaced(const struct rr_entry *old, const ldns_rr_list *rrset,
                                  enum rr_trust trust, time_t now)
{
    if (entry_expired(old, now) || (unsigned)trust > old->trust)
        return true;
    return (unsigned)trust == old->trust && !entry_same_data(old, rrset);
}

static bool entry_matches(const struct rr_entry *e, uint64_t hash, const ldns_rdf *owner,
                          uint16_t type, uint16_t rclass)
{
    return e->node.h.hash == hash && e->type == type && e->rclass == rclass &&
           wire_name_equal(e->name, e->name_len, ldns_rdf_data(owner), ldns_rdf_size(owner));
}

static void entry_free(struct rr_entry *e)
{
    ldns_rr_list_deep_free(e->rrs);
    free(e);
}

static size_t entry_cost(const struct rr_entry *e)
{
    size_t cost = sizeof(*e) + e->name_len + RRCACHE_SLOT_OVERHEAD + sizeof(ldns_rr_list);

    for (size_t i = 0; i < ldns_rr_list_rr_count(e->rrs); i++)
        cost += sizeof(ldns_rr *) + rrlist_rr_cost(ldns_rr_list_rr(e->rrs, i));
    return cost;
}

/* ---- the table -------------------------------------------------------------------- */

static size_t node_cost(const struct lruhash_node *n)
{
    return HTABLE_ENTRY(n, const struct rr_entry, node)->cost;
}

static void node_dispose(struct lruhash_node *n)
{
    entry_free(HTABLE_ENTRY(n, struct rr_entry, node));
}

static const struct lruhash_ops entry_ops = { node_cost, node_dispose };

static uint64_t owner_hash(const ldns_rdf *owner)
{
    return wire_name_hash(ldns_rdf_data(owner), ldns_rdf_size(owner));
}

static struct rr_entry *entry_find(struct rrcache *c, const ldns_rdf *owner,
                                   uint16_t type, uint16_t rclass)
{
    uint64_t hash = owner_hash(owner);

    for (struct htable_node *n = lruhash_chain(&c->table, hash); n; n = n->next) {
        struct rr_entry *e = HTABLE_ENTRY(LRUHASH_NODE(n), struct rr_entry, node);
        if (entry_matches(e, hash, owner, type, rclass))
            return e;
    }
    return NULL;
}

/* ---- what may be stored ------------------------------------------------------------ */

static bool owner_usable(const ldns_rdf *owner)
{
    return owner && ldns_rdf_get_type(owner) == LDNS_RDF_TYPE_DNAME &&
           ldns_rdf_size(owner) > 0 && ldns_rdf_size(owner) <= WIRE_MAX_NAME;
}

/* RFC 2181 8: a TTL with the top bit set is treated as zero. */
static uint32_t ttl_sane(uint32_t ttl)
{
    return ttl & 0x80000000u ? 0 : ttl;
}

/* True if rrset is one non-empty RRset (same owner, type and class throughout, owners
 * compared case-insensitively); *ttl gets its smallest sane TTL capped by max_ttl. */
static bool rrset_check(const ldns_rr_list *rrset, uint32_t max_ttl, uint32_t *ttl)
{
    const ldns_rr *first;
    const ldns_rdf *owner;

    if (!rrset || ldns_rr_list_rr_count(rrset) == 0)
        return false;
    first = ldns_rr_list_rr(rrset, 0);
    owner = ldns_rr_owner(first);
    if (!owner_usable(owner))
        return false;
    *ttl = max_ttl;
    for (size_t i = 0; i < ldns_rr_list_rr_count(rrset); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(rrset, i);
        const ldns_rdf *o = ldns_rr_owner(rr);
        if (!o || ldns_rr_get_type(rr) != ldns_rr_get_type(first) ||
            ldns_rr_get_class(rr) != ldns_rr_get_class(first) ||
            !wire_name_equal(ldns_rdf_data(o), ldns_rdf_size(o), ldns_rdf_data(owner),
                             ldns_rdf_size(owner)))
            return false;
        if (ttl_sane(ldns_rr_ttl(rr)) < *ttl)
            *ttl = ttl_sane(ldns_rr_ttl(rr));
    }
    return true;
}

/* A new entry holding a canonical copy of rrset (already checked), or NULL. */
static struct rr_entry *entry_make(const ldns_rr_list *rrset, uint32_t ttl,
                                   enum rr_trust trust, time_t now)
{
    const ldns_rr *first = ldns_rr_list_rr(rrset, 0);
    const ldns_rdf *owner = ldns_rr_owner(first);
    size_t name_len = ldns_rdf_size(owner);
    struct rr_entry *e = calloc(1, sizeof(*e) + name_len);

    if (!e)
        return NULL;
    e->rrs = rrlist_clone_with_ttl(rrset, ttl, true);
    if (!e->rrs) {
        free(e);
        return NULL;
    }
    memcpy(e->name, ldns_rdf_data(owner), name_len);
    wire_name_lower(e->name, name_len);
    e->name_len = (uint8_t)name_len;
    e->node.h.hash = wire_name_hash(e->name, name_len);
    e->stored_at = now;
    e->ttl = ttl;
    e->type = (uint16_t)ldns_rr_get_type(first);
    e->rclass = (uint16_t)ldns_rr_get_class(first);
    e->trust = (uint8_t)trust;
    e->cost = entry_cost(e);
    return e;
}

/* ---- the public interface: each call holds the lock (worker threads share this) ---- */

struct rrcache *rrcache_new(size_t max_bytes, uint32_t max_ttl)
{
    struct rrcache *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    if (lruhash_init(&c->table, RRCACHE_INITIAL_SLOTS, &entry_ops) != 0) {
        free(c);
        return NULL;
    }
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        lruhash_fini(&c->table);
        free(c);
        return NULL;
    }
    c->max_bytes = max_bytes;
    c->max_ttl = max_ttl;
    return c;
}

void rrcache_free(struct rrcache *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->lock);
    lruhash_fini(&c->table);
    free(c);
}

void rrcache_set_limits(struct rrcache *c, size_t max_bytes, uint32_t max_ttl)
{
    pthread_mutex_lock(&c->lock);
    c->max_bytes = max_bytes;
    c->max_ttl = max_ttl;
    lruhash_evict_to(&c->table, max_bytes);
    pthread_mutex_unlock(&c->lock);
}

/* The part of rrcache_store under the lock: the replacement decision and the swap. */
static int store_locked(struct rrcache *c, const ldns_rr_list *rrset, enum rr_trust trust,
                        time_t now)
{
    const ldns_rr *first = ldns_rr_list_rr(rrset, 0);
    struct rr_entry *e, *old;
    uint32_t ttl;

    if (!rrset_check(rrset, c->max_ttl, &ttl) || ttl == 0)
        return -1;
    old = entry_find(c, ldns_rr_owner(first), (uint16_t)ldns_rr_get_type(first),
                     (uint16_t)ldns_rr_get_class(first));
    if (old && !entry_may_be_replaced(old, rrset, trust, now))
        return 1;
    e = entry_make(rrset, ttl, trust, now);
    if (!e)
        return -1;
    if (e->cost > c->max_bytes / 8) {
        entry_free(e);
        return -1;
    }
    if (old)
        lruhash_remove(&c->table, &old->node);
    lruhash_insert(&c->table, &e->node, e->node.h.hash);
    lruhash_evict_to(&c->table, c->max_bytes);
    return 0;
}

int rrcache_store(struct rrcache *c, const ldns_rr_list *rrset, enum rr_trust trust,
                  time_t now)
{
    int r;

    if (trust < RR_TRUST_GLUE || trust > RR_TRUST_ANSWER)
        return -1;
    pthread_mutex_lock(&c->lock);
    r = store_locked(c, rrset, trust, now);
    pthread_mutex_unlock(&c->lock);
    return r;
}

/* The part of rrcache_lookup under the lock. */
static ldns_rr_list *lookup_locked(struct rrcache *c, const ldns_rdf *owner, ldns_rr_type type,
                                   ldns_rr_class rclass, time_t now, enum rr_trust *trust)
{
    struct rr_entry *e = entry_find(c, owner, (uint16_t)type, (uint16_t)rclass);
    ldns_rr_list *copy;

    if (!e)
        return NULL;
    if (entry_expired(e, now)) {
        lruhash_remove(&c->table, &e->node);
        return NULL;
    }
    copy = rrlist_clone_with_ttl(e->rrs, e->ttl - entry_age(e, now), false);
    if (!copy)
        return NULL;
    lruhash_touch(&c->table, &e->node);
    if (trust)
        *trust = (enum rr_trust)e->trust;
    return copy;
}

ldns_rr_list *rrcache_lookup(struct rrcache *c, const ldns_rdf *owner, ldns_rr_type type,
                             ldns_rr_class rclass, time_t now, enum rr_trust *trust)
{
    ldns_rr_list *r;

    if (!owner_usable(owner))
        return NULL;
    pthread_mutex_lock(&c->lock);
    r = lookup_locked(c, owner, type, rclass, now, trust);
    pthread_mutex_unlock(&c->lock);
    return r;
}

struct name_key {
    const uint8_t *name;
    size_t len;
};

static bool entry_has_owner(const struct lruhash_node *n, void *arg)
{
    const struct rr_entry *e = HTABLE_ENTRY(n, const struct rr_entry, node);
    const struct name_key *k = arg;

    return wire_name_equal(e->name, e->name_len, k->name, k->len);
}

size_t rrcache_flush_name(struct rrcache *c, const uint8_t *name_lc, size_t name_len)
{
    struct name_key k = { name_lc, name_len };
    size_t r;

    if (!name_lc || name_len == 0 || name_len > WIRE_MAX_NAME)
        return 0;
    pthread_mutex_lock(&c->lock);
    r = lruhash_remove_hash_if(&c->table, wire_name_hash(name_lc, name_len), entry_has_owner, &k);
    pthread_mutex_unlock(&c->lock);
    return r;
}

size_t rrcache_flush_all(struct rrcache *c)
{
    pthread_mutex_lock(&c->lock);
    size_t r = lruhash_clear(&c->table);
    pthread_mutex_unlock(&c->lock);
    return r;
}

struct flush_filter {
    rrcache_match_fn match;
    void *arg;
};

static bool entry_filtered(const struct lruhash_node *n, void *arg)
{
    const struct rr_entry *e = HTABLE_ENTRY(n, const struct rr_entry, node);
    const struct flush_filter *f = arg;

    return f->match(e->name, e->name_len, e->type, e->rclass, f->arg);
}

size_t rrcache_flush_if(struct rrcache *c, rrcache_match_fn match, void *arg)
{
    struct flush_filter f = { match, arg };

    pthread_mutex_lock(&c->lock);
    size_t r = lruhash_remove_if(&c->table, entry_filtered, &f);
    pthread_mutex_unlock(&c->lock);
    return r;
}

size_t rrcache_entries(struct rrcache *c)
{
    pthread_mutex_lock(&c->lock);
    size_t r = lruhash_count(&c->table);
    pthread_mutex_unlock(&c->lock);
    return r;
}

size_t rrcache_bytes(struct rrcache *c)
{
    pthread_mutex_lock(&c->lock);
    size_t r = c->table.used;
    pthread_mutex_unlock(&c->lock);
    return r;
}
