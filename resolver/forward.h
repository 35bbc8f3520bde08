/* forward.h -- forward zones: longest-suffix match and failover across the upstreams.
 *
 * A forward job asks the zone's upstreams one after another (RD=1): a timeout, a network
 * error, an unusable reply or any rcode other than NOERROR/NXDOMAIN moves on to the next;
 * the first NOERROR or NXDOMAIN reply is the result. When every upstream has failed the job
 * reports failure, and the caller answers SERVFAIL (or, later, iterates). The job copies
 * what it needs from the config, so a reload during a job is harmless. */
#ifndef FORWARD_H
#define FORWARD_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct config_forward;
struct daemon;
struct forward_job;
struct trace;

/* The forward zone with the longest suffix match for a lower-case wire name, or NULL. */
const struct config_forward *forward_find(const struct config *cfg, const uint8_t *qname_lc,
                                          size_t qname_len);

/* msg == NULL: every upstream failed. msg is only valid during the call. */
typedef void forward_done_fn(void *arg, uint8_t *msg, size_t len);

/* Starts a job; `done` is called later, exactly once, unless forward_cancel comes first.
 * NULL when nothing could be sent at all (the caller answers at once). trace (may be NULL)
 * gets a step for every upstream asked; it must outlive the job. */
struct forward_job *forward_start(struct daemon *d, const struct config_forward *fz,
                                  const uint8_t *qname_lc, size_t qname_len, uint16_t qtype,
                                  uint16_t qclass, struct trace *trace, forward_done_fn *done,
                                  void *arg);
void forward_cancel(struct forward_job *job);

#endif
