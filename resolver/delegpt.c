/* delegpt.c -- the delegation point of one resolution: its servers and their choice.
 *
 * Invariant: servers[0 .. n_servers) are distinct addresses the config allows; the NS
 * names' bits in ns_resolved say which need no glueless resolution any more. */
#include "delegpt.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "dname.h"
#include "hints.h"
#include "infra.h"
#include "rrcache.h"

void delegpt_init(struct delegpt *dp, const struct config *cfg, bool keep_names)
{
    memset(dp, 0, sizeof *dp);
    dp->cfg = cfg;
    dp->keep_names = keep_names;
}

static void forget_servers(struct delegpt *dp)
{
    for (int i = 0; i < dp->n_servers; i++)
        ldns_rdf_deep_free(dp->servers[i].name);
    dp->n_servers = 0;
}

/* Forgets the zone and its servers but keeps the server array: an index taken into it
 * (the query in flight) stays valid memory across a new delegation. */
static void reset(struct delegpt *dp)
{
    forget_servers(dp);
    ldns_rdf_deep_free(dp->zone);
    ldns_rr_list_deep_free(dp->ns);
    dp->zone = NULL;
    dp->ns = NULL;
    dp->ns_resolved = 0;
}

void delegpt_clear(struct delegpt *dp)
{
    reset(dp);
    free(dp->servers);
    dp->servers = NULL;
    dp->cap_servers = 0;
}

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

bool delegpt_rr_to_addr(const ldns_rr *rr, struct sockaddr_storage *ss)
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

/* Makes room for one more server; false at DELEGPT_MAX_SERVERS or out of memory. */
static bool room_for_server(struct delegpt *dp)
{
    if (dp->n_servers < dp->cap_servers)
        return true;
    if (dp->cap_servers == DELEGPT_MAX_SERVERS)
        return false;
    int cap = dp->cap_servers ? 2 * dp->cap_servers : 4;
    if (cap > DELEGPT_MAX_SERVERS)
        cap = DELEGPT_MAX_SERVERS;
    struct delegpt_server *s = realloc(dp->servers, (size_t)cap * sizeof *s);
    if (!s)
        return false;
    dp->servers = s;
    dp->cap_servers = cap;
    return true;
}

int delegpt_add_addrs(struct delegpt *dp, const ldns_rr_list *rrs)
{
    int added = 0;

    for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs); i++) {
        struct sockaddr_storage ss;
        if (!delegpt_rr_to_addr(ldns_rr_list_rr(rrs, i), &ss) || !address_allowed(dp->cfg, &ss))
            continue;
        bool known = false;
        for (int k = 0; k < dp->n_servers && !known; k++)
            known = addr_equal(&dp->servers[k].addr, &ss);
        if (known || !room_for_server(dp))
            continue;
        struct delegpt_server *s = &dp->servers[dp->n_servers++];
        memset(s, 0, sizeof *s);
        if (dp->keep_names)
            s->name = ldns_rdf_clone(ldns_rr_owner(ldns_rr_list_rr(rrs, i)));
        s->addr = ss;
        added++;
    }
    return added;
}

bool delegpt_add_cached(struct delegpt *dp, struct rrcache *rrcache, const ldns_rdf *name,
                        ldns_rr_class qclass, time_t now)
{
    static const ldns_rr_type types[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };
    bool any = false;

    for (size_t t = 0; t < 2; t++) {
        ldns_rr_list *rrs = rrcache_lookup(rrcache, name, types[t], qclass, now, NULL);
        if (rrs) {
            any = true;
            delegpt_add_addrs(dp, rrs);
            ldns_rr_list_deep_free(rrs);
        }
    }
    return any;
}

const ldns_rdf *delegpt_ns_name(const struct delegpt *dp, size_t i)
{
    return ldns_rr_rdf(ldns_rr_list_rr(dp->ns, i), 0);
}

void delegpt_set(struct delegpt *dp, ldns_rdf *zone, ldns_rr_list *ns, struct rrcache *rrcache,
                 ldns_rr_class qclass, time_t now)
{
    reset(dp);
    dp->zone = zone;
    dp->ns = ns;
    dp->ask_labels = ldns_dname_label_count(zone) + 1;
    for (size_t i = 0; rrcache && i < ldns_rr_list_rr_count(ns) && i < DELEGPT_MAX_NS; i++)
        if (delegpt_ns_name(dp, i) && delegpt_add_cached(dp, rrcache, delegpt_ns_name(dp, i),
                                                         qclass, now))
            dp->ns_resolved |= 1ULL << i;
}

ldns_rdf *delegpt_name_to_ask(const struct delegpt *dp, const ldns_rdf *target,
                              ldns_rr_type qtype, bool minimise, ldns_rr_type *type)
{
    size_t labels = ldns_dname_label_count(target);

    if (minimise && dp->ask_labels < labels) {
        *type = LDNS_RR_TYPE_A;
        return ldns_dname_clone_from(target, (uint16_t)(labels - dp->ask_labels));
    }
    *type = qtype;
    return ldns_rdf_clone(target);
}

bool delegpt_find_above(struct delegpt *dp, struct rrcache *rrcache, const struct hints *hints,
                        ldns_rr_class qclass, time_t now)
{
    if (!dp->zone || ldns_dname_label_count(dp->zone) == 0)
        return false;
    ldns_rdf *up = ldns_dname_left_chop(dp->zone);
    enum delegpt_source from = up ? delegpt_find(dp, rrcache, hints, up, LDNS_RR_TYPE_A, qclass,
                                                 now) : DELEGPT_NONE;
    ldns_rdf_deep_free(up);
    return from != DELEGPT_NONE;
}

void delegpt_glue_of(const ldns_rr_list *glue, const ldns_rdf *name, ldns_rr_list **into)
{
    for (size_t i = 0; glue && i < ldns_rr_list_rr_count(glue); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(glue, i);
        if (ldns_dname_compare(ldns_rr_owner(rr), name) != 0)
            continue;
        if (!*into && !(*into = ldns_rr_list_new()))
            return;
        ldns_rr *copy = ldns_rr_clone(rr);
        if (!copy || !ldns_rr_list_push_rr(*into, copy))
            ldns_rr_free(copy);
    }
}

bool delegpt_has_resolvable_ns(const struct delegpt *dp)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(dp->ns); i++) {
        const ldns_rdf *target = delegpt_ns_name(dp, i);
        if (target && !dname_at_or_below(target, dp->zone))
            return true;
    }
    return false;
}

static enum delegpt_source use_root_hints(struct delegpt *dp, const struct hints *h,
                                          struct rrcache *rrcache, ldns_rr_class qclass,
                                          time_t now)
{
    ldns_rdf *root = h ? ldns_dname_new_frm_str(".") : NULL;
    ldns_rr_list *ns = root ? ldns_rr_list_clone(h->ns) : NULL;

    if (!root || !ns) {
        ldns_rdf_deep_free(root);
        ldns_rr_list_deep_free(ns);
        return DELEGPT_NONE;
    }
    delegpt_set(dp, root, ns, rrcache, qclass, now);
    delegpt_add_addrs(dp, h->addrs);
    dp->ns_resolved = ~0ULL;        /* the hints are all we have for the root */
    return DELEGPT_HINTS;
}

enum delegpt_source delegpt_find(struct delegpt *dp, struct rrcache *rrcache,
                                 const struct hints *hints, const ldns_rdf *target,
                                 ldns_rr_type qtype, ldns_rr_class qclass, time_t now)
{
    bool parent_side = qtype == LDNS_RR_TYPE_DS && ldns_dname_label_count(target) > 0;
    ldns_rdf *name = parent_side ? ldns_dname_left_chop(target) : ldns_rdf_clone(target);

    while (name) {
        bool is_root = ldns_dname_label_count(name) == 0;
        ldns_rdf *up = is_root ? NULL : ldns_dname_left_chop(name);
        ldns_rr_list *ns = rrcache_lookup(rrcache, name, LDNS_RR_TYPE_NS, qclass, now, NULL);
        if (ns) {
            delegpt_set(dp, name, ns, rrcache, qclass, now);   /* takes name and ns */
            if (dp->n_servers > 0 || delegpt_has_resolvable_ns(dp)) {
                ldns_rdf_deep_free(up);
                return DELEGPT_CACHE;
            }
        } else {
            ldns_rdf_deep_free(name);
        }
        name = up;
    }
    return use_root_hints(dp, hints, rrcache, qclass, now);
}

bool delegpt_ns_left(const struct delegpt *dp)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(dp->ns) && i < DELEGPT_MAX_NS; i++)
        if (!(dp->ns_resolved & (1ULL << i)))
            return true;
    return false;
}

static bool choosable(struct delegpt_server *s, struct infra *infra, bool allow_backed_off,
                      time_t now)
{
    return !s->lame && (allow_backed_off || infra_usable(infra, &s->addr, now));
}

struct delegpt_server *delegpt_choose(struct delegpt *dp, struct infra *infra,
                                      bool allow_backed_off, time_t now)
{
    struct delegpt_server *pick[DELEGPT_MAX_SERVERS];
    uint32_t rtt[DELEGPT_MAX_SERVERS];
    int n = 0, fewest = DELEGPT_MAX_ATTEMPTS;
    uint32_t best = UINT32_MAX;

    for (int i = 0; i < dp->n_servers; i++) {
        struct delegpt_server *s = &dp->servers[i];
        if (s->attempts < fewest && choosable(s, infra, allow_backed_off, now))
            fewest = s->attempts;
    }
    if (fewest == DELEGPT_MAX_ATTEMPTS)
        return NULL;                /* every server has had all its tries */
    for (int i = 0; i < dp->n_servers; i++) {
        struct delegpt_server *s = &dp->servers[i];
        if (s->attempts != fewest || !choosable(s, infra, allow_backed_off, now))
            continue;
        rtt[n] = infra_srtt_ms(infra, &s->addr, now);
        if (rtt[n] < best)
            best = rtt[n];
        pick[n++] = s;
    }
    int in_band = 0;
    for (int i = 0; i < n; i++)
        if (rtt[i] <= best + DELEGPT_RTT_BAND_MS)
            pick[in_band++] = pick[i];
    return in_band ? pick[arc4random_uniform((uint32_t)in_band)] : NULL;
}
