/* context.h -- the two contexts every module is handed: the daemon's and a thread's.
 *
 * There is no global mutable state: every module gets the context it needs passed in.
 *
 *   struct daemon      one per process: the configuration and everything built from it
 *                      (hosts, local zones, root hints), the shared caches (messages,
 *                      RRsets, infra, ratelimit), iteration's priming state, the control
 *                      socket and the worker threads. Its shared pointers (cfg, hosts,
 *                      zones, hints, cache_generation) are changed only by the main thread
 *                      under the world lock (workers.h); every thread reads them from
 *                      here, so nothing is copied, and nothing needs syncing.
 *   struct thread_ctx  one per thread: its loop, its counters, and what only that thread
 *                      touches -- a worker's listener, mesh and upstream TCP pool.
 *                      `d` points at the daemon. The main thread has one too
 *                      (daemon.main_thread: control socket, signals, hosts watch, `trace`),
 *                      without listener or mesh; each worker's is in workers.c.
 *
 * A module that resolves (resolve, its stages, mesh, trace) takes a `struct thread_ctx *`:
 * its I/O runs on that thread's loop and its counters are that thread's. A module that only
 * reads or changes shared state (control commands, request_local_answer) takes the
 * `struct daemon *`. This header declares only the types: the daemon's
 * life (load, start, stop) is daemon.h, its reload state.h. */
#ifndef CONTEXT_H
#define CONTEXT_H

#include <ev.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

struct config;
struct hosts;
struct localzones;
struct cache;
struct mesh;
struct tcppool;
struct listener;
struct control;
struct metrics;
struct fwdprobe;
struct rrcache;
struct infra;
struct hints;
struct anchors;
struct keycache;
struct iterate_priming;
struct ratelimit;
struct reply_target;
struct tls_ctx;
struct wire_query;
struct workers;
struct daemon;
struct thread_ctx;
struct cachedb;

/* How a worker hands work to another thread (workers.c installs them in each worker's
 * context; declared here so that request.c and listener.c, which workers.c drives, need
 * not include workers.h). NULL in the main thread's context. */
/* A miss: resolve q for t on the thread that owns the question (this one, or by post). */
typedef void thread_resolve_fn(struct thread_ctx *ctx, const struct wire_query *q,
                               const struct reply_target *t);
/* A prefetch: refresh q's cached answer in the background, on the thread that owns the
 * question (no client waits for it). */
typedef void thread_prefetch_fn(struct thread_ctx *ctx, const struct wire_query *q);
/* A TCP reply from a thread that does not own the connection: 0 when passed to the owner,
 * -1 when ctx may write to the connection itself. */
typedef int thread_tcp_reply_fn(struct thread_ctx *ctx, const struct reply_target *t,
                                const uint8_t *reply, size_t len);

struct thread_ctx {
    struct daemon *d;               /* the process-wide state */
    struct ev_loop *loop;           /* this thread's loop */
    struct stats stats;             /* this thread's counters (stats.h: summed on read) */
    struct listener *listener;      /* a worker's client sockets; NULL on the main thread */
    struct mesh *mesh;              /* a worker's resolutions in flight; NULL on main */
    struct tcppool *tcppool;        /* a worker's TCP connections to upstreams, reused
                                     * (tcppool.h); NULL on main: one per query there */
    thread_resolve_fn *resolve;     /* see above; NULL on main */
    thread_prefetch_fn *prefetch;   /* see above; NULL on main */
    thread_tcp_reply_fn *tcp_reply;
    struct cachedb *cachedb;        /* this thread's Redis connection (`cachedb`), or NULL */
};

struct daemon {
    const char *config_path;
    struct config *cfg;             /* swapped whole on reload */
    struct hosts *hosts;            /* swapped whole on reload or a hosts file edit */
    struct localzones *zones;       /* swapped whole on reload */
    struct hints *hints;            /* root hints; NULL: no iteration (no hints file) */
    struct tls_ctx *tls_server;     /* `listen-tls` certificate; swapped whole on reload
                                       (open connections keep the one they began with) */
    struct tls_ctx *tls_client;     /* `forward-tls` upstreams' CA store; likewise swapped */
    unsigned cache_generation;      /* bumped when a reload makes cached answers wrong */
    struct cache *cache;            /* whole answers, for clients (own locks) */
    struct rrcache *rrcache;        /* RRsets (delegations, glue) for the iterator */
    struct infra *infra;            /* what we know of each authoritative server */
    struct ratelimit *ratelimit;    /* reply counts per client prefix (`ratelimit QPS`) */
    struct anchors *anchors;        /* trust anchors; NULL: no validation (`dnssec no`);
                                     * swapped whole on reload */
    struct keycache *keycache;      /* proven DNSKEY sets per zone (own lock) */
    struct keycache *nsec_ranges;   /* validated NSEC records and SOA per zone, for
                                     * `aggressive-nsec` (negcache.h; the keycache store) */
    struct keycache *ds_proofs;     /* what referrals said of each child's DS (its DS RRset,
                                     * or the NSEC/NSEC3 denying one), unchecked: the same
                                     * store as keycache, KEY_GOOD holding the records, so
                                     * the validator checks them instead of asking (own lock) */
    struct iterate_priming *priming; /* iteration's root priming state, one per process */

    /* the main thread's */
    struct thread_ctx main_thread;  /* its context (d points back here) */
    struct control *control;        /* the control socket, NULL when not configured */
    struct metrics *metrics;        /* GET /metrics (`metrics`), NULL when not configured */
    struct fwdprobe *fwdprobe;      /* probes of down forwarders (fwdprobe.h); set while the
                                     * workers run, so they may call fwdprobe_down */
    struct workers *workers;        /* the serving threads (workers.h) */
    struct cachedb *cachedb_sub;    /* the flush channel (cachedb.h), NULL without cachedb */
    ev_stat *hosts_watch;           /* one per hosts file */
    size_t n_hosts_watch;
    ev_signal sig_term, sig_int, sig_hup;
    ev_tstamp started;

    /* TCP connections open, all threads: written by every worker on each connection, so in
     * a cache line of its own, away from the pointers every query reads (last member: the
     * struct's size rounds up past it) */
    _Alignas(64) atomic_size_t tcp_conns;
};

#endif
