/* forward.c -- forward zones: the longest-suffix match, and failover across upstreams.
 *
 * A job asks its zone's upstreams one outbound query at a time, in the order fwdselect.c
 * gives from what the infra cache knows of them (forward-policy; the ones down left out
 * while another is live). What counts as a failure worth trying the next server for: no
 * reply in time, a network error, an unusable reply, any rcode but NOERROR and NXDOMAIN (a
 * server that will not or cannot answer). NOERROR and NXDOMAIN replies are the answer.
 * When every one failed, the client's SERVFAIL says so (EDE 22, or 23 when all failed by
 * network errors).
 *
 * Health: every reply (any rcode: the server is there) is an RTT sample for the infra
 * cache (infra_fwd_reply); a timeout, network error or unusable reply is a failure there
 * (infra_fwd_failed), which may mark the upstream down. The job that marks one down logs it
 * and, with forward-probe yes, hands it to the background prober (fwdprobe.h), which brings
 * it back; with forward-probe no, a client query retries it once its wait is over. Upstream
 * queries get the fixed upstream-timeout, not an RTO learnt from the SRTT: a forwarder
 * answers its cache hits in a millisecond and its misses after a resolution of its own, and
 * an RTO from the first would cut the second short.
 *
 * The job keeps copies of the addresses, so a reload that frees the old config does not
 * pull them from under it. */
#include "forward.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "context.h"
#include "ede.h"
#include "fwdprobe.h"
#include "fwdselect.h"
#include "infra.h"
#include "log.h"
#include "outbound.h"
#include "resolve.h"
#include "tcppool.h"
#include "trace.h"
#include "wire.h"

/* One job per resolution in flight (up to max-outstanding of them), so it is sized to what
 * it holds: the upstreams to ask, copied in the order to ask them, and the zone's name only
 * when traced. */
struct upstream {
    struct sockaddr_storage addr;
    socklen_t len;
    bool retry;                 /* asked while down: its failure doubles its wait */
    char auth_name[CONFIG_MAX_AUTH_NAME];   /* `forward-tls`: the name its certificate shows */
};

/* Why every upstream failed: by network errors only, or (TLS) refused certificates. */
enum forward_failure { FORWARD_NO_ANSWER, FORWARD_NETWORK, FORWARD_TLS_CERT };

/* msg == NULL: every upstream failed, for the reason given. msg is only valid during
 * the call. */
typedef void forward_done_fn(void *arg, uint8_t *msg, size_t len, enum forward_failure why);

struct forward_job {
    struct thread_ctx *ctx;     /* the thread it runs on */
    int n_upstreams, next;      /* the upstreams to ask; the next one's index */
    int n_skipped;              /* the zone's upstreams left out (down), for the trace */
    int failed, neterrs;        /* upstreams that failed us; those by a network error */
    int certfails;              /* ... those whose TLS certificate failed the check */
    bool tls;                   /* a `forward-tls` zone */
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
        [OUTBOUND_TLS_CERT] = "tls-certificate-refused",
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

/* What the reply (or its absence) says of the upstream's health, for the infra cache. */
static void report_health(struct forward_job *job, const struct upstream *u,
                          enum outbound_status status, double rtt)
{
    struct daemon *d = job->ctx->d;
    time_t now = time(NULL);
    char where[64];
    unsigned wait;

    if (status == OUTBOUND_OK) {
        if (infra_fwd_reply(d->infra, &u->addr, (uint32_t)(rtt * 1000), now)) {
            job->ctx->stats.forward_recovered++;
            log_info("forwarder %s answers again: up",
                     addr_to_str(&u->addr, where, sizeof where));
        }
        return;
    }
    if (!infra_fwd_failed(d->infra, &u->addr, u->retry, now, &wait))
        return;
    job->ctx->stats.forward_marked_down++;
    log_warn("forwarder %s is down (%s): asking the zone's others first; %s in %u s",
             addr_to_str(&u->addr, where, sizeof where),
             status == OUTBOUND_TIMEOUT ? "no reply in time" : "network error or bad reply",
             d->cfg->forward_probe ? "probing it" : "retrying it", wait);
    if (d->cfg->forward_probe)
        fwdprobe_down(d->fwdprobe, &u->addr);
}

static void upstream_done(void *arg, enum outbound_status status, uint8_t *msg, size_t len,
                          double rtt)
{
    struct forward_job *job = arg;
    char where[64];

    job->query = NULL;
    report_health(job, &job->upstreams[job->next - 1], status, rtt);
    trace_reply(job, status, msg, rtt, worth_another_server(status, msg));
    if (worth_another_server(status, msg)) {
        job->failed++;
        job->neterrs += status == OUTBOUND_NETERR;
        job->certfails += status == OUTBOUND_TLS_CERT;
        log_debug("forwarder %s failed (status %d%s) after %.0f ms",
                  addr_to_str(&job->upstreams[job->next - 1].addr, where, sizeof where), status,
                  status == OUTBOUND_OK ? ", rcode not NOERROR/NXDOMAIN" : "", rtt * 1000);
        if (start_next(job))
            return;
        msg = NULL;
        len = 0;
    }
    job->done(job->arg, msg, len, job->certfails > 0 ? FORWARD_TLS_CERT
                                  : job->neterrs == job->failed ? FORWARD_NETWORK
                                  : FORWARD_NO_ANSWER);
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
            .dnssec_ok = job->ctx->d->anchors != NULL,
            .timeout_ms = cfg->upstream_timeout_ms,
            .tcp_pool = job->ctx->tcppool,
            .infra = job->ctx->d->infra,    /* TC=1 from it: TCP to it for a while */
        };
        struct tcppool_tls tls = { .ctx = job->ctx->d->tls_client,
                                   .auth_name = job->upstreams[i].auth_name };
        if (job->tls)
            p.tls = &tls;       /* read during outbound_start only */
        if (job->tls && !tls.ctx) {
            job->failed++;
            job->neterrs++;
            continue;
        }
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

/* The upstreams of fz to ask, in order, into job (fwdselect.h): what the infra cache
 * knows of each, the policy, and one random number for the exploration. */
static void choose_upstreams(struct forward_job *job, const struct config_forward *fz)
{
    const struct config *cfg = job->ctx->d->cfg;
    struct infra_fwd_health h[CONFIG_MAX_UPSTREAMS];
    int order[CONFIG_MAX_UPSTREAMS];
    bool retry[CONFIG_MAX_UPSTREAMS];
    time_t now = time(NULL);

    /* glibc's arc4random is a getrandom system call: drawn only where it is used */
    uint32_t rnd = cfg->forward_policy == CONFIG_FORWARD_FASTEST ? arc4random() : 0;

    for (int i = 0; i < fz->n_upstreams; i++)
        infra_fwd_health(job->ctx->d->infra, &fz->upstreams[i], now, &h[i]);
    job->n_upstreams = fwdselect_order(h, fz->n_upstreams, cfg->forward_policy,
                                       cfg->forward_probe, rnd, order, retry);
    for (int i = 0; i < job->n_upstreams; i++) {
        memcpy(&job->upstreams[i].addr, &fz->upstreams[order[i]], sizeof job->upstreams[i].addr);
        job->upstreams[i].len = fz->upstream_lens[order[i]];
        job->upstreams[i].retry = retry[i];
        if (fz->tls)                /* read only for `forward-tls` (calloc left it empty) */
            memcpy(job->upstreams[i].auth_name, fz->auth_names[order[i]],
                   sizeof job->upstreams[i].auth_name);
    }
    job->n_skipped = fz->n_upstreams - job->n_upstreams;
}

/* A job for the question, its upstreams chosen, nothing sent yet; NULL without memory.
 * trace (may be NULL) gets a step for every upstream asked; it must outlive the job. */
static struct forward_job *job_new(struct thread_ctx *ctx, const struct config_forward *fz,
                                   const struct resolve_query *q, forward_done_fn *done,
                                   void *arg)
{
    struct forward_job *job;

    if (q->qname_len > WIRE_MAX_NAME || fz->n_upstreams < 1 ||
        !(job = calloc(1, sizeof *job + (size_t)fz->n_upstreams * sizeof job->upstreams[0])))
        return NULL;
    job->ctx = ctx;
    job->tls = fz->tls;
    choose_upstreams(job, fz);
    memcpy(job->qname, q->qname_lc, q->qname_len);
    job->qname_len = q->qname_len;
    job->qtype = q->qtype;
    job->qclass = q->qclass;
    job->done = done;
    job->arg = arg;
    job->trace = q->trace;
    if (q->trace) {                     /* text only for the trace; NULL: it says "?" */
        char text[WIRE_MAX_NAME * 4 + 2];
        job->zone = strdup(wire_name_to_str(fz->zone, fz->zone_len, text, sizeof text));
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
static void stage_done(void *arg, uint8_t *msg, size_t len, enum forward_failure why)
{
    struct resolve *r = arg;
    bool first = resolve_query_of(r)->ctx->d->cfg->forward_first;

    if (msg) {
        resolve_stage_done(r, RESOLVE_ANSWER, msg, len, NULL);
        return;
    }
    if (why == FORWARD_TLS_CERT)
        resolve_set_reason(r, EDE_NETWORK_ERROR,
                           "forward-tls: an upstream's certificate failed the check");
    else
        resolve_set_reason(r, why == FORWARD_NETWORK ? EDE_NETWORK_ERROR
                                                     : EDE_NO_REACHABLE_AUTHORITY,
                           "every forwarder failed");
    resolve_stage_done(r, first ? RESOLVE_NEXT : RESOLVE_FAIL, NULL, 0, first ?
                       "every forwarder failed (forward-first yes)" : "every forwarder failed");
}

/* The route step of a traced job: the zone, its upstreams, those left out as down. */
static void trace_route(const struct resolve_query *q, const struct config_forward *fz,
                        const struct forward_job *job)
{
    char zone[WIRE_MAX_NAME * 4 + 2], down[80] = "";
    int retries = 0;

    wire_name_to_str(fz->zone, fz->zone_len, zone, sizeof zone);
    for (int i = 0; i < job->n_upstreams; i++)
        retries += job->upstreams[i].retry;
    if (job->n_skipped || retries)
        snprintf(down, sizeof down, " (%d down: %d skipped, %d asked as a retry)",
                 job->n_skipped + retries, job->n_skipped, retries);
    resolve_trace_route(q, "forward", "forward zone %s: %d upstream%s%s%s", zone,
                        fz->n_upstreams, fz->n_upstreams == 1 ? "" : "s", down,
                        q->ctx->d->cfg->forward_first ?
                        ", iteration if all fail (forward-first yes)" : "");
}

static enum resolve_verdict stage_start(struct resolve *r, void **state, const char **why)
{
    const struct resolve_query *q = resolve_query_of(r);
    bool first = q->ctx->d->cfg->forward_first;
    const struct config_forward *fz = forward_find(q->ctx->d->cfg, q->qname_lc, q->qname_len);
    struct forward_job *job;

    if (!fz) {
        *why = "no forward zone covers the name";
        return RESOLVE_NEXT;
    }
    job = job_new(q->ctx, fz, q, stage_done, r);
    if (job && q->trace)
        trace_route(q, fz, job);
    if (job && start_next(job)) {
        *state = job;
        return RESOLVE_WAIT;
    }
    if (job)
        job_free(job);          /* no socket for any upstream: the caller fails at once */
    *why = first ? "no forwarder could be asked (forward-first yes)"
                 : "no forwarder could be asked";
    resolve_set_reason(r, EDE_NETWORK_ERROR, "no forwarder could be asked");
    return first ? RESOLVE_NEXT : RESOLVE_FAIL;
}

static void stage_cancel(void *state)
{
    forward_cancel(state);
}

const struct resolve_stage forward_stage = { "forward", stage_start, stage_cancel, NULL,
                                             NULL, false };
