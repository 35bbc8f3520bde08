/* forward.c -- forward zones: the longest-suffix match, and failover across upstreams.
 *
 * A job walks its zone's upstream list in order, one outbound query at a time. What
 * counts as a failure worth trying the next server for: no reply in time, a network error,
 * an unusable reply, any rcode but NOERROR and NXDOMAIN (a server that will not or cannot
 * answer). NOERROR and NXDOMAIN replies are the answer. When every one failed, the client's
 * SERVFAIL says so (EDE 22, or 23 when all failed by network errors). The job keeps copies of
 * the addresses, so a reload that frees the old config does not pull them from under it. */
#include "forward.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "context.h"
#include "ede.h"
#include "log.h"
#include "outbound.h"
#include "resolve.h"
#include "trace.h"
#include "wire.h"

/* One job per resolution in flight (up to max-outstanding of them), so it is sized to what
 * it holds: the zone's upstreams, copied, and the zone's name only when traced. */
struct upstream {
    struct sockaddr_storage addr;
    socklen_t len;
};

/* msg == NULL: every upstream failed; by network errors only when `network`. msg is
 * only valid during the call. */
typedef void forward_done_fn(void *arg, uint8_t *msg, size_t len, bool network);

struct forward_job {
    struct thread_ctx *ctx;     /* the thread it runs on */
    int n_upstreams, next;
    int failed, neterrs;        /* upstreams that failed us; those by a network error */
    uint8_t qname[WIRE_MAX_NAME];
    size_t qname_len;
    uint16_t qtype, qclass;
    struct outbound *query;     /* the one in flight */
    struct trace *trace;        /* NULL unless traced */
    char *zone;                 /* the forward zone's name as text, for the trace (traced only) */
    forward_done_fn *done;
    void *arg;
    struct upstream upstreams[];
};

/* Names and zones are both lower-cased wire form, so this is a label walk and a memcmp
 * per zone: nothing printed, nothing escaped. The longest zone is the closest. */
const struct config_forward *forward_find(const struct config *cfg, const uint8_t *qname_lc,
                                          size_t qname_len)
{
    const struct config_forward *best = NULL;

    for (size_t i = 0; i < cfg->n_forwards; i++) {
        const struct config_forward *f = &cfg->forwards[i];
        if ((!best || f->zone_len > best->zone_len) &&
            wire_name_at_or_below(qname_lc, qname_len, f->zone, f->zone_len))
            best = f;
    }
    return best;
}

static bool start_next(struct forward_job *job);

static void trace_sent(struct forward_job *job, int i)
{
    struct trace_step *s = trace_add(job->trace, TRACE_QUERY, 0);

    if (!s)
        return;
    addr_to_str(&job->upstreams[i].addr, s->server, sizeof s->server);
    snprintf(s->zone, sizeof s->zone, "%s", job->zone ? job->zone : "?");
    wire_name_to_str(job->qname, job->qname_len, s->name, sizeof s->name);
    trace_set_type(s->type, job->qtype);
    snprintf(s->verdict, sizeof s->verdict, "sent");
}

static void trace_reply(struct forward_job *job, enum outbound_status status, const uint8_t *msg,
                        double rtt, bool failed)
{
    static const char *const why[] = {
        [OUTBOUND_TIMEOUT] = "timeout", [OUTBOUND_NETERR] = "network-error",
        [OUTBOUND_BADREPLY] = "unusable", [OUTBOUND_CASE_MISMATCH] = "case-mismatch",
    };
    struct trace_step *s = trace_last_query(job->trace, 0);

    if (!s)
        return;
    if (status != OUTBOUND_TIMEOUT)
        s->rtt_ms = rtt * 1000;
    if (status != OUTBOUND_OK) {
        snprintf(s->verdict, sizeof s->verdict, "%s", why[status] ? why[status] : "error");
    } else {
        int rcode = WIRE_RCODE(msg);
        snprintf(s->verdict, sizeof s->verdict, "%s",
                 rcode == WIRE_RCODE_NOERROR ? (WIRE_ANCOUNT(msg) ? "answer" : "nodata") :
                 rcode == WIRE_RCODE_NXDOMAIN ? "nxdomain" : "error-rcode");
        trace_printf(s->detail, "rcode %d, %u answer record%s", rcode, WIRE_ANCOUNT(msg),
                     WIRE_ANCOUNT(msg) == 1 ? "" : "s");
    }
    if (failed)
        trace_printf(s->detail + strlen(s->detail), "%s%s",
                     s->detail[0] ? ": " : "", job->next < job->n_upstreams ?
                     "trying the next forwarder" : "no forwarder left");
}

/* Only NOERROR and NXDOMAIN are answers about the name; anything else (SERVFAIL, REFUSED,
 * FORMERR from a server that dislikes our query, NOTIMP ...) says the server could not
 * answer, which the client must not mistake for a verdict on its own query. */
static bool worth_another_server(enum outbound_status status, const uint8_t *msg)
{
    if (status != OUTBOUND_OK)
        return true;
    int rcode = WIRE_RCODE(msg);
    return rcode != WIRE_RCODE_NOERROR && rcode != WIRE_RCODE_NXDOMAIN;
}

static void job_free(struct forward_job *job)
{
    free(job->zone);
    free(job);
}

static void upstream_done(void *arg, enum outbound_status status, uint8_t *msg, size_t len,
                          double rtt)
{
    struct forward_job *job = arg;
    char where[64];

    job->query = NULL;
    trace_reply(job, status, msg, rtt, worth_another_server(status, msg));
    if (worth_another_server(status, msg)) {
        job->failed++;
        job->neterrs += status == OUTBOUND_NETERR;
        log_debug("forwarder %s failed (status %d%s) after %.0f ms",
                  addr_to_str(&job->upstreams[job->next - 1].addr, where, sizeof where), status,
                  status == OUTBOUND_OK ? ", rcode not NOERROR/NXDOMAIN" : "", rtt * 1000);
        if (start_next(job))
            return;
        msg = NULL;
        len = 0;
    }
    job->done(job->arg, msg, len, job->neterrs == job->failed);
    job_free(job);
}

/* Starts a query to the next upstream; false when none is left. */
static bool start_next(struct forward_job *job)
{
    const struct config *cfg = job->ctx->d->cfg;

    while (job->next < job->n_upstreams) {
        int i = job->next++;
        struct outbound_params p = {
            .server_len = job->upstreams[i].len,
            .qname = job->qname, .qname_len = job->qname_len,
            .qtype = job->qtype, .qclass = job->qclass,
            .rd = true,
            .edns_size = cfg->edns_buffer_size,
            .timeout_ms = cfg->upstream_timeout_ms,
            .tcp_pool = job->ctx->tcppool,
        };
        memcpy(&p.server, &job->upstreams[i].addr, sizeof p.server);
        p.has_source = config_outgoing_for(cfg, p.server.ss_family, &p.source);
        job->query = outbound_start(job->ctx->loop, &job->ctx->stats, &p, upstream_done, job);
        if (job->query) {
            trace_sent(job, i);
            return true;
        }
        job->failed++;              /* no socket for it: a network error */
        job->neterrs++;
    }
    return false;
}

/* Starts a job; `done` is called later, exactly once, unless forward_cancel comes first.
 * NULL when nothing could be sent at all. trace (may be NULL) gets a step for every
 * upstream asked; it must outlive the job. */
static struct forward_job *forward_start(struct thread_ctx *ctx, const struct config_forward *fz,
                                  const uint8_t *qname_lc, size_t qname_len, uint16_t qtype,
                                  uint16_t qclass, struct trace *trace, forward_done_fn *done,
                                  void *arg)
{
    struct forward_job *job;

    if (qname_len > WIRE_MAX_NAME || fz->n_upstreams < 1 ||
        !(job = calloc(1, sizeof *job + (size_t)fz->n_upstreams * sizeof job->upstreams[0])))
        return NULL;
    job->ctx = ctx;
    job->n_upstreams = fz->n_upstreams;
    for (int i = 0; i < fz->n_upstreams; i++) {
        memcpy(&job->upstreams[i].addr, &fz->upstreams[i], sizeof job->upstreams[i].addr);
        job->upstreams[i].len = fz->upstream_lens[i];
    }
    memcpy(job->qname, qname_lc, qname_len);
    job->qname_len = qname_len;
    job->qtype = qtype;
    job->qclass = qclass;
    job->done = done;
    job->arg = arg;
    job->trace = trace;
    if (trace) {                        /* text only for the trace; NULL: it says "?" */
        char text[WIRE_MAX_NAME * 4 + 2];
        job->zone = strdup(wire_name_to_str(fz->zone, fz->zone_len, text, sizeof text));
    }
    if (!start_next(job)) {
        job_free(job);
        return NULL;            /* no socket for any upstream: the caller fails at once */
    }
    return job;
}

static void forward_cancel(struct forward_job *job)
{
    if (!job)
        return;
    outbound_cancel(job->query);
    job_free(job);
}

/* ---- the stage ------------------------------------------------------------------------- */

/* Every forwarder timed out or would not answer: No Reachable Authority; every one was
 * out of the network's reach: Network Error (RFC 8914 4.23, 4.24). */
static void stage_done(void *arg, uint8_t *msg, size_t len, bool network)
{
    struct resolve *r = arg;
    bool first = resolve_query_of(r)->ctx->d->cfg->forward_first;

    if (msg) {
        resolve_stage_done(r, RESOLVE_ANSWER, msg, len, NULL);
        return;
    }
    resolve_set_reason(r, network ? EDE_NETWORK_ERROR : EDE_NO_REACHABLE_AUTHORITY,
                       "every forwarder failed");
    resolve_stage_done(r, first ? RESOLVE_NEXT : RESOLVE_FAIL, NULL, 0, first ?
                       "every forwarder failed (forward-first yes)" : "every forwarder failed");
}

static enum resolve_verdict stage_start(struct resolve *r, void **state, const char **why)
{
    const struct resolve_query *q = resolve_query_of(r);
    const struct config_forward *fz = forward_find(q->ctx->d->cfg, q->qname_lc, q->qname_len);

    if (!fz) {
        *why = "no forward zone covers the name";
        return RESOLVE_NEXT;
    }
    if (q->trace) {                     /* the zone as text: for the trace only */
        char zone[WIRE_MAX_NAME * 4 + 2];
        wire_name_to_str(fz->zone, fz->zone_len, zone, sizeof zone);
        resolve_trace_route(q, "forward", "forward zone %s: %d upstream%s%s", zone,
                            fz->n_upstreams, fz->n_upstreams == 1 ? "" : "s",
                            q->ctx->d->cfg->forward_first ?
                            ", iteration if all fail (forward-first yes)" : "");
    }
    *state = forward_start(q->ctx, fz, q->qname_lc, q->qname_len, q->qtype, q->qclass, q->trace,
                           stage_done, r);
    if (*state)
        return RESOLVE_WAIT;
    *why = q->ctx->d->cfg->forward_first ? "no forwarder could be asked (forward-first yes)"
                                    : "no forwarder could be asked";
    resolve_set_reason(r, EDE_NETWORK_ERROR, "no forwarder could be asked");
    return q->ctx->d->cfg->forward_first ? RESOLVE_NEXT : RESOLVE_FAIL;
}

static void stage_cancel(void *state)
{
    forward_cancel(state);
}

const struct resolve_stage forward_stage = { "forward", stage_start, stage_cancel };
