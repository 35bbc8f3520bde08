/* mesh.c -- resolutions in flight, keyed by (name, type, class), each with its waiters.
 *
 * A job is one resolution of resolve.c (which owns the route -- forward zone, iteration,
 * the forward-first fall-back -- and the answer's way into the cache); the mesh only joins
 * the clients asking the same, bounds how many run, and answers the waiters -- each in its
 * own form of the answer (mesh_answer_for): with its DNSSEC records for a client that set
 * DO, without for the others; a bogus answer's data only for a client that set CD, the
 * others getting SERVFAIL with the validator's EDE.
 *
 * Invariant: a key has at most one job; every waiter of a job is answered exactly once,
 * when the job ends (from the result, or SERVFAIL), or, with serve-stale, from the expired
 * entry when the job fails or outlives serve-stale-client-timeout (the waiter then leaves
 * the job, which goes on to refresh the cache), or, at shutdown (mesh_free), released
 * without a reply. A burst of clients asking the same uncached name therefore costs one
 * resolution. Bounds: `max-outstanding` resolutions (shared out over the worker threads)
 * and `max-clients-per-query` clients per resolution. When the resolutions are full the
 * oldest is dropped (its clients get SERVFAIL) to make room -- if it has run longer than
 * `jostle-timeout`: under a flood of unique names the new questions, still wanted, win over
 * ones that have waited long and are the likeliest to be hopeless, while resolutions that
 * are young and still making progress are kept (else at a high rate every one would be
 * dropped before it could finish, and nothing would be answered); when the oldest is young
 * the new question gets SERVFAIL instead. A client beyond a resolution's waiter cap gets
 * SERVFAIL at once. Every such SERVFAIL names the limit in its Extended DNS Error (EDE 0,
 * Other, with a text), as one from a failed resolution says why it failed. After a burst
 * of at least MESH_TRIM_AFTER resolutions has drained, malloc_trim gives the memory they
 * used back to the system. The job cap also keeps upstream sockets within half the file
 * descriptor limit, so there are always descriptors left for clients. A job started
 * before a reload that flushed the cache does not store its (possibly stale) answer.
 * A prefetch (mesh_prefetch) is a job that starts with no waiter: its answer only
 * refreshes the cache; prefetches hold at most a tenth of the jobs and never jostle. */
#include "mesh.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cache.h"
#include "config.h"
#include "context.h"
#include "ede.h"
#include "htable.h"
#include "log.h"
#include "reply.h"
#include "resolve.h"
#include "wire.h"

#define MESH_SLOTS        256       /* to begin with: the table doubles as it fills */
#define MESH_TRIM_AFTER   1000      /* resolutions in flight at once that make a burst */
#define MESH_PREFETCH_SHARE 10      /* prefetches: at most 1/10 of this mesh's jobs */

struct mesh_waiter {
    struct mesh_waiter *next;
    struct wire_query q;
    struct reply_target target;
};

struct mesh_job {
    struct htable_node node;        /* in mesh.jobs; node.hash = the wire_query's qname_hash */
    struct mesh_job *older, *newer; /* the age list: oldest first */
    struct mesh *mesh;
    uint8_t qname[WIRE_MAX_NAME];   /* lower-case */
    size_t qname_len;
    uint16_t qtype, qclass;
    struct mesh_waiter *waiters;
    size_t n_waiters;
    struct resolve *res;            /* the resolution */
    bool prefetch;                  /* started by a prefetch (counts in mesh.n_prefetch) */
    ev_timer stale_timer;           /* serve-stale: serve-stale-client-timeout for the clients */
    bool stale_late;                /* ... has run out: later joiners are answered stale */
};

struct mesh {
    struct thread_ctx *ctx;         /* the worker this mesh belongs to */
    struct daemon *d;               /* ctx->d */
    size_t shares;                  /* max-outstanding is split evenly over this many meshes */
    size_t fd_share;                /* jobs this mesh may have by the descriptor limit */
    struct htable jobs;             /* by (name, type, class) */
    struct mesh_job *oldest, *newest;
    size_t n_jobs;
    size_t n_prefetch;              /* of which started by a prefetch */
    size_t peak;                    /* most jobs at once since the last trim */
};

struct mesh *mesh_new(struct thread_ctx *ctx, size_t shares)
{
    struct mesh *m = calloc(1, sizeof *m);
    struct rlimit nofile;

    if (!m)
        return NULL;
    if (htable_init(&m->jobs, MESH_SLOTS) != 0) {
        free(m);
        return NULL;
    }
    m->ctx = ctx;
    m->d = ctx->d;
    m->shares = shares ? shares : 1;
    m->fd_share = SIZE_MAX;
    /* every worker thread has a mesh: they share half the descriptors */
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY)
        m->fd_share = nofile.rlim_cur / 2 / m->shares;
    return m;
}

/* This mesh's part of max-outstanding (read at each use: a reload may change it). */
static size_t max_jobs(const struct mesh *m)
{
    size_t share = m->d->cfg->max_outstanding / m->shares;
    if (share == 0)
        share = 1;
    return share < m->fd_share ? share : m->fd_share;
}

/* Prefetches may hold this share of the jobs (at least one): they are worth doing, but
 * never at the cost of a client's question. */
static size_t max_prefetch(const struct mesh *m)
{
    size_t cap = max_jobs(m) / MESH_PREFETCH_SHARE;
    return cap ? cap : 1;
}

static struct mesh_job *find_job(const struct mesh *m, const struct wire_query *q)
{
    for (struct htable_node *n = htable_chain(&m->jobs, q->qname_hash); n; n = n->next) {
        struct mesh_job *j = HTABLE_ENTRY(n, struct mesh_job, node);
        if (n->hash == q->qname_hash && j->qtype == q->qtype && j->qclass == q->qclass &&
            j->qname_len == q->qname_len && memcmp(j->qname, q->qname_lc, j->qname_len) == 0)
            return j;
    }
    return NULL;
}

static void job_link(struct mesh *m, struct mesh_job *job, uint64_t hash)
{
    htable_insert(&m->jobs, &job->node, hash);
    job->older = m->newest;
    job->newer = NULL;
    if (m->newest)
        m->newest->newer = job;
    else
        m->oldest = job;
    m->newest = job;
    m->n_jobs++;
    if (m->n_jobs > m->peak)
        m->peak = m->n_jobs;
    m->ctx->stats.mesh_outstanding++;
}

static void job_unlink(struct mesh_job *job)
{
    struct mesh *m = job->mesh;

    htable_remove(&m->jobs, &job->node);
    if (job->older)
        job->older->newer = job->newer;
    else
        m->oldest = job->newer;
    if (job->newer)
        job->newer->older = job->older;
    else
        m->newest = job->older;
    m->n_jobs--;
    if (job->prefetch)
        m->n_prefetch--;
    m->ctx->stats.mesh_outstanding--;
}

/* After a burst has drained (this mesh had at least half its cap, or MESH_TRIM_AFTER, in
 * flight and now has none), the memory it used goes back to the system. Called once the
 * waiters are answered, so they never wait for it. */
static void trim_after_burst(struct mesh *m)
{
    size_t burst = max_jobs(m) / 2 < MESH_TRIM_AFTER ? max_jobs(m) / 2 : MESH_TRIM_AFTER;

    if (m->n_jobs == 0 && m->peak >= burst && m->peak >= 64) {
        m->peak = 0;
        malloc_trim(0);
    }
}

static void job_free(struct mesh_job *job)
{
    ev_timer_stop(job->mesh->ctx->loop, &job->stale_timer);
    while (job->waiters) {
        struct mesh_waiter *w = job->waiters;
        job->waiters = w->next;
        free(w);
    }
    free(job);
}

/* ---- serve-stale (RFC 8767) ---------------------------------------------------------------- */

/* Answers one client from the expired entry of its question: false when there is none. */
static bool answer_stale(struct mesh *m, const struct wire_query *q, const struct reply_target *t)
{
    uint8_t buf[WIRE_MAX_UDP + WIRE_MAX_NAME];  /* finished in place, as a cache hit is */
    size_t len = cache_lookup_stale(m->d->cache, q->qname_lc, q->qname_len, q->qtype,
                                    q->qclass, q->edns_do, time(NULL), buf, WIRE_MAX_UDP, NULL);
    if (len == 0)
        return false;
    reply_stale(m->ctx, q, t, buf, len, buf, sizeof buf);
    return true;
}

/* The resolution runs past serve-stale-client-timeout: its clients get the expired entry,
 * if there is one, and leave the job, which goes on (with no waiter, like a prefetch) to
 * refresh the cache. Clients joining from now on get it at once. */
static void stale_timeout(struct ev_loop *loop, ev_timer *timer, int revents)
{
    struct mesh_job *job = timer->data;
    struct mesh_waiter **p = &job->waiters;
    (void)loop, (void)revents;

    job->stale_late = true;
    while (*p) {
        struct mesh_waiter *w = *p;
        if (!answer_stale(job->mesh, &w->q, &w->target))
            return;                 /* one question, one entry: none is there */
        *p = w->next;
        job->n_waiters--;
        free(w);
    }
}

/* A client waits on the job: with serve-stale its client timeout runs from the first
 * one (a prefetch job gets its timer when a client joins it). */
static void job_arm_stale(struct mesh_job *job)
{
    if (job->mesh->d->cfg->serve_stale && !job->stale_late && !ev_is_active(&job->stale_timer))
        ev_timer_start(job->mesh->ctx->loop, &job->stale_timer);
}

/* No usable answer (RFC 8767 4: none at all, SERVFAIL or REFUSED): with serve-stale the
 * clients get the expired entry instead. ans NULL: the job was dropped for room. */
static bool resolution_failed(const struct resolve_answer *ans)
{
    int rcode = ans && ans->msg && ans->len >= WIRE_HEADER_LEN ? WIRE_RCODE(ans->msg) : -1;

    return rcode < 0 || rcode == WIRE_RCODE_SERVFAIL || rcode == WIRE_RCODE_REFUSED;
}

const uint8_t *mesh_answer_for(const struct resolve_answer *ans, const struct wire_query *q,
                               size_t *len)
{
    if (!ans || !ans->msg || (ans->bogus && !(q->flags_lo & 0x10)))
        return NULL;
    bool dnssec = q->edns_do && ans->dnssec_msg;
    *len = dnssec ? ans->dnssec_len : ans->len;
    return dnssec ? ans->dnssec_msg : ans->msg;
}

/* Answers every waiter: from ans (its form: mesh_answer_for), or SERVFAIL saying why (ans NULL: the job was dropped
 * for room) -- with serve-stale, a failed resolution's waiters from the expired entry when
 * there is one, and a failed refresh starts the entry's back-off (cache.h), so the next
 * clients are answered stale at once. */
static void answer_waiters(struct mesh *m, struct mesh_job *job, const struct resolve_answer *ans)
{
    static const struct resolve_reason dropped = {
        EDE_OTHER, "dropped to make room for newer questions (max-outstanding)" };
    const struct resolve_reason *why = ans ? &ans->why : &dropped;
    bool stale = m->d->cfg->serve_stale && resolution_failed(ans);

    if (stale && ans)
        cache_stale_backoff(m->d->cache, job->qname, job->qname_len, job->qtype, job->qclass,
                            time(NULL));
    for (struct mesh_waiter *w = job->waiters; w; w = w->next) {
        if (stale && answer_stale(m, &w->q, &w->target))
            continue;
        size_t len;
        const uint8_t *msg = mesh_answer_for(ans, &w->q, &len);
        if (ans && ans->msg && ans->bogus && msg)
            m->ctx->stats.val_bogus_cd++;
        if (msg) {                  /* per client, as the other sources of answers count */
            stats_count_resolved(&m->ctx->stats, ans->source, 1);
            reply_answer(m->ctx, &w->q, &w->target, msg, len);
        } else {
            reply_error_ede(m->ctx, &w->q, &w->target, WIRE_RCODE_SERVFAIL, why->ede, why->text);
        }
    }
}

/* The resolution ended (its answer already cached): answer every waiter. */
static void job_done(void *arg, const struct resolve_answer *ans)
{
    struct mesh_job *job = arg;
    struct mesh *m = job->mesh;

    job->res = NULL;
    job_unlink(job);
    answer_waiters(m, job, ans);
    job_free(job);
    trim_after_burst(m);
}

static bool job_add_waiter(struct mesh_job *job, const struct wire_query *q,
                           const struct reply_target *t, struct resolve_reason *why)
{
    struct mesh_waiter *w;

    bool full = job->n_waiters >= job->mesh->d->cfg->max_clients_per_query;

    if (full || !(w = malloc(sizeof *w))) {
        job->mesh->ctx->stats.mesh_refused++;
        *why = (struct resolve_reason){ EDE_OTHER, full ?
            "too many clients waiting for this name (max-clients-per-query)" : "out of memory" };
        return false;
    }
    w->q = *q;
    w->target = *t;
    w->target.batch = NULL;         /* answered later, outside the batch it came in */
    w->next = job->waiters;
    job->waiters = w;
    job->n_waiters++;
    return true;
}

/* Makes room: the oldest resolution ends now, its clients answered SERVFAIL. */
static void drop_oldest(struct mesh *m)
{
    struct mesh_job *job = m->oldest;

    job_unlink(job);
    resolve_cancel(job->res);
    m->ctx->stats.mesh_dropped++;
    answer_waiters(m, job, NULL);
    job_free(job);
}

/* A new job for q, its resolution started (not yet linked); NULL with *why saying why
 * when none could be. */
static struct mesh_job *job_new(struct mesh *m, const struct wire_query *q, bool prefetch,
                                struct resolve_reason *why)
{
    struct mesh_job *job = calloc(1, sizeof *job);

    *why = (struct resolve_reason){ EDE_OTHER, "out of memory" };
    if (!job)
        return NULL;
    job->mesh = m;
    ev_timer_init(&job->stale_timer, stale_timeout,
                  m->d->cfg->serve_stale_client_timeout_ms / 1000.0, 0);
    job->stale_timer.data = job;
    memcpy(job->qname, q->qname_lc, q->qname_len);
    job->qname_len = q->qname_len;
    job->qtype = q->qtype;
    job->qclass = q->qclass;
    struct resolve_query rq = { .ctx = m->ctx, .qname_lc = job->qname,
                                .qname_len = job->qname_len, .qtype = job->qtype,
                                .qclass = job->qclass, .refresh = prefetch };
    struct resolve_options opt = { .generation = m->d->cache_generation, .failed = why };
    /* nothing running (no socket for any forwarder, no hints): answer now, never park */
    if (!(job->res = resolve_start(&rq, &opt, job_done, job))) {
        log_debug("cannot resolve the name now (no forwarder socket, no root hints): SERVFAIL");
        free(job);
        return NULL;
    }
    return job;
}

/* A client's job: makes room first, dropping the oldest if it has run long enough; NULL
 * with *why saying why not. */
static struct mesh_job *job_start(struct mesh *m, const struct wire_query *q,
                                  struct resolve_reason *why)
{
    *why = (struct resolve_reason){ EDE_OTHER, "too many questions in flight (max-outstanding)" };
    while (m->n_jobs >= max_jobs(m)) {
        /* the part running now is what jostling judges: a forward-first fall-back to
         * iteration is a fresh start */
        if (!m->oldest || ev_now(m->ctx->loop) - resolve_stage_started(m->oldest->res) <
                              m->d->cfg->jostle_timeout_ms / 1000.0)
            return NULL;            /* everything in flight is young: the newcomer waits */
        drop_oldest(m);
    }
    return job_new(m, q, false, why);
}

void mesh_resolve(struct mesh *m, const struct wire_query *q, const struct reply_target *t)
{
    struct mesh_job *job = find_job(m, q);
    struct resolve_reason why;

    if (job) {
        m->ctx->stats.mesh_joined++;
        if (job->stale_late && answer_stale(m, q, t))
            return;
    } else if ((job = job_start(m, q, &why)) != NULL) {
        job_link(m, job, q->qname_hash);
    } else {
        m->ctx->stats.mesh_refused++;
    }
    if (!job || !job_add_waiter(job, q, t, &why)) {
        reply_error_ede(m->ctx, q, t, WIRE_RCODE_SERVFAIL, why.ede, why.text);
        return;
    }
    job_arm_stale(job);
}

void mesh_prefetch(struct mesh *m, const struct wire_query *q)
{
    struct mesh_job *job;
    struct resolve_reason why;

    if (find_job(m, q))
        return;                     /* in flight already: its answer is the refresh */
    if (m->n_prefetch >= max_prefetch(m) || m->n_jobs >= max_jobs(m) ||
        !(job = job_new(m, q, true, &why))) {
        m->ctx->stats.prefetch_skipped++;
        return;
    }
    job->prefetch = true;
    m->n_prefetch++;
    job_link(m, job, q->qname_hash);
    m->ctx->stats.prefetch_started++;
}

/* At shutdown: ends one job without answering its clients (the table goes with it). */
static void job_release(struct htable_node *n, void *arg)
{
    struct mesh_job *job = HTABLE_ENTRY(n, struct mesh_job, node);
    struct mesh *m = arg;

    resolve_cancel(job->res);
    for (struct mesh_waiter *w = job->waiters; w; w = w->next)
        reply_send(m->ctx, &w->target, NULL, 0);   /* releases TCP holds */
    job_free(job);
}

void mesh_free(struct mesh *m)
{
    if (!m)
        return;
    htable_walk(&m->jobs, job_release, m);
    htable_fini(&m->jobs);
    free(m);
}
