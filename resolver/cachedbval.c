/* cachedbval.c -- the shared cache's keys (keyed hashes) and values (checked like a reply).
 *
 * See cachedbval.h for the formats. The value check is the shared cache's trust boundary:
 * anything in Redis may have been written by someone else or damaged, so nothing in a value
 * is believed until it has been walked end to end (every read bounded by wire_parse_rr). */
#include "cachedbval.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "wire.h"

static const uint8_t magic[4] = { 'R', 'D', 'B', '1' };

/* prefix + 32 hex digits of the HMAC of data. */
static size_t hashed_key(const char *secret, const char *prefix, const uint8_t *data,
                         size_t len, char out[CACHEDB_KEY_MAX])
{
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    size_t n = (size_t)snprintf(out, CACHEDB_KEY_MAX - 33, "%.128s", prefix ? prefix : "");

    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), data, len, mac, &mac_len) ||
        mac_len < 16)
        memset(mac, 0, sizeof mac);     /* cannot happen with SHA-256; a fixed key then */
    for (int i = 0; i < 16; i++)
        n += (size_t)snprintf(out + n, CACHEDB_KEY_MAX - n, "%02x", mac[i]);
    return n;
}

size_t cachedb_key(const char *secret, const char *prefix, const uint8_t *qname_lc,
                   size_t qname_len, uint16_t qtype, uint16_t qclass, int dnssec_ok,
                   char out[CACHEDB_KEY_MAX])
{
    uint8_t data[WIRE_MAX_NAME + 5];

    if (qname_len > WIRE_MAX_NAME)
        qname_len = WIRE_MAX_NAME;
    memcpy(data, qname_lc, qname_len);
    wire_put16(data + qname_len, qtype);
    wire_put16(data + qname_len + 2, qclass);
    data[qname_len + 4] = dnssec_ok ? 1 : 0;
    return hashed_key(secret, prefix, data, qname_len + 5, out);
}

size_t cachedb_name_key(const char *secret, const char *prefix, const uint8_t *qname_lc,
                        size_t qname_len, char out[CACHEDB_KEY_MAX])
{
    uint8_t data[WIRE_MAX_NAME + 1];

    if (qname_len > WIRE_MAX_NAME)
        qname_len = WIRE_MAX_NAME;
    data[0] = 0xff;
    memcpy(data + 1, qname_lc, qname_len);
    return hashed_key(secret, prefix, data, qname_len + 1, out);
}

size_t cachedb_key_label(const char *secret, const char *prefix, const char *label,
                         char out[CACHEDB_KEY_MAX])
{
    /* a label is not a wire name (its first octet is a letter, not a length that fits
     * it), so it cannot collide with a question's key */
    return hashed_key(secret, prefix, (const uint8_t *)label, strlen(label), out);
}

static void put64(uint8_t *p, uint64_t v)
{
    wire_put32(p, (uint32_t)(v >> 32));
    wire_put32(p + 4, (uint32_t)v);
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)wire_get32(p) << 32 | wire_get32(p + 4);
}

/* Walks every RR after the question; calls fn(rr) for each. Returns false when the
 * message does not walk to exactly its end, or fn says no. */
static bool walk_rrs(uint8_t *msg, size_t len, bool (*fn)(uint8_t *msg, const struct wire_rr *rr,
                                                           void *arg), void *arg)
{
    size_t pos = wire_skip_question(msg, len);
    unsigned count = (unsigned)WIRE_ANCOUNT(msg) + WIRE_NSCOUNT(msg) + WIRE_ARCOUNT(msg);

    if (pos == 0)
        return false;
    for (unsigned i = 0; i < count; i++) {
        struct wire_rr rr;
        if ((pos = wire_parse_rr(msg, len, pos, &rr)) == 0 || !fn(msg, &rr, arg))
            return false;
    }
    return pos == len;
}

static bool min_ttl_of(uint8_t *msg, const struct wire_rr *rr, void *arg)
{
    uint32_t *min = arg;

    (void)msg;
    if (rr->ttl < *min)
        *min = rr->ttl;
    return true;
}

size_t cachedb_value_build(const uint8_t *msg, size_t len, uint64_t gen, time_t now,
                           uint8_t *out, size_t cap, uint32_t *ttl)
{
    uint32_t min = UINT32_MAX;

    if (len < 12 || len > WIRE_MAX_UDP || cap < CACHEDB_VALUE_HEADER + len || now < 0)
        return 0;
    memcpy(out + CACHEDB_VALUE_HEADER, msg, len);
    if (!walk_rrs(out + CACHEDB_VALUE_HEADER, len, min_ttl_of, &min) || min == 0 ||
        min == UINT32_MAX)
        return 0;
    memcpy(out, magic, sizeof magic);
    put64(out + 4, gen);
    put64(out + 12, (uint64_t)now);
    put64(out + 20, (uint64_t)now + min);
    *ttl = min;
    return CACHEDB_VALUE_HEADER + len;
}

struct aging {
    uint32_t age, max_ttl;
    bool expired, soa, meta;    /* a TTL ran out; an SOA seen; OPT/TSIG/TKEY seen */
};

static bool age_rr(uint8_t *msg, const struct wire_rr *rr, void *arg)
{
    struct aging *a = arg;
    uint32_t ttl = rr->ttl < a->max_ttl ? rr->ttl : a->max_ttl;

    if (rr->type == 41 || rr->type == 249 || rr->type == 250)
        a->meta = true;
    a->soa |= rr->type == 6;
    if (ttl <= a->age)
        a->expired = true;
    else
        wire_put32(msg + rr->ttl_off, ttl - a->age);
    return !a->meta;
}

/* The header's times: stored not in the future (a minute's clock skew between instances
 * allowed), expiring after it, within a TTL's range (RFC 2181 8); the lifetime is capped at
 * max_ttl (an instance with a lower max-ttl than the writer's). */
static enum cachedb_value_verdict check_times(const uint8_t *val, time_t now, uint32_t max_ttl,
                                              uint32_t *age)
{
    uint64_t stored = get64(val + 12), expires = get64(val + 20), t = (uint64_t)now;

    if (now < 0 || stored > t + 60 || expires <= stored || expires - stored > 0x7fffffffull)
        return CACHEDB_VALUE_BAD;
    if (expires - stored > max_ttl)
        expires = stored + max_ttl;
    if (expires <= t)
        return CACHEDB_VALUE_STALE;
    *age = stored < t ? (uint32_t)(t - stored) : 0;
    return CACHEDB_VALUE_OK;
}

enum cachedb_value_verdict cachedb_value_check(const uint8_t *val, size_t len,
                                               const uint8_t *qname_lc, size_t qname_len,
                                               uint16_t qtype, uint16_t qclass, uint64_t gen,
                                               time_t now, uint32_t max_ttl, uint8_t *out,
                                               size_t cap, size_t *out_len)
{
    struct aging a = { .max_ttl = max_ttl };
    size_t n = len - CACHEDB_VALUE_HEADER;
    enum cachedb_value_verdict v;

    if (len < CACHEDB_VALUE_HEADER + 12 || n > WIRE_MAX_UDP || n > cap ||
        memcmp(val, magic, sizeof magic) != 0)
        return CACHEDB_VALUE_BAD;
    if ((v = check_times(val, now, max_ttl, &a.age)) != CACHEDB_VALUE_OK)
        return v;
    memcpy(out, val + CACHEDB_VALUE_HEADER, n);
    int rcode = WIRE_RCODE(out);
    if (!(out[2] & 0x80) || (out[2] & 0x02) || (out[2] & 0x78) ||
        (rcode != WIRE_RCODE_NOERROR && rcode != WIRE_RCODE_NXDOMAIN) ||
        !wire_response_matches(out, n, qname_lc, qname_len, qtype, qclass) ||
        !walk_rrs(out, n, age_rr, &a) || a.meta ||
        ((rcode == WIRE_RCODE_NXDOMAIN || WIRE_ANCOUNT(out) == 0) && !a.soa))
        return CACHEDB_VALUE_BAD;
    if (get64(val + 4) != gen || a.expired)
        return CACHEDB_VALUE_STALE;
    *out_len = n;
    return CACHEDB_VALUE_OK;
}
