/* fwdselect.h -- which of a forward zone's upstreams a query asks, and in what order.
 *
 * A pure function of what the infra cache knows of each upstream (infra_fwd_health), the
 * policy and one random number, so it is unit-tested without sockets or clocks
 * (tests/unit/test_fwdselect.c); forward.c gathers the inputs and walks the result.
 *
 * Live upstreams come first: those up, and (when nothing probes in the background) those
 * down whose retry is due -- the query is their retry. Policy `ordered` keeps the config's
 * order; `fastest` asks upstreams never measured first (so a new one gets measured), then
 * the rest by SRTT, lowest first, except that FWDSELECT_EXPLORE_PERCENT of the queries put
 * a random other live upstream first, so that a slower one's SRTT stays current and one
 * that got faster is found. Upstreams that are down are left out while any is live: no
 * client waits on a known-dead forwarder. When none is live, the query asks the one that
 * failed least recently, as a retry, rather than failing outright. */
#ifndef FWDSELECT_H
#define FWDSELECT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "infra.h"

#define FWDSELECT_EXPLORE_PERCENT 5

/* Fills order[] (room for n) with the indices of the upstreams to ask, in turn, and
 * retry[i] with whether order[i] is asked while down (its failure then doubles its wait:
 * infra_fwd_failed). probing: down upstreams are probed in the background (forward-probe
 * yes), so a due retry is the prober's, not a client's. rnd: any random number. Returns
 * how many to ask: at least 1 when n >= 1. */
int fwdselect_order(const struct infra_fwd_health *h, int n, enum config_forward_policy policy,
                    bool probing, uint32_t rnd, int *order, bool *retry);

#endif
