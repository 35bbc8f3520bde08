/* ratelimit.c -- the per-prefix reply counters behind `ratelimit QPS` (see ratelimit.h). */
#include "ratelimit.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define RATELIMIT_SLOTS  16384      /* a power of two */
#define RATELIMIT_LOCKS  16

struct slot {
    uint64_t prefix;                /* the prefix that last started a window here */
    time_t second;                  /* the window counted */
    uint32_t count;                 /* replies in that second */
    uint32_t over;                  /* queries over the limit in that second */
};

struct ratelimit {
    pthread_mutex_t locks[RATELIMIT_LOCKS];
    struct slot slots[RATELIMIT_SLOTS];
};

struct ratelimit *ratelimit_new(void)
{
    struct ratelimit *rl = calloc(1, sizeof *rl);

    for (int i = 0; rl && i < RATELIMIT_LOCKS; i++)
        pthread_mutex_init(&rl->locks[i], NULL);
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    for (int i = 0; i < RATELIMIT_LOCKS; i++)
        pthread_mutex_destroy(&rl->locks[i]);
    free(rl);
}

/* The client's prefix as one number: IPv4 /24 or IPv6 /56, with the family in the top. */
static uint64_t prefix_of(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const uint8_t *a = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
        return 1ULL << 62 | (uint64_t)a[0] << 16 | (uint64_t)a[1] << 8 | a[2];
    }
    const uint8_t *a = ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
    uint64_t p = 2ULL << 62;
    for (int i = 0; i < 7; i++)
        p |= (uint64_t)a[i] << (8 * (6 - i));
    return p;
}

static size_t slot_index(uint64_t prefix)
{
    uint64_t h = prefix * 0x9E3779B97F4A7C15ULL;   /* Fibonacci hashing */
    return (size_t)(h >> 50) & (RATELIMIT_SLOTS - 1);
}

enum ratelimit_verdict ratelimit_check(struct ratelimit *rl, const struct sockaddr_storage *client,
                                       uint32_t qps, time_t now)
{
    enum ratelimit_verdict v = RATELIMIT_PASS;

    if (qps == 0 || !rl)
        return RATELIMIT_PASS;
    uint64_t prefix = prefix_of(client);
    size_t i = slot_index(prefix);
    pthread_mutex_t *lock = &rl->locks[i % RATELIMIT_LOCKS];
    struct slot *s = &rl->slots[i];

    pthread_mutex_lock(lock);
    if (s->second != now) {         /* a new second: the slot counts whoever comes first */
        s->prefix = prefix;
        s->second = now;
        s->count = 0;
        s->over = 0;
    }
    if (s->prefix != prefix)
        v = RATELIMIT_PASS;         /* another prefix holds the slot this second: never
                                       let one client's count limit another */
    else if (s->count < qps)
        s->count++;
    else
        v = (++s->over % 2 == 0) ? RATELIMIT_SLIP : RATELIMIT_DROP;
    pthread_mutex_unlock(lock);
    return v;
}
