/* cache.c -- the message cache: whole responses in wire form, ready to send.
 *
 * Invariant (checked after every store and every cache_set_limits):
 *
 *     bytes == sum over entries of entry_cost(entry)  and  bytes <= limits.max_bytes
 *
 * where entry_cost is the size of the entry's single allocation (struct cache_entry, its
 * TTL offsets, the message, the key name) plus CACHE_SLOT_OVERHEAD for its share of the
 * hash table (the table is doubled when entries exceed slots, so it holds between one and
 * two slots per entry while growing). malloc's own bookkeeping and the fixed struct cache
 * are not counted. An entry costing more than max_bytes / 8 is never stored, so one
 * answer cannot empty the cache, and the entry just stored is never the one evicted.
 *
 * Layout: one malloc per entry. The stored message already holds each RR's TTL as
 * cached (clamped, or set to the negative TTL); ttl_offsets[] says where those TTLs are.
 * A hit copies the message and writes, at each offset, the stored TTL minus the seconds
 * since stored_at. The entry lives for `ttl` seconds, the smallest stored TTL, so no RR
 * is ever served with a TTL that has run out.
 *
 * Expiry is lazy: an entry is removed when a lookup finds now >= stored_at + ttl (with
 * serve-stale: now >= stored_at + ttl + stale_max_age), or when it reaches the tail of
 * the LRU list and space is needed -- an expired entry kept for serve-stale is evicted by
 * the same LRU as any other, so it only ever uses room the budget has. An entry also
 * carries what a client lookup learns of it: its hit count and whether a prefetch was
 * asked (cache.h), and after a failed refresh its serve-stale back-off. Each shard is one lruhash
 * (htable.h: the table, its LRU list and the byte count, shared with rrcache.c and
 * infra.c), keyed by the name alone, so every type and class of a name shares one chain
 * and cache_flush_name is a single chain walk. A name is hashed once per call: the top
 * bits choose the shard, the low bits the slot.
 *
 * Two forms (DNSSEC, cache.h): an answer is stored once for clients without DO (form
 * PLAIN) and, when its DNSSEC records make a DO client's form differ, once more as form
 * DNSSEC -- the form is part of the key, so both sit in the name's chain and shard and a
 * DO hit is the same copy-and-patch. A plain entry with do_miss set is never given to a DO
 * client: its DNSSEC form is the other entry or, once that is evicted, a miss.
 *
 * Failure policy: if malloc fails the answer is simply not cached; a failed table resize
 * leaves longer chains. Nothing here aborts. */
#include "cache.h"
#include "htable.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

#define CACHE_INITIAL_SLOTS 64
#define CACHE_MAX_SHARDS    16
#define CACHE_MIN_SHARD_BYTES (1u << 20)   /* smaller caches get fewer shards, down to one */
#define CACHE_SLOT_OVERHEAD (2 * sizeof(struct cache_entry *))

struct cache_entry {
    struct lruhash_node node;           /* chain, use order; node.h.hash = wire_name_hash */
    time_t stored_at;
    uint32_t ttl;                       /* lifetime in seconds: the smallest stored TTL */
    uint32_t stale_until;               /* serve-stale back-off: served stale until
                                         * stored_at + stale_until (0: none) */
    uint16_t msg_len;
    uint16_t ttl_count;
    uint16_t qtype, qclass;
    uint16_t hits;                      /* client lookups that hit it (saturating) */
    uint8_t name_len;
    uint8_t kind;                       /* enum cache_kind */
    uint8_t prefetched;                 /* a hit has asked for its refresh */
    uint8_t failures;                   /* refreshes that failed since it expired */
    uint8_t form;                       /* enum cache_form: part of the key */
    uint8_t do_miss;                    /* plain form: DO clients must not get it (their
                                         * form differs: its own entry, or none) */
    uint8_t referenced;                 /* a hit since it last left the LRU tail (htable.h) */
    /* ttl_count offsets, then msg_len message octets, then name_len name octets */
    uint16_t ttl_offsets[];
};

struct shard {
    struct cache_limits limits;         /* max_bytes: this shard's part of the whole */
    struct lruhash table;               /* entries; table.used = bytes */
    uint64_t evictions;
};

/* The cache: shards chosen by name hash, each with its own lock, so worker threads
 * contend only when they touch names of the same shard at the same moment. */
struct cache {
    size_t n_shards;                    /* a power of two, fixed at cache_new */
    struct shard *shards[CACHE_MAX_SHARDS];
    pthread_mutex_t locks[CACHE_MAX_SHARDS];
};

/* ---- entry layout ------------------------------------------------------------------ */

static uint8_t *entry_msg(const struct cache_entry *e)
{
    return (uint8_t *)(e->ttl_offsets + e->ttl_count);
}

static const uint8_t *entry_name(const struct cache_entry *e)
{
    return entry_msg(e) + e->msg_len;
}

static size_t entry_alloc_size(size_t ttl_count, size_t msg_len, size_t name_len)
{
    return sizeof(struct cache_entry) + ttl_count * sizeof(uint16_t) + msg_len + name_len;
}

static size_t entry_cost(const struct cache_entry *e)
{
    return entry_alloc_size(e->ttl_count, e->msg_len, e->name_len) + CACHE_SLOT_OVERHEAD;
}

/* The question of the key; the form is the key's last part (entry_find). */
static bool entry_answers(const struct cache_entry *e, uint64_t hash, const uint8_t *name,
                          size_t name_len, uint16_t qtype, uint16_t qclass)
{
    return e->node.h.hash == hash && e->name_len == name_len && e->qtype == qtype &&
           e->qclass == qclass && memcmp(entry_name(e), name, name_len) == 0;
}

/* Seconds since the entry was stored; a clock that went back counts as no time passed
 * rather than as a huge age. */
static uint64_t entry_age(const struct cache_entry *e, time_t now)
{
    return now <= e->stored_at ? 0 : (uint64_t)(now - e->stored_at);
}

static bool entry_live(const struct cache_entry *e, uint64_t age)
{
    return age < e->ttl;
}

/* Expired, but young enough to be served stale (never with stale_max_age 0). */
static bool entry_stale(const struct cache_entry *e, uint64_t age, const struct cache_limits *lim)
{
    return !entry_live(e, age) && age - e->ttl < lim->stale_max_age;
}

/* Copies e's message into out with every TTL counted down by elapsed seconds. */
static void entry_copy_counted(const struct cache_entry *e, uint32_t elapsed, uint8_t *out)
{
    const uint8_t *msg = entry_msg(e);

    memcpy(out, msg, e->msg_len);
    for (size_t i = 0; i < e->ttl_count; i++) {
        uint16_t off = e->ttl_offsets[i];
        uint32_t ttl = wire_get32(msg + off);
        wire_put32(out + off, ttl > elapsed ? ttl - elapsed : 0);
    }
}

/* Copies e's message into out with every TTL set to the stale TTL (RFC 8767 4). */
static void entry_copy_stale(const struct cache_entry *e, uint8_t *out)
{
    memcpy(out, entry_msg(e), e->msg_len);
    for (size_t i = 0; i < e->ttl_count; i++)
        wire_put32(out + e->ttl_offsets[i], CACHE_STALE_TTL);
}

/* The last tenth of the TTL, rounded up to whole seconds (so at least the last one). */
static bool in_prefetch_window(const struct cache_entry *e, uint64_t age)
{
    return e->ttl - age <= (e->ttl + 9) / 10;
}

/* A client's hit on a live entry: counted, and the one prefetch the entry gets. */
static bool hit_wants_prefetch(struct cache_entry *e, uint64_t age, const struct cache_limits *lim)
{
    if (e->hits < UINT16_MAX)
        e->hits++;
    if (!lim->prefetch || e->prefetched || e->hits < CACHE_PREFETCH_MIN_HITS ||
        !in_prefetch_window(e, age))
        return false;
    e->prefetched = 1;
    return true;
}

/* ---- the shard's table ------------------------------------------------------------ */

static struct cache_entry *entry_of(const struct htable_node *n)
{
    return HTABLE_ENTRY(LRUHASH_NODE(n), struct cache_entry, node);
}

static size_t node_cost(const struct lruhash_node *n)
{
    return entry_cost(HTABLE_ENTRY(n, const struct cache_entry, node));
}

static void node_dispose(struct lruhash_node *n)
{
    free(HTABLE_ENTRY(n, struct cache_entry, node));
}

static const struct lruhash_ops entry_ops = { node_cost, node_dispose };

static bool node_referenced(struct lruhash_node *n)
{
    struct cache_entry *e = LRU_ENTRY(n, struct cache_entry, node);
    bool was = e->referenced;

    e->referenced = 0;
    return was;
}

static struct cache_entry *entry_find(const struct shard *c, uint64_t hash, const uint8_t *name,
                                      size_t name_len, uint16_t qtype, uint16_t qclass,
                                      enum cache_form form)
{
    for (struct htable_node *n = lruhash_chain(&c->table, hash); n; n = n->next) {
        struct cache_entry *e = entry_of(n);
        if (e->form == form && entry_answers(e, hash, name, name_len, qtype, qclass))
            return e;
    }
    return NULL;
}

/* The entry a client gets: without DO the plain form; with DO its own form, else the plain
 * one when that is all there is to it (no DNSSEC records: do_miss clear). One chain walk,
 * as for a client without DO: the DO hit is no slower. */
static struct cache_entry *entry_find_for(const struct shard *c, uint64_t hash,
                                          const uint8_t *name, size_t name_len, uint16_t qtype,
                                          uint16_t qclass, bool dnssec_ok)
{
    struct cache_entry *plain = NULL;

    for (struct htable_node *n = lruhash_chain(&c->table, hash); n; n = n->next) {
        struct cache_entry *e = entry_of(n);
        if (!entry_answers(e, hash, name, name_len, qtype, qclass))
            continue;
        if (e->form == CACHE_FORM_PLAIN && !dnssec_ok)
            return e;
        if (e->form == CACHE_FORM_DNSSEC && dnssec_ok)
            return e;
        if (e->form == CACHE_FORM_PLAIN)
            plain = e;
    }
    return plain && !plain->do_miss ? plain : NULL;
}

static void entry_remove(struct shard *c, struct cache_entry *e)
{
    lruhash_remove(&c->table, &e->node);
}

/* Drops least recently used entries until the cache fits in max_bytes. */
static void evict_to(struct shard *c, size_t max_bytes)
{
    c->evictions += lruhash_evict_to(&c->table, max_bytes);
}

/* ---- reading a message to be stored ------------------------------------------------ */

/* What the first pass over a message learns. */
struct message_scan {
    enum cache_kind kind;
    uint32_t negative_ttl;      /* negative only: min(SOA TTL, SOA MINIMUM, cap) */
    size_t answers_end;         /* RR index where the authority section starts */
    size_t authority_end;       /* RR index where the additional section starts */
    size_t rr_count;
    size_t questions_end;       /* offset of the first answer RR */
};

#define CACHE_NO_SOA_TTL 5      /* seconds a negative answer without SOA is kept */

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* RFC 2181 8: a TTL with the top bit set is treated as zero. */
static uint32_t ttl_sane(uint32_t ttl)
{
    return ttl & 0x80000000u ? 0 : ttl;
}

static uint32_t ttl_clamp(uint32_t ttl, const struct cache_limits *lim)
{
    ttl = ttl_sane(ttl);
    if (ttl < lim->min_ttl)
        ttl = lim->min_ttl;
    if (ttl > lim->max_ttl)
        ttl = lim->max_ttl;
    return ttl;
}

/* The SOA MINIMUM field: the last of the five 32-bit numbers after the two names, which
 * must fill the rdata exactly. Returns false if the rdata is not a well-formed SOA. */
static bool soa_minimum(const uint8_t *msg, size_t len, const struct wire_rr *rr,
                        uint32_t *minimum)
{
    size_t rdata_end = rr->rdata_off + rr->rdlen;
    size_t pos = wire_skip_name(msg, len, rr->rdata_off);

    if (pos)
        pos = wire_skip_name(msg, len, pos);
    if (!pos || pos + 20 != rdata_end)
        return false;
    *minimum = wire_get32(msg + rdata_end - 4);
    return true;
}

/* Walks every RR: checks the message is whole and cacheable in shape (no OPT, nothing
 * after the last RR, SOAs well formed) and finds the negative TTL from authority SOAs.
 * Returns the number of SOAs in the authority section, or -1 if malformed. */
static int message_walk(const uint8_t *msg, size_t len, const struct cache_limits *lim,
                        struct message_scan *scan)
{
    size_t pos = scan->questions_end;
    int soas = 0;

    scan->negative_ttl = lim->max_negative_ttl;
    for (size_t i = 0; i < scan->rr_count; i++) {
        struct wire_rr rr;
        uint32_t minimum;

        pos = wire_parse_rr(msg, len, pos, &rr);
        if (!pos || rr.type == WIRE_TYPE_OPT)
            return -1;
        if (rr.type != WIRE_TYPE_SOA)
            continue;
        if (!soa_minimum(msg, len, &rr, &minimum))
            return -1;
        if (i >= scan->answers_end && i < scan->authority_end) {
            scan->negative_ttl = min_u32(scan->negative_ttl, ttl_sane(rr.ttl));
            scan->negative_ttl = min_u32(scan->negative_ttl, ttl_sane(minimum));
            soas++;
        }
    }
    return pos == len ? soas : -1;
}

/* First pass: is this a message we cache, and of which kind? Returns 0 or -1. */
static int message_scan(const uint8_t *msg, size_t len, const struct cache_limits *lim,
                        struct message_scan *scan)
{
    int rcode, soas;

    if (len < WIRE_HEADER_LEN || len > WIRE_MAX_UDP)
        return -1;
    if (WIRE_TC(msg) || WIRE_QDCOUNT(msg) != 1)
        return -1;
    scan->answers_end = WIRE_ANCOUNT(msg);
    scan->authority_end = scan->answers_end + WIRE_NSCOUNT(msg);
    scan->rr_count = scan->authority_end + WIRE_ARCOUNT(msg);
    scan->questions_end = wire_skip_question(msg, len);
    if (!scan->questions_end)
        return -1;
    soas = message_walk(msg, len, lim, scan);
    if (soas < 0)
        return -1;

    rcode = WIRE_RCODE(msg);
    /* an SOA in the authority section makes answers a CNAME chain ending in NODATA
     * (RFC 2308 3): negative, so the SOA's negative TTL bounds the whole entry */
    if (rcode == WIRE_RCODE_NOERROR && WIRE_ANCOUNT(msg) > 0 && soas == 0) {
        scan->kind = CACHE_POSITIVE;
        return 0;
    }
    if ((rcode == WIRE_RCODE_NXDOMAIN || rcode == WIRE_RCODE_NOERROR) && soas > 0) {
        scan->kind = CACHE_NEGATIVE;
        return 0;
    }
    /* A negative answer without SOA and with nothing else in its authority section lives a
     * few seconds (Unbound's NORR_TTL), so a burst of the same question is not a burst
     * upstream (Deckard's iter_nottl); one with other authority data (a referral) is not
     * cached at all. */
    if ((rcode == WIRE_RCODE_NXDOMAIN || rcode == WIRE_RCODE_NOERROR) &&
        scan->authority_end == scan->answers_end) {
        scan->kind = CACHE_NEGATIVE;
        scan->negative_ttl = min_u32(scan->negative_ttl, CACHE_NO_SOA_TTL);
        return 0;
    }
    return -1;      /* other rcodes, or a negative answer with other authority data */
}

/* The TTL an RR is stored with. In a negative answer the authority SOA carries the
 * negative TTL itself (RFC 2308 5) and nothing may outlive it. */
static uint32_t stored_ttl(const struct message_scan *scan, const struct cache_limits *lim,
                           const struct wire_rr *rr, size_t index)
{
    bool in_authority = index >= scan->answers_end && index < scan->authority_end;

    if (scan->kind == CACHE_POSITIVE)
        return ttl_clamp(rr->ttl, lim);
    if (rr->type == WIRE_TYPE_SOA && in_authority)
        return scan->negative_ttl;
    return min_u32(ttl_sane(rr->ttl), scan->negative_ttl);
}

/* Second pass, over the entry's own copy: writes the stored TTLs, records where they
 * are, and sets the entry's lifetime. Returns false if the copy does not parse (it
 * parsed in the first pass, so that would be a bug) or nothing would live. */
static bool entry_fix_ttls(struct cache_entry *e, const struct message_scan *scan,
                           const struct cache_limits *lim)
{
    uint8_t *msg = entry_msg(e);
    size_t pos = scan->questions_end;

    e->ttl = scan->kind == CACHE_NEGATIVE ? scan->negative_ttl : UINT32_MAX;
    for (size_t i = 0; i < scan->rr_count; i++) {
        struct wire_rr rr;
        uint32_t ttl;

        pos = wire_parse_rr(msg, e->msg_len, pos, &rr);
        if (!pos)
            return false;
        ttl = stored_ttl(scan, lim, &rr, i);
        wire_put32(msg + rr.ttl_off, ttl);
        e->ttl_offsets[i] = (uint16_t)rr.ttl_off;
        e->ttl = min_u32(e->ttl, ttl);
    }
    return e->ttl > 0;
}

/* ---- one shard ---------------------------------------------------------------------- */

static struct shard *shard_new(const struct cache_limits *limits)
{
    struct shard *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    if (lruhash_init(&c->table, CACHE_INITIAL_SLOTS, &entry_ops) != 0) {
        free(c);
        return NULL;
    }
    c->table.referenced = node_referenced;
    c->limits = *limits;
    return c;
}

static void shard_set_limits(struct shard *c, const struct cache_limits *limits)
{
    c->limits = *limits;
    evict_to(c, c->limits.max_bytes);
}

static void shard_free(struct shard *c)
{
    if (!c)
        return;
    lruhash_fini(&c->table);
    free(c);
}

static int shard_store(struct shard *c, uint64_t hash, const uint8_t *name_lc, size_t name_len,
                       uint16_t qtype, uint16_t qclass, enum cache_form form, bool do_miss,
                       const uint8_t *msg, size_t len, time_t now)
{
    struct message_scan scan;
    struct cache_entry *e, *old;
    size_t size;

    if (name_len == 0 || name_len > WIRE_MAX_NAME)
        return -1;
    if (message_scan(msg, len, &c->limits, &scan) < 0)
        return -1;
    size = entry_alloc_size(scan.rr_count, len, name_len);
    if (size + CACHE_SLOT_OVERHEAD > c->limits.max_bytes / 8)
        return -1;
    e = malloc(size);
    if (!e)
        return -1;
    memset(e, 0, sizeof(*e));
    e->stored_at = now;
    e->msg_len = (uint16_t)len;
    e->ttl_count = (uint16_t)scan.rr_count;
    e->qtype = qtype;
    e->qclass = qclass;
    e->name_len = (uint8_t)name_len;
    e->kind = (uint8_t)scan.kind;
    e->form = (uint8_t)form;
    e->do_miss = do_miss;
    memcpy(entry_msg(e), msg, len);
    memcpy(entry_msg(e) + len, name_lc, name_len);
    if (!entry_fix_ttls(e, &scan, &c->limits)) {
        free(e);
        return -1;
    }

    old = entry_find(c, hash, name_lc, name_len, qtype, qclass, form);
    if (old)
        entry_remove(c, old);
    lruhash_insert(&c->table, &e->node, hash);
    evict_to(c, c->limits.max_bytes);
    return 0;
}

/* Both forms of one answer, under one lock: the plain one first (what decides whether the
 * answer is cacheable at all); an older DNSSEC form always goes, so a DO client never gets
 * one from before this answer; the new one is stored when the answer has one. Its store
 * may fail alone (too big): do_miss is set anyway, so DO clients then resolve again. */
static int shard_store_forms(struct shard *c, uint64_t hash, const uint8_t *name_lc,
                             size_t name_len, uint16_t qtype, uint16_t qclass,
                             const uint8_t *plain, size_t plain_len, enum cache_do_form how,
                             const uint8_t *dnssec, size_t dnssec_len, time_t now)
{
    struct cache_entry *old;

    if (shard_store(c, hash, name_lc, name_len, qtype, qclass, CACHE_FORM_PLAIN,
                    how != CACHE_DO_SAME, plain, plain_len, now) != 0)
        return -1;
    old = entry_find(c, hash, name_lc, name_len, qtype, qclass, CACHE_FORM_DNSSEC);
    if (old)
        entry_remove(c, old);
    if (how == CACHE_DO_OWN && dnssec)
        shard_store(c, hash, name_lc, name_len, qtype, qclass, CACHE_FORM_DNSSEC, false, dnssec,
                    dnssec_len, now);
    return 0;
}

/* An expired entry: kept for serve-stale (and served stale to a client while its
 * back-off runs), or removed. */
static size_t shard_lookup_expired(struct shard *c, struct cache_entry *e, uint64_t age,
                                   uint8_t *out, size_t cap, struct cache_hit *hit, bool client)
{
    if (!entry_stale(e, age, &c->limits)) {
        entry_remove(c, e);
        return 0;
    }
    if (!client || age >= e->stale_until || cap < e->msg_len)
        return 0;
    entry_copy_stale(e, out);
    lruhash_touch(&c->table, &e->node);
    hit->kind = (enum cache_kind)e->kind;
    hit->stale = true;
    return e->msg_len;
}

/* hit is always filled in; client: a client's lookup (counted, may be served stale). */
static size_t shard_lookup(struct shard *c, uint64_t hash, const uint8_t *name_lc,
                           size_t name_len, uint16_t qtype, uint16_t qclass, bool dnssec_ok,
                           time_t now, uint8_t *out, size_t cap, struct cache_hit *hit,
                           bool client)
{
    struct cache_entry *e;
    uint64_t age;

    e = entry_find_for(c, hash, name_lc, name_len, qtype, qclass, dnssec_ok);
    if (!e)
        return 0;
    age = entry_age(e, now);
    if (!entry_live(e, age))
        return shard_lookup_expired(c, e, age, out, cap, hit, client);
    if (cap < e->msg_len)
        return 0;

    entry_copy_counted(e, (uint32_t)age, out);
    e->referenced = 1;          /* second chance at eviction, not a move now (htable.h) */
    hit->kind = (enum cache_kind)e->kind;
    hit->prefetch = client && hit_wants_prefetch(e, age, &c->limits);
    return e->msg_len;
}

static size_t shard_lookup_stale(struct shard *c, uint64_t hash, const uint8_t *name_lc,
                                 size_t name_len, uint16_t qtype, uint16_t qclass,
                                 bool dnssec_ok, time_t now, uint8_t *out, size_t cap,
                                 enum cache_kind *kind)
{
    struct cache_entry *e = entry_find_for(c, hash, name_lc, name_len, qtype, qclass, dnssec_ok);

    if (!e || !entry_stale(e, entry_age(e, now), &c->limits) || cap < e->msg_len)
        return 0;
    entry_copy_stale(e, out);
    lruhash_touch(&c->table, &e->node);
    if (kind)
        *kind = (enum cache_kind)e->kind;
    return e->msg_len;
}

static void entry_stale_backoff(struct shard *c, struct cache_entry *e, time_t now)
{
    uint32_t wait = CACHE_STALE_RETRY;

    if (!e || !entry_stale(e, entry_age(e, now), &c->limits))
        return;
    for (unsigned i = 0; i < e->failures && wait < CACHE_STALE_RETRY_MAX; i++)
        wait *= 2;
    if (wait > CACHE_STALE_RETRY_MAX)
        wait = CACHE_STALE_RETRY_MAX;
    if (e->failures < UINT8_MAX)
        e->failures++;
    uint64_t until = entry_age(e, now) + wait;     /* as an age: 32 bits, saturating */
    e->stale_until = until > UINT32_MAX ? UINT32_MAX : (uint32_t)until;
}

/* The question's refresh failed: both forms of its answer wait the same back-off. */
static void shard_stale_backoff(struct shard *c, uint64_t hash, const uint8_t *name_lc,
                                size_t name_len, uint16_t qtype, uint16_t qclass, time_t now)
{
    struct cache_entry *e;

    if ((e = entry_find(c, hash, name_lc, name_len, qtype, qclass, CACHE_FORM_PLAIN)))
        entry_stale_backoff(c, e, now);
    if ((e = entry_find(c, hash, name_lc, name_len, qtype, qclass, CACHE_FORM_DNSSEC)))
        entry_stale_backoff(c, e, now);
}

struct name_key {
    const uint8_t *name;
    size_t len;
};

static bool entry_has_name(const struct lruhash_node *n, void *arg)
{
    const struct cache_entry *e = HTABLE_ENTRY(n, const struct cache_entry, node);
    const struct name_key *k = arg;

    return e->name_len == k->len && memcmp(entry_name(e), k->name, k->len) == 0;
}

static size_t shard_flush_name(struct shard *c, uint64_t hash, const uint8_t *name_lc,
                               size_t name_len)
{
    struct name_key k = { name_lc, name_len };

    return lruhash_remove_hash_if(&c->table, hash, entry_has_name, &k);
}

static size_t shard_flush_all(struct shard *c)
{
    return lruhash_clear(&c->table);
}

struct flush_filter {
    cache_match_fn match;
    void *arg;
};

static bool entry_filtered(const struct lruhash_node *n, void *arg)
{
    const struct cache_entry *e = HTABLE_ENTRY(n, const struct cache_entry, node);
    const struct flush_filter *f = arg;

    return f->match(entry_name(e), e->name_len, e->qtype, e->qclass, (enum cache_kind)e->kind,
                    f->arg);
}

static size_t shard_flush_if(struct shard *c, cache_match_fn match, void *arg)
{
    struct flush_filter f = { match, arg };

    return lruhash_remove_if(&c->table, entry_filtered, &f);
}

static long shard_walk(const struct shard *c, time_t now, cache_walk_fn fn, void *arg,
                       bool *stopped)
{
    uint8_t *buf = malloc(WIRE_MAX_UDP);
    long called = 0;

    if (!buf)
        return -1;
    for (const struct lru_node *n = c->table.lru.head; n; n = n->next) {
        const struct cache_entry *e = HTABLE_ENTRY(LRU_ENTRY(n, struct lruhash_node, lru),
                                                   const struct cache_entry, node);
        uint64_t age = entry_age(e, now);
        if (!entry_live(e, age) || e->form != CACHE_FORM_PLAIN)
            continue;
        entry_copy_counted(e, (uint32_t)age, buf);
        called++;
        if (!fn(entry_name(e), e->name_len, e->qtype, e->qclass, (enum cache_kind)e->kind,
                e->do_miss, buf, e->msg_len, e->ttl - (uint32_t)age, arg)) {
            *stopped = true;
            break;
        }
    }
    free(buf);
    return called;
}

static size_t shard_entries(const struct shard *c)
{
    return lruhash_count(&c->table);
}

static size_t shard_bytes(const struct shard *c)
{
    return c->table.used;
}

static uint64_t shard_evictions(const struct shard *c)
{
    return c->evictions;
}

/* ---- the sharded cache: the public interface ------------------------------------------ */

/* A name's shard comes from the top bits of its hash; the slots use the low bits. */
static struct shard *shard_of(const struct cache *c, uint64_t hash, size_t *index)
{
    *index = c->n_shards == 1 ? 0 : (size_t)(hash >> 58) % c->n_shards;
    return c->shards[*index];
}

/* Locks the shard of a name and returns it, with the name's hash; NULL (nothing locked)
 * for a name no entry can have. shard_unlock(c, index) ends the call. */
static struct shard *shard_lock(struct cache *c, const uint8_t *name_lc, size_t name_len,
                                uint64_t *hash, size_t *index)
{
    if (name_len == 0 || name_len > WIRE_MAX_NAME)
        return NULL;
    *hash = wire_name_hash(name_lc, name_len);
    struct shard *s = shard_of(c, *hash, index);
    pthread_mutex_lock(&c->locks[*index]);
    return s;
}

static void shard_unlock(struct cache *c, size_t index)
{
    pthread_mutex_unlock(&c->locks[index]);
}

static struct cache_limits shard_limits(const struct cache_limits *all, size_t n_shards)
{
    struct cache_limits lim = *all;
    lim.max_bytes = all->max_bytes / n_shards;
    return lim;
}

struct cache *cache_new(const struct cache_limits *limits)
{
    struct cache *c = calloc(1, sizeof *c);
    size_t n = 1;

    if (!c)
        return NULL;
    while (n < CACHE_MAX_SHARDS && limits->max_bytes / (n * 2) >= CACHE_MIN_SHARD_BYTES)
        n *= 2;
    c->n_shards = n;
    struct cache_limits lim = shard_limits(limits, n);
    for (size_t i = 0; i < n; i++) {
        c->shards[i] = shard_new(&lim);
        if (!c->shards[i] || pthread_mutex_init(&c->locks[i], NULL) != 0) {
            shard_free(c->shards[i]);
            c->n_shards = i;
            cache_free(c);
            return NULL;
        }
    }
    return c;
}

void cache_set_limits(struct cache *c, const struct cache_limits *limits)
{
    struct cache_limits lim = shard_limits(limits, c->n_shards);

    for (size_t i = 0; i < c->n_shards; i++) {
        pthread_mutex_lock(&c->locks[i]);
        shard_set_limits(c->shards[i], &lim);
        pthread_mutex_unlock(&c->locks[i]);
    }
}

void cache_free(struct cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_shards; i++) {
        shard_free(c->shards[i]);
        pthread_mutex_destroy(&c->locks[i]);
    }
    free(c);
}

int cache_store_forms(struct cache *c, const uint8_t *name_lc, size_t name_len, uint16_t qtype,
                      uint16_t qclass, const uint8_t *plain, size_t plain_len,
                      enum cache_do_form how, const uint8_t *dnssec, size_t dnssec_len,
                      time_t now)
{
    size_t i;
    uint64_t hash;
    struct shard *s = shard_lock(c, name_lc, name_len, &hash, &i);

    if (!s)
        return -1;
    int rc = shard_store_forms(s, hash, name_lc, name_len, qtype, qclass, plain, plain_len, how,
                               dnssec, dnssec_len, now);
    shard_unlock(c, i);
    return rc;
}

int cache_store(struct cache *c, const uint8_t *name_lc, size_t name_len, uint16_t qtype,
                uint16_t qclass, const uint8_t *msg, size_t len, time_t now)
{
    return cache_store_forms(c, name_lc, name_len, qtype, qclass, msg, len, CACHE_DO_SAME, NULL,
                             0, now);
}

static size_t lookup(struct cache *c, const uint8_t *name_lc, size_t name_len, uint16_t qtype,
                     uint16_t qclass, bool dnssec_ok, time_t now, uint8_t *out, size_t cap,
                     struct cache_hit *hit, bool client)
{
    size_t i;
    uint64_t hash;
    struct shard *s;

    *hit = (struct cache_hit){ CACHE_POSITIVE, false, false };
    if (!(s = shard_lock(c, name_lc, name_len, &hash, &i)))
        return 0;
    size_t n = shard_lookup(s, hash, name_lc, name_len, qtype, qclass, dnssec_ok, now, out, cap,
                            hit, client);
    shard_unlock(c, i);
    return n;
}

size_t cache_lookup(struct cache *c, const uint8_t *name_lc, size_t name_len, uint16_t qtype,
                    uint16_t qclass, time_t now, uint8_t *out, size_t cap, enum cache_kind *kind)
{
    struct cache_hit hit;
    size_t n = lookup(c, name_lc, name_len, qtype, qclass, false, now, out, cap, &hit, false);

    if (n && kind)
        *kind = hit.kind;
    return n;
}

size_t cache_lookup_do(struct cache *c, const uint8_t *name_lc, size_t name_len, uint16_t qtype,
                       uint16_t qclass, time_t now, uint8_t *out, size_t cap, enum cache_kind *kind)
{
    struct cache_hit hit;
    size_t n = lookup(c, name_lc, name_len, qtype, qclass, true, now, out, cap, &hit, false);

    if (n && kind)
        *kind = hit.kind;
    return n;
}

size_t cache_lookup_client(struct cache *c, const uint8_t *name_lc, size_t name_len,
                           uint16_t qtype, uint16_t qclass, bool dnssec_ok, time_t now,
                           uint8_t *out, size_t cap, struct cache_hit *hit)
{
    return lookup(c, name_lc, name_len, qtype, qclass, dnssec_ok, now, out, cap, hit, true);
}

size_t cache_lookup_stale(struct cache *c, const uint8_t *name_lc, size_t name_len,
                          uint16_t qtype, uint16_t qclass, bool dnssec_ok, time_t now,
                          uint8_t *out, size_t cap, enum cache_kind *kind)
{
    size_t i;
    uint64_t hash;
    struct shard *s = shard_lock(c, name_lc, name_len, &hash, &i);

    if (!s)
        return 0;
    size_t rc = shard_lookup_stale(s, hash, name_lc, name_len, qtype, qclass, dnssec_ok, now, out,
                                   cap, kind);
    shard_unlock(c, i);
    return rc;
}

void cache_stale_backoff(struct cache *c, const uint8_t *name_lc, size_t name_len,
                         uint16_t qtype, uint16_t qclass, time_t now)
{
    size_t i;
    uint64_t hash;
    struct shard *s = shard_lock(c, name_lc, name_len, &hash, &i);

    if (!s)
        return;
    shard_stale_backoff(s, hash, name_lc, name_len, qtype, qclass, now);
    shard_unlock(c, i);
}

size_t cache_flush_name(struct cache *c, const uint8_t *name_lc, size_t name_len)
{
    size_t i;
    uint64_t hash;
    struct shard *s = shard_lock(c, name_lc, name_len, &hash, &i);

    if (!s)
        return 0;
    size_t rc = shard_flush_name(s, hash, name_lc, name_len);
    shard_unlock(c, i);
    return rc;
}

size_t cache_flush_all(struct cache *c)
{
    size_t n = 0;

    for (size_t i = 0; i < c->n_shards; i++) {
        pthread_mutex_lock(&c->locks[i]);
        n += shard_flush_all(c->shards[i]);
        pthread_mutex_unlock(&c->locks[i]);
    }
    return n;
}

size_t cache_flush_if(struct cache *c, cache_match_fn match, void *arg)
{
    size_t n = 0;

    for (size_t i = 0; i < c->n_shards; i++) {
        pthread_mutex_lock(&c->locks[i]);
        n += shard_flush_if(c->shards[i], match, arg);
        pthread_mutex_unlock(&c->locks[i]);
    }
    return n;
}

long cache_walk(struct cache *c, time_t now, cache_walk_fn fn, void *arg)
{
    long total = 0;
    bool stopped = false;

    for (size_t i = 0; i < c->n_shards && !stopped; i++) {
        pthread_mutex_lock(&c->locks[i]);
        long n = shard_walk(c->shards[i], now, fn, arg, &stopped);
        pthread_mutex_unlock(&c->locks[i]);
        if (n < 0)
            return -1;
        total += n;
    }
    return total;
}

/* The figures below are sums over the shards, each read under its lock. */
#define CACHE_SUM(c, expr)                                                             \
    do {                                                                               \
        for (size_t i_ = 0; i_ < (c)->n_shards; i_++) {                                \
            pthread_mutex_lock(&(c)->locks[i_]);                                       \
            sum += expr((c)->shards[i_]);                                              \
            pthread_mutex_unlock(&(c)->locks[i_]);                                     \
        }                                                                              \
    } while (0)

size_t cache_entries(struct cache *c)
{
    size_t sum = 0;
    CACHE_SUM(c, shard_entries);
    return sum;
}

size_t cache_bytes(struct cache *c)
{
    size_t sum = 0;
    CACHE_SUM(c, shard_bytes);
    return sum;
}

uint64_t cache_evictions(struct cache *c)
{
    uint64_t sum = 0;
    CACHE_SUM(c, shard_evictions);
    return sum;
}
