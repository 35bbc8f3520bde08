/* test_metrics.c -- unit tests for resolver/metrics.c: the HTTP status of request heads and
 * the exposition of a stats snapshot (one family per metric with # HELP and # TYPE, labels,
 * the cumulative histogram, units, one sample per `stats` key). The socket side is covered
 * by tests/e2e/79-metrics.t. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "metrics.h"
#include "stats.h"
#include "strbuf.h"
#include "tap.h"

static int status_of(const char *head)
{
    return metrics_request_status(head, strlen(head));
}

static void test_request_status(void)
{
    is_int(status_of("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 200, "GET /metrics");
    is_int(status_of("GET /metrics HTTP/1.0\n\n"), 200, "GET /metrics, HTTP/1.0, bare LF");
    is_int(status_of("GET /metrics?name[]=x HTTP/1.1\r\n\r\n"), 200, "a query string is ignored");
    is_int(status_of("GET / HTTP/1.1\r\n\r\n"), 404, "GET /");
    is_int(status_of("GET /metricsx HTTP/1.1\r\n\r\n"), 404, "GET /metricsx");
    is_int(status_of("GET /metrics/ HTTP/1.1\r\n\r\n"), 404, "GET /metrics/");
    is_int(status_of("POST /metrics HTTP/1.1\r\n\r\n"), 405, "POST");
    is_int(status_of("HEAD /metrics HTTP/1.1\r\n\r\n"), 405, "HEAD");
    is_int(status_of("GETS /metrics HTTP/1.1\r\n\r\n"), 405, "GETS is not GET");
    is_int(status_of("GET /metrics\r\n\r\n"), 400, "HTTP/0.9 (no version)");
    is_int(status_of("GET /metrics FTP/1.1\r\n\r\n"), 400, "not HTTP");
    is_int(status_of("GET  HTTP/1.1\r\n\r\n"), 400, "empty target");
    is_int(status_of("hello\r\n\r\n"), 400, "one word");
    is_int(status_of(""), 400, "nothing");
    is_int(metrics_request_status("GET /metrics HTTP/1.1", 12), 400,
           "cut short: the length is respected");
}

static size_t count_lines(const char *text, const char *prefix)
{
    size_t n = 0, plen = strlen(prefix);

    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, prefix, plen) == 0)
            n++;
    return n;
}

static void test_format(void)
{
    static struct config cfg = { .cache_size = 1 << 20, .question_timeout_ms = 2500 };
    struct stats_snapshot snap = { .cache_entries = 7, .cfg = &cfg };
    struct strbuf out = { malloc(1024), 1024, 0, 1 << 20, false };
    char keys[16384];

    if (!out.buf)
        return;
    out.buf[0] = '\0';
    snap.sum.queries_total = 42;
    snap.sum.queries_udp = 40;
    snap.sum.cache_hits = 3;
    snap.sum.rcode[2] = 5;
    snap.sum.rcode[12] = 1;             /* shown only when not zero */
    snap.sum.latency[0] = 2;
    snap.sum.latency[3] = 1;
    snap.sum.latency[7] = 1;
    snap.sum.latency_us_sum = 1500000;
    snap.sum.upstream_rtt_ms_sum = 30;
    snap.sum.upstream_replies = 2;
    metrics_format(&snap, &out);
    const char *t = out.buf;

    ok(!out.cut, "the exposition fits");
    ok(strncmp(t, "# HELP resolverd_queries_total ", 31) == 0, "starts with a # HELP line");
    ok(strstr(t, "# TYPE resolverd_queries_total counter\nresolverd_queries_total 42\n") != NULL,
       "a counter with its value");
    ok(strstr(t, "resolverd_transport_queries_total{transport=\"udp\"} 40\n") != NULL,
       "transport label");
    ok(strstr(t, "resolverd_answers_total{source=\"cache\"} 3\n") != NULL, "source label: cache");
    ok(strstr(t, "resolverd_responses_total{rcode=\"SERVFAIL\"} 5\n") != NULL, "rcode label");
    ok(strstr(t, "resolverd_responses_total{rcode=\"RCODE12\"} 1\n") != NULL,
       "a rare rcode shows once counted");
    ok(strstr(t, "# TYPE resolverd_cache_entries gauge\nresolverd_cache_entries 7\n") != NULL,
       "a gauge");
    ok(strstr(t, "resolverd_upstream_rtt_average_seconds 0.015\n") != NULL,
       "the average RTT in seconds (15 ms)");
    ok(strstr(t, "resolverd_limit_question_timeout_seconds 2.5\n") != NULL,
       "a limit in seconds (2500 ms)");
    ok(strstr(t, "resolverd_limit_cache_size_bytes 1048576\n") != NULL, "a limit in bytes");
    ok(strstr(t, "# TYPE resolverd_query_duration_seconds histogram\n"
                 "resolverd_query_duration_seconds_bucket{le=\"0.001\"} 2\n") != NULL,
       "the histogram starts at 1 ms");
    ok(strstr(t, "resolverd_query_duration_seconds_bucket{le=\"0.01\"} 3\n") != NULL,
       "buckets are cumulative");
    ok(strstr(t, "resolverd_query_duration_seconds_bucket{le=\"+Inf\"} 4\n"
                 "resolverd_query_duration_seconds_sum 1.5\n"
                 "resolverd_query_duration_seconds_count 4\n") != NULL,
       "+Inf bucket, _sum in seconds, _count");
    ok(strstr(t, "(stats: rcode.<rcode>)\n") != NULL, "HELP names the keys by pattern");
    ok(strstr(t, "(stats: answers.hosts answers.local cache.hits answers.forward "
                 "answers.iterate answers.stale)\n") != NULL,
       "HELP lists the keys when there is no pattern");
    is_int(count_lines(t, "# HELP "), count_lines(t, "# TYPE "), "a # TYPE for every # HELP");

    size_t n_keys = stats_format(&snap, keys, sizeof keys);
    size_t samples = count_lines(t, "resolverd_") - 1;  /* the histogram's _count has no key */
    ok(n_keys > 0, "stats_format writes the keys");
    is_int(samples, count_lines(keys, ""), "one sample per stats key");
    free(out.buf);
}

int main(void)
{
    test_request_status();
    test_format();
    return done_testing();
}
