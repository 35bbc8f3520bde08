/* iterate.h -- iterative resolution from the root hints down to the authoritative servers.
 *
 * One job resolves one (name, type, class): it finds the closest delegation it knows
 * (RRset cache, else the root hints), asks that zone's servers (RD=0) and follows referrals
 * down, CNAMEs across zones, and glueless delegations through sub-resolutions, caching
 * every delegation (NS sets, glue) and every server's RTT (infra cache) on the way. Every
 * limit -- referrals, CNAME chain, sub-queries, nesting depth, total time -- ends the job
 * with a failure (the client gets SERVFAIL) and a debug log line saying which. */
#ifndef ITERATE_H
#define ITERATE_H

#include <stddef.h>
#include <stdint.h>

struct daemon;
struct trace;
struct iterate_job;

/* msg == NULL: the resolution failed. msg is only valid during the call. */
typedef void iterate_done_fn(void *arg, uint8_t *msg, size_t len);

/* Starts resolving; `done` is called later, exactly once, unless iterate_cancel comes
 * first. NULL when iteration is impossible (no root hints) or out of memory. trace (may
 * be NULL) gets every step; it must outlive the job. */
struct iterate_job *iterate_start(struct daemon *d, const uint8_t *qname_lc, size_t qname_len,
                                  uint16_t qtype, uint16_t qclass, struct trace *trace,
                                  iterate_done_fn *done, void *arg);
void iterate_cancel(struct iterate_job *job);

/* Primes the root NS set (RFC 8109) unless it is cached or priming is already under way. */
void iterate_prime(struct daemon *d);

#endif
