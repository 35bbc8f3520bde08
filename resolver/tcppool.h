/* tcppool.h -- a worker's TCP connections to upstream servers, reused and pipelined.
 *
 * One pool per worker thread (its loop, its counters; no locks). A query handed to
 * tcppool_send goes out on an open connection to the same server (and source address)
 * when one has room, else on a new one, and several queries share a connection in flight
 * (RFC 7766 6.2.1: pipelining; replies may come in any order). Replies are matched to
 * queries by ID, which is unique among a connection's queries in flight; the owner checks
 * the question (outbound.c). Bounds: TCPPOOL_PER_SERVER connections to one server,
 * TCPPOOL_MAX_PENDING queries in flight on one, TCPPOOL_MAX_CONNS in the pool; an idle
 * connection closes after TCPPOOL_IDLE_SECONDS. When nothing has room tcppool_send
 * returns NULL and the caller uses a connection of its own, as before the pool.
 *
 * Why: at a high rate of queries to a server that slips (RRL TC=1), a connection per query
 * spent most of the worker's time in the kernel (socket, bind, connect, close, thousands
 * of TIME-WAIT sockets) and queued at the server's TCP connection cap; Unbound reuses
 * its TCP streams the same way (outside_network.c, reuse_tcp).
 *
 * TLS (`forward-tls`, RFC 7858): tcppool_send_tls puts the query on a connection to the
 * server that speaks TLS and whose certificate showed the given name; such a connection is
 * only ever shared with queries that ask for the same name. The handshake runs first
 * (queries wait in the output buffer); a failed certificate check fails the connection's
 * queries with TCPPOOL_TLS_FAILED, and nothing ever goes to that server in clear text.
 * The last session of each TLS server is kept and offered on the next connection
 * (resumption). */
#ifndef TCPPOOL_H
#define TCPPOOL_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define TCPPOOL_PER_SERVER     4        /* connections to one server (per thread) ... */
#define TCPPOOL_SPREAD         8        /* ... a new one once each has this many in flight */
#define TCPPOOL_MAX_PENDING    64       /* queries in flight on one connection */
#define TCPPOOL_MAX_CONNS      64       /* connections in one pool */
#define TCPPOOL_IDLE_SECONDS   3.0      /* nothing asked on a connection this long: closed */

#define TCPPOOL_SESSIONS       16       /* TLS servers whose last session is kept */

struct stats;
struct tcppool;
struct tcppool_query;
struct tls_ctx;

enum tcppool_result {
    TCPPOOL_FAILED,         /* the connection failed (refused, reset, closed) before the reply */
    TCPPOOL_REPLY,          /* msg/len hold the reply (valid only during the call) */
    TCPPOOL_TLS_FAILED,     /* TLS: the server's certificate failed the check */
};

typedef void tcppool_done_fn(void *arg, enum tcppool_result result, uint8_t *msg, size_t len);

/* A TLS upstream: the client context and the name the certificate must show (copied). */
struct tcppool_tls {
    struct tls_ctx *ctx;
    const char *auth_name;
};

struct tcppool *tcppool_new(struct ev_loop *loop, struct stats *stats);
/* Closes every connection; queries still in flight get no callback (their owners are
 * gone: a worker frees its mesh first). */
void tcppool_free(struct tcppool *pool);

/* Sends the DNS message `query` (len octets, ID first, no length prefix) to `server`,
 * from `source` when not NULL. `done` is called exactly once, later (never from inside
 * this call), unless tcppool_cancel is called first. NULL: no connection has room (or no
 * memory, or no socket): the caller asks over a connection of its own. A query that was
 * in flight on a connection the server closed after it had answered others (an idle
 * close racing our query) is sent once more on another connection. */
struct tcppool_query *tcppool_send(struct tcppool *pool, const struct sockaddr_storage *server,
                                   const struct sockaddr_storage *source,
                                   const uint8_t *query, size_t len,
                                   tcppool_done_fn *done, void *arg);
/* tcppool_send over TLS (tls != NULL); NULL also when the TLS session cannot be made. */
struct tcppool_query *tcppool_send_tls(struct tcppool *pool,
                                       const struct sockaddr_storage *server,
                                       const struct sockaddr_storage *source,
                                       const struct tcppool_tls *tls,
                                       const uint8_t *query, size_t len,
                                       tcppool_done_fn *done, void *arg);
/* The owner no longer wants the reply (timeout, cancelled resolution). Its ID stays taken
 * on the connection until the reply comes or the connection closes. */
void tcppool_cancel(struct tcppool_query *q);

/* Connections open now (for tests and diagnostics). */
size_t tcppool_connections(const struct tcppool *pool);

#endif
