/* listener.h -- the client-facing sockets: UDP and TCP on every `listen` address.
 *
 * UDP datagrams and TCP frames (2-byte length prefix, RFC 1035 4.2.2) are handed to
 * request_handle, with a reply_target whose callback (reply.h) brings the reply back
 * here. TCP connections carry several queries at once and answer them in the order they
 * complete (RFC 7766); a connection stays open while it has queries pending, and closes
 * after `tcp-idle-timeout` of idleness. At most `tcp-max-connections` are open;
 * beyond that new connections are closed at once. */
#ifndef LISTENER_H
#define LISTENER_H

#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>

struct listener;
struct reply_target;
struct tcp_conn;
struct thread_ctx;

/* Opens every listen address of the config for the worker whose context is ctx (its loop,
 * its counters). lead: the first of threads workers, opened before the others; its UDP
 * sockets take every datagram while the load is low (udpsteer.h). NULL on error (the
 * reason is logged). */
struct listener *listener_open(struct thread_ctx *ctx, bool lead, unsigned threads);
/* Closes every socket and connection (replies still pending are dropped). */
void listener_close(struct listener *l);

/* A query read from c is in progress: c stays allocated until the matching release. */
void listener_tcp_hold(struct tcp_conn *c);
/* Queues a reply (len 0: no reply) on c and releases one hold; on c's own thread. */
void listener_tcp_reply(struct tcp_conn *c, const uint8_t *msg, size_t len);

/* The UDP reply callback (reply.h) of the targets the listener makes: the reply joins the
 * batch being handled (t->batch, one sendmmsg for all), or else leaves alone by sendto. */
void listener_send_udp(struct thread_ctx *ctx, const struct reply_target *t,
                       const uint8_t *reply, size_t len);

#endif
