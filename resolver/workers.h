/* workers.h -- the serving threads (`threads N`) and how they share the daemon.
 *
 * Every worker thread has its own context: a `struct daemon` of its own whose per-thread
 * parts (loop, listener with SO_REUSEPORT sockets on every listen address, mesh, stats)
 * are its alone, and whose shared parts (config, hosts, zones, hints, caches, infra, the
 * priming state) point at the main context's objects. The main thread serves no queries: it runs
 * the control socket, the signals and the hosts-file watch.
 *
 * The world lock: a worker holds it for reading whenever it runs callbacks (libev's
 * release/acquire hooks drop it while the loop sleeps); the main thread takes it for
 * writing to change shared pointers (reload, hosts edits) or to read every worker's
 * counters, so no worker ever sees a half-swapped config or a freed table. The caches
 * have their own locks (cache.h, rrcache.h, infra.h) and need no world lock.
 *
 * Misses are resolved by one worker per question: the one the question's hash picks. A
 * worker that misses on a question another worker owns posts it there, so a burst of the
 * same question from clients spread over all threads still costs one resolution. Replies
 * to TCP clients go back, by post, to the worker that owns the connection; UDP replies are
 * sent at once from the answering thread (sendto on a shared socket is thread-safe). */
#ifndef WORKERS_H
#define WORKERS_H

#include <stddef.h>
#include <stdint.h>

struct daemon;
struct reply_target;
struct stats;
struct wire_query;

/* Makes cfg->threads worker contexts (0: one per online CPU) for the main context d, each
 * with its listening sockets bound (as root, for port 53); a bind error fails (-1). */
int workers_open(struct daemon *d);
/* Starts their threads (after the privileges are dropped: no thread ever runs as root). */
int workers_run(struct daemon *d);
/* Stops and joins every worker, then frees what each owned. */
void workers_stop(struct daemon *d);
size_t workers_count(const struct daemon *d);

/* The world lock, for writing (main thread only; a no-op before workers_open). */
void workers_pause(struct daemon *d);
void workers_resume(struct daemon *d);
/* After the main context's shared pointers changed (under workers_pause): copies them to
 * every worker context. */
void workers_sync(struct daemon *d);

/* The counters of every thread, main included, summed (under workers_pause). */
void workers_stats(struct daemon *d, struct stats *sum);
void workers_stats_reset(struct daemon *d);

/* Resolves q for t on the worker that owns the question (ctx itself, or by post). */
void workers_resolve(struct daemon *ctx, const struct wire_query *q, const struct reply_target *t);
/* Sends a TCP reply from a thread that does not own the connection: the owner gets a copy
 * by post. Returns 0 when posted (or when no post is needed: then -1, send it yourself). */
int workers_tcp_reply(struct daemon *ctx, const struct reply_target *t, const uint8_t *reply,
                      size_t len);

#endif
