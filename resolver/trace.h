/* trace.h -- the record of one traced resolution (`resolverctl trace NAME [TYPE]`).
 *
 * A trace is a list of steps, each one thing the resolver looked at or did: the hosts
 * file, the local zones, the cache, a delegation it chose, a query it sent (and what came
 * back), something it cached, the result. The resolver's modules add steps only when they
 * were handed a trace (a NULL trace costs one branch); tracecmd.c runs the resolution and
 * renders the steps as text for a person or as JSON for scripts. Steps keep structured
 * fields so that both renderings come from the same data. */
#ifndef TRACE_H
#define TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

struct trace;

enum trace_kind {
    TRACE_HOSTS,        /* the hosts file: hit or miss */
    TRACE_LOCAL,        /* the local zones: answered or not covered */
    TRACE_CACHE,        /* the message cache: hit (with remaining TTL) or miss */
    TRACE_ROUTE,        /* forward zone or iteration: how the miss will be resolved */
    TRACE_DELEGATION,   /* the iterator's closest known delegation (cache or root hints) */
    TRACE_QUERY,        /* one query to a forwarder or an authority, and its verdict */
    TRACE_CHILD,        /* a glueless NS name resolved on the side */
    TRACE_CACHED,       /* what was stored (delegation, glue, the answer) */
    TRACE_FAIL,         /* why a resolution gave up */
};

#define TRACE_TEXT 320              /* a name in presentation form, and then some */

struct trace_step {
    enum trace_kind kind;
    int depth;                      /* 0 for the question, +1 per glueless resolution */
    double at_ms;                   /* since the trace started */
    char verdict[24];               /* hit, miss, referral, answer, nxdomain, timeout ... */
    char name[TRACE_TEXT];          /* the name asked or looked up */
    char type[16];
    char zone[TRACE_TEXT];          /* zone (of the delegation, forward zone) */
    char server[64];                /* address of the server asked */
    char server_name[TRACE_TEXT];   /* its NS name, when known */
    char detail[TRACE_TEXT];        /* referral target, records, reason ... */
    double rtt_ms;                  /* < 0: none */
    long ttl;                       /* < 0: none */
};

struct trace *trace_new(void);
void trace_free(struct trace *tr);

/* Appends a step with kind and depth set and every other field empty (rtt, ttl -1); NULL
 * when the trace is full (the caller just skips filling it in). at_ms is set here. */
struct trace_step *trace_add(struct trace *tr, enum trace_kind kind, int depth);
/* The last query step added at this depth, to set its verdict when the reply comes. */
struct trace_step *trace_last_query(struct trace *tr, int depth);

size_t trace_count(const struct trace *tr);
const struct trace_step *trace_get(const struct trace *tr, size_t i);
double trace_elapsed_ms(const struct trace *tr);
/* true when steps were dropped because the trace was full */
bool trace_truncated(const struct trace *tr);

/* Helpers that fill a field from ldns values. */
void trace_set_name(char out[TRACE_TEXT], const ldns_rdf *name);
void trace_set_type(char out[16], uint16_t type);
void trace_printf(char out[TRACE_TEXT], const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
