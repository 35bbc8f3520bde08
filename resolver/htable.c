/* htable.c -- the one hash table (see htable.h): chains, doubling, and the LRU budget.
 *
 * Invariants (after every call):
 *     htable:  count == nodes reachable from slots; every node sits in the chain of
 *              slots[hash & (slot_count - 1)]; slot_count is a power of two
 *     lruhash: the LRU list holds exactly the table's nodes;
 *              used == sum over them of ops->cost
 * Nothing here allocates per entry or aborts; only doubling allocates, and a failed
 * doubling keeps the old array. */
#include "htable.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE (2u << 20)

/* A zeroed slot array. One of a few MiB or more (a cache of a million names) is every
 * lookup's first random access: in transparent huge pages (where the system allows them
 * on request) that access costs no TLB miss of its own. */
static struct htable_node **slots_new(size_t n)
{
    size_t size = n * sizeof(struct htable_node *);

    if (size < HUGE_PAGE)
        return calloc(n, sizeof(struct htable_node *));
    void *p = aligned_alloc(HUGE_PAGE, (size + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE);
    if (!p)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, size, MADV_HUGEPAGE);      /* advice only: fine if refused */
#endif
    memset(p, 0, size);
    return p;
}

int htable_init(struct htable *t, size_t initial_slots)
{
    size_t n = 1;

    while (n < initial_slots && n <= SIZE_MAX / 2 / sizeof(*t->slots))
        n *= 2;
    t->slots = slots_new(n);
    if (!t->slots)
        return -1;
    t->slot_count = n;
    t->count = 0;
    return 0;
}

void htable_fini(struct htable *t)
{
    free(t->slots);
    t->slots = NULL;
    t->slot_count = 0;
    t->count = 0;
}

/* Doubles the slot array once nodes outnumber slots; on malloc failure keeps the old. */
static void grow_if_loaded(struct htable *t)
{
    size_t new_count = t->slot_count * 2;
    struct htable_node **slots;

    if (t->count <= t->slot_count || new_count > SIZE_MAX / sizeof(*slots))
        return;
    slots = slots_new(new_count);
    if (!slots)
        return;
    for (size_t i = 0; i < t->slot_count; i++) {
        struct htable_node *n = t->slots[i], *next;
        for (; n; n = next) {
            next = n->next;
            n->next = slots[n->hash & (new_count - 1)];
            slots[n->hash & (new_count - 1)] = n;
        }
    }
    free(t->slots);
    t->slots = slots;
    t->slot_count = new_count;
}

void htable_insert(struct htable *t, struct htable_node *n, uint64_t hash)
{
    struct htable_node **slot = &t->slots[hash & (t->slot_count - 1)];

    n->hash = hash;
    n->next = *slot;
    *slot = n;
    t->count++;
    grow_if_loaded(t);
}

/* Chains hold about one node, so finding the link that points to n is cheap. */
void htable_remove(struct htable *t, struct htable_node *n)
{
    struct htable_node **link = &t->slots[n->hash & (t->slot_count - 1)];

    while (*link && *link != n)
        link = &(*link)->next;
    if (!*link)
        return;                 /* not in t: a caller's bug, but not worth a crash */
    *link = n->next;
    n->next = NULL;
    t->count--;
}

void htable_walk(struct htable *t, htable_visit_fn fn, void *arg)
{
    for (size_t i = 0; i < t->slot_count; i++) {
        struct htable_node *n = t->slots[i], *next;
        for (; n; n = next) {
            next = n->next;     /* fn may remove n */
            fn(n, arg);
        }
    }
}

/* ---- lruhash ------------------------------------------------------------------------ */

int lruhash_init(struct lruhash *l, size_t initial_slots, const struct lruhash_ops *ops)
{
    l->lru.head = l->lru.tail = NULL;
    l->used = 0;
    l->ops = ops;
    l->referenced = NULL;
    return htable_init(&l->table, initial_slots);
}

void lruhash_fini(struct lruhash *l)
{
    if (!l->table.slots)
        return;
    lruhash_clear(l);
    htable_fini(&l->table);
}

void lruhash_insert(struct lruhash *l, struct lruhash_node *n, uint64_t hash)
{
    htable_insert(&l->table, &n->h, hash);
    lru_push_head(&l->lru, &n->lru);
    l->used += l->ops->cost(n);
}

void lruhash_remove(struct lruhash *l, struct lruhash_node *n)
{
    htable_remove(&l->table, &n->h);
    lru_unlink(&l->lru, &n->lru);
    l->used -= l->ops->cost(n);
    l->ops->dispose(n);
}

size_t lruhash_evict_to(struct lruhash *l, size_t max_used)
{
    size_t dropped = 0;

    /* every second chance clears a mark: at most one pass over the list per eviction */
    while (l->used > max_used && l->lru.tail) {
        struct lruhash_node *n = LRU_ENTRY(l->lru.tail, struct lruhash_node, lru);
        if (l->referenced && l->referenced(n)) {
            lruhash_touch(l, n);
            continue;
        }
        lruhash_remove(l, n);
        dropped++;
    }
    return dropped;
}

size_t lruhash_clear(struct lruhash *l)
{
    size_t dropped = 0;

    while (l->lru.head) {
        lruhash_remove(l, LRU_ENTRY(l->lru.head, struct lruhash_node, lru));
        dropped++;
    }
    return dropped;
}

/* Removes the matching nodes of one chain, starting at *link; returns how many. */
static size_t remove_chain_if(struct lruhash *l, struct htable_node **link, bool any_hash,
                              uint64_t hash, lruhash_match_fn match, void *arg)
{
    size_t removed = 0;

    while (*link) {
        struct htable_node *hn = *link;
        struct lruhash_node *n = LRUHASH_NODE(hn);
        if ((any_hash || hn->hash == hash) && match(n, arg)) {
            *link = hn->next;           /* unlink here: no second chain walk */
            l->table.count--;
            lru_unlink(&l->lru, &n->lru);
            l->used -= l->ops->cost(n);
            l->ops->dispose(n);
            removed++;
        } else {
            link = &hn->next;
        }
    }
    return removed;
}

size_t lruhash_remove_if(struct lruhash *l, lruhash_match_fn match, void *arg)
{
    size_t removed = 0;

    for (size_t i = 0; i < l->table.slot_count; i++)
        removed += remove_chain_if(l, &l->table.slots[i], true, 0, match, arg);
    return removed;
}

size_t lruhash_remove_hash_if(struct lruhash *l, uint64_t hash, lruhash_match_fn match,
                              void *arg)
{
    struct htable_node **slot = &l->table.slots[hash & (l->table.slot_count - 1)];

    return remove_chain_if(l, slot, false, hash, match, arg);
}
