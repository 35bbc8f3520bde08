/* request.h -- one client question, from packet to reply: the lookup order.
 *
 * request_handle parses the question (wire.c), checks the ACL, and answers from, in order,
 * the hosts file, the local zones and the cache; on a miss it hands the question to the
 * mesh, which answers later through request_answer. Every request ends in exactly one
 * request_send (a reply, or none for a dropped packet), which is what releases a TCP
 * connection's hold on the request. */
#ifndef REQUEST_H
#define REQUEST_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

struct daemon;
struct tcp_conn;
struct udp_batch;
struct wire_query;

/* Where the reply to a query goes. Small and copyable: the mesh keeps one per waiter. */
struct reply_target {
    int udp_fd;                         /* UDP: the socket the query came in on */
    struct sockaddr_storage peer;       /* the client */
    socklen_t peer_len;
    struct tcp_conn *tcp;               /* TCP: the connection (held until the reply) */
    struct daemon *owner;               /* the thread context whose listener got the query */
    struct udp_batch *batch;            /* UDP, while the query is handled at once: replies
                                           join the batch (cleared in every stored copy) */
    ev_tstamp received;                 /* for the latency histogram */
};

/* Handles one query packet. For TCP the caller has taken a hold on the connection
 * (listener_tcp_hold); it is released by the reply. */
void request_handle(struct daemon *d, const uint8_t *pkt, size_t len,
                    const struct reply_target *t);

/* Shapes `body` (a stored/received response without OPT) as the reply to q and sends it.
 * body == NULL answers SERVFAIL. */
void request_answer(struct daemon *d, const struct wire_query *q,
                    const struct reply_target *t, const uint8_t *body, size_t body_len);

enum local_source { LOCAL_NONE, LOCAL_HOSTS, LOCAL_ZONE };

/* The answer of the hosts file, or else of a local zone, to q as a response packet (QR
 * set; the caller frees it), with *from saying which; NULL and LOCAL_NONE when neither
 * has the name. No counters are touched (`trace` uses it too). */
ldns_pkt *request_local_answer(struct daemon *d, const struct wire_query *q,
                               enum local_source *from);

/* Sends a finished reply (len 0: none) and counts it. */
void request_send(struct daemon *d, const struct reply_target *t, const uint8_t *reply,
                  size_t len);

#endif
