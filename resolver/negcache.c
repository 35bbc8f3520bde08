/* negcache.c -- aggressive use of the validated NSEC records (RFC 8198): a stage of the
 * miss path that answers NXDOMAIN or NODATA from what earlier, validated denials proved.
 *
 * A secure NXDOMAIN or NODATA answer proves more than its own name: each NSEC record says
 * that no name lies between its owner and its next name, and which types its owner has.
 * The validator hands every such answer to negcache_learn, which keeps the zone's SOA and
 * NSEC records with their RRSIGs (a keycache.h store, keyed by zone, KEY_GOOD holding the
 * records, merged with what the zone had, at most NEGCACHE_MAX_RRS records, and living
 * as long as the shortest of them). On a later miss the stage looks for the closest zone
 * with records; when they prove the name absent (no wildcard either) or the type absent,
 * it answers at once -- AD set, with the SOA and the NSECs, as the authority would have --
 * instead of asking. The proofs are nsec.c's (with the RFC 6840 rule that an NSEC from
 * above a cut proves nothing below it). NSEC3 ranges are not used: their hashes make the
 * same lookup a hash per name, and RFC 8198 leaves them optional.
 *
 * `aggressive-nsec no`, or no validation, turns the stage into a pass. */
#include "negcache.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>
#include <ldns/ldns.h>

#include "config.h"
#include "context.h"
#include "dname.h"
#include "ede.h"
#include "keycache.h"
#include "nsec.h"
#include "resolve.h"
#include "response.h"
#include "wire.h"

#define NEGCACHE_MAX_RRS 64         /* records kept per zone: NSECs, the SOA, RRSIGs */
#define WIRE_FLAG_AD     0x20

/* ---- learning ------------------------------------------------------------------------- */

static bool same_rr(const ldns_rr *a, const ldns_rr *b)
{
    return ldns_rr_compare(a, b) == 0;
}

/* Appends clones of list's records that out does not hold yet, up to the cap. */
static void merge(ldns_rr_list *out, const ldns_rr_list *list)
{
    for (size_t i = 0; list && i < ldns_rr_list_rr_count(list); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(list, i);
        bool known = false;
        for (size_t k = 0; k < ldns_rr_list_rr_count(out) && !known; k++)
            known = same_rr(ldns_rr_list_rr(out, k), rr);
        ldns_rr *copy = known || ldns_rr_list_rr_count(out) >= NEGCACHE_MAX_RRS
                      ? NULL : ldns_rr_clone(rr);
        if (copy && !ldns_rr_list_push_rr(out, copy))
            ldns_rr_free(copy);
    }
}

void negcache_learn(struct keycache *kc, const struct val_msg *m, time_t now)
{
    const struct val_rrset *soa = valmsg_find(m, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_SOA);
    uint8_t key[WIRE_MAX_NAME];
    size_t key_len;
    struct key_info old;

    if (!kc || !m->negative || !soa || !soa->signer || soa->v.status != SEC_SECURE ||
        !valmsg_find(m, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_NSEC) ||
        dname_to_key(soa->signer, key, &key_len) != 0)
        return;
    uint32_t ttl = soa->v.ttl;
    ldns_rr_list *rrs = ldns_rr_list_new();
    keycache_closest(kc, key, key_len, now, &old);
    if (old.state == KEY_GOOD && old.zone_len == key_len) {
        merge(rrs, old.keys);
        if (old.ttl_left < ttl)
            ttl = old.ttl_left;
    }
    ldns_rr_list_deep_free(old.keys);
    for (size_t i = 0; rrs && i < m->n_sets; i++) {
        const struct val_rrset *s = &m->sets[i];
        ldns_rr_type t = ldns_rr_get_type(ldns_rr_list_rr(s->rrs, 0));
        if (s->section != LDNS_SECTION_AUTHORITY || s->v.status != SEC_SECURE ||
            (t != LDNS_RR_TYPE_NSEC && t != LDNS_RR_TYPE_SOA) ||
            ldns_dname_compare(s->signer, soa->signer) != 0)
            continue;
        merge(rrs, s->rrs);
        merge(rrs, s->sigs);
        if (s->v.ttl < ttl)
            ttl = s->v.ttl;
    }
    if (rrs && ldns_rr_list_rr_count(rrs) > 0)
        keycache_store(kc, key, key_len, KEY_GOOD, rrs, ttl, EDE_NONE, NULL, now);
    ldns_rr_list_deep_free(rrs);
}

/* ---- answering -------------------------------------------------------------------------- */

/* The records of type t in list, borrowed (free with ldns_rr_list_free). */
static ldns_rr_list *of_type(const ldns_rr_list *list, ldns_rr_type t)
{
    ldns_rr_list *out = ldns_rr_list_new();

    for (size_t i = 0; out && i < ldns_rr_list_rr_count(list); i++)
        if (ldns_rr_get_type(ldns_rr_list_rr(list, i)) == t)
            ldns_rr_list_push_rr(out, ldns_rr_list_rr(list, i));
    return out;
}

uint8_t *negcache_answer(struct keycache *kc, const uint8_t *qname_lc, size_t qname_len,
                         uint16_t qtype, uint16_t qclass, time_t now, size_t *len)
{
    struct key_info ki;
    uint8_t *wire = NULL;

    keycache_closest(kc, qname_lc, qname_len, now, &ki);
    if (ki.state != KEY_GOOD) {
        ldns_rr_list_deep_free(ki.keys);
        return NULL;
    }
    ldns_rdf *zone = ldns_dname_new_frm_data((uint16_t)ki.zone_len, ki.zone);
    ldns_rdf *qname = ldns_dname_new_frm_data((uint16_t)qname_len, qname_lc);
    ldns_rr_list *nsecs = of_type(ki.keys, LDNS_RR_TYPE_NSEC);
    ldns_pkt_rcode rcode = LDNS_RCODE_SERVFAIL;
    if (zone && qname && nsecs && ldns_rr_list_rr_count(nsecs) > 0 &&
        qtype != LDNS_RR_TYPE_DS) {         /* a DS lives in the parent: another zone's */
        if (nsec_proves_nxdomain(nsecs, qname, zone))
            rcode = LDNS_RCODE_NXDOMAIN;
        else if (nsec_proves_nodata(nsecs, qname, (ldns_rr_type)qtype, zone))
            rcode = LDNS_RCODE_NOERROR;
    }
    if (rcode != LDNS_RCODE_SERVFAIL)
        wire = response_build(qname, (ldns_rr_type)qtype, (ldns_rr_class)qclass, rcode, NULL,
                              ki.keys, len);
    if (wire)
        wire[3] |= WIRE_FLAG_AD;            /* proven from validated records */
    ldns_rr_list_free(nsecs);
    ldns_rdf_deep_free(zone);
    ldns_rdf_deep_free(qname);
    ldns_rr_list_deep_free(ki.keys);
    return wire;
}

/* ---- the stage ------------------------------------------------------------------------- */

struct negjob {
    struct resolve *r;
    struct ev_loop *loop;
    ev_timer kick;                  /* answers from the loop, never inside start */
    uint8_t *wire;
    size_t len;
};

static void job_kick(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct negjob *job = w->data;
    (void)loop;
    (void)revents;
    struct resolve *r = job->r;
    uint8_t *wire = job->wire;
    size_t len = job->len;
    free(job);
    resolve_stage_done(r, RESOLVE_ANSWER, wire, len, NULL);
    free(wire);
}

static enum resolve_verdict stage_start(struct resolve *r, void **state, const char **why)
{
    const struct resolve_query *q = resolve_query_of(r);
    struct daemon *d = q->ctx->d;
    struct negjob *job;
    size_t len = 0;

    *why = NULL;
    if (!d->anchors || !d->cfg->aggressive_nsec || q->unchecked || q->refresh)
        return RESOLVE_NEXT;
    uint8_t *wire = negcache_answer(d->nsec_ranges, q->qname_lc, q->qname_len, q->qtype,
                                    q->qclass, time(NULL), &len);
    if (!wire)
        return RESOLVE_NEXT;
    if (!(job = calloc(1, sizeof *job))) {
        free(wire);
        return RESOLVE_NEXT;
    }
    resolve_trace_route(q, "aggressive-nsec", "%s from the zone's validated NSEC records",
                        WIRE_RCODE(wire) == WIRE_RCODE_NXDOMAIN ? "NXDOMAIN" : "NODATA");
    job->r = r;
    job->loop = q->ctx->loop;
    job->wire = wire;
    job->len = len;
    ev_timer_init(&job->kick, job_kick, 0, 0);
    job->kick.data = job;
    ev_timer_start(job->loop, &job->kick);
    *state = job;
    return RESOLVE_WAIT;
}

static void stage_cancel(void *state)
{
    struct negjob *job = state;

    if (!job)
        return;
    ev_timer_stop(job->loop, &job->kick);
    free(job->wire);
    free(job);
}

/* trusted: built from records the validator proved */
const struct resolve_stage negcache_stage = { "aggressive-nsec", stage_start, stage_cancel,
                                              NULL, NULL, true };
