/* forward.h -- forward zones: longest-suffix match and failover across the upstreams.
 *
 * A forward job asks the zone's upstreams one after another (RD=1), in the order
 * fwdselect.h gives (forward-policy; those down skipped while one is live): a timeout, a
 * network error, an unusable reply or any rcode other than NOERROR/NXDOMAIN moves on to the
 * next; the first NOERROR or NXDOMAIN reply is the result. Each reply and failure is
 * reported to the infra cache (forwarder health); a forwarder marked down goes to the
 * background prober (fwdprobe.h). When every upstream has failed the job
 * reports failure, and resolve.c answers SERVFAIL (or, with forward-first, iterates). The
 * job copies what it needs from the config, so a reload during a job is harmless. */
#ifndef FORWARD_H
#define FORWARD_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct config_forward;
struct resolve_stage;

/* The forward zone with the longest suffix match for a lower-case wire name, or NULL. */
const struct config_forward *forward_find(const struct config *cfg, const uint8_t *qname_lc,
                                          size_t qname_len);

/* The `forward` stage of resolve.c: the name's forward zone, its upstreams in turn. Passes
 * the resolution on when no forward zone covers the name, and, with forward-first, when
 * every forwarder failed; fails it otherwise. */
extern const struct resolve_stage forward_stage;

#endif
