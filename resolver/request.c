/* request.c -- one client question: parse, ACL, then hosts, local zones, cache, mesh.
 *
 * Answers from the hosts file and local zones are built with ldns and then go through the
 * same reply_finish (reply.c) as cache hits and upstream answers, so every reply is shaped
 * in one place. What it refuses or does not serve says why in an Extended DNS Error: the
 * ACL 18 (Prohibited), zone transfers, other classes and opcodes 21 (Not Supported). The
 * cache-hit path allocates nothing: the reply is assembled in stack buffers, for a client
 * that set DO (its form of the answer, with the DNSSEC records: cache.h) as for one that
 * did not. */
#include "request.h"

#include <string.h>

#include <ldns/ldns.h>

#include "acl.h"
#include "cache.h"
#include "config.h"
#include "context.h"
#include "ede.h"
#include "hosts.h"
#include "localzone.h"
#include "log.h"
#include "querylog.h"
#include "ratelimit.h"
#include "reply.h"
#include "wire.h"

#define TYPE_IXFR 251
#define TYPE_AXFR 252
#define TYPE_ANY  255

/* Encodes an ldns answer (hosts, local zone) and sends it like any stored message. */
static void answer_from_pkt(struct thread_ctx *ctx, const struct wire_query *q,
                            const struct reply_target *t, ldns_pkt *pkt)
{
    uint8_t *wire = NULL;
    size_t wire_len = 0;

    /* a local zone fails its answer only when out of memory (localzone.c) */
    if (ldns_pkt_get_rcode(pkt) == LDNS_RCODE_SERVFAIL ||
        ldns_pkt2wire(&wire, pkt, &wire_len) != LDNS_STATUS_OK) {
        reply_error_ede(ctx, q, t, WIRE_RCODE_SERVFAIL, EDE_OTHER, "out of memory");
        return;
    }
    reply_answer(ctx, q, t, wire, wire_len);
    free(wire);
}

/* A response packet with the client's question, ready for hosts or a local zone to fill. */
static ldns_pkt *new_response(const struct wire_query *q)
{
    ldns_rdf *qname = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, q->qname_len, q->qname);
    ldns_pkt *pkt = qname ? ldns_pkt_new() : NULL;
    ldns_rr *question = pkt ? ldns_rr_new() : NULL;

    if (!question) {
        ldns_pkt_free(pkt);
        ldns_rdf_deep_free(qname);
        return NULL;
    }
    ldns_rr_set_owner(question, qname);
    ldns_rr_set_type(question, q->qtype);
    ldns_rr_set_class(question, q->qclass);
    ldns_rr_set_question(question, true);
    ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, question);
    return pkt;
}

/* The cheap test first: most names are in neither the hosts file nor a local zone, and
 * for them (every cache hit among them) nothing is allocated and ldns builds nothing. */
static bool locally_known(const struct daemon *d, const struct wire_query *q)
{
    return (d->hosts && hosts_has_name(d->hosts, q->qname_lc, q->qname_len)) ||
           (d->zones && localzones_cover(d->zones, q->qname_lc, q->qname_len));
}

ldns_pkt *request_local_answer(struct daemon *d, const struct wire_query *q,
                               enum local_source *from)
{
    ldns_pkt *pkt;

    *from = LOCAL_NONE;
    if (q->qclass != WIRE_CLASS_IN || !locally_known(d, q) || !(pkt = new_response(q)))
        return NULL;
    ldns_rr_list *answer = ldns_rr_list_new();
    if (answer && d->hosts &&
        hosts_lookup(d->hosts, q->qname, q->qname_len, q->qtype, d->cfg->hosts_ttl,
                     answer) == HOSTS_HIT) {
        ldns_pkt_push_rr_list(pkt, LDNS_SECTION_ANSWER, answer);
        ldns_pkt_set_aa(pkt, true);
        *from = LOCAL_HOSTS;
    } else if (d->zones && localzones_answer(d->zones, q->qname, q->qname_len, q->qtype, pkt)) {
        *from = LOCAL_ZONE;
    }
    ldns_rr_list_free(answer);      /* the RRs themselves now belong to pkt */
    if (*from == LOCAL_NONE) {
        ldns_pkt_free(pkt);
        return NULL;
    }
    ldns_pkt_set_qr(pkt, true);
    return pkt;
}

/* Returns true if the hosts file or a local zone answered. */
static bool answer_locally(struct thread_ctx *ctx, const struct wire_query *q,
                           const struct reply_target *t)
{
    enum local_source from;
    ldns_pkt *pkt = request_local_answer(ctx->d, q, &from);

    if (!pkt)
        return false;
    if (from == LOCAL_HOSTS)
        ctx->stats.answers_hosts++;
    else
        ctx->stats.answers_local++;
    answer_from_pkt(ctx, q, t, pkt);
    ldns_pkt_free(pkt);
    return true;
}

/* A hit late in its TTL (cache.h: prefetch) asks the question's owner for a refresh,
 * after the client has its answer. An expired entry in its serve-stale back-off is
 * answered stale without asking anyone. */
static bool answer_from_cache(struct thread_ctx *ctx, const struct wire_query *q,
                              const struct reply_target *t)
{
    /* one buffer: the cached copy is finished into the reply in place (room left for OPT) */
    uint8_t buf[WIRE_MAX_UDP + WIRE_MAX_NAME];
    struct cache_hit hit;
    size_t len = cache_lookup_client(ctx->d->cache, q->qname_lc, q->qname_len, q->qtype,
                                     q->qclass, q->edns_do, time(NULL), buf, WIRE_MAX_UDP, &hit);
    if (len == 0) {
        ctx->stats.cache_misses++;
        return false;
    }
    if (hit.stale) {                /* expired, its refresh failed lately: serve-stale */
        reply_stale(ctx, q, t, buf, len, buf, sizeof buf);
        return true;
    }
    ctx->stats.cache_hits++;
    reply_finish(ctx, q, t, buf, len, buf, sizeof buf);
    if (hit.prefetch && ctx->prefetch)
        ctx->prefetch(ctx, q);
    return true;
}

/* `ratelimit`: true when this UDP query gets no real answer -- dropped, or (every other
 * one) an empty TC=1 reply that sends a real client to TCP. */
static bool over_ratelimit(struct thread_ctx *ctx, const struct wire_query *q,
                           const struct reply_target *t)
{
    uint8_t out[WIRE_HEADER_LEN + WIRE_MAX_NAME + 4 + 11];
    size_t len;

    switch (ratelimit_check(ctx->d->ratelimit, &t->peer, ctx->d->cfg->ratelimit, time(NULL))) {
    case RATELIMIT_PASS:
        return false;
    case RATELIMIT_SLIP:
        ctx->stats.ratelimit_slipped++;
        len = wire_build_error(q, WIRE_RCODE_NOERROR, ctx->d->cfg->edns_buffer_size, out,
                               sizeof out);
        if (len >= WIRE_HEADER_LEN)
            out[2] |= 0x02;                 /* TC */
        reply_send(ctx, t, out, len);
        return true;
    case RATELIMIT_DROP:
    default:
        ctx->stats.ratelimit_dropped++;
        reply_send(ctx, t, NULL, 0);
        return true;
    }
}

/* Meta-types (RFC 6895 3.1: 128-255, and OPT) name no data anyone could look up: OPT, TKEY
 * and TSIG only mean something in the message that carries them, MAILA/MAILB are obsolete.
 * Such a question is malformed (FORMERR, as Unbound and OpenBSD unwind answer) and never
 * worth an upstream query. ANY (255) is a real question; IXFR/AXFR are refused apart. */
static bool qtype_is_meta(uint16_t qtype)
{
    return qtype == WIRE_TYPE_OPT || (qtype >= 128 && qtype <= 250) || qtype == 253 ||
           qtype == 254;
}

/* RFC 8482: ANY is answered with one synthesized HINFO "RFC8482" record, not everything
 * known of the name -- an ANY answer is the classic amplifier, and no client needs one.
 * The hosts file and local zones still answer ANY from their own data (they run first). */
static void answer_any_minimally(struct thread_ctx *ctx, const struct wire_query *q,
                                 const struct reply_target *t)
{
    static const uint8_t hinfo[] = {
        0xc0, 0x0c, 0, 13, 0, 1, 0, 0, 0x0e, 0x10,     /* the qname, HINFO, IN, TTL 3600 */
        0, 9, 7, 'R', 'F', 'C', '8', '4', '8', '2', 0, /* CPU "RFC8482", OS "" */
    };
    uint8_t body[WIRE_HEADER_LEN + WIRE_MAX_NAME + 4 + sizeof hinfo];
    size_t pos = WIRE_HEADER_LEN;

    memset(body, 0, WIRE_HEADER_LEN);
    body[2] = 0x80;                         /* QR; wire_finish_reply sets the rest */
    wire_put16(body + 4, 1);
    wire_put16(body + 6, 1);
    memcpy(body + pos, q->qname_lc, q->qname_len);
    pos += q->qname_len;
    wire_put16(body + pos, q->qtype);
    wire_put16(body + pos + 2, q->qclass);
    pos += 4;
    memcpy(body + pos, hinfo, sizeof hinfo);
    pos += sizeof hinfo;
    reply_answer(ctx, q, t, body, pos);
}

static bool client_allowed(const struct daemon *d, const struct reply_target *t)
{
    return acl_allows(&d->cfg->acl, (const struct sockaddr *)&t->peer);
}

void request_handle(struct thread_ctx *ctx, const uint8_t *pkt, size_t len,
                    const struct reply_target *t)
{
    struct wire_query q;
    enum wire_query_verdict verdict = wire_parse_query(pkt, len, &q);

    if (verdict == WIRE_QUERY_DROP) {
        ctx->stats.dropped++;
        reply_send(ctx, t, NULL, 0);
        return;
    }
    if (!client_allowed(ctx->d, t)) {
        ctx->stats.refused_acl++;
        /* no text: a refused client learns nothing of the config, and gets little back */
        reply_error_ede(ctx, &q, t, WIRE_RCODE_REFUSED, EDE_PROHIBITED, NULL);
        return;
    }
    ctx->stats.queries_total++;
    if (ctx->d->cfg->log_queries)
        querylog_write(&q, t);
    stats_count_qtype(&ctx->stats, q.question_end ? q.qtype : 0);   /* 0: no question: other */
    if (t->tls)
        ctx->stats.queries_tls++;
    else if (t->tcp)
        ctx->stats.queries_tcp++;
    else
        ctx->stats.queries_udp++;
    if (!t->tcp && ctx->d->cfg->ratelimit && over_ratelimit(ctx, &q, t))
        return;
    switch (verdict) {
    case WIRE_QUERY_OK:
        break;
    case WIRE_QUERY_NOTIMP:
        ctx->stats.notimp++;
        reply_error_ede(ctx, &q, t, WIRE_RCODE_NOTIMP, EDE_NOT_SUPPORTED,
                        "only opcode QUERY is served");
        return;
    case WIRE_QUERY_BADVERS:
        reply_error(ctx, &q, t, 16);
        return;
    default:
        ctx->stats.formerr++;
        reply_error(ctx, &q, t, WIRE_RCODE_FORMERR);
        return;
    }
    if (q.qtype == TYPE_AXFR || q.qtype == TYPE_IXFR) {
        reply_error_ede(ctx, &q, t, WIRE_RCODE_REFUSED, EDE_NOT_SUPPORTED,
                        "zone transfers are not served");
        return;
    }
    if (qtype_is_meta(q.qtype)) {
        ctx->stats.formerr++;
        reply_error(ctx, &q, t, WIRE_RCODE_FORMERR);
        return;
    }
    /* Only class IN is served: hosts, local zones and the root hints are all IN, so any
     * other class (CH, HS, NONE, ANY, unassigned ones) could only cost upstream queries and
     * end in SERVFAIL, or in a timeout where a server ignores the class. A clear REFUSED
     * at once instead, as Unbound answers. */
    if (q.qclass != WIRE_CLASS_IN) {
        reply_error_ede(ctx, &q, t, WIRE_RCODE_REFUSED, EDE_NOT_SUPPORTED,
                        "only class IN is served");
        return;
    }
    if (answer_locally(ctx, &q, t))
        return;
    if (q.qtype == TYPE_ANY) {
        answer_any_minimally(ctx, &q, t);
        return;
    }
    if (answer_from_cache(ctx, &q, t))
        return;
    if (ctx->resolve)
        ctx->resolve(ctx, &q, t);
    else                                /* a context that cannot resolve */
        reply_error_ede(ctx, &q, t, WIRE_RCODE_SERVFAIL, EDE_OTHER, "no resolution here");
}
