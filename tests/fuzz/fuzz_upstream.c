/* fuzz_upstream.c -- libFuzzer target: what the daemon does with an upstream server's reply.
 *
 * Input: one control octet, then the reply as it came off the wire (OPT and all). The
 * reply is taken through the daemon's own sequence, with fresh caches each run:
 *   1. outbound.c check_reply: a header, wire_response_matches against the question we
 *      asked (the reply's own question, lower-cased: 0x20 echo holds by construction),
 *      then wire_strip_opt, which also validates the whole message;
 *   2. forwarding (forward.c upstream_done, mesh.c job_done): only NOERROR/NXDOMAIN go on;
 *      AA cleared, cache_store, cache_lookup, and the cached copy finished in place as the
 *      reply to a client (wire_finish_reply) with the limit the control octet picks;
 *   3. iteration (iterate.c upstream_done, process_classify and what it leads to):
 *      ldns_wire2pkt, response_scrub, response_canonicalize, then classify_minimised or
 *      classify_full -- follow_answer (CNAMEs, response_rrset, rrcache_store),
 *      take_referral (response_referral, response_glue, rrcache_store, use_delegation's
 *      cache lookups), finish_negative (response_soa) -- and on to the next step the
 *      iterator takes without the network: name_to_ask, or process_find_delegation for a
 *      CNAME target, or for a finished answer result_wire and cache_store (mesh.c).
 * The zone the server was asked as an authority, whether the question was a minimised
 * one, and the original question type come from the control octet.
 *
 * The iterator's steps are static functions of iterate.c driven by libev and sockets, so
 * part 3 is a copy of them over the subset of `struct iter` one reply touches (the
 * `mirror_` functions below, each named after its original: keep them in step with
 * iterate.c). Everything they call -- response.c, rrcache.c, cache.c, wire.c, ldns -- is
 * the daemon's own code.
 *
 * Invariants: after scrubbing, every RR is at or below the zone and the additional
 * section holds only A/AAAA; after canonicalisation no owner has an upper-case letter; an
 * answer the message cache took is found at once, with every TTL within the configured
 * caps, and can be finished into a reply to the client who asked.
 *
 * Static state: `fz` (the config) is loaded once in LLVMFuzzerInitialize. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <time.h>

#include "fuzz_common.h"
#include "addr.h"
#include "config.h"
#include "response.h"
#include "rrcache.h"

/* the limits of iterate.c that one reply can reach */
#define ITER_MAX_REFERRALS   30
#define ITER_MAX_CNAMES      16
#define ITER_MAX_SERVERS     32
#define ITER_MAX_MINIMISE    10

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

/* ---- the mirror of iterate.c ----------------------------------------------------------- */

enum mirror_state { ST_NEXT_TARGET, ST_FIND_DELEGATION, ST_CHOOSE_SERVER, ST_SEND, ST_DONE,
                    ST_FAILED };

struct mirror {                     /* the part of iterate.c's struct iter a reply touches */
    const struct config *cfg;
    struct rrcache *rrcache;
    time_t now;
    enum mirror_state state;
    ldns_rdf *qname;
    ldns_rr_type qtype;
    ldns_rr_class qclass;
    ldns_rdf *target;
    ldns_rr_list *answer;
    ldns_rr *soa;
    ldns_pkt_rcode rcode;
    int cnames, referrals, minimise_steps;
    ldns_rdf *zone;
    ldns_rr_list *ns;
    struct sockaddr_storage servers[ITER_MAX_SERVERS];
    int n_servers;
    uint64_t ns_resolved;
    bool minimise;
    size_t ask_labels;
    bool cur_lame;                  /* the server that sent the reply */
    ldns_rdf *asked;
    ldns_rr_type asked_type;
    ldns_pkt *resp;
};

static void mirror_free(struct mirror *it)
{
    ldns_rdf_deep_free(it->qname);
    ldns_rdf_deep_free(it->target);
    ldns_rdf_deep_free(it->zone);
    ldns_rdf_deep_free(it->asked);
    ldns_rr_list_deep_free(it->ns);
    ldns_rr_list_deep_free(it->answer);
    ldns_rr_free(it->soa);
    ldns_pkt_free(it->resp);
}

static enum mirror_state fail(struct mirror *it)
{
    it->state = ST_FAILED;
    return it->state;
}

/* iterate.c address_allowed */
static bool mirror_address_allowed(const struct config *cfg, const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        if (!cfg->do_ip4)
            return false;
        return cfg->query_loopback || (ntohl(in->sin_addr.s_addr) >> 24) != 127;
    }
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
    if (!cfg->do_ip6)
        return false;
    return cfg->query_loopback || !IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
}

/* iterate.c rr_to_addr */
static bool mirror_rr_to_addr(const ldns_rr *rr, struct sockaddr_storage *ss)
{
    const ldns_rdf *rd = ldns_rr_rdf(rr, 0);

    memset(ss, 0, sizeof *ss);
    if (!rd)
        return false;
    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A && ldns_rdf_size(rd) == 4) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_family = AF_INET;
        in->sin_port = htons(53);
        memcpy(&in->sin_addr, ldns_rdf_data(rd), 4);
        return true;
    }
    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA && ldns_rdf_size(rd) == 16) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(53);
        memcpy(&in6->sin6_addr, ldns_rdf_data(rd), 16);
        return true;
    }
    return false;
}

/* iterate.c add_servers */
static int mirror_add_servers(struct mirror *it, const ldns_rr_list *rrs)
{
    int added = 0;

    for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs); i++) {
        struct sockaddr_storage ss;
        if (!mirror_rr_to_addr(ldns_rr_list_rr(rrs, i), &ss) ||
            !mirror_address_allowed(it->cfg, &ss))
            continue;
        bool known = false;
        for (int k = 0; k < it->n_servers && !known; k++)
            known = addr_equal(&it->servers[k], &ss);
        if (known || it->n_servers == ITER_MAX_SERVERS)
            continue;
        it->servers[it->n_servers++] = ss;
        added++;
    }
    return added;
}

/* iterate.c add_cached_addresses */
static bool mirror_add_cached_addresses(struct mirror *it, const ldns_rdf *name)
{
    bool any = false;
    static const ldns_rr_type types[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };

    for (size_t t = 0; t < 2; t++) {
        ldns_rr_list *rrs = rrcache_lookup(it->rrcache, name, types[t], it->qclass, it->now,
                                           NULL);
        if (rrs) {
            any = true;
            mirror_add_servers(it, rrs);
            ldns_rr_list_deep_free(rrs);
        }
    }
    return any;
}

static const ldns_rdf *ns_name(const struct mirror *it, size_t i)
{
    return ldns_rr_rdf(ldns_rr_list_rr(it->ns, i), 0);
}

/* iterate.c use_delegation */
static void mirror_use_delegation(struct mirror *it, ldns_rdf *zone, ldns_rr_list *ns)
{
    ldns_rdf_deep_free(it->zone);
    ldns_rr_list_deep_free(it->ns);
    it->zone = zone;
    it->ns = ns;
    it->n_servers = 0;
    it->ns_resolved = 0;
    for (size_t i = 0; i < ldns_rr_list_rr_count(ns) && i < 64; i++)
        if (ns_name(it, i) && mirror_add_cached_addresses(it, ns_name(it, i)))
            it->ns_resolved |= 1ULL << i;
    it->ask_labels = ldns_dname_label_count(zone) + 1;
}

/* iterate.c process_next_target */
static void mirror_next_target(struct mirror *it)
{
    if (it->cnames > ITER_MAX_CNAMES) {
        fail(it);
        return;
    }
    it->minimise = it->cfg->qname_minimisation;
    it->minimise_steps = 0;
    it->state = ST_FIND_DELEGATION;
}

/* iterate.c has_resolvable_ns */
static bool mirror_has_resolvable_ns(const ldns_rr_list *ns, const ldns_rdf *zone)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
        const ldns_rdf *target = ldns_rr_rdf(ldns_rr_list_rr(ns, i), 0);
        if (target && !dname_at_or_below(target, zone))
            return true;
    }
    return false;
}

/* iterate.c process_find_delegation; where it would fall back to the root hints (this
 * harness has none) the walk ends as a failure. */
static void mirror_find_delegation(struct mirror *it)
{
    bool parent_side = it->qtype == LDNS_RR_TYPE_DS && ldns_dname_label_count(it->target) > 0;
    ldns_rdf *name = parent_side ? ldns_dname_left_chop(it->target) : ldns_rdf_clone(it->target);

    while (name) {
        bool is_root = ldns_dname_label_count(name) == 0;
        ldns_rdf *up = is_root ? NULL : ldns_dname_left_chop(name);
        ldns_rr_list *ns = rrcache_lookup(it->rrcache, name, LDNS_RR_TYPE_NS, it->qclass,
                                          it->now, NULL);
        if (ns) {
            mirror_use_delegation(it, name, ns);
            if (it->n_servers > 0 || mirror_has_resolvable_ns(it->ns, it->zone)) {
                ldns_rdf_deep_free(up);
                it->state = ST_CHOOSE_SERVER;
                return;
            }
        } else {
            ldns_rdf_deep_free(name);
        }
        name = up;
    }
    fail(it);
}

/* iterate.c name_to_ask */
static ldns_rdf *mirror_name_to_ask(struct mirror *it, ldns_rr_type *type)
{
    size_t labels = ldns_dname_label_count(it->target);

    if (it->minimise && it->ask_labels < labels && it->minimise_steps < ITER_MAX_MINIMISE) {
        *type = LDNS_RR_TYPE_A;
        return ldns_dname_clone_from(it->target, (uint16_t)(labels - it->ask_labels));
    }
    *type = it->qtype;
    return ldns_rdf_clone(it->target);
}

/* iterate.c cache_rrsets */
static void mirror_cache_rrsets(struct mirror *it, const ldns_rr_list *rrs, enum rr_trust trust)
{
    size_t n = ldns_rr_list_rr_count(rrs);

    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        ldns_rr *first = ldns_rr_list_rr(rrs, i);
        while (j < n && ldns_rr_get_type(ldns_rr_list_rr(rrs, j)) == ldns_rr_get_type(first) &&
               ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(rrs, j)), ldns_rr_owner(first)) == 0)
            j++;
        ldns_rr_list *set = ldns_rr_list_new();
        for (size_t k = i; set && k < j; k++)
            ldns_rr_list_push_rr(set, ldns_rr_list_rr(rrs, k));
        if (set)
            rrcache_store(it->rrcache, set, trust, it->now);
        ldns_rr_list_free(set);
        i = j;
    }
}

/* iterate.c cache_delegation */
static ldns_rr_list *mirror_cache_delegation(struct mirror *it, const ldns_rr_list *ns,
                                             enum rr_trust ns_trust)
{
    ldns_rr_list *glue = response_glue(it->resp, LDNS_SECTION_ADDITIONAL, ns);

    rrcache_store(it->rrcache, ns, ns_trust, it->now);
    if (glue)
        mirror_cache_rrsets(it, glue, RR_TRUST_GLUE);
    return glue;
}

/* iterate.c take_referral */
static void mirror_take_referral(struct mirror *it, ldns_rr_list *ns)
{
    if (++it->referrals > ITER_MAX_REFERRALS) {
        ldns_rr_list_deep_free(ns);
        fail(it);
        return;
    }
    ldns_rr_list *glue = mirror_cache_delegation(it, ns, RR_TRUST_AUTHORITY);
    ldns_rdf *zone = ldns_rdf_clone(ldns_rr_owner(ldns_rr_list_rr(ns, 0)));
    mirror_use_delegation(it, zone, ns);
    mirror_add_servers(it, glue);
    ldns_rr_list_deep_free(glue);
    it->state = ST_CHOOSE_SERVER;
}

static void append_rrs(ldns_rr_list *to, ldns_rr_list *from)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(from); i++)
        ldns_rr_list_push_rr(to, ldns_rr_list_rr(from, i));
    ldns_rr_list_free(from);
}

/* iterate.c finish_negative */
static void mirror_finish_negative(struct mirror *it, ldns_pkt_rcode rcode)
{
    it->rcode = rcode;
    ldns_rr_free(it->soa);
    it->soa = response_soa(it->resp, it->target);
    it->state = ST_DONE;
}

/* iterate.c follow_answer */
static bool mirror_follow_answer(struct mirror *it)
{
    for (;;) {
        ldns_rr_list *rrset = response_rrset(it->resp, LDNS_SECTION_ANSWER, it->target, it->qtype);
        if (rrset) {
            enum rr_trust trust = ldns_pkt_aa(it->resp) ? RR_TRUST_ANSWER : RR_TRUST_AUTHORITY;
            if (it->qtype == LDNS_RR_TYPE_A || it->qtype == LDNS_RR_TYPE_AAAA)
                rrcache_store(it->rrcache, rrset, trust, it->now);
            if (it->qtype == LDNS_RR_TYPE_NS)
                ldns_rr_list_deep_free(mirror_cache_delegation(it, rrset, trust));
            append_rrs(it->answer, rrset);
            it->rcode = LDNS_RCODE_NOERROR;
            it->state = ST_DONE;
            return true;
        }
        if (it->qtype == LDNS_RR_TYPE_CNAME)
            return false;
        ldns_rr_list *cname = response_rrset(it->resp, LDNS_SECTION_ANSWER, it->target,
                                             LDNS_RR_TYPE_CNAME);
        if (!cname)
            return false;
        const ldns_rdf *alias = ldns_rr_rdf(ldns_rr_list_rr(cname, 0), 0);
        ldns_rdf *next = alias ? ldns_rdf_clone(alias) : NULL;
        ldns_rr_list_push_rr(it->answer, ldns_rr_list_pop_rr(cname));
        ldns_rr_list_deep_free(cname);
        ldns_rdf_deep_free(it->target);
        it->target = next;
        if (!next || ++it->cnames > ITER_MAX_CNAMES)
            return false;
    }
}

static bool is_lame_rcode(ldns_pkt_rcode rcode)
{
    return rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN;
}

static void mirror_mark_lame(struct mirror *it)
{
    it->cur_lame = true;
    it->state = ST_CHOOSE_SERVER;
}

/* iterate.c classify_minimised */
static void mirror_classify_minimised(struct mirror *it)
{
    ldns_rr_list *ns = NULL;
    ldns_pkt_rcode rcode = ldns_pkt_get_rcode(it->resp);

    it->minimise_steps++;
    if (!is_lame_rcode(rcode) &&
        response_referral(it->resp, it->zone, it->asked, &ns) == REFERRAL_DOWN) {
        mirror_take_referral(it, ns);
        return;
    }
    ldns_rr_list *cname = response_rrset(it->resp, LDNS_SECTION_ANSWER, it->asked,
                                         LDNS_RR_TYPE_CNAME);
    if (rcode == LDNS_RCODE_NOERROR && ldns_pkt_aa(it->resp) && !cname)
        it->ask_labels++;
    else
        it->minimise = false;
    ldns_rr_list_deep_free(cname);
    it->state = ST_SEND;
}

/* iterate.c classify_full */
static void mirror_classify_full(struct mirror *it)
{
    ldns_pkt_rcode rcode = ldns_pkt_get_rcode(it->resp);
    ldns_rr_list *ns = NULL;
    ldns_rdf *asked_for = ldns_rdf_clone(it->target);

    if (is_lame_rcode(rcode)) {
        ldns_rdf_deep_free(asked_for);
        mirror_mark_lame(it);
        return;
    }
    if (mirror_follow_answer(it)) {
        ldns_rdf_deep_free(asked_for);
        return;
    }
    bool moved = ldns_dname_compare(asked_for, it->target) != 0;
    ldns_rdf_deep_free(asked_for);
    if (it->cnames > ITER_MAX_CNAMES || !it->target) {
        fail(it);
        return;
    }
    ldns_rr *soa = response_soa(it->resp, it->target);
    bool authoritative = ldns_pkt_aa(it->resp) || soa != NULL;
    ldns_rr_free(soa);
    if (authoritative && rcode == LDNS_RCODE_NXDOMAIN) {
        mirror_finish_negative(it, rcode);
        return;
    }
    if (moved) {
        it->state = ST_NEXT_TARGET;
        return;
    }
    switch (response_referral(it->resp, it->zone, it->target, &ns)) {
    case REFERRAL_DOWN:
        mirror_take_referral(it, ns);
        return;
    case REFERRAL_BAD:
        mirror_mark_lame(it);
        return;
    case REFERRAL_NONE:
        break;
    }
    if (ldns_pkt_aa(it->resp) && rcode == LDNS_RCODE_NOERROR) {
        mirror_finish_negative(it, rcode);
        return;
    }
    mirror_mark_lame(it);
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

/* iterate.c process_classify, with the invariants of scrubbing checked in between */
static void mirror_classify(struct mirror *it)
{
    response_scrub(it->resp, it->zone);
    response_canonicalize(it->resp);
    check_section(ldns_pkt_answer(it->resp), it->zone, false);
    check_section(ldns_pkt_authority(it->resp), it->zone, false);
    check_section(ldns_pkt_additional(it->resp), it->zone, true);
    FUZZ_CHECK(ldns_pkt_ancount(it->resp) == ldns_rr_list_rr_count(ldns_pkt_answer(it->resp)));
    FUZZ_CHECK(ldns_pkt_nscount(it->resp) == ldns_rr_list_rr_count(ldns_pkt_authority(it->resp)));
    FUZZ_CHECK(ldns_pkt_arcount(it->resp) == ldns_rr_list_rr_count(ldns_pkt_additional(it->resp)));
    bool minimised = it->asked_type != it->qtype ||
                     ldns_dname_compare(it->asked, it->target) != 0;
    if (minimised)
        mirror_classify_minimised(it);
    else
        mirror_classify_full(it);
}

/* iterate.c result_wire */
static uint8_t *mirror_result_wire(const struct mirror *it, size_t *len)
{
    ldns_pkt *pkt = ldns_pkt_new();
    ldns_rr *question = ldns_rr_new();
    uint8_t *wire = NULL;

    if (!pkt || !question) {
        ldns_pkt_free(pkt);
        ldns_rr_free(question);
        return NULL;
    }
    ldns_rr_set_owner(question, ldns_rdf_clone(it->qname));
    ldns_rr_set_type(question, it->qtype);
    ldns_rr_set_class(question, it->qclass);
    ldns_rr_set_question(question, true);
    ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, question);
    ldns_pkt_set_qr(pkt, true);
    ldns_pkt_set_ra(pkt, true);
    ldns_pkt_set_rcode(pkt, it->rcode);
    ldns_rr_list *answer = ldns_rr_list_clone(it->answer);
    if (answer)
        ldns_pkt_push_rr_list(pkt, LDNS_SECTION_ANSWER, answer);
    ldns_rr_list_free(answer);
    if (it->soa)
        ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, ldns_rr_clone(it->soa));
    if (ldns_pkt2wire(&wire, pkt, len) != LDNS_STATUS_OK)
        wire = NULL;
    ldns_pkt_free(pkt);
    return wire;
}

/* ---- the message cache and the client's reply (mesh.c job_done, request.c) ------------ */

static struct cache_limits cache_limits_of(const struct config *cfg)
{
    struct cache_limits lim = {
        .max_bytes = cfg->cache_size - cfg->cache_size / 4,
        .min_ttl = cfg->min_ttl,
        .max_ttl = cfg->max_ttl,
        .max_negative_ttl = cfg->max_negative_ttl,
    };
    return lim;
}

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

/* mesh.c job_done: store, read back, and answer a client asking in its own case. */
static void store_and_answer(const uint8_t *qname_lc, size_t qname_len, uint16_t qtype,
                             uint16_t qclass, uint8_t *msg, size_t len, uint8_t ctrl)
{
    static uint8_t cached[WIRE_MAX_UDP + WIRE_MAX_NAME];
    struct cache_limits lim = cache_limits_of(fz.cfg);
    struct cache *cache = cache_new(&lim);
    time_t now = time(NULL);
    uint8_t query[WIRE_HEADER_LEN + WIRE_MAX_NAME + 4 + 11], client_name[WIRE_MAX_NAME];
    struct wire_query q;

    if (!cache)
        fuzz_die("cache_new");
    msg[2] &= (uint8_t)~0x04;
    if (cache_store(cache, qname_lc, qname_len, qtype, qclass, msg, len, now) != 0) {
        cache_free(cache);
        return;
    }
    size_t n = cache_lookup(cache, qname_lc, qname_len, qtype, qclass, now, cached,
                            WIRE_MAX_UDP, NULL);
    FUZZ_CHECK(n == len);
    check_cached_ttls(cached, n);

    /* the client asks in its own case, with or without EDNS */
    memcpy(client_name, qname_lc, qname_len);
    for (size_t i = 0; i < qname_len; i++)
        if (client_name[i] >= 'a' && client_name[i] <= 'z' && (i + ctrl) % 3 == 0)
            client_name[i] = (uint8_t)(client_name[i] - 32);
    size_t qlen = wire_build_query(0x4242, true, client_name, qname_len, qtype, qclass,
                                   (ctrl & 0x80) ? 4096 : 0, query, sizeof query);
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

/* Sets up what the iterator knew when it sent the question the reply answers. */
static bool mirror_setup(struct mirror *it, const ldns_rdf *asked, uint16_t qtype,
                         uint16_t qclass, uint8_t ctrl)
{
    static const ldns_rr_type original[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA,
                                             LDNS_RR_TYPE_NS, LDNS_RR_TYPE_DS };
    size_t labels = ldns_dname_label_count(asked);

    it->cfg = fz.cfg;
    it->now = time(NULL);
    it->qclass = qclass;
    it->asked = ldns_rdf_clone(asked);
    it->answer = ldns_rr_list_new();
    it->rrcache = rrcache_new(fz.cfg->cache_size / 4, fz.cfg->max_ttl);
    if (!it->asked || !it->answer || !it->rrcache)
        fuzz_die("out of memory");
    if ((ctrl & 0x08) && qtype == LDNS_RR_TYPE_A && labels > 0) {
        /* a minimised question: asked = zone + one label, the target one label deeper */
        ldns_rdf *www = ldns_dname_new_frm_str("www");
        it->target = www ? ldns_dname_cat_clone(www, asked) : NULL;
        ldns_rdf_deep_free(www);
        if (!it->target || ldns_rdf_size(it->target) > WIRE_MAX_NAME)
            return false;
        it->zone = ldns_dname_left_chop(asked);
        it->qtype = original[(ctrl >> 4) & 3];
        it->asked_type = LDNS_RR_TYPE_A;
        it->minimise = true;
        it->ask_labels = labels;
    } else {
        /* the full question, to the servers of an ancestor zone */
        size_t zone_labels = (size_t)(ctrl & 7) < labels ? (size_t)(ctrl & 7) : labels;
        it->target = ldns_rdf_clone(asked);
        it->zone = ldns_dname_clone_from(asked, (uint16_t)(labels - zone_labels));
        it->qtype = qtype;
        it->asked_type = qtype;
        it->minimise = (ctrl & 0x40) != 0;
        it->ask_labels = zone_labels + 1;
    }
    it->qname = ldns_rdf_clone(it->target);
    return it->zone && it->qname;
}

/* iterate.c upstream_done (OUTBOUND_OK) -> iter_run, as far as it goes without the network */
static void run_iterate(const uint8_t *qname_lc, size_t qname_len, uint16_t qtype,
                        uint16_t qclass, const uint8_t *msg, size_t len, uint8_t ctrl)
{
    struct mirror it = { .state = ST_SEND };
    ldns_rdf *asked = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, qname_len, qname_lc);

    if (!asked)
        fuzz_die("out of memory");
    if (!mirror_setup(&it, asked, qtype, qclass, ctrl) ||
        ldns_wire2pkt(&it.resp, msg, len) != LDNS_STATUS_OK)
        goto out;                   /* the server is lame */
    mirror_classify(&it);
    if (it.state == ST_NEXT_TARGET)
        mirror_next_target(&it);
    if (it.state == ST_FIND_DELEGATION)
        mirror_find_delegation(&it);
    if (it.state == ST_SEND || it.state == ST_CHOOSE_SERVER) {
        ldns_rr_type type;
        ldns_rdf *next = mirror_name_to_ask(&it, &type);
        FUZZ_CHECK(next == NULL || dname_at_or_below(it.target, next));
        ldns_rdf_deep_free(next);
    }
    if (it.state == ST_DONE) {
        size_t wire_len = 0;
        uint8_t *wire = mirror_result_wire(&it, &wire_len);
        if (wire && ldns_rdf_size(it.qname) <= WIRE_MAX_NAME && wire_len <= WIRE_MAX_UDP)
            store_and_answer(ldns_rdf_data(it.qname), ldns_rdf_size(it.qname), it.qtype,
                             it.qclass, wire, wire_len, ctrl);
        free(wire);
    }
out:
    ldns_rdf_deep_free(asked);
    rrcache_free(it.rrcache);
    mirror_free(&it);
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
