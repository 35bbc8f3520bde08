/* request.h -- one client question, from packet to reply: the lookup order.
 *
 * request_handle parses the question (wire.c), checks the ACL, and answers from, in order,
 * the hosts file, the local zones and the cache; on a miss it hands the question to the
 * thread's resolve hook (context.h: workers.c passes it to the mesh of the question's
 * owner), which answers later. Every request ends in exactly one reply_send (reply.h: a
 * reply, or none for a dropped packet), which is what releases a TCP connection's hold on
 * the request. */
#ifndef REQUEST_H
#define REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

struct daemon;
struct reply_target;
struct thread_ctx;
struct wire_query;

/* Handles one query packet. For TCP the caller has taken a hold on the connection
 * (listener_tcp_hold); it is released by the reply. */
void request_handle(struct thread_ctx *ctx, const uint8_t *pkt, size_t len,
                    const struct reply_target *t);

enum local_source { LOCAL_NONE, LOCAL_HOSTS, LOCAL_ZONE };

/* The answer of the hosts file, or else of a local zone, to q as a response packet (QR
 * set; the caller frees it), with *from saying which; NULL and LOCAL_NONE when neither
 * has the name. No counters are touched (`trace` uses it too). */
ldns_pkt *request_local_answer(struct daemon *d, const struct wire_query *q,
                               enum local_source *from);

#endif
