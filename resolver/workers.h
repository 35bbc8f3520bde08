/* workers.h -- the serving threads (`threads N`) and how they share the daemon.
 *
 * Every worker thread has its own `struct thread_ctx` (context.h): its loop, its listener
 * (SO_REUSEPORT sockets on every listen address), its mesh (with an equal share of
 * `max-outstanding`), its counters; the shared state (config, hosts, zones, hints, caches,
 * infra, the priming state) it reads from the one `struct daemon` through ctx->d. The
 * main thread serves no queries: it runs the control socket, the signals and the
 * hosts-file watch, in its own context (daemon.main_thread).
 *
 * The world lock: a worker holds it for reading whenever it runs callbacks (libev's
 * release/acquire hooks drop it while the loop sleeps); the main thread takes it for
 * writing to change the daemon's shared pointers (reload, hosts edits) or to read every
 * worker's counters, so no worker ever sees a half-swapped config or a freed table. The
 * caches have their own locks (cache.h, rrcache.h, infra.h) and need no world lock.
 *
 * Misses are resolved by one worker per question: the one the question's hash picks. A
 * worker that misses on a question another worker owns posts it there, so a burst of the
 * same question from clients spread over all threads still costs one resolution; a
 * prefetch (a refresh no client waits for) goes to the same owner. Replies
 * to TCP clients go back, by post, to the worker that owns the connection; UDP replies are
 * sent at once from the answering thread (sendto on a shared socket is thread-safe). The
 * posts are reached through the hooks of the worker's context (context.h: ctx->resolve,
 * ctx->prefetch, ctx->tcp_reply), which request.c and listener.c call without including
 * this file. */
#ifndef WORKERS_H
#define WORKERS_H

#include <stddef.h>
#include <stdint.h>

struct daemon;
struct stats;

/* Makes cfg->threads worker contexts (0: one per online CPU) for the daemon d, each
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

/* The counters of every thread, main included, summed (under workers_pause). */
void workers_stats(struct daemon *d, struct stats *sum);
void workers_stats_reset(struct daemon *d);

#endif
