/* metrics.c -- the Prometheus endpoint: `metrics [ADDR] PORT`, GET /metrics (see metrics.h).
 *
 * Owns: the listening TCP socket, the HTTP connections on it and the text exposition
 * (format 0.0.4) of stats_items(). It runs on the main thread's loop (d->main_thread.loop),
 * like the control socket: a scrape takes the counters the way `stats` does (control_stats_snapshot,
 * under the world lock, a few microseconds; at most every METRICS_SNAPSHOT_REUSE seconds
 * however often clients ask) and never runs on a DNS worker.
 *
 * A minimal responder of its own rather than libmicrohttpd: all it serves is one read-only
 * page to a scraper, which takes one request line and a few headers; the same shape as the
 * control clients (non-blocking, one ev_io and one ev_timer each, a cap) is ~300 lines with
 * no new dependency, no threads of its own and no parser we did not write for this job.
 *
 * One connection = one request; every reply carries "Connection: close":
 *
 *     accept -> reading (until the blank line ending the head, METRICS_MAX_REQUEST bytes:
 *               431, or EOF: 400) -> writing the reply -> lingering (the write side shut,
 *               unread input drained so the close does not reset the reply away) -> closed
 *
 * METRICS_TIMEOUT covers the whole connection, so a client that sends slowly, never ends
 * its head or never reads costs at most that long and one METRICS_MAX_REQUEST buffer; at
 * most METRICS_MAX_CLIENTS are served at once and any more are closed when accepted. */
#include "metrics.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "addr.h"
#include "control.h"
#include "context.h"
#include "log.h"
#include "stats.h"
#include "strbuf.h"

#define METRICS_BACKLOG       16
#define METRICS_ACCEPT_PAUSE  1.0           /* seconds without accepting when out of fds */
#define METRICS_LINGER        1.0           /* seconds to drain input after the reply */
#define METRICS_BODY_START    (16 * 1024)   /* the exposition is ~9 KiB ... */
#define METRICS_BODY_MAX      (256 * 1024)  /* ... and may grow to this */
#define METRICS_SNAPSHOT_REUSE 0.1          /* seconds a snapshot serves every scrape */

/* ---- the exposition ---------------------------------------------------------------------- */

static const char *type_name(enum stats_kind kind)
{
    switch (kind) {
    case STATS_COUNTER: return "counter";
    case STATS_GAUGE:   return "gauge";
    default:            return "histogram";
    }
}

/* The item's value in the metric's unit, as Prometheus reads a float. */
static void put_value(struct strbuf *out, const struct stats_item *it, uint64_t count)
{
    double v = it->real ? it->fvalue : (double)count;

    if (!it->real && it->scale == 1.0)
        strbuf_append(out, " %llu\n", (unsigned long long)count);
    else
        strbuf_append(out, " %.15g\n", v * it->scale);
}

/* "(stats: KEY...)" at the end of a family's help, so a reader (and the test) can find the
 * `resolverctl stats` key of each sample: "PREFIX.<label>" when every key is the prefix
 * and the sample's label value, else the keys in sample order. */
static void put_keys(struct strbuf *out, const struct stats_item *first, size_t n)
{
    const char *dot = strchr(first->key, '.');
    size_t plen = dot ? (size_t)(dot - first->key) : 0;
    bool pattern = first->label && dot;

    for (size_t i = 0; pattern && i < n; i++)
        pattern = strncmp(first[i].key, first->key, plen + 1) == 0 &&
                  strcmp(first[i].key + plen + 1, first[i].label_value) == 0;
    if (pattern) {
        strbuf_append(out, " (stats: %.*s.<%s>)\n", (int)plen, first->key, first->label);
        return;
    }
    strbuf_append(out, " (stats:");
    for (size_t i = 0; i < n; i++)
        strbuf_append(out, " %s", first[i].key);
    strbuf_append(out, ")\n");
}

/* The samples of a histogram family: cumulative buckets, then _sum and _count. */
static void put_histogram(struct strbuf *out, const struct stats_item *it, size_t n)
{
    uint64_t cumulative = 0;

    for (size_t i = 0; i < n; i++) {
        if (it[i].kind == STATS_BUCKET) {
            cumulative += it[i].uvalue;
            if (isinf(it[i].le))
                strbuf_append(out, "%s_bucket{le=\"+Inf\"}", it[i].metric);
            else
                strbuf_append(out, "%s_bucket{le=\"%g\"}", it[i].metric, it[i].le);
            strbuf_append(out, " %llu\n", (unsigned long long)cumulative);
        } else {
            strbuf_append(out, "%s_sum", it[i].metric);
            put_value(out, &it[i], it[i].uvalue);
        }
    }
    strbuf_append(out, "%s_count %llu\n", it->metric, (unsigned long long)cumulative);
}

static void put_family(struct strbuf *out, const struct stats_item *it, size_t n)
{
    strbuf_append(out, "# HELP %s %s", it->metric, it->help);
    put_keys(out, it, n);
    strbuf_append(out, "# TYPE %s %s\n", it->metric, type_name(it->kind));
    if (it->kind == STATS_BUCKET || it->kind == STATS_BUCKET_SUM) {
        put_histogram(out, it, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        strbuf_append(out, "%s", it[i].metric);
        if (it[i].label)
            strbuf_append(out, "{%s=\"%s\"}", it[i].label, it[i].label_value);
        put_value(out, &it[i], it[i].uvalue);
    }
}

void metrics_format(const struct stats_snapshot *snap, struct strbuf *out)
{
    struct stats_item items[STATS_MAX_ITEMS];
    size_t n = stats_items(snap, items, STATS_MAX_ITEMS);

    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && strcmp(items[j].metric, items[i].metric) == 0; j++)
            ;
        put_family(out, &items[i], j - i);
    }
}

/* ---- HTTP -------------------------------------------------------------------------------- */

int metrics_request_status(const char *head, size_t len)
{
    const char *end = memchr(head, '\n', len);
    size_t line = end ? (size_t)(end - head) : len;
    const char *sp1 = memchr(head, ' ', line);
    if (!sp1)
        return 400;
    const char *target = sp1 + 1;
    const char *sp2 = memchr(target, ' ', line - (size_t)(target - head));
    if (!sp2 || sp2 == target || (size_t)(head + line - (sp2 + 1)) < 8 ||
        memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
        return 400;                 /* no HTTP/0.9: it has no status line to answer with */
    if ((size_t)(sp1 - head) != 3 || memcmp(head, "GET", 3) != 0)
        return 405;
    size_t tlen = (size_t)(sp2 - target);
    if (tlen >= 8 && memcmp(target, "/metrics", 8) == 0 && (tlen == 8 || target[8] == '?'))
        return 200;
    return 404;
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    default:  return "Bad Request";
    }
}

/* ---- connections ------------------------------------------------------------------------- */

struct metrics_client {
    struct metrics *m;
    struct metrics_client *prev, *next;
    int fd;
    ev_io io;                       /* EV_READ while reading and lingering, EV_WRITE between */
    ev_timer timeout;
    char request[METRICS_MAX_REQUEST];
    size_t request_len;
    struct strbuf reply;            /* buf NULL until the request is read */
    size_t sent;
    bool lingering;
};

struct metrics {
    struct daemon *d;
    int fd;
    ev_io accept_io;
    ev_timer accept_resume;         /* restarts accept_io after EMFILE and the like */
    struct metrics_client *clients;
    size_t n_clients;
    struct stats_snapshot snap;     /* the last one taken ... */
    ev_tstamp snap_at;              /* ... then (0: none yet) */
};

static void close_fd(int fd)
{
    if (close(fd) != 0)
        log_debug("metrics: close: %s", strerror(errno));
}

static void client_close(struct metrics_client *cl)
{
    struct metrics *m = cl->m;

    ev_io_stop(m->d->main_thread.loop, &cl->io);
    ev_timer_stop(m->d->main_thread.loop, &cl->timeout);
    close_fd(cl->fd);
    if (cl->prev)
        cl->prev->next = cl->next;
    else
        m->clients = cl->next;
    if (cl->next)
        cl->next->prev = cl->prev;
    m->n_clients--;
    free(cl->reply.buf);
    free(cl);
}

/* Reads and throws away what the client still sends, until EOF, an error or the timer:
 * closing with unread input would send a reset that can destroy the reply in flight. */
static void client_linger(struct metrics_client *cl)
{
    char sink[4096];

    for (;;) {
        ssize_t n = recv(cl->fd, sink, sizeof sink, 0);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        client_close(cl);
        return;
    }
}

static void client_start_linger(struct metrics_client *cl)
{
    struct ev_loop *loop = cl->m->d->main_thread.loop;

    if (shutdown(cl->fd, SHUT_WR) != 0) {
        client_close(cl);
        return;
    }
    cl->lingering = true;
    ev_io_stop(loop, &cl->io);
    ev_io_set(&cl->io, cl->fd, EV_READ);
    ev_io_start(loop, &cl->io);
    ev_timer_stop(loop, &cl->timeout);
    ev_timer_set(&cl->timeout, METRICS_LINGER, 0.0);
    ev_timer_start(loop, &cl->timeout);
    client_linger(cl);
}

static void client_write(struct metrics_client *cl)
{
    while (cl->sent < cl->reply.len) {
        ssize_t n = send(cl->fd, cl->reply.buf + cl->sent, cl->reply.len - cl->sent,
                         MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;                 /* the write watcher calls us again */
        if (n < 0) {
            log_debug("metrics: send: %s", strerror(errno));
            client_close(cl);
            return;
        }
        cl->sent += (size_t)n;
    }
    client_start_linger(cl);
}

/* Taking the counters pauses the workers (the world lock) for a few microseconds. A client
 * scraping in a tight loop must not make them wait over and over: a snapshot younger than
 * METRICS_SNAPSHOT_REUSE answers every scrape in that time. */
static const struct stats_snapshot *snapshot(struct metrics *m)
{
    ev_tstamp now = ev_now(m->d->main_thread.loop);

    if (m->snap_at == 0 || now - m->snap_at >= METRICS_SNAPSHOT_REUSE || now < m->snap_at) {
        control_stats_snapshot(m->d, &m->snap);
        m->snap_at = now;
    }
    m->snap.cfg = m->d->cfg;        /* never a config a reload has freed since */
    return &m->snap;
}

/* Builds the whole reply: the exposition for 200, a one-line text otherwise. */
static int build_reply(struct metrics_client *cl, int status)
{
    struct strbuf body = { malloc(METRICS_BODY_START), METRICS_BODY_START, 0,
                           METRICS_BODY_MAX, false };
    struct strbuf *r = &cl->reply;

    if (!body.buf)
        return -1;
    body.buf[0] = '\0';
    if (status == 200)
        metrics_format(snapshot(cl->m), &body);
    else
        strbuf_append(&body, "%d %s\n", status, reason(status));
    *r = (struct strbuf){ malloc(body.len + 512), body.len + 512, 0, body.len + 512, false };
    if (!r->buf) {
        free(body.buf);
        return -1;
    }
    strbuf_append(r, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                  "Connection: close\r\n\r\n%s", status, reason(status),
                  status == 200 ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain",
                  body.len, status == 405 ? "Allow: GET\r\n" : "", body.buf);
    bool cut = body.cut || r->cut;  /* never a truncated page Prometheus would half-read */
    free(body.buf);
    return cut ? -1 : 0;
}

static void client_respond(struct metrics_client *cl, int status)
{
    struct ev_loop *loop = cl->m->d->main_thread.loop;

    if (build_reply(cl, status) != 0) {
        log_err("metrics: out of memory for a reply (or it outgrew METRICS_BODY_MAX)");
        client_close(cl);
        return;
    }
    ev_io_stop(loop, &cl->io);
    ev_io_set(&cl->io, cl->fd, EV_WRITE);
    ev_io_start(loop, &cl->io);
    client_write(cl);
}

/* The head ends at the first empty line ("\r\n\r\n", or bare "\n\n" from a lax client). */
static bool head_complete(const struct metrics_client *cl)
{
    return memmem(cl->request, cl->request_len, "\r\n\r\n", 4) ||
           memmem(cl->request, cl->request_len, "\n\n", 2);
}

static void client_read(struct metrics_client *cl)
{
    size_t room = sizeof cl->request - cl->request_len;
    ssize_t n = recv(cl->fd, cl->request + cl->request_len, room, 0);

    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            client_close(cl);
        return;
    }
    if (n == 0) {                   /* EOF before the head ended */
        if (cl->request_len == 0)
            client_close(cl);
        else
            client_respond(cl, 400);
        return;
    }
    cl->request_len += (size_t)n;
    if (head_complete(cl))
        client_respond(cl, metrics_request_status(cl->request, cl->request_len));
    else if (cl->request_len == sizeof cl->request)
        client_respond(cl, 431);
}

static void client_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct metrics_client *cl = w->data;

    (void)loop;
    (void)revents;
    if (cl->lingering)
        client_linger(cl);
    else if (cl->reply.buf)
        client_write(cl);
    else
        client_read(cl);
}

static void client_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct metrics_client *cl = w->data;

    (void)loop;
    (void)revents;
    if (!cl->lingering)
        log_debug("metrics: client timed out");
    client_close(cl);
}

static void client_add(struct metrics *m, int fd)
{
    struct metrics_client *cl = calloc(1, sizeof *cl);

    if (!cl) {
        log_err("metrics: out of memory for a client");
        close_fd(fd);
        return;
    }
    cl->m = m;
    cl->fd = fd;
    ev_io_init(&cl->io, client_io_cb, fd, EV_READ);
    cl->io.data = cl;
    ev_timer_init(&cl->timeout, client_timeout_cb, METRICS_TIMEOUT, 0.0);
    cl->timeout.data = cl;
    cl->next = m->clients;
    if (m->clients)
        m->clients->prev = cl;
    m->clients = cl;
    m->n_clients++;
    ev_io_start(m->d->main_thread.loop, &cl->io);
    ev_timer_start(m->d->main_thread.loop, &cl->timeout);
}

/* ---- the listening socket ---------------------------------------------------------------- */

/* Out of descriptors: the connection stays in the backlog and the level-triggered watcher
 * would fire again at once, spinning. Pause accepting for a moment instead. */
static void accept_pause(struct metrics *m)
{
    ev_io_stop(m->d->main_thread.loop, &m->accept_io);
    ev_timer_set(&m->accept_resume, METRICS_ACCEPT_PAUSE, 0.0);
    ev_timer_start(m->d->main_thread.loop, &m->accept_resume);
}

static void accept_resume_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct metrics *m = w->data;

    (void)revents;
    ev_io_start(loop, &m->accept_io);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct metrics *m = w->data;

    (void)loop;
    (void)revents;
    for (;;) {
        int fd = accept4(m->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_warn("metrics: accept: %s", strerror(errno));
                accept_pause(m);
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                       errno != ECONNABORTED) {
                log_warn("metrics: accept: %s", strerror(errno));
            }
            return;
        }
        if (m->n_clients >= METRICS_MAX_CLIENTS) {
            log_debug("metrics: %d clients already connected, closing one",
                      METRICS_MAX_CLIENTS);
            close_fd(fd);
            continue;
        }
        client_add(m, fd);
    }
}

static int listen_socket(const struct sockaddr_storage *addr, socklen_t addrlen)
{
    char text[80];
    int one = 1;
    int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    addr_to_str(addr, text, sizeof text);
    if (fd < 0) {
        log_err("metrics: socket: %s", strerror(errno));
        return -1;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (const struct sockaddr *)addr, addrlen) != 0 ||
        listen(fd, METRICS_BACKLOG) != 0) {
        log_err("metrics: %s: %s", text, strerror(errno));
        close_fd(fd);
        return -1;
    }
    log_info("metrics: serving GET /metrics on %s", text);
    return fd;
}

struct metrics *metrics_open(struct daemon *d, const struct sockaddr_storage *addr,
                             socklen_t addrlen)
{
    struct metrics *m = calloc(1, sizeof *m);

    if (!m) {
        log_err("metrics: out of memory");
        return NULL;
    }
    m->d = d;
    m->fd = listen_socket(addr, addrlen);
    if (m->fd < 0) {
        free(m);
        return NULL;
    }
    ev_io_init(&m->accept_io, accept_cb, m->fd, EV_READ);
    m->accept_io.data = m;
    ev_timer_init(&m->accept_resume, accept_resume_cb, METRICS_ACCEPT_PAUSE, 0.0);
    m->accept_resume.data = m;
    ev_io_start(d->main_thread.loop, &m->accept_io);
    return m;
}

void metrics_close(struct metrics *m)
{
    if (!m)
        return;
    while (m->clients)
        client_close(m->clients);
    ev_io_stop(m->d->main_thread.loop, &m->accept_io);
    ev_timer_stop(m->d->main_thread.loop, &m->accept_resume);
    close_fd(m->fd);
    free(m);
}
