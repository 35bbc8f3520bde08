/* tcppool.c -- a worker's reused, pipelined TCP connections to upstream servers.
 *
 * Invariant (between events):
 *
 *     every query of the pool is on exactly one connection's list, in flight there:
 *     its framed message is in that connection's output buffer or written to the socket
 *     n_pending == length of the list <= TCPPOOL_MAX_PENDING, and IDs on one list differ
 *     n_live == queries of the list whose owner still waits (done != NULL)
 *     n_live == 0  <=>  the idle timer runs (the connection closes when it fires)
 *     n_conns == length of the pool's list <= TCPPOOL_MAX_CONNS
 *
 * A cancelled query stays on the list (done = NULL) until its reply comes or the
 * connection closes, so its ID cannot be reused there and a late reply cannot be taken
 * for another query's. A connection that fails (connect refused, reset, EOF) hands its
 * queries back: each is sent once more on another connection when this one had answered
 * something (the server closed a working connection, e.g. idle, as our query crossed), or
 * else reported failed. Failure callbacks run after the connection is gone, with the
 * queries detached (q->c == NULL), so an owner may cancel or send anything from inside one.
 * While replies are handed out (`busy`) the connection is never chosen for closing to make
 * room, so a callback that sends cannot free the connection being read.
 *
 * TLS connections (tls != NULL) are the same connections with OpenSSL between the socket
 * and the frames: `connected` is set when the handshake is done, not when TCP is; until
 * then queries wait in `out`. As in the listener, a TLS read may wait for writability and
 * a write for readability, and bytes OpenSSL has already decrypted are fed to the read
 * watcher by hand. */
#include "tcppool.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "bytebuf.h"
#include "log.h"
#include "stats.h"
#include "tls.h"
#include "wire.h"

#define TCPPOOL_READ_CHUNK 4096         /* room made for each read (more for a larger frame) */

struct pconn;

struct tcppool_query {
    struct pconn *c;                    /* the connection it is on; NULL while handed back */
    struct tcppool_query *prev, *next;  /* c's queries in flight */
    tcppool_done_fn *done;              /* NULL: cancelled, the reply is awaited for its ID */
    void *arg;
    bool resent;                        /* sent again once already */
    uint16_t id;
    size_t len;
    uint8_t msg[];                      /* the query, kept for a resend */
};

struct pconn {
    struct tcppool *pool;
    struct pconn *prev, *next;          /* the pool's connections */
    struct sockaddr_storage server, source;
    bool has_source;
    int fd;
    bool connected;                     /* writable once (TLS: the TLS handshake done) */
    bool tcp_up;                        /* TLS: the TCP handshake is done */
    struct tls_conn *tls;               /* NULL: plain TCP */
    char auth_name[254];                /* TLS: the name the certificate showed */
    bool tls_failed;                    /* TLS: the certificate failed the check */
    bool read_wants_write, write_wants_read;    /* TLS, as in listener.c */
    bool busy;                          /* handing out replies: not to be closed for room */
    ev_io rio, wio;
    ev_timer idle;
    uint8_t *out;                       /* framed queries not yet written */
    size_t out_off, out_len, out_cap;
    uint8_t *in;                        /* replies read, not yet handed out */
    size_t in_len, in_cap;
    struct tcppool_query *queries;
    unsigned n_pending, n_live;
    uint64_t answered;
};

struct tcppool {
    struct ev_loop *loop;
    struct stats *stats;
    struct pconn *conns;
    size_t n_conns;
    struct {                            /* TLS: the last session of each server, to resume */
        struct sockaddr_storage server;
        char auth_name[254];
        struct tls_session *session;
    } sessions[TCPPOOL_SESSIONS];
    unsigned next_session;              /* the slot the next new server takes (round robin) */
};

struct tcppool *tcppool_new(struct ev_loop *loop, struct stats *stats)
{
    struct tcppool *pool = calloc(1, sizeof *pool);

    if (pool) {
        pool->loop = loop;
        pool->stats = stats;
    }
    return pool;
}

size_t tcppool_connections(const struct tcppool *pool)
{
    return pool ? pool->n_conns : 0;
}

/* ---- one connection -------------------------------------------------------------------- */

static void idle_update(struct pconn *c)
{
    struct ev_loop *loop = c->pool->loop;

    if (c->n_live == 0 && !ev_is_active(&c->idle)) {
        ev_timer_set(&c->idle, TCPPOOL_IDLE_SECONDS, 0);
        ev_timer_start(loop, &c->idle);
    } else if (c->n_live > 0 && ev_is_active(&c->idle)) {
        ev_timer_stop(loop, &c->idle);
    }
}

static void query_unlink(struct pconn *c, struct tcppool_query *q)
{
    if (q->prev)
        q->prev->next = q->next;
    else
        c->queries = q->next;
    if (q->next)
        q->next->prev = q->prev;
    q->prev = q->next = NULL;
    q->c = NULL;
    c->n_pending--;
    if (q->done)
        c->n_live--;
}

static int session_slot(const struct tcppool *pool, const struct sockaddr_storage *server,
                        const char *auth_name)
{
    for (int i = 0; i < TCPPOOL_SESSIONS; i++)
        if (pool->sessions[i].session && addr_equal(&pool->sessions[i].server, server) &&
            strcmp(pool->sessions[i].auth_name, auth_name) == 0)
            return i;
    return -1;
}

/* Keeps c's session (if it has a resumable one) for the next connection to its server. */
static void session_save(struct pconn *c)
{
    struct tcppool *pool = c->pool;
    struct tls_session *s = c->connected ? tls_conn_session(c->tls) : NULL;

    if (!s)
        return;
    int i = session_slot(pool, &c->server, c->auth_name);
    if (i < 0) {
        i = (int)(pool->next_session++ % TCPPOOL_SESSIONS);
        pool->sessions[i].server = c->server;
        snprintf(pool->sessions[i].auth_name, sizeof pool->sessions[i].auth_name, "%s",
                 c->auth_name);
    }
    tls_session_free(pool->sessions[i].session);
    pool->sessions[i].session = s;
}

/* Closes the socket and frees the connection with whatever is still on its list (the
 * caller has taken off what must be answered). */
static void conn_close(struct pconn *c)
{
    struct tcppool *pool = c->pool;

    if (c->tls) {
        session_save(c);
        tls_conn_free(c->tls);
    }
    ev_io_stop(pool->loop, &c->rio);
    ev_io_stop(pool->loop, &c->wio);
    ev_timer_stop(pool->loop, &c->idle);
    close(c->fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        pool->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pool->n_conns--;
    while (c->queries) {
        struct tcppool_query *q = c->queries;
        c->queries = q->next;
        free(q);
    }
    free(c->in);
    free(c->out);
    free(c);
}

static bool place(struct tcppool *pool, struct tcppool_query *q,
                  const struct sockaddr_storage *server, const struct sockaddr_storage *source,
                  const struct tcppool_tls *tls);

/* The connection is unusable: it goes, and its queries are sent again or reported. */
static void conn_fail(struct pconn *c)
{
    struct tcppool *pool = c->pool;
    struct sockaddr_storage server = c->server, source = c->source;
    bool has_source = c->has_source, resend = c->answered > 0, tls_failed = c->tls_failed;
    struct tcppool_query *back = c->queries;
    bool was_tls = c->tls != NULL;      /* never resent: the context may be gone (reload) */

    c->queries = NULL;
    for (struct tcppool_query *q = back; q; q = q->next)
        q->c = NULL;
    conn_close(c);
    while (back) {
        struct tcppool_query *q = back;
        back = q->next;
        q->prev = q->next = NULL;
        if (q->done && resend && !q->resent && !was_tls) {
            q->resent = true;
            if (place(pool, q, &server, has_source ? &source : NULL, NULL))
                continue;
        }
        tcppool_done_fn *done = q->done;
        void *arg = q->arg;
        free(q);
        if (done)
            done(arg, tls_failed ? TCPPOOL_TLS_FAILED : TCPPOOL_FAILED, NULL, 0);
    }
}

/* send(2) or TLS: bytes taken, or -1 with errno (EAGAIN: wait; TLS says for what). */
static ssize_t conn_send(struct pconn *c, const uint8_t *buf, size_t len)
{
    if (!c->tls)
        return send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    return tls_conn_send(c->tls, buf, len, &c->write_wants_read);  /* rio is always on */
}

/* Writes what is queued. Outside an event (from_event false) an error only arms the
 * write watcher: the next write reports it from the loop, never to the caller. False
 * when c is gone. */
static bool conn_flush(struct pconn *c, bool from_event)
{
    struct ev_loop *loop = c->pool->loop;

    while (c->out_off < c->out_len) {
        ssize_t n = conn_send(c, c->out + c->out_off, c->out_len - c->out_off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && from_event) {
                conn_fail(c);
                return false;
            }
            if (c->write_wants_read)
                ev_io_stop(loop, &c->wio);
            else
                ev_io_start(loop, &c->wio);
            return true;
        }
        c->out_off += (size_t)n;
    }
    c->out_off = c->out_len = 0;
    if (!c->read_wants_write)
        ev_io_stop(loop, &c->wio);
    return true;
}

static void conn_readable(struct ev_loop *loop, ev_io *w, int revents);

/* One step of the TLS handshake; when done, the queries waiting in `out` go. */
static void conn_handshake(struct pconn *c)
{
    struct tcppool *pool = c->pool;
    char where[64];

    switch (tls_conn_handshake(c->tls)) {
    case TLS_IO_OK:
        c->connected = true;
        pool->stats->upstream_tls_handshakes++;
        if (tls_conn_resumed(c->tls))
            pool->stats->upstream_tls_resumptions++;
        conn_flush(c, true);
        return;
    case TLS_IO_WANT_READ:
        ev_io_stop(pool->loop, &c->wio);
        return;
    case TLS_IO_WANT_WRITE:
        ev_io_start(pool->loop, &c->wio);
        return;
    default:
        c->tls_failed = tls_conn_cert_failed(c->tls);
        pool->stats->upstream_tls_failures++;
        log_info("tls to %s#%s failed: %s", addr_to_str(&c->server, where, sizeof where),
                 c->auth_name, tls_conn_error(c->tls));
        conn_fail(c);
        return;
    }
}

static void conn_writable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct pconn *c = w->data;
    (void)revents;

    if (c->tls && !c->connected) {
        c->tcp_up = true;
        conn_handshake(c);
        return;
    }
    c->connected = true;        /* a failed connect shows as the send's error */
    bool read_waited = c->read_wants_write;
    c->read_wants_write = false;
    if (conn_flush(c, true) && read_waited)
        conn_readable(loop, &c->rio, EV_READ);  /* TLS: the read that waited for this */
}

static struct tcppool_query *find_id(const struct pconn *c, uint16_t id)
{
    for (struct tcppool_query *q = c->queries; q; q = q->next)
        if (q->id == id)
            return q;
    return NULL;
}

/* Hands one reply frame to the query with its ID. */
static void deliver(struct pconn *c, uint8_t *msg, size_t len)
{
    struct tcppool_query *q = len >= WIRE_HEADER_LEN ? find_id(c, WIRE_ID(msg)) : NULL;

    if (!q) {
        c->pool->stats->upstream_mismatched++;   /* not one of ours: ignored */
        return;
    }
    tcppool_done_fn *done = q->done;
    void *arg = q->arg;
    query_unlink(c, q);
    c->answered++;
    free(q);
    if (done)
        done(arg, TCPPOOL_REPLY, msg, len);
}

/* read(2) or TLS: >0 bytes, 0 at EOF, -1 with errno (EAGAIN: wait). */
static ssize_t conn_recv(struct pconn *c, uint8_t *buf, size_t len)
{
    if (!c->tls)
        return read(c->fd, buf, len);
    ssize_t n = tls_conn_recv(c->tls, buf, len, &c->read_wants_write);
    if (c->read_wants_write)
        ev_io_start(c->pool->loop, &c->wio);
    return n;
}

static void conn_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct pconn *c = w->data;
    (void)revents;

    if (c->tls && !c->connected) {
        if (!c->tcp_up) {       /* readable before writable: the connect failed */
            conn_fail(c);
            return;
        }
        conn_handshake(c);
        return;
    }
    if (c->write_wants_read) {  /* TLS: the write that waited for this goes first */
        c->write_wants_read = false;
        if (!conn_flush(c, true))
            return;
    }
    if (c->in_cap - c->in_len < 2 && !bytebuf_reserve(&c->in, &c->in_cap, c->in_len + TCPPOOL_READ_CHUNK)) {
        conn_fail(c);
        return;
    }
    ssize_t n = conn_recv(c, c->in + c->in_len, c->in_cap - c->in_len);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        conn_fail(c);           /* EOF or an error: reset, refused */
        return;
    }
    c->in_len += (size_t)n;
    size_t off = 0;
    c->busy = true;
    while (c->in_len - off >= 2) {
        size_t flen = wire_get16(c->in + off);
        if (c->in_len - off < 2 + flen)
            break;
        deliver(c, c->in + off + 2, flen);
        off += 2 + flen;
    }
    c->busy = false;
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    /* a frame larger than the buffer: room for all of it */
    if (c->in_len >= 2 && !bytebuf_reserve(&c->in, &c->in_cap, 2 + (size_t)wire_get16(c->in))) {
        conn_fail(c);
        return;
    }
    idle_update(c);
    if (c->tls && tls_conn_buffered(c->tls))   /* read ahead: no readiness will say */
        ev_feed_event(loop, &c->rio, EV_READ);
}

static void conn_idle(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    conn_close(w->data);        /* n_live == 0: only cancelled queries are left, if any */
}

/* An idle connection closes to make room for a new one (not one handing out replies). */
static bool make_room(struct tcppool *pool)
{
    if (pool->n_conns < TCPPOOL_MAX_CONNS)
        return true;
    for (struct pconn *c = pool->conns; c; c = c->next) {
        if (c->n_live == 0 && !c->busy) {
            conn_close(c);
            return true;
        }
    }
    return false;
}

static int open_socket(const struct sockaddr_storage *server, const struct sockaddr_storage *source)
{
    int one = 1;
    int fd = socket(server->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);    /* small pipelined writes */
    if (source) {
#ifdef IP_BIND_ADDRESS_NO_PORT
        /* the port is picked at connect, by the whole 4-tuple: no search of the port space */
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
        if (bind(fd, (const struct sockaddr *)source, addr_len(source)) < 0) {
            close(fd);
            return -1;
        }
    }
    if (connect(fd, (const struct sockaddr *)server, addr_len(server)) < 0 &&
        errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

static struct pconn *conn_open(struct tcppool *pool, const struct sockaddr_storage *server,
                               const struct sockaddr_storage *source,
                               const struct tcppool_tls *tls)
{
    struct pconn *c;

    if (!make_room(pool) || !(c = calloc(1, sizeof *c)))
        return NULL;
    c->fd = open_socket(server, source);
    if (c->fd >= 0 && tls) {
        snprintf(c->auth_name, sizeof c->auth_name, "%s", tls->auth_name);
        c->tls = tls_conn_connect(tls->ctx, c->fd, tls->auth_name);
        if (!c->tls) {
            close(c->fd);
            c->fd = -1;
        } else {
            int i = session_slot(pool, server, tls->auth_name);
            if (i >= 0)
                tls_conn_offer_session(c->tls, pool->sessions[i].session);
        }
    }
    if (c->fd < 0) {
        free(c);
        return NULL;
    }
    c->pool = pool;
    c->server = *server;
    c->has_source = source != NULL;
    if (source)
        c->source = *source;
    ev_io_init(&c->rio, conn_readable, c->fd, EV_READ);
    ev_io_init(&c->wio, conn_writable, c->fd, EV_WRITE);
    ev_timer_init(&c->idle, conn_idle, TCPPOOL_IDLE_SECONDS, 0);
    c->rio.data = c->wio.data = c->idle.data = c;
    ev_io_start(pool->loop, &c->rio);
    ev_io_start(pool->loop, &c->wio);       /* fires when the handshake is done */
    c->next = pool->conns;
    if (pool->conns)
        pool->conns->prev = c;
    pool->conns = c;
    pool->n_conns++;
    pool->stats->upstream_tcp_connections++;
    return c;
}

/* ---- choosing a connection --------------------------------------------------------------- */

static bool conn_matches(const struct pconn *c, const struct sockaddr_storage *server,
                         const struct sockaddr_storage *source, const struct tcppool_tls *tls)
{
    return addr_equal(&c->server, server) && c->has_source == (source != NULL) &&
           (!source || addr_equal(&c->source, source)) && (c->tls != NULL) == (tls != NULL) &&
           (!tls || strcmp(c->auth_name, tls->auth_name) == 0);
}

/* The least busy connection to the server with room for the ID; a new one when each has
 * TCPPOOL_SPREAD in flight and there are fewer than TCPPOOL_PER_SERVER. */
static struct pconn *choose(struct tcppool *pool, const struct sockaddr_storage *server,
                            const struct sockaddr_storage *source,
                            const struct tcppool_tls *tls, uint16_t id)
{
    struct pconn *best = NULL;
    size_t count = 0;

    for (struct pconn *c = pool->conns; c; c = c->next) {
        if (!conn_matches(c, server, source, tls))
            continue;
        count++;
        if (c->n_pending >= TCPPOOL_MAX_PENDING || find_id(c, id))
            continue;
        if (!best || c->n_pending < best->n_pending)
            best = c;
    }
    if (best && (best->n_pending < TCPPOOL_SPREAD || count >= TCPPOOL_PER_SERVER))
        return best;
    if (count < TCPPOOL_PER_SERVER) {
        struct pconn *fresh = conn_open(pool, server, source, tls);
        if (fresh)
            return fresh;
    }
    return best;
}

/* Puts q on a connection and queues its framed message; false when none has room. */
static bool place(struct tcppool *pool, struct tcppool_query *q,
                  const struct sockaddr_storage *server, const struct sockaddr_storage *source,
                  const struct tcppool_tls *tls)
{
    struct pconn *c = choose(pool, server, source, tls, q->id);

    if (!c || !bytebuf_reserve(&c->out, &c->out_cap, c->out_len + 2 + q->len))
        return false;
    wire_put16(c->out + c->out_len, (uint16_t)q->len);
    memcpy(c->out + c->out_len + 2, q->msg, q->len);
    c->out_len += 2 + q->len;
    q->c = c;
    q->prev = NULL;
    q->next = c->queries;
    if (c->queries)
        c->queries->prev = q;
    c->queries = q;
    c->n_pending++;
    c->n_live++;
    idle_update(c);
    if (c->connected)
        conn_flush(c, false);
    return true;
}

struct tcppool_query *tcppool_send(struct tcppool *pool, const struct sockaddr_storage *server,
                                   const struct sockaddr_storage *source,
                                   const uint8_t *query, size_t len,
                                   tcppool_done_fn *done, void *arg)
{
    return tcppool_send_tls(pool, server, source, NULL, query, len, done, arg);
}

struct tcppool_query *tcppool_send_tls(struct tcppool *pool,
                                       const struct sockaddr_storage *server,
                                       const struct sockaddr_storage *source,
                                       const struct tcppool_tls *tls,
                                       const uint8_t *query, size_t len,
                                       tcppool_done_fn *done, void *arg)
{
    struct tcppool_query *q;

    if (!pool || len < WIRE_HEADER_LEN || len > 65535 || !(q = calloc(1, sizeof *q + len)))
        return NULL;
    q->done = done;
    q->arg = arg;
    q->id = WIRE_ID(query);
    q->len = len;
    memcpy(q->msg, query, len);
    if (!place(pool, q, server, source, tls)) {
        free(q);
        return NULL;
    }
    return q;
}

void tcppool_cancel(struct tcppool_query *q)
{
    if (!q || !q->done)
        return;
    q->done = NULL;
    q->arg = NULL;
    if (q->c) {                 /* else handed back by a failing connection, freed there */
        q->c->n_live--;
        idle_update(q->c);
    }
}

void tcppool_free(struct tcppool *pool)
{
    if (!pool)
        return;
    while (pool->conns)
        conn_close(pool->conns);
    for (int i = 0; i < TCPPOOL_SESSIONS; i++)
        tls_session_free(pool->sessions[i].session);
    free(pool);
}
