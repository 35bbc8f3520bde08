/* cachefile.h -- reading a `resolverctl dump-cache` file back into the message cache
 * (`resolverctl load-cache FILE`: a warm restart).
 *
 * The dump format (written by control.c): a first line "; resolverd cache dump time=T"
 * (T in seconds since the epoch), then per entry a line
 * "; NAME TYPE CLASS positive|negative rcode=RCODE" (followed by " signed" when DO clients
 * had a form of the entry with DNSSEC records: the dump holds the plain form only, so a
 * loaded `signed` entry is served to clients without DO, and DO clients resolve it again;
 * older loaders ignore the word) and its RRs in zone-file syntax with the TTLs that
 * remained at time T. The AD bit is not dumped: loaded entries are never AD until refreshed. Loading ages every TTL by the time since T, so entries
 * are served with what really remains, and drops entries that have expired meanwhile. */
#ifndef CACHEFILE_H
#define CACHEFILE_H

#include <stddef.h>
#include <time.h>

struct cache;

struct cachefile_result {
    size_t loaded;      /* entries now in the cache */
    size_t expired;     /* entries whose time had run out */
    size_t refused;     /* entries the cache would not take (e.g. not cacheable) */
};

/* Loads path into c. Returns 0, or -1 with "PATH: problem" or "PATH:LINE: problem" in err
 * (entries read before a bad line stay loaded, and `res` counts them). */
int cachefile_load(struct cache *c, const char *path, time_t now, struct cachefile_result *res,
                   char *err, size_t errlen);

#endif
