/* outbound.h -- one query to one upstream server, never blocking.
 *
 * A non-blocking UDP socket on a random source port (CSPRNG), connect()ed to the server
 * so the kernel drops datagrams from other addresses; a random ID; a libev timer. A reply
 * is accepted only if it comes from the server's address and port and carries our ID and
 * our question; anything else is ignored and counted. With case_randomise (0x20) the
 * question's letters go out in random case and the reply must echo them exactly; when only
 * UDP replies with the case changed came in time, the query is asked again over TCP (a
 * forger may have sent them), and a server that changes the case over TCP too is reported
 * as OUTBOUND_CASE_MISMATCH so the caller can retry it without 0x20. A truncated (TC) reply
 * is retried
 * over TCP to the same server within the same time budget (and reported to params.infra:
 * then queries to that server start over TCP for a while, see infra_prefer_tcp); TCP uses the
 * thread's reused connections when params.tcp_pool is given (tcppool.h). With params.tls
 * the query goes over TLS on the pool from the start (no UDP, no connection of its own). The reply handed to `done` is
 * validated and has its OPT record removed, ready for the cache. */
#ifndef OUTBOUND_H
#define OUTBOUND_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct infra;
struct stats;
struct outbound;
struct tcppool;
struct tcppool_tls;

enum outbound_status {
    OUTBOUND_OK,            /* msg/len hold the validated reply */
    OUTBOUND_TIMEOUT,       /* no acceptable reply in time */
    OUTBOUND_NETERR,        /* socket error, e.g. port unreachable */
    OUTBOUND_BADREPLY,      /* a reply we cannot use (malformed, extended rcode) */
    OUTBOUND_CASE_MISMATCH, /* the server changed the question's case (0x20), over TCP */
    OUTBOUND_TLS_CERT,      /* TLS (params.tls): the server's certificate failed the check */
};

struct outbound_params {
    struct sockaddr_storage server;
    socklen_t server_len;
    struct sockaddr_storage source;         /* outgoing-interface for this family ... */
    bool has_source;                        /* ... when set (copied: reloads free configs) */
    const uint8_t *qname;                   /* wire, copied */
    size_t qname_len;
    uint16_t qtype, qclass;
    bool rd;
    bool case_randomise;                    /* 0x20: random letter case, echoed exactly */
    uint16_t edns_size;                     /* 0: no EDNS */
    bool dnssec_ok;                         /* the DO bit (with EDNS): we validate */
    uint32_t timeout_ms;
    struct infra *infra;                    /* NULL, or told of TC=1 replies (infra_report_tc)
                                             * and asked whether to start over TCP */
    struct tcppool *tcp_pool;               /* NULL, or the thread's shared TCP connections
                                             * (tcppool.h); without one (or when it is full)
                                             * a TCP query has a connection of its own */
    const struct tcppool_tls *tls;          /* NULL, or DNS over TLS (`forward-tls`): only
                                             * over tcp_pool, never in clear text; read
                                             * during outbound_start only */
};

/* `msg` is only valid during the call. `rtt` is in seconds. */
typedef void outbound_done_fn(void *arg, enum outbound_status status, uint8_t *msg,
                              size_t len, double rtt);

/* Starts the query; `done` is called exactly once, later (never from inside this call),
 * unless outbound_cancel is called first. Returns NULL if no socket could be made. */
struct outbound *outbound_start(struct ev_loop *loop, struct stats *stats,
                                const struct outbound_params *p, outbound_done_fn *done,
                                void *arg);
void outbound_cancel(struct outbound *o);

#endif
