/* zonefile.h -- reading zone-file syntax record by record, with exact line numbers.
 *
 * One reader for every file in zone syntax (local zones, root hints). It exists because
 * ldns_zone_new_frm_fp_l (ldns 1.8) leaks the records read before a syntax error and cannot
 * say on which line a record sat. $TTL and $ORIGIN are honoured; $INCLUDE is refused; a read
 * error (e.g. the path is a directory, on which ldns would loop forever) is reported. */
#ifndef ZONEFILE_H
#define ZONEFILE_H

#include <stddef.h>
#include <stdint.h>
#include <ldns/ldns.h>

/* Gets each record (it takes ownership) and the line it ended on. Returns 0 to go on, or
 * -1 after writing the problem into err (the reader then stops and returns -1). */
typedef int zonefile_rr_fn(ldns_rr *rr, int line, void *arg, char *err, size_t errlen);

/* Reads path with `origin` (may be NULL: names must then be absolute) and `default_ttl`.
 * Returns 0, or -1 with "PATH:LINE: problem" or "PATH: problem" in err. */
int zonefile_read(const char *path, const ldns_rdf *origin, uint32_t default_ttl,
                  zonefile_rr_fn *each, void *arg, char *err, size_t errlen);

#endif
