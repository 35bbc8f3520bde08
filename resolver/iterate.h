/* iterate.h -- iterative resolution from the root hints down to the authoritative servers.
 *
 * One job resolves one (name, type, class): it finds the closest delegation it knows
 * (RRset cache, else the root hints), asks that zone's servers (RD=0) and follows referrals
 * down, CNAMEs across zones, and glueless delegations through sub-resolutions, caching
 * every delegation (NS sets, glue) and every server's RTT (infra cache) on the way. Every
 * limit -- referrals, CNAME chain, sub-queries, nesting depth, total time -- ends the job
 * with a failure (the client gets SERVFAIL) and a debug log line saying which. Jobs are
 * started only through resolve.c, as its `iterate` stage. Priming of the root NS set is
 * iteration's own state (struct iterate_priming), which the daemon only holds. */
#ifndef ITERATE_H
#define ITERATE_H

struct iterate_priming;
struct resolve_stage;
struct thread_ctx;

/* The `iterate` stage of resolve.c: answers, or fails (no root hints, a limit, no server
 * left); it never passes on. */
extern const struct resolve_stage iterate_stage;

/* The process's priming state: one root priming at a time, whichever thread needs it.
 * NULL when out of memory (then no priming is done). */
struct iterate_priming *iterate_priming_new(void);
/* Cancels the priming running on ctx's loop, if any (that thread's loop is still alive). */
void iterate_priming_cancel(struct iterate_priming *p, struct thread_ctx *ctx);
void iterate_priming_free(struct iterate_priming *p);

/* Primes the root NS set (RFC 8109) on ctx's loop unless it is cached, priming is off or
 * already under way somewhere. */
void iterate_prime(struct thread_ctx *ctx);

#endif
