/* iter.h -- the iterator's state machine (iterate.c) as its stage (iterstage.c) drives it,
 * and the state of one resolution (`struct iter`) with its limits.
 *
 * Internal to iteration: nothing outside iterate.c, iterverdict.c and iterstage.c
 * includes this. A root iter resolves one question; iter_run advances it until it waits
 * for an event or ends, and when it ends `done` gets it (ok: the result is in it,
 * iter_result_wire gives it as a message); the callee frees it with iter_free, which also
 * cancels whatever still runs. */
#ifndef ITER_H
#define ITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ev.h>
#include <ldns/ldns.h>

#include "delegpt.h"

struct thread_ctx;
struct iter;
struct outbound;
struct trace;

typedef void iter_done_fn(void *arg, struct iter *it, bool ok);

#define ITER_MAX_DEPTH       5       /* nested glueless resolutions */
#define ITER_MAX_CHILDREN    32      /* glueless resolutions for one client question */
#define ITER_MAX_MINIMISE    10      /* qname minimisation steps before asking the full name */
#define ITER_MAX_REFETCH     2       /* re-asks of the parent side for one name */

enum iter_state {
    ST_NEXT_TARGET, ST_FIND_DELEGATION, ST_CHOOSE_SERVER, ST_RESOLVE_NS, ST_SEND,
    ST_WAITING, ST_CLASSIFY, ST_DONE, ST_FAILED,
};

enum step { STEP_CONTINUE, STEP_WAIT };

#define CUR(it) (&(it)->dp.servers[(it)->cur])     /* the server asked */
struct budget {
    int queries;
    int children;
};

struct iter {
    struct thread_ctx *ctx;         /* the thread it runs on (ctx->d: the daemon) */
    struct iter *parent;
    struct budget *budget;          /* the root's own_budget, shared by the whole tree */
    struct budget own_budget;
    int depth;
    enum iter_state state;
    const char *why;                /* reason of a failure, for the log, trace and client */
    int ede;                        /* its Extended DNS Error code (ede.h) */
    int failures, neterrs;          /* servers that failed us; those by a network error */

    ldns_rdf *qname;                /* the question, lower case */
    ldns_rr_type qtype;
    ldns_rr_class qclass;
    ldns_rdf *target;               /* the name being resolved now (after CNAMEs) */
    ldns_rr_list *answer;           /* CNAMEs followed so far, then the final RRset */
    ldns_rr_list *pside;            /* children: the name's addresses seen as referral glue */
    ldns_rr_list *authority;        /* the result's authority section: a negative result's
                                     * SOA; with DNSSEC also its RRSIGs and the NSEC/NSEC3
                                     * proofs of every reply the result was made from */
    ldns_pkt_rcode rcode;
    int cnames, referrals, minimise_steps;

    struct delegpt dp;              /* the delegation point being asked */
    bool minimise;
    bool dp_from_cache;             /* dp came from the RRset cache, not a referral */
    int ns_addrless;                /* dp's NS names that gave no address (loop, failed) */
    int refetches;                  /* delegations asked again from the parent side */

    int cur;                        /* the query in flight: index in dp.servers (they move) */
    struct sockaddr_storage avoid;  /* a retry after a bogus answer: the server that gave it,
                                     * asked again only when no other is left */
    bool has_avoid;
    struct sockaddr_storage answered_by;    /* the server of the final reply */
    bool has_answered_by;
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

/* A root iter for (qname_lc, qtype, qclass), its deadline running, not yet started; NULL
 * when out of memory. trace (may be NULL) gets every step and must outlive it. */
struct iter *iter_new_root(struct thread_ctx *ctx, const uint8_t *qname_lc, size_t qname_len,
                           uint16_t qtype, uint16_t qclass, struct trace *trace,
                           iter_done_fn *done, void *arg);
void iter_run(struct iter *it);
void iter_free(struct iter *it);

/* The result as a response message without OPT (malloc'ed; NULL when out of memory). */
uint8_t *iter_result_wire(const struct iter *it, size_t *len);

/* ---- shared by iterate.c and iterverdict.c (the CLASSIFY state) ------------------------- */

/* The CLASSIFY state: the verdict on it->resp, and what follows from it. */
enum step iter_process_classify(struct iter *it);
/* Ends the resolution: ede is what the client hears (RFC 8914), why names the cause. */
enum step iter_fail(struct iter *it, int ede, const char *why);
/* Queries carry DO, and results keep RRSIGs and proofs, when there is a validator to use
 * them: trust anchors are loaded. */
bool iter_wants_dnssec(const struct iter *it);
time_t iter_now(void);              /* wall-clock seconds, as every cache here */
void iter_name_str(const ldns_rdf *name, char *out, size_t len);   /* "?" when unusable */

#endif
