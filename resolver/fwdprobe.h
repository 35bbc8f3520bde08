/* fwdprobe.h -- background probes of the forwarders that are down (`forward-probe yes`).
 *
 * A forwarder marked down (infra.h, "forwarders") is left out of client queries while
 * another upstream of its zone is live; this module brings it back. It runs on the main
 * thread's loop, like the control socket and root priming, so no DNS worker ever waits on
 * a probe: a worker that marks a forwarder down calls fwdprobe_down, which queues the
 * address under a mutex and wakes the main loop (ev_async). There each down forwarder gets
 * one ev_timer for the wait the infra cache gives (1 s, doubling after each failed probe to
 * 60 s), then one query: the apex NS of the first forward zone that lists it (`. NS` for
 * `forward .`), RD=1, upstream-timeout. A reply of any rcode brings it back up; a failure
 * doubles the wait and arms the timer again.
 *
 * Why the apex NS and not the question that found it dead: every forwarder of a zone can
 * answer it (and has it cached), while the question that failed may be the one thing the
 * forwarder cannot answer in time -- a name with slow authorities would keep a healthy
 * forwarder down.
 *
 * Bounded: one probe per forwarder address, and only for addresses a `forward` line names,
 * so at most the configured upstreams; none at all with `forward-probe no` (a client query
 * then retries a down forwarder once its wait is over, see fwdselect.h). A probe ends when
 * its forwarder answers, when it is up again otherwise (a client's retry answered, or
 * flush-infra forgot it), when no forward line names it after a reload, and at shutdown.
 * Probes count in `forward.probes` (and in upstream.queries/timeouts, as any query). */
#ifndef FWDPROBE_H
#define FWDPROBE_H

#include <sys/socket.h>

struct daemon;
struct fwdprobe;

/* On the main thread, its loop running or about to (d->main_thread.loop). NULL without
 * memory: then nothing is probed (fwdprobe_down ignores a NULL prober). */
struct fwdprobe *fwdprobe_new(struct daemon *d);
/* On the main thread, once no worker can call fwdprobe_down any more: cancels every probe. */
void fwdprobe_free(struct fwdprobe *p);

/* From any thread: the forwarder at addr was just marked down; probe it. */
void fwdprobe_down(struct fwdprobe *p, const struct sockaddr_storage *addr);
/* On the main thread, after a reload or flush-infra: drops the probes no longer wanted
 * (forwarder up, not configured, or forward-probe no) and starts one for every configured
 * forwarder that is down without one. */
void fwdprobe_sync(struct fwdprobe *p);

#endif
