/* negcache.h -- aggressive use of validated NSEC records (RFC 8198): what the validator
 * learns from secure denials, and the stage that answers from it (negcache.c). */
#ifndef NEGCACHE_H
#define NEGCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "resolve.h"
#include "valmsg.h"

struct keycache;

/* Keeps the NSEC records (and the SOA) of m, a validated secure NXDOMAIN or NODATA, with
 * their RRSIGs, for its zone in kc. Anything else is ignored. */
void negcache_learn(struct keycache *kc, const struct val_msg *m, time_t now);

/* An NXDOMAIN or NODATA answer (AD set, SOA and NSECs in authority, malloc'ed) that kc's
 * records prove for the question, or NULL when they prove nothing. */
uint8_t *negcache_answer(struct keycache *kc, const uint8_t *qname_lc, size_t qname_len,
                         uint16_t qtype, uint16_t qclass, time_t now, size_t *len);

extern const struct resolve_stage negcache_stage;

#endif
