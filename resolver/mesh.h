/* mesh.h -- resolutions in flight, de-duplicated.
 *
 * The first client to ask (name, type, class) on a cache miss starts a resolution; every
 * client asking the same while it runs joins it, and all are answered from the one
 * result of resolve.c, each in its own ID, case and EDNS size, and in its form (DNSSEC
 * records for clients that set DO; bogus data for clients that set CD only). The answer is cached (by
 * resolve.c) before the waiters are answered. Waiters are answered through their target's
 * reply callback (reply.h), so the mesh knows nothing of the listener or of request.c. */
#ifndef MESH_H
#define MESH_H

#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>

struct mesh;
struct reply_target;
struct resolve_answer;
struct thread_ctx;
struct wire_query;

/* The mesh of the worker whose context is ctx (its loop, its counters). `max-outstanding`
 * and half the descriptor limit are split evenly over `shares` meshes (one per worker). */
struct mesh *mesh_new(struct thread_ctx *ctx, size_t shares);
/* Drops every resolution in flight; waiters are released without a reply (shutdown). */
void mesh_free(struct mesh *m);

/* Joins or starts the resolution of q; the reply goes to t later (or at once, SERVFAIL,
 * when there is nowhere to resolve the name or a limit is hit). */
void mesh_resolve(struct mesh *m, const struct wire_query *q, const struct reply_target *t);

/* Refreshes q's cached answer in the background (prefetch): a job with no waiter, whose
 * answer only goes into the cache. Nothing happens when q is in flight already (clients
 * asking it meanwhile join the job as usual); the prefetch is skipped, and counted, when
 * prefetches hold their share (a tenth) of this mesh's jobs or the jobs are full -- a
 * prefetch never drops a client's resolution. */
void mesh_prefetch(struct mesh *m, const struct wire_query *q);

/* What one waiter of a resolution gets from its outcome: the form for DO clients when it set
 * DO, else the plain one (*len set); NULL -- SERVFAIL saying ans->why -- when there is no
 * answer, or when it is bogus (DNSSEC) and the client did not set CD (RFC 4035 3.2.2: only
 * a CD client gets bogus data). A pure function (tests/unit/test_mesh.c). */
const uint8_t *mesh_answer_for(const struct resolve_answer *ans, const struct wire_query *q,
                               size_t *len);

#endif
