/* cachedb.h -- the shared cache: a Redis that several resolverd instances read and write.
 *
 * The `cachedb` stage of resolve.c (route.c: first, before forward and iterate): a miss of
 * the local cache asks Redis (one MGET: the flush generation and the answer's key,
 * cachedbval.h). A usable value is the answer (resolve.c then stores it in the local cache
 * as any answer); anything else passes the question on, and the answer the later stages
 * find is written back (`SET key value EX ttl`, not waited for) through the stage's
 * `answered` function.
 *
 * Never blocking: hiredis's async API on the thread's libev loop, one connection per
 * thread (pipelined: every lookup and write is one more command on it). Each lookup has an
 * ev_timer of cachedb-timeout; the first that fires drops the connection (every lookup
 * still pending on it passes on at once) and Redis is skipped until a reconnection, tried
 * with back-off (0.1 s doubling to 3 s), has answered a PING. So a Redis that is down,
 * stalled or restarting costs at most one client one timeout per connection, and a lookup
 * never waits on a connection that is not known to answer.
 *
 * Flushes reach every instance: after a `flush*` control command (control.c calls
 * cachedb_share_flush), `flush-type NAME TYPE` deletes that key; `flush NAME` deletes the
 * keys in the name's key set (every store adds its key there); every wider flush bumps the
 * generation (INCR): values carry the generation they were written under, and one of an
 * older one reads as a miss. Then the command is published on the flush channel, to which
 * every instance's main thread is subscribed (cachedb_open_subscriber): each runs the same
 * flush on its own local cache. The hostnames in `cachedb redis` are addresses (no lookup:
 * that would block).
 *
 * With `cachedb sentinel HOST:PORT NAME` every connection attempt first asks that Sentinel
 * which server is NAME's primary (SENTINEL get-master-addr-by-name), so the reconnections
 * after a primary died find the promoted replica; a primary that answers a write with
 * READONLY (demoted) is dropped the same way. Redis Cluster: hiredis 0.14 cannot. */
#ifndef CACHEDB_H
#define CACHEDB_H

#include <stdint.h>

struct cachedb;
struct resolve_stage;
struct thread_ctx;

extern const struct resolve_stage cachedb_stage;

/* The Redis connection of ctx's thread (its lookups, writes and, on the main thread, the
 * flushes it shares), connecting from ctx's loop. NULL when cachedb is not configured (or
 * no memory: then the stage passes every question on). */
struct cachedb *cachedb_open(struct thread_ctx *ctx);

/* Runs a flush command line that another instance published (no sharing again). */
typedef void cachedb_apply_fn(void *arg, const char *line);
/* The main thread's subscription to the flush channel; own messages (from `publisher`,
 * this process's main connection) are skipped. NULL when cachedb is not configured. */
struct cachedb *cachedb_open_subscriber(struct thread_ctx *ctx, const struct cachedb *publisher,
                                        cachedb_apply_fn *apply, void *arg);
/* Closes the connection; every lookup pending on it is released. */
void cachedb_free(struct cachedb *c);

/* A flush command (words[0] the command, then its n - 1 arguments) that ran here: removes
 * what it names from Redis and publishes it to every instance. c may be NULL. */
void cachedb_share_flush(struct cachedb *c, char **words, int n);

#endif
