/* itertrace.h -- the steps iteration writes into a trace (`resolverctl trace`).
 *
 * One function per kind of step the iterator records: the delegation chosen, a query
 * sent, its verdict, a referral taken, a glueless NS name resolved on the side, a failure.
 * Each does nothing when tr is NULL (an untraced resolution pays one branch) or full. */
#ifndef ITERTRACE_H
#define ITERTRACE_H

#include <stdint.h>

#include <ldns/ldns.h>

struct delegpt;
struct delegpt_server;
struct trace;

/* The delegation chosen for the next query: from "cache" or "hints", its NS names and
 * how many addresses are already known. */
void itertrace_delegation(struct trace *tr, int depth, const ldns_rdf *target, uint16_t qtype,
                          const struct delegpt *dp, const char *source);
void itertrace_query(struct trace *tr, int depth, const struct delegpt_server *server,
                     const ldns_rdf *zone, const ldns_rdf *asked, uint16_t asked_type);
/* Gives the query in flight at this depth its verdict (and RTT, when rtt_ms >= 0). */
void itertrace_verdict(struct trace *tr, int depth, const char *verdict, double rtt_ms,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A referral to child (presentation form): the verdict and the delegation cached. */
void itertrace_referral(struct trace *tr, int depth, const ldns_rr_list *ns,
                        const ldns_rr_list *glue, const char *child);
/* A glueless NS name: verdict "resolving", "resolved" or "failed", with a detail. */
void itertrace_child(struct trace *tr, int depth, const ldns_rdf *name, uint16_t type,
                     const ldns_rdf *zone, const char *verdict, const char *detail);
void itertrace_fail(struct trace *tr, int depth, const ldns_rdf *target, uint16_t qtype,
                    const char *why);

#endif
