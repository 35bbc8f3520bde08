/* keycache.c -- the validator's key cache (see keycache.h).
 *
 * Invariant: table.used == sum of entry costs <= max_bytes, and no entry costs more than
 * max_bytes / 8 (so the entry just stored is never the one evicted). An entry is one
 * malloc (struct + zone name) plus, for a good zone, a canonical deep copy of its DNSKEY
 * set. Expiry is lazy, as in rrcache.c: a lookup that finds an entry expired drops it.
 * A store replaces whatever the zone had: the validator stores only what it has just
 * proven, which is always the newer truth. Failure policy: out of memory stores nothing. */
#include "keycache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htable.h"
#include "rrlist.h"
#include "wire.h"

#define KEYCACHE_INITIAL_SLOTS 64

struct key_entry {
    struct lruhash_node node;           /* node.h.hash = wire_name_hash(zone) */
    size_t cost;
    time_t expires;
    enum key_state state;
    ldns_rr_list *keys;                 /* KEY_GOOD only */
    int ede;
    char why[96];
    uint8_t zone_len;
    uint8_t zone[];
};

struct keycache {
    pthread_mutex_t lock;               /* every public call holds it */
    size_t max_bytes;
    struct lruhash table;
};

static void entry_free(struct key_entry *e)
{
    ldns_rr_list_deep_free(e->keys);
    free(e);
}

static size_t node_cost(const struct lruhash_node *n)
{
    return HTABLE_ENTRY(n, const struct key_entry, node)->cost;
}

static void node_dispose(struct lruhash_node *n)
{
    entry_free(HTABLE_ENTRY(n, struct key_entry, node));
}

static const struct lruhash_ops entry_ops = { node_cost, node_dispose };

struct keycache *keycache_new(size_t max_bytes)
{
    struct keycache *kc = calloc(1, sizeof *kc);

    if (!kc)
        return NULL;
    if (lruhash_init(&kc->table, KEYCACHE_INITIAL_SLOTS, &entry_ops) != 0) {
        free(kc);
        return NULL;
    }
    pthread_mutex_init(&kc->lock, NULL);
    kc->max_bytes = max_bytes;
    return kc;
}

void keycache_free(struct keycache *kc)
{
    if (!kc)
        return;
    lruhash_fini(&kc->table);
    pthread_mutex_destroy(&kc->lock);
    free(kc);
}

static struct key_entry *entry_find(struct keycache *kc, const uint8_t *zone, size_t len,
                                    uint64_t hash)
{
    for (struct htable_node *n = lruhash_chain(&kc->table, hash); n; n = n->next) {
        struct key_entry *e = HTABLE_ENTRY(LRUHASH_NODE(n), struct key_entry, node);
        if (n->hash == hash && wire_name_equal(e->zone, e->zone_len, zone, len))
            return e;
    }
    return NULL;
}

static struct key_entry *entry_new(const uint8_t *zone, size_t len, enum key_state state,
                                   const ldns_rr_list *keys, uint32_t ttl, int ede,
                                   const char *why, time_t now)
{
    struct key_entry *e = calloc(1, sizeof *e + len);

    if (!e)
        return NULL;
    memcpy(e->zone, zone, len);
    wire_name_lower(e->zone, len);
    e->zone_len = (uint8_t)len;
    e->state = state;
    e->expires = now + ttl;
    e->ede = ede;
    snprintf(e->why, sizeof e->why, "%s", why ? why : "");
    e->cost = sizeof *e + len + 2 * sizeof(void *);
    if (state == KEY_GOOD) {
        if (!keys || !(e->keys = rrlist_clone_with_ttl(keys, ttl, true))) {
            free(e);
            return NULL;
        }
        e->cost += sizeof(ldns_rr_list);
        for (size_t i = 0; i < ldns_rr_list_rr_count(e->keys); i++)
            e->cost += sizeof(ldns_rr *) + rrlist_rr_cost(ldns_rr_list_rr(e->keys, i));
    }
    return e;
}

int keycache_store(struct keycache *kc, const uint8_t *zone_lc, size_t zone_len,
                   enum key_state state, const ldns_rr_list *keys, uint32_t ttl, int ede,
                   const char *why, time_t now)
{
    if (ttl == 0 || zone_len == 0 || zone_len > WIRE_MAX_NAME || state == KEY_NONE)
        return ttl == 0 ? 0 : -1;
    struct key_entry *e = entry_new(zone_lc, zone_len, state, keys, ttl, ede, why, now);
    if (!e)
        return -1;
    pthread_mutex_lock(&kc->lock);
    if (e->cost > kc->max_bytes / 8) {
        pthread_mutex_unlock(&kc->lock);
        entry_free(e);
        return -1;
    }
    uint64_t hash = wire_name_hash(e->zone, e->zone_len);
    struct key_entry *old = entry_find(kc, e->zone, e->zone_len, hash);
    if (old)
        lruhash_remove(&kc->table, &old->node);
    lruhash_insert(&kc->table, &e->node, hash);
    lruhash_evict_to(&kc->table, kc->max_bytes);
    pthread_mutex_unlock(&kc->lock);
    return 0;
}

/* Fills out from the live entry e (lock held); false when out of memory. */
static bool entry_copy_out(const struct key_entry *e, time_t now, struct key_info *out)
{
    uint32_t left = (uint32_t)(e->expires - now);

    out->state = e->state;
    out->ede = e->ede;
    snprintf(out->why, sizeof out->why, "%s", e->why);
    out->ttl_left = left;
    memcpy(out->zone, e->zone, e->zone_len);
    out->zone_len = e->zone_len;
    out->keys = NULL;
    if (e->state == KEY_GOOD && !(out->keys = rrlist_clone_with_ttl(e->keys, left, false))) {
        out->state = KEY_NONE;
        return false;
    }
    return true;
}

void keycache_closest(struct keycache *kc, const uint8_t *name_lc, size_t name_len,
                      time_t now, struct key_info *out)
{
    size_t pos = 0;

    memset(out, 0, sizeof *out);
    out->state = KEY_NONE;
    pthread_mutex_lock(&kc->lock);
    /* from the name itself up to the root, one label at a time */
    while (pos < name_len) {
        const uint8_t *zone = name_lc + pos;
        size_t len = name_len - pos;
        uint64_t hash = wire_name_hash(zone, len);
        struct key_entry *e = entry_find(kc, zone, len, hash);
        if (e && e->expires <= now) {
            lruhash_remove(&kc->table, &e->node);
            e = NULL;
        }
        if (e) {
            lruhash_touch(&kc->table, &e->node);
            entry_copy_out(e, now, out);
            break;
        }
        if (name_lc[pos] == 0)
            break;                  /* the root, and nothing there */
        pos += 1u + name_lc[pos];
    }
    pthread_mutex_unlock(&kc->lock);
}

static bool is_bad(const struct lruhash_node *n, void *arg)
{
    (void)arg;
    return HTABLE_ENTRY(n, const struct key_entry, node)->state == KEY_BAD;
}

size_t keycache_flush_bad(struct keycache *kc)
{
    pthread_mutex_lock(&kc->lock);
    size_t n = lruhash_remove_if(&kc->table, is_bad, NULL);
    pthread_mutex_unlock(&kc->lock);
    return n;
}

size_t keycache_flush_all(struct keycache *kc)
{
    pthread_mutex_lock(&kc->lock);
    size_t n = lruhash_clear(&kc->table);
    pthread_mutex_unlock(&kc->lock);
    return n;
}

size_t keycache_entries(struct keycache *kc)
{
    pthread_mutex_lock(&kc->lock);
    size_t n = lruhash_count(&kc->table);
    pthread_mutex_unlock(&kc->lock);
    return n;
}
