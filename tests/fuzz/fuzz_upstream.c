/* fuzz_upstream.c -- libFuzzer target: what the daemon does with an upstream server's reply.
 *
 * Input: one control octet, then the reply as it came off the wire (OPT and all). The
 * reply is taken through the daemon's own functions, with fresh caches each run:
 *   1. outbound.c check_reply: a header, wire_response_matches against the question we
 *      asked (the reply's own question, lower-cased: 0x20 echo holds by construction),
 *      then wire_strip_opt, which also validates the whole message;
 *   2. forwarding (forward.c upstream_done, resolve.c finish): only NOERROR/NXDOMAIN go
 *      on; resolve_store_answer, and the cached copy finished in place as the reply to a
 *      client (wire_finish_reply) with the limit the control octet picks;
 *   3. iteration (iterate.c upstream_done, process_classify and what its verdict leads
 *      to): ldns_wire2pkt, response_scrub, response_canonicalize, classify_reply (with the
 *      config's max-cname-chain), the RRsets it wants cached into an RRset cache, then
 *      the next step the iterator takes without the network: for a referral delegpt_set
 *      and delegpt_add_addrs with the glue, for a CNAME delegpt_find of the new target,
 *      for a minimised question the next name (delegpt_name_to_ask), and for a final
 *      verdict response_build of the result and resolve_store_answer.
 * The zone the server was asked as an authority, whether the question was a minimised
 * one, and the original question type come from the control octet. Nothing here copies
 * daemon code: every step is the daemon's own function.
 *
 * Invariants: after scrubbing, every RR is at or below the zone and the additional
 * section holds only A/AAAA; after canonicalisation no owner has an upper-case letter; a
 * verdict holds and wants cached only records from within the zone, a referral is to a
 * zone strictly below the one asked and on the way to the name asked, a chain stays within
 * max-cname-chain; the next name asked lies on the way to the target; an answer the
 * message cache took is found at once, with every TTL within the configured caps, and can
 * be finished into a reply to the client who asked.
 *
 * Static state: `fz` (the config) is loaded once in LLVMFuzzerInitialize. */
#include <time.h>

#include "fuzz_common.h"
#include "classify.h"
#include "config.h"
#include "delegpt.h"
#include "msgform.h"
#include "resolve.h"
#include "state.h"
#include "response.h"
#include "rrcache.h"

static struct {
    struct fuzz_file conf;
    struct config *cfg;
} fz;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[512];

    (void)argc;
    (void)argv;
    fuzz_file_open(&fz.conf, "resolver.conf");
    /* small caches, so that eviction is part of what runs; loopback servers allowed, so
     * that glue addresses of every kind are used */
    fuzz_file_set_str(&fz.conf, "cache-size 256K\nmin-ttl 5\nmax-ttl 86400\n"
                                "max-negative-ttl 3600\nquery-loopback yes\nlog-level error\n");
    if (config_load(fz.conf.path, &fz.cfg, err, sizeof err) != 0) {
        fprintf(stderr, "config_load: %s\n", err);
        fuzz_die("config");
    }
    return 0;
}

/* ---- checks on the scrubbed packet ---------------------------------------------------- */

static bool has_upper_case(const ldns_rdf *name)
{
    const uint8_t *p = ldns_rdf_data(name);

    for (size_t i = 0; i < ldns_rdf_size(name); i++)
        if (p[i] >= 'A' && p[i] <= 'Z')
            return true;
    return false;
}

static void check_section(const ldns_rr_list *list, const ldns_rdf *zone, bool additional)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(list, i);
        ldns_rr_type t = ldns_rr_get_type(rr);
        FUZZ_CHECK(dname_at_or_below(ldns_rr_owner(rr), zone));
        FUZZ_CHECK(!has_upper_case(ldns_rr_owner(rr)));
        FUZZ_CHECK(!additional || t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA);
    }
}

/* response_scrub and response_canonicalize as iterate.c process_classify runs them, with
 * the invariants of scrubbing checked after. */
static void check_scrubbed(ldns_pkt *resp, const ldns_rdf *zone)
{
    response_scrub(resp, zone);
    response_canonicalize(resp);
    check_section(ldns_pkt_answer(resp), zone, false);
    check_section(ldns_pkt_authority(resp), zone, false);
    check_section(ldns_pkt_additional(resp), zone, true);
    FUZZ_CHECK(ldns_pkt_ancount(resp) == ldns_rr_list_rr_count(ldns_pkt_answer(resp)));
    FUZZ_CHECK(ldns_pkt_nscount(resp) == ldns_rr_list_rr_count(ldns_pkt_authority(resp)));
    FUZZ_CHECK(ldns_pkt_arcount(resp) == ldns_rr_list_rr_count(ldns_pkt_additional(resp)));
}

/* What a verdict may hold: only records from within the zone, a chain within the limit, a
 * referral strictly below the zone and on the way to the target, records where each kind
 * needs them. */
static void check_verdict(const struct classify_input *in, const struct classify_verdict *v)
{
    FUZZ_CHECK((size_t)v->cnames <= ldns_rr_list_rr_count(v->chain));
    FUZZ_CHECK(in->cnames + v->cnames <= in->max_cnames + 1);
    FUZZ_CHECK(v->target != NULL || v->kind == CLASSIFY_FAIL || v->kind == CLASSIFY_LAME);
    check_section(v->chain, in->zone, false);
    check_section(v->denial, in->zone, false);
    check_section(v->answer_sigs, in->zone, false);
    FUZZ_CHECK(in->dnssec || (!v->denial && !v->answer_sigs));
    for (size_t i = 0; i < v->n_cache; i++)
        check_section(v->cache[i].rrs, in->zone, false);
    switch (v->kind) {
    case CLASSIFY_ANSWER:
        FUZZ_CHECK(v->answer && ldns_rr_list_rr_count(v->answer) > 0);
        check_section(v->answer, in->zone, false);
        break;
    case CLASSIFY_REFERRAL: {
        FUZZ_CHECK(v->ns && ldns_rr_list_rr_count(v->ns) > 0);
        const ldns_rdf *child = ldns_rr_owner(ldns_rr_list_rr(v->ns, 0));
        FUZZ_CHECK(dname_at_or_below(child, in->zone) && ldns_dname_compare(child, in->zone) != 0);
        FUZZ_CHECK(dname_at_or_below(in->asked, child));
        break;
    }
    case CLASSIFY_NXDOMAIN:
    case CLASSIFY_NODATA:
        FUZZ_CHECK(!v->soa || dname_at_or_below(v->target, ldns_rr_owner(v->soa)));
        break;
    case CLASSIFY_LAME:
    case CLASSIFY_FAIL:
        FUZZ_CHECK(v->why != NULL);
        break;
    default:
        break;
    }
}

/* ---- the message cache and the client's reply (mesh.c job_done, request.c) ------------ */

/* Every TTL of a cached copy is within what the config allows. */
static void check_cached_ttls(const uint8_t *msg, size_t len)
{
    uint32_t cap = fz.cfg->max_ttl > fz.cfg->max_negative_ttl ? fz.cfg->max_ttl
                                                               : fz.cfg->max_negative_ttl;
    size_t pos = wire_skip_question(msg, len);
    unsigned count = WIRE_ANCOUNT(msg) + WIRE_NSCOUNT(msg) + WIRE_ARCOUNT(msg);
    struct wire_rr rr;

    FUZZ_CHECK(pos != 0);
    for (unsigned i = 0; i < count; i++) {
        pos = wire_parse_rr(msg, len, pos, &rr);
        FUZZ_CHECK(pos != 0);
        FUZZ_CHECK(rr.ttl <= cap);
    }
    FUZZ_CHECK(pos == len);
}

/* The form for clients without DO holds no record only DO clients get. */
static void check_plain_form(const uint8_t *msg, size_t len, uint16_t qtype)
{
    size_t pos = wire_skip_question(msg, len);
    unsigned an = WIRE_ANCOUNT(msg), ns = WIRE_NSCOUNT(msg);
    unsigned count = an + ns + WIRE_ARCOUNT(msg);
    struct wire_rr rr;

    FUZZ_CHECK(pos != 0);
    for (unsigned i = 0; i < count; i++) {
        pos = wire_parse_rr(msg, len, pos, &rr);
        FUZZ_CHECK(pos != 0);
        FUZZ_CHECK(!msgform_dnssec_only(rr.type, i < an ? 0 : i < an + ns ? 1 : 2, qtype));
    }
}

/* resolve.c finish: split into the two forms, store (resolve_store_answer), read back, and
 * answer a client asking in its own case. */
static void store_and_answer(const uint8_t *qname_lc, size_t qname_len, uint16_t qtype,
                             uint16_t qclass, uint8_t *msg, size_t len, uint8_t ctrl)
{
    static uint8_t cached[WIRE_MAX_UDP + WIRE_MAX_NAME];
    static struct msgform f;
    bool dnssec_stored;
    struct cache_limits lim = state_cache_limits(fz.cfg);
    struct cache *cache = cache_new(&lim);
    time_t now = time(NULL);
    uint8_t query[WIRE_HEADER_LEN + WIRE_MAX_NAME + 4 + 11], client_name[WIRE_MAX_NAME];
    struct wire_query q;

    if (!cache)
        fuzz_die("cache_new");
    if (msgform_split(msg, len, qtype, &f) != 0) {
        cache_free(cache);
        return;
    }
    check_plain_form(f.plain, f.plain_len, qtype);
    if (!resolve_store_answer(cache, qname_lc, qname_len, qtype, qclass, &f, now,
                              &dnssec_stored)) {
        cache_free(cache);
        return;
    }
    size_t n = f.plain_len;
    memcpy(cached, f.plain, n);
    check_plain_form(cached, n, qtype);
    check_cached_ttls(cached, n);

    /* the client asks in its own case, with or without EDNS */
    memcpy(client_name, qname_lc, qname_len);
    for (size_t i = 0; i < qname_len; i++)
        if (client_name[i] >= 'a' && client_name[i] <= 'z' && (i + ctrl) % 3 == 0)
            client_name[i] = (uint8_t)(client_name[i] - 32);
    size_t qlen = wire_build_query(0x4242, true, client_name, qname_len, qtype, qclass,
                                   (ctrl & 0x80) ? 4096 : 0, false, query, sizeof query);
    FUZZ_CHECK(qlen > 0 && wire_parse_query(query, qlen, &q) == WIRE_QUERY_OK);
    size_t limit = (ctrl & 0x40) ? WIRE_MAX_UDP : wire_udp_limit(&q, 1232);
    size_t r = wire_finish_reply(&q, cached, n, 1232, limit, cached, sizeof cached);
    FUZZ_CHECK(r > 0);              /* what the cache took can be served */
    FUZZ_CHECK(WIRE_ID(cached) == 0x4242 && WIRE_QR(cached));
    FUZZ_CHECK(memcmp(cached + WIRE_HEADER_LEN, client_name, qname_len) == 0);
    FUZZ_CHECK(r <= limit || WIRE_TC(cached));
    cache_free(cache);
}

/* ---- the three parts ------------------------------------------------------------------ */

/* forward.c upstream_done -> mesh.c job_done */
static void run_forward(const uint8_t *qname_lc, size_t qname_len, uint16_t qtype,
                        uint16_t qclass, const uint8_t *msg, size_t len, uint8_t ctrl)
{
    static uint8_t copy[WIRE_MAX_UDP];
    int rcode = WIRE_RCODE(msg);

    if (rcode != WIRE_RCODE_NOERROR && rcode != WIRE_RCODE_NXDOMAIN)
        return;                     /* the next forwarder is asked */
    memcpy(copy, msg, len);
    store_and_answer(qname_lc, qname_len, qtype, qclass, copy, len, ctrl);
}

/* What the iterator knew when it sent the question the reply answers. */
struct asked {
    ldns_rdf *zone, *target, *asked;
    ldns_rr_type qtype, asked_type;
    bool minimise;
};

static void asked_free(struct asked *a)
{
    ldns_rdf_deep_free(a->zone);
    ldns_rdf_deep_free(a->target);
    ldns_rdf_deep_free(a->asked);
}

/* From the control octet: a minimised question (asked = zone + one label, the target one
 * label deeper, the original type one of four), or the full question to the servers of an
 * ancestor zone. */
static bool asked_setup(struct asked *a, const ldns_rdf *asked, uint16_t qtype, uint8_t ctrl)
{
    static const ldns_rr_type original[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA,
                                             LDNS_RR_TYPE_NS, LDNS_RR_TYPE_DS };
    size_t labels = ldns_dname_label_count(asked);

    a->asked = ldns_rdf_clone(asked);
    if (!a->asked)
        fuzz_die("out of memory");
    if ((ctrl & 0x08) && qtype == LDNS_RR_TYPE_A && labels > 0) {
        ldns_rdf *www = ldns_dname_new_frm_str("www");
        a->target = www ? ldns_dname_cat_clone(www, asked) : NULL;
        ldns_rdf_deep_free(www);
        if (!a->target || ldns_rdf_size(a->target) > WIRE_MAX_NAME)
            return false;
        a->zone = ldns_dname_left_chop(asked);
        a->qtype = original[(ctrl >> 4) & 3];
        a->asked_type = LDNS_RR_TYPE_A;
        a->minimise = true;
    } else {
        size_t zone_labels = (size_t)(ctrl & 7) < labels ? (size_t)(ctrl & 7) : labels;
        a->target = ldns_rdf_clone(asked);
        a->zone = ldns_dname_clone_from(asked, (uint16_t)(labels - zone_labels));
        a->qtype = qtype;
        a->asked_type = qtype;
        a->minimise = (ctrl & 0x40) != 0;
    }
    return a->zone != NULL && a->target != NULL;
}

/* iterate.c cache_verdict: what the verdict wants cached goes to the RRset cache. */
static void cache_rrsets(struct rrcache *rrcache, const struct classify_verdict *v, time_t now)
{
    for (size_t i = 0; i < v->n_cache; i++) {
        FUZZ_CHECK(ldns_rr_list_rr_count(v->cache[i].rrs) > 0);
        rrcache_store(rrcache, v->cache[i].rrs, v->cache[i].trust, now);
    }
}

/* The next name the iterator would ask (delegpt_name_to_ask) lies on the way to target. */
static void check_next_question(const struct delegpt *dp, const ldns_rdf *target,
                                ldns_rr_type qtype, bool minimise)
{
    ldns_rr_type type;
    ldns_rdf *next = delegpt_name_to_ask(dp, target, qtype, minimise, &type);

    FUZZ_CHECK(next == NULL || dname_at_or_below(target, next));
    ldns_rdf_deep_free(next);
}

/* The verdicts that end the resolution: the result message (response_build, as
 * iter_result_wire makes it) goes through the message cache to a client. */
static void store_result(const struct asked *a, uint16_t qclass, const struct classify_verdict *v,
                         uint8_t ctrl)
{
    ldns_rr_list *answer = ldns_rr_list_clone(v->chain);
    ldns_pkt_rcode rcode = v->kind == CLASSIFY_NXDOMAIN ? LDNS_RCODE_NXDOMAIN : LDNS_RCODE_NOERROR;
    size_t wire_len = 0;

    if (!answer)
        fuzz_die("out of memory");
    for (size_t i = 0; v->answer && i < ldns_rr_list_rr_count(v->answer); i++)
        ldns_rr_list_push_rr(answer, ldns_rr_clone(ldns_rr_list_rr(v->answer, i)));
    for (size_t i = 0; v->answer_sigs && i < ldns_rr_list_rr_count(v->answer_sigs); i++)
        ldns_rr_list_push_rr(answer, ldns_rr_clone(ldns_rr_list_rr(v->answer_sigs, i)));
    ldns_rr_list *authority = v->denial ? ldns_rr_list_clone(v->denial) : ldns_rr_list_new();
    if (!authority)
        fuzz_die("out of memory");
    if (v->soa && !v->denial)
        ldns_rr_list_push_rr(authority, ldns_rr_clone(v->soa));
    uint8_t *wire = response_build(a->target, a->qtype, qclass, rcode, answer, authority,
                                   &wire_len);
    ldns_rr_list_deep_free(authority);
    if (wire && ldns_rdf_size(a->target) <= WIRE_MAX_NAME && wire_len <= WIRE_MAX_UDP)
        store_and_answer(ldns_rdf_data(a->target), ldns_rdf_size(a->target), a->qtype, qclass,
                         wire, wire_len, ctrl);
    free(wire);
    ldns_rr_list_deep_free(answer);
}

/* iterate.c upstream_done (OUTBOUND_OK) -> process_classify -> what the verdict leads to,
 * as far as it goes without the network. */
static void run_iterate(const uint8_t *qname_lc, size_t qname_len, uint16_t qtype,
                        uint16_t qclass, const uint8_t *msg, size_t len, uint8_t ctrl)
{
    struct asked a = { 0 };
    struct delegpt dp;
    struct classify_verdict v = { 0 };
    ldns_pkt *resp = NULL;
    ldns_rdf *asked = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, qname_len, qname_lc);
    struct rrcache *rrcache = rrcache_new(fz.cfg->cache_size / 4, fz.cfg->max_ttl);
    time_t now = time(NULL);

    if (!asked || !rrcache)
        fuzz_die("out of memory");
    delegpt_init(&dp, fz.cfg, (ctrl & 0x20) != 0);
    if (!asked_setup(&a, asked, qtype, ctrl) || ldns_wire2pkt(&resp, msg, len) != LDNS_STATUS_OK)
        goto out;                   /* the server is lame */
    bool upwards = response_refers_upwards(resp, a.zone);      /* read before scrubbing */
    check_scrubbed(resp, a.zone);
    struct classify_input in = {
        .resp = resp, .zone = a.zone, .target = a.target, .qtype = a.qtype, .asked = a.asked,
        .asked_type = a.asked_type, .cnames = 0, .max_cnames = (int)fz.cfg->max_cname_chain,
        .refers_upwards = upwards,
        .dnssec = ldns_pkt_cd(resp),    /* a bit the fuzzer flips: with and without DO */
    };
    FUZZ_CHECK(classify_is_minimised(&in) == (a.asked_type != a.qtype ||
                                              ldns_dname_compare(a.asked, a.target) != 0));
    classify_reply(&in, &v);
    check_verdict(&in, &v);
    cache_rrsets(rrcache, &v, now);
    switch (v.kind) {
    case CLASSIFY_REFERRAL:
        delegpt_set(&dp, ldns_rdf_clone(ldns_rr_owner(ldns_rr_list_rr(v.ns, 0))), v.ns, rrcache,
                    qclass, now);
        v.ns = NULL;
        delegpt_add_addrs(&dp, v.glue);
        FUZZ_CHECK(dp.n_servers <= DELEGPT_MAX_SERVERS);
        check_next_question(&dp, a.target, a.qtype, a.minimise);
        break;
    case CLASSIFY_CNAME:            /* the new target's delegation, from what was cached */
        delegpt_find(&dp, rrcache, NULL, v.target, a.qtype, qclass, now);
        if (dp.zone)
            check_next_question(&dp, v.target, a.qtype, a.minimise);
        break;
    case CLASSIFY_DEEPER:
    case CLASSIFY_FULL_NAME:
        delegpt_set(&dp, ldns_rdf_clone(a.zone), ldns_rr_list_new(), rrcache, qclass, now);
        check_next_question(&dp, a.target, a.qtype, v.kind == CLASSIFY_DEEPER);
        break;
    case CLASSIFY_ANSWER:
    case CLASSIFY_NXDOMAIN:
    case CLASSIFY_NODATA:
        store_result(&a, qclass, &v, ctrl);
        break;
    case CLASSIFY_LAME:
    case CLASSIFY_FAIL:
        break;
    }
out:
    classify_verdict_free(&v);
    delegpt_clear(&dp);
    ldns_pkt_free(resp);
    ldns_rdf_deep_free(asked);
    asked_free(&a);
    rrcache_free(rrcache);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t msg[WIRE_MAX_UDP];
    uint8_t qname[WIRE_MAX_NAME];
    size_t len, qname_len, pos;

    if (size < 1 || size - 1 > WIRE_MAX_UDP)
        return 0;
    len = size - 1;
    memcpy(msg, data + 1, len);

    /* outbound.c check_reply, for the question this reply says it answers */
    if (len < WIRE_HEADER_LEN)
        return 0;
    pos = wire_read_name(msg, len, WIRE_HEADER_LEN, qname, &qname_len);
    if (!pos || pos + 4 > len)
        return 0;
    wire_name_lower(qname, qname_len);
    uint16_t qtype = wire_get16(msg + pos), qclass = wire_get16(msg + pos + 2);
    if (!wire_response_matches(msg, len, qname, qname_len, qtype, qclass) ||
        !wire_strip_opt(msg, &len))
        return 0;

    run_forward(qname, qname_len, qtype, qclass, msg, len, data[0]);
    run_iterate(qname, qname_len, qtype, qclass, msg, len, data[0]);
    return 0;
}
