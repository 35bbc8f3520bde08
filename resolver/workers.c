/* workers.c -- the serving threads, the world lock and the posts between threads.
 *
 * Owns: one `struct worker` per thread (its context, its pthread, its post queue), the
 * world lock, and the three kinds of post (see workers.h for the design):
 *
 *   RESOLVE    a question a worker missed on, for the worker that owns the question
 *   PREFETCH   a question whose cached answer is to be refreshed (no client), likewise
 *   TCP_REPLY  a finished reply (or a released hold, len 0) for the worker that owns the
 *              TCP connection
 *
 * A post is one malloc'd struct appended to the target's queue under its mutex, then an
 * ev_async_send; the target runs them on its own loop. At shutdown every thread is joined
 * first; what is still queued or in a mesh is then released on the main thread, where no
 * other thread runs any more, so TCP holds reach their connections directly. */
#include "workers.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cachedb.h"
#include "config.h"
#include "context.h"
#include "ede.h"
#include "iterate.h"
#include "listener.h"
#include "log.h"
#include "mesh.h"
#include "reply.h"
#include "stats.h"
#include "tcppool.h"
#include "wire.h"

enum post_kind { POST_RESOLVE, POST_PREFETCH, POST_TCP_REPLY };

struct post {
    struct post *next;
    enum post_kind kind;
    struct wire_query q;            /* RESOLVE, PREFETCH */
    struct reply_target t;          /* RESOLVE, TCP_REPLY */
    size_t len;                     /* TCP_REPLY: the reply follows */
    uint8_t reply[];
};

/* Cache-line aligned: each worker writes its own counters on every query, and its
 * neighbour in the array must not share those lines. */
struct worker {
    _Alignas(64) struct thread_ctx ctx; /* this thread's context (context.h) */
    pthread_t thread;
    bool started;
    ev_async wake;                  /* posts arrived, or time to stop */
    pthread_mutex_t lock;           /* guards posts and stopping */
    struct post *posts, **posts_tail;
    bool stopping;
};

struct workers {
    struct worker *w;
    size_t n;
    pthread_rwlock_t world;
    bool joined;                    /* every thread has ended: act directly */
};

/* ---- the world lock ------------------------------------------------------------------- */

static void loop_release(struct ev_loop *loop)
{
    struct thread_ctx *ctx = ev_userdata(loop);
    pthread_rwlock_unlock(&ctx->d->workers->world);
}

static void loop_acquire(struct ev_loop *loop)
{
    struct thread_ctx *ctx = ev_userdata(loop);
    pthread_rwlock_rdlock(&ctx->d->workers->world);
}

/* The worker whose context ctx is (only worker contexts get the hooks that call this). */
static struct worker *worker_of(struct thread_ctx *ctx)
{
    return (struct worker *)((char *)ctx - offsetof(struct worker, ctx));
}

void workers_pause(struct daemon *d)
{
    if (d->workers)
        pthread_rwlock_wrlock(&d->workers->world);
}

void workers_resume(struct daemon *d)
{
    if (d->workers)
        pthread_rwlock_unlock(&d->workers->world);
}

/* ---- posts ------------------------------------------------------------------------------ */

static void post(struct worker *to, struct post *p)
{
    p->next = NULL;
    pthread_mutex_lock(&to->lock);
    *to->posts_tail = p;
    to->posts_tail = &p->next;
    pthread_mutex_unlock(&to->lock);
    ev_async_send(to->ctx.loop, &to->wake);
}

static void run_post(struct thread_ctx *ctx, struct post *p)
{
    if (p->kind == POST_RESOLVE)
        mesh_resolve(ctx->mesh, &p->q, &p->t);
    else if (p->kind == POST_PREFETCH)
        mesh_prefetch(ctx->mesh, &p->q);
    else
        listener_tcp_reply(p->t.tcp, p->reply, p->len);
    free(p);
}

static struct post *take_posts(struct worker *w, bool *stopping)
{
    pthread_mutex_lock(&w->lock);
    struct post *all = w->posts;
    w->posts = NULL;
    w->posts_tail = &w->posts;
    *stopping = w->stopping;
    pthread_mutex_unlock(&w->lock);
    return all;
}

static void wake_cb(struct ev_loop *loop, ev_async *a, int revents)
{
    struct worker *w = a->data;
    bool stopping;
    (void)revents;

    for (struct post *p = take_posts(w, &stopping), *next; p; p = next) {
        next = p->next;
        run_post(&w->ctx, p);
    }
    if (stopping)
        ev_break(loop, EVBREAK_ALL);
}

static struct worker *owner_of(struct workers *ws, uint64_t qname_hash)
{
    /* the high half: the mesh and cache tables use the low bits of the same hash */
    return &ws->w[(qname_hash >> 32) % ws->n];
}

/* The worker that owns q when it is another thread than ctx's; NULL when it is ctx's. */
static struct worker *other_owner(struct thread_ctx *ctx, const struct wire_query *q)
{
    struct workers *ws = ctx->d->workers;
    struct worker *owner = ws->n > 1 && !ws->joined ? owner_of(ws, q->qname_hash) : NULL;

    return owner && &owner->ctx != ctx ? owner : NULL;
}

/* The resolve hook of every worker's context (context.h). */
static void resolve_on_owner(struct thread_ctx *ctx, const struct wire_query *q,
                             const struct reply_target *t)
{
    struct worker *owner = other_owner(ctx, q);
    struct post *p;

    if (!owner) {
        mesh_resolve(ctx->mesh, q, t);
        return;
    }
    if (!(p = malloc(sizeof *p))) {
        reply_error_ede(ctx, q, t, WIRE_RCODE_SERVFAIL, EDE_OTHER, "out of memory");
        return;
    }
    p->kind = POST_RESOLVE;
    p->q = *q;
    p->t = *t;
    p->t.batch = NULL;              /* the batch is this thread's, and answered later */
    post(owner, p);
}

/* The prefetch hook of every worker's context (context.h). */
static void prefetch_on_owner(struct thread_ctx *ctx, const struct wire_query *q)
{
    struct worker *owner = other_owner(ctx, q);
    struct post *p;

    if (!owner) {
        mesh_prefetch(ctx->mesh, q);
        return;
    }
    if (!(p = malloc(sizeof *p))) {
        ctx->stats.prefetch_skipped++;
        return;
    }
    p->kind = POST_PREFETCH;
    p->q = *q;
    post(owner, p);
}

/* The TCP reply hook of every worker's context (context.h). */
static int tcp_reply_to_owner(struct thread_ctx *ctx, const struct reply_target *t,
                              const uint8_t *reply, size_t len)
{
    struct workers *ws = ctx->d->workers;
    struct post *p;

    if (!t->tcp || !t->owner || t->owner == ctx || ws->joined)
        return -1;
    if (!(p = malloc(sizeof *p + len))) {
        /* keep the hold rather than touch another thread's connection: it is closed at
         * shutdown; a client meanwhile times out on this one query */
        log_err("out of memory passing a TCP reply to its thread");
        return 0;
    }
    p->kind = POST_TCP_REPLY;
    p->t = *t;
    p->len = len;
    if (len)
        memcpy(p->reply, reply, len);
    post(worker_of(t->owner), p);
    return 0;
}

/* ---- threads ------------------------------------------------------------------------------ */

static void *worker_main(void *arg)
{
    struct worker *w = arg;

    loop_acquire(w->ctx.loop);
    ev_run(w->ctx.loop, 0);
    loop_release(w->ctx.loop);
    return NULL;
}

static size_t thread_count(const struct config *cfg)
{
    long cpus;

    if (cfg->threads > 0)
        return (size_t)cfg->threads;
    cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 0 ? (size_t)cpus : 1;
}

/* The worker's own context: its loop, listener, mesh and counters, the daemon's state by
 * pointer. w is zeroed. */
static int worker_init(struct daemon *d, struct worker *w, size_t n_workers, bool lead)
{
    w->ctx.d = d;
    w->ctx.resolve = resolve_on_owner;
    w->ctx.prefetch = prefetch_on_owner;
    w->ctx.tcp_reply = tcp_reply_to_owner;
    w->posts_tail = &w->posts;
    if (pthread_mutex_init(&w->lock, NULL) != 0 || !(w->ctx.loop = ev_loop_new(EVFLAG_AUTO)))
        return -1;
    ev_set_userdata(w->ctx.loop, &w->ctx);
    ev_set_loop_release_cb(w->ctx.loop, loop_release, loop_acquire);
    ev_async_init(&w->wake, wake_cb);
    w->wake.data = w;
    ev_async_start(w->ctx.loop, &w->wake);
    w->ctx.tcppool = tcppool_new(w->ctx.loop, &w->ctx.stats);
    w->ctx.mesh = w->ctx.tcppool ? mesh_new(&w->ctx, n_workers) : NULL;
    w->ctx.cachedb = cachedb_open(&w->ctx);   /* NULL without cachedb: the stage passes */
    w->ctx.listener = w->ctx.mesh ? listener_open(&w->ctx, lead, (unsigned)n_workers) : NULL;
    return w->ctx.listener ? 0 : -1;
}

/* Frees what the worker's context owns; its thread has ended (or never started). Called
 * for every worker in three passes (see workers_stop) because meshes and queues of one
 * worker may hold connections of another. */
static void worker_release_posts(struct worker *w)
{
    bool stopping;

    for (struct post *p = take_posts(w, &stopping), *next; p; p = next) {
        next = p->next;
        if (p->kind == POST_RESOLVE)
            reply_send(&w->ctx, &p->t, NULL, 0);        /* releases a TCP hold */
        else if (p->kind == POST_TCP_REPLY)
            listener_tcp_reply(p->t.tcp, p->reply, p->len);
        free(p);
    }
}

static void worker_release_mesh(struct worker *w)
{
    iterate_priming_cancel(w->ctx.d->priming, &w->ctx);
    mesh_free(w->ctx.mesh);
    w->ctx.mesh = NULL;
    cachedb_free(w->ctx.cachedb);   /* after the mesh: its lookups are all cancelled */
    w->ctx.cachedb = NULL;
}

static void worker_release_rest(struct worker *w)
{
    listener_close(w->ctx.listener);
    tcppool_free(w->ctx.tcppool);          /* after every mesh: no query is left on it */
    w->ctx.tcppool = NULL;
    if (w->ctx.loop) {
        ev_async_stop(w->ctx.loop, &w->wake);
        ev_loop_destroy(w->ctx.loop);
    }
    pthread_mutex_destroy(&w->lock);
}

static void release_all(struct workers *ws)
{
    ws->joined = true;
    for (size_t i = 0; i < ws->n; i++)
        worker_release_posts(&ws->w[i]);
    for (size_t i = 0; i < ws->n; i++)
        worker_release_mesh(&ws->w[i]);
    for (size_t i = 0; i < ws->n; i++)
        worker_release_rest(&ws->w[i]);
}

int workers_open(struct daemon *d)
{
    struct workers *ws = calloc(1, sizeof *ws);
    pthread_rwlockattr_t attr;

    if (!ws)
        return -1;
    ws->n = thread_count(d->cfg);
    ws->w = aligned_alloc(_Alignof(struct worker), ws->n * sizeof *ws->w); /* size: a multiple */
    if (ws->w)
        memset(ws->w, 0, ws->n * sizeof *ws->w);
    /* writers first: a reload must not wait behind a worker that keeps re-acquiring */
    if (!ws->w || pthread_rwlockattr_init(&attr) != 0 ||
        pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP) != 0 ||
        pthread_rwlock_init(&ws->world, &attr) != 0) {
        free(ws->w);
        free(ws);
        return -1;
    }
    pthread_rwlockattr_destroy(&attr);
    d->workers = ws;
    for (size_t i = 0; i < ws->n; i++) {
        if (worker_init(d, &ws->w[i], ws->n, i == 0 && ws->n > 1) != 0) {
            ws->n = i + 1;              /* release what was made, this one included */
            workers_stop(d);
            return -1;
        }
    }
    return 0;
}

int workers_run(struct daemon *d)
{
    struct workers *ws = d->workers;

    if (!ws)
        return -1;
    for (size_t i = 0; i < ws->n; i++) {
        if (pthread_create(&ws->w[i].thread, NULL, worker_main, &ws->w[i]) != 0) {
            log_err("cannot start worker thread %zu", i);
            workers_stop(d);
            return -1;
        }
        ws->w[i].started = true;
    }
    log_info("serving with %zu worker thread%s", ws->n, ws->n == 1 ? "" : "s");
    return 0;
}

void workers_stop(struct daemon *d)
{
    struct workers *ws = d->workers;

    if (!ws)
        return;
    for (size_t i = 0; i < ws->n; i++) {
        struct worker *w = &ws->w[i];
        if (!w->started)
            continue;
        pthread_mutex_lock(&w->lock);
        w->stopping = true;
        pthread_mutex_unlock(&w->lock);
        ev_async_send(w->ctx.loop, &w->wake);
    }
    for (size_t i = 0; i < ws->n; i++)
        if (ws->w[i].started)
            pthread_join(ws->w[i].thread, NULL);
    release_all(ws);
    pthread_rwlock_destroy(&ws->world);
    free(ws->w);
    free(ws);
    d->workers = NULL;
}

size_t workers_count(const struct daemon *d)
{
    return d && d->workers ? d->workers->n : 0;
}

void workers_stats(struct daemon *d, struct stats *sum)
{
    memset(sum, 0, sizeof *sum);
    stats_add(sum, &d->main_thread.stats);
    for (size_t i = 0; d->workers && i < d->workers->n; i++)
        stats_add(sum, &d->workers->w[i].ctx.stats);
}

void workers_stats_reset(struct daemon *d)
{
    stats_reset(&d->main_thread.stats);
    for (size_t i = 0; d->workers && i < d->workers->n; i++)
        stats_reset(&d->workers->w[i].ctx.stats);
}
