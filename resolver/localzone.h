/* localzone.h -- zones resolverd is authoritative for, loaded from zone files with ldns.
 *
 * A `struct localzones` is immutable once built (a reload builds a new set). A query at or
 * below one of its zones is answered from that zone alone: AA=1, the RRset, CNAMEs inside
 * the zone followed, NXDOMAIN/NODATA with the zone's SOA in the authority section, a
 * delegation inside the zone as a referral (NS in authority, glue in additional, AA=0),
 * wildcards expanded. When zones nest, the deepest zone answers. */
#ifndef LOCALZONE_H
#define LOCALZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ldns/ldns.h>

struct localzones;

struct localzones *localzones_new(void);
/* Loads zone `name` from `path`. Errors (unreadable file, syntax error, no SOA at the
 * apex, records outside the zone) return -1 with "PATH:LINE: problem" or "PATH: problem"
 * in err. */
int localzones_add(struct localzones *lz, const char *name, const char *path,
                   char *err, size_t errlen);
void localzones_free(struct localzones *lz);
size_t localzones_count(const struct localzones *lz);

/* Query names are uncompressed wire form, as the question carries them, in any case.
 *
 * If qname is at or below a local zone, fills `resp` (rcode, AA flag, answer, authority and
 * additional sections; the question is the caller's) and returns true. Answer owner names
 * that equal qname keep qname's case. Otherwise returns false and leaves resp untouched. */
bool localzones_answer(const struct localzones *lz, const uint8_t *qname, size_t qname_len,
                       uint16_t qtype, ldns_pkt *resp);
/* Is the name at or below one of the zones? Allocates nothing: the per-query pre-check. */
bool localzones_cover(const struct localzones *lz, const uint8_t *qname, size_t qname_len);

#endif
