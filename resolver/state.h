/* state.h -- the daemon's shared state built from its files: made, rebuilt, watched, freed.
 *
 * The shared parts of `struct daemon` (context.h): the config, the hosts table, the local
 * zones, the root hints and the caches. state_load makes them at start; state_reload and
 * state_reload_hosts rebuild what the files say and swap it in under the world lock
 * (workers.h); the hosts files are watched (ev_stat) on the main thread's loop. */
#ifndef STATE_H
#define STATE_H

#include <stddef.h>

#include "cache.h"

struct config;
struct daemon;

/* Reads d->config_path, the local zones and the hosts files, and makes the caches.
 * Returns -1 with "FILE:LINE: problem" in err. */
int state_load(struct daemon *d, char *err, size_t errlen);
/* The message cache's limits as the config sets them (cache-size, TTL bounds, prefetch,
 * serve-stale): what state_load and a reload give the cache, and what the fuzz targets use. */
struct cache_limits state_cache_limits(const struct config *cfg);

/* Frees a trust anchor set state_load made (NULL: nothing). */
struct anchors;
void state_anchors_free(struct anchors *a);

/* Frees what state_load made (and whatever a reload put in its place). */
void state_free(struct daemon *d);

/* Re-reads the config file, the hosts files and the zone files; on any error logs it,
 * keeps everything as it was and returns -1 with the message in err. */
int state_reload(struct daemon *d, char *err, size_t errlen);
/* Re-reads only the hosts files and drops from the cache the names whose answers changed. */
int state_reload_hosts(struct daemon *d);

/* Watches the hosts files named by d->cfg (reloading them on a change), or stops. */
void state_watch_hosts(struct daemon *d);
void state_unwatch_hosts(struct daemon *d);

#endif
