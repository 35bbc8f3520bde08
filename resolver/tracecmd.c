/* tracecmd.c -- runs `trace NAME [TYPE]`: the client lookup order, with every step recorded.
 *
 * Owns one traced resolution from start to rendering:
 *
 *   kick (from the loop) -> hosts -> local zones -> cache -> resolve_start with the trace
 *        (resolve.c: the route and its stages, each writing steps into the trace, then
 *        the answer cached like any other) -> rendered -> done
 *
 * The local steps use the same calls as request.c (request_local_answer, cache_lookup)
 * so the trace shows what a client would get, not an imitation of it. The resolution is
 * its own, outside the mesh: joining a client's job would hide the steps taken before
 * the trace began. Counters are not touched: a trace is not client traffic. */
#include "tracecmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <ldns/ldns.h>

#include "cache.h"
#include "context.h"
#include "ede.h"
#include "request.h"
#include "resolve.h"
#include "strbuf.h"
#include "trace.h"
#include "tracefmt.h"
#include "wire.h"

struct tracecmd {
    struct thread_ctx *ctx;         /* the main thread's: trace runs on its loop */
    struct daemon *d;               /* ctx->d */
    struct trace *trace;
    struct wire_query q;            /* the question, as request.c would see it */
    char name[TRACE_TEXT], type[16];
    bool json;
    struct resolve *res;            /* the resolution on a miss */
    struct resolve_reason why;      /* why it failed: what a client's SERVFAIL says */
    const char *source;             /* where the answer came from */
    ev_timer kick;
    tracecmd_done_fn *done;
    void *arg;
};

static void tracecmd_free(struct tracecmd *tc)
{
    ev_timer_stop(tc->ctx->loop, &tc->kick);
    resolve_cancel(tc->res);
    trace_free(tc->trace);
    free(tc);
}

#define TRACE_OUTPUT_START (16 * 1024)
#define TRACE_OUTPUT_MAX   (1024 * 1024)

/* Renders the trace with `answer` (NULL: none) as its result and hands it over. */
static void finish(struct tracecmd *tc, const ldns_pkt *answer, bool finished)
{
    static const char no_memory[] = "out of memory rendering the trace\n";
    struct trace_result res = { tc->name, tc->type, tc->source, finished, answer,
                                tc->why.ede, tc->why.text };
    struct strbuf out = { malloc(TRACE_OUTPUT_START), TRACE_OUTPUT_START, 0, TRACE_OUTPUT_MAX,
                          false };

    if (out.buf) {
        out.buf[0] = '\0';
        if (tc->json)
            tracefmt_json(tc->trace, &res, &out);
        else
            tracefmt_text(tc->trace, &res, &out);
    }
    tc->done(tc->arg, out.buf ? out.buf : no_memory, out.buf ? out.len : strlen(no_memory));
    free(out.buf);
    tracecmd_free(tc);
}

static void finish_wire(struct tracecmd *tc, const uint8_t *msg, size_t len)
{
    ldns_pkt *pkt = NULL;

    if (msg && ldns_wire2pkt(&pkt, msg, len) != LDNS_STATUS_OK)
        pkt = NULL;
    finish(tc, pkt, true);
    ldns_pkt_free(pkt);
}

static void step(struct tracecmd *tc, enum trace_kind kind, const char *verdict, const char *detail)
{
    struct trace_step *s = trace_add(tc->trace, kind, 0);

    if (!s)
        return;
    snprintf(s->name, sizeof s->name, "%s", tc->name);
    snprintf(s->type, sizeof s->type, "%s", tc->type);
    snprintf(s->verdict, sizeof s->verdict, "%s", verdict);
    snprintf(s->detail, sizeof s->detail, "%s", detail);
}

/* The smallest TTL in the answer and authority sections: how long the answer lives. */
static long min_ttl(const ldns_pkt *pkt)
{
    long ttl = -1;
    const ldns_rr_list *lists[2] = { ldns_pkt_answer(pkt), ldns_pkt_authority(pkt) };

    for (int l = 0; l < 2; l++)
        for (size_t i = 0; lists[l] && i < ldns_rr_list_rr_count(lists[l]); i++) {
            long t = (long)ldns_rr_ttl(ldns_rr_list_rr(lists[l], i));
            if (ttl < 0 || t < ttl)
                ttl = t;
        }
    return ttl;
}

/* ---- resolving on a miss --------------------------------------------------------------- */

static void cached_step(struct tracecmd *tc, const uint8_t *stored, size_t stored_len)
{
    struct trace_step *s = trace_add(tc->trace, TRACE_CACHED, 0);
    ldns_pkt *pkt = NULL;

    if (!s)
        return;
    snprintf(s->name, sizeof s->name, "%s", tc->name);
    snprintf(s->type, sizeof s->type, "%s", tc->type);
    snprintf(s->verdict, sizeof s->verdict, stored_len ? "answer" : "not-cached");
    if (stored_len && ldns_wire2pkt(&pkt, stored, stored_len) == LDNS_STATUS_OK) {
        s->ttl = min_ttl(pkt);
        trace_printf(s->detail, "%s answer in the message cache",
                     ldns_rr_list_rr_count(ldns_pkt_answer(pkt)) ? "positive" : "negative");
    } else {
        trace_printf(s->detail, stored_len ? "stored" :
                     "not stored (TTL 0, too big, or the cache was flushed meanwhile)");
    }
    ldns_pkt_free(pkt);
}

static void resolved(void *arg, const struct resolve_answer *ans)
{
    struct tracecmd *tc = arg;

    tc->res = NULL;
    tc->source = ans->source;
    if (!ans->msg || ans->bogus) {  /* bogus: what a client without CD gets */
        tc->why = ans->why;
        finish(tc, NULL, true);
        return;
    }
    cached_step(tc, ans->msg, ans->cached ? ans->len : 0);
    finish_wire(tc, ans->msg, ans->len);
}

static void resolve(struct tracecmd *tc)
{
    struct resolve_query q = { .ctx = tc->ctx, .qname_lc = tc->q.qname_lc,
                               .qname_len = tc->q.qname_len, .qtype = tc->q.qtype,
                               .qclass = tc->q.qclass, .trace = tc->trace };
    struct resolve_options opt = { .generation = tc->d->cache_generation, .failed = &tc->why };

    if (!(tc->res = resolve_start(&q, &opt, resolved, tc)))
        finish(tc, NULL, true);     /* nothing could be started: source "none" */
}

/* ---- the local steps ------------------------------------------------------------------- */

static bool try_local(struct tracecmd *tc)
{
    enum local_source from;
    ldns_pkt *pkt = request_local_answer(tc->d, &tc->q, &from);
    char detail[TRACE_TEXT];

    if (from == LOCAL_HOSTS) {
        trace_printf(detail, "%zu record%s from the hosts file",
                     ldns_rr_list_rr_count(ldns_pkt_answer(pkt)),
                     ldns_rr_list_rr_count(ldns_pkt_answer(pkt)) == 1 ? "" : "s");
        step(tc, TRACE_HOSTS, "hit", detail);
    } else {
        step(tc, TRACE_HOSTS, "miss", tc->d->hosts ? "not in the hosts file" : "no hosts file");
    }
    if (from == LOCAL_ZONE)
        step(tc, TRACE_LOCAL, "answer", "answered by a local zone (authoritative)");
    else if (from == LOCAL_NONE)
        step(tc, TRACE_LOCAL, "miss", "no local zone covers the name");
    if (!pkt)
        return false;
    tc->source = from == LOCAL_HOSTS ? "hosts" : "local-zone";
    finish(tc, pkt, true);
    ldns_pkt_free(pkt);
    return true;
}

static bool try_cache(struct tracecmd *tc)
{
    uint8_t buf[WIRE_MAX_UDP];
    enum cache_kind kind;
    size_t len = cache_lookup(tc->d->cache, tc->q.qname_lc, tc->q.qname_len, tc->q.qtype,
                              tc->q.qclass, time(NULL), buf, sizeof buf, &kind);
    ldns_pkt *pkt = NULL;

    if (len == 0 || ldns_wire2pkt(&pkt, buf, len) != LDNS_STATUS_OK) {
        step(tc, TRACE_CACHE, "miss", "not in the message cache");
        return false;
    }
    struct trace_step *s = trace_add(tc->trace, TRACE_CACHE, 0);
    if (s) {
        snprintf(s->name, sizeof s->name, "%s", tc->name);
        snprintf(s->type, sizeof s->type, "%s", tc->type);
        snprintf(s->verdict, sizeof s->verdict, "hit");
        s->ttl = min_ttl(pkt);
        trace_printf(s->detail, "%s answer, %ld s of TTL left",
                     kind == CACHE_POSITIVE ? "positive" : "negative", s->ttl);
    }
    tc->source = "cache";
    finish(tc, pkt, true);
    ldns_pkt_free(pkt);
    return true;
}

static void kick(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct tracecmd *tc = w->data;

    (void)loop;
    (void)revents;
    if (!try_local(tc) && !try_cache(tc))
        resolve(tc);
}

/* ---- the public face ------------------------------------------------------------------- */

/* Makes the question a client would send and parses it as request.c does, so the trace
 * looks up exactly the key a client's query would. */
static int make_question(struct tracecmd *tc, const char *name, uint16_t qtype, char *err,
                         size_t errlen)
{
    ldns_rdf *rdf = ldns_dname_new_frm_str(name);
    uint8_t pkt[WIRE_HEADER_LEN + WIRE_MAX_NAME + 4 + 11];
    size_t len = 0;

    if (rdf && ldns_rdf_size(rdf) <= WIRE_MAX_NAME)
        len = wire_build_query(0, true, ldns_rdf_data(rdf), ldns_rdf_size(rdf), qtype,
                               WIRE_CLASS_IN, 0, false, pkt, sizeof pkt);
    ldns_rdf_deep_free(rdf);
    if (len == 0 || wire_parse_query(pkt, len, &tc->q) != WIRE_QUERY_OK) {
        snprintf(err, errlen, "invalid name '%.300s'", name);
        return -1;
    }
    wire_name_to_str(tc->q.qname_lc, tc->q.qname_len, tc->name, sizeof tc->name);
    trace_set_type(tc->type, qtype);
    return 0;
}

struct tracecmd *tracecmd_start(struct thread_ctx *ctx, const char *name, const char *type,
                                bool json, tracecmd_done_fn *done, void *arg, char *err,
                                size_t errlen)
{
    uint16_t qtype = type ? (uint16_t)ldns_get_rr_type_by_name(type) : LDNS_RR_TYPE_A;
    struct tracecmd *tc;

    if (qtype == 0) {
        snprintf(err, errlen, "unknown type '%.64s'", type);
        return NULL;
    }
    if (!(tc = calloc(1, sizeof *tc)) || !(tc->trace = trace_new())) {
        free(tc);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    tc->ctx = ctx;
    tc->d = ctx->d;
    tc->json = json;
    tc->done = done;
    tc->arg = arg;
    tc->source = "none";
    tc->why = (struct resolve_reason){ EDE_NONE, NULL };
    ev_timer_init(&tc->kick, kick, 0, 0);
    tc->kick.data = tc;
    if (make_question(tc, name, qtype, err, errlen) != 0) {
        tracecmd_free(tc);
        return NULL;
    }
    ev_timer_start(ctx->loop, &tc->kick);
    return tc;
}

void tracecmd_cancel(struct tracecmd *tc)
{
    if (tc)
        tracecmd_free(tc);
}

void tracecmd_stop(struct tracecmd *tc)
{
    if (tc)
        finish(tc, NULL, false);
}
