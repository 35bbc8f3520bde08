/* infra.c -- the infra cache: per authoritative server RTT, timeouts, back-off, queries
 * outstanding (and the window that rations them), TCP preference and 0x20 capability, keyed by address (family, address, port).
 *
 * Invariant (holds after every call):
 *
 *     entries == number of servers in the table == length of the LRU list
 *     entries <= max_entries
 *     for every server: INFRA_MIN_RTO_MS <= rto <= INFRA_MAX_RTO_MS
 *                       INFRA_MIN_WINDOW <= window <= INFRA_MAX_OUTSTANDING
 *
 * Only reports (a reply, a timeout, outstanding queries, the 0x20 flag) create an entry;
 * asking about a server never heard of answers the defaults without storing anything, so
 * the questions an iterator asks about every NS address cannot flood the table. Every
 * access moves the server to the LRU head; making room drops the tail.
 *
 * Timing (RFC 6298 shape, milliseconds as doubles): the first sample r sets srtt = r,
 * rttvar = r / 2; later ones rttvar = 3/4 rttvar + 1/4 |srtt - r|, srtt = 7/8 srtt + 1/8 r;
 * then rto = clamp(srtt + 4 rttvar). A timeout of a query that waited the current rto
 * doubles it (capped); one that waited less was sent before a shorter rto was learnt and
 * leaves it (Unbound's orig_rtt rule: timeouts of one moment double it once). Each timeout
 * lengthens the streak; INFRA_BACKOFF_TIMEOUTS in a row back the server off for
 * INFRA_BACKOFF_SECONDS, but only once it has not answered anything (a reply, or a TC=1)
 * for INFRA_ALIVE_SECONDS: a rate-limiting server drops some queries and answers the others,
 * and backing it off would put all its load on the rest of the zone's servers, which limit
 * the same way. When the back-off is over the server may take one probe (usable while
 * nothing is in flight to it); a reply ends the streak, another timeout backs it off again.
 *
 * Window (AIMD, as TCP's congestion window): `window` queries in flight to a server are its
 * share, INFRA_START_WINDOW at first; a reply adds 1/window (one per window of replies), a
 * timeout that doubles the rto halves it. Beyond its window a server looks
 * INFRA_BUSY_PENALTY_MS slower, so a server that drops queries under load gets fewer at once
 * and iteration sends the rest to the zone's other servers; it stays usable (up to the hard
 * cap INFRA_MAX_OUTSTANDING), because when all of a zone's servers are busy the query must
 * still go somewhere -- making them unusable would send iteration looking for other
 * addresses of the same servers.
 *
 * TCP preference: a TC=1 reply (an RRL "slip", or an answer too large) makes TCP preferred
 * for INFRA_TCP_SECONDS, so queries go there over TCP from the start instead of inviting a
 * drop or a second slip over UDP -- but only up to INFRA_TCP_PREFER_MAX TCP queries in flight
 * to it: they share each worker's few reused connections to it (tcppool.h: 4 of 64 queries
 * each), and beyond what those hold every query would need a connection of its own, of which
 * an authority serves few at once (NSD: tcp-count 100): queued behind each other they would
 * each wait seconds; the rest start over UDP and a slipped reply among them is retried over
 * TCP. (The cap was 64 while every TCP query had its own connection; with the pool, a
 * resolver slowed down -- strace attached for 5 s of a 4000/s flood -- kept most of its
 * queries on TCP at 256 and gave 0-0.2% SERVFAIL, where 64 sent the overflow into the
 * UDP limit's drops and gave 3-15%.)
 *
 * Forwarders: the same entries, with fwd_* fields of their own beside the RTT: a down flag,
 * the back-off (fwd_retry_s, fwd_retry_at) and the order of the last failure (fwd_failed_seq,
 * from one counter per table, so "the least recently failed" needs no clock). Their RTT
 * samples feed srtt as an authority's do; their failures lengthen the timeout streak (so a
 * failing forwarder looks slow to the fastest policy) but never the authority back-off.
 * Down: a failure while not alive (no reply for INFRA_ALIVE_SECONDS: one that answered a
 * moment ago and misses one query is slow on a name, not dead) or INFRA_FWD_DOWN_FAILURES
 * in a row. Only a failed retry doubles fwd_retry_s; a reply clears everything.
 *
 * The table is an lruhash (htable.h, shared with cache.c and rrcache.c) in which every
 * server costs 1, so its budget is max_entries. Every public function holds the mutex
 * for the whole of what it does; there are no unlocked variants.
 *
 * Failure policy: if malloc fails the report is dropped and the server stays unknown (or
 * as it was); a failed table resize leaves longer chains. Nothing here aborts. */
#include "infra.h"
#include "htable.h"

#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

#define INFRA_INITIAL_SLOTS 64

struct infra_host {
    struct lruhash_node node;           /* chain, use order; node.h.hash = addr_hash */
    struct sockaddr_storage addr;
    double srtt_ms, rttvar_ms;          /* meaningful once measured */
    uint32_t rto_ms;
    bool measured;                      /* at least one RTT sample */
    bool no_0x20;                       /* does not echo the question's case ... */
    time_t no_0x20_until;               /* ... as of then: a forger must not switch 0x20 off
                                         * for good, so the server is tried with it again */
    unsigned timeout_streak;            /* consecutive timeouts */
    time_t backoff_until;               /* not chosen before this; 0 = never backed off */
    unsigned outstanding;               /* queries in flight ... */
    double window;                      /* ... its fair share (see the top) */
    time_t last_reply;                  /* any reply, TC=1 included; 0 = never */
    time_t tcp_until;                   /* TCP preferred before this ... */
    unsigned tcp_outstanding;           /* ... while fewer TCP queries are in flight */
    time_t last_used;                   /* for diagnostics (dumps) */
    bool fwd_down;                      /* a forwarder taken for dead (see the top) ... */
    unsigned fwd_retry_s;               /* ... retried after this wait ... */
    time_t fwd_retry_at;                /* ... that is, from then on */
    uint64_t fwd_failed_seq;            /* infra.fwd_seq at its last failure; 0: none */
};

struct infra {
    pthread_mutex_t lock;               /* every public call holds it */
    size_t max_entries;
    struct lruhash table;               /* the servers, each of cost 1 */
    uint64_t backoffs;                  /* servers backed off so far (for `status`) */
    uint64_t fwd_seq;                   /* forwarder failures so far: their order */
};

/* ---- addresses as keys ------------------------------------------------------------- */

static bool addr_supported(const struct sockaddr_storage *addr)
{
    return addr && (addr->ss_family == AF_INET || addr->ss_family == AF_INET6);
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;

    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* Hash of what addr_equal compares: family, address and port (not scope or flow). */
static uint64_t addr_hash(const struct sockaddr_storage *addr)
{
    uint64_t h = 0xcbf29ce484222325ull;
    uint16_t family = addr->ss_family;

    h = fnv1a(h, &family, sizeof family);
    if (addr->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)addr;
        h = fnv1a(h, &in->sin_port, sizeof in->sin_port);
        return fnv1a(h, &in->sin_addr, sizeof in->sin_addr);
    }
    {
        const struct sockaddr_in6 *in6 = (const void *)addr;
        h = fnv1a(h, &in6->sin6_port, sizeof in6->sin6_port);
        return fnv1a(h, &in6->sin6_addr, sizeof in6->sin6_addr);
    }
}

/* ---- the table -------------------------------------------------------------------- */

static size_t host_cost(const struct lruhash_node *n)
{
    (void)n;
    return 1;
}

static void host_dispose(struct lruhash_node *n)
{
    free(HTABLE_ENTRY(n, struct infra_host, node));
}

static const struct lruhash_ops host_ops = { host_cost, host_dispose };

/* The known server at addr, moved to the LRU head, or NULL. */
static struct infra_host *host_find(struct infra *inf, const struct sockaddr_storage *addr,
                                    time_t now)
{
    uint64_t hash;

    if (!addr_supported(addr))
        return NULL;
    hash = addr_hash(addr);
    for (struct htable_node *n = lruhash_chain(&inf->table, hash); n; n = n->next) {
        struct infra_host *h = HTABLE_ENTRY(LRUHASH_NODE(n), struct infra_host, node);
        if (n->hash == hash && addr_equal(&h->addr, addr)) {
            lruhash_touch(&inf->table, &h->node);
            h->last_used = now;
            return h;
        }
    }
    return NULL;
}

/* A new server with the defaults for one never heard from, made room for. */
static struct infra_host *host_create(struct infra *inf, const struct sockaddr_storage *addr,
                                      time_t now)
{
    struct infra_host *h;

    if (inf->max_entries == 0)
        return NULL;
    h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    lruhash_evict_to(&inf->table, inf->max_entries - 1);
    h->addr = *addr;
    h->srtt_ms = INFRA_UNKNOWN_RTT_MS;
    h->rto_ms = INFRA_UNKNOWN_RTT_MS;
    h->window = INFRA_START_WINDOW;
    h->last_used = now;
    lruhash_insert(&inf->table, &h->node, addr_hash(addr));
    return h;
}

/* The server at addr, created if new; NULL for an unsupported address or no memory. */
static struct infra_host *host_get(struct infra *inf, const struct sockaddr_storage *addr,
                                   time_t now)
{
    struct infra_host *h = host_find(inf, addr, now);

    if (h || !addr_supported(addr))
        return h;
    return host_create(inf, addr, now);
}

/* ---- timing ------------------------------------------------------------------------ */

static uint32_t rto_clamp(double ms)
{
    if (ms < INFRA_MIN_RTO_MS)
        return INFRA_MIN_RTO_MS;
    if (ms > INFRA_MAX_RTO_MS)
        return INFRA_MAX_RTO_MS;
    return (uint32_t)(ms + 0.5);
}

static void host_add_sample(struct infra_host *h, uint32_t rtt_ms)
{
    double r = rtt_ms;

    if (!h->measured) {
        h->srtt_ms = r;
        h->rttvar_ms = r / 2;
        h->measured = true;
    } else {
        double err = h->srtt_ms > r ? h->srtt_ms - r : r - h->srtt_ms;
        h->rttvar_ms = 0.75 * h->rttvar_ms + 0.25 * err;
        h->srtt_ms = 0.875 * h->srtt_ms + 0.125 * r;
    }
    h->rto_ms = rto_clamp(h->srtt_ms + 4 * h->rttvar_ms);
}

/* A reply has come recently: the server is there, however many queries it drops. */
static bool host_alive(const struct infra_host *h, time_t now)
{
    return h->last_reply != 0 && now - h->last_reply < INFRA_ALIVE_SECONDS;
}

/* Any reply: the streak is over, and so is a back-off. */
static void host_heard(struct infra_host *h, time_t now)
{
    h->last_reply = now;
    h->timeout_streak = 0;
    h->backoff_until = 0;
}

static bool host_backed_off(const struct infra_host *h, time_t now)
{
    return h->backoff_until != 0 && now < h->backoff_until;
}

/* After a back-off has run out (backoff_until stays set until a reply) the server is on
 * probation and takes one query at a time until it answers. A server in a long streak that
 * was never backed off still answers others: it keeps its window. */
static bool host_on_probation(const struct infra_host *h)
{
    return h->timeout_streak >= INFRA_BACKOFF_TIMEOUTS && h->backoff_until != 0;
}

/* ---- the public interface: each call holds the lock (worker threads share this) ---- */

struct infra *infra_new(size_t max_entries)
{
    struct infra *inf = calloc(1, sizeof(*inf));

    if (!inf)
        return NULL;
    if (lruhash_init(&inf->table, INFRA_INITIAL_SLOTS, &host_ops) != 0) {
        free(inf);
        return NULL;
    }
    if (pthread_mutex_init(&inf->lock, NULL) != 0) {
        lruhash_fini(&inf->table);
        free(inf);
        return NULL;
    }
    inf->max_entries = max_entries;
    return inf;
}

void infra_free(struct infra *inf)
{
    if (!inf)
        return;
    pthread_mutex_destroy(&inf->lock);
    lruhash_fini(&inf->table);
    free(inf);
}

size_t infra_entries(struct infra *inf)
{
    pthread_mutex_lock(&inf->lock);
    size_t r = lruhash_count(&inf->table);
    pthread_mutex_unlock(&inf->lock);
    return r;
}

size_t infra_flush(struct infra *inf)
{
    pthread_mutex_lock(&inf->lock);
    size_t r = lruhash_clear(&inf->table);
    pthread_mutex_unlock(&inf->lock);
    return r;
}

uint32_t infra_timeout_ms(struct infra *inf, const struct sockaddr_storage *addr, time_t now)
{
    pthread_mutex_lock(&inf->lock);
    struct infra_host *h = host_find(inf, addr, now);
    uint32_t r = h ? h->rto_ms : INFRA_UNKNOWN_RTT_MS;
    pthread_mutex_unlock(&inf->lock);
    return r;
}

/* A server in a timeout streak looks at least as slow as its current timeout, so
 * selection prefers servers that answer (as Unbound selects by its backed-off RTO). */
static uint32_t host_srtt_ms(const struct infra_host *h)
{
    uint32_t srtt;

    if (!h)
        return INFRA_UNKNOWN_RTT_MS;
    srtt = (uint32_t)(h->srtt_ms + 0.5);
    if (h->timeout_streak > 0 && h->rto_ms > srtt)
        srtt = h->rto_ms;
    if (h->outstanding >= (unsigned)h->window)
        srtt += INFRA_BUSY_PENALTY_MS;
    return srtt;
}

uint32_t infra_srtt_ms(struct infra *inf, const struct sockaddr_storage *addr, time_t now)
{
    pthread_mutex_lock(&inf->lock);
    uint32_t r = host_srtt_ms(host_find(inf, addr, now));
    pthread_mutex_unlock(&inf->lock);
    return r;
}

static bool host_usable(const struct infra_host *h, time_t now)
{
    if (!h)
        return true;
    if (h->outstanding >= INFRA_MAX_OUTSTANDING || host_backed_off(h, now))
        return false;
    return !host_on_probation(h) || h->outstanding == 0;
}

bool infra_usable(struct infra *inf, const struct sockaddr_storage *addr, time_t now)
{
    pthread_mutex_lock(&inf->lock);
    bool r = host_usable(host_find(inf, addr, now), now);
    pthread_mutex_unlock(&inf->lock);
    return r;
}

void infra_report_rtt(struct infra *inf, const struct sockaddr_storage *addr, uint32_t rtt_ms,
                      time_t now)
{
    pthread_mutex_lock(&inf->lock);
    struct infra_host *h = host_get(inf, addr, now);
    if (h) {
        host_add_sample(h, rtt_ms);
        host_heard(h, now);
        h->window += 1.0 / h->window;
        if (h->window > INFRA_MAX_OUTSTANDING)
            h->window = INFRA_MAX_OUTSTANDING;
    }
    pthread_mutex_unlock(&inf->lock);
}

/* The timer's rounding may make a query that waited its full timeout look a millisecond
 * short of it. */
#define INFRA_WAIT_SLACK_MS 2

static void host_timeout(struct infra *inf, struct infra_host *h, uint32_t waited_ms, time_t now)
{
    if ((uint64_t)waited_ms + INFRA_WAIT_SLACK_MS >= h->rto_ms) {
        h->rto_ms = h->rto_ms > INFRA_MAX_RTO_MS / 2 ? INFRA_MAX_RTO_MS : 2 * h->rto_ms;
        h->window = h->window / 2 < INFRA_MIN_WINDOW ? INFRA_MIN_WINDOW : h->window / 2;
    }
    if (h->timeout_streak < UINT_MAX)
        h->timeout_streak++;
    if (h->timeout_streak >= INFRA_BACKOFF_TIMEOUTS && !host_alive(h, now)) {
        if (!host_backed_off(h, now))
            inf->backoffs++;
        h->backoff_until = now + INFRA_BACKOFF_SECONDS;
    }
}

void infra_report_timeout(struct infra *inf, const struct sockaddr_storage *addr,
                          uint32_t waited_ms, time_t now)
{
    pthread_mutex_lock(&inf->lock);
    struct infra_host *h = host_get(inf, addr, now);
    if (h)
        host_timeout(inf, h, waited_ms, now);
    pthread_mutex_unlock(&inf->lock);
}

void infra_report_tc(struct infra *inf, const struct sockaddr_storage *addr, time_t now)
{
    pthread_mutex_lock(&inf->lock);
    struct infra_host *h = host_get(inf, addr, now);
    if (h) {
        host_heard(h, now);
        h->tcp_until = now + INFRA_TCP_SECONDS;
    }
    pthread_mutex_unlock(&inf->lock);
}

bool infra_prefer_tcp(struct infra *inf, const struct sockaddr_storage *addr, time_t now)
{
    pthread_mutex_lock(&inf->lock);
    struct infra_host *h = host_find(inf, addr, now);
    bool r = h && now < h->tcp_until && h->tcp_outstanding < INFRA_TCP_PREFER_MAX;
    pthread_mutex_unlock(&inf->lock);
    return r;
}

/* A decrement for a server no longer known (dropped by LRU or a flush) is ignored, and
 * a count never goes below zero, so late completions cannot wrap it. */
static void count_add(unsigned *count, int delta)
{
    if (delta < 0) {
        unsigned done = 0u - (unsigned)delta;   /* no overflow even for INT_MIN */
        *count = done > *count ? 0 : *count - done;
    } else {
        *count += (unsigned)delta;
    }
}

void infra_tcp_add(struct infra *inf, const struct sockaddr_storage *addr, int delta,
                   time_t now)
{
    pthread_mutex_lock(&inf->lock);
    struct infra_host *h = delta > 0 ? host_get(inf, addr, now) : host_find(inf, addr, now);
    if (h)
        count_add(&h->tcp_outstanding, delta);
    pthread_mutex_unlock(&inf->lock);
}

uint64_t infra_backoffs(struct infra *inf)
{
    pthread_mutex_lock(&inf->lock);
    uint64_t r = inf->backoffs;
    pthread_mutex_unlock(&inf->lock);
    return r;
}

void infra_outstanding_add(struct infra *inf, const struct sockaddr_storage *addr, int delta,
                           time_t now)
{
    pthread_mutex_lock(&inf->lock);
    struct infra_host *h = delta > 0 ? host_get(inf, addr, now) : host_find(inf, addr, now);
    if (h)
        count_add(&h->outstanding, delta);
    pthread_mutex_unlock(&inf->lock);
}

bool infra_no_0x20(struct infra *inf, const struct sockaddr_storage *addr, time_t now)
{
    pthread_mutex_lock(&inf->lock);
    struct infra_host *h = host_find(inf, addr, now);
    bool r = h && h->no_0x20 && now < h->no_0x20_until;
    pthread_mutex_unlock(&inf->lock);
    return r;
}

void infra_set_no_0x20(struct infra *inf, const struct sockaddr_storage *addr, time_t now)
{
    pthread_mutex_lock(&inf->lock);
    struct infra_host *h = host_get(inf, addr, now);
    if (h) {
        h->no_0x20 = true;
        h->no_0x20_until = now + INFRA_NO_0X20_SECONDS;
    }
    pthread_mutex_unlock(&inf->lock);
}

/* ---- forwarders -------------------------------------------------------------------- */

void infra_fwd_health(struct infra *inf, const struct sockaddr_storage *addr, time_t now,
                      struct infra_fwd_health *out)
{
    pthread_mutex_lock(&inf->lock);
    const struct infra_host *h = host_find(inf, addr, now);
    out->down = h && h->fwd_down;
    out->retry_due = out->down && now >= h->fwd_retry_at;
    out->retry_in = out->down && !out->retry_due ? (unsigned)(h->fwd_retry_at - now) : 0;
    out->measured = h && h->measured;
    out->srtt_ms = host_srtt_ms(h);
    out->failed_seq = h ? h->fwd_failed_seq : 0;
    pthread_mutex_unlock(&inf->lock);
}

bool infra_fwd_reply(struct infra *inf, const struct sockaddr_storage *addr, uint32_t rtt_ms,
                     time_t now)
{
    bool was_down = false;

    pthread_mutex_lock(&inf->lock);
    struct infra_host *h = host_get(inf, addr, now);
    if (h) {
        host_add_sample(h, rtt_ms);
        host_heard(h, now);
        was_down = h->fwd_down;
        h->fwd_down = false;
        h->fwd_retry_s = 0;
        h->fwd_retry_at = 0;
    }
    pthread_mutex_unlock(&inf->lock);
    return was_down;
}

/* Marks h down (when the failure says so) or, for a failed retry, doubles its wait.
 * True when h went down now. */
static bool host_fwd_failed(struct infra *inf, struct infra_host *h, bool retry, time_t now)
{
    h->fwd_failed_seq = ++inf->fwd_seq;
    if (h->timeout_streak < UINT_MAX)
        h->timeout_streak++;
    h->rto_ms = h->rto_ms > INFRA_MAX_RTO_MS / 2 ? INFRA_MAX_RTO_MS : 2 * h->rto_ms;
    if (h->fwd_down) {
        if (retry) {
            h->fwd_retry_s = h->fwd_retry_s >= INFRA_FWD_RETRY_MAX / 2 ? INFRA_FWD_RETRY_MAX
                                                                      : 2 * h->fwd_retry_s;
            h->fwd_retry_at = now + h->fwd_retry_s;
        }
        return false;
    }
    if (h->timeout_streak < INFRA_FWD_DOWN_FAILURES && host_alive(h, now))
        return false;
    h->fwd_down = true;
    h->fwd_retry_s = INFRA_FWD_RETRY_FIRST;
    h->fwd_retry_at = now + h->fwd_retry_s;
    return true;
}

bool infra_fwd_failed(struct infra *inf, const struct sockaddr_storage *addr, bool retry,
                      time_t now, unsigned *retry_in)
{
    bool went_down = false;
    unsigned wait = 0;

    pthread_mutex_lock(&inf->lock);
    struct infra_host *h = host_get(inf, addr, now);
    if (h) {
        went_down = host_fwd_failed(inf, h, retry, now);
        wait = h->fwd_down ? h->fwd_retry_s : 0;
    }
    pthread_mutex_unlock(&inf->lock);
    if (retry_in)
        *retry_in = wait;
    return went_down;
}

static void count_down(struct htable_node *n, void *arg)
{
    const struct infra_host *h = HTABLE_ENTRY(LRUHASH_NODE(n), struct infra_host, node);

    if (h->fwd_down)
        (*(size_t *)arg)++;
}

size_t infra_fwd_down_count(struct infra *inf)
{
    size_t n = 0;

    pthread_mutex_lock(&inf->lock);
    htable_walk(&inf->table.table, count_down, &n);
    pthread_mutex_unlock(&inf->lock);
    return n;
}
