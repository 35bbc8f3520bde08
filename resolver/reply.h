/* reply.h -- where a client's reply goes, and the last steps every reply takes.
 *
 * A `struct reply_target` names the client and carries its reply callback, `send`, which
 * the listener that received the query installs (listener.c: UDP into the batch or by
 * sendto, TCP onto the connection -- posted to the connection's thread when another
 * thread answers). Unbound's comm_point_callback_type is the model: the modules that
 * answer (request.c at once, the mesh later) never call the listener; they hand the
 * finished reply to the target's callback through reply_send, so the listener depends on
 * them and not the other way round.
 *
 * reply_finish shapes a stored or received response as the reply to one question (ID,
 * the client's case, EDNS, truncation to the client's size; SERVFAIL when there is no
 * usable body); reply_error_ede builds a SERVFAIL or REFUSED that says why (EDE); reply_send counts the reply (rcode, latency) on the answering thread and
 * sends it. Every query ends in exactly one reply_send (len 0 for a dropped packet), which
 * is what releases a TCP connection's hold on the query. */
#ifndef REPLY_H
#define REPLY_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct reply_target;
struct tcp_conn;
struct thread_ctx;
struct udp_batch;
struct wire_query;

/* Sends a finished reply (len 0: none, releasing what the query held), from the thread
 * whose context is ctx (not necessarily the one that received the query). */
typedef void reply_send_fn(struct thread_ctx *ctx, const struct reply_target *t,
                           const uint8_t *reply, size_t len);

/* Where the reply to a query goes. Small and copyable: the mesh keeps one per waiter. */
struct reply_target {
    reply_send_fn *send;                /* installed by the listener */
    int udp_fd;                         /* UDP: the socket the query came in on */
    struct sockaddr_storage peer;       /* the client */
    socklen_t peer_len;
    struct tcp_conn *tcp;               /* TCP: the connection (held until the reply) */
    bool tls;                           /* ... and it is a TLS one (`listen-tls`) */
    struct thread_ctx *owner;           /* the thread whose listener got the query */
    struct udp_batch *batch;            /* UDP, while the query is handled at once: replies
                                           join the batch (cleared in every stored copy) */
    ev_tstamp received;                 /* for the latency histogram */
};

/* Counts the reply on ctx and hands it to t->send (len 0: no reply). */
void reply_send(struct thread_ctx *ctx, const struct reply_target *t, const uint8_t *reply,
                size_t len);
/* Shapes `body` (a stored/received response without OPT) into out (cap bytes; may be body
 * itself) as the reply to q and sends it. body == NULL, or one that cannot be shaped,
 * answers SERVFAIL. */
void reply_finish(struct thread_ctx *ctx, const struct wire_query *q,
                  const struct reply_target *t, const uint8_t *body, size_t body_len,
                  uint8_t *out, size_t cap);
/* reply_finish, the reply then marked with the Extended DNS Error `ede` (ede.h; negative:
 * none) when the client sent EDNS and there is room (wire_add_ede). */
void reply_finish_ede(struct thread_ctx *ctx, const struct wire_query *q,
                      const struct reply_target *t, const uint8_t *body, size_t body_len,
                      uint8_t *out, size_t cap, int ede);
/* A serve-stale answer (RFC 8767): body is an expired entry as cache_lookup_stale gives it
 * (TTLs 30); sent with EDE 3, Stale Answer (19, Stale NXDOMAIN Answer, for an NXDOMAIN) and
 * counted in answers.stale. out, cap as for reply_finish. */
void reply_stale(struct thread_ctx *ctx, const struct wire_query *q,
                 const struct reply_target *t, const uint8_t *body, size_t body_len,
                 uint8_t *out, size_t cap);
/* reply_finish with a buffer of its own. */
void reply_answer(struct thread_ctx *ctx, const struct wire_query *q,
                  const struct reply_target *t, const uint8_t *body, size_t body_len);
/* Answers q with an empty reply of this rcode. */
void reply_error(struct thread_ctx *ctx, const struct wire_query *q,
                 const struct reply_target *t, int rcode);
/* reply_error saying why as an Extended DNS Error (RFC 8914): `ede` (ede.h) and a short
 * text (may be NULL), in the OPT -- so only when the client sent EDNS, and the text only
 * when the client's size leaves room for it. EDE_NONE: no option. */
void reply_error_ede(struct thread_ctx *ctx, const struct wire_query *q,
                     const struct reply_target *t, int rcode, int ede, const char *text);

#endif
