/* iterverdict.c -- the iterator acting on the verdict classify.c gave a reply: caching
 * what it says, following a CNAME chain or a referral, finishing with an answer or a
 * denial, marking a server lame, asking a minimised question again.
 *
 * Part of the iterator's state machine (iterate.c runs it; iter.h is their shared view of
 * `struct iter`): the CLASSIFY state. The verdict itself is classify.c's, a pure function;
 * this file is what the iterator does with it -- the RRset cache, the delegation point,
 * the result being built (answer, authority with its DNSSEC proofs) and the referral DS
 * proofs the validator reads (context.h: ds_proofs). */
#include "iter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "addr.h"
#include "classify.h"
#include "config.h"
#include "context.h"
#include "dname.h"
#include "ede.h"
#include "itertrace.h"
#include "keycache.h"
#include "log.h"
#include "response.h"
#include "rrcache.h"
#include "trace.h"
#include "wire.h"

/* ---- acting on a reply's verdict (classify.c) ---------------------------------------- */

static void cache_verdict(struct iter *it, const struct classify_verdict *v)
{
    for (size_t i = 0; i < v->n_cache; i++)
        rrcache_store(it->ctx->d->rrcache, v->cache[i].rrs, v->cache[i].trust, iter_now());
}

static void append_rrs(ldns_rr_list *to, ldns_rr_list *from)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(from); i++)
        ldns_rr_list_push_rr(to, ldns_rr_list_rr(from, i));
    ldns_rr_list_free(from);        /* shallow: the RRs moved to `to` */
}

/* Moves the RRs of from (may be NULL) that `to` does not hold yet to its end: two replies
 * of one zone can carry the same NSEC. */
static void append_new_rrs(ldns_rr_list *to, ldns_rr_list *from)
{
    size_t known = ldns_rr_list_rr_count(to);

    for (size_t i = 0; from && i < ldns_rr_list_rr_count(from); i++) {
        ldns_rr *rr = ldns_rr_list_rr(from, i);
        bool dup = false;
        for (size_t j = 0; j < known && !dup; j++)
            dup = ldns_rr_compare(ldns_rr_list_rr(to, j), rr) == 0;
        if (dup || !ldns_rr_list_push_rr(to, rr))
            ldns_rr_free(rr);
    }
    ldns_rr_list_free(from);        /* shallow: the RRs moved to `to` or were freed */
}

/* The CNAMEs the reply took us through join the answer (and its proofs, a wildcard's, the
 * authority section); their last target is the name resolved from now on. */
static void take_chain(struct iter *it, struct classify_verdict *v)
{
    append_rrs(it->answer, v->chain);
    v->chain = NULL;
    append_new_rrs(it->authority, v->denial);
    v->denial = NULL;
    it->cnames += v->cnames;
    ldns_rdf_deep_free(it->target);
    it->target = v->target;
    v->target = NULL;
}

/* The referral's word on the child's DS, for the validator (context.h: ds_proofs). */
static void keep_ds_proof(struct iter *it, const ldns_rdf *child, const ldns_rr_list *proof)
{
    uint32_t ttl = UINT32_MAX;
    uint8_t key[WIRE_MAX_NAME];
    size_t key_len;

    for (size_t i = 0; i < ldns_rr_list_rr_count(proof); i++)
        if (ldns_rr_ttl(ldns_rr_list_rr(proof, i)) < ttl)
            ttl = ldns_rr_ttl(ldns_rr_list_rr(proof, i));
    if (dname_to_key(child, key, &key_len) == 0)
        keycache_store(it->ctx->d->ds_proofs, key, key_len, KEY_GOOD, proof, ttl, EDE_NONE,
                       NULL, iter_now());
}

static enum step take_referral(struct iter *it, struct classify_verdict *v)
{
    char child[WIRE_MAX_NAME * 4 + 2];

    if (++it->referrals > (int)it->ctx->d->cfg->max_referrals)
        return iter_fail(it, EDE_OTHER, "too many referrals (max-referrals)");
    it->ctx->stats.iterator_referrals++;
    cache_verdict(it, v);
    if (v->ds_proof)
        keep_ds_proof(it, ldns_rr_owner(ldns_rr_list_rr(v->ns, 0)), v->ds_proof);
    ldns_rdf *zone = ldns_rdf_clone(ldns_rr_owner(ldns_rr_list_rr(v->ns, 0)));
    iter_name_str(zone, child, sizeof child);
    log_debug("iterate: referral to %s", child);
    itertrace_referral(it->trace, it->depth, v->ns, v->glue, child);
    delegpt_set(&it->dp, zone, v->ns, it->ctx->d->rrcache, it->qclass, iter_now());
    v->ns = NULL;                   /* the delegation point has it now */
    it->dp_from_cache = false;
    delegpt_add_addrs(&it->dp, v->glue);
    if (it->parent)
        delegpt_glue_of(v->glue, it->qname, &it->pside);
    it->state = ST_CHOOSE_SERVER;
    return STEP_CONTINUE;
}

/* The result is final, from the server asked last (a validator's retry avoids it). */
static enum step done_by_current(struct iter *it)
{
    it->answered_by = CUR(it)->addr;
    it->has_answered_by = true;
    it->state = ST_DONE;
    return STEP_CONTINUE;
}

static enum step finish_negative(struct iter *it, struct classify_verdict *v)
{
    bool with_soa = v->soa != NULL;

    it->rcode = v->kind == CLASSIFY_NXDOMAIN ? LDNS_RCODE_NXDOMAIN : LDNS_RCODE_NOERROR;
    /* without DNSSEC the SOA alone; with it v->denial holds the SOA, its RRSIGs, the proof */
    if (v->soa && !v->denial) {
        if (!ldns_rr_list_push_rr(it->authority, v->soa))
            return iter_fail(it, EDE_OTHER, "out of memory");
        v->soa = NULL;
    }
    take_chain(it, v);
    itertrace_verdict(it->trace, it->depth, v->kind == CLASSIFY_NXDOMAIN ? "nxdomain" : "nodata", -1,
                  v->kind == CLASSIFY_NXDOMAIN ? "the name does not exist%s" :
                  "the name exists but has no data of this type%s",
                  with_soa ? " (with SOA)" : " (no SOA: not cached for long)");
    return done_by_current(it);
}

static enum step finish_answer(struct iter *it, struct classify_verdict *v)
{
    cache_verdict(it, v);
    take_chain(it, v);
    append_rrs(it->answer, v->answer);
    v->answer = NULL;
    if (v->answer_sigs)
        append_rrs(it->answer, v->answer_sigs);
    v->answer_sigs = NULL;
    it->rcode = LDNS_RCODE_NOERROR;
    size_t n = ldns_rr_list_rr_count(it->answer), proof = ldns_rr_list_rr_count(it->authority);
    char kept[64] = "";
    if (proof)                      /* the wildcard proofs: the message cache drops them */
        snprintf(kept, sizeof kept, "; %zu NSEC/NSEC3 proof record%s kept", proof,
                 proof == 1 ? "" : "s");
    itertrace_verdict(it->trace, it->depth, "answer", -1, "%zu record%s%s%s%s", n, n == 1 ? "" : "s",
                  it->cnames ? " (the CNAMEs followed included)" : "",
                  ldns_pkt_aa(it->resp) ? ", authoritative" : "", kept);
    return done_by_current(it);
}

static enum step mark_lame(struct iter *it, const char *what)
{
    char server[64];

    it->ctx->stats.iterator_lame++;
    it->failures++;
    itertrace_verdict(it->trace, it->depth, "lame", -1, "lame: %s; trying another server", what);
    CUR(it)->lame = true;
    log_debug("iterate: %s is lame (%s)", addr_to_str(&CUR(it)->addr, server, sizeof server), what);
    it->state = ST_CHOOSE_SERVER;
    return STEP_CONTINUE;
}

/* A minimised question answered without a referral: the same server gets the next one. */
static enum step ask_again(struct iter *it, const struct classify_verdict *v)
{
    if (v->kind == CLASSIFY_DEEPER) {
        it->dp.ask_labels++;
        itertrace_verdict(it->trace, it->depth, "exists", -1, "no delegation at this name: one label more");
    } else {
        it->minimise = false;       /* RFC 9156 section 3, relaxed: ask the full name */
        itertrace_verdict(it->trace, it->depth, "minimise-off", -1, "rcode %d%s: asking the full name now",
                      ldns_pkt_get_rcode(it->resp), v->with_cname ? " with a CNAME" : "");
    }
    CUR(it)->attempts--;            /* same server, next question */
    it->state = ST_SEND;
    return STEP_CONTINUE;
}

static enum step act_on(struct iter *it, struct classify_verdict *v)
{
    char next[TRACE_TEXT];

    switch (v->kind) {
    case CLASSIFY_ANSWER:    return finish_answer(it, v);
    case CLASSIFY_NXDOMAIN:
    case CLASSIFY_NODATA:    return finish_negative(it, v);
    case CLASSIFY_REFERRAL:  return take_referral(it, v);
    case CLASSIFY_LAME:      return mark_lame(it, v->why);
    case CLASSIFY_FAIL:      return iter_fail(it, EDE_OTHER, v->why);
    case CLASSIFY_DEEPER:
    case CLASSIFY_FULL_NAME: return ask_again(it, v);
    case CLASSIFY_CNAME:
        take_chain(it, v);
        /* the chain left this server's data: resolve the new name from its own zone */
        trace_set_name(next, it->target);
        itertrace_verdict(it->trace, it->depth, "cname", -1, "CNAME to %s: resolving that name", next);
        it->state = ST_NEXT_TARGET;
        return STEP_CONTINUE;
    }
    return iter_fail(it, EDE_OTHER, "unknown verdict");
}

enum step iter_process_classify(struct iter *it)
{
    bool upwards = response_refers_upwards(it->resp, it->dp.zone);
    size_t dropped = response_scrub(it->resp, it->dp.zone);
    struct classify_verdict v;

    response_canonicalize(it->resp);
    if (dropped) {
        it->ctx->stats.iterator_scrubbed += dropped;
        log_debug("iterate: dropped %zu out-of-bailiwick records", dropped);
    }
    struct classify_input in = {
        .resp = it->resp, .zone = it->dp.zone, .target = it->target, .qtype = it->qtype,
        .asked = it->asked, .asked_type = it->asked_type, .cnames = it->cnames,
        .max_cnames = (int)it->ctx->d->cfg->max_cname_chain, .refers_upwards = upwards,
        .dnssec = iter_wants_dnssec(it),
    };
    if (classify_is_minimised(&in))
        it->minimise_steps++;
    classify_reply(&in, &v);
    enum step s = act_on(it, &v);
    classify_verdict_free(&v);
    return s;
}

