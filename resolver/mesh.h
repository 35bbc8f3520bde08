/* mesh.h -- resolutions in flight, de-duplicated.
 *
 * The first client to ask (name, type, class) on a cache miss starts a resolution; every
 * client asking the same while it runs joins it, and all are answered from the one
 * result -- forwarded or iterated -- each in its own ID, case and EDNS size. The answer is
 * cached before the waiters are answered. */
#ifndef MESH_H
#define MESH_H

#include <stddef.h>
#include <stdint.h>

struct daemon;
struct mesh;
struct reply_target;
struct wire_query;

struct mesh *mesh_new(struct daemon *d);
/* Drops every resolution in flight; waiters are released without a reply (shutdown). */
void mesh_free(struct mesh *m);

/* Joins or starts the resolution of q; the reply goes to t later (or at once, SERVFAIL,
 * when there is nowhere to resolve the name or a limit is hit). */
void mesh_resolve(struct mesh *m, const struct wire_query *q, const struct reply_target *t);

/* Stores a resolution's answer (msg, modified: AA is cleared, we are not the authority for
 * data we fetched; a positive answer keeps only its answer section) in the message cache -- unless a reload flushed the cache since the
 * resolution started at `generation` -- and copies the stored entry, TTLs clamped as every
 * later hit will see them, into out. Returns that length; 0 when nothing was stored (then
 * msg, *len updated, is the answer to send). */
size_t mesh_cache_answer(struct daemon *d, const uint8_t *qname_lc, size_t qname_len,
                         uint16_t qtype, uint16_t qclass, uint8_t *msg, size_t *len,
                         unsigned generation, uint8_t *out, size_t cap);

#endif
