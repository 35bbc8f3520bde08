/* delegpt.h -- a delegation point: the zone being asked, its NS set and its servers.
 *
 * The iterator keeps one per resolution: the closest zone it knows for the name, the NS
 * names of that zone, and the addresses it has for them (glue, the RRset cache, glueless
 * sub-resolutions), each with what this resolution learnt of it (attempts, lame). Server
 * choice: the usable server with the fewest attempts, then the lowest smoothed RTT (infra
 * cache); among those within DELEGPT_RTT_BAND_MS of the best, one at random, so unknown
 * servers get explored and load spreads (as Unbound does). Addresses the config does not
 * let us query (do-ip4/do-ip6, query-loopback) are never added. No I/O: the caches are
 * read, never written. */
#ifndef DELEGPT_H
#define DELEGPT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <ldns/ldns.h>

struct config;
struct hints;
struct infra;
struct rrcache;

#define DELEGPT_MAX_SERVERS  32
#define DELEGPT_MAX_ATTEMPTS 2      /* tries per server address that timed out */
#define DELEGPT_RTT_BAND_MS  400    /* servers this close to the fastest are chosen at random */
#define DELEGPT_MAX_NS       64     /* NS names tracked for glueless resolution */

struct delegpt_server {
    struct sockaddr_storage addr;
    ldns_rdf *name;                 /* its NS name, kept only when keep_names */
    int attempts;
    bool lame;
};

struct delegpt {
    ldns_rdf *zone;                 /* NULL until the first delegpt_set */
    ldns_rr_list *ns;
    struct delegpt_server *servers; /* grown as addresses come, up to DELEGPT_MAX_SERVERS:
                                       most zones have 2-13, and thousands of resolutions
                                       in flight each kept 32 slots (4.6 KiB) before */
    int n_servers, cap_servers;     /* cap only grows until delegpt_clear: indexes stay valid */
    uint64_t ns_resolved;           /* bit i: NS name i has addresses (or was tried) */
    size_t ask_labels;              /* qname minimisation: labels of the next name to ask */
    bool keep_names;                /* keep each server's NS name (for the trace) */
    const struct config *cfg;       /* which addresses may be asked */
};

/* An empty delegation point (no zone yet). */
void delegpt_init(struct delegpt *dp, const struct config *cfg, bool keep_names);
/* Frees everything the delegation point holds (it is empty, as after delegpt_init). */
void delegpt_clear(struct delegpt *dp);

/* Makes (zone, ns) the delegation (takes both), its servers the NS names' addresses in
 * the RRset cache (when rrcache is not NULL); minimisation starts one label below zone. */
void delegpt_set(struct delegpt *dp, ldns_rdf *zone, ldns_rr_list *ns, struct rrcache *rrcache,
                 ldns_rr_class qclass, time_t now);

enum delegpt_source { DELEGPT_NONE, DELEGPT_CACHE, DELEGPT_HINTS };

/* Makes the closest delegation of target whose servers can be reached the delegation:
 * walking up from target (from its parent for DS, which lives on the parent side of a
 * zone cut, RFC 4035 3.1.4.1), the first NS set in the RRset cache with addresses cached
 * or NS names outside the zone (resolvable elsewhere); the root hints (hints may be NULL)
 * when there is none. DELEGPT_NONE: no hints, or out of memory. */
enum delegpt_source delegpt_find(struct delegpt *dp, struct rrcache *rrcache,
                                 const struct hints *hints, const ldns_rdf *target,
                                 ldns_rr_type qtype, ldns_rr_class qclass, time_t now);

/* Replaces the delegation by the closest one above its zone (as delegpt_find from the
 * zone's parent): every server of a cached delegation failed, so its parent is asked
 * for a fresh referral. False (dp unchanged) at the root or when out of memory. */
bool delegpt_find_above(struct delegpt *dp, struct rrcache *rrcache, const struct hints *hints,
                        ldns_rr_class qclass, time_t now);

/* Adds the A/AAAA records among rrs as servers, skipping duplicates, addresses the config
 * forbids, and any beyond DELEGPT_MAX_SERVERS. Returns how many were added. */
int delegpt_add_addrs(struct delegpt *dp, const ldns_rr_list *rrs);

/* Adds the cached addresses of one NS name; true when the cache had any (usable or not). */
bool delegpt_add_cached(struct delegpt *dp, struct rrcache *rrcache, const ldns_rdf *name,
                        ldns_rr_class qclass, time_t now);

/* Appends copies of the A/AAAA records of `name` among glue to *into (made when NULL):
 * what a referral said of a name a glueless resolution is looking for. Unbound falls back
 * on such parent-side addresses when the name's own zone gives none that work. */
void delegpt_glue_of(const ldns_rr_list *glue, const ldns_rdf *name, ldns_rr_list **into);

/* True when some NS name lies outside the zone it serves: its address can be found
 * elsewhere, so the delegation is usable even without glue. */
bool delegpt_has_resolvable_ns(const struct delegpt *dp);

/* NS name i of the set (NULL when the record has none). */
const ldns_rdf *delegpt_ns_name(const struct delegpt *dp, size_t i);
/* True when some NS name has neither addresses nor a resolution tried yet. */
bool delegpt_ns_left(const struct delegpt *dp);

/* The server to ask next (see the top), or NULL when every usable one has had its tries.
 * allow_backed_off: consider servers the infra cache has backed off from, too. */
struct delegpt_server *delegpt_choose(struct delegpt *dp, struct infra *infra,
                                      bool allow_backed_off, time_t now);

/* The name to ask this zone's servers: with minimise (RFC 9156) the target cut to
 * ask_labels labels, type A, while it is shorter than the target; else the target, qtype.
 * A new rdf (NULL when out of memory). */
ldns_rdf *delegpt_name_to_ask(const struct delegpt *dp, const ldns_rdf *target,
                              ldns_rr_type qtype, bool minimise, ldns_rr_type *type);

/* Turns an A/AAAA record into a port-53 socket address; false for anything else. */
bool delegpt_rr_to_addr(const ldns_rr *rr, struct sockaddr_storage *ss);

#endif
