/* iterate.c -- the iterative resolver: one explicit state machine per resolution.
 *
 * Shape (after Unbound's iterator): `struct iter` holds one resolution; iter_run() calls the
 * process_<state>() function of its current state until one says STEP_WAIT (an upstream
 * reply or a sub-resolution is awaited: a libev callback resumes iter_run) or the state is
 * final. States:
 *
 *   NEXT_TARGET      a new name to resolve (the question, or a CNAME's target)
 *   FIND_DELEGATION  the closest delegation in the RRset cache, walking up; else root hints
 *   CHOOSE_SERVER    the best untried server of that delegation (RTT band + randomness)
 *   RESOLVE_NS       no server address left: resolve an NS name (glueless) in a child iter
 *   SEND             one query, RD=0, to the chosen server (qname minimised when on)
 *   WAITING          an upstream reply or a child resolution is awaited
 *   CLASSIFY         answer / CNAME / referral / negative / lame, after bailiwick scrubbing
 *   DONE, FAILED     final: the result goes to the `done` callback, the iter is freed
 *
 * DNSSEC: with trust anchors loaded, queries carry DO and the result keeps what the
 * validator needs, as the authorities sent it: every RRset of the answer followed by its
 * RRSIGs, and the NSEC/NSEC3 proofs (with a negative result's SOA and their RRSIGs) of
 * every reply the result was made from, the CNAME links' included (classify.c picks them).
 * Without anchors the result is what it always was: the answer and a negative SOA.
 *
 * Trees: a glueless NS name is resolved by a child iter of the same kind; children share
 * their root's budget (queries sent, deadline), and a child for a question an ancestor is
 * already resolving is never started (delegation loops end in FAILED, not recursion).
 * Around it: classify.c judges each reply (pure), delegpt.c holds the zone's servers and
 * picks one, itertrace.c writes the trace steps, iterstage.c runs it as resolve.c's stage. */
#include "iter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "addr.h"
#include "config.h"
#include "delegpt.h"
#include "context.h"
#include "ede.h"
#include "infra.h"
#include "iterate.h"
#include "itertrace.h"
#include "log.h"
#include "outbound.h"
#include "response.h"
#include "trace.h"
#include "wire.h"

time_t iter_now(void) { return time(NULL); }

bool iter_wants_dnssec(const struct iter *it) { return it->ctx->d->anchors != NULL; }

void iter_name_str(const ldns_rdf *name, char *out, size_t len)
{
    if (!name || ldns_rdf_size(name) > WIRE_MAX_NAME)
        snprintf(out, len, "?");
    else
        wire_name_to_str(ldns_rdf_data(name), ldns_rdf_size(name), out, len);
}

/* EDE_OTHER for a limit, why naming it. */
enum step iter_fail(struct iter *it, int ede, const char *why)
{
    itertrace_fail(it->trace, it->depth, it->target, it->qtype, why);
    it->why = why;
    it->ede = ede;
    it->state = ST_FAILED;
    return STEP_CONTINUE;
}

/* No server left: unreachable through the network when every one that failed did so by a
 * network error, else they timed out or were lame. */
static enum step fail_unreachable(struct iter *it)
{
    bool network = it->neterrs > 0 && it->neterrs == it->failures;
    return iter_fail(it, network ? EDE_NETWORK_ERROR : EDE_NO_REACHABLE_AUTHORITY,
                "no server left to ask");
}

static void deadline_passed(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct iter *it = w->data;
    (void)loop;
    (void)revents;

    it->why = "time limit for the question reached (question-timeout)";
    it->ede = EDE_OTHER;
    it->state = ST_FAILED;
    iter_run(it);
}

static struct iter *iter_new(struct thread_ctx *ctx, struct iter *parent, const ldns_rdf *qname,
                             ldns_rr_type qtype, ldns_rr_class qclass, iter_done_fn *done,
                             void *arg)
{
    struct iter *it = calloc(1, sizeof *it);

    if (!it)
        return NULL;
    it->ctx = ctx;
    it->parent = parent;
    it->depth = parent ? parent->depth + 1 : 0;
    it->budget = parent ? parent->budget : &it->own_budget;
    it->trace = parent ? parent->trace : NULL;
    delegpt_init(&it->dp, ctx->d->cfg, it->trace != NULL);
    it->qname = ldns_rdf_clone(qname);
    it->target = ldns_rdf_clone(qname);
    it->answer = ldns_rr_list_new();
    it->authority = ldns_rr_list_new();
    if (!it->qname || !it->target || !it->answer || !it->authority) {
        iter_free(it);
        return NULL;
    }
    ldns_dname2canonical(it->qname);
    ldns_dname2canonical(it->target);
    it->qtype = qtype;
    it->qclass = qclass;
    it->state = ST_NEXT_TARGET;
    it->done = done;
    it->done_arg = arg;
    if (!parent) {
        ev_timer_init(&it->deadline, deadline_passed, ctx->d->cfg->question_timeout_ms / 1000.0, 0);
        it->deadline.data = it;
        ev_timer_start(ctx->loop, &it->deadline);
    }
    return it;
}

/* ---- states ------------------------------------------------------------------------- */

static enum step process_next_target(struct iter *it)
{
    if (it->cnames > (int)it->ctx->d->cfg->max_cname_chain)
        return iter_fail(it, EDE_OTHER, "CNAME chain too long (max-cname-chain)");
    it->minimise = it->ctx->d->cfg->qname_minimisation;
    it->minimise_steps = 0;
    it->state = ST_FIND_DELEGATION;
    return STEP_CONTINUE;
}

/* The closest delegation whose servers can be reached (delegpt_find); priming starts when
 * it had to be the root hints. */
static enum step process_find_delegation(struct iter *it)
{
    enum delegpt_source from = delegpt_find(&it->dp, it->ctx->d->rrcache, it->ctx->d->hints,
                                            it->target, it->qtype, it->qclass, iter_now());

    if (from == DELEGPT_NONE)
        return iter_fail(it, EDE_OTHER, it->ctx->d->hints ? "out of memory" : "no root hints");
    itertrace_delegation(it->trace, it->depth, it->target, it->qtype, &it->dp,
                         from == DELEGPT_HINTS ? "hints" : "cache");
    if (from == DELEGPT_HINTS)
        iterate_prime(it->ctx);
    it->dp_from_cache = from == DELEGPT_CACHE;
    it->ns_addrless = 0;
    it->state = ST_CHOOSE_SERVER;
    return STEP_CONTINUE;
}

/* Every server of a cached delegation failed and some NS name had no address: the one
 * that worked may have expired, or the delegation changed; ask the parent side again,
 * as Unbound's last resort does (Deckard's iter_ns_badip). */
static bool ask_parent_again(struct iter *it)
{
    if (!it->dp_from_cache || it->ns_addrless == 0 || it->refetches++ >= ITER_MAX_REFETCH ||
        !delegpt_find_above(&it->dp, it->ctx->d->rrcache, it->ctx->d->hints, it->qclass, iter_now()))
        return false;
    itertrace_delegation(it->trace, it->depth, it->target, it->qtype, &it->dp, "parent");
    it->dp_from_cache = false;
    it->ns_addrless = 0;
    return true;
}

/* delegpt_choose, passing over the server to avoid while another is left. */
static struct delegpt_server *choose(struct iter *it, bool allow_backed_off)
{
    struct delegpt_server *s = delegpt_choose(&it->dp, it->ctx->d->infra, allow_backed_off,
                                              iter_now());
    if (!s || !it->has_avoid || !addr_equal(&s->addr, &it->avoid) || s->lame)
        return s;
    s->lame = true;                 /* for this choice only */
    struct delegpt_server *other = delegpt_choose(&it->dp, it->ctx->d->infra,
                                                  allow_backed_off, iter_now());
    s->lame = false;
    if (!other && delegpt_ns_left(&it->dp))
        return NULL;                /* another server may come of an NS name: resolve it */
    if (!other)
        return s;
    it->has_avoid = false;          /* avoided once: the retry may come back to it */
    return other;
}

static enum step process_choose_server(struct iter *it)
{
    struct delegpt_server *s = choose(it, false);
    if (!s && delegpt_ns_left(&it->dp)) {
        it->state = ST_RESOLVE_NS;
        return STEP_CONTINUE;
    }
    if (!s)                     /* all backed off: probe one */
        s = choose(it, true);
    if (!s && ask_parent_again(it))
        return STEP_CONTINUE;
    if (!s)
        return fail_unreachable(it);
    it->cur = (int)(s - it->dp.servers);
    it->state = ST_SEND;
    return STEP_CONTINUE;
}

/* ---- glueless delegations ------------------------------------------------------------ */

static bool ancestor_resolving(const struct iter *it, const ldns_rdf *name, ldns_rr_type type)
{
    for (; it; it = it->parent)
        if (it->qtype == type && ldns_dname_compare(it->target, name) == 0)
            return true;
    return false;
}

static void child_start(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)revents;
    iter_run(w->data);
}

static void child_done(void *arg, struct iter *child, bool ok)
{
    struct iter *it = arg;

    it->child = NULL;
    int added = ok ? delegpt_add_addrs(&it->dp, child->answer) : 0;
    /* failed or not, what the child saw of the name as glue (the parent side) and what the
     * cache now has of it are servers too (Deckard's iter_pcdirect, iter_pcnamerec) */
    added += delegpt_add_addrs(&it->dp, child->pside);
    int before = it->dp.n_servers;
    delegpt_add_cached(&it->dp, it->ctx->d->rrcache, child->qname, it->qclass, iter_now());
    added += it->dp.n_servers - before;
    it->ns_addrless += added == 0;
    char detail[64];
    snprintf(detail, sizeof detail, "%d new server address%s", added, added == 1 ? "" : "es");
    itertrace_child(it->trace, it->depth, child->qname, child->qtype, it->dp.zone,
                    ok ? "resolved" : "failed", detail);
    it->state = ST_CHOOSE_SERVER;
    iter_free(child);
    iter_run(it);
}

static enum step process_resolve_ns(struct iter *it)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(it->dp.ns) && i < 64; i++) {
        const ldns_rdf *name = delegpt_ns_name(&it->dp, i);
        if (it->dp.ns_resolved & (1ULL << i))
            continue;
        it->dp.ns_resolved |= 1ULL << i;
        ldns_rr_type type = it->ctx->d->cfg->do_ip4 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
        if (!name || ancestor_resolving(it, name, type)) {
            it->ns_addrless++;
            continue;               /* a delegation loop: this name cannot help */
        }
        if (it->depth >= ITER_MAX_DEPTH)
            return iter_fail(it, EDE_OTHER, "glueless delegations nested too deep");
        if (++it->budget->children > ITER_MAX_CHILDREN)
            return iter_fail(it, EDE_OTHER, "too many glueless resolutions for one question");
        it->child = iter_new(it->ctx, it, name, type, it->qclass, child_done, it);
        if (!it->child)
            return iter_fail(it, EDE_OTHER, "out of memory");
        itertrace_child(it->trace, it->depth, name, type, it->dp.zone, "resolving",
                        "no address known for this NS of the zone: resolving it");
        /* Started from the loop, never from here: a child that ends at once must not
         * resume us inside our own call (the stack would grow with every child tried). */
        ev_timer_init(&it->child->start, child_start, 0, 0);
        it->child->start.data = it->child;
        ev_timer_start(it->ctx->loop, &it->child->start);
        it->state = ST_WAITING;
        return STEP_WAIT;
    }
    /* every NS name tried: choosing finds nothing more and fails cleanly */
    it->state = ST_CHOOSE_SERVER;
    return STEP_CONTINUE;
}

/* ---- sending -------------------------------------------------------------------------- */

static void upstream_done(void *arg, enum outbound_status status, uint8_t *msg, size_t len,
                          double rtt);

static enum step process_send(struct iter *it)
{
    struct daemon *d = it->ctx->d;
    char server[64], name[WIRE_MAX_NAME * 4 + 2];

    if (++it->budget->queries > (int)it->ctx->d->cfg->max_queries_per_question)
        return iter_fail(it, EDE_OTHER, "too many upstream queries (max-queries-per-question)");
    ldns_rdf_deep_free(it->asked);
    it->asked = delegpt_name_to_ask(&it->dp, it->target, it->qtype,
                                    it->minimise && it->minimise_steps < ITER_MAX_MINIMISE,
                                    &it->asked_type);
    if (!it->asked || ldns_rdf_size(it->asked) > WIRE_MAX_NAME)
        return iter_fail(it, EDE_OTHER, "out of memory");
    struct outbound_params p = {
        .server = CUR(it)->addr, .server_len = addr_len(&CUR(it)->addr),
        .qname = ldns_rdf_data(it->asked), .qname_len = ldns_rdf_size(it->asked),
        .qtype = it->asked_type, .qclass = it->qclass, .rd = false,
        .edns_size = d->cfg->edns_buffer_size, .infra = d->infra,
        .dnssec_ok = iter_wants_dnssec(it),
        .timeout_ms = infra_timeout_ms(d->infra, &CUR(it)->addr, iter_now()),
        .tcp_pool = it->ctx->tcppool,
    };
    it->use_0x20 = d->cfg->case_randomisation && !infra_no_0x20(d->infra, &CUR(it)->addr, iter_now());
    p.case_randomise = it->use_0x20;
    p.has_source = config_outgoing_for(d->cfg, p.server.ss_family, &p.source);
    CUR(it)->attempts++;
    it->out = outbound_start(it->ctx->loop, &it->ctx->stats, &p, upstream_done, it);
    if (!it->out) {
        it->failures++;
        it->neterrs++;              /* no socket: the network's fault, not the server's */
        CUR(it)->lame = true;       /* cannot even open a socket to it */
        it->state = ST_CHOOSE_SERVER;
        return STEP_CONTINUE;
    }
    infra_outstanding_add(d->infra, &CUR(it)->addr, 1, iter_now());
    itertrace_query(it->trace, it->depth, CUR(it), it->dp.zone, it->asked, it->asked_type);
    if (log_enabled(LOG_LVL_DEBUG)) {
        char zone[WIRE_MAX_NAME * 4 + 2];
        iter_name_str(it->asked, name, sizeof name);
        iter_name_str(it->dp.zone, zone, sizeof zone);
        log_debug("iterate: asking %s (zone %s) for %s type %d",
                  addr_to_str(&CUR(it)->addr, server, sizeof server), zone, name, it->asked_type);
    }
    it->state = ST_WAITING;
    return STEP_WAIT;
}

static void upstream_done(void *arg, enum outbound_status status, uint8_t *msg, size_t len,
                          double rtt)
{
    struct iter *it = arg;
    struct infra *infra = it->ctx->d->infra;
    time_t now = iter_now();

    it->out = NULL;
    infra_outstanding_add(infra, &CUR(it)->addr, -1, now);
    it->failures += status != OUTBOUND_OK && status != OUTBOUND_CASE_MISMATCH;
    it->neterrs += status == OUTBOUND_NETERR;
    switch (status) {
    case OUTBOUND_OK:
        infra_report_rtt(infra, &CUR(it)->addr, (uint32_t)(rtt * 1000), now);
        ldns_pkt_free(it->resp);
        it->resp = NULL;
        if (ldns_wire2pkt(&it->resp, msg, len) != LDNS_STATUS_OK) {
            itertrace_verdict(it->trace, it->depth, "garbled", rtt * 1000, "a reply ldns cannot parse: server marked lame");
            CUR(it)->lame = true;
            it->failures++;
            it->state = ST_CHOOSE_SERVER;
        } else {
            itertrace_verdict(it->trace, it->depth, "reply", rtt * 1000, "rcode %d", ldns_pkt_get_rcode(it->resp));
            it->state = ST_CLASSIFY;
        }
        break;
    case OUTBOUND_CASE_MISMATCH:
        itertrace_verdict(it->trace, it->depth, "case-mismatch", rtt * 1000,
                      "the reply did not keep the 0x20 case: asking again without it");
        infra_set_no_0x20(infra, &CUR(it)->addr, now);
        CUR(it)->attempts--;        /* not its fault: ask it again without 0x20 */
        it->state = ST_SEND;
        break;
    case OUTBOUND_TIMEOUT:
    case OUTBOUND_NETERR:
        itertrace_verdict(it->trace, it->depth, status == OUTBOUND_TIMEOUT ? "timeout" : "network-error", -1,
                      "no usable reply: trying another server");
        infra_report_timeout(infra, &CUR(it)->addr, status == OUTBOUND_TIMEOUT ? (uint32_t)(rtt * 1000) : UINT32_MAX, now);
        it->state = ST_CHOOSE_SERVER;
        break;
    default:
        itertrace_verdict(it->trace, it->depth, "unusable", rtt * 1000, "unusable reply (outbound status %d): server marked lame",
                      status);
        CUR(it)->lame = true;
        it->state = ST_CHOOSE_SERVER;
        break;
    }
    iter_run(it);
}

/* ---- the driver ------------------------------------------------------------------------ */

static void iter_finish(struct iter *it, bool ok)
{
    char name[WIRE_MAX_NAME * 4 + 2];

    if (!ok) {
        iter_name_str(it->qname, name, sizeof name);
        log_debug("iterate: %s type %d failed: %s", name, it->qtype, it->why ? it->why : "?");
        it->ctx->stats.iterator_failures++;
    }
    if (it->parent == NULL)
        ev_timer_stop(it->ctx->loop, &it->deadline);
    it->done(it->done_arg, it, ok);     /* frees it */
}

void iter_run(struct iter *it)
{
    for (;;) {
        enum step s;
        switch (it->state) {
        case ST_NEXT_TARGET:     s = process_next_target(it); break;
        case ST_FIND_DELEGATION: s = process_find_delegation(it); break;
        case ST_CHOOSE_SERVER:   s = process_choose_server(it); break;
        case ST_RESOLVE_NS:      s = process_resolve_ns(it); break;
        case ST_SEND:            s = process_send(it); break;
        case ST_CLASSIFY:        s = iter_process_classify(it); break;
        case ST_DONE:            iter_finish(it, true); return;
        case ST_FAILED:          iter_finish(it, false); return;
        case ST_WAITING:
        default:                 return;
        }
        if (s == STEP_WAIT)
            return;
    }
}

/* Frees an iter and everything it still has running (outbound query, child). */
void iter_free(struct iter *it)
{
    if (!it)
        return;
    if (it->out) {
        outbound_cancel(it->out);
        infra_outstanding_add(it->ctx->d->infra, &CUR(it)->addr, -1, iter_now());
    }
    iter_free(it->child);
    delegpt_clear(&it->dp);
    if (!it->parent)
        ev_timer_stop(it->ctx->loop, &it->deadline);
    else
        ev_timer_stop(it->ctx->loop, &it->start);
    ldns_rdf_deep_free(it->qname);
    ldns_rdf_deep_free(it->target);
    ldns_rdf_deep_free(it->asked);
    ldns_rr_list_deep_free(it->answer);
    ldns_rr_list_deep_free(it->pside);
    ldns_rr_list_deep_free(it->authority);
    ldns_pkt_free(it->resp);
    free(it);
}

/* ---- for the stage (iter.h) ------------------------------------------------------------ */

struct iter *iter_new_root(struct thread_ctx *ctx, const uint8_t *qname_lc, size_t qname_len,
                           uint16_t qtype, uint16_t qclass, struct trace *trace,
                           iter_done_fn *done, void *arg)
{
    ldns_rdf *qname = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, qname_len, qname_lc);
    struct iter *it = qname ? iter_new(ctx, NULL, qname, qtype, qclass, done, arg) : NULL;

    ldns_rdf_deep_free(qname);
    if (it) {
        it->trace = trace;
        it->dp.keep_names = trace != NULL;
    }
    return it;
}

uint8_t *iter_result_wire(const struct iter *it, size_t *len)
{
    return response_build(it->qname, it->qtype, it->qclass, it->rcode, it->answer,
                          it->authority, len);
}
