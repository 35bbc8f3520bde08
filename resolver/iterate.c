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
 * Trees: a glueless NS name is resolved by a child iter of the same kind; children share
 * their root's budget (queries sent, deadline), and a child for a question an ancestor is
 * already resolving is never started (delegation loops end in FAILED, not recursion). */
#include "iterate.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "addr.h"
#include "cache.h"
#include "config.h"
#include "daemon.h"
#include "hints.h"
#include "infra.h"
#include "log.h"
#include "outbound.h"
#include "resolve.h"
#include "response.h"
#include "rrcache.h"
#include "trace.h"
#include "wire.h"

#define ITER_MAX_DEPTH       5       /* nested glueless resolutions */
#define ITER_MAX_CHILDREN    32      /* glueless resolutions for one client question */
#define ITER_MAX_SERVERS     32
#define ITER_MAX_MINIMISE    10      /* qname minimisation steps before asking the full name */
#define ITER_MAX_ATTEMPTS    2       /* tries per server address that timed out */
#define ITER_RTT_BAND_MS     400     /* servers this close to the fastest are chosen at random */

enum iter_state {
    ST_NEXT_TARGET, ST_FIND_DELEGATION, ST_CHOOSE_SERVER, ST_RESOLVE_NS, ST_SEND,
    ST_WAITING, ST_CLASSIFY, ST_DONE, ST_FAILED,
};

enum step { STEP_CONTINUE, STEP_WAIT };

struct budget {
    int queries;
    int children;
};

struct server {
    struct sockaddr_storage addr;
    ldns_rdf *name;                 /* its NS name, kept only when tracing */
    int attempts;
    bool lame;
};

struct iter;
typedef void iter_done_fn(void *arg, struct iter *it, bool ok);

struct iter {
    struct daemon *d;
    struct iter *parent;
    struct budget *budget;          /* the root's own_budget, shared by the whole tree */
    struct budget own_budget;
    int depth;
    enum iter_state state;
    const char *why;                /* reason of a failure, for the log */

    ldns_rdf *qname;                /* the question, lower case */
    ldns_rr_type qtype;
    ldns_rr_class qclass;
    ldns_rdf *target;               /* the name being resolved now (after CNAMEs) */
    ldns_rr_list *answer;           /* CNAMEs followed so far, then the final RRset */
    ldns_rr *soa;                   /* for a negative result */
    ldns_pkt_rcode rcode;
    int cnames, referrals, minimise_steps;

    ldns_rdf *zone;                 /* the delegation point being asked */
    ldns_rr_list *ns;               /* its NS set */
    struct server servers[ITER_MAX_SERVERS];
    int n_servers;
    uint64_t ns_resolved;           /* bit i: NS name i was resolved (or tried) */
    bool minimise;
    size_t ask_labels;              /* labels of the minimised name to ask next */

    struct server *cur;             /* the query in flight */
    struct outbound *out;
    bool use_0x20;
    ldns_rdf *asked;                /* the name it asked (minimised or target) */
    ldns_rr_type asked_type;
    ldns_pkt *resp;

    struct iter *child;             /* a glueless NS name being resolved */
    ev_timer start;                 /* children only: starts it from the loop */
    ev_timer deadline;              /* roots only */

    struct trace *trace;            /* NULL unless `resolverctl trace` asked; shared by children */

    iter_done_fn *done;
    void *done_arg;
};

static void iter_run(struct iter *it);
static struct iter *iter_new(struct daemon *d, struct iter *parent, const ldns_rdf *qname,
                             ldns_rr_type qtype, ldns_rr_class qclass, iter_done_fn *done,
                             void *arg);
static void iter_free(struct iter *it);

static time_t now_s(void) { return time(NULL); }

static void name_str(const ldns_rdf *name, char *out, size_t len)
{
    if (!name || ldns_rdf_size(name) > WIRE_MAX_NAME)
        snprintf(out, len, "?");
    else
        wire_name_to_str(ldns_rdf_data(name), ldns_rdf_size(name), out, len);
}

static enum step fail(struct iter *it, const char *why)
{
    struct trace_step *s = trace_add(it->trace, TRACE_FAIL, it->depth);

    if (s) {
        trace_set_name(s->name, it->target);
        trace_set_type(s->type, it->qtype);
        trace_printf(s->detail, "%s", why);
    }
    it->why = why;
    it->state = ST_FAILED;
    return STEP_CONTINUE;
}

/* ---- server addresses ----------------------------------------------------------------- */

static bool address_allowed(const struct config *cfg, const struct sockaddr_storage *ss)
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

static bool rr_to_addr(const ldns_rr *rr, struct sockaddr_storage *ss)
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

/* Adds the addresses among `rrs` (A/AAAA) as servers, skipping duplicates and addresses
 * the config does not let us query. Returns how many were added. */
static int add_servers(struct iter *it, const ldns_rr_list *rrs)
{
    int added = 0;

    for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs); i++) {
        struct sockaddr_storage ss;
        if (!rr_to_addr(ldns_rr_list_rr(rrs, i), &ss) || !address_allowed(it->d->cfg, &ss))
            continue;
        bool known = false;
        for (int k = 0; k < it->n_servers && !known; k++)
            known = addr_equal(&it->servers[k].addr, &ss);
        if (known || it->n_servers == ITER_MAX_SERVERS)
            continue;
        memset(&it->servers[it->n_servers], 0, sizeof it->servers[0]);
        if (it->trace)
            it->servers[it->n_servers].name = ldns_rdf_clone(ldns_rr_owner(ldns_rr_list_rr(rrs, i)));
        it->servers[it->n_servers++].addr = ss;
        added++;
    }
    return added;
}

/* Addresses of one NS name from the RRset cache; true if it had any (usable or not). */
static bool add_cached_addresses(struct iter *it, const ldns_rdf *name)
{
    bool any = false;
    static const ldns_rr_type types[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };

    for (size_t t = 0; t < 2; t++) {
        ldns_rr_list *rrs = rrcache_lookup(it->d->rrcache, name, types[t], it->qclass, now_s(),
                                           NULL);
        if (rrs) {
            any = true;
            add_servers(it, rrs);
            ldns_rr_list_deep_free(rrs);
        }
    }
    return any;
}

static void forget_servers(struct iter *it)
{
    for (int i = 0; i < it->n_servers; i++)
        ldns_rdf_deep_free(it->servers[i].name);
    it->n_servers = 0;
}

static const ldns_rdf *ns_name(const struct iter *it, size_t i)
{
    return ldns_rr_rdf(ldns_rr_list_rr(it->ns, i), 0);
}

/* Makes (zone, ns) the delegation being asked: its servers from the cache. */
static void use_delegation(struct iter *it, ldns_rdf *zone, ldns_rr_list *ns)
{
    ldns_rdf_deep_free(it->zone);
    ldns_rr_list_deep_free(it->ns);
    it->zone = zone;
    it->ns = ns;
    forget_servers(it);
    it->ns_resolved = 0;
    for (size_t i = 0; i < ldns_rr_list_rr_count(ns) && i < 64; i++)
        if (ns_name(it, i) && add_cached_addresses(it, ns_name(it, i)))
            it->ns_resolved |= 1ULL << i;
    it->ask_labels = ldns_dname_label_count(zone) + 1;
}

/* ---- tracing ------------------------------------------------------------------------ */

/* "a.example. b.example." from an NS set, cut to fit a trace field. */
static void ns_names_text(const ldns_rr_list *ns, char out[TRACE_TEXT])
{
    size_t off = 0;

    out[0] = '\0';
    for (size_t i = 0; ns && i < ldns_rr_list_rr_count(ns) && off + 1 < TRACE_TEXT; i++) {
        char one[TRACE_TEXT];
        trace_set_name(one, ldns_rr_rdf(ldns_rr_list_rr(ns, i), 0));
        int n = snprintf(out + off, TRACE_TEXT - off, "%s%s", i ? " " : "", one);
        if (n < 0)
            break;
        off += (size_t)n;
    }
}

/* The delegation chosen for the next query: where it came from (the RRset cache or the
 * root hints), its NS names and how many addresses are already known. */
static void trace_delegation(struct iter *it, const char *source)
{
    struct trace_step *s = trace_add(it->trace, TRACE_DELEGATION, it->depth);
    char names[TRACE_TEXT];

    if (!s)
        return;
    trace_set_name(s->name, it->target);
    trace_set_type(s->type, it->qtype);
    trace_set_name(s->zone, it->zone);
    snprintf(s->verdict, sizeof s->verdict, "%s", source);
    ns_names_text(it->ns, names);
    trace_printf(s->detail, "NS %s; %d address%s known", names, it->n_servers,
                 it->n_servers == 1 ? "" : "es");
    if (strcmp(source, "cache") == 0 && ldns_rr_list_rr_count(it->ns) > 0)
        s->ttl = (long)ldns_rr_ttl(ldns_rr_list_rr(it->ns, 0));
}

/* Gives the query in flight its verdict (and RTT, when rtt_ms >= 0). */
static void trace_verdict(struct iter *it, const char *verdict, double rtt_ms, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void trace_verdict(struct iter *it, const char *verdict, double rtt_ms, const char *fmt, ...)
{
    struct trace_step *s = trace_last_query(it->trace, it->depth);
    va_list ap;

    if (!s)
        return;
    snprintf(s->verdict, sizeof s->verdict, "%s", verdict);
    if (rtt_ms >= 0)
        s->rtt_ms = rtt_ms;
    va_start(ap, fmt);
    vsnprintf(s->detail, sizeof s->detail, fmt, ap);
    va_end(ap);
}

static void trace_query(struct iter *it)
{
    struct trace_step *s = trace_add(it->trace, TRACE_QUERY, it->depth);

    if (!s)
        return;
    addr_to_str(&it->cur->addr, s->server, sizeof s->server);
    if (it->cur->name)
        trace_set_name(s->server_name, it->cur->name);
    trace_set_name(s->zone, it->zone);
    trace_set_name(s->name, it->asked);
    trace_set_type(s->type, it->asked_type);
    snprintf(s->verdict, sizeof s->verdict, "sent");
}

/* ---- states ------------------------------------------------------------------------- */

static enum step process_next_target(struct iter *it)
{
    if (it->cnames > (int)it->d->cfg->max_cname_chain)
        return fail(it, "CNAME chain too long");
    it->minimise = it->d->cfg->qname_minimisation;
    it->minimise_steps = 0;
    it->state = ST_FIND_DELEGATION;
    return STEP_CONTINUE;
}

/* True when some NS name lies outside the zone it serves: its address can be found
 * elsewhere, so the delegation is usable even without glue. */
static bool has_resolvable_ns(const ldns_rr_list *ns, const ldns_rdf *zone)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
        const ldns_rdf *target = ldns_rr_rdf(ldns_rr_list_rr(ns, i), 0);
        if (target && !dname_at_or_below(target, zone))
            return true;
    }
    return false;
}

static enum step use_root_hints(struct iter *it)
{
    const struct hints *h = it->d->hints;
    if (!h)
        return fail(it, "no root hints");
    ldns_rdf *root = ldns_dname_new_frm_str(".");
    ldns_rr_list *ns = ldns_rr_list_clone(h->ns);

    if (!root || !ns) {
        ldns_rdf_deep_free(root);
        ldns_rr_list_deep_free(ns);
        return fail(it, "out of memory");
    }
    use_delegation(it, root, ns);
    add_servers(it, h->addrs);
    it->ns_resolved = ~0ULL;       /* the hints are all we have for the root */
    trace_delegation(it, "hints");
    iterate_prime(it->d);
    it->state = ST_CHOOSE_SERVER;
    return STEP_CONTINUE;
}

/* Walks up from the target to the closest cached delegation whose servers we can reach
 * (addresses cached, or NS names outside the zone that can be resolved); the root hints
 * when nothing is cached. */
static enum step process_find_delegation(struct iter *it)
{
    /* DS lives on the parent side of a zone cut (RFC 4035 3.1.4.1): never ask the child */
    bool parent_side = it->qtype == LDNS_RR_TYPE_DS && ldns_dname_label_count(it->target) > 0;
    ldns_rdf *name = parent_side ? ldns_dname_left_chop(it->target) : ldns_rdf_clone(it->target);

    while (name) {
        bool is_root = ldns_dname_label_count(name) == 0;
        ldns_rdf *up = is_root ? NULL : ldns_dname_left_chop(name);
        ldns_rr_list *ns = rrcache_lookup(it->d->rrcache, name, LDNS_RR_TYPE_NS, it->qclass,
                                          now_s(), NULL);
        if (ns) {
            use_delegation(it, name, ns);       /* takes name and ns */
            if (it->n_servers > 0 || has_resolvable_ns(it->ns, it->zone)) {
                ldns_rdf_deep_free(up);
                trace_delegation(it, "cache");
                it->state = ST_CHOOSE_SERVER;
                return STEP_CONTINUE;
            }
        } else {
            ldns_rdf_deep_free(name);
        }
        name = up;
    }
    return use_root_hints(it);
}

/* The usable server with the fewest attempts, then the lowest RTT; among those within
 * ITER_RTT_BAND_MS of the best, one at random, so unknown servers get explored and load
 * spreads (as Unbound does). */
static struct server *choose_server(struct iter *it, bool allow_backed_off)
{
    struct server *pick[ITER_MAX_SERVERS];
    uint32_t rtt[ITER_MAX_SERVERS];
    int n = 0, fewest = ITER_MAX_ATTEMPTS;
    uint32_t best = UINT32_MAX;
    time_t now = now_s();

    for (int i = 0; i < it->n_servers; i++) {
        struct server *s = &it->servers[i];
        if (!s->lame && s->attempts < fewest &&
            (allow_backed_off || infra_usable(it->d->infra, &s->addr, now)))
            fewest = s->attempts;
    }
    for (int i = 0; i < it->n_servers; i++) {
        struct server *s = &it->servers[i];
        if (s->lame || s->attempts != fewest ||
            (!allow_backed_off && !infra_usable(it->d->infra, &s->addr, now)))
            continue;
        rtt[n] = infra_srtt_ms(it->d->infra, &s->addr, now);
        if (rtt[n] < best)
            best = rtt[n];
        pick[n++] = s;
    }
    if (fewest == ITER_MAX_ATTEMPTS)
        return NULL;                /* every server has had all its tries */
    int in_band = 0;
    for (int i = 0; i < n; i++)
        if (rtt[i] <= best + ITER_RTT_BAND_MS)
            pick[in_band++] = pick[i];
    return in_band ? pick[arc4random_uniform((uint32_t)in_band)] : NULL;
}

static bool ns_left_to_resolve(const struct iter *it)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(it->ns) && i < 64; i++)
        if (!(it->ns_resolved & (1ULL << i)))
            return true;
    return false;
}

static enum step process_choose_server(struct iter *it)
{
    it->cur = choose_server(it, false);
    if (!it->cur && ns_left_to_resolve(it)) {
        it->state = ST_RESOLVE_NS;
        return STEP_CONTINUE;
    }
    if (!it->cur)
        it->cur = choose_server(it, true);      /* all backed off: probe one anyway */
    if (!it->cur)
        return fail(it, "no server left to ask");
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
    int added = ok ? add_servers(it, child->answer) : 0;
    struct trace_step *s = trace_add(it->trace, TRACE_CHILD, it->depth);
    if (s) {
        trace_set_name(s->name, child->qname);
        trace_set_type(s->type, child->qtype);
        trace_set_name(s->zone, it->zone);
        snprintf(s->verdict, sizeof s->verdict, ok ? "resolved" : "failed");
        trace_printf(s->detail, "%d new server address%s", added, added == 1 ? "" : "es");
    }
    it->state = ST_CHOOSE_SERVER;
    iter_free(child);
    iter_run(it);
}

static enum step process_resolve_ns(struct iter *it)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(it->ns) && i < 64; i++) {
        const ldns_rdf *name = ns_name(it, i);
        if (it->ns_resolved & (1ULL << i))
            continue;
        it->ns_resolved |= 1ULL << i;
        ldns_rr_type type = it->d->cfg->do_ip4 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
        if (!name || ancestor_resolving(it, name, type))
            continue;               /* a delegation loop: this name cannot help */
        if (it->depth >= ITER_MAX_DEPTH)
            return fail(it, "glueless delegations nested too deep");
        if (++it->budget->children > ITER_MAX_CHILDREN)
            return fail(it, "too many glueless resolutions for one question");
        it->child = iter_new(it->d, it, name, type, it->qclass, child_done, it);
        if (!it->child)
            return fail(it, "out of memory");
        struct trace_step *s = trace_add(it->trace, TRACE_CHILD, it->depth);
        if (s) {
            trace_set_name(s->name, name);
            trace_set_type(s->type, type);
            trace_set_name(s->zone, it->zone);
            snprintf(s->verdict, sizeof s->verdict, "resolving");
            trace_printf(s->detail, "no address known for this NS of the zone: resolving it");
        }
        /* Started from the loop, never from here: a child that ends at once must not
         * resume us inside our own call (the stack would grow with every child tried). */
        ev_timer_init(&it->child->start, child_start, 0, 0);
        it->child->start.data = it->child;
        ev_timer_start(it->d->loop, &it->child->start);
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

/* The name to ask: with qname minimisation (RFC 9156) one label below the zone at a
 * time, type A, until the full name. */
static ldns_rdf *name_to_ask(struct iter *it, ldns_rr_type *type)
{
    size_t labels = ldns_dname_label_count(it->target);

    if (it->minimise && it->ask_labels < labels && it->minimise_steps < ITER_MAX_MINIMISE) {
        *type = LDNS_RR_TYPE_A;
        return ldns_dname_clone_from(it->target, (uint16_t)(labels - it->ask_labels));
    }
    *type = it->qtype;
    return ldns_rdf_clone(it->target);
}

static enum step process_send(struct iter *it)
{
    struct daemon *d = it->d;
    char server[64], name[WIRE_MAX_NAME * 4 + 2];

    if (++it->budget->queries > (int)it->d->cfg->max_queries_per_question)
        return fail(it, "too many upstream queries for one question");
    ldns_rdf_deep_free(it->asked);
    it->asked = name_to_ask(it, &it->asked_type);
    if (!it->asked || ldns_rdf_size(it->asked) > WIRE_MAX_NAME)
        return fail(it, "out of memory");
    struct outbound_params p = {
        .server = it->cur->addr, .server_len = addr_len(&it->cur->addr),
        .qname = ldns_rdf_data(it->asked), .qname_len = ldns_rdf_size(it->asked),
        .qtype = it->asked_type, .qclass = it->qclass, .rd = false,
        .edns_size = d->cfg->edns_buffer_size,
        .timeout_ms = infra_timeout_ms(d->infra, &it->cur->addr, now_s()),
    };
    it->use_0x20 = d->cfg->case_randomisation && !infra_no_0x20(d->infra, &it->cur->addr, now_s());
    p.case_randomise = it->use_0x20;
    for (size_t k = 0; k < d->cfg->n_outgoing && !p.has_source; k++) {
        if (d->cfg->outgoing[k].ss_family == p.server.ss_family) {
            p.source = d->cfg->outgoing[k];
            p.has_source = true;
        }
    }
    it->cur->attempts++;
    it->out = outbound_start(d->loop, &d->stats, &p, upstream_done, it);
    if (!it->out) {
        it->cur->lame = true;       /* cannot even open a socket to it */
        it->state = ST_CHOOSE_SERVER;
        return STEP_CONTINUE;
    }
    infra_outstanding_add(d->infra, &it->cur->addr, 1, now_s());
    trace_query(it);
    if (log_enabled(LOG_LVL_DEBUG)) {
        char zone[WIRE_MAX_NAME * 4 + 2];
        name_str(it->asked, name, sizeof name);
        name_str(it->zone, zone, sizeof zone);
        log_debug("iterate: asking %s (zone %s) for %s type %d",
                  addr_to_str(&it->cur->addr, server, sizeof server), zone, name, it->asked_type);
    }
    it->state = ST_WAITING;
    return STEP_WAIT;
}

static void upstream_done(void *arg, enum outbound_status status, uint8_t *msg, size_t len,
                          double rtt)
{
    struct iter *it = arg;
    struct infra *infra = it->d->infra;
    time_t now = now_s();

    it->out = NULL;
    infra_outstanding_add(infra, &it->cur->addr, -1, now);
    switch (status) {
    case OUTBOUND_OK:
        infra_report_rtt(infra, &it->cur->addr, (uint32_t)(rtt * 1000), now);
        ldns_pkt_free(it->resp);
        it->resp = NULL;
        if (ldns_wire2pkt(&it->resp, msg, len) != LDNS_STATUS_OK) {
            trace_verdict(it, "garbled", rtt * 1000, "a reply ldns cannot parse: server marked lame");
            it->cur->lame = true;
            it->state = ST_CHOOSE_SERVER;
        } else {
            trace_verdict(it, "reply", rtt * 1000, "rcode %d", ldns_pkt_get_rcode(it->resp));
            it->state = ST_CLASSIFY;
        }
        break;
    case OUTBOUND_CASE_MISMATCH:
        trace_verdict(it, "case-mismatch", rtt * 1000,
                      "the reply did not keep the 0x20 case: asking again without it");
        infra_set_no_0x20(infra, &it->cur->addr, now);
        it->cur->attempts--;        /* not its fault: ask it again without 0x20 */
        it->state = ST_SEND;
        break;
    case OUTBOUND_TIMEOUT:
    case OUTBOUND_NETERR:
        trace_verdict(it, status == OUTBOUND_TIMEOUT ? "timeout" : "network-error", -1,
                      "no usable reply: trying another server");
        infra_report_timeout(infra, &it->cur->addr, now);
        it->state = ST_CHOOSE_SERVER;
        break;
    default:
        trace_verdict(it, "unusable", rtt * 1000, "unusable reply (outbound status %d): server marked lame",
                      status);
        it->cur->lame = true;
        it->state = ST_CHOOSE_SERVER;
        break;
    }
    iter_run(it);
}

/* ---- classifying a response ------------------------------------------------------------ */

static void cache_rrsets(struct iter *it, const ldns_rr_list *rrs, enum rr_trust trust)
{
    size_t n = ldns_rr_list_rr_count(rrs);

    /* rrs is sorted canonically, so each RRset is a contiguous run */
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
            rrcache_store(it->d->rrcache, set, trust, now_s());
        ldns_rr_list_free(set);     /* shallow: the RRs belong to rrs */
        i = j;
    }
}

/* Caches an NS set and its glue; returns the glue (caller frees) so it can be used even
 * when the cache would not keep it (TTL 0, max-ttl 0, out of room). */
static ldns_rr_list *cache_delegation(struct iter *it, const ldns_rr_list *ns,
                                      enum rr_trust ns_trust)
{
    ldns_rr_list *glue = response_glue(it->resp, LDNS_SECTION_ADDITIONAL, ns);

    rrcache_store(it->d->rrcache, ns, ns_trust, now_s());
    if (glue)
        cache_rrsets(it, glue, RR_TRUST_GLUE);
    return glue;
}

static enum step take_referral(struct iter *it, ldns_rr_list *ns)
{
    char child[WIRE_MAX_NAME * 4 + 2];

    if (++it->referrals > (int)it->d->cfg->max_referrals) {
        ldns_rr_list_deep_free(ns);
        return fail(it, "too many referrals");
    }
    it->d->stats.iterator_referrals++;
    ldns_rr_list *glue = cache_delegation(it, ns, RR_TRUST_AUTHORITY);
    ldns_rdf *zone = ldns_rdf_clone(ldns_rr_owner(ldns_rr_list_rr(ns, 0)));
    name_str(zone, child, sizeof child);
    log_debug("iterate: referral to %s", child);
    if (it->trace) {
        char names[TRACE_TEXT];
        size_t n_glue = glue ? ldns_rr_list_rr_count(glue) : 0;
        ns_names_text(ns, names);
        trace_verdict(it, "referral", -1, "referral to %s: NS %s; %zu glue record%s", child,
                      names, n_glue, n_glue == 1 ? "" : "s");
        struct trace_step *s = trace_add(it->trace, TRACE_CACHED, it->depth);
        if (s) {
            trace_set_name(s->name, zone);
            snprintf(s->type, sizeof s->type, "NS");
            snprintf(s->verdict, sizeof s->verdict, "delegation");
            s->ttl = (long)ldns_rr_ttl(ldns_rr_list_rr(ns, 0));
            trace_printf(s->detail, "%zu NS record%s and %zu glue record%s in the RRset cache",
                         ldns_rr_list_rr_count(ns), ldns_rr_list_rr_count(ns) == 1 ? "" : "s",
                         n_glue, n_glue == 1 ? "" : "s");
        }
    }
    use_delegation(it, zone, ns);
    add_servers(it, glue);
    ldns_rr_list_deep_free(glue);
    it->state = ST_CHOOSE_SERVER;
    return STEP_CONTINUE;
}

static void append_rrs(ldns_rr_list *to, ldns_rr_list *from)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(from); i++)
        ldns_rr_list_push_rr(to, ldns_rr_list_rr(from, i));
    ldns_rr_list_free(from);        /* shallow: the RRs moved to `to` */
}

static enum step finish_negative(struct iter *it, ldns_pkt_rcode rcode)
{
    it->rcode = rcode;
    ldns_rr_free(it->soa);
    it->soa = response_soa(it->resp, it->target);
    trace_verdict(it, rcode == LDNS_RCODE_NXDOMAIN ? "nxdomain" : "nodata", -1,
                  rcode == LDNS_RCODE_NXDOMAIN ? "the name does not exist%s" :
                  "the name exists but has no data of this type%s",
                  it->soa ? " (with SOA)" : " (no SOA: not cached for long)");
    it->state = ST_DONE;
    return STEP_CONTINUE;
}

/* Follows the answer section from it->target through CNAMEs. Returns true when the final
 * RRset was found (it->state = DONE); otherwise it->target is where the chain stopped. */
static bool follow_answer(struct iter *it)
{
    for (;;) {
        ldns_rr_list *rrset = response_rrset(it->resp, LDNS_SECTION_ANSWER, it->target, it->qtype);
        if (rrset) {
            /* an answer without AA is only as good as authority data (RFC 2181 5.4.1) */
            enum rr_trust trust = ldns_pkt_aa(it->resp) ? RR_TRUST_ANSWER : RR_TRUST_AUTHORITY;
            if (it->qtype == LDNS_RR_TYPE_A || it->qtype == LDNS_RR_TYPE_AAAA)
                rrcache_store(it->d->rrcache, rrset, trust, now_s());
            if (it->qtype == LDNS_RR_TYPE_NS)
                ldns_rr_list_deep_free(cache_delegation(it, rrset, trust));
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
        /* ldns reads a CNAME with an empty RDATA without complaint, and ldns_rdf_clone
         * asserts on its missing target: a chain without a target ends here (fuzz_upstream) */
        const ldns_rdf *alias = ldns_rr_rdf(ldns_rr_list_rr(cname, 0), 0);
        ldns_rdf *next = alias ? ldns_rdf_clone(alias) : NULL;
        ldns_rr_list_push_rr(it->answer, ldns_rr_list_pop_rr(cname));
        ldns_rr_list_deep_free(cname);
        ldns_rdf_deep_free(it->target);
        it->target = next;
        if (!next || ++it->cnames > (int)it->d->cfg->max_cname_chain)
            return false;
    }
}

static bool is_lame_rcode(ldns_pkt_rcode rcode)
{
    return rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN;
}

static enum step mark_lame(struct iter *it, const char *what)
{
    char server[64];

    it->d->stats.iterator_lame++;
    trace_verdict(it, "lame", -1, "lame: %s; trying another server", what);
    it->cur->lame = true;
    log_debug("iterate: %s is lame (%s)", addr_to_str(&it->cur->addr, server, sizeof server), what);
    it->state = ST_CHOOSE_SERVER;
    return STEP_CONTINUE;
}

/* A reply to a minimised question: go down a referral, or one label further, or give up
 * minimising for this server (relaxed mode, RFC 9156 section 3) when it misbehaves. */
static enum step classify_minimised(struct iter *it)
{
    ldns_rr_list *ns = NULL;
    ldns_pkt_rcode rcode = ldns_pkt_get_rcode(it->resp);

    it->minimise_steps++;
    if (!is_lame_rcode(rcode) &&
        response_referral(it->resp, it->zone, it->asked, &ns) == REFERRAL_DOWN)
        return take_referral(it, ns);
    ldns_rr_list *cname = response_rrset(it->resp, LDNS_SECTION_ANSWER, it->asked,
                                         LDNS_RR_TYPE_CNAME);
    if (rcode == LDNS_RCODE_NOERROR && ldns_pkt_aa(it->resp) && !cname) {
        it->ask_labels++;           /* the name exists here (maybe as an empty non-terminal) */
        trace_verdict(it, "exists", -1, "no delegation at this name: one label more");
    } else {
        it->minimise = false;       /* NXDOMAIN, CNAME, errors, oddities: ask the full name */
        trace_verdict(it, "minimise-off", -1, "rcode %d%s: asking the full name now", rcode,
                      cname ? " with a CNAME" : "");
    }
    ldns_rr_list_deep_free(cname);
    it->cur->attempts--;            /* same server, next question */
    it->state = ST_SEND;
    return STEP_CONTINUE;
}

static enum step classify_full(struct iter *it)
{
    ldns_pkt_rcode rcode = ldns_pkt_get_rcode(it->resp);
    ldns_rr_list *ns = NULL;
    ldns_rdf *asked_for = ldns_rdf_clone(it->target);

    if (is_lame_rcode(rcode)) {
        ldns_rdf_deep_free(asked_for);
        return mark_lame(it, "error rcode");
    }
    if (follow_answer(it)) {
        ldns_rdf_deep_free(asked_for);
        size_t n = ldns_rr_list_rr_count(it->answer);
        trace_verdict(it, "answer", -1, "%zu record%s%s%s", n, n == 1 ? "" : "s",
                      it->cnames ? " (the CNAMEs followed included)" : "",
                      ldns_pkt_aa(it->resp) ? ", authoritative" : "");
        return STEP_CONTINUE;
    }
    bool moved = ldns_dname_compare(asked_for, it->target) != 0;
    ldns_rdf_deep_free(asked_for);
    if (it->cnames > (int)it->d->cfg->max_cname_chain || !it->target)
        return fail(it, "CNAME chain too long");
    ldns_rr *soa = response_soa(it->resp, it->target);
    bool authoritative = ldns_pkt_aa(it->resp) || soa != NULL;
    ldns_rr_free(soa);
    if (authoritative && rcode == LDNS_RCODE_NXDOMAIN)
        return finish_negative(it, rcode);
    if (moved) {
        /* the chain left this server's data: resolve the new name from its own zone */
        char next[TRACE_TEXT];
        trace_set_name(next, it->target);
        trace_verdict(it, "cname", -1, "CNAME to %s: resolving that name", next);
        it->state = ST_NEXT_TARGET;
        return STEP_CONTINUE;
    }
    switch (response_referral(it->resp, it->zone, it->target, &ns)) {
    case REFERRAL_DOWN:
        return take_referral(it, ns);
    case REFERRAL_BAD:
        return mark_lame(it, "referral upwards or sideways");
    case REFERRAL_NONE:
        break;
    }
    if (ldns_pkt_aa(it->resp) && rcode == LDNS_RCODE_NOERROR)
        return finish_negative(it, rcode);          /* NODATA */
    return mark_lame(it, "not authoritative and not a referral");
}

static enum step process_classify(struct iter *it)
{
    size_t dropped = response_scrub(it->resp, it->zone);

    response_canonicalize(it->resp);
    if (dropped) {
        it->d->stats.iterator_scrubbed += dropped;
        log_debug("iterate: dropped %zu out-of-bailiwick records", dropped);
    }
    bool minimised = it->asked_type != it->qtype ||
                     ldns_dname_compare(it->asked, it->target) != 0;
    return minimised ? classify_minimised(it) : classify_full(it);
}

/* ---- the driver ------------------------------------------------------------------------ */

static void iter_finish(struct iter *it, bool ok)
{
    char name[WIRE_MAX_NAME * 4 + 2];

    if (!ok) {
        name_str(it->qname, name, sizeof name);
        log_debug("iterate: %s type %d failed: %s", name, it->qtype, it->why ? it->why : "?");
        it->d->stats.iterator_failures++;
    }
    if (it->parent == NULL)
        ev_timer_stop(it->d->loop, &it->deadline);
    it->done(it->done_arg, it, ok);     /* frees it */
}

static void iter_run(struct iter *it)
{
    for (;;) {
        enum step s;
        switch (it->state) {
        case ST_NEXT_TARGET:     s = process_next_target(it); break;
        case ST_FIND_DELEGATION: s = process_find_delegation(it); break;
        case ST_CHOOSE_SERVER:   s = process_choose_server(it); break;
        case ST_RESOLVE_NS:      s = process_resolve_ns(it); break;
        case ST_SEND:            s = process_send(it); break;
        case ST_CLASSIFY:        s = process_classify(it); break;
        case ST_DONE:            iter_finish(it, true); return;
        case ST_FAILED:          iter_finish(it, false); return;
        case ST_WAITING:
        default:                 return;
        }
        if (s == STEP_WAIT)
            return;
    }
}

static void deadline_passed(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct iter *it = w->data;
    (void)loop;
    (void)revents;

    it->why = "time limit for the question reached";
    it->state = ST_FAILED;
    iter_run(it);
}

static struct iter *iter_new(struct daemon *d, struct iter *parent, const ldns_rdf *qname,
                             ldns_rr_type qtype, ldns_rr_class qclass, iter_done_fn *done,
                             void *arg)
{
    struct iter *it = calloc(1, sizeof *it);

    if (!it)
        return NULL;
    it->d = d;
    it->parent = parent;
    it->depth = parent ? parent->depth + 1 : 0;
    it->budget = parent ? parent->budget : &it->own_budget;
    it->trace = parent ? parent->trace : NULL;
    it->qname = ldns_rdf_clone(qname);
    it->target = ldns_rdf_clone(qname);
    it->answer = ldns_rr_list_new();
    if (!it->qname || !it->target || !it->answer) {
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
        ev_timer_init(&it->deadline, deadline_passed, d->cfg->question_timeout_ms / 1000.0, 0);
        it->deadline.data = it;
        ev_timer_start(d->loop, &it->deadline);
    }
    return it;
}

/* Frees an iter and everything it still has running (outbound query, child). */
static void iter_free(struct iter *it)
{
    if (!it)
        return;
    if (it->out) {
        outbound_cancel(it->out);
        infra_outstanding_add(it->d->infra, &it->cur->addr, -1, now_s());
    }
    iter_free(it->child);
    forget_servers(it);
    if (!it->parent)
        ev_timer_stop(it->d->loop, &it->deadline);
    else
        ev_timer_stop(it->d->loop, &it->start);
    ldns_rdf_deep_free(it->qname);
    ldns_rdf_deep_free(it->target);
    ldns_rdf_deep_free(it->zone);
    ldns_rdf_deep_free(it->asked);
    ldns_rr_list_deep_free(it->ns);
    ldns_rr_list_deep_free(it->answer);
    ldns_rr_free(it->soa);
    ldns_pkt_free(it->resp);
    free(it);
}

/* ---- the public face: jobs for the mesh, and priming ------------------------------------ */

/* The result as a response message (without OPT), ready for the message cache. */
static uint8_t *result_wire(const struct iter *it, size_t *len)
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

/* msg == NULL: the resolution failed. msg is only valid during the call. */
typedef void iterate_done_fn(void *arg, uint8_t *msg, size_t len);

struct iterate_job {
    struct iter *it;
    ev_timer kick;                  /* starts the iter from the loop, never from the caller */
    iterate_done_fn *done;
    void *arg;
};

static void job_kick(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct iterate_job *job = w->data;
    (void)loop;
    (void)revents;
    iter_run(job->it);
}

static void job_done(void *arg, struct iter *it, bool ok)
{
    struct iterate_job *job = arg;
    size_t len = 0;
    uint8_t *wire = ok ? result_wire(it, &len) : NULL;

    iter_free(it);
    job->done(job->arg, wire, len);
    free(wire);
    free(job);
}

/* Starts resolving; `done` is called later, exactly once, unless iterate_cancel comes
 * first. NULL when iteration is impossible (no root hints) or out of memory. trace (may
 * be NULL) gets every step; it must outlive the job. */
static struct iterate_job *iterate_start(struct daemon *d, const uint8_t *qname_lc,
                                         size_t qname_len, uint16_t qtype, uint16_t qclass,
                                         struct trace *trace, iterate_done_fn *done, void *arg)
{
    struct iterate_job *job;
    ldns_rdf *qname;

    if (!d->hints || !(job = calloc(1, sizeof *job)))
        return NULL;
    qname = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, qname_len, qname_lc);
    job->done = done;
    job->arg = arg;
    job->it = qname ? iter_new(d, NULL, qname, qtype, qclass, job_done, job) : NULL;
    ldns_rdf_deep_free(qname);
    if (!job->it) {
        free(job);
        return NULL;
    }
    job->it->trace = trace;
    ev_timer_init(&job->kick, job_kick, 0, 0);
    job->kick.data = job;
    ev_timer_start(d->loop, &job->kick);
    return job;
}

static void iterate_cancel(struct iterate_job *job)
{
    if (!job)
        return;
    ev_timer_stop(job->it->d->loop, &job->kick);
    iter_free(job->it);
    free(job);
}

/* ---- the stage -------------------------------------------------------------------------- */

static void stage_done(void *arg, uint8_t *msg, size_t len)
{
    resolve_stage_done(arg, msg ? RESOLVE_ANSWER : RESOLVE_FAIL, msg, len,
                       "iteration failed");
}

static void trace_route(const struct resolve_query *q, const char *detail)
{
    struct trace_step *s = trace_add(q->trace, TRACE_ROUTE, 0);

    if (!s)
        return;
    wire_name_to_str(q->qname_lc, q->qname_len, s->name, sizeof s->name);
    trace_set_type(s->type, q->qtype);
    snprintf(s->verdict, sizeof s->verdict, "iterate");
    trace_printf(s->detail, "%s%s%s", q->why ? q->why : "", q->why ? ": " : "", detail);
}

static enum resolve_verdict stage_start(struct resolve *r, void **state, const char **why)
{
    const struct resolve_query *q = resolve_query_of(r);

    if (!q->d->hints) {
        trace_route(q, "no root hints: cannot iterate");
        *why = "no root hints";
        return RESOLVE_FAIL;
    }
    trace_route(q, "iterating from the root");
    *state = iterate_start(q->d, q->qname_lc, q->qname_len, q->qtype, q->qclass, q->trace,
                           stage_done, r);
    if (*state)
        return RESOLVE_WAIT;
    *why = "out of memory";
    return RESOLVE_FAIL;
}

static void stage_cancel(void *state)
{
    iterate_cancel(state);
}

const struct resolve_stage iterate_stage = { "iterate", stage_start, stage_cancel };

/* ---- priming: one root priming at a time for the whole process --------------------------- */

struct iterate_priming {
    atomic_bool busy;               /* a priming is in flight on some thread */
    struct iterate_job *job;        /* that priming; written only by the thread holding busy */
    struct daemon *owner;           /* the context (thread) whose loop runs it */
};

struct iterate_priming *iterate_priming_new(void)
{
    struct iterate_priming *p = calloc(1, sizeof *p);

    if (p)
        atomic_init(&p->busy, false);
    return p;
}

void iterate_priming_cancel(struct iterate_priming *p, struct daemon *d)
{
    if (!p || !p->job || p->owner != d)
        return;
    iterate_cancel(p->job);
    p->job = NULL;
    p->owner = NULL;
    atomic_store(&p->busy, false);
}

void iterate_priming_free(struct iterate_priming *p)
{
    free(p);
}

static void prime_done(void *arg, uint8_t *msg, size_t len)
{
    struct iterate_priming *p = arg;
    (void)len;

    p->job = NULL;
    p->owner = NULL;
    atomic_store(&p->busy, false);
    if (msg)
        log_info("primed the root name servers");
    else
        log_warn("priming the root name servers failed; using the root hints");
}

void iterate_prime(struct daemon *d)
{
    static const uint8_t root[1] = { 0 };
    struct iterate_priming *p = d->priming;
    ldns_rdf *root_name;
    ldns_rr_list *ns;

    if (!p || !d->hints || !d->cfg->root_priming || atomic_load(&p->busy))
        return;
    root_name = ldns_dname_new_frm_str(".");
    ns = root_name ? rrcache_lookup(d->rrcache, root_name, LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN,
                                    time(NULL), NULL) : NULL;
    ldns_rdf_deep_free(root_name);
    if (ns) {
        ldns_rr_list_deep_free(ns);
        return;
    }
    if (atomic_exchange(&p->busy, true))
        return;
    p->owner = d;
    p->job = iterate_start(d, root, sizeof root, LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN, NULL,
                           prime_done, p);
    if (!p->job) {
        p->owner = NULL;
        atomic_store(&p->busy, false);
    }
}
