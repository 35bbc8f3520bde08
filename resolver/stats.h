/* stats.h -- counters, one set per worker thread, summed when read.
 *
 * A worker only ever increments its own `struct stats` (no atomics, no locks on the query
 * path); the main thread sums them with stats_add when `resolverctl stats` or a metrics
 * scrape asks.
 *
 * stats_items() is the one list of what is reported: every `resolverctl stats` key with its
 * value, and for each the Prometheus metric it is exported as (name, type, label, help).
 * stats_format (the control socket) and metrics.c (GET /metrics) both print from it, so
 * the two can never disagree on the keys. */
#ifndef STATS_H
#define STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATS_LATENCY_BUCKETS 8     /* <1ms <2 <5 <10 <50 <100 <1000 >=1000 ms */
#define STATS_QTYPES 15             /* the common query types, then "other" (stats.c) */

struct stats {
    uint64_t queries_total;     /* every query parsed (after ACL) */
    uint64_t queries_udp, queries_tcp, queries_tls;
    uint64_t refused_acl;
    uint64_t dropped;           /* unreadable headers, responses sent to us */
    uint64_t formerr, notimp;
    uint64_t answers_hosts, answers_local;
    uint64_t answers_forward, answers_iterate;  /* clients answered by a resolution, by route */
    uint64_t cache_hits, cache_misses;
    uint64_t answers_stale;     /* serve-stale: expired answers sent (RFC 8767, EDE 3) */
    uint64_t prefetch_started;  /* background refreshes of popular answers started */
    uint64_t prefetch_skipped;  /* ... not started: their share of max-outstanding was full */
    uint64_t upstream_queries, upstream_timeouts, upstream_errors;
    uint64_t upstream_rtt_ms_sum, upstream_replies;
    uint64_t upstream_mismatched;   /* replies ignored: wrong ID or question */
    uint64_t upstream_tcp;          /* queries (or retries) that went over TCP */
    uint64_t upstream_tc;           /* TC=1 replies over UDP (each retried over TCP) */
    uint64_t upstream_tcp_connections; /* TCP connections opened to upstreams */
    uint64_t forward_marked_down;   /* forwarders taken for dead (infra.h, "forwarders") */
    uint64_t forward_probes;        /* probes of down forwarders sent (fwdprobe.h) */
    uint64_t forward_recovered;     /* down forwarders that answered again */
    uint64_t upstream_tls_handshakes, upstream_tls_resumptions;  /* forward-tls: done; resumed */
    uint64_t upstream_tls_failures; /* forward-tls handshakes failed (certificate, protocol) */
    uint64_t mesh_joined;       /* clients that joined a resolution already in flight */
    uint64_t mesh_outstanding;  /* gauge: resolutions in flight now */
    uint64_t mesh_dropped;      /* resolutions dropped, oldest first, to make room */
    uint64_t mesh_refused;      /* clients answered SERVFAIL at once: no room to resolve */
    uint64_t iterator_referrals, iterator_lame, iterator_scrubbed, iterator_failures;
    uint64_t tcp_connections, tcp_open, tcp_refused_cap;    /* TCP and TLS clients */
    uint64_t tls_handshakes, tls_resumptions;   /* client TLS handshakes done; of them resumed */
    uint64_t tls_failures;      /* client TLS handshakes failed or timed out */
    uint64_t ratelimit_dropped, ratelimit_slipped;  /* `ratelimit`: dropped, sent TC=1 */
    /* `cachedb` (cachedb.h): lookups answered, not found, refused values or Redis errors,
     * lookups that timed out, lookups skipped (Redis down), answers written; RTT sum */
    uint64_t cachedb_hits, cachedb_misses, cachedb_errors, cachedb_timeouts;
    uint64_t cachedb_skipped, cachedb_stores, cachedb_rtt_us_sum, cachedb_replies;
    /* DNSSEC (validate.c): answers checked, by verdict (RFC 4035 4.3); bogus answers
     * given to CD clients */
    uint64_t val_secure, val_insecure, val_bogus, val_indeterminate, val_bogus_cd;
    uint64_t rcode[16];
    uint64_t latency[STATS_LATENCY_BUCKETS];
    uint64_t latency_us_sum;    /* every latency recorded, added up (the histogram's sum) */
    uint64_t qtype[STATS_QTYPES];   /* queries by type: see qtype_names in stats.c */
};

void stats_add(struct stats *sum, const struct stats *s);
void stats_record_latency(struct stats *s, uint64_t usec);
/* Counts one query of that type (types without a counter of their own go to qtype.other). */
void stats_count_qtype(struct stats *s, uint16_t qtype);
/* Counts n clients answered by a resolution whose route was `source` (a stage's name,
 * resolve.h: "forward" or "iterate"; any other name is not counted). */
void stats_count_resolved(struct stats *s, const char *source, uint64_t n);
/* Zeroes every counter; gauges that describe the present (tcp.open) keep their value. */
void stats_reset(struct stats *s);

struct config;

/* What one report is made of: the summed counters, the cache figures (the cache is not per
 * thread) and the config whose caps show as limit.* (NULL: no limit.* keys). */
struct stats_snapshot {
    struct stats sum;
    size_t cache_entries, cache_bytes;
    uint64_t cache_evictions;
    size_t forwarders_down;         /* forwarders down now (the infra cache) */
    const struct config *cfg;
};

enum stats_kind {
    STATS_COUNTER,          /* only grows (until stats-reset) */
    STATS_GAUGE,            /* describes the present, or a ratio/average */
    STATS_BUCKET,           /* one latency bucket: a histogram bucket of its own (not cumulative) */
    STATS_BUCKET_SUM,       /* the histogram's sum */
};

#define STATS_MAX_ITEMS 160
#define STATS_KEY_MAX   40

struct stats_item {
    char key[STATS_KEY_MAX];    /* the `resolverctl stats` key, e.g. "rcode.NOERROR" */
    const char *metric;         /* the Prometheus family, e.g. "resolverd_responses_total" */
    const char *label;          /* its label name, or NULL ... */
    const char *label_value;    /* ... and this item's value of it */
    const char *help;           /* the family's # HELP text */
    enum stats_kind kind;
    bool real;                  /* value is `fvalue` (printed with `decimals`), else `uvalue` */
    int decimals;
    uint64_t uvalue;
    double fvalue;
    double scale;               /* metric value = value * scale: to seconds, from ms or us */
    double le;                  /* STATS_BUCKET: its upper bound in seconds (INFINITY: last) */
};

/* Fills out[] with every item of the report, in the order `resolverctl stats` prints them
 * (items of one metric family are adjacent); returns how many (at most cap). */
size_t stats_items(const struct stats_snapshot *snap, struct stats_item *out, size_t cap);
/* Writes the items as `key=value` lines (the keys README documents) into buf; returns the
 * length written (truncated to cap). */
size_t stats_format(const struct stats_snapshot *snap, char *buf, size_t cap);

#endif
