/* test_htable.c -- unit tests for resolver/htable.c: the bare table (insert, find through
 * the chain, remove, colliding hashes sharing a slot, doubling that keeps every node
 * findable, a walk that frees as it goes) and the lruhash on top (use order, cost budget
 * and eviction from the tail, removal by predicate over one chain or the whole table,
 * clearing). Entries are a small struct of the test's own with an embedded node. */
#include <stdlib.h>

#include "htable.h"
#include "tap.h"

struct item {
    struct lruhash_node node;
    int key;
    size_t cost;
};

static int disposed;

static size_t item_cost(const struct lruhash_node *n)
{
    return HTABLE_ENTRY(n, const struct item, node)->cost;
}

static void item_dispose(struct lruhash_node *n)
{
    disposed++;
    free(HTABLE_ENTRY(n, struct item, node));
}

static const struct lruhash_ops ops = { item_cost, item_dispose };

static struct item *item_new(int key, size_t cost)
{
    struct item *it = calloc(1, sizeof *it);

    if (!it)
        abort();
    it->key = key;
    it->cost = cost;
    return it;
}

/* Keys hash to themselves modulo 8: keys 8 apart collide in the hash, not just the slot. */
static uint64_t key_hash(int key)
{
    return (uint64_t)(key % 8) * 0x9E3779B97F4A7C15ULL;
}

static struct item *find(const struct lruhash *l, int key)
{
    uint64_t hash = key_hash(key);

    for (struct htable_node *n = lruhash_chain(l, hash); n; n = n->next) {
        struct item *it = HTABLE_ENTRY(LRUHASH_NODE(n), struct item, node);
        if (n->hash == hash && it->key == key)
            return it;
    }
    return NULL;
}

static void test_bare_table(void)
{
    struct htable t;
    struct htable_node nodes[100];
    int found = 0;

    ok(htable_init(&t, 5) == 0, "bare: init");
    is_int(t.slot_count, 8, "bare: slots rounded up to a power of two");
    for (int i = 0; i < 100; i++)
        htable_insert(&t, &nodes[i], (uint64_t)i * 0x9E3779B97F4A7C15ULL);
    is_int(t.count, 100, "bare: 100 inserted");
    ok(t.slot_count >= 100, "bare: doubled as it filled (%zu slots)", t.slot_count);
    for (int i = 0; i < 100; i++) {
        uint64_t h = (uint64_t)i * 0x9E3779B97F4A7C15ULL;
        for (struct htable_node *n = htable_chain(&t, h); n; n = n->next)
            if (n == &nodes[i])
                found++;
    }
    is_int(found, 100, "bare: every node found in its chain after doubling");
    htable_remove(&t, &nodes[42]);
    is_int(t.count, 99, "bare: removed one");
    found = 0;
    for (struct htable_node *n = htable_chain(&t, 42 * 0x9E3779B97F4A7C15ULL); n; n = n->next)
        found += n == &nodes[42];
    is_int(found, 0, "bare: the removed node is gone from its chain");
    htable_fini(&t);
    ok(t.slots == NULL && t.count == 0, "bare: fini empties");
}

static void remove_visited(struct htable_node *n, void *arg)
{
    htable_remove(arg, n);
    free(n);
}

static void test_walk_removes(void)
{
    struct htable t;

    ok(htable_init(&t, 2) == 0, "walk: init");
    for (int i = 0; i < 20; i++) {
        struct htable_node *n = malloc(sizeof *n);
        if (!n)
            abort();
        htable_insert(&t, n, (uint64_t)(i % 3));   /* long chains of equal hashes */
    }
    htable_walk(&t, remove_visited, &t);
    is_int(t.count, 0, "walk: a visitor may remove and free the node it is given");
    htable_fini(&t);
}

static void test_lru_budget(void)
{
    struct lruhash l;

    disposed = 0;
    ok(lruhash_init(&l, 4, &ops) == 0, "lru: init");
    for (int k = 0; k < 10; k++)
        lruhash_insert(&l, &item_new(k, 10)->node, key_hash(k));
    is_int(lruhash_count(&l), 10, "lru: 10 entries");
    is_int(l.used, 100, "lru: used is the sum of the costs");
    ok(find(&l, 0) && find(&l, 8) && find(&l, 9), "lru: colliding hashes both found");
    lruhash_touch(&l, &find(&l, 0)->node);      /* 0 is now the most recently used */
    is_int(lruhash_evict_to(&l, 50), 5, "lru: evicting to 50 drops five");
    is_int(l.used, 50, "lru: used after eviction");
    is_int(disposed, 5, "lru: each dropped entry disposed of once");
    ok(find(&l, 0) != NULL, "lru: the touched entry survived");
    ok(!find(&l, 1) && !find(&l, 5), "lru: the least recently used went first");
    ok(find(&l, 9) && find(&l, 6), "lru: the most recently inserted stayed");
    lruhash_remove(&l, &find(&l, 9)->node);
    ok(!find(&l, 9) && l.used == 40 && lruhash_count(&l) == 4, "lru: remove one");
    lruhash_fini(&l);
    is_int(disposed, 10, "lru: fini disposes of the rest");
}

static bool key_is_even(const struct lruhash_node *n, void *arg)
{
    (void)arg;
    return HTABLE_ENTRY(n, const struct item, node)->key % 2 == 0;
}

static bool any(const struct lruhash_node *n, void *arg)
{
    (void)n;
    (void)arg;
    return true;
}

static void test_remove_if(void)
{
    struct lruhash l;

    disposed = 0;
    ok(lruhash_init(&l, 1, &ops) == 0, "remove_if: init");
    for (int k = 0; k < 32; k++)
        lruhash_insert(&l, &item_new(k, 1)->node, key_hash(k));
    /* keys 3, 11, 19, 27 share hash 3; keys of other hashes share its slot when the
     * table is small, and must be left alone */
    is_int(lruhash_remove_hash_if(&l, key_hash(3), any, NULL), 4,
           "remove_if: one hash's chain: exactly the four of that hash");
    ok(!find(&l, 11) && find(&l, 4) && find(&l, 12), "remove_if: other hashes kept");
    is_int(lruhash_remove_if(&l, key_is_even, NULL), 16, "remove_if: all even keys");
    is_int(lruhash_count(&l), 12, "remove_if: the odd ones stay");
    is_int(l.used, 12, "remove_if: used follows");
    is_int(lruhash_clear(&l), 12, "clear: the rest");
    ok(l.lru.head == NULL && l.lru.tail == NULL && l.used == 0, "clear: list and budget empty");
    is_int(disposed, 32, "remove_if/clear: every entry disposed of once");
    lruhash_fini(&l);
}

int main(void)
{
    test_bare_table();
    test_walk_removes();
    test_lru_budget();
    test_remove_if();
    return done_testing();
}
