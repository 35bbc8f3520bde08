/* request.c -- one client question: parse, ACL, then hosts, local zones, cache, mesh.
 *
 * Answers from the hosts file and local zones are built with ldns and then go through the
 * same wire_finish_reply as cache hits and upstream answers, so every reply is shaped in
 * one place. The cache-hit path allocates nothing: the reply is assembled in stack buffers. */
#include "request.h"

#include <string.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "acl.h"
#include "cache.h"
#include "config.h"
#include "daemon.h"
#include "hosts.h"
#include "listener.h"
#include "localzone.h"
#include "log.h"
#include "mesh.h"
#include "querylog.h"
#include "ratelimit.h"
#include "wire.h"
#include "workers.h"

#define TYPE_IXFR 251
#define TYPE_AXFR 252
#define TYPE_ANY  255

static size_t reply_limit(const struct daemon *d, const struct wire_query *q,
                          const struct reply_target *t)
{
    return t->tcp ? WIRE_MAX_UDP : wire_udp_limit(q, d->cfg->edns_buffer_size);
}

void request_send(struct daemon *d, const struct reply_target *t, const uint8_t *reply,
                  size_t len)
{
    if (len >= WIRE_HEADER_LEN) {
        /* received may come from another thread's loop clock: never below zero */
        ev_tstamp waited = ev_now(d->loop) - t->received;
        d->stats.rcode[WIRE_RCODE(reply)]++;
        stats_record_latency(&d->stats, waited > 0 ? (uint64_t)(waited * 1e6) : 0);
    }
    if (t->tcp) {
        if (workers_tcp_reply(d, t, reply, len) != 0)    /* another thread's connection? */
            listener_tcp_reply(t->tcp, reply, len);
        return;
    }
    if (len == 0 || listener_udp_queue(t->batch, t, reply, len))
        return;
    if (sendto(t->udp_fd, reply, len, 0, (const struct sockaddr *)&t->peer, t->peer_len) < 0)
        log_debug("udp send failed: %s", strerror(errno));
}

static void send_error(struct daemon *d, const struct wire_query *q,
                       const struct reply_target *t, int rcode)
{
    uint8_t out[WIRE_HEADER_LEN + WIRE_MAX_NAME + 4 + 11];
    request_send(d, t, out, wire_build_error(q, rcode, d->cfg->edns_buffer_size, out,
                                             sizeof out));
}

/* Shapes body into out (which may be body itself) and sends it; SERVFAIL when body is NULL
 * or unusable. */
static void finish_and_send(struct daemon *d, const struct wire_query *q,
                            const struct reply_target *t, const uint8_t *body, size_t body_len,
                            uint8_t *out, size_t cap)
{
    size_t len = 0;

    if (body)
        len = wire_finish_reply(q, body, body_len, d->cfg->edns_buffer_size,
                                reply_limit(d, q, t), out, cap);
    if (len == 0) {
        if (body)
            log_debug("unusable answer body, answering SERVFAIL");
        len = wire_build_error(q, WIRE_RCODE_SERVFAIL, d->cfg->edns_buffer_size, out, cap);
    }
    request_send(d, t, out, len);
}

void request_answer(struct daemon *d, const struct wire_query *q,
                    const struct reply_target *t, const uint8_t *body, size_t body_len)
{
    uint8_t out[WIRE_MAX_UDP];

    finish_and_send(d, q, t, body, body_len, out, sizeof out);
}

/* Encodes an ldns answer (hosts, local zone) and sends it like any stored message. */
static void answer_from_pkt(struct daemon *d, const struct wire_query *q,
                            const struct reply_target *t, ldns_pkt *pkt)
{
    uint8_t *wire = NULL;
    size_t wire_len = 0;

    if (ldns_pkt2wire(&wire, pkt, &wire_len) != LDNS_STATUS_OK) {
        request_answer(d, q, t, NULL, 0);
        return;
    }
    request_answer(d, q, t, wire, wire_len);
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
static bool answer_locally(struct daemon *d, const struct wire_query *q,
                           const struct reply_target *t)
{
    enum local_source from;
    ldns_pkt *pkt = request_local_answer(d, q, &from);

    if (!pkt)
        return false;
    if (from == LOCAL_HOSTS)
        d->stats.answers_hosts++;
    else
        d->stats.answers_local++;
    answer_from_pkt(d, q, t, pkt);
    ldns_pkt_free(pkt);
    return true;
}

static bool answer_from_cache(struct daemon *d, const struct wire_query *q,
                              const struct reply_target *t)
{
    /* one buffer: the cached copy is finished into the reply in place (room left for OPT) */
    uint8_t buf[WIRE_MAX_UDP + WIRE_MAX_NAME];
    size_t len = cache_lookup(d->cache, q->qname_lc, q->qname_len, q->qtype, q->qclass,
                              time(NULL), buf, WIRE_MAX_UDP, NULL);
    if (len == 0) {
        d->stats.cache_misses++;
        return false;
    }
    d->stats.cache_hits++;
    finish_and_send(d, q, t, buf, len, buf, sizeof buf);
    return true;
}

/* `ratelimit`: true when this UDP query gets no real answer -- dropped, or (every other
 * one) an empty TC=1 reply that sends a real client to TCP. */
static bool over_ratelimit(struct daemon *d, const struct wire_query *q,
                           const struct reply_target *t)
{
    uint8_t out[WIRE_HEADER_LEN + WIRE_MAX_NAME + 4 + 11];
    size_t len;

    switch (ratelimit_check(d->ratelimit, &t->peer, d->cfg->ratelimit, time(NULL))) {
    case RATELIMIT_PASS:
        return false;
    case RATELIMIT_SLIP:
        d->stats.ratelimit_slipped++;
        len = wire_build_error(q, WIRE_RCODE_NOERROR, d->cfg->edns_buffer_size, out, sizeof out);
        if (len >= WIRE_HEADER_LEN)
            out[2] |= 0x02;                 /* TC */
        request_send(d, t, out, len);
        return true;
    case RATELIMIT_DROP:
    default:
        d->stats.ratelimit_dropped++;
        request_send(d, t, NULL, 0);
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
static void answer_any_minimally(struct daemon *d, const struct wire_query *q,
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
    request_answer(d, q, t, body, pos);
}

static bool client_allowed(const struct daemon *d, const struct reply_target *t)
{
    return acl_allows(&d->cfg->acl, (const struct sockaddr *)&t->peer);
}

void request_handle(struct daemon *d, const uint8_t *pkt, size_t len,
                    const struct reply_target *t)
{
    struct wire_query q;
    enum wire_query_verdict verdict = wire_parse_query(pkt, len, &q);

    if (verdict == WIRE_QUERY_DROP) {
        d->stats.dropped++;
        request_send(d, t, NULL, 0);
        return;
    }
    if (!client_allowed(d, t)) {
        d->stats.refused_acl++;
        send_error(d, &q, t, WIRE_RCODE_REFUSED);
        return;
    }
    d->stats.queries_total++;
    if (d->cfg->log_queries)
        querylog_write(&q, t);
    stats_count_qtype(&d->stats, q.question_end ? q.qtype : 0);   /* 0: no question: other */
    if (t->tcp)
        d->stats.queries_tcp++;
    else
        d->stats.queries_udp++;
    if (!t->tcp && d->cfg->ratelimit && over_ratelimit(d, &q, t))
        return;
    switch (verdict) {
    case WIRE_QUERY_OK:
        break;
    case WIRE_QUERY_NOTIMP:
        d->stats.notimp++;
        send_error(d, &q, t, WIRE_RCODE_NOTIMP);
        return;
    case WIRE_QUERY_BADVERS:
        send_error(d, &q, t, 16);
        return;
    default:
        d->stats.formerr++;
        send_error(d, &q, t, WIRE_RCODE_FORMERR);
        return;
    }
    if (q.qtype == TYPE_AXFR || q.qtype == TYPE_IXFR) {
        send_error(d, &q, t, WIRE_RCODE_REFUSED);
        return;
    }
    if (qtype_is_meta(q.qtype)) {
        d->stats.formerr++;
        send_error(d, &q, t, WIRE_RCODE_FORMERR);
        return;
    }
    /* Only class IN is served: hosts, local zones and the root hints are all IN, so any
     * other class (CH, HS, NONE, ANY, unassigned ones) could only cost upstream queries and
     * end in SERVFAIL, or in a timeout where a server ignores the class. A clear REFUSED
     * at once instead, as Unbound answers. */
    if (q.qclass != WIRE_CLASS_IN) {
        send_error(d, &q, t, WIRE_RCODE_REFUSED);
        return;
    }
    if (answer_locally(d, &q, t))
        return;
    if (q.qtype == TYPE_ANY) {
        answer_any_minimally(d, &q, t);
        return;
    }
    if (answer_from_cache(d, &q, t))
        return;
    workers_resolve(d, &q, t);
}
