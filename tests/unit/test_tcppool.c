/* test_tcppool.c -- the upstream TCP pool against a fake server on the same loop: pipelined
 * queries on one connection, replies out of order matched by ID, a cancelled query's late
 * reply discarded and its ID kept taken, a query resent when the server closes a working
 * connection, and a refused connection reported from the loop. */
#include "tap.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "stats.h"
#include "tcppool.h"
#include "wire.h"

/* ---- the fake server: collects `hold` frames, then answers them newest first ---------- */

#define MAX_CONNS 8
#define MAX_FRAMES 16

struct fconn {
    int fd;
    ev_io io;
    uint8_t buf[4096];
    size_t len;
    int answered;
};

static struct {
    int lfd;
    ev_io lio;
    struct fconn conns[MAX_CONNS];
    int accepts;
    int hold;                   /* frames to collect before answering */
    int maxq;                   /* close a connection after this many answers (0: never) */
    struct { struct fconn *c; uint8_t q[512]; size_t len; } frames[MAX_FRAMES];
    int n_frames;
} srv;

static void fconn_close(struct ev_loop *loop, struct fconn *c)
{
    ev_io_stop(loop, &c->io);
    close(c->fd);
    c->fd = -1;
}

static void answer_held(struct ev_loop *loop)
{
    for (int i = srv.n_frames - 1; i >= 0; i--) {
        struct fconn *c = srv.frames[i].c;
        uint8_t out[514];
        if (c->fd < 0)
            continue;
        wire_put16(out, (uint16_t)srv.frames[i].len);
        memcpy(out + 2, srv.frames[i].q, srv.frames[i].len);
        out[2 + 2] |= 0x80;                     /* QR */
        if (write(c->fd, out, 2 + srv.frames[i].len) < 0)
            continue;
        if (srv.maxq && ++c->answered >= srv.maxq)
            fconn_close(loop, c);
    }
    srv.n_frames = 0;
}

static void fconn_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct fconn *c = w->data;
    (void)revents;
    ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);

    if (n <= 0) {
        if (n == 0 || errno != EAGAIN)
            fconn_close(loop, c);
        return;
    }
    c->len += (size_t)n;
    while (c->len >= 2 && c->len >= 2 + (size_t)wire_get16(c->buf)) {
        size_t flen = wire_get16(c->buf);
        if (srv.n_frames < MAX_FRAMES && flen <= sizeof srv.frames[0].q) {
            srv.frames[srv.n_frames].c = c;
            memcpy(srv.frames[srv.n_frames].q, c->buf + 2, flen);
            srv.frames[srv.n_frames].len = flen;
            srv.n_frames++;
        }
        memmove(c->buf, c->buf + 2 + flen, c->len - 2 - flen);
        c->len -= 2 + flen;
    }
    if (srv.n_frames >= srv.hold)
        answer_held(loop);
}

static void srv_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)w;
    (void)revents;
    int fd = accept4(srv.lfd, NULL, NULL, SOCK_NONBLOCK);

    if (fd < 0)
        return;
    if (srv.accepts >= MAX_CONNS) {
        close(fd);
        return;
    }
    struct fconn *c = &srv.conns[srv.accepts++];
    memset(c, 0, sizeof *c);
    c->fd = fd;
    ev_io_init(&c->io, fconn_readable, fd, EV_READ);
    c->io.data = c;
    ev_io_start(loop, &c->io);
}

static int srv_start(struct ev_loop *loop, struct sockaddr_storage *addr)
{
    struct sockaddr_in *in = (struct sockaddr_in *)addr;
    socklen_t len = sizeof *in;

    memset(addr, 0, sizeof *addr);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    srv.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (srv.lfd < 0 || bind(srv.lfd, (struct sockaddr *)in, len) < 0 || listen(srv.lfd, 8) < 0 ||
        getsockname(srv.lfd, (struct sockaddr *)in, &len) < 0)
        return -1;
    ev_io_init(&srv.lio, srv_accept, srv.lfd, EV_READ);
    ev_io_start(loop, &srv.lio);
    return 0;
}

/* ---- the client side --------------------------------------------------------------------- */

#define MAX_DONE 32
static struct { int id; bool ok; } done_log[MAX_DONE];
static int n_done;

static void on_done(void *arg, enum tcppool_result result, uint8_t *msg, size_t len)
{
    int id = (int)(intptr_t)arg;

    if (n_done < MAX_DONE) {
        /* a reply must be the one for this query: its own ID */
        done_log[n_done].id = id;
        done_log[n_done].ok = result == TCPPOOL_REPLY && len >= WIRE_HEADER_LEN && WIRE_ID(msg) == id;
        n_done++;
    }
}

static size_t make_query(uint8_t *buf, uint16_t id)
{
    static const uint8_t name[] = "\3www\7example\4test";
    return wire_build_query(id, false, name, sizeof name, 1, 1, 0, false, buf, 512);
}

static struct tcppool_query *send_id(struct tcppool *pool, const struct sockaddr_storage *to,
                                     uint16_t id)
{
    uint8_t q[512];
    size_t len = make_query(q, id);

    return tcppool_send(pool, to, NULL, q, len, on_done, (void *)(intptr_t)id);
}

/* Runs the loop until `want` callbacks came (or 5 s passed). */
static void run_until_done(struct ev_loop *loop, int want)
{
    ev_tstamp deadline = ev_time() + 5;

    while (n_done < want && ev_time() < deadline)
        ev_run(loop, EVRUN_ONCE);
}

static bool done_ok(int id)
{
    for (int i = 0; i < n_done; i++)
        if (done_log[i].id == id)
            return done_log[i].ok;
    return false;
}

static int done_count(int id)
{
    int n = 0;
    for (int i = 0; i < n_done; i++)
        n += done_log[i].id == id;
    return n;
}

int main(void)
{
    struct ev_loop *loop = ev_default_loop(0);
    struct stats st;
    struct sockaddr_storage to;

    memset(&st, 0, sizeof st);
    if (!loop || srv_start(loop, &to) < 0) {
        printf("Bail out! no loop or no listening socket\n");
        return 1;
    }
    struct tcppool *pool = tcppool_new(loop, &st);
    ok(pool != NULL, "a pool");

    /* pipelined, answered in reverse order */
    srv.hold = 5;
    bool sent = true;
    for (int id = 1; id <= 5; id++)
        sent = sent && send_id(pool, &to, (uint16_t)id) != NULL;
    ok(sent, "5 queries handed to the pool");
    is_int(n_done, 0, "no callback from inside tcppool_send");
    run_until_done(loop, 5);
    is_int(n_done, 5, "5 replies");
    bool all = true;
    for (int id = 1; id <= 5; id++)
        all = all && done_ok(id) && done_count(id) == 1;
    ok(all, "each query got its own reply once, though they came newest first");
    is_int(srv.accepts, 1, "on one connection");
    is_int(tcppool_connections(pool), 1, "which stays open");
    is_int(st.upstream_tcp_connections, 1, "upstream.tcp_connections counted it");

    /* a cancelled query: its reply is dropped, its ID stays taken until then */
    n_done = 0;
    srv.hold = 3;
    struct tcppool_query *c10 = send_id(pool, &to, 10);
    ok(c10 != NULL, "query 10 sent");
    tcppool_cancel(c10);
    ok(send_id(pool, &to, 11) != NULL, "query 11 sent");
    ok(send_id(pool, &to, 10) != NULL, "another query with ID 10, while the cancelled one is in flight");
    run_until_done(loop, 2);
    ev_run(loop, EVRUN_NOWAIT);
    is_int(n_done, 2, "two callbacks: 11 and the second 10");
    ok(done_ok(11) && done_ok(10) && done_count(10) == 1, "both answered, the cancelled one never reported");
    is_int(srv.accepts, 2, "the second ID 10 needed a connection of its own");

    /* the server closes a working connection after one answer: the query behind is resent */
    n_done = 0;
    srv.maxq = 1;
    srv.hold = 1;
    int before = srv.accepts;
    struct tcppool *fresh = tcppool_new(loop, &st);
    /* a fresh pool: both go on its one new connection (fewer than TCPPOOL_SPREAD in flight) */
    ok(fresh && send_id(fresh, &to, 20) != NULL && send_id(fresh, &to, 21) != NULL,
       "queries 20 and 21 sent on a fresh pool");
    is_int(tcppool_connections(fresh), 1, "... on one connection");
    run_until_done(loop, 2);
    ok(done_ok(20) && done_ok(21), "both answered though the server closed after one: the other was resent");
    is_int(srv.accepts - before, 2, "... on a second connection");
    srv.maxq = 0;
    tcppool_free(fresh);

    /* refused: nothing listens on the port */
    n_done = 0;
    struct sockaddr_storage nowhere = to;
    ((struct sockaddr_in *)&nowhere)->sin_port = htons(1);
    struct tcppool_query *r = send_id(pool, &nowhere, 30);
    if (!r) {
        ok(1, "a connection refused at once: NULL (the caller uses its own)");
        ok(1, "... nothing reported");
    } else {
        is_int(n_done, 0, "a query to a port nobody listens on: not reported from inside the call");
        run_until_done(loop, 1);
        ok(n_done == 1 && !done_log[0].ok, "... but later, as a failed connection");
    }

    tcppool_free(pool);
    ev_io_stop(loop, &srv.lio);
    close(srv.lfd);
    for (int i = 0; i < srv.accepts; i++)
        if (srv.conns[i].fd >= 0)
            fconn_close(loop, &srv.conns[i]);
    return done_testing();
}
