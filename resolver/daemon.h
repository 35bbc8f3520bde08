/* daemon.h -- the daemon's context: everything that lives for the life of the process.
 *
 * There is no global mutable state: every module gets the `struct daemon` (or the piece
 * it needs) passed in. Each thread has one: the main thread's (control socket, signals,
 * hosts watch, `trace`) and one per worker thread (workers.h), a copy whose per-thread
 * parts -- loop, listener, mesh, stats -- are its own and whose shared parts point
 * at the main context's objects, changed only under the world lock. */
#ifndef DAEMON_H
#define DAEMON_H

#include <ev.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "stats.h"

struct config;
struct hosts;
struct localzones;
struct cache;
struct mesh;
struct listener;
struct control;
struct metrics;
struct rrcache;
struct infra;
struct hints;
struct iterate_priming;
struct ratelimit;
struct worker;
struct workers;

struct daemon {
    struct ev_loop *loop;
    const char *config_path;
    struct config *cfg;             /* swapped whole on reload */
    struct hosts *hosts;            /* swapped whole on reload or a hosts file edit */
    struct localzones *zones;       /* swapped whole on reload */
    struct cache *cache;            /* whole answers, for clients */
    struct rrcache *rrcache;        /* RRsets (delegations, glue) for the iterator */
    struct infra *infra;            /* what we know of each authoritative server */
    struct hints *hints;            /* root hints; NULL: no iteration (no hints file) */
    struct ratelimit *ratelimit;    /* reply counts per client prefix (`ratelimit QPS`) */
    struct iterate_priming *priming; /* iteration's root priming state, one per process */
    struct mesh *mesh;              /* resolutions in flight */
    struct listener *listener;      /* client sockets */
    struct control *control;        /* the control socket, NULL when not configured */
    struct metrics *metrics;        /* GET /metrics (`metrics`), NULL when not configured */
    struct stats stats;
    ev_stat *hosts_watch;           /* one per hosts file */
    size_t n_hosts_watch;
    ev_signal sig_term, sig_int, sig_hup;
    ev_tstamp started;
    unsigned cache_generation;      /* bumped when a reload makes cached answers wrong */

    /* threads (workers.h) */
    struct daemon *main_ctx;        /* the main thread's context (itself there) */
    struct workers *workers;        /* main context only: the serving threads */
    struct worker *self;            /* a worker's context: its thread; NULL on main */
    atomic_size_t tcp_conns;        /* main context: TCP connections open, all threads */
};

/* Reads the config, the local zones and the hosts files and makes the cache; no sockets
 * yet (this is all `resolverd -t` does). Returns -1 with "FILE:LINE: problem" in err. */
int daemon_load(struct daemon *d, const char *config_path, char *err, size_t errlen);
/* Opens the listening, control and metrics sockets, watches the hosts files, handles signals. */
int daemon_start(struct daemon *d, struct ev_loop *loop);
/* Starts the worker threads: queries are answered from now on. Called after the
 * privileges are dropped. */
int daemon_serve(struct daemon *d);
/* Closes every socket, removes the control socket file, frees everything. */
void daemon_stop(struct daemon *d);

/* Re-reads the config file, the hosts files and the zone files; on any error logs it,
 * keeps everything as it was and returns -1 with the message in err. */
int daemon_reload(struct daemon *d, char *err, size_t errlen);
/* Re-reads only the hosts files and drops from the cache the names whose answers changed. */
int daemon_reload_hosts(struct daemon *d);

#endif
