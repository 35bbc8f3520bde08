/* listener.c -- client sockets: UDP datagrams and length-prefixed, pipelined TCP.
 *
 * UDP: one non-blocking socket per listen address (per worker thread, SO_REUSEPORT). A
 * readable socket is drained with one recvmmsg of up to UDP_BATCH datagrams; each goes to
 * request_handle, and the replies made at once (cache hits, hosts, local zones, errors)
 * are collected in the batch and leave together in one sendmmsg. Replies that come later
 * (resolutions) are sent alone with sendto. Two system calls for up to 64 queries is what
 * keeps a cache hit close to the kernel's floor.
 *
 * TCP: each connection reads frames into a buffer sized to the frame, hands every complete
 * frame to request_handle at once (so queries run in parallel, RFC 7766 6.2.1.1) and queues
 * replies in the order they complete. Lifetime: a connection is "held" once per query in
 * progress; when the client goes away or the idle timer fires we close the socket at once
 * but free the struct only when the last hold is released, so a late upstream answer never
 * touches freed memory. Bounds: frame size (65535), queries in progress per connection,
 * unsent reply bytes, connections in total, idle time.
 *
 * TLS (`listen-tls`, RFC 7858): the same connections with a tls_conn (tls.h) between the
 * socket and the frames, so every bound above holds for them too, and the connection cap is
 * one for both. A TLS connection first handshakes, within `tls-handshake-timeout` from the
 * accept (the idle timer, with that period, not restarted by handshake progress), with the
 * daemon's current server context -- a reload swaps it, and open connections keep theirs.
 * TLS adds two cases the plain socket does not have: a read that must wait for writability
 * (read_wants_write) or a write that must wait for readability (write_wants_read), and
 * decrypted bytes buffered inside OpenSSL that the socket's readiness will not announce
 * (fed to the read watcher by hand). */
#include "listener.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "addr.h"
#include "bytebuf.h"
#include "config.h"
#include "context.h"
#include "log.h"
#include "reply.h"
#include "request.h"
#include "tls.h"
#include "udpsteer.h"
#include "wire.h"

#define UDP_BATCH            64         /* datagrams read per wake-up, for fairness */
#define TCP_FRAMES_PER_WAKE  32         /* frames handled per wake-up, for fairness */
#define TCP_MAX_PENDING      64         /* queries in progress on one connection */
#define ACCEPT_PAUSE_SECONDS 1.0        /* out of descriptors: stop accepting this long */
#define TCP_MAX_UNSENT       (1 << 20)  /* reply bytes a slow reader may leave queued */
#define UDP_RCVBUF           (4 << 20)
#define UDP_SLOT             4096       /* a reply larger leaves alone, by sendto */

/* One recvmmsg's datagrams and the replies made for them while handling them. */
struct udp_batch {
    struct mmsghdr in[UDP_BATCH];
    struct iovec in_iov[UDP_BATCH];
    struct sockaddr_storage in_peer[UDP_BATCH];
    /* full-size: 4 MiB of address space, but only the pages datagrams touch are ever
     * backed (a typical query touches one), so a rare 64 KiB query is read like any other */
    uint8_t in_buf[UDP_BATCH][WIRE_MAX_UDP];
    struct mmsghdr out[UDP_BATCH];
    struct iovec out_iov[UDP_BATCH];
    struct sockaddr_storage out_peer[UDP_BATCH];
    uint8_t out_buf[UDP_BATCH][UDP_SLOT];
    unsigned n_out;
    unsigned n_in;              /* slots the last recvmmsg filled (their lengths to reset) */
    int fd;                     /* the socket being served (replies leave by it) */
};

struct udp_socket {
    ev_io io;
    int fd;
    struct listener *l;
    struct udp_steer steer;     /* the first worker's: where the group's datagrams go */
};

struct tcp_socket {
    ev_io io;
    ev_timer resume;            /* restarts accepting after running out of descriptors */
    int fd;
    bool tls;                   /* a `listen-tls` socket */
    struct listener *l;
};

struct tcp_conn {
    struct listener *l;
    int fd;                     /* -1 once closed */
    ev_io rio, wio;
    ev_timer idle;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    uint8_t *in;                /* frame being read: 2 length octets, then the message */
    size_t in_len, in_cap;
    uint8_t *out;               /* replies not yet written, each length-prefixed */
    size_t out_off, out_len, out_cap;
    int holds;                  /* queries in progress */
    bool eof;                   /* the client closed its side: finish answering, then close */
    struct tls_conn *tls;       /* TLS connections: the session; NULL for plain TCP */
    bool handshaking;           /* TLS: before the first query */
    bool read_wants_write;      /* TLS: reading waits for the socket to be writable */
    bool write_wants_read;      /* TLS: writing waits for the socket to be readable */
    struct tcp_conn *prev, *next;
};

struct listener {
    struct thread_ctx *ctx;         /* the worker this listener belongs to */
    struct udp_socket *udp;
    size_t n_udp;
    struct tcp_socket *tcp;
    size_t n_tcp;
    struct tcp_conn *conns;     /* open connections */
    struct udp_batch *batch;    /* UDP buffers, used by one socket at a time */
    size_t n_conns;
};

static int open_socket(const struct config_listen *addr, int type)
{
    int one = 1;
    int fd = socket(addr->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* every worker thread binds the same addresses; the kernel spreads clients over them */
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    if (addr->addr.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (type == SOCK_DGRAM) {
        int size = UDP_RCVBUF;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    if (bind(fd, (const struct sockaddr *)&addr->addr, addr->addrlen) < 0 ||
        (type == SOCK_STREAM && listen(fd, 128) < 0)) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* ---- UDP ------------------------------------------------------------------------------ */

/* Sends the replies collected in the batch. A reply the kernel will not take now is
 * dropped, as sendto would have dropped it: the client retries. */
static void udp_flush(struct udp_batch *b)
{
    unsigned sent = 0;

    while (sent < b->n_out) {
        int n = sendmmsg(b->fd, b->out + sent, b->n_out - sent, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            log_debug("udp send failed: %s", n < 0 ? strerror(errno) : "nothing sent");
            break;
        }
        sent += (unsigned)n;
    }
    b->n_out = 0;
}

/* Adds a UDP reply to the batch being handled (t->batch), to leave with the others in one
 * sendmmsg; false when it cannot (no batch, full, too big): send it alone. */
static bool udp_queue(struct udp_batch *b, const struct reply_target *t, const uint8_t *reply,
                      size_t len)
{
    if (!b || b->n_out == UDP_BATCH || len > UDP_SLOT || t->udp_fd != b->fd)
        return false;
    unsigned i = b->n_out++;
    memcpy(b->out_buf[i], reply, len);
    memcpy(&b->out_peer[i], &t->peer, t->peer_len);
    b->out_iov[i].iov_base = b->out_buf[i];
    b->out_iov[i].iov_len = len;
    memset(&b->out[i], 0, sizeof b->out[i]);
    b->out[i].msg_hdr.msg_name = &b->out_peer[i];
    b->out[i].msg_hdr.msg_namelen = t->peer_len;
    b->out[i].msg_hdr.msg_iov = &b->out_iov[i];
    b->out[i].msg_hdr.msg_iovlen = 1;
    return true;
}

void listener_send_udp(struct thread_ctx *ctx, const struct reply_target *t,
                       const uint8_t *reply, size_t len)
{
    (void)ctx;                  /* sendto on a shared socket is thread-safe */
    if (len == 0 || udp_queue(t->batch, t, reply, len))
        return;
    if (sendto(t->udp_fd, reply, len, 0, (const struct sockaddr *)&t->peer, t->peer_len) < 0)
        log_debug("udp send failed: %s", strerror(errno));
}

/* The receive headers are set once: recvmmsg only writes each filled slot's lengths and
 * flags, so before the next call only the address lengths of those slots need resetting
 * (at a modest rate one slot of 64: setting all of them again was a fifth of a hit's
 * instructions). */
static void udp_batch_init(struct udp_batch *b)
{
    memset(b->in, 0, sizeof b->in);
    for (int i = 0; i < UDP_BATCH; i++) {
        b->in_iov[i].iov_base = b->in_buf[i];
        b->in_iov[i].iov_len = WIRE_MAX_UDP;
        b->in[i].msg_hdr.msg_name = &b->in_peer[i];
        b->in[i].msg_hdr.msg_namelen = sizeof b->in_peer[i];
        b->in[i].msg_hdr.msg_iov = &b->in_iov[i];
        b->in[i].msg_hdr.msg_iovlen = 1;
    }
    b->n_in = 0;
}

static int udp_receive(struct udp_batch *b, int fd)
{
    for (unsigned i = 0; i < b->n_in; i++)
        b->in[i].msg_hdr.msg_namelen = sizeof b->in_peer[i];
    int n = recvmmsg(fd, b->in, UDP_BATCH, MSG_DONTWAIT, NULL);
    b->n_in = n > 0 ? (unsigned)n : 0;
    return n;
}

static void udp_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct udp_socket *s = w->data;
    struct thread_ctx *ctx = s->l->ctx;
    struct udp_batch *b = s->l->batch;
    (void)revents;

    int n = udp_receive(b, s->fd);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            log_debug("udp receive failed: %s", strerror(errno));
        return;
    }
    udpsteer_batch(&s->steer, (unsigned)n, UDP_BATCH, ev_now(loop));
    b->fd = s->fd;
    b->n_out = 0;
    for (int i = 0; i < n; i++) {
        struct msghdr *h = &b->in[i].msg_hdr;
        if (h->msg_flags & MSG_TRUNC) {
            ctx->stats.dropped++;     /* cannot happen with 64 KiB slots; never half-read */
            continue;
        }
        struct reply_target t = { .send = listener_send_udp, .udp_fd = s->fd,
                                  .peer_len = h->msg_namelen, .owner = ctx, .batch = b,
                                  .received = ev_now(loop) };
        memcpy(&t.peer, &b->in_peer[i], h->msg_namelen);
        request_handle(ctx, b->in_buf[i], b->in[i].msg_len, &t);
    }
    udp_flush(b);
}

/* ---- TCP connections ------------------------------------------------------------------- */

static void conn_free(struct tcp_conn *c)
{
    free(c->in);
    free(c->out);
    free(c);
}

/* Closes the socket now; the struct goes when the last query in progress has answered. */
static void conn_close(struct tcp_conn *c)
{
    struct listener *l = c->l;

    if (c->fd >= 0) {
        ev_io_stop(l->ctx->loop, &c->rio);
        ev_io_stop(l->ctx->loop, &c->wio);
        ev_timer_stop(l->ctx->loop, &c->idle);
        tls_conn_free(c->tls);  /* a close_notify if the socket takes it */
        c->tls = NULL;
        close(c->fd);
        c->fd = -1;
        if (c->prev)
            c->prev->next = c->next;
        else
            l->conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        l->n_conns--;
        atomic_fetch_sub(&l->ctx->d->tcp_conns, 1);
        l->ctx->stats.tcp_open--;
    }
    if (c->holds == 0)
        conn_free(c);
}

static void conn_touch(struct tcp_conn *c)
{
    ev_timer_again(c->l->ctx->loop, &c->idle);
}

static size_t conn_unsent(const struct tcp_conn *c)
{
    return c->out_len - c->out_off;
}

/* Whether new queries may be read: not while too many are in progress or too many reply
 * bytes wait for a client that does not read (back-pressure). */
static bool conn_takes_queries(const struct tcp_conn *c)
{
    return !c->eof && !c->read_wants_write && c->holds < TCP_MAX_PENDING &&
           conn_unsent(c) < TCP_MAX_UNSENT;
}

/* Reading stops under back-pressure and resumes when it drains; a TLS write waiting for
 * readability keeps it on. Bytes OpenSSL already decrypted wake the reader by hand. */
static void conn_update_reading(struct tcp_conn *c)
{
    struct ev_loop *loop = c->l->ctx->loop;
    bool want = conn_takes_queries(c) || c->write_wants_read;

    if (want && !ev_is_active(&c->rio))
        ev_io_start(loop, &c->rio);
    else if (!want && ev_is_active(&c->rio))
        ev_io_stop(loop, &c->rio);
    if (c->read_wants_write && !ev_is_active(&c->wio))
        ev_io_start(loop, &c->wio);
    if (c->tls && want && tls_conn_pending(c->tls))
        ev_feed_event(loop, &c->rio, EV_READ);
}

/* read(2) or TLS: >0 bytes, 0 at EOF, -1 with errno (EAGAIN: wait for the watchers). */
static ssize_t conn_recv(struct tcp_conn *c, void *buf, size_t len)
{
    if (!c->tls)
        return read(c->fd, buf, len);
    return tls_conn_recv(c->tls, buf, len, &c->read_wants_write);
}

/* write(2) or TLS, the same way. */
static ssize_t conn_send(struct tcp_conn *c, const void *buf, size_t len)
{
    if (!c->tls)
        return write(c->fd, buf, len);
    return tls_conn_send(c->tls, buf, len, &c->write_wants_read);
}

static reply_send_fn send_tcp;

/* Hands one complete frame to request_handle, holding the connection for its reply. */
static void conn_dispatch(struct tcp_conn *c, size_t msg_len)
{
    struct thread_ctx *ctx = c->l->ctx;
    struct reply_target t = { .send = send_tcp, .udp_fd = -1, .tcp = c, .tls = c->tls != NULL,
                              .peer_len = c->peer_len, .received = ev_now(ctx->loop),
                              .owner = ctx };

    memcpy(&t.peer, &c->peer, c->peer_len);
    conn_touch(c);              /* only whole queries count as activity: no slow-loris */
    listener_tcp_hold(c);
    request_handle(ctx, c->in + 2, msg_len, &t);
}

/* Reads what is there, up to a batch; every complete frame is dispatched. Returns false
 * when the connection must close now. The read watcher is level-triggered, so whatever is
 * left is read on the next wake-up. */
static bool conn_read(struct tcp_conn *c)
{
    for (int frames = 0; frames < TCP_FRAMES_PER_WAKE;) {
        size_t need = c->in_len < 2 ? 2 : 2 + (size_t)wire_get16(c->in);
        if (!bytebuf_reserve(&c->in, &c->in_cap, need))
            return false;
        ssize_t n = conn_recv(c, c->in + c->in_len, need - c->in_len);
        if (n == 0) {
            c->eof = true;      /* answer what was asked, then close (conn_maybe_done) */
            return true;
        }
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        c->in_len += (size_t)n;
        if (c->in_len == 2 && wire_get16(c->in) == 0)
            return false;                   /* a zero-length frame is no DNS message */
        if (c->in_len >= 2 && c->in_len == 2 + (size_t)wire_get16(c->in)) {
            conn_dispatch(c, c->in_len - 2);
            c->in_len = 0;
            frames++;
            if (c->fd < 0 || c->holds >= TCP_MAX_PENDING || conn_unsent(c) >= TCP_MAX_UNSENT)
                return c->fd >= 0;
        }
    }
    return true;
}

/* After EOF: close once every query has been answered and every reply written. */
static bool conn_done_after_eof(const struct tcp_conn *c)
{
    return c->eof && c->holds == 0 && conn_unsent(c) == 0;
}

static bool conn_flush(struct tcp_conn *c);
static void conn_handshake(struct tcp_conn *c);

/* Reads the queries there are (if it may), then closes or adjusts the watchers. */
static void conn_pump(struct tcp_conn *c)
{
    bool open = true;

    if (conn_takes_queries(c)) {
        c->holds++;             /* keep c alive while its queries answer synchronously */
        open = conn_read(c);
        c->holds--;
    }
    if (!open || c->fd < 0 || conn_done_after_eof(c)) {
        conn_close(c);
        return;
    }
    conn_update_reading(c);
}

static void conn_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct tcp_conn *c = w->data;
    (void)loop;
    (void)revents;

    if (c->handshaking) {
        conn_handshake(c);
        return;
    }
    if (c->write_wants_read) {  /* TLS: the write that waited for this goes first */
        c->write_wants_read = false;
        if (!conn_flush(c)) {
            conn_close(c);
            return;
        }
    }
    conn_pump(c);
}

static bool conn_flush(struct tcp_conn *c)
{
    while (c->out_off < c->out_len && !c->write_wants_read) {
        ssize_t n = conn_send(c, c->out + c->out_off, c->out_len - c->out_off);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            return false;
        }
        c->out_off += (size_t)n;
    }
    if (c->out_off == c->out_len || c->write_wants_read) {
        if (c->out_off == c->out_len)
            c->out_off = c->out_len = 0;
        ev_io_stop(c->l->ctx->loop, &c->wio);   /* read_wants_write restarts it */
    } else if (!ev_is_active(&c->wio)) {
        ev_io_start(c->l->ctx->loop, &c->wio);
    }
    return true;
}

static void conn_writable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct tcp_conn *c = w->data;
    (void)loop;
    (void)revents;

    if (c->handshaking) {
        conn_handshake(c);
        return;
    }
    bool read_waited = c->read_wants_write;
    c->read_wants_write = false;
    if (!conn_flush(c) || conn_done_after_eof(c)) {
        conn_close(c);
        return;
    }
    conn_touch(c);              /* the client is reading: that is progress */
    if (read_waited)
        conn_pump(c);           /* TLS: the read that waited for this */
    else
        conn_update_reading(c);
}

/* One step of a TLS handshake; once done the connection is an ordinary one. */
static void conn_handshake(struct tcp_conn *c)
{
    struct thread_ctx *ctx = c->l->ctx;
    char where[64];

    switch (tls_conn_handshake(c->tls)) {
    case TLS_IO_OK:
        c->handshaking = false;
        ctx->stats.tls_handshakes++;
        if (tls_conn_resumed(c->tls))
            ctx->stats.tls_resumptions++;
        c->idle.repeat = ctx->d->cfg->tcp_idle_timeout_ms / 1000.0;
        conn_touch(c);
        ev_io_stop(ctx->loop, &c->wio);
        conn_update_reading(c);
        return;
    case TLS_IO_WANT_READ:
        ev_io_stop(ctx->loop, &c->wio);
        ev_io_start(ctx->loop, &c->rio);
        return;
    case TLS_IO_WANT_WRITE:
        ev_io_stop(ctx->loop, &c->rio);
        ev_io_start(ctx->loop, &c->wio);
        return;
    default:
        ctx->stats.tls_failures++;
        log_debug("tls handshake with %s failed: %s",
                  addr_to_str(&c->peer, where, sizeof where), tls_conn_error(c->tls));
        conn_close(c);
        return;
    }
}

/* Idle means: no whole query read, no reply bytes taken by the client and no query in
 * progress for the timeout. Replies the client does not read do not keep it open. */
static void conn_idle(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct tcp_conn *c = w->data;
    (void)loop;
    (void)revents;

    if (c->handshaking) {
        c->l->ctx->stats.tls_failures++;    /* a handshake that did not finish in time */
    } else if (c->holds > 0) {
        conn_touch(c);
        return;
    }
    conn_close(c);
}

void listener_tcp_hold(struct tcp_conn *c)
{
    c->holds++;
}

static bool conn_queue(struct tcp_conn *c, const uint8_t *msg, size_t len)
{
    if (!bytebuf_reserve(&c->out, &c->out_cap, c->out_len + 2 + len))
        return false;
    wire_put16(c->out + c->out_len, (uint16_t)len);
    memcpy(c->out + c->out_len + 2, msg, len);
    c->out_len += 2 + len;
    return conn_flush(c);
}

void listener_tcp_reply(struct tcp_conn *c, const uint8_t *msg, size_t len)
{
    c->holds--;
    if (c->fd < 0) {
        if (c->holds == 0)
            conn_free(c);
        return;
    }
    if ((len > 0 && len <= WIRE_MAX_UDP && !conn_queue(c, msg, len)) ||
        conn_done_after_eof(c)) {
        conn_close(c);
        return;
    }
    conn_update_reading(c);
}

/* The TCP reply callback: the connection belongs to t->owner's thread; a reply made on
 * another thread (the mesh of the question's owner) goes there by the thread's hook. */
static void send_tcp(struct thread_ctx *ctx, const struct reply_target *t, const uint8_t *reply,
                     size_t len)
{
    if (ctx->tcp_reply && ctx->tcp_reply(ctx, t, reply, len) == 0)
        return;
    listener_tcp_reply(t->tcp, reply, len);
}

static void conn_open(struct listener *l, int fd, const struct sockaddr_storage *peer,
                      socklen_t peer_len, bool tls)
{
    struct thread_ctx *ctx = l->ctx;
    struct tcp_conn *c = calloc(1, sizeof *c);

    /* TLS: the context of now (a reload may have swapped it, or dropped `listen-tls`) */
    if (c && tls && !(ctx->d->tls_server && (c->tls = tls_conn_accept(ctx->d->tls_server, fd)))) {
        free(c);
        c = NULL;
    }
    if (!c) {
        close(fd);
        atomic_fetch_sub(&ctx->d->tcp_conns, 1);
        return;
    }
    c->handshaking = tls;
    c->l = l;
    c->fd = fd;
    memcpy(&c->peer, peer, peer_len);
    c->peer_len = peer_len;
    ev_io_init(&c->rio, conn_readable, fd, EV_READ);
    ev_io_init(&c->wio, conn_writable, fd, EV_WRITE);
    ev_init(&c->idle, conn_idle);
    c->idle.repeat = (tls ? ctx->d->cfg->tls_handshake_timeout_ms
                          : ctx->d->cfg->tcp_idle_timeout_ms) / 1000.0;
    c->rio.data = c->wio.data = c->idle.data = c;
    ev_io_start(ctx->loop, &c->rio);
    ev_timer_again(ctx->loop, &c->idle);
    c->next = l->conns;
    if (l->conns)
        l->conns->prev = c;
    l->conns = c;
    l->n_conns++;
    ctx->stats.tcp_connections++;
    ctx->stats.tcp_open++;
}

static void accept_resume(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct tcp_socket *s = w->data;
    (void)revents;
    ev_io_start(loop, &s->io);
}

/* Out of descriptors or memory the listening socket stays readable: stop accepting for a
 * moment instead of spinning on it. */
static void accept_pause(struct tcp_socket *s)
{
    struct ev_loop *loop = s->l->ctx->loop;

    ev_io_stop(loop, &s->io);
    ev_timer_set(&s->resume, ACCEPT_PAUSE_SECONDS, 0);
    ev_timer_start(loop, &s->resume);
}

static void tcp_acceptable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct tcp_socket *s = w->data;
    struct listener *l = s->l;
    (void)loop;
    (void)revents;

    for (int i = 0; i < UDP_BATCH; i++) {
        struct sockaddr_storage peer;
        socklen_t peer_len = sizeof peer;
        int fd = accept4(s->fd, (struct sockaddr *)&peer, &peer_len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_warn("tcp accept failed: %s; pausing accepts", strerror(errno));
                accept_pause(s);
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                log_warn("tcp accept failed: %s", strerror(errno));
            }
            return;
        }
        /* the cap counts every thread's connections: it is one limit for the daemon */
        if (atomic_fetch_add(&l->ctx->d->tcp_conns, 1) >= l->ctx->d->cfg->tcp_max_connections) {
            atomic_fetch_sub(&l->ctx->d->tcp_conns, 1);
            l->ctx->stats.tcp_refused_cap++;
            close(fd);
            continue;
        }
        conn_open(l, fd, &peer, peer_len, s->tls);
    }
}

/* ---- set-up and tear-down ----------------------------------------------------------- */

static void tcp_socket_start(struct listener *l, int fd, bool tls)
{
    struct tcp_socket *t = &l->tcp[l->n_tcp++];

    t->fd = fd;
    t->tls = tls;
    t->l = l;
    ev_io_init(&t->io, tcp_acceptable, fd, EV_READ);
    ev_init(&t->resume, accept_resume);
    t->io.data = t->resume.data = t;
    ev_io_start(l->ctx->loop, &t->io);
}

/* `listen-tls`: TCP sockets only, whose connections speak TLS. */
static int listener_bind_tls(struct listener *l, const struct config *cfg)
{
    char where[64];

    for (size_t i = 0; i < cfg->n_tls_listens; i++) {
        const struct config_listen *a = &cfg->tls_listens[i];
        int fd = open_socket(a, SOCK_STREAM);
        if (fd < 0) {
            log_err("cannot listen (TLS) on %s: %s",
                    addr_to_str(&a->addr, where, sizeof where), strerror(errno));
            return -1;
        }
        tcp_socket_start(l, fd, true);
        log_info("listening on %s (TLS)", addr_to_str(&a->addr, where, sizeof where));
    }
    return 0;
}

/* lead: the first of threads workers, whose UDP sockets steer their groups (udpsteer.h) */
static int listener_bind_all(struct listener *l, const struct config *cfg, bool lead,
                             unsigned threads)
{
    char where[64];

    for (size_t i = 0; i < cfg->n_listens; i++) {
        const struct config_listen *a = &cfg->listens[i];
        int ufd = open_socket(a, SOCK_DGRAM);
        int tfd = ufd < 0 ? -1 : open_socket(a, SOCK_STREAM);
        if (ufd < 0 || tfd < 0) {
            log_err("cannot listen on %s: %s", addr_to_str(&a->addr, where, sizeof where),
                    strerror(errno));
            if (ufd >= 0)
                close(ufd);
            return -1;
        }
        struct udp_socket *u = &l->udp[l->n_udp++];
        u->fd = ufd;
        u->l = l;
        if (!lead || !udpsteer_open(&u->steer, ufd, threads, ev_now(l->ctx->loop)))
            u->steer = (struct udp_steer){ .fd = -1, .stat_fd = -2 };
        ev_io_init(&u->io, udp_readable, ufd, EV_READ);
        u->io.data = u;
        ev_io_start(l->ctx->loop, &u->io);
        tcp_socket_start(l, tfd, false);
        log_info("listening on %s (UDP and TCP)", addr_to_str(&a->addr, where, sizeof where));
    }
    return listener_bind_tls(l, cfg);
}

struct listener *listener_open(struct thread_ctx *ctx, bool lead, unsigned threads)
{
    const struct config *cfg = ctx->d->cfg;
    struct listener *l = calloc(1, sizeof *l);

    if (!l)
        return NULL;
    l->ctx = ctx;
    l->udp = calloc(cfg->n_listens ? cfg->n_listens : 1, sizeof *l->udp);
    l->tcp = calloc(cfg->n_listens + cfg->n_tls_listens + 1, sizeof *l->tcp);
    l->batch = malloc(sizeof *l->batch);
    if (l->batch)
        udp_batch_init(l->batch);
    if (!l->udp || !l->tcp || !l->batch || listener_bind_all(l, cfg, lead, threads) < 0) {
        listener_close(l);
        return NULL;
    }
    return l;
}

void listener_close(struct listener *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n_udp; i++) {
        ev_io_stop(l->ctx->loop, &l->udp[i].io);
        udpsteer_close(&l->udp[i].steer);
        close(l->udp[i].fd);
    }
    for (size_t i = 0; i < l->n_tcp; i++) {
        ev_io_stop(l->ctx->loop, &l->tcp[i].io);
        ev_timer_stop(l->ctx->loop, &l->tcp[i].resume);
        close(l->tcp[i].fd);
    }
    while (l->conns) {
        struct tcp_conn *c = l->conns;
        c->holds = 0;           /* the mesh is gone by now: nothing will release them */
        conn_close(c);
    }
    free(l->udp);
    free(l->tcp);
    free(l->batch);
    free(l);
}
