/* hints.h -- the root hints: the names and addresses of the root servers.
 *
 * Read once from `root-hints` (zone-file syntax, as IANA publishes named.root and Debian's
 * dns-root-data ships it) and only used until priming (RFC 8109) has put the root's own NS
 * set into the RRset cache, or when that entry has expired and nothing better is known. */
#ifndef HINTS_H
#define HINTS_H

#include <stddef.h>
#include <ldns/ldns.h>

struct hints {
    ldns_rr_list *ns;           /* ". NS x" records */
    ldns_rr_list *addrs;        /* A and AAAA records of those names */
};

/* Loads path; -1 with "PATH:LINE: problem" or "PATH: problem" (e.g. no NS for the root, or
 * no address for any of them) in err. */
int hints_load(const char *path, struct hints **out, char *err, size_t errlen);
void hints_free(struct hints *h);

#endif
