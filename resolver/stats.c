/* stats.c -- summing and printing the per-thread counters (see stats.h). */
#include "stats.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

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
    s->latency_us_sum += usec;
}

void stats_count_qtype(struct stats *s, uint16_t qtype)
{
    size_t i = 0;
    while (i < STATS_QTYPES - 1 && qtypes[i].type != qtype)
        i++;
    s->qtype[i]++;
}

void stats_count_resolved(struct stats *s, const char *source, uint64_t n)
{
    if (!source)
        return;
    if (strcmp(source, "forward") == 0)
        s->answers_forward += n;
    else if (strcmp(source, "iterate") == 0)
        s->answers_iterate += n;
}

void stats_reset(struct stats *s)
{
    uint64_t tcp_open = s->tcp_open, outstanding = s->mesh_outstanding;

    memset(s, 0, sizeof *s);
    s->tcp_open = tcp_open;         /* gauges describe the present: they stay */
    s->mesh_outstanding = outstanding;
}

/* ---- the report: one list of items for `stats` and for GET /metrics ---------------------- */

struct items { struct stats_item *v; size_t n, cap; };

/* Appends one item (dropped when out of room: STATS_MAX_ITEMS is more than the report has)
 * and returns it, or NULL. */
static struct stats_item *item(struct items *it, enum stats_kind kind, const char *key,
                               const char *metric, const char *help)
{
    if (it->n >= it->cap)
        return NULL;
    struct stats_item *i = &it->v[it->n++];
    memset(i, 0, sizeof *i);
    snprintf(i->key, sizeof i->key, "%s", key);
    i->kind = kind;
    i->metric = metric;
    i->help = help;
    i->scale = 1.0;
    return i;
}

static void count(struct items *it, const char *key, const char *metric, const char *help,
                  uint64_t v)
{
    struct stats_item *i = item(it, STATS_COUNTER, key, metric, help);
    if (i)
        i->uvalue = v;
}

static void gauge(struct items *it, const char *key, const char *metric, const char *help,
                  uint64_t v)
{
    struct stats_item *i = item(it, STATS_GAUGE, key, metric, help);
    if (i)
        i->uvalue = v;
}

/* A gauge printed with decimals; scale turns it into the metric's base unit. */
static void real_gauge(struct items *it, const char *key, const char *metric,
                       const char *help, double v, int decimals, double scale)
{
    struct stats_item *i = item(it, STATS_GAUGE, key, metric, help);
    if (!i)
        return;
    i->real = true;
    i->fvalue = v;
    i->decimals = decimals;
    i->scale = scale;
}

/* A counter of a labelled family: key is "<prefix>.<label value>" unless given. */
static void labelled(struct items *it, const char *key, const char *metric, const char *help,
                     const char *label, const char *value, uint64_t v)
{
    char k[STATS_KEY_MAX];
    if (!key) {
        snprintf(k, sizeof k, "%s.%s", label, value);
        key = k;
    }
    struct stats_item *i = item(it, STATS_COUNTER, key, metric, help);
    if (!i)
        return;
    i->label = label;
    i->label_value = value;
    i->uvalue = v;
}

static double ratio(uint64_t part, uint64_t whole)
{
    return whole ? (double)part / (double)whole : 0.0;
}

static void traffic_items(struct items *it, const struct stats *s)
{
    static const char answers[] = "Answers by source: hosts file, local zones, cache hits, "
                                  "or resolved (through a forwarder, or by iteration)";

    count(it, "queries.total", "resolverd_queries_total", "Queries parsed (after the ACL)",
          s->queries_total);
    labelled(it, "queries.udp", "resolverd_transport_queries_total", "Queries by transport",
             "transport", "udp", s->queries_udp);
    labelled(it, "queries.tcp", "resolverd_transport_queries_total", "Queries by transport",
             "transport", "tcp", s->queries_tcp);
    labelled(it, "queries.tls", "resolverd_transport_queries_total", "Queries by transport",
             "transport", "tls", s->queries_tls);
    count(it, "queries.refused_acl", "resolverd_queries_refused_acl_total",
          "Queries refused by the allow/deny ACL", s->refused_acl);
    count(it, "queries.dropped", "resolverd_queries_dropped_total",
          "Packets dropped unanswered (unreadable, or responses sent to us)", s->dropped);
    labelled(it, "answers.hosts", "resolverd_answers_total", answers, "source", "hosts",
             s->answers_hosts);
    labelled(it, "answers.local", "resolverd_answers_total", answers, "source", "local",
             s->answers_local);
    labelled(it, "cache.hits", "resolverd_answers_total", answers, "source", "cache",
             s->cache_hits);
    labelled(it, "answers.forward", "resolverd_answers_total", answers, "source", "forward",
             s->answers_forward);
    labelled(it, "answers.iterate", "resolverd_answers_total", answers, "source", "iterate",
             s->answers_iterate);
    labelled(it, "answers.stale", "resolverd_answers_total", answers, "source", "stale",
             s->answers_stale);
    count(it, "cache.misses", "resolverd_cache_misses_total",
          "Cache lookups that found nothing (the question was resolved)", s->cache_misses);
    real_gauge(it, "cache.hit_ratio", "resolverd_cache_hit_ratio",
               "cache.hits / (cache.hits + cache.misses) since start or stats-reset",
               ratio(s->cache_hits, s->cache_hits + s->cache_misses), 3, 1.0);
}

static void cache_upstream_items(struct items *it, const struct stats_snapshot *snap)
{
    const struct stats *s = &snap->sum;

    gauge(it, "cache.entries", "resolverd_cache_entries", "Answers in the cache",
          snap->cache_entries);
    gauge(it, "cache.bytes", "resolverd_cache_bytes", "Bytes the answer cache uses",
          snap->cache_bytes);
    count(it, "cache.evictions", "resolverd_cache_evictions_total",
          "Cached answers evicted for room", snap->cache_evictions);
    count(it, "prefetch.started", "resolverd_prefetch_started_total",
          "Background refreshes of answers late in their TTL started (prefetch)",
          s->prefetch_started);
    count(it, "prefetch.skipped", "resolverd_prefetch_skipped_total",
          "Prefetches not started: their share of max-outstanding was in use",
          s->prefetch_skipped);
    count(it, "upstream.queries", "resolverd_upstream_queries_total",
          "Queries sent to forwarders and authorities", s->upstream_queries);
    count(it, "upstream.timeouts", "resolverd_upstream_timeouts_total",
          "Upstream queries that timed out", s->upstream_timeouts);
    count(it, "upstream.errors", "resolverd_upstream_errors_total",
          "Upstream queries that failed (network errors, unusable replies)", s->upstream_errors);
    count(it, "upstream.mismatched", "resolverd_upstream_mismatched_total",
          "Upstream replies ignored: wrong ID or question", s->upstream_mismatched);
    count(it, "upstream.tcp", "resolverd_upstream_tcp_total",
          "Upstream queries over TCP (after TC=1, or to a server that sent one lately)",
          s->upstream_tcp);
    count(it, "upstream.tc", "resolverd_upstream_tc_total",
          "Truncated (TC=1) upstream replies over UDP, each retried over TCP", s->upstream_tc);
    count(it, "upstream.tcp_connections", "resolverd_upstream_tcp_connections_total",
          "TCP connections opened to upstreams (each carries many queries)",
          s->upstream_tcp_connections);
    gauge(it, "forward.down_now", "resolverd_forward_upstreams_down",
          "Forwarders down now: skipped while another upstream of their zone is live",
          snap->forwarders_down);
    count(it, "forward.marked_down", "resolverd_forward_marked_down_total",
          "Times a forwarder was marked down (no usable reply)", s->forward_marked_down);
    count(it, "forward.probes", "resolverd_forward_probes_total",
          "Background probes of down forwarders sent", s->forward_probes);
    count(it, "forward.recovered", "resolverd_forward_recovered_total",
          "Times a down forwarder answered again and was taken back", s->forward_recovered);
    count(it, "upstream.tls_handshakes", "resolverd_upstream_tls_handshakes_total",
          "TLS handshakes with forward-tls upstreams completed", s->upstream_tls_handshakes);
    count(it, "upstream.tls_resumptions", "resolverd_upstream_tls_resumptions_total",
          "TLS handshakes with forward-tls upstreams that resumed a session",
          s->upstream_tls_resumptions);
    count(it, "upstream.tls_failures", "resolverd_upstream_tls_failures_total",
          "TLS handshakes with forward-tls upstreams that failed (certificate, protocol)",
          s->upstream_tls_failures);
    real_gauge(it, "upstream.rtt_avg_ms", "resolverd_upstream_rtt_average_seconds",
               "Average upstream round-trip time since start or stats-reset",
               ratio(s->upstream_rtt_ms_sum, s->upstream_replies), 1, 1e-3);
}

static void cachedb_items(struct items *it, const struct stats *s)
{
    count(it, "cachedb.hits", "resolverd_cachedb_hits_total",
          "Misses of the local cache answered from the shared cache (cachedb)", s->cachedb_hits);
    count(it, "cachedb.misses", "resolverd_cachedb_misses_total",
          "Shared cache lookups that found nothing usable", s->cachedb_misses);
    count(it, "cachedb.errors", "resolverd_cachedb_errors_total",
          "Shared cache values refused (corrupt, wrong question) and Redis errors",
          s->cachedb_errors);
    count(it, "cachedb.timeouts", "resolverd_cachedb_timeouts_total",
          "Shared cache lookups that timed out (cachedb-timeout)", s->cachedb_timeouts);
    count(it, "cachedb.skipped", "resolverd_cachedb_skipped_total",
          "Shared cache lookups skipped: Redis down or reconnecting", s->cachedb_skipped);
    count(it, "cachedb.stores", "resolverd_cachedb_stores_total",
          "Answers written to the shared cache", s->cachedb_stores);
    real_gauge(it, "cachedb.rtt_avg_ms", "resolverd_cachedb_rtt_average_seconds",
               "Average shared cache lookup round-trip time since start or stats-reset",
               ratio(s->cachedb_rtt_us_sum, s->cachedb_replies) / 1000.0, 3, 1e-3);
}

static void validation_items(struct items *it, const struct stats *s)
{
    count(it, "dnssec.secure", "resolverd_dnssec_secure_total",
          "Answers validated as secure (AD)", s->val_secure);
    count(it, "dnssec.insecure", "resolverd_dnssec_insecure_total",
          "Answers proven unsigned or below a negative trust anchor", s->val_insecure);
    count(it, "dnssec.bogus", "resolverd_dnssec_bogus_total",
          "Answers that failed validation (SERVFAIL, the data only with CD)", s->val_bogus);
    count(it, "dnssec.indeterminate", "resolverd_dnssec_indeterminate_total",
          "Answers whose validation could not be decided", s->val_indeterminate);
    count(it, "dnssec.bogus_cd", "resolverd_dnssec_bogus_cd_total",
          "Bogus answers given to clients that set CD", s->val_bogus_cd);
}

static void mesh_items(struct items *it, const struct stats *s)
{
    count(it, "mesh.joined", "resolverd_mesh_joined_total",
          "Clients that joined a resolution already in flight", s->mesh_joined);
    gauge(it, "mesh.outstanding", "resolverd_mesh_outstanding", "Resolutions in flight now",
          s->mesh_outstanding);
    count(it, "mesh.dropped", "resolverd_mesh_dropped_total",
          "Resolutions dropped to make room (max-outstanding)", s->mesh_dropped);
    count(it, "mesh.refused", "resolverd_mesh_refused_total",
          "Clients answered SERVFAIL at once: no room to resolve", s->mesh_refused);
    count(it, "iterator.referrals", "resolverd_iterator_referrals_total",
          "Referrals followed", s->iterator_referrals);
    count(it, "iterator.lame", "resolverd_iterator_lame_total", "Lame answers seen",
          s->iterator_lame);
    count(it, "iterator.scrubbed", "resolverd_iterator_scrubbed_total",
          "Out-of-bailiwick records dropped", s->iterator_scrubbed);
    count(it, "iterator.failures", "resolverd_iterator_failures_total",
          "Iterative resolutions that failed", s->iterator_failures);
    count(it, "ratelimit.dropped", "resolverd_ratelimit_dropped_total",
          "Replies dropped by ratelimit", s->ratelimit_dropped);
    count(it, "ratelimit.slipped", "resolverd_ratelimit_slipped_total",
          "Replies sent truncated (TC=1) by ratelimit", s->ratelimit_slipped);
    count(it, "tcp.connections", "resolverd_tcp_connections_total",
          "Client TCP connections accepted (TLS ones too)", s->tcp_connections);
    gauge(it, "tcp.open", "resolverd_tcp_open_connections", "Client TCP connections open now (TLS ones too)",
          s->tcp_open);
    count(it, "tcp.refused_cap", "resolverd_tcp_refused_cap_total",
          "Client TCP connections closed at once: tcp-max-connections reached",
          s->tcp_refused_cap);
    count(it, "tls.handshakes", "resolverd_tls_handshakes_total",
          "Client TLS handshakes completed", s->tls_handshakes);
    count(it, "tls.resumptions", "resolverd_tls_resumptions_total",
          "Client TLS handshakes that resumed a session", s->tls_resumptions);
    count(it, "tls.failures", "resolverd_tls_failures_total",
          "Client TLS handshakes that failed or timed out", s->tls_failures);
}

static void reply_items(struct items *it, const struct stats *s)
{
    static const double le[STATS_LATENCY_BUCKETS] = {
        0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 1.0, INFINITY,
    };
    static const char metric[] = "resolverd_query_duration_seconds";
    static const char help[] = "Time from a query's arrival to its reply";

    for (int i = 0; i < 16; i++)
        if (i <= 5 || s->rcode[i])
            labelled(it, NULL, "resolverd_responses_total", "Replies sent, by rcode", "rcode",
                     rcode_names[i], s->rcode[i]);
    for (int i = 0; i < STATS_LATENCY_BUCKETS; i++) {
        char key[STATS_KEY_MAX];
        snprintf(key, sizeof key, "latency.%s", latency_names[i]);
        struct stats_item *b = item(it, STATS_BUCKET, key, metric, help);
        if (b) {
            b->uvalue = s->latency[i];
            b->le = le[i];
        }
    }
    struct stats_item *sum = item(it, STATS_BUCKET_SUM, "latency.total_us", metric, help);
    if (sum) {
        sum->uvalue = s->latency_us_sum;
        sum->scale = 1e-6;
    }
    for (int i = 0; i < STATS_QTYPES - 1; i++)
        labelled(it, NULL, "resolverd_qtype_queries_total", "Queries by type", "qtype",
                 qtypes[i].name, s->qtype[i]);
    labelled(it, NULL, "resolverd_qtype_queries_total", "Queries by type", "qtype", "other",
             s->qtype[STATS_QTYPES - 1]);
}

/* The caps of resolver.conf, each a gauge of its own (they have different units). */
static void limit_items(struct items *it, const struct config *cfg)
{
    if (!cfg)
        return;
    gauge(it, "limit.cache_size", "resolverd_limit_cache_size_bytes",
          "Configured cap: cache-size", cfg->cache_size);
    gauge(it, "limit.tcp_max_connections", "resolverd_limit_tcp_max_connections",
          "Configured cap: tcp-max-connections", cfg->tcp_max_connections);
    gauge(it, "limit.max_outstanding", "resolverd_limit_max_outstanding",
          "Configured cap: max-outstanding", cfg->max_outstanding);
    real_gauge(it, "limit.jostle_timeout_ms", "resolverd_limit_jostle_timeout_seconds",
               "Configured cap: jostle-timeout", cfg->jostle_timeout_ms, 0, 1e-3);
    gauge(it, "limit.max_clients_per_query", "resolverd_limit_max_clients_per_query",
          "Configured cap: max-clients-per-query", cfg->max_clients_per_query);
    gauge(it, "limit.max_queries_per_question", "resolverd_limit_max_queries_per_question",
          "Configured cap: max-queries-per-question", cfg->max_queries_per_question);
    gauge(it, "limit.max_referrals", "resolverd_limit_max_referrals",
          "Configured cap: max-referrals", cfg->max_referrals);
    gauge(it, "limit.max_cname_chain", "resolverd_limit_max_cname_chain",
          "Configured cap: max-cname-chain", cfg->max_cname_chain);
    real_gauge(it, "limit.question_timeout_ms", "resolverd_limit_question_timeout_seconds",
               "Configured cap: question-timeout", cfg->question_timeout_ms, 0, 1e-3);
    gauge(it, "limit.ratelimit", "resolverd_limit_ratelimit",
          "Configured cap: ratelimit (replies a second per client prefix, 0: off)",
          cfg->ratelimit);
}

size_t stats_items(const struct stats_snapshot *snap, struct stats_item *out, size_t cap)
{
    struct items it = { out, 0, cap };

    traffic_items(&it, &snap->sum);
    cache_upstream_items(&it, snap);
    mesh_items(&it, &snap->sum);
    cachedb_items(&it, &snap->sum);
    validation_items(&it, &snap->sum);
    reply_items(&it, &snap->sum);
    limit_items(&it, snap->cfg);
    return it.n;
}

size_t stats_format(const struct stats_snapshot *snap, char *buf, size_t cap)
{
    struct stats_item items[STATS_MAX_ITEMS];
    size_t n = stats_items(snap, items, STATS_MAX_ITEMS), len = 0;

    if (cap == 0)
        return 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len + 1 < cap; i++) {
        const struct stats_item *x = &items[i];
        int w = x->real ? snprintf(buf + len, cap - len, "%s=%.*f\n", x->key, x->decimals,
                                   x->fvalue)
                        : snprintf(buf + len, cap - len, "%s=%llu\n", x->key,
                                   (unsigned long long)x->uvalue);
        if (w < 0)
            break;
        len = len + (size_t)w < cap ? len + (size_t)w : cap - 1;
    }
    return len;
}
