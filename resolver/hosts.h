/* hosts.h -- answers from /etc/hosts-format files: A, AAAA and PTR.
 *
 * A `struct hosts` is an immutable table built from one or more files (a reload builds a
 * new one and swaps it in, so lookups never see a half-read file). Names are matched
 * case-insensitively. A name that is in the table but has no address of the asked type is
 * a NODATA answer (NOERROR, empty), never a reason to go upstream. PTR answers come from
 * every address in the table (in-addr.arpa and ip6.arpa); the first name of each line is the
 * one a PTR returns. */
#ifndef HOSTS_H
#define HOSTS_H

#include <stddef.h>
#include <stdint.h>
#include <ldns/ldns.h>

struct hosts;

enum hosts_result {
    HOSTS_MISS = 0,     /* the name is not in the table: look elsewhere */
    HOSTS_HIT,          /* the name is there; the answer list may be empty (NODATA) */
};

struct hosts *hosts_new(void);
/* Adds the entries of one file. A missing or unreadable file returns -1 with the reason in
 * err ("PATH: No such file or directory"); malformed lines are skipped (and counted), never
 * fatal, as glibc does. */
int hosts_add_file(struct hosts *h, const char *path, char *err, size_t errlen);
void hosts_free(struct hosts *h);

/* Names here are uncompressed wire form, as the question carries them; matched
 * case-insensitively. */

/* Looks qname/qtype up. On HOSTS_HIT, appends the answer RRs (owner = qname as given, so the
 * client's case is kept, TTL = ttl, class IN) to `answer`, which may stay empty (NODATA). */
enum hosts_result hosts_lookup(const struct hosts *h, const uint8_t *qname, size_t qname_len,
                               uint16_t qtype, uint32_t ttl, ldns_rr_list *answer);
/* Is the name in the table (any type)? Allocates nothing: the per-query pre-check. */
bool hosts_has_name(const struct hosts *h, const uint8_t *qname, size_t qname_len);

/* Number of distinct names (forward and reverse) in the table. */
size_t hosts_count(const struct hosts *h);
/* Calls fn once for every owner name (forward names and reverse in-addr.arpa/ip6.arpa names,
 * lower-cased wire form, valid during the call) whose answers differ between `before` and
 * `after` (either may be NULL, meaning empty). The daemon drops those names from the cache
 * after a reload. */
void hosts_diff(const struct hosts *before, const struct hosts *after,
                void (*fn)(const uint8_t *name_lc, size_t len, void *arg), void *arg);

#endif
