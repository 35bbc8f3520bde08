/* rrlist.h -- deep copies of ldns RR lists that report a failed copy, and what a stored RR
 * costs in memory: what every cache of ldns records (rrcache.c, keycache.c) needs alike. */
#ifndef RRLIST_H
#define RRLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ldns/ldns.h>

/* A deep copy of rr, or NULL if any part of it could not be copied (ldns_rr_clone stores
 * NULL for a field it failed to copy and says nothing). */
ldns_rr *rrlist_clone_rr(const ldns_rr *rr);

/* A deep copy of list with every TTL set to ttl (canonical: owners and the names in the
 * data lower-cased, RFC 4034 6.2), or NULL if memory ran out. */
ldns_rr_list *rrlist_clone_with_ttl(const ldns_rr_list *list, uint32_t ttl, bool canonical);

/* The estimate of what one stored RR holds: the ldns_rr, its owner and rdata fields (an
 * ldns_rdf and a pointer each) and the octets themselves. malloc's bookkeeping aside. */
size_t rrlist_rr_cost(const ldns_rr *rr);

#endif
