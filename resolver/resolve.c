/* resolve.c -- the entry point for a miss: the stage table, its walk, and the cache store.
 *
 * A resolution holds its question, the index of the running stage and that stage's handle.
 * The walk: start stage i; RESOLVE_NEXT moves to i + 1 (the reason goes to the next stage,
 * which puts it in the trace); RESOLVE_ANSWER stores the answer and calls `done`;
 * RESOLVE_FAIL, or running off the end of the table, calls `done` with no answer. Stages
 * report asynchronously (resolve_stage_done); a walk that ends inside resolve_start (every
 * stage refused at once) makes resolve_start return NULL instead, so `done` is never called
 * from inside it.
 *
 * The table itself is route.c's (resolve.h: resolve_route), so this file knows the stages
 * only through their rows, and the stages, which report back here, form no include cycle
 * with it.
 *
 * Why a walk failed travels with it: the failing stage names the EDE code and text
 * (resolve_set_reason), and `done` hands them on (struct resolve_answer.why) for the
 * reply's Extended DNS Error; a stage that says nothing fails as EDE_OTHER with its `why`.
 *
 * Invariant: at most one stage runs at a time, and `state` is its handle (NULL when none);
 * resolve_cancel cancels exactly that one. */
#include "resolve.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ev.h>
#include <ldns/ldns.h>

#include "cache.h"
#include "config.h"
#include "context.h"
#include "ede.h"
#include "log.h"
#include "msgform.h"
#include "response.h"
#include "trace.h"
#include "wire.h"


struct resolve {
    struct resolve_query q;
    uint8_t qname[WIRE_MAX_NAME];
    struct resolve_options opt;
    size_t stage;                   /* index of the running stage */
    size_t answered_by;             /* the stage that found the answer being checked */
    struct sockaddr_storage server; /* the server that sent it, when the stage said */
    bool has_server;
    bool retried;                   /* the stage ran again after a bogus answer ... */
    struct resolve_reason first_bogus;  /* ... which said this (the text in first_text:
                                     * the checker's own may be gone by the retry's end) */
    char first_text[160];
    void *state;                    /* its handle */
    double stage_started;
    struct resolve_reason why;      /* the running stage's failure, once it says so */
    struct sockaddr_storage avoid;  /* q.avoid points here on a retry */
    bool bogus;                     /* the answer being finished failed its check */
    resolve_done_fn *done;
    void *arg;
};

const struct resolve_query *resolve_query_of(const struct resolve *r)
{
    return &r->q;
}

double resolve_stage_started(const struct resolve *r)
{
    return r->stage_started;
}

void resolve_set_reason(struct resolve *r, int ede, const char *text)
{
    r->why.ede = ede;
    r->why.text = text;
}

/* A stage failed (or passed) with `why`: what it said through resolve_set_reason, else
 * EDE_OTHER with `why` as the text. */
static void note_failure(struct resolve *r, const char *why)
{
    if (r->why.ede == EDE_NONE)
        resolve_set_reason(r, EDE_OTHER, why);
    else if (!r->why.text)
        r->why.text = why;
}

/* The debug line of the running stage passing or failing; a failure with its EDE. */
static void log_verdict(const struct resolve *r, enum resolve_verdict v, const char *why)
{
    const char *name = resolve_route[r->stage]->name;

    if (v == RESOLVE_NEXT)
        log_debug("resolve: stage %s passed: %s", name, why ? why : "?");
    else
        log_debug("resolve: stage %s failed: %s (EDE %d %s)", name, why ? why : "?",
                  r->why.ede, ede_name(r->why.ede));
}

/* Starts stages from r->stage on until one runs. Returns false when the walk ended
 * without an answer (every remaining stage passed, or one failed at once). */
static bool walk(struct resolve *r, const char *why)
{
    for (; r->stage < resolve_route_len; r->stage++) {
        const struct resolve_stage *s = resolve_route[r->stage];
        const char *reason = NULL;
        if (!s->start)
            continue;               /* a checking stage: it sees answers, never questions */
        r->q.why = why;
        r->state = NULL;
        r->stage_started = ev_now(r->q.ctx->loop);
        resolve_set_reason(r, EDE_NONE, NULL);
        enum resolve_verdict v = s->start(r, &r->state, &reason);
        if (v == RESOLVE_WAIT)
            return true;
        note_failure(r, reason);
        log_verdict(r, v, reason);
        if (v != RESOLVE_NEXT)
            return false;
        why = reason;
    }
    return false;
}

void resolve_trace_route(const struct resolve_query *q, const char *verdict, const char *fmt, ...)
{
    struct trace_step *s = trace_add(q->trace, TRACE_ROUTE, 0);
    char detail[TRACE_TEXT];
    va_list ap;

    if (!s)
        return;
    wire_name_to_str(q->qname_lc, q->qname_len, s->name, sizeof s->name);
    trace_set_type(s->type, q->qtype);
    snprintf(s->verdict, sizeof s->verdict, "%s", verdict);
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    trace_printf(s->detail, "%s%s%s", q->why ? q->why : "", q->why ? ": " : "", detail);
}

/* The last name of the CNAME chain in pkt's answer section, from its question on (a new,
 * lower-cased rdf); NULL when there is no chain. */
static ldns_rdf *chain_end(const ldns_pkt *pkt)
{
    const ldns_rr_list *answer = ldns_pkt_answer(pkt);
    const ldns_rr *question = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
    const ldns_rdf *name = question ? ldns_rr_owner(question) : NULL;
    bool moved = false;

    for (size_t hop = 0; name && hop < ldns_rr_list_rr_count(answer); hop++) {
        const ldns_rdf *next = NULL;
        for (size_t i = 0; i < ldns_rr_list_rr_count(answer) && !next; i++) {
            const ldns_rr *rr = ldns_rr_list_rr(answer, i);
            if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && ldns_rr_rdf(rr, 0) &&
                ldns_dname_compare(ldns_rr_owner(rr), name) == 0)
                next = ldns_rr_rdf(rr, 0);
        }
        if (!next)
            break;
        name = next;
        moved = true;
    }
    ldns_rdf *end = moved ? ldns_rdf_clone(name) : NULL;
    if (end)
        ldns_dname2canonical(end);
    return end;
}

/* A negative answer at the end of a CNAME chain (NXDOMAIN, or NOERROR with an SOA) holds
 * the same verdict for the chain's last name: stored for that name too, with the SOA, so
 * asking it directly is a hit (RFC 2308 3). */
static void store_chain_end(struct cache *cache, const uint8_t *msg, size_t len,
                            uint16_t qtype, uint16_t qclass, enum cache_do_form how, time_t now)
{
    ldns_pkt *pkt = NULL;
    const ldns_rr *soa = NULL;

    if (WIRE_ANCOUNT(msg) == 0 || qtype == LDNS_RR_TYPE_CNAME ||
        (WIRE_RCODE(msg) != WIRE_RCODE_NOERROR && WIRE_RCODE(msg) != WIRE_RCODE_NXDOMAIN) ||
        ldns_wire2pkt(&pkt, msg, len) != LDNS_STATUS_OK)
        return;
    for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_authority(pkt)) && !soa; i++)
        if (ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(pkt), i)) == LDNS_RR_TYPE_SOA)
            soa = ldns_rr_list_rr(ldns_pkt_authority(pkt), i);
    ldns_rdf *end = soa ? chain_end(pkt) : NULL;
    ldns_rr_list *authority = end ? ldns_rr_list_new() : NULL;
    ldns_rr *soa_copy = authority ? ldns_rr_clone(soa) : NULL;
    size_t wire_len = 0;
    uint8_t *wire = NULL;
    if (soa_copy && ldns_rr_list_push_rr(authority, soa_copy))
        wire = response_build(end, qtype, qclass, ldns_pkt_get_rcode(pkt), NULL, authority,
                              &wire_len);
    else
        ldns_rr_free(soa_copy);
    ldns_rr_list_deep_free(authority);
    if (wire && ldns_rdf_size(end) <= WIRE_MAX_NAME)
        cache_store_forms(cache, ldns_rdf_data(end), ldns_rdf_size(end), qtype, qclass, wire,
                          wire_len, how, NULL, 0, now);
    free(wire);
    ldns_rdf_deep_free(end);
    ldns_pkt_free(pkt);
}

bool resolve_store_answer(struct cache *cache, const uint8_t *qname_lc, size_t qname_len,
                          uint16_t qtype, uint16_t qclass, struct msgform *f, time_t now,
                          bool *dnssec_stored)
{
    enum cache_do_form how = f->same ? CACHE_DO_SAME : CACHE_DO_OWN;
    size_t n, m;

    *dnssec_stored = false;
    if (cache_store_forms(cache, qname_lc, qname_len, qtype, qclass, f->plain, f->plain_len, how,
                          f->dnssec, f->dnssec_len, now) != 0)
        return false;
    store_chain_end(cache, f->plain, f->plain_len, qtype, qclass,
                    f->same ? CACHE_DO_SAME : CACHE_DO_MISSING, now);
    n = cache_lookup(cache, qname_lc, qname_len, qtype, qclass, now, f->plain, sizeof f->plain,
                     NULL);
    if (n == 0)
        return false;
    f->plain_len = n;
    m = cache_lookup_do(cache, qname_lc, qname_len, qtype, qclass, now, f->dnssec,
                        sizeof f->dnssec, NULL);
    if (m) {
        f->dnssec_len = m;
        *dnssec_stored = true;
    }
    return true;
}

/* The answer a stage found, as `done` hands it on: split into the two forms (f), stored
 * unless bogus or from before a flush; the stages that passed it on are told. */
static void finish_answer(struct resolve *r, uint8_t *msg, size_t len, size_t stage,
                          struct msgform *f, struct resolve_answer *ans)
{
    struct daemon *d = r->q.ctx->d;
    bool dnssec_stored = false;

    ans->why = (struct resolve_reason){ EDE_NONE, NULL };
    /* AD is the validator's word alone: without validation, or on a bogus answer, an AD
     * an upstream set is not ours to repeat */
    if (len >= WIRE_HEADER_LEN && (!d->anchors || r->bogus))
        msg[3] &= (uint8_t)~0x20;
    if (msgform_split(msg, len, r->q.qtype, f) != 0) {
        ans->msg = NULL;
        ans->why = (struct resolve_reason){ EDE_OTHER, "unusable answer" };
        return;
    }
    if (r->bogus) {
        ans->bogus = true;
        ans->why = r->why;
        r->q.ctx->stats.val_bogus++;    /* once per answer, retried or not */
    } else if (r->opt.generation == d->cache_generation) {
        ans->cached = resolve_store_answer(d->cache, r->q.qname_lc, r->q.qname_len, r->q.qtype,
                                           r->q.qclass, f, time(NULL), &dnssec_stored);
    }
    ans->msg = f->plain;
    ans->len = f->plain_len;
    ans->dnssec_msg = f->same ? f->plain : f->dnssec;
    ans->dnssec_len = f->same ? f->plain_len : f->dnssec_len;
    for (size_t i = 0; ans->cached && dnssec_stored && i < stage; i++)  /* those that passed */
        if (resolve_route[i]->answered)
            resolve_route[i]->answered(&r->q, ans->dnssec_msg, ans->dnssec_len);
}

/* bogus: msg failed a check and goes out unstored, for CD clients (resolve.h). */
static void finish(struct resolve *r, uint8_t *msg, size_t len, bool bogus)
{
    struct msgform f;               /* the answer's two forms (128 KiB: a cold path) */
    size_t stage = !msg ? (r->stage < resolve_route_len ? r->stage : 0) : r->answered_by;
    struct resolve_answer ans = { .msg = msg, .len = len, .source = resolve_route[stage]->name,
                                  .why = r->why };

    if (msg && r->q.unchecked) {    /* the validator's own question: as found, unstored */
        ans.dnssec_msg = msg;
        ans.dnssec_len = len;
    } else if (msg) {
        r->bogus = bogus;
        finish_answer(r, msg, len, stage, &f, &ans);
    }
    r->state = NULL;
    resolve_done_fn *done = r->done;
    void *arg = r->arg;
    char text[sizeof r->first_text];
    if (ans.why.text == r->first_text) {    /* r's own: it goes before `done` runs */
        memcpy(text, r->first_text, sizeof text);
        ans.why.text = text;
    }
    struct sockaddr_storage server = r->server;
    ans.server = msg && r->has_server ? &server : NULL;
    free(r);
    done(arg, &ans);
}

/* An answer from the running stage: the checking stages after it see it first. */
static void answer(struct resolve *r, uint8_t *msg, size_t len)
{
    r->answered_by = r->stage;
    if (r->q.unchecked || resolve_route[r->stage]->trusted) {
        finish(r, msg, len, false);
        return;
    }
    for (size_t j = r->stage + 1; j < resolve_route_len; j++) {
        const struct resolve_stage *s = resolve_route[j];
        if (!s->check)
            continue;
        r->stage = j;
        r->state = NULL;
        r->stage_started = ev_now(r->q.ctx->loop);
        resolve_set_reason(r, EDE_NONE, NULL);
        enum resolve_verdict v = s->check(r, msg, len, &r->state);
        if (v == RESOLVE_WAIT)
            return;
        if (v != RESOLVE_ANSWER) {
            note_failure(r, "the answer failed a check");
            log_verdict(r, RESOLVE_FAIL, r->why.text);
            finish(r, NULL, 0, false);
            return;
        }
    }
    finish(r, msg, len, false);
}

void resolve_note_server(struct resolve *r, const struct sockaddr_storage *server)
{
    r->server = *server;
    r->has_server = true;
}

/* A bogus answer from a known server: the stage that found it runs once more, avoiding
 * that server. True when it runs. */
static bool retry_elsewhere(struct resolve *r)
{
    if (r->retried || !r->has_server)
        return false;
    r->retried = true;
    r->avoid = r->server;
    r->q.avoid = &r->avoid;
    r->has_server = false;
    r->stage = r->answered_by;
    struct resolve_reason bogus = r->why;
    snprintf(r->first_text, sizeof r->first_text, "%s", bogus.text ? bogus.text : "bogus");
    r->first_bogus = (struct resolve_reason){ bogus.ede, r->first_text };
    bogus = r->first_bogus;
    log_debug("resolve: bogus answer (%s): asking another server", bogus.text ? bogus.text : "?");
    if (walk(r, "retry after a bogus answer"))
        return true;
    r->why = bogus;                 /* the retry could not start: the first verdict stands */
    return false;
}

void resolve_checked(struct resolve *r, uint8_t *msg, size_t len, bool bogus)
{
    r->state = NULL;
    if (!msg)
        note_failure(r, "the answer failed a check");
    if (msg && bogus && retry_elsewhere(r))
        return;
    if (msg && bogus && r->retried)
        r->why = r->first_bogus;    /* bogus from two servers: the first reason is the one
                                     * that names the fault, the second may be "cached" */
    finish(r, msg, len, bogus && msg);
}

void resolve_stage_done(struct resolve *r, enum resolve_verdict v, uint8_t *msg, size_t len,
                        const char *why)
{
    r->state = NULL;
    if (v == RESOLVE_ANSWER && msg) {
        answer(r, msg, len);
        return;
    }
    note_failure(r, why);
    log_verdict(r, v, why);
    if (v == RESOLVE_NEXT) {
        r->stage++;
        if (walk(r, why))
            return;
    }
    finish(r, NULL, 0, false);
}

struct resolve *resolve_start(const struct resolve_query *q, const struct resolve_options *opt,
                              resolve_done_fn *done, void *arg)
{
    struct resolve *r;

    if (opt->failed)
        *opt->failed = (struct resolve_reason){ EDE_OTHER, "out of memory" };
    if (q->qname_len > WIRE_MAX_NAME || !(r = calloc(1, sizeof *r)))
        return NULL;
    r->q = *q;
    memcpy(r->qname, q->qname_lc, q->qname_len);
    r->q.qname_lc = r->qname;
    r->opt = *opt;
    r->done = done;
    r->arg = arg;
    if (!walk(r, NULL)) {
        if (opt->failed)
            *opt->failed = r->why;
        free(r);
        return NULL;
    }
    return r;
}

void resolve_cancel(struct resolve *r)
{
    if (!r)
        return;
    if (r->state && r->stage < resolve_route_len)
        resolve_route[r->stage]->cancel(r->state);
    free(r);
}
