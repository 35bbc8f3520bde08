/* outbound.c -- one query to one upstream server: UDP first, TCP after a truncated reply.
 *
 * Spoofing resistance: the ID and the UDP source port come from the CSPRNG (arc4random,
 * which glibc seeds from getrandom), and the socket is connect()ed so the kernel only
 * delivers datagrams from the server's address and port; we still check the ID and the
 * question of every datagram and ignore (and count) the ones that do not match, so a forger
 * must guess ID and port within the one query's window. Everything is non-blocking: an
 * ev_io for the socket and one ev_timer for the whole budget (UDP and the TCP retry).
 * 0x20: a UDP reply that matches but for the case is ignored; if only such replies came by
 * the timeout, the query is retried over TCP (a forger could have sent them), and only a
 * case mismatch over TCP is reported as the server's (OUTBOUND_CASE_MISMATCH).
 * Rate-limited authorities: a TC=1 reply is told to the infra cache (when the caller gave
 * one), and while infra_prefer_tcp says so queries to that server start over TCP, so they no
 * longer meet the UDP limit's drops; every TCP query is counted in flight there
 * (infra_tcp_add) from tcp_begin to outbound_cancel, which caps how many start over TCP.
 * TCP goes over the thread's shared connections (params.tcp_pool, tcppool.c: reused and
 * pipelined) when the caller gives them and one has room, else over a connection of its own
 * (o->fd), closed with the query. */
#include "outbound.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "infra.h"
#include "log.h"
#include "stats.h"
#include "tcppool.h"
#include "wire.h"

#define PORT_TRIES 8            /* random source ports tried before letting the kernel pick */
#define TCP_MIN_SECONDS 1.5     /* the least time a TCP retry after TC gets */

struct outbound {
    struct ev_loop *loop;
    struct stats *stats;
    struct outbound_params p;
    uint8_t qname[WIRE_MAX_NAME];
    uint8_t query[WIRE_HEADER_LEN + WIRE_MAX_NAME + 4 + 11];
    size_t query_len;
    uint16_t id;
    int fd;                     /* -1 while the query is on a pooled connection */
    bool tcp;
    bool tls;                   /* over TLS (params.tls): never anything else */
    struct tcppool_query *pooled;   /* TCP over a shared connection (params.tcp_pool) */
    ev_io io;
    ev_timer timer;
    ev_tstamp sent;
    uint8_t *in;                /* TCP: the reply being read (2 length octets first) */
    size_t in_len, in_cap;
    size_t out_off;             /* TCP: octets of the framed query written so far */
    enum outbound_status early; /* a failure found before the first event */
    bool case_mismatch_seen;    /* a reply matched but for the 0x20 case */
    outbound_done_fn *done;
    void *arg;
};

static void finish(struct outbound *o, enum outbound_status status, uint8_t *msg, size_t len)
{
    outbound_done_fn *done = o->done;
    void *arg = o->arg;
    double rtt = ev_now(o->loop) - o->sent;

    if (status == OUTBOUND_TIMEOUT)
        o->stats->upstream_timeouts++;
    else if (status != OUTBOUND_OK)
        o->stats->upstream_errors++;
    else {
        o->stats->upstream_replies++;
        o->stats->upstream_rtt_ms_sum += (uint64_t)(rtt * 1000);
    }
    uint8_t *tcp_buffer = o->in;    /* msg may point into it: free it after `done` */
    o->in = NULL;
    outbound_cancel(o);
    done(arg, status, msg, len, rtt);
    free(tcp_buffer);
}

/* Binds to a random port (and the outgoing interface, if any) so the source port is as
 * unpredictable as the ID. */
static void bind_random_port(int fd, const struct outbound_params *p)
{
    struct sockaddr_storage src;

    if (p->has_source)
        memcpy(&src, &p->source, sizeof src);
    else {
        memset(&src, 0, sizeof src);
        src.ss_family = p->server.ss_family;
    }
    for (int i = 0; i < PORT_TRIES; i++) {
        uint16_t port = (uint16_t)(1024 + arc4random_uniform(65536 - 1024));
        if (src.ss_family == AF_INET6)
            ((struct sockaddr_in6 *)&src)->sin6_port = htons(port);
        else
            ((struct sockaddr_in *)&src)->sin_port = htons(port);
        if (bind(fd, (struct sockaddr *)&src, addr_len(&src)) == 0)
            return;
    }
    /* every try collided: an ephemeral port from the kernel is still random enough */
}

/* 0x20 (draft-vixie-dnsext-dns0x20): every letter gets a random case, one CSPRNG bit each. */
static void randomise_case(uint8_t *name, size_t len)
{
    uint32_t bits = 0;
    int left = 0;

    for (size_t i = 0; i < len; i++) {
        uint8_t c = name[i] | 0x20;
        if (c < 'a' || c > 'z')
            continue;           /* length octets are < 64 and never letters after | 0x20 */
        if (left == 0) {
            bits = arc4random();
            left = 32;
        }
        name[i] = (bits & 1) ? (uint8_t)(c & ~0x20) : c;
        bits >>= 1;
        left--;
    }
}

static int open_upstream_socket(const struct outbound_params *p, int type)
{
    int fd = socket(p->server.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    if (type == SOCK_DGRAM)
        bind_random_port(fd, p);
    else if (p->has_source) {
#ifdef IP_BIND_ADDRESS_NO_PORT
        int one = 1;    /* the port is picked at connect, by the 4-tuple: no port search */
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
        if (bind(fd, (const struct sockaddr *)&p->source, addr_len(&p->source)) < 0)
            log_debug("cannot bind the outgoing interface: %s", strerror(errno));
    }
    if (connect(fd, (const struct sockaddr *)&p->server, p->server_len) < 0 &&
        errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Validates an upstream reply; on success it has no OPT and is ready for the cache. */
/* With 0x20 the echoed question must be byte-for-byte the one we sent. */
static bool case_echoed(const struct outbound *o, const uint8_t *msg, size_t len)
{
    uint8_t name[WIRE_MAX_NAME];
    size_t name_len;

    return wire_read_name(msg, len, WIRE_HEADER_LEN, name, &name_len) &&
           name_len == o->p.qname_len && memcmp(name, o->qname, name_len) == 0;
}

static enum outbound_status check_reply(struct outbound *o, uint8_t *msg, size_t *len)
{
    if (*len < WIRE_HEADER_LEN || WIRE_ID(msg) != o->id ||
        !wire_response_matches(msg, *len, o->qname, o->p.qname_len, o->p.qtype, o->p.qclass)) {
        o->stats->upstream_mismatched++;
        return OUTBOUND_TIMEOUT;        /* not ours: keep waiting */
    }
    if (o->p.case_randomise && !case_echoed(o, msg, *len)) {
        o->stats->upstream_mismatched++;
        o->case_mismatch_seen = true;
        return OUTBOUND_TIMEOUT;        /* forged, or a server that does not keep case */
    }
    if (!wire_strip_opt(msg, len))
        return OUTBOUND_BADREPLY;
    return OUTBOUND_OK;
}

/* ---- TCP ------------------------------------------------------------------------------- */

static void tcp_event(struct ev_loop *loop, ev_io *w, int revents);

/* TCP needs a handshake and more round trips than the UDP timeout was sized for. */
static double tcp_budget(const struct outbound *o)
{
    double budget = 3 * o->p.timeout_ms / 1000.0;

    return budget < TCP_MIN_SECONDS ? TCP_MIN_SECONDS : budget;
}

static enum outbound_status check_tcp_reply(struct outbound *o, uint8_t *msg, size_t *len)
{
    enum outbound_status st = check_reply(o, msg, len);

    /* over TCP no off-path forger can answer: a mismatch is a broken server (one that
     * only changed the 0x20 case is reported as such, to be asked without it) */
    if (st == OUTBOUND_TIMEOUT)
        st = o->case_mismatch_seen ? OUTBOUND_CASE_MISMATCH : OUTBOUND_BADREPLY;
    return st;
}

static void pooled_reply(void *arg, enum tcppool_result result, uint8_t *msg, size_t len)
{
    struct outbound *o = arg;

    o->pooled = NULL;
    if (result != TCPPOOL_REPLY) {
        finish(o, result == TCPPOOL_TLS_FAILED ? OUTBOUND_TLS_CERT : OUTBOUND_NETERR, NULL, 0);
        return;
    }
    enum outbound_status st = check_tcp_reply(o, msg, &len);
    finish(o, st, msg, len);
}

/* The query goes over TCP, with the TCP time budget: on a pooled connection when the
 * caller gave a pool with room, else on a connection of its own (o->fd, watched from the
 * handshake on). False when there is no socket for it. */
static bool tcp_begin(struct outbound *o)
{
    if (o->p.tcp_pool)
        o->pooled = tcppool_send_tls(o->p.tcp_pool, &o->p.server,
                                     o->p.has_source ? &o->p.source : NULL, o->p.tls,
                                     o->query, o->query_len, pooled_reply, o);
    o->tls = o->p.tls != NULL;
    o->p.tls = NULL;                /* read at the start only (tcppool copies what it keeps) */
    if (!o->pooled && o->tls)
        return false;               /* TLS only ever goes over the pool */
    if (!o->pooled) {
        o->fd = open_upstream_socket(&o->p, SOCK_STREAM);
        if (o->fd < 0)
            return false;
        o->stats->upstream_tcp_connections++;
        o->out_off = 0;
        ev_io_init(&o->io, tcp_event, o->fd, EV_WRITE);
        o->io.data = o;
        ev_io_start(o->loop, &o->io);
    }
    if (o->p.infra && !o->tcp)      /* counted once; ended in outbound_cancel */
        infra_tcp_add(o->p.infra, &o->p.server, 1, time(NULL));
    o->tcp = true;
    o->stats->upstream_tcp++;
    ev_timer_set(&o->timer, tcp_budget(o), 0);
    ev_timer_start(o->loop, &o->timer);
    return true;
}

static void start_tcp(struct outbound *o)
{
    ev_io_stop(o->loop, &o->io);
    ev_timer_stop(o->loop, &o->timer);
    if (o->fd >= 0)
        close(o->fd);
    o->fd = -1;
    if (!tcp_begin(o))
        finish(o, OUTBOUND_NETERR, NULL, 0);
}

static void tcp_write(struct outbound *o)
{
    uint8_t framed[2 + sizeof o->query];

    wire_put16(framed, (uint16_t)o->query_len);
    memcpy(framed + 2, o->query, o->query_len);
    ssize_t n = write(o->fd, framed + o->out_off, o->query_len + 2 - o->out_off);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            finish(o, OUTBOUND_NETERR, NULL, 0);
        return;
    }
    o->out_off += (size_t)n;
    if (o->out_off == o->query_len + 2) {
        ev_io_stop(o->loop, &o->io);
        ev_io_set(&o->io, o->fd, EV_READ);
        ev_io_start(o->loop, &o->io);
    }
}

static void tcp_read(struct outbound *o)
{
    size_t need = o->in_len < 2 ? 2 : 2 + (size_t)wire_get16(o->in);

    if (need > o->in_cap) {
        uint8_t *in = realloc(o->in, need);
        if (!in) {
            finish(o, OUTBOUND_NETERR, NULL, 0);
            return;
        }
        o->in = in;
        o->in_cap = need;
    }
    ssize_t n = read(o->fd, o->in + o->in_len, need - o->in_len);
    if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR))
            finish(o, OUTBOUND_NETERR, NULL, 0);
        return;
    }
    o->in_len += (size_t)n;
    if (o->in_len < 2 || o->in_len < 2 + (size_t)wire_get16(o->in))
        return;
    size_t len = o->in_len - 2;
    enum outbound_status st = check_tcp_reply(o, o->in + 2, &len);
    finish(o, st, o->in + 2, len);
}

static void tcp_event(struct ev_loop *loop, ev_io *w, int revents)
{
    struct outbound *o = w->data;
    (void)loop;

    if (revents & EV_WRITE)
        tcp_write(o);
    else
        tcp_read(o);
}

/* ---- UDP ------------------------------------------------------------------------------- */

/* At most a batch of datagrams per wake-up: a flood of forged replies must not keep the
 * loop here. */
#define RECV_BATCH 64

static void udp_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct outbound *o = w->data;
    uint8_t msg[WIRE_MAX_UDP];
    (void)loop;
    (void)revents;

    for (int i = 0; i < RECV_BATCH; i++) {
        ssize_t n = recv(o->fd, msg, sizeof msg, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return;
            finish(o, OUTBOUND_NETERR, NULL, 0);   /* e.g. ECONNREFUSED: port unreachable */
            return;
        }
        size_t len = (size_t)n;
        enum outbound_status st = check_reply(o, msg, &len);
        if (st == OUTBOUND_TIMEOUT)
            continue;
        if (st == OUTBOUND_OK && WIRE_TC(msg)) {
            o->stats->upstream_tc++;
            if (o->p.infra)     /* an RRL slip, most likely: prefer TCP to it for a while */
                infra_report_tc(o->p.infra, &o->p.server, time(NULL));
            start_tcp(o);
            return;
        }
        finish(o, st, msg, len);
        return;
    }
}

static void timed_out(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct outbound *o = w->data;
    (void)loop;
    (void)revents;

    enum outbound_status status = o->early ? o->early : OUTBOUND_TIMEOUT;
    if (status == OUTBOUND_TIMEOUT && o->case_mismatch_seen && !o->tcp) {
        /* Only replies that matched but for the 0x20 case came over UDP. Either the server
         * does not keep case, or a forger who got ID and port right answered before a slow
         * server: UDP cannot tell them apart, and taking it for the server's habit would
         * switch 0x20 off for it (the caller asks again without it), so that the forger's
         * next reply is accepted in any case. Ask again over TCP, with 0x20 and a fresh
         * budget: no off-path forger can answer there, and a case mismatch over TCP is the
         * server's own (tcp_read reports it as OUTBOUND_CASE_MISMATCH). */
        o->case_mismatch_seen = false;
        start_tcp(o);
        return;
    }
    finish(o, status, NULL, 0);
}

struct outbound *outbound_start(struct ev_loop *loop, struct stats *stats,
                                const struct outbound_params *p, outbound_done_fn *done,
                                void *arg)
{
    struct outbound *o = calloc(1, sizeof *o);

    if (!o || p->qname_len > WIRE_MAX_NAME) {
        free(o);
        return NULL;
    }
    o->loop = loop;
    o->stats = stats;
    o->p = *p;
    memcpy(o->qname, p->qname, p->qname_len);
    o->p.qname = o->qname;
    if (p->case_randomise)
        randomise_case(o->qname, p->qname_len);
    o->done = done;
    o->arg = arg;
    o->id = (uint16_t)arc4random_uniform(65536);
    o->query_len = wire_build_query(o->id, p->rd, o->qname, p->qname_len, p->qtype, p->qclass,
                                    p->edns_size, p->dnssec_ok, o->query, sizeof o->query);
    o->fd = -1;
    o->sent = ev_now(loop);
    ev_timer_init(&o->timer, timed_out, p->timeout_ms / 1000.0, 0);
    o->timer.data = o;
    if (o->query_len == 0) {
        free(o);
        return NULL;
    }
    if (p->tls || (p->infra && infra_prefer_tcp(p->infra, &p->server, time(NULL)))) {
        if (!tcp_begin(o)) {
            free(o);
            return NULL;
        }
        stats->upstream_queries++;
        return o;
    }
    if ((o->fd = open_upstream_socket(p, SOCK_DGRAM)) < 0) {
        free(o);
        return NULL;
    }
    stats->upstream_queries++;
    ev_io_init(&o->io, udp_readable, o->fd, EV_READ);
    o->io.data = o;
    if (send(o->fd, o->query, o->query_len, 0) < 0) {
        /* report through the loop, never from inside this call */
        o->early = OUTBOUND_NETERR;
        ev_timer_set(&o->timer, 0, 0);
    } else {
        ev_io_start(loop, &o->io);
    }
    ev_timer_start(loop, &o->timer);
    return o;
}

void outbound_cancel(struct outbound *o)
{
    if (!o)
        return;
    ev_io_stop(o->loop, &o->io);
    ev_timer_stop(o->loop, &o->timer);
    if (o->tcp && o->p.infra)
        infra_tcp_add(o->p.infra, &o->p.server, -1, time(NULL));
    tcppool_cancel(o->pooled);
    if (o->fd >= 0)
        close(o->fd);
    free(o->in);
    free(o);
}
