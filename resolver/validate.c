/* validate.c -- the validator: resolve.c's checking stage for DNSSEC (RFC 4035 5).
 *
 * Shape (after Unbound's validator/validator.c, and our iterator): `struct val` holds one
 * check of one answer; val_run() calls the function of its current state until one waits
 * for a sub-resolution (the DS or DNSKEY of a zone on the way down, asked through
 * resolve_start as an `unchecked` question, so it is neither validated by this stage nor
 * stored) or the check is over. States:
 *
 *   NEXT_RRSET   the next RRset of the answer to check (valmsg.h says which); none left:
 *                PROVE
 *   FIND_KEYS    the keys of the RRset's signer (unsigned: of its owner's zone): the
 *                closest entry of the key cache, else the closest trust anchor, whose
 *                DNSKEY set is fetched first
 *   DESCEND      one label further down from the deepest proven zone towards the signer:
 *                ask its DS
 *   WAIT_DS      the DS reply: a DS set (-> WAIT_DNSKEY), a proven insecure delegation
 *                (the RRset is insecure), no cut here (DESCEND again), or bogus
 *   WAIT_DNSKEY  the DNSKEY reply, checked against the DS (or the anchor): the zone's keys
 *                are proven (DESCEND), insecure (algorithms we cannot check), or bogus
 *   VERIFY       the RRset's signatures against the proven keys
 *   PROVE        every RRset secure: the denial or wildcard proof (valmsg_prove)
 *
 * Every step proven is stored in the key cache (keycache.h), a bogus one for
 * val-bogus-ttl, so the next answer under the same zones starts where this one ended.
 * The result: secure (AD set in the stored answer), insecure (AD clear), or bogus (the
 * answer goes only to CD clients; the others get SERVFAIL with an Extended DNS Error).
 * The work is bounded: VALIDATE_MAX_VERIFICATIONS signature checks and
 * VALIDATE_MAX_FETCHES sub-resolutions per answer, NSEC3_MAX_HASHES per response.
 * Time is the wall clock, read at every check (libfaketime moves it in the tests). */
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "anchors.h"
#include "config.h"
#include "context.h"
#include "dname.h"
#include "dnssec_verify.h"
#include "ede.h"
#include "keycache.h"
#include "log.h"
#include "negcache.h"
#include "nsec3.h"
#include "resolve.h"
#include "response.h"
#include "stats.h"
#include "valmsg.h"
#include "wire.h"

#define VALIDATE_MAX_VERIFICATIONS 64   /* signature checks for one answer, all RRsets */
#define VALIDATE_MAX_FETCHES       32   /* DS and DNSKEY sub-resolutions for one answer */
#define WIRE_FLAG_AD               0x20 /* header octet 3 */

enum vstate { V_NEXT_RRSET, V_FIND_KEYS, V_DESCEND, V_WAIT_DS, V_WAIT_DNSKEY, V_VERIFY,
              V_PROVE, V_DONE };

struct val {
    struct resolve *r;
    const struct resolve_query *q;
    enum vstate state;
    uint8_t *msg;                   /* the answer, our copy */
    size_t len;
    struct val_msg m;
    size_t cur;                     /* the RRset being checked; n_sets: the denial's zone */
    ldns_rdf *target;               /* whose keys are wanted: its signer, or its owner */
    ldns_rdf *zone;                 /* the deepest zone proven so far on the way down */
    ldns_rr_list *keys;             /* its DNSKEY set */
    size_t probe_labels;            /* labels of the name asked about last */
    ldns_rdf *probe;                /* the name whose DS / DNSKEY is asked */
    ldns_rr_list *ds;               /* its secure DS set, or the anchor's */
    const ldns_rr_list *anchor_keys;/* the anchor's DNSKEYs when probe is an anchor */
    struct resolve *sub;            /* the sub-resolution in flight */
    struct sockaddr_storage sub_server; /* the server of its reply, when known ... */
    bool has_sub_server;
    bool refetched;                 /* ... asked again elsewhere after a bad reply */
    bool avoid_next;                /* the next fetch is that second asking */
    unsigned fetches;
    struct verify_budget budget;
    struct nsec3_budget hashes;
    enum sec_status status;         /* the least of the RRsets' so far */
    int ede;                        /* bogus: the reason */
    const char *why;
    char why_buf[160];
};

enum step { STEP_CONTINUE, STEP_WAIT };

static void val_run(struct val *v);

static void name_text(const ldns_rdf *name, char *out, size_t len)
{
    if (!name || ldns_rdf_size(name) > WIRE_MAX_NAME)
        snprintf(out, len, "?");
    else
        wire_name_to_str(ldns_rdf_data(name), ldns_rdf_size(name), out, len);
}

/* A validation step in the trace (when traced). */
static void trace_step(struct val *v, const char *fmt, const char *a, const char *b)
{
    struct resolve_query q;

    if (!v->q->trace)
        return;
    q = *v->q;
    q.why = NULL;                   /* why the route came this way is not the check's */
    resolve_trace_route(&q, "validate", fmt, a, b ? b : "");
}

static void clear_walk(struct val *v)
{
    ldns_rdf_deep_free(v->target);
    ldns_rdf_deep_free(v->zone);
    ldns_rdf_deep_free(v->probe);
    ldns_rr_list_deep_free(v->keys);
    ldns_rr_list_deep_free(v->ds);
    v->target = v->zone = v->probe = NULL;
    v->keys = v->ds = NULL;
    v->anchor_keys = NULL;
}

static void val_free(struct val *v)
{
    if (!v)
        return;
    resolve_cancel(v->sub);
    clear_walk(v);
    valmsg_free(&v->m);
    free(v->msg);
    free(v);
}

/* ---- the outcome of one RRset, and of the whole answer -------------------------------- */

static enum step set_status(struct val *v, enum sec_status st, int ede, const char *why)
{
    struct val_rrset *s = v->cur < v->m.n_sets ? &v->m.sets[v->cur] : NULL;

    if (s) {
        s->v.status = st;
        s->v.ede = ede;
        s->v.why = why;
    }
    if (st < v->status) {
        v->status = st;
        if (st == SEC_BOGUS) {
            v->ede = ede;
            v->why = why;
        }
    }
    clear_walk(v);
    v->cur++;
    v->state = st == SEC_BOGUS ? V_DONE : V_NEXT_RRSET;
    return STEP_CONTINUE;
}

static enum step bogus(struct val *v, int ede, const char *fmt, const ldns_rdf *name)
{
    char text[WIRE_MAX_NAME * 4 + 2];

    name_text(name, text, sizeof text);
    snprintf(v->why_buf, sizeof v->why_buf, fmt, text);
    trace_step(v, "bogus: %s%s", v->why_buf, NULL);
    return set_status(v, SEC_BOGUS, ede, v->why_buf);
}

/* ---- the key cache -------------------------------------------------------------------- */

static void remember(struct val *v, const ldns_rdf *zone, enum key_state st,
                     const ldns_rr_list *keys, uint32_t ttl, int ede, const char *why)
{
    uint8_t key[WIRE_MAX_NAME];
    size_t key_len;
    struct daemon *d = v->q->ctx->d;

    if (st == KEY_BAD)
        ttl = d->cfg->val_bogus_ttl;
    if (dname_to_key(zone, key, &key_len) == 0)
        keycache_store(d->keycache, key, key_len, st, keys, ttl, ede, why, time(NULL));
}

/* ---- sub-resolutions ------------------------------------------------------------------ */

static void sub_done(void *arg, const struct resolve_answer *ans);

static enum step fetch(struct val *v, ldns_rr_type type, enum vstate wait)
{
    char text[WIRE_MAX_NAME * 4 + 2];
    struct resolve_reason failed;

    if (++v->fetches > VALIDATE_MAX_FETCHES)
        return bogus(v, EDE_OTHER, "too many DNSSEC sub-queries (at %s)", v->probe);
    struct resolve_query sq = {
        .ctx = v->q->ctx, .qname_lc = ldns_rdf_data(v->probe),
        .qname_len = ldns_rdf_size(v->probe), .qtype = type, .qclass = v->q->qclass,
        .trace = v->q->trace, .unchecked = true,
        .avoid = v->avoid_next ? &v->sub_server : NULL,
    };
    if (!v->avoid_next) {
        v->refetched = false;       /* a new question: it may be asked again once */
        v->has_sub_server = false;
    }
    v->avoid_next = false;
    struct resolve_options opt = { v->q->ctx->d->cache_generation, &failed };
    name_text(v->probe, text, sizeof text);
    trace_step(v, "%s: asking its %s", text, type == LDNS_RR_TYPE_DS ? "DS" : "DNSKEY");
    v->state = wait;
    v->sub = resolve_start(&sq, &opt, sub_done, v);
    if (!v->sub)
        return bogus(v, type == LDNS_RR_TYPE_DS ? EDE_DNSSEC_BOGUS : EDE_DNSKEY_MISSING,
                     "cannot ask the keys of %s", v->probe);
    return STEP_WAIT;
}

/* A DS or DNSKEY reply that does not verify is asked once more of another server of the
 * zone (a single broken server must not break the chain). True when asked. */
static bool refetch(struct val *v, ldns_rr_type type, enum vstate wait)
{
    if (v->refetched || !v->has_sub_server)
        return false;
    v->refetched = true;
    v->avoid_next = true;
    v->fetches--;                   /* the same question: not one more towards the limit */
    fetch(v, type, wait);
    return true;
}

/* Every RRset of a reply on the way down must be secure under the keys proven above. */
static bool reply_secure(struct val *v, struct val_msg *reply, const char **why)
{
    time_t now = time(NULL);

    for (size_t i = 0; i < reply->n_sets; i++) {
        struct val_rrset *s = &reply->sets[i];
        dnssec_verify_rrset(s->rrs, s->sigs, v->keys, v->zone, now, &v->budget, &s->v);
        if (s->v.status != SEC_SECURE) {
            *why = s->v.why;
            return false;
        }
    }
    return true;
}

/* What a DS reply says once its RRsets are checked; DS_BOGUS with *insecure_reply set
 * when a record failed its check (rather than the proof being missing). */
static enum ds_outcome judge_ds(struct val *v, struct val_msg *reply, const char **why,
                                bool *failed_check)
{
    *failed_check = !reply_secure(v, reply, why);
    if (*failed_check)
        return DS_BOGUS;
    return valmsg_ds_outcome(reply, v->probe, &v->hashes, why);
}

static enum step act_on_ds(struct val *v, struct val_msg *reply, enum ds_outcome o)
{
    char text[WIRE_MAX_NAME * 4 + 2];

    name_text(v->probe, text, sizeof text);
    switch (o) {
    case DS_FOUND: {
        struct val_rrset *ds = valmsg_find(reply, LDNS_SECTION_ANSWER, v->probe, LDNS_RR_TYPE_DS);
        if (!valmsg_ds_usable(ds->rrs)) {
            trace_step(v, "%s: insecure: %s", text, "no DS with an algorithm we can check");
            remember(v, v->probe, KEY_INSECURE, NULL, ds->v.ttl, EDE_NONE, NULL);
            return set_status(v, SEC_INSECURE, EDE_NONE, NULL);
        }
        v->ds = ds->rrs;
        ds->rrs = NULL;
        return fetch(v, LDNS_RR_TYPE_DNSKEY, V_WAIT_DNSKEY);
    }
    case DS_INSECURE:
        trace_step(v, "%s: insecure: %s", text, "a delegation without DS");
        remember(v, v->probe, KEY_INSECURE, NULL, reply->n_sets ? reply->sets[0].v.ttl : 0,
                 EDE_NONE, NULL);
        return set_status(v, SEC_INSECURE, EDE_NONE, NULL);
    default:                        /* DS_NO_CUT */
        v->state = V_DESCEND;
        return STEP_CONTINUE;
    }
}

static enum step take_ds(struct val *v, struct val_msg *reply)
{
    const char *why = NULL;
    bool failed_check;
    enum ds_outcome o = judge_ds(v, reply, &why, &failed_check);

    if (o != DS_BOGUS)
        return act_on_ds(v, reply, o);
    if (failed_check && refetch(v, LDNS_RR_TYPE_DS, V_WAIT_DS))
        return STEP_WAIT;
    if (failed_check) {
        remember(v, v->probe, KEY_BAD, NULL, 0, EDE_DNSSEC_BOGUS, why);
        return bogus(v, EDE_DNSSEC_BOGUS, "the DS reply for %s is not secure", v->probe);
    }
    remember(v, v->probe, KEY_BAD, NULL, 0, EDE_NSEC_MISSING, why);
    return bogus(v, EDE_NSEC_MISSING, "no proof that %s has no DS", v->probe);
}

static enum step take_dnskey(struct val *v, struct val_msg *reply)
{
    struct val_rrset *set = valmsg_find(reply, LDNS_SECTION_ANSWER, v->probe,
                                        LDNS_RR_TYPE_DNSKEY);
    struct verdict vd;
    char text[WIRE_MAX_NAME * 4 + 2];

    name_text(v->probe, text, sizeof text);
    if (!set) {
        remember(v, v->probe, KEY_BAD, NULL, 0, EDE_DNSKEY_MISSING, "no DNSKEY set");
        return bogus(v, EDE_DNSKEY_MISSING, "no DNSKEY set for %s", v->probe);
    }
    dnssec_verify_dnskeys(set->rrs, set->sigs, v->ds, v->anchor_keys, v->probe, time(NULL),
                          &v->budget, &vd);
    if (vd.status == SEC_INSECURE) {
        trace_step(v, "%s: insecure: %s", text, vd.why);
        remember(v, v->probe, KEY_INSECURE, NULL, set->v.ttl ? set->v.ttl : 3600, EDE_NONE, NULL);
        return set_status(v, SEC_INSECURE, EDE_NONE, NULL);
    }
    if (vd.status != SEC_SECURE) {
        if (refetch(v, LDNS_RR_TYPE_DNSKEY, V_WAIT_DNSKEY))
            return STEP_WAIT;
        remember(v, v->probe, KEY_BAD, NULL, 0, vd.ede, vd.why);
        snprintf(v->why_buf, sizeof v->why_buf, "the DNSKEY set of %.100s: %s", text, vd.why);
        trace_step(v, "bogus: %s%s", v->why_buf, NULL);
        return set_status(v, SEC_BOGUS, vd.ede, v->why_buf);
    }
    trace_step(v, "%s: DNSKEY set proven%s", text, v->anchor_keys || !v->ds ? " (anchor)" : "");
    remember(v, v->probe, KEY_GOOD, set->rrs, vd.ttl, EDE_NONE, NULL);
    ldns_rdf_deep_free(v->zone);
    ldns_rr_list_deep_free(v->keys);
    ldns_rr_list_deep_free(v->ds);
    v->zone = v->probe;
    v->keys = set->rrs;
    set->rrs = NULL;
    v->probe = NULL;
    v->ds = NULL;
    v->anchor_keys = NULL;
    v->probe_labels = ldns_dname_label_count(v->zone);
    v->state = V_DESCEND;
    return STEP_CONTINUE;
}

static void sub_done(void *arg, const struct resolve_answer *ans)
{
    struct val *v = arg;
    struct val_msg reply;
    bool ds = v->state == V_WAIT_DS;

    v->sub = NULL;
    v->has_sub_server = ans->server != NULL;
    if (ans->server)
        v->sub_server = *ans->server;
    if (!ans->msg || valmsg_parse(ans->msg, ans->len, &reply) != 0) {
        ldns_rdf *probe = v->probe;
        remember(v, probe, KEY_BAD, NULL, 0, ds ? EDE_DNSSEC_BOGUS : EDE_DNSKEY_MISSING,
                 "no reply");
        bogus(v, ds ? EDE_DNSSEC_BOGUS : EDE_DNSKEY_MISSING,
              ds ? "no usable reply to the DS question for %s"
                 : "no usable reply to the DNSKEY question for %s", probe);
    } else {
        if (ds)
            take_ds(v, &reply);
        else
            take_dnskey(v, &reply);
        valmsg_free(&reply);
    }
    val_run(v);
}

/* ---- the states ------------------------------------------------------------------------ */

/* Whether the RRset at v->cur needs checking at all: the authority section of a positive
 * answer matters only for a wildcard expansion. */
static bool worth_checking(const struct val *v, const struct val_rrset *s)
{
    if (s->derived)
        return false;               /* its DNAME is checked instead */
    if (s->section == LDNS_SECTION_ANSWER || v->m.negative)
        return true;
    for (size_t i = 0; i < v->m.n_sets; i++)
        if (v->m.sets[i].section == LDNS_SECTION_ANSWER && v->m.sets[i].v.wildcard)
            return true;
    return false;
}

static enum step do_next_rrset(struct val *v)
{
    while (v->cur < v->m.n_sets && !worth_checking(v, &v->m.sets[v->cur]))
        v->cur++;
    if (v->cur > v->m.n_sets) {
        v->state = V_PROVE;
        return STEP_CONTINUE;
    }
    if (v->cur == v->m.n_sets) {
        /* a denial without a single SOA, NSEC or NSEC3: fine only in an unsigned zone */
        if (!v->m.negative || valmsg_find(&v->m, LDNS_SECTION_AUTHORITY, NULL, LDNS_RR_TYPE_SOA)) {
            v->state = V_PROVE;
            return STEP_CONTINUE;
        }
        v->target = ldns_rdf_clone(v->m.last_name);
    } else {
        struct val_rrset *s = &v->m.sets[v->cur];
        const ldns_rdf *owner = ldns_rr_owner(ldns_rr_list_rr(s->rrs, 0));
        if (s->signer && !dname_at_or_below(owner, s->signer))
            return bogus(v, EDE_RRSIGS_MISSING, "the signer of %s is not its zone", owner);
        v->target = ldns_rdf_clone(s->signer ? s->signer : owner);
    }
    if (!v->target)
        return bogus(v, EDE_OTHER, "out of memory at %s", NULL);
    ldns_dname2canonical(v->target);
    v->state = V_FIND_KEYS;
    return STEP_CONTINUE;
}

/* From the anchor or the key cache, whichever is closer to the target. */
static enum step do_find_keys(struct val *v)
{
    const struct anchors *a = v->q->ctx->d->anchors;
    uint8_t key[WIRE_MAX_NAME];
    size_t key_len;
    struct key_info ki;

    if (dname_to_key(v->target, key, &key_len) != 0)
        return bogus(v, EDE_OTHER, "an unusable name %s", v->target);
    const struct anchor *an = anchors_closest(a, key, key_len);
    if (!an || anchors_negative(a, key, key_len))
        return set_status(v, SEC_INSECURE, EDE_NONE, NULL);
    keycache_closest(v->q->ctx->d->keycache, key, key_len, time(NULL), &ki);
    if (ki.state != KEY_NONE && ki.zone_len >= an->zone_len) {
        if (ki.state == KEY_INSECURE)
            return set_status(v, SEC_INSECURE, EDE_NONE, NULL);
        if (ki.state == KEY_BAD) {
            snprintf(v->why_buf, sizeof v->why_buf, "%s (cached)", ki.why);
            return set_status(v, SEC_BOGUS, EDE_DNSSEC_BOGUS, v->why_buf);
        }
        v->zone = ldns_dname_new_frm_data((uint16_t)ki.zone_len, ki.zone);
        v->keys = ki.keys;
        if (!v->zone)
            return bogus(v, EDE_OTHER, "out of memory at %s", v->target);
        v->probe_labels = ldns_dname_label_count(v->zone);
        v->state = V_DESCEND;
        return STEP_CONTINUE;
    }
    ldns_rr_list_deep_free(ki.keys);
    v->probe = ldns_dname_new_frm_data((uint16_t)an->zone_len, an->zone);
    v->ds = an->ds && ldns_rr_list_rr_count(an->ds) ? ldns_rr_list_clone(an->ds) : NULL;
    v->anchor_keys = an->dnskey && ldns_rr_list_rr_count(an->dnskey) ? an->dnskey : NULL;
    if (!v->probe)
        return bogus(v, EDE_OTHER, "out of memory at %s", v->target);
    return fetch(v, LDNS_RR_TYPE_DNSKEY, V_WAIT_DNSKEY);
}

/* The referral on the way down said what the probe's DS is (context.h: ds_proofs): the
 * same checks as for a DS reply, and no question. False when it said nothing usable (the
 * DS is then asked as usual). */
static bool ds_from_referral(struct val *v)
{
    uint8_t key[WIRE_MAX_NAME];
    size_t key_len, len = 0;
    struct key_info ki;
    struct val_msg reply;
    const char *why;

    if (dname_to_key(v->probe, key, &key_len) != 0)
        return false;
    keycache_closest(v->q->ctx->d->ds_proofs, key, key_len, time(NULL), &ki);
    if (ki.state != KEY_GOOD || ki.zone_len != key_len) {
        ldns_rr_list_deep_free(ki.keys);
        return false;
    }
    ldns_rr_list *answer = ldns_rr_list_new(), *authority = ldns_rr_list_new();
    for (size_t i = 0; answer && authority && i < ldns_rr_list_rr_count(ki.keys); i++) {
        ldns_rr *rr = ldns_rr_list_rr(ki.keys, i);
        bool ds = ldns_rr_get_type(rr) == LDNS_RR_TYPE_DS ||
                  (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
                   ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) == LDNS_RR_TYPE_DS);
        ldns_rr_list_push_rr(ds ? answer : authority, rr);
    }
    uint8_t *wire = answer && authority
        ? response_build(v->probe, LDNS_RR_TYPE_DS, v->q->qclass, LDNS_RCODE_NOERROR, answer,
                         authority, &len) : NULL;
    ldns_rr_list_free(answer);      /* shallow: the records are ki.keys' */
    ldns_rr_list_free(authority);
    ldns_rr_list_deep_free(ki.keys);
    bool parsed = wire && valmsg_parse(wire, len, &reply) == 0;
    free(wire);
    if (!parsed)
        return false;
    bool failed_check;
    enum ds_outcome o = judge_ds(v, &reply, &why, &failed_check);
    if (o != DS_BOGUS) {            /* else not a verdict: asking will tell */
        char text[WIRE_MAX_NAME * 4 + 2];
        name_text(v->probe, text, sizeof text);
        trace_step(v, "%s: its DS records as the parent's referral gave them%s", text,
                   " (no question)");
        act_on_ds(v, &reply, o);
    }
    valmsg_free(&reply);
    return o != DS_BOGUS;
}

static enum step do_descend(struct val *v)
{
    size_t target_labels = ldns_dname_label_count(v->target);

    if (v->probe_labels >= target_labels) {
        v->state = V_VERIFY;
        return STEP_CONTINUE;
    }
    v->probe_labels++;
    ldns_rdf_deep_free(v->probe);
    v->probe = ldns_dname_clone_from(v->target, target_labels - v->probe_labels);
    if (!v->probe)
        return bogus(v, EDE_OTHER, "out of memory at %s", v->target);
    v->state = V_WAIT_DS;           /* what take_ds expects, also without a question */
    if (ds_from_referral(v))
        return v->state == V_WAIT_DS || v->state == V_WAIT_DNSKEY ? STEP_WAIT : STEP_CONTINUE;
    return fetch(v, LDNS_RR_TYPE_DS, V_WAIT_DS);
}

static enum step do_verify(struct val *v)
{
    char text[WIRE_MAX_NAME * 4 + 2];

    if (v->cur == v->m.n_sets)      /* a signed zone's denial without a signed record */
        return bogus(v, EDE_NSEC_MISSING, "no signed denial for %s", v->m.last_name);
    struct val_rrset *s = &v->m.sets[v->cur];
    dnssec_verify_rrset(s->rrs, s->sigs, v->keys, v->zone, time(NULL), &v->budget, &s->v);
    name_text(ldns_rr_owner(ldns_rr_list_rr(s->rrs, 0)), text, sizeof text);
    if (s->v.status != SEC_SECURE) {
        snprintf(v->why_buf, sizeof v->why_buf, "%.100s %s: %s", text,
                 ldns_rr_descript(ldns_rr_get_type(ldns_rr_list_rr(s->rrs, 0)))->_name,
                 s->v.why);
        trace_step(v, "bogus: %s%s", v->why_buf, NULL);
        struct verdict vd = s->v;
        return set_status(v, SEC_BOGUS, vd.ede, v->why_buf);
    }
    trace_step(v, "%s: secure%s", text, s->v.wildcard ? " (a wildcard expansion)" : "");
    struct verdict vd = s->v;
    set_status(v, SEC_SECURE, EDE_NONE, NULL);
    v->m.sets[v->cur - 1].v = vd;   /* keep the wildcard facts for the proof */
    return STEP_CONTINUE;
}

static enum step do_prove(struct val *v)
{
    int ede;
    const char *why;

    v->state = V_DONE;
    if (v->status != SEC_SECURE)
        return STEP_CONTINUE;
    enum sec_status st = valmsg_prove(&v->m, &v->hashes, &ede, &why);
    if (st < v->status) {
        v->status = st;
        v->ede = ede;
        v->why = why;
        trace_step(v, st == SEC_BOGUS ? "bogus: %s%s" : "insecure: %s%s", why ? why : "?", NULL);
    }
    return STEP_CONTINUE;
}

/* ---- the run and its end ---------------------------------------------------------------- */

static void count(struct val *v)
{
    struct stats *st = &v->q->ctx->stats;

    switch (v->status) {
    case SEC_SECURE: st->val_secure++; break;
    case SEC_INSECURE: st->val_insecure++; break;
    case SEC_BOGUS: break;          /* counted by resolve.c: a retry may check it again */
    default: st->val_indeterminate++; break;
    }
}

static void finish(struct val *v)
{
    struct resolve *r = v->r;
    uint8_t *msg = v->msg;
    size_t len = v->len;
    bool is_bogus = v->status == SEC_BOGUS;   /* status only falls from SEC_SECURE */

    if (v->status == SEC_SECURE) {
        msg[3] |= WIRE_FLAG_AD;
        if (v->q->ctx->d->cfg->aggressive_nsec)
            negcache_learn(v->q->ctx->d->nsec_ranges, &v->m, time(NULL));
    } else {
        msg[3] &= (uint8_t)~WIRE_FLAG_AD;
    }
    count(v);
    if (is_bogus) {
        log_debug("validate: bogus: %s", v->why ? v->why : "?");
        resolve_set_reason(r, v->ede == EDE_NONE ? EDE_DNSSEC_BOGUS : v->ede,
                           v->why ? v->why : "DNSSEC validation failed");
    }
    trace_step(v, "%s%s", v->status == SEC_SECURE ? "secure: AD set" :
               v->status == SEC_INSECURE ? "insecure: no AD" : "bogus: SERVFAIL (the data for CD only)",
               NULL);
    v->msg = NULL;
    /* the answer is handed on; what it points to must outlive the call */
    resolve_checked(r, msg, len, is_bogus);
    free(msg);
    v->r = NULL;
    val_free(v);
}

static void val_run(struct val *v)
{
    for (;;) {
        enum step s;
        switch (v->state) {
        case V_NEXT_RRSET: s = do_next_rrset(v); break;
        case V_FIND_KEYS: s = do_find_keys(v); break;
        case V_DESCEND: s = do_descend(v); break;
        case V_VERIFY: s = do_verify(v); break;
        case V_PROVE: s = do_prove(v); break;
        case V_WAIT_DS: case V_WAIT_DNSKEY: return;
        default: finish(v); return;
        }
        if (s == STEP_WAIT)
            return;
    }
}

/* ---- the stage -------------------------------------------------------------------------- */

static enum resolve_verdict stage_check(struct resolve *r, uint8_t *msg, size_t len, void **state)
{
    const struct resolve_query *q = resolve_query_of(r);
    struct val *v;

    if (!q->ctx->d->anchors || len < WIRE_HEADER_LEN)
        return RESOLVE_ANSWER;
    msg[3] &= (uint8_t)~WIRE_FLAG_AD;   /* an upstream's AD is never taken on trust */
    if (q->qtype == LDNS_RR_TYPE_RRSIG)
        return RESOLVE_ANSWER;          /* RRSIGs are not signed: nothing to prove, no AD
                                         * (as Unbound; Deckard val_rrsig) */
    if (!(v = calloc(1, sizeof *v)) || !(v->msg = malloc(len)) ||
        valmsg_parse(msg, len, &v->m) != 0) {
        if (v)
            free(v->msg);
        free(v);
        resolve_set_reason(r, EDE_DNSSEC_BOGUS, "the answer could not be parsed for validation");
        return RESOLVE_FAIL;
    }
    memcpy(v->msg, msg, len);
    v->len = len;
    v->r = r;
    v->q = q;
    v->status = SEC_SECURE;
    v->budget.left = VALIDATE_MAX_VERIFICATIONS;
    v->hashes.hashes_left = NSEC3_MAX_HASHES;
    v->state = V_NEXT_RRSET;
    *state = v;
    val_run(v);         /* an answer whose keys are all cached is finished here */
    return RESOLVE_WAIT;
}

static void stage_cancel(void *state)
{
    struct val *v = state;
    if (v)
        v->r = NULL;
    val_free(v);
}

const struct resolve_stage validate_stage = { "validate", NULL, stage_cancel, NULL,
                                              stage_check, false };
