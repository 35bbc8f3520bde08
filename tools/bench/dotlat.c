/* dotlat.c -- upstream query latency over one reused connection: plain TCP against TLS.
 *
 *   dotlat ADDR TCP-PORT TLS-PORT CA-FILE AUTH-NAME N
 *
 * Drives resolverd's own upstream connection pool (resolver/tcppool.c) and TLS transport
 * (resolver/tls.c) -- the code `forward` over TCP and `forward-tls` run -- against one
 * server that serves the same names on a plain TCP port and a DNS-over-TLS port. For each
 * transport: 20 warm-up queries (the connect, the TLS handshake), then N queries one after
 * the other on the same reused connection, each timed from tcppool_send to its reply.
 * Prints `MODE median_us p90_us mean_us connections` for tcp and tls, then the ratio of the
 * medians. Exit status 1 when a query fails or the pool opened more than one connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>

#include "config.h"
#include "stats.h"
#include "tcppool.h"
#include "tls.h"
#include "wire.h"

#define WARMUP 20

struct waiter { bool done, ok; };

static void on_reply(void *arg, enum tcppool_result result, uint8_t *msg, size_t len)
{
    struct waiter *w = arg;
    (void)msg;
    w->done = true;
    w->ok = result == TCPPOOL_REPLY && len >= WIRE_HEADER_LEN;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One query q<i>.bench.dot./A, waited for; its latency in microseconds, or -1. */
static double ask(struct ev_loop *loop, struct tcppool *pool, const struct sockaddr_storage *to,
                  const struct tcppool_tls *tls, int i)
{
    uint8_t name[64], query[512];
    int l = snprintf((char *)name + 1, sizeof name - 1, "q%d", i);
    name[0] = (uint8_t)l;
    memcpy(name + 1 + l, "\5bench\3dot", 11);
    size_t name_len = 1 + (size_t)l + 11;
    size_t len = wire_build_query((uint16_t)(i * 7919), true, name, name_len, 1, 1, 1232,
                                  false, query, sizeof query);
    struct waiter w = { false, false };
    double t0 = now_us();

    if (!len || !tcppool_send_tls(pool, to, NULL, tls, query, len, on_reply, &w))
        return -1;
    while (!w.done)
        ev_run(loop, EVRUN_ONCE);
    return w.ok ? now_us() - t0 : -1;
}

static int run(const char *mode, const char *addr, const char *port, const struct tcppool_tls *tls,
               int n, double *median)
{
    struct ev_loop *loop = ev_default_loop(0);
    struct stats stats;
    struct sockaddr_storage to;
    socklen_t to_len;
    char text[80];
    double *lat = calloc((size_t)n, sizeof *lat), sum = 0;

    memset(&stats, 0, sizeof stats);
    snprintf(text, sizeof text, "%s@%s", addr, port);
    struct tcppool *pool = tcppool_new(loop, &stats);
    if (!lat || !pool || config_parse_addr(text, 53, &to, &to_len) != 0)
        return -1;
    for (int i = 0; i < WARMUP + n; i++) {
        double us = ask(loop, pool, &to, tls, i);
        if (us < 0) {
            fprintf(stderr, "dotlat: %s query %d failed\n", mode, i);
            return -1;
        }
        if (i >= WARMUP) {
            lat[i - WARMUP] = us;
            sum += us;
        }
    }
    qsort(lat, (size_t)n, sizeof *lat, cmp_double);
    *median = lat[n / 2];
    printf("%s %.0f %.0f %.0f %llu\n", mode, lat[n / 2], lat[n * 9 / 10], sum / n,
           (unsigned long long)stats.upstream_tcp_connections);
    int rc = stats.upstream_tcp_connections == 1 ? 0 : -1;
    tcppool_free(pool);
    free(lat);
    return rc;
}

int main(int argc, char **argv)
{
    char err[256];
    double tcp_median, tls_median;

    if (argc != 7) {
        fprintf(stderr, "usage: dotlat ADDR TCP-PORT TLS-PORT CA-FILE AUTH-NAME N\n");
        return 2;
    }
    int n = atoi(argv[6]);
    struct tls_ctx *ctx = tls_client_new(argv[4], err, sizeof err);
    if (!ctx || n < 10) {
        fprintf(stderr, "dotlat: %s\n", ctx ? "N must be at least 10" : err);
        return 2;
    }
    struct tcppool_tls tls = { .ctx = ctx, .auth_name = argv[5] };
    printf("# mode median_us p90_us mean_us connections (%d queries, one at a time)\n", n);
    if (run("tcp", argv[1], argv[2], NULL, n, &tcp_median) != 0 ||
        run("tls", argv[1], argv[3], &tls, n, &tls_median) != 0)
        return 1;
    printf("ratio %.2f\n", tls_median / tcp_median);
    tls_ctx_free(ctx);
    return 0;
}
