/* lru.h -- an intrusive doubly linked list ordered by use: the head is the most recently
 * used node, the tail the least. It is the one LRU of resolverd: htable.h's lruhash pairs
 * it with the hash table for the caches (cache.c, rrcache.c, infra.c), whose entries embed
 * it there. LRU_ENTRY gets back from a node to its entry. Header-only: these are a few
 * pointer moves on every cache hit. */
#ifndef LRU_H
#define LRU_H

#include <stddef.h>

struct lru_node {
    struct lru_node *prev;      /* towards the most recently used */
    struct lru_node *next;      /* towards the least recently used */
};

struct lru_list {
    struct lru_node *head, *tail;
};

/* The entry of type `type` whose member `member` is the node n. */
#define LRU_ENTRY(n, type, member) ((type *)(void *)((char *)(n) - offsetof(type, member)))

static inline void lru_unlink(struct lru_list *l, struct lru_node *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else
        l->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        l->tail = n->prev;
    n->prev = n->next = NULL;
}

static inline void lru_push_head(struct lru_list *l, struct lru_node *n)
{
    n->prev = NULL;
    n->next = l->head;
    if (l->head)
        l->head->prev = n;
    else
        l->tail = n;
    l->head = n;
}

#endif
