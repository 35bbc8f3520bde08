/* iterstage.c -- iteration as resolve.c sees it (the `iterate` stage), and root priming.
 *
 * A job wraps one root iter (iter.h): it is started from the loop (a zero timer, so `done`
 * never runs inside resolve_start), and its result is turned into a response message for
 * the cache. Priming (RFC 8109) is a job of its own for the root NS set, one for the whole
 * process: struct iterate_priming is shared by every thread, and its `busy` flag says
 * whether some thread runs one; the job and its owner are written only by the thread that
 * set the flag, and read at shutdown, after the threads have stopped. */
#include "iterate.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <ev.h>
#include <ldns/ldns.h>

#include "config.h"
#include "context.h"
#include "ede.h"
#include "iter.h"
#include "log.h"
#include "resolve.h"
#include "rrcache.h"

/* msg == NULL: the resolution failed, `why` says why and `ede` is its EDE code (ede.h).
 * msg is only valid during the call. */
typedef void iterate_done_fn(void *arg, uint8_t *msg, size_t len, int ede, const char *why,
                             const struct sockaddr_storage *server);

struct iterate_job {
    struct thread_ctx *ctx;
    struct iter *it;
    ev_timer kick;                  /* starts the iter from the loop, never from the caller */
    iterate_done_fn *done;
    void *arg;
};

static void job_kick(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct iterate_job *job = w->data;
    (void)loop;
    (void)revents;
    iter_run(job->it);
}

static void job_done(void *arg, struct iter *it, bool ok)
{
    struct iterate_job *job = arg;
    size_t len = 0;
    uint8_t *wire = ok ? iter_result_wire(it, &len) : NULL;
    int ede = ok && !wire ? EDE_OTHER : it->ede;
    const char *why = ok ? "out of memory" : it->why ? it->why : "iteration failed";

    struct sockaddr_storage server = it->answered_by;
    bool known = it->has_answered_by;
    iter_free(it);
    job->done(job->arg, wire, len, ede, why, known ? &server : NULL);
    free(wire);
    free(job);
}

/* Starts resolving; `done` is called later, exactly once, unless iterate_cancel comes
 * first. NULL when iteration is impossible (no root hints) or out of memory. trace (may
 * be NULL) gets every step; it must outlive the job. */
static struct iterate_job *iterate_start(struct thread_ctx *ctx, const uint8_t *qname_lc,
                                         size_t qname_len, uint16_t qtype, uint16_t qclass,
                                         struct trace *trace,
                                         const struct sockaddr_storage *avoid,
                                         iterate_done_fn *done, void *arg)
{
    struct iterate_job *job;

    if (!ctx->d->hints || !(job = calloc(1, sizeof *job)))
        return NULL;
    job->ctx = ctx;
    job->done = done;
    job->arg = arg;
    job->it = iter_new_root(ctx, qname_lc, qname_len, qtype, qclass, trace, job_done, job);
    if (!job->it) {
        free(job);
        return NULL;
    }
    if (avoid) {
        job->it->avoid = *avoid;
        job->it->has_avoid = true;
    }
    ev_timer_init(&job->kick, job_kick, 0, 0);
    job->kick.data = job;
    ev_timer_start(ctx->loop, &job->kick);
    return job;
}

static void iterate_cancel(struct iterate_job *job)
{
    if (!job)
        return;
    ev_timer_stop(job->ctx->loop, &job->kick);
    iter_free(job->it);
    free(job);
}

/* ---- the stage -------------------------------------------------------------------------- */

static void stage_done(void *arg, uint8_t *msg, size_t len, int ede, const char *why,
                       const struct sockaddr_storage *server)
{
    if (msg && server)
        resolve_note_server(arg, server);
    if (!msg)
        resolve_set_reason(arg, ede, why);
    resolve_stage_done(arg, msg ? RESOLVE_ANSWER : RESOLVE_FAIL, msg, len, msg ? NULL : why);
}

static enum resolve_verdict stage_start(struct resolve *r, void **state, const char **why)
{
    const struct resolve_query *q = resolve_query_of(r);

    if (!q->ctx->d->hints) {
        resolve_trace_route(q, "iterate", "no root hints: cannot iterate");
        *why = "no root hints";
        resolve_set_reason(r, EDE_OTHER, *why);
        return RESOLVE_FAIL;
    }
    resolve_trace_route(q, "iterate", "iterating from the root");
    *state = iterate_start(q->ctx, q->qname_lc, q->qname_len, q->qtype, q->qclass, q->trace,
                           q->avoid, stage_done, r);
    if (*state)
        return RESOLVE_WAIT;
    *why = "out of memory";
    return RESOLVE_FAIL;
}

static void stage_cancel(void *state)
{
    iterate_cancel(state);
}

const struct resolve_stage iterate_stage = { "iterate", stage_start, stage_cancel, NULL,
                                             NULL, false };

/* ---- priming: one root priming at a time for the whole process --------------------------- */

struct iterate_priming {
    atomic_bool busy;               /* a priming is in flight on some thread */
    struct iterate_job *job;        /* that priming; written only by the thread holding busy */
    struct thread_ctx *owner;       /* the thread whose loop runs it */
};

struct iterate_priming *iterate_priming_new(void)
{
    struct iterate_priming *p = calloc(1, sizeof *p);

    if (p)
        atomic_init(&p->busy, false);
    return p;
}

void iterate_priming_cancel(struct iterate_priming *p, struct thread_ctx *ctx)
{
    if (!p || !p->job || p->owner != ctx)
        return;
    iterate_cancel(p->job);
    p->job = NULL;
    p->owner = NULL;
    atomic_store(&p->busy, false);
}

void iterate_priming_free(struct iterate_priming *p)
{
    free(p);
}

static void prime_done(void *arg, uint8_t *msg, size_t len, int ede, const char *why,
                       const struct sockaddr_storage *server)
{
    struct iterate_priming *p = arg;
    (void)len;
    (void)server;
    (void)ede;

    p->job = NULL;
    p->owner = NULL;
    atomic_store(&p->busy, false);
    if (msg)
        log_info("primed the root name servers");
    else
        log_warn("priming the root name servers failed (%s); using the root hints", why);
}

void iterate_prime(struct thread_ctx *ctx)
{
    static const uint8_t root[1] = { 0 };
    struct daemon *d = ctx->d;
    struct iterate_priming *p = d->priming;
    ldns_rdf *root_name;
    ldns_rr_list *ns;

    if (!p || !d->hints || !d->cfg->root_priming || atomic_load(&p->busy))
        return;
    root_name = ldns_dname_new_frm_str(".");
    ns = root_name ? rrcache_lookup(d->rrcache, root_name, LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN,
                                    time(NULL), NULL) : NULL;
    ldns_rdf_deep_free(root_name);
    if (ns) {
        ldns_rr_list_deep_free(ns);
        return;
    }
    if (atomic_exchange(&p->busy, true))
        return;
    p->owner = ctx;
    p->job = iterate_start(ctx, root, sizeof root, LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN, NULL,
                           NULL, prime_done, p);
    if (!p->job) {
        p->owner = NULL;
        atomic_store(&p->busy, false);
    }
}
