/* route.c -- the route of a cache miss: resolve.c's stage table, in order.
 *
 * The one file that names the stages. A new stage (a shared cache, DNSSEC validation) is
 * its own file plus one row here. resolve.c walks the table through resolve.h without
 * including any stage, and the stages include resolve.h to report back: the table lives
 * here so that neither depends on the other's header (no include cycle). */
#include "resolve.h"

#include "cachedb.h"
#include "forward.h"
#include "iterate.h"
#include "negcache.h"
#include "validate.h"

const struct resolve_stage *const resolve_route[] = {
    &cachedb_stage,                 /* the shared cache (Redis), when configured */
    &negcache_stage,                /* NXDOMAIN/NODATA from validated NSEC (RFC 8198) */
    &forward_stage,                 /* the longest matching forward zone, if any */
    &iterate_stage,                 /* from the root hints down */
    &validate_stage,                /* checks what forward and iterate found (DNSSEC) */
};

const size_t resolve_route_len = sizeof resolve_route / sizeof resolve_route[0];
