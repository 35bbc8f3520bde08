/* cachedbval.h -- what the shared cache (cachedb.h) keeps in Redis: keys and values.
 *
 * Pure functions of their inputs (no I/O), so the unit tests and the fuzz target
 * (tests/fuzz/fuzz_cachedb.c) drive them directly.
 *
 * Key: PREFIX + 32 hex digits of HMAC-SHA256(secret, lower-cased wire name | type | class |
 * DO), so a tenant of the same Redis without the secret can neither find our entries for a
 * name nor plant one under the key we will read. The set of a name's keys (for `flush NAME`),
 * the generation key (wider flushes) and the flush channel are named the same way: the set
 * from 0xff | the name (no wire name starts with 0xff), the others from fixed labels.
 *
 * Value: "RDB1", then three 64-bit big-endian numbers -- the flush generation it was written
 * under, the time it was stored, the time it expires -- then the answer as the local cache
 * holds it (wire form, no OPT, TTLs as they were at the store time). A value is read as
 * hostile: cachedb_value_check accepts it only when every part is sane (see there). */
#ifndef CACHEDBVAL_H
#define CACHEDBVAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CACHEDB_VALUE_HEADER 28         /* magic, generation, stored, expires */
#define CACHEDB_KEY_MAX      192        /* prefix (at most 128 used) + hash + NUL */
#define CACHEDB_DO_FORM      1          /* the DO field of every answer's key: the value is
                                         * the form for DO clients (cachedb.c) */

/* The key of (qname_lc, qtype, qclass, dnssec_ok) under prefix into out (CACHEDB_KEY_MAX).
 * Returns its length. */
size_t cachedb_key(const char *secret, const char *prefix, const uint8_t *qname_lc,
                   size_t qname_len, uint16_t qtype, uint16_t qclass, int dnssec_ok,
                   char out[CACHEDB_KEY_MAX]);
/* The key of the set of keys stored for qname_lc (any type): what `flush NAME` deletes. */
size_t cachedb_name_key(const char *secret, const char *prefix, const uint8_t *qname_lc,
                        size_t qname_len, char out[CACHEDB_KEY_MAX]);
/* The key named by a fixed label ("generation", "flush"), likewise hashed. */
size_t cachedb_key_label(const char *secret, const char *prefix, const char *label,
                         char out[CACHEDB_KEY_MAX]);

/* The value for msg (an answer as cache_lookup gives it: TTLs as they are now) stored at
 * `now` under generation gen, into out; *ttl gets its lifetime (the smallest TTL of the
 * message, for SET ... EX). Returns the length; 0 when msg cannot be walked, a TTL is 0, or
 * out is too small. */
size_t cachedb_value_build(const uint8_t *msg, size_t len, uint64_t gen, time_t now,
                           uint8_t *out, size_t cap, uint32_t *ttl);

enum cachedb_value_verdict {
    CACHEDB_VALUE_OK,       /* *out_len octets of out are the answer, TTLs aged */
    CACHEDB_VALUE_STALE,    /* sane but not for use now: expired, or flushed since */
    CACHEDB_VALUE_BAD,      /* corrupt or not ours: drop it and count it */
};

/* Checks a value read for (qname_lc, qtype, qclass) at `now` when the flush generation is
 * gen, as an upstream reply is checked: magic, a message that walks to its exact end with
 * QR=1, TC=0, QDCOUNT 1 and the question asked, NOERROR or NXDOMAIN (a NODATA/NXDOMAIN with
 * an SOA), no OPT/TSIG, store and expiry times that make sense. Every TTL is capped at
 * max_ttl and aged by the time since the store; a record whose TTL ran out makes the whole
 * value STALE, as does an older generation. The aged message goes to out. */
enum cachedb_value_verdict cachedb_value_check(const uint8_t *val, size_t len,
                                               const uint8_t *qname_lc, size_t qname_len,
                                               uint16_t qtype, uint16_t qclass, uint64_t gen,
                                               time_t now, uint32_t max_ttl, uint8_t *out,
                                               size_t cap, size_t *out_len);

#endif
