/* stats.c -- summing and printing the per-thread counters (see stats.h). */
#include "stats.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const rcode_names[16] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
    "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "RCODE11", "RCODE12", "RCODE13",
    "RCODE14", "RCODE15",
};

static const char *const latency_names[STATS_LATENCY_BUCKETS] = {
    "lt1ms", "lt2ms", "lt5ms", "lt10ms", "lt50ms", "lt100ms", "lt1s", "ge1s",
};

/* The types with a counter of their own; the last slot counts every other type. */
static const struct { uint16_t type; const char *name; } qtypes[STATS_QTYPES - 1] = {
    { 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" }, { 15, "MX" },
    { 16, "TXT" }, { 28, "AAAA" }, { 33, "SRV" }, { 43, "DS" }, { 48, "DNSKEY" },
    { 64, "SVCB" }, { 65, "HTTPS" }, { 255, "ANY" },
};

void stats_add(struct stats *sum, const struct stats *s)
{
    /* struct stats is all uint64_t counters, so it can be summed as an array */
    uint64_t *dst = (uint64_t *)sum;
    const uint64_t *src = (const uint64_t *)s;
    for (size_t i = 0; i < sizeof *s / sizeof(uint64_t); i++)
        dst[i] += src[i];
}

void stats_record_latency(struct stats *s, uint64_t usec)
{
    static const uint64_t limits_us[STATS_LATENCY_BUCKETS - 1] = {
        1000, 2000, 5000, 10000, 50000, 100000, 1000000,
    };
    size_t i = 0;
    while (i < STATS_LATENCY_BUCKETS - 1 && usec >= limits_us[i])
        i++;
    s->latency[i]++;
}

void stats_count_qtype(struct stats *s, uint16_t qtype)
{
    size_t i = 0;
    while (i < STATS_QTYPES - 1 && qtypes[i].type != qtype)
        i++;
    s->qtype[i]++;
}

void stats_reset(struct stats *s)
{
    uint64_t tcp_open = s->tcp_open, outstanding = s->mesh_outstanding;

    memset(s, 0, sizeof *s);
    s->tcp_open = tcp_open;         /* gauges describe the present: they stay */
    s->mesh_outstanding = outstanding;
}

struct out { char *buf; size_t cap, len; };

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    if (o->len >= o->cap)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len = o->len + (size_t)n < o->cap ? o->len + (size_t)n : o->cap - 1;
}

size_t stats_format(const struct stats *s, size_t cache_entries, size_t cache_bytes,
                    uint64_t cache_evictions, char *buf, size_t cap)
{
    struct out o = { buf, cap, 0 };
    uint64_t lookups = s->cache_hits + s->cache_misses;

    if (cap == 0)
        return 0;
    buf[0] = '\0';
    put(&o, "queries.total=%llu\n", (unsigned long long)s->queries_total);
    put(&o, "queries.udp=%llu\nqueries.tcp=%llu\n", (unsigned long long)s->queries_udp,
        (unsigned long long)s->queries_tcp);
    put(&o, "queries.refused_acl=%llu\nqueries.dropped=%llu\n",
        (unsigned long long)s->refused_acl, (unsigned long long)s->dropped);
    put(&o, "answers.hosts=%llu\nanswers.local=%llu\n", (unsigned long long)s->answers_hosts,
        (unsigned long long)s->answers_local);
    put(&o, "cache.hits=%llu\ncache.misses=%llu\n", (unsigned long long)s->cache_hits,
        (unsigned long long)s->cache_misses);
    put(&o, "cache.hit_ratio=%.3f\n", lookups ? (double)s->cache_hits / (double)lookups : 0.0);
    put(&o, "cache.entries=%zu\ncache.bytes=%zu\ncache.evictions=%llu\n", cache_entries,
        cache_bytes, (unsigned long long)cache_evictions);
    put(&o, "upstream.queries=%llu\nupstream.timeouts=%llu\nupstream.errors=%llu\n",
        (unsigned long long)s->upstream_queries, (unsigned long long)s->upstream_timeouts,
        (unsigned long long)s->upstream_errors);
    put(&o, "upstream.mismatched=%llu\n", (unsigned long long)s->upstream_mismatched);
    put(&o, "upstream.rtt_avg_ms=%.1f\n",
        s->upstream_replies ? (double)s->upstream_rtt_ms_sum / (double)s->upstream_replies : 0.0);
    put(&o, "mesh.joined=%llu\n", (unsigned long long)s->mesh_joined);
    put(&o, "mesh.outstanding=%llu\nmesh.dropped=%llu\nmesh.refused=%llu\n",
        (unsigned long long)s->mesh_outstanding, (unsigned long long)s->mesh_dropped,
        (unsigned long long)s->mesh_refused);
    put(&o, "iterator.referrals=%llu\niterator.lame=%llu\n",
        (unsigned long long)s->iterator_referrals, (unsigned long long)s->iterator_lame);
    put(&o, "iterator.scrubbed=%llu\niterator.failures=%llu\n",
        (unsigned long long)s->iterator_scrubbed, (unsigned long long)s->iterator_failures);
    put(&o, "ratelimit.dropped=%llu\nratelimit.slipped=%llu\n",
        (unsigned long long)s->ratelimit_dropped, (unsigned long long)s->ratelimit_slipped);
    put(&o, "tcp.connections=%llu\ntcp.open=%llu\ntcp.refused_cap=%llu\n",
        (unsigned long long)s->tcp_connections, (unsigned long long)s->tcp_open,
        (unsigned long long)s->tcp_refused_cap);
    for (int i = 0; i < 16; i++)
        if (i <= 5 || s->rcode[i])
            put(&o, "rcode.%s=%llu\n", rcode_names[i], (unsigned long long)s->rcode[i]);
    for (int i = 0; i < STATS_LATENCY_BUCKETS; i++)
        put(&o, "latency.%s=%llu\n", latency_names[i], (unsigned long long)s->latency[i]);
    for (int i = 0; i < STATS_QTYPES - 1; i++)
        put(&o, "qtype.%s=%llu\n", qtypes[i].name, (unsigned long long)s->qtype[i]);
    put(&o, "qtype.other=%llu\n", (unsigned long long)s->qtype[STATS_QTYPES - 1]);
    return o.len;
}
