/* stats.h -- counters, one set per worker thread, summed when read.
 *
 * A worker only ever increments its own `struct stats` (no atomics, no locks on the query
 * path); the control thread sums them with stats_add when `resolverctl stats` asks. */
#ifndef STATS_H
#define STATS_H

#include <stddef.h>
#include <stdint.h>

#define STATS_LATENCY_BUCKETS 8     /* <1ms <2 <5 <10 <50 <100 <1000 >=1000 ms */
#define STATS_QTYPES 15             /* the common query types, then "other" (stats.c) */

struct stats {
    uint64_t queries_total;     /* every query parsed (after ACL) */
    uint64_t queries_udp, queries_tcp;
    uint64_t refused_acl;
    uint64_t dropped;           /* unreadable headers, responses sent to us */
    uint64_t formerr, notimp;
    uint64_t answers_hosts, answers_local;
    uint64_t cache_hits, cache_misses;
    uint64_t upstream_queries, upstream_timeouts, upstream_errors;
    uint64_t upstream_rtt_ms_sum, upstream_replies;
    uint64_t upstream_mismatched;   /* replies ignored: wrong ID or question */
    uint64_t mesh_joined;       /* clients that joined a resolution already in flight */
    uint64_t mesh_outstanding;  /* gauge: resolutions in flight now */
    uint64_t mesh_dropped;      /* resolutions dropped, oldest first, to make room */
    uint64_t mesh_refused;      /* clients answered SERVFAIL at once: no room to resolve */
    uint64_t iterator_referrals, iterator_lame, iterator_scrubbed, iterator_failures;
    uint64_t tcp_connections, tcp_open, tcp_refused_cap;
    uint64_t ratelimit_dropped, ratelimit_slipped;  /* `ratelimit`: dropped, sent TC=1 */
    uint64_t rcode[16];
    uint64_t latency[STATS_LATENCY_BUCKETS];
    uint64_t qtype[STATS_QTYPES];   /* queries by type: see qtype_names in stats.c */
};

void stats_add(struct stats *sum, const struct stats *s);
void stats_record_latency(struct stats *s, uint64_t usec);
/* Counts one query of that type (types without a counter of their own go to qtype.other). */
void stats_count_qtype(struct stats *s, uint16_t qtype);
/* Zeroes every counter; gauges that describe the present (tcp.open) keep their value. */
void stats_reset(struct stats *s);
/* Writes `key=value` lines (the keys README documents) into buf; cache figures are passed
 * in because the cache is not per thread. Returns the length written (truncated to cap). */
size_t stats_format(const struct stats *s, size_t cache_entries, size_t cache_bytes,
                    uint64_t cache_evictions, char *buf, size_t cap);

#endif
