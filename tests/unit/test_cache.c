/* test_cache.c -- unit tests for resolver/cache.c: storing, TTL countdown and expiry,
 * clamps, negative answers (RFC 2308), what is refused, LRU eviction within the byte
 * budget, flushing, the prefetch decision, expired entries kept for serve-stale. Messages are built with ldns and read back with ldns_wire2pkt. */
#include <ldns/ldns.h>
#include <stdlib.h>

#include "cache.h"
#include "tap.h"
#include "wire.h"

#define T0 ((time_t)1700000000)

struct msg {
    uint8_t *wire;
    size_t len;
};

struct key {
    uint8_t name[WIRE_MAX_NAME];
    size_t len;
};

static const struct cache_limits default_limits = {
    .max_bytes = 1 << 20, .min_ttl = 0, .max_ttl = 86400, .max_negative_ttl = 3600,
};

static struct key key_of(const char *name)
{
    struct key k = { .len = 0 };
    ldns_rdf *d = ldns_dname_new_frm_str(name);

    if (d && ldns_rdf_size(d) <= sizeof(k.name)) {
        memcpy(k.name, ldns_rdf_data(d), ldns_rdf_size(d));
        k.len = ldns_rdf_size(d);
        wire_name_lower(k.name, k.len);
    }
    ldns_rdf_deep_free(d);
    return k;
}

static void push_rrs(ldns_pkt *pkt, ldns_pkt_section section, const char *const *rrs)
{
    for (; rrs && *rrs; rrs++) {
        ldns_rr *rr = NULL;
        if (ldns_rr_new_frm_str(&rr, *rrs, 0, NULL, NULL) != LDNS_STATUS_OK) {
            diag("cannot parse RR: %s", *rrs);
            exit(2);
        }
        ldns_pkt_push_rr(pkt, section, rr);
    }
}

/* A response to (qname, qtype, IN) with the given rcode and sections (NULL-terminated
 * lists of RRs in presentation form). Exits on failure: the tests cannot go on. */
static struct msg build(const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rcode,
                        const char *const *answer, const char *const *authority,
                        const char *const *additional)
{
    struct msg m = { NULL, 0 };
    ldns_pkt *pkt = ldns_pkt_query_new(ldns_dname_new_frm_str(qname), qtype,
                                       LDNS_RR_CLASS_IN, LDNS_RD);

    if (!pkt)
        exit(2);
    ldns_pkt_set_id(pkt, 0x1234);
    ldns_pkt_set_qr(pkt, true);
    ldns_pkt_set_ra(pkt, true);
    ldns_pkt_set_rcode(pkt, (uint8_t)rcode);
    push_rrs(pkt, LDNS_SECTION_ANSWER, answer);
    push_rrs(pkt, LDNS_SECTION_AUTHORITY, authority);
    push_rrs(pkt, LDNS_SECTION_ADDITIONAL, additional);
    if (ldns_pkt2wire(&m.wire, pkt, &m.len) != LDNS_STATUS_OK)
        exit(2);
    ldns_pkt_free(pkt);
    return m;
}

static struct msg build_a(const char *qname, uint32_t ttl)
{
    char rr[300];
    const char *answer[] = { rr, NULL };

    snprintf(rr, sizeof(rr), "%s %u IN A 192.0.2.1", qname, ttl);
    return build(qname, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, answer, NULL, NULL);
}

static int store(struct cache *c, const char *name, uint16_t qtype, struct msg m, time_t now)
{
    struct key k = key_of(name);
    return cache_store(c, k.name, k.len, qtype, WIRE_CLASS_IN, m.wire, m.len, now);
}

static size_t lookup(struct cache *c, const char *name, uint16_t qtype, time_t now,
                     uint8_t *out, size_t cap, enum cache_kind *kind)
{
    struct key k = key_of(name);
    return cache_lookup(c, k.name, k.len, qtype, WIRE_CLASS_IN, now, out, cap, kind);
}

static bool present(struct cache *c, const char *name, uint16_t qtype, time_t now)
{
    uint8_t out[WIRE_MAX_UDP];
    return lookup(c, name, qtype, now, out, sizeof(out), NULL) > 0;
}

/* A client's lookup (cache_lookup_client); *hit filled in. */
static size_t client_lookup(struct cache *c, const char *name, time_t now, struct cache_hit *hit)
{
    uint8_t out[WIRE_MAX_UDP];
    struct key k = key_of(name);
    return cache_lookup_client(c, k.name, k.len, WIRE_TYPE_A, WIRE_CLASS_IN, false, now, out,
                               sizeof out, hit);
}

/* TTL of RR `index` of a section of the message in out, or -1 if it does not parse. */
static long long ttl_in(const uint8_t *wire, size_t len, ldns_pkt_section section,
                        size_t index)
{
    ldns_pkt *pkt = NULL;
    ldns_rr_list *list;
    long long ttl = -1;

    if (ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
        return -1;
    list = section == LDNS_SECTION_ANSWER      ? ldns_pkt_answer(pkt)
           : section == LDNS_SECTION_AUTHORITY ? ldns_pkt_authority(pkt)
                                               : ldns_pkt_additional(pkt);
    if (index < ldns_rr_list_rr_count(list))
        ttl = ldns_rr_ttl(ldns_rr_list_rr(list, index));
    ldns_pkt_free(pkt);
    return ttl;
}

/* TTL of RR `index` of a section as the cache serves it at `now`, or -1 on a miss. */
static long long served_ttl(struct cache *c, const char *name, uint16_t qtype, time_t now,
                            ldns_pkt_section section, size_t index)
{
    uint8_t out[WIRE_MAX_UDP];
    size_t len = lookup(c, name, qtype, now, out, sizeof(out), NULL);
    return len ? ttl_in(out, len, section, index) : -1;
}

static struct cache *new_cache(const struct cache_limits *limits)
{
    struct cache *c = cache_new(limits);
    if (!c)
        exit(2);
    return c;
}

/* ---- positive answers ------------------------------------------------------------- */

static void test_positive(void)
{
    struct cache *c = new_cache(&default_limits);
    struct msg m = build_a("www.example.com.", 300);
    uint8_t out[WIRE_MAX_UDP];
    enum cache_kind kind = CACHE_NEGATIVE;
    size_t len;

    is_int(store(c, "www.example.com.", WIRE_TYPE_A, m, T0), 0, "positive A answer stored");
    is_int(cache_entries(c), 1, "one entry");
    diag("bytes for one www.example.com A answer (%zu-octet message): %zu", m.len,
         cache_bytes(c));
    ok(cache_bytes(c) > m.len && cache_bytes(c) < m.len + 200, "bytes counted sensibly");
    len = lookup(c, "www.example.com.", WIRE_TYPE_A, T0, out, sizeof(out), &kind);
    is_int(len, m.len, "lookup returns the whole message");
    ok(len == m.len && memcmp(out, m.wire, m.len) == 0, "same octets when no time passed");
    is_int(kind, CACHE_POSITIVE, "kind is positive");
    is_int(lookup(c, "www.example.com.", WIRE_TYPE_A, T0, out, m.len - 1, NULL), 0,
           "cap too small: 0");
    ok(present(c, "www.example.com.", WIRE_TYPE_A, T0), "... and the entry is still there");
    is_int(lookup(c, "ftp.example.com.", WIRE_TYPE_A, T0, out, sizeof(out), NULL), 0,
           "other name misses");

    free(m.wire);
    cache_free(c);
}

static void test_countdown_and_expiry(void)
{
    struct cache *c = new_cache(&default_limits);
    const char *answer[] = { "www.example.com. 100 IN A 192.0.2.1",
                             "www.example.com. 300 IN A 192.0.2.2", NULL };
    const char *authority[] = { "example.com. 500 IN NS ns.example.com.", NULL };
    const char *additional[] = { "ns.example.com. 400 IN A 192.0.2.53", NULL };
    struct msg m = build("www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, answer,
                         authority, additional);

    is_int(store(c, "www.example.com.", WIRE_TYPE_A, m, T0), 0, "answer with 4 RRs stored");
    is_int(served_ttl(c, "www.example.com.", WIRE_TYPE_A, T0 + 10, LDNS_SECTION_ANSWER, 0),
           90, "after 10 s the first answer TTL is 90");
    is_int(served_ttl(c, "www.example.com.", WIRE_TYPE_A, T0 + 10, LDNS_SECTION_ANSWER, 1),
           290, "... the second 290");
    is_int(served_ttl(c, "www.example.com.", WIRE_TYPE_A, T0 + 10, LDNS_SECTION_AUTHORITY, 0),
           490, "... the authority NS 490");
    is_int(served_ttl(c, "www.example.com.", WIRE_TYPE_A, T0 + 10, LDNS_SECTION_ADDITIONAL, 0),
           390, "... the additional A 390");
    is_int(served_ttl(c, "www.example.com.", WIRE_TYPE_A, T0 - 5, LDNS_SECTION_ANSWER, 0),
           100, "a clock gone back counts as no time passed");
    is_int(served_ttl(c, "www.example.com.", WIRE_TYPE_A, T0 + 99, LDNS_SECTION_ANSWER, 0),
           1, "one second before expiry: TTL 1");
    ok(!present(c, "www.example.com.", WIRE_TYPE_A, T0 + 100),
       "expired at exactly stored + smallest TTL");
    is_int(cache_entries(c), 0, "the expired entry was removed");
    is_int(cache_bytes(c), 0, "and its bytes given back");

    free(m.wire);
    cache_free(c);
}

static void test_key(void)
{
    struct cache *c = new_cache(&default_limits);
    const char *aaaa[] = { "www.example.com. 300 IN AAAA 2001:db8::1", NULL };
    struct msg a = build_a("www.example.com.", 300);
    struct msg six = build("www.example.com.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, aaaa,
                           NULL, NULL);
    struct key k = key_of("www.example.com.");
    uint8_t out[WIRE_MAX_UDP];
    size_t len;

    is_int(store(c, "www.example.com.", WIRE_TYPE_A, a, T0), 0, "A stored");
    ok(!present(c, "www.example.com.", WIRE_TYPE_AAAA, T0), "AAAA is not the A entry");
    is_int(store(c, "www.example.com.", WIRE_TYPE_AAAA, six, T0), 0, "AAAA stored");
    is_int(cache_entries(c), 2, "two entries for one name");
    len = lookup(c, "www.example.com.", WIRE_TYPE_AAAA, T0, out, sizeof(out), NULL);
    ok(len == six.len && memcmp(out, six.wire, len) == 0, "AAAA lookup gives the AAAA answer");
    len = lookup(c, "www.example.com.", WIRE_TYPE_A, T0, out, sizeof(out), NULL);
    ok(len == a.len && memcmp(out, a.wire, len) == 0, "A lookup gives the A answer");
    is_int(cache_lookup(c, k.name, k.len, WIRE_TYPE_A, 3 /* CH */, T0, out, sizeof(out), NULL),
           0, "class is part of the key");
    ok(present(c, "WWW.Example.COM.", WIRE_TYPE_A, T0),
       "same lower-cased key from another spelling finds it");

    free(a.wire);
    free(six.wire);
    cache_free(c);
}

static void test_replace(void)
{
    struct cache *c = new_cache(&default_limits);
    struct msg first = build_a("www.example.com.", 300);
    struct msg second = build_a("www.example.com.", 50);
    struct msg servfail = build("www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL,
                                NULL, NULL, NULL);

    store(c, "www.example.com.", WIRE_TYPE_A, first, T0);
    is_int(store(c, "www.example.com.", WIRE_TYPE_A, second, T0), 0, "second store accepted");
    is_int(cache_entries(c), 1, "it replaced the first");
    is_int(served_ttl(c, "www.example.com.", WIRE_TYPE_A, T0, LDNS_SECTION_ANSWER, 0), 50,
           "the new answer is served");
    is_int(store(c, "www.example.com.", WIRE_TYPE_A, servfail, T0), -1, "SERVFAIL refused");
    is_int(served_ttl(c, "www.example.com.", WIRE_TYPE_A, T0, LDNS_SECTION_ANSWER, 0), 50,
           "a refused store leaves the old entry");

    free(first.wire);
    free(second.wire);
    free(servfail.wire);
    cache_free(c);
}

static void test_clamps(void)
{
    struct cache_limits limits = default_limits;
    struct cache *c;
    struct msg low = build_a("low.example.", 5);
    struct msg high = build_a("high.example.", 1000000);
    struct msg zero = build_a("zero.example.", 0);
    struct msg negative = build_a("neg.example.", 0x80000010u);

    limits.min_ttl = 60;
    limits.max_ttl = 86400;
    c = new_cache(&limits);
    is_int(store(c, "low.example.", WIRE_TYPE_A, low, T0), 0, "TTL 5 stored");
    is_int(served_ttl(c, "low.example.", WIRE_TYPE_A, T0, LDNS_SECTION_ANSWER, 0), 60,
           "raised to min-ttl 60");
    ok(present(c, "low.example.", WIRE_TYPE_A, T0 + 59), "still there after 59 s");
    ok(!present(c, "low.example.", WIRE_TYPE_A, T0 + 60), "gone after 60 s");
    is_int(store(c, "high.example.", WIRE_TYPE_A, high, T0), 0, "TTL 1000000 stored");
    is_int(served_ttl(c, "high.example.", WIRE_TYPE_A, T0, LDNS_SECTION_ANSWER, 0), 86400,
           "lowered to max-ttl 86400");
    ok(!present(c, "high.example.", WIRE_TYPE_A, T0 + 86400), "gone after max-ttl");
    cache_free(c);

    c = new_cache(&default_limits);
    is_int(store(c, "zero.example.", WIRE_TYPE_A, zero, T0), -1,
           "TTL 0 with min-ttl 0: nothing to cache");
    is_int(store(c, "neg.example.", WIRE_TYPE_A, negative, T0), -1,
           "TTL with the top bit set counts as 0 (RFC 2181)");
    is_int(cache_entries(c), 0, "nothing stored");
    cache_free(c);

    free(low.wire);
    free(high.wire);
    free(zero.wire);
    free(negative.wire);
}

/* ---- negative answers ------------------------------------------------------------- */

static struct msg build_negative(const char *qname, ldns_pkt_rcode rcode, uint32_t soa_ttl,
                                 uint32_t soa_minimum)
{
    char soa[300];
    const char *authority[] = { soa, NULL };

    snprintf(soa, sizeof(soa),
             "example.com. %u IN SOA ns.example.com. admin.example.com. 1 7200 900 1209600 %u",
             soa_ttl, soa_minimum);
    return build(qname, LDNS_RR_TYPE_A, rcode, NULL, authority, NULL);
}

static void check_negative(uint32_t soa_ttl, uint32_t minimum, uint32_t cap, uint32_t want)
{
    struct cache_limits limits = default_limits;
    struct cache *c;
    struct msg m = build_negative("nope.example.com.", LDNS_RCODE_NXDOMAIN, soa_ttl, minimum);
    enum cache_kind kind = CACHE_POSITIVE;
    uint8_t out[WIRE_MAX_UDP];
    size_t len;
    char name[100];

    limits.max_negative_ttl = cap;
    c = new_cache(&limits);
    snprintf(name, sizeof(name), "NXDOMAIN, SOA TTL %u, MINIMUM %u, cap %u", soa_ttl,
             minimum, cap);
    is_int(store(c, "nope.example.com.", WIRE_TYPE_A, m, T0), 0, name);
    len = lookup(c, "nope.example.com.", WIRE_TYPE_A, T0, out, sizeof(out), &kind);
    is_int(kind, CACHE_NEGATIVE, "... is a negative entry");
    is_int(len ? ttl_in(out, len, LDNS_SECTION_AUTHORITY, 0) : -1, want,
           "... the SOA TTL is the negative TTL");
    ok(present(c, "nope.example.com.", WIRE_TYPE_A, T0 + want - 1), "... alive until then");
    ok(!present(c, "nope.example.com.", WIRE_TYPE_A, T0 + want), "... and no longer");
    free(m.wire);
    cache_free(c);
}

static void test_negative(void)
{
    const char *cname[] = { "alias.example.com. 3000 IN CNAME gone.example.com.", NULL };
    const char *soa[] = {
        "example.com. 3600 IN SOA ns.example.com. admin.example.com. 1 7200 900 1209600 300",
        NULL };
    const char *ns[] = { "example.com. 3600 IN NS ns.example.com.", NULL };
    struct cache *c = new_cache(&default_limits);
    struct msg nodata = build_negative("www.example.com.", LDNS_RCODE_NOERROR, 3600, 300);
    struct msg chain = build("alias.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, cname,
                             soa, NULL);
    struct msg nx_bare = build("nope.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN,
                               NULL, NULL, NULL);
    struct msg nodata_ns = build("www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
                                 NULL, ns, NULL);
    enum cache_kind kind = CACHE_POSITIVE;
    uint8_t out[WIRE_MAX_UDP];
    size_t len;

    check_negative(3600, 300, 900, 300);
    check_negative(120, 300, 900, 120);
    check_negative(3600, 3000, 900, 900);

    is_int(store(c, "www.example.com.", WIRE_TYPE_A, nodata, T0), 0, "NODATA with SOA stored");
    len = lookup(c, "www.example.com.", WIRE_TYPE_A, T0 + 100, out, sizeof(out), &kind);
    is_int(kind, CACHE_NEGATIVE, "NODATA is a negative entry");
    is_int(len ? ttl_in(out, len, LDNS_SECTION_AUTHORITY, 0) : -1, 200,
           "NODATA SOA TTL counts down from min(3600, 300)");

    is_int(store(c, "alias.example.com.", WIRE_TYPE_A, chain, T0), 0,
           "NXDOMAIN after a CNAME stored");
    is_int(served_ttl(c, "alias.example.com.", WIRE_TYPE_A, T0, LDNS_SECTION_ANSWER, 0), 300,
           "the CNAME TTL is cut to the negative TTL");

    is_int(store(c, "nope.example.com.", WIRE_TYPE_A, nx_bare, T0), 0,
           "NXDOMAIN without SOA (nothing in authority) stored");
    is_int(store(c, "www.example.com.", WIRE_TYPE_AAAA, nodata_ns, T0), -1,
           "NODATA without SOA (a referral) not cached");
    is_int(cache_entries(c), 3, "only the three negatives without other authority data are stored");
    ok(present(c, "nope.example.com.", WIRE_TYPE_A, T0 + 4), "the one without SOA is served for 4 s");
    ok(!present(c, "nope.example.com.", WIRE_TYPE_A, T0 + 5), "... but not for 5 s");

    free(nodata.wire);
    free(chain.wire);
    free(nx_bare.wire);
    free(nodata_ns.wire);
    cache_free(c);
}

/* ---- refused messages ------------------------------------------------------------- */

static void test_refused(void)
{
    struct cache *c = new_cache(&default_limits);
    struct msg m = build_a("www.example.com.", 300);
    struct msg refused = build("www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_REFUSED, NULL,
                               NULL, NULL);
    struct key k = key_of("www.example.com.");
    uint8_t buf[WIRE_MAX_UDP];
    /* root, OPT, size 1232, DO set (a TTL that is not 0, so only the type refuses it) */
    static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0 };

#define STORE_BUF(n) cache_store(c, k.name, k.len, WIRE_TYPE_A, WIRE_CLASS_IN, buf, (n), T0)
    is_int(store(c, "www.example.com.", WIRE_TYPE_A, refused, T0), -1, "REFUSED not cached");

    memcpy(buf, m.wire, m.len);
    buf[2] |= 0x02;
    is_int(STORE_BUF(m.len), -1, "TC set: not cached");

    memcpy(buf, m.wire, m.len);
    is_int(STORE_BUF(m.len - 1), -1, "truncated message not cached");
    is_int(STORE_BUF(11), -1, "shorter than a header not cached");
    buf[m.len] = 0;
    is_int(STORE_BUF(m.len + 1), -1, "trailing garbage not cached");
    buf[7]++;
    is_int(STORE_BUF(m.len), -1, "ANCOUNT too big not cached");
    buf[7]--;
    buf[5] = 2;
    is_int(STORE_BUF(m.len), -1, "QDCOUNT 2 not cached");
    buf[5] = 1;

    memcpy(buf + m.len, opt, sizeof(opt));
    buf[11] = 1;
    is_int(STORE_BUF(m.len + sizeof(opt)), -1, "message with OPT not cached");
    buf[11] = 0;
    is_int(STORE_BUF(m.len), 0, "the same buffer, repaired, is cached");
    is_int(cache_store(c, k.name, 0, WIRE_TYPE_A, WIRE_CLASS_IN, m.wire, m.len, T0), -1,
           "empty key refused");
#undef STORE_BUF
    is_int(cache_entries(c), 1, "only the repaired message is stored");

    free(m.wire);
    free(refused.wire);
    cache_free(c);
}

/* ---- byte budget and LRU ----------------------------------------------------------- */

static void test_eviction(void)
{
    struct cache_limits limits = default_limits;
    struct cache *c;
    struct msg m = build_a("host-000.example.", 300);
    size_t per_entry;
    bool within = true, all_stored = true;
    char name[64];

    c = new_cache(&limits);
    store(c, "host-000.example.", WIRE_TYPE_A, m, T0);
    per_entry = cache_bytes(c);
    cache_free(c);

    limits.max_bytes = per_entry * 10;
    c = new_cache(&limits);
    for (int i = 0; i < 100; i++) {
        struct msg mi;
        snprintf(name, sizeof(name), "host-%03d.example.", i);
        mi = build_a(name, 300);
        all_stored &= store(c, name, WIRE_TYPE_A, mi, T0) == 0;
        within &= cache_bytes(c) <= limits.max_bytes;
        free(mi.wire);
        if (i > 0)
            present(c, "host-000.example.", WIRE_TYPE_A, T0);   /* keep it recently used */
    }
    ok(all_stored, "100 stores accepted");
    ok(within, "bytes <= max_bytes after every store");
    is_int(cache_entries(c), 10, "ten entries fit");
    is_int(cache_evictions(c), 90, "ninety evicted");
    ok(present(c, "host-000.example.", WIRE_TYPE_A, T0), "the often used first entry survived");
    ok(!present(c, "host-001.example.", WIRE_TYPE_A, T0), "an unused early entry went");
    ok(present(c, "host-099.example.", WIRE_TYPE_A, T0), "the newest is there");
    ok(!present(c, "host-090.example.", WIRE_TYPE_A, T0),
       "the least recently used of the last ten went to make room for host-000");

    limits.max_bytes = per_entry * 4;
    cache_set_limits(c, &limits);
    ok(cache_bytes(c) <= limits.max_bytes, "set_limits shrinking evicts at once");
    is_int(cache_entries(c), 4, "four entries left");
    is_int(cache_evictions(c), 96, "evictions counted");
    ok(present(c, "host-099.example.", WIRE_TYPE_A, T0), "the most recent kept");

    limits.max_bytes = per_entry * 8 - 1;
    cache_set_limits(c, &limits);
    is_int(store(c, "host-000.example.", WIRE_TYPE_A, m, T0), -1,
           "an entry bigger than max_bytes/8 is not cached");

    free(m.wire);
    cache_free(c);
}

static void test_many(void)
{
    struct cache *c = new_cache(&default_limits);
    bool all_found = true;
    size_t bytes;
    char name[64];

    for (int i = 0; i < 2000; i++) {
        struct msg mi;
        snprintf(name, sizeof(name), "n%d.example.", i);
        mi = build_a(name, 300);
        store(c, name, WIRE_TYPE_A, mi, T0);
        free(mi.wire);
    }
    is_int(cache_entries(c), 2000, "2000 entries (table grew several times)");
    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof(name), "n%d.example.", i);
        all_found &= present(c, name, WIRE_TYPE_A, T0);
    }
    ok(all_found, "every one is found after the resizes");
    bytes = cache_bytes(c);
    is_int(cache_flush_all(c), 2000, "flush_all removes them all");
    is_int(cache_entries(c), 0, "no entries");
    is_int(cache_bytes(c), 0, "no bytes");
    ok(bytes > 0 && !present(c, "n7.example.", WIRE_TYPE_A, T0), "and nothing is found");
    cache_free(c);
}

static void test_flush_name(void)
{
    struct cache *c = new_cache(&default_limits);
    const char *aaaa[] = { "www.example.com. 300 IN AAAA 2001:db8::1", NULL };
    const char *mx[] = { "www.example.com. 300 IN MX 10 mail.example.com.", NULL };
    struct msg a = build_a("www.example.com.", 300);
    struct msg six = build("www.example.com.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, aaaa,
                           NULL, NULL);
    struct msg mail = build("www.example.com.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, mx,
                            NULL, NULL);
    struct msg other = build_a("mail.example.com.", 300);
    struct msg sub = build_a("a.www.example.com.", 300);
    struct key k = key_of("www.example.com.");

    store(c, "www.example.com.", WIRE_TYPE_A, a, T0);
    store(c, "www.example.com.", WIRE_TYPE_AAAA, six, T0);
    store(c, "www.example.com.", LDNS_RR_TYPE_MX, mail, T0);
    store(c, "mail.example.com.", WIRE_TYPE_A, other, T0);
    store(c, "a.www.example.com.", WIRE_TYPE_A, sub, T0);
    is_int(cache_entries(c), 5, "five entries");
    is_int(cache_flush_name(c, k.name, k.len), 3, "flush_name removes the three types");
    ok(!present(c, "www.example.com.", WIRE_TYPE_A, T0) &&
           !present(c, "www.example.com.", WIRE_TYPE_AAAA, T0) &&
           !present(c, "www.example.com.", LDNS_RR_TYPE_MX, T0), "none of them is found");
    ok(present(c, "mail.example.com.", WIRE_TYPE_A, T0), "another name is kept");
    ok(present(c, "a.www.example.com.", WIRE_TYPE_A, T0), "a name below it is kept");
    is_int(cache_flush_name(c, k.name, k.len), 0, "flushing again removes nothing");
    is_int(cache_entries(c), 2, "two entries left");

    free(a.wire);
    free(six.wire);
    free(mail.wire);
    free(other.wire);
    free(sub.wire);
    cache_free(c);
}

/* cache_flush_if: a predicate on the kind only. */
static bool match_negative(const uint8_t *name, size_t name_len, uint16_t qtype,
                           uint16_t qclass, enum cache_kind kind, void *arg)
{
    (void)name, (void)name_len, (void)qtype, (void)qclass;
    (*(int *)arg)++;
    return kind == CACHE_NEGATIVE;
}

/* cache_flush_if: names at or below the key in arg (wire form, label boundaries). */
static bool match_below(const uint8_t *name, size_t name_len, uint16_t qtype,
                        uint16_t qclass, enum cache_kind kind, void *arg)
{
    const struct key *zone = arg;
    size_t pos = 0;

    (void)qtype, (void)qclass, (void)kind;
    while (name_len - pos > zone->len && name[pos] != 0)
        pos += (size_t)name[pos] + 1;
    return name_len - pos == zone->len && memcmp(name + pos, zone->name, zone->len) == 0;
}

static void test_flush_if(void)
{
    struct cache *c = new_cache(&default_limits);
    struct msg a = build_a("www.example.com.", 300);
    struct msg b = build_a("a.b.example.com.", 300);
    struct msg top = build_a("example.com.", 300);
    struct msg other = build_a("www.example.net.", 300);
    struct msg look = build_a("notexample.com.", 300);
    struct msg nx = build_negative("nx.example.org.", LDNS_RCODE_NXDOMAIN, 300, 300);
    struct key zone = key_of("Example.COM.");
    int calls = 0;

    store(c, "www.example.com.", WIRE_TYPE_A, a, T0);
    store(c, "a.b.example.com.", WIRE_TYPE_A, b, T0);
    store(c, "example.com.", WIRE_TYPE_A, top, T0);
    store(c, "www.example.net.", WIRE_TYPE_A, other, T0);
    store(c, "notexample.com.", WIRE_TYPE_A, look, T0);
    store(c, "nx.example.org.", WIRE_TYPE_A, nx, T0);
    is_int(cache_entries(c), 6, "flush_if: six entries");
    is_int(cache_flush_if(c, match_negative, &calls), 1, "flush_if: one negative entry");
    is_int(calls, 6, "flush_if: the predicate saw every entry");
    ok(!present(c, "nx.example.org.", WIRE_TYPE_A, T0), "flush_if: the negative entry is gone");
    ok(present(c, "www.example.com.", WIRE_TYPE_A, T0), "flush_if: positives stay");
    is_int(cache_flush_if(c, match_below, &zone), 3, "flush_if: the zone and below");
    ok(!present(c, "example.com.", WIRE_TYPE_A, T0) &&
           !present(c, "a.b.example.com.", WIRE_TYPE_A, T0), "flush_if: apex and deep name gone");
    ok(present(c, "notexample.com.", WIRE_TYPE_A, T0), "flush_if: not a label boundary, kept");
    ok(present(c, "www.example.net.", WIRE_TYPE_A, T0), "flush_if: another zone kept");
    is_int(cache_entries(c), 2, "flush_if: two left");
    free(a.wire);
    free(b.wire);
    free(top.wire);
    free(other.wire);
    free(look.wire);
    free(nx.wire);
    cache_free(c);
}

struct walk_seen {
    int count, negative, stop_after;
    uint32_t ttl_left;
    long long msg_ttl;
    int dnssec_forms;               /* entries whose DO clients get another form */
};

static bool walk_cb(const uint8_t *name, size_t name_len, uint16_t qtype, uint16_t qclass,
                    enum cache_kind kind, bool dnssec_form, const uint8_t *msg, size_t len,
                    uint32_t ttl_left, void *arg)
{
    struct walk_seen *w = arg;
    struct key k = key_of("www.example.com.");

    (void)qclass;
    w->count++;
    w->dnssec_forms += dnssec_form;
    if (kind == CACHE_NEGATIVE)
        w->negative++;
    if (qtype == WIRE_TYPE_A && name_len == k.len && memcmp(name, k.name, k.len) == 0) {
        w->ttl_left = ttl_left;
        w->msg_ttl = ttl_in(msg, len, LDNS_SECTION_ANSWER, 0);
    }
    return w->stop_after == 0 || w->count < w->stop_after;
}

static void test_walk(void)
{
    struct cache *c = new_cache(&default_limits);
    struct msg a = build_a("www.example.com.", 300);
    struct msg b = build_a("short.example.com.", 10);
    struct msg nx = build_negative("nx.example.org.", LDNS_RCODE_NXDOMAIN, 300, 300);
    struct walk_seen w = { 0, 0, 0, 0, -1, 0 };

    store(c, "www.example.com.", WIRE_TYPE_A, a, T0);
    store(c, "short.example.com.", WIRE_TYPE_A, b, T0);
    store(c, "nx.example.org.", WIRE_TYPE_A, nx, T0);
    is_int(cache_walk(c, T0 + 20, walk_cb, &w), 2, "walk: the expired entry is skipped");
    is_int(w.count, 2, "walk: called for the two live entries");
    is_int(w.negative, 1, "walk: one of them negative");
    is_int(w.ttl_left, 280, "walk: remaining lifetime counted down");
    is_int(w.msg_ttl, 280, "walk: the message's TTLs counted down");
    is_int(cache_entries(c), 3, "walk: removes nothing");
    w = (struct walk_seen){ 0, 0, 1, 0, -1, 0 };
    is_int(cache_walk(c, T0, walk_cb, &w), 1, "walk: stops when the callback says so");
    free(a.wire);
    free(b.wire);
    free(nx.wire);
    cache_free(c);
}

/* ---- prefetch ------------------------------------------------------------------------ */

/* Hits at seconds `at` (after T0, where the entry was stored); how many asked a prefetch,
 * and at which second the first did (-1: none). */
static int prefetches(struct cache *c, const char *name, const int *at, size_t n, int *first)
{
    struct cache_hit hit;
    int asked = 0;

    *first = -1;
    for (size_t i = 0; i < n; i++) {
        if (!client_lookup(c, name, T0 + at[i], &hit))
            return -1;
        if (hit.prefetch && asked++ == 0)
            *first = at[i];
    }
    return asked;
}

static void test_prefetch(void)
{
    struct cache_limits limits = default_limits;
    struct msg m10 = build_a("ten.example.", 10), m300 = build_a("five.example.", 300);
    struct cache_hit hit;
    struct cache *c;
    int first;

    limits.prefetch = true;
    c = new_cache(&limits);
    store(c, "ten.example.", WIRE_TYPE_A, m10, T0);
    const int steady[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9 };
    is_int(prefetches(c, "ten.example.", steady, 11, &first), 1,
           "a 10 s entry hit every second: one prefetch");
    is_int(first, 9, "... asked by the hit in its last second (the last tenth)");

    store(c, "five.example.", WIRE_TYPE_A, m300, T0);
    const int late[] = { 100, 269, 270, 280 };
    is_int(prefetches(c, "five.example.", late, 4, &first), 1, "a 300 s entry: one prefetch");
    is_int(first, 270, "... at 30 s left, not at 31");

    store(c, "ten.example.", WIRE_TYPE_A, m10, T0);
    const int once[] = { 9 };
    is_int(prefetches(c, "ten.example.", once, 1, &first), 0,
           "the first hit on an entry, late as it is, asks no prefetch (2 hits needed)");
    const int twice[] = { 9 };
    is_int(prefetches(c, "ten.example.", twice, 1, &first), 1, "the second one does");

    store(c, "ten.example.", WIRE_TYPE_A, m10, T0 + 9);
    ok(client_lookup(c, "ten.example.", T0 + 10, &hit) && !hit.prefetch,
       "a new store is a new entry: its first hit asks nothing");
    ok(client_lookup(c, "ten.example.", T0 + 18, &hit) && hit.prefetch,
       "... its own last second does, again once");

    uint8_t out[WIRE_MAX_UDP];
    struct key k = key_of("five.example.");
    store(c, "five.example.", WIRE_TYPE_A, m300, T0);
    for (int i = 0; i < 5; i++)
        cache_lookup(c, k.name, k.len, WIRE_TYPE_A, WIRE_CLASS_IN, T0 + 280, out, sizeof out,
                     NULL);
    ok(client_lookup(c, "five.example.", T0 + 281, &hit) && !hit.prefetch,
       "cache_lookup (trace, resolve.c) counts no hit: one client hit asks nothing");
    cache_free(c);

    limits.prefetch = false;
    c = new_cache(&limits);
    store(c, "ten.example.", WIRE_TYPE_A, m10, T0);
    is_int(prefetches(c, "ten.example.", steady, 11, &first), 0, "prefetch off: never asked");
    cache_free(c);
    free(m10.wire);
    free(m300.wire);
}

/* ---- serve-stale --------------------------------------------------------------------- */

static size_t stale_lookup(struct cache *c, const char *name, time_t now, uint8_t *out,
                           size_t cap, enum cache_kind *kind)
{
    struct key k = key_of(name);
    return cache_lookup_stale(c, k.name, k.len, WIRE_TYPE_A, WIRE_CLASS_IN, false, now, out, cap,
                              kind);
}

static void backoff(struct cache *c, const char *name, time_t now)
{
    struct key k = key_of(name);
    cache_stale_backoff(c, k.name, k.len, WIRE_TYPE_A, WIRE_CLASS_IN, now);
}

static void test_stale_kept(void)
{
    struct cache_limits limits = default_limits;
    struct msg m = build_a("www.example.com.", 300);
    const char *nx_soa[] = { "example.com. 600 IN SOA ns. host. 1 2 3 4 60", NULL };
    struct msg nx = build("nx.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, nx_soa,
                          NULL);
    uint8_t out[WIRE_MAX_UDP];
    enum cache_kind kind = CACHE_POSITIVE;
    struct cache_hit hit;
    size_t len;

    limits.stale_max_age = 3600;
    struct cache *c = new_cache(&limits);
    store(c, "www.example.com.", WIRE_TYPE_A, m, T0);
    is_int(stale_lookup(c, "www.example.com.", T0 + 299, out, sizeof out, NULL), 0,
           "a live entry is not stale");
    ok(!present(c, "www.example.com.", WIRE_TYPE_A, T0 + 300), "expired: a lookup misses ...");
    is_int(cache_entries(c), 1, "... but the entry is kept");
    ok(client_lookup(c, "www.example.com.", T0 + 300, &hit) == 0 && !hit.stale,
       "a client's lookup misses too (no failed refresh yet: resolve it)");
    len = stale_lookup(c, "www.example.com.", T0 + 300, out, sizeof out, &kind);
    ok(len > 0, "the stale copy is there");
    is_int(ttl_in(out, len, LDNS_SECTION_ANSWER, 0), CACHE_STALE_TTL, "... with TTL 30");
    ok(kind == CACHE_POSITIVE, "... positive");
    ok(stale_lookup(c, "www.example.com.", T0 + 300 + 3599, out, sizeof out, NULL) > 0,
       "served stale until max-age past expiry");
    is_int(stale_lookup(c, "www.example.com.", T0 + 300 + 3600, out, sizeof out, NULL), 0,
           "... not at max-age");
    ok(!present(c, "www.example.com.", WIRE_TYPE_A, T0 + 300 + 3600), "a lookup then ...");
    is_int(cache_entries(c), 0, "... removes it");

    store(c, "nx.example.com.", WIRE_TYPE_A, nx, T0);
    len = stale_lookup(c, "nx.example.com.", T0 + 61, out, sizeof out, &kind);
    ok(len > 0 && kind == CACHE_NEGATIVE, "a negative entry is kept stale too");
    is_int(ttl_in(out, len, LDNS_SECTION_AUTHORITY, 0), CACHE_STALE_TTL, "... its SOA TTL 30");
    cache_free(c);

    c = new_cache(&default_limits);
    store(c, "www.example.com.", WIRE_TYPE_A, m, T0);
    ok(!present(c, "www.example.com.", WIRE_TYPE_A, T0 + 300), "serve-stale off: expired ...");
    is_int(cache_entries(c), 0, "... and removed at once");
    store(c, "www.example.com.", WIRE_TYPE_A, m, T0);
    is_int(stale_lookup(c, "www.example.com.", T0 + 300, out, sizeof out, NULL), 0,
           "... never served stale");
    cache_free(c);
    free(m.wire);
    free(nx.wire);
}

static void test_stale_backoff(void)
{
    struct cache_limits limits = default_limits;
    struct msg m = build_a("www.example.com.", 300);
    struct cache_hit hit;
    time_t exp = T0 + 300;
    size_t len;

    limits.stale_max_age = 86400;
    struct cache *c = new_cache(&limits);
    store(c, "www.example.com.", WIRE_TYPE_A, m, T0);
    backoff(c, "www.example.com.", T0 + 100);
    ok(client_lookup(c, "www.example.com.", T0 + 100, &hit) > 0 && !hit.stale,
       "a back-off on a live entry changes nothing");

    backoff(c, "www.example.com.", exp);
    uint8_t cout[WIRE_MAX_UDP];
    struct key k = key_of("www.example.com.");
    len = cache_lookup_client(c, k.name, k.len, WIRE_TYPE_A, WIRE_CLASS_IN, false, exp + 1, cout,
                              sizeof cout, &hit);
    ok(len > 0 && hit.stale, "after a failed refresh a client's lookup is served stale");
    is_int(ttl_in(cout, len, LDNS_SECTION_ANSWER, 0), CACHE_STALE_TTL, "... TTL 30");
    ok(!hit.prefetch, "... and asks no prefetch");
    ok(!present(c, "www.example.com.", WIRE_TYPE_A, exp + 1), "a peek still misses");
    ok(client_lookup(c, "www.example.com.", exp + CACHE_STALE_RETRY - 1, &hit) && hit.stale,
       "stale for the whole first back-off (30 s)");
    ok(!client_lookup(c, "www.example.com.", exp + CACHE_STALE_RETRY, &hit) && !hit.stale,
       "then a miss again: time to retry the refresh");

    time_t t = exp + CACHE_STALE_RETRY;
    backoff(c, "www.example.com.", t);
    ok(client_lookup(c, "www.example.com.", t + 2 * CACHE_STALE_RETRY - 1, &hit) && hit.stale,
       "a second failure doubles the back-off (60 s)");
    ok(!client_lookup(c, "www.example.com.", t + 2 * CACHE_STALE_RETRY, &hit),
       "... and no more");
    for (int i = 0; i < 10; i++)
        backoff(c, "www.example.com.", t);
    ok(client_lookup(c, "www.example.com.", t + CACHE_STALE_RETRY_MAX - 1, &hit) && hit.stale &&
       !client_lookup(c, "www.example.com.", t + CACHE_STALE_RETRY_MAX, &hit),
       "many failures: the back-off stops at 300 s");

    store(c, "www.example.com.", WIRE_TYPE_A, m, t + 1000);
    ok(client_lookup(c, "www.example.com.", t + 1000 + 300, &hit) == 0,
       "a refresh that succeeds ends the back-off (the new entry starts afresh)");
    cache_free(c);
    free(m.wire);
}

static void test_stale_evicted(void)
{
    struct cache_limits limits = default_limits;
    struct msg m = build_a("host-000.example.", 10);
    char name[64];
    size_t per_entry;

    limits.stale_max_age = 86400;
    struct cache *c = new_cache(&limits);
    store(c, "host-000.example.", WIRE_TYPE_A, m, T0);
    per_entry = cache_bytes(c);
    cache_free(c);

    limits.max_bytes = per_entry * 10;
    c = new_cache(&limits);
    bool within = true;
    for (int i = 0; i < 30; i++) {
        snprintf(name, sizeof name, "host-%03d.example.", i);
        struct msg mi = build_a(name, 10);
        store(c, name, WIRE_TYPE_A, mi, T0 + i);  /* the earlier ones expire meanwhile */
        within &= cache_bytes(c) <= limits.max_bytes;
        free(mi.wire);
    }
    ok(within, "serve-stale: expired entries stay within the byte budget");
    is_int(cache_entries(c), 10, "... ten entries, as without it");
    uint8_t out[WIRE_MAX_UDP];
    is_int(stale_lookup(c, "host-000.example.", T0 + 30, out, sizeof out, NULL), 0,
           "the least recently used expired entry was evicted");
    ok(stale_lookup(c, "host-020.example.", T0 + 31, out, sizeof out, NULL) > 0,
       "a recent expired one is kept");
    cache_free(c);
    free(m.wire);
}


/* ---- the two forms (DNSSEC) ------------------------------------------------------------ */

#if defined(__SANITIZE_ADDRESS__)
/* the sanitizer runtime's hook (its header ships with clang only) */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
#define HAVE_MALLOC_HOOKS 1
static volatile long mallocs;       /* counted by the sanitizer's allocator hook */
static void count_malloc(const volatile void *p, size_t size)
{
    (void)p, (void)size;
    mallocs++;
}
static void ignore_free(const volatile void *p)
{
    (void)p;
}
#endif

static struct msg build_signed_a(const char *qname, uint32_t ttl)
{
    char a[300], sig[400];
    const char *answer[] = { a, sig, NULL };

    snprintf(a, sizeof a, "%s %u IN A 192.0.2.1", qname, ttl);
    snprintf(sig, sizeof sig, "%s %u IN RRSIG A 13 3 %u 20300101000000 20200101000000 1234 "
             "example.com. AAAA", qname, ttl, ttl);
    return build(qname, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, answer, NULL, NULL);
}

static int store_forms(struct cache *c, const char *name, struct msg plain,
                       enum cache_do_form how, struct msg dnssec, time_t now)
{
    struct key k = key_of(name);
    return cache_store_forms(c, k.name, k.len, WIRE_TYPE_A, WIRE_CLASS_IN, plain.wire, plain.len,
                             how, dnssec.wire, dnssec.len, now);
}

/* A DO client's lookup: the length, and whether the copy holds an RRSIG (answer RR 1). */
static size_t do_lookup(struct cache *c, const char *name, time_t now, bool *signed_copy)
{
    uint8_t out[WIRE_MAX_UDP];
    struct cache_hit hit;
    struct key k = key_of(name);
    size_t n = cache_lookup_client(c, k.name, k.len, WIRE_TYPE_A, WIRE_CLASS_IN, true, now, out,
                                   sizeof out, &hit);
    *signed_copy = n && WIRE_ANCOUNT(out) == 2;
    return n;
}

static void test_forms(void)
{
    struct cache *c = new_cache(&default_limits);
    struct msg plain = build_a("www.example.com.", 300);
    struct msg dnssec = build_signed_a("www.example.com.", 300);
    struct msg none = { NULL, 0 };
    uint8_t out[WIRE_MAX_UDP];
    bool sig = false;

    is_int(store_forms(c, "www.example.com.", plain, CACHE_DO_OWN, dnssec, T0), 0,
           "forms: both stored");
    is_int(cache_entries(c), 2, "forms: two entries");
    size_t n = lookup(c, "www.example.com.", WIRE_TYPE_A, T0 + 10, out, sizeof out, NULL);
    ok(n == plain.len && WIRE_ANCOUNT(out) == 1, "forms: a client without DO gets the plain form");
    ok(do_lookup(c, "www.example.com.", T0 + 10, &sig) == dnssec.len && sig,
       "forms: a DO client gets the DNSSEC form");
    is_int(ttl_in(out, n, LDNS_SECTION_ANSWER, 0), 290, "forms: TTLs counted down (plain)");
    n = cache_lookup_do(c, key_of("www.example.com.").name,
                        key_of("www.example.com.").len, WIRE_TYPE_A, WIRE_CLASS_IN, T0 + 10, out,
                        sizeof out, NULL);
    ok(n == dnssec.len && ttl_in(out, n, LDNS_SECTION_ANSWER, 1) == 290,
       "forms: cache_lookup_do, the RRSIG's TTL counted down too");

    /* walk (dump): the plain form only, saying there is another */
    struct walk_seen w = { 0, 0, 0, 0, -1, 0 };
    is_int(cache_walk(c, T0, walk_cb, &w), 1, "forms: walk sees the plain entry only");
    ok(w.dnssec_forms == 1, "forms: ... told that DO clients get another form");

    /* a new answer without DNSSEC records: the old DNSSEC form goes, DO clients get plain */
    is_int(store(c, "www.example.com.", WIRE_TYPE_A, plain, T0 + 20), 0, "forms: replaced by one form");
    is_int(cache_entries(c), 1, "forms: one entry left");
    ok(do_lookup(c, "www.example.com.", T0 + 20, &sig) == plain.len && !sig,
       "forms: a DO client now gets the plain form (it has nothing else)");

    /* the DNSSEC records are lost (a dump, a synthesised entry): DO clients miss */
    is_int(store_forms(c, "www.example.com.", plain, CACHE_DO_MISSING, none, T0 + 30), 0,
           "forms: plain only, DNSSEC form missing");
    ok(do_lookup(c, "www.example.com.", T0 + 30, &sig) == 0, "forms: ... a DO client misses");
    ok(present(c, "www.example.com.", WIRE_TYPE_A, T0 + 30), "forms: ... a plain client hits");

    /* the DNSSEC form alone refused (not a cacheable message): DO clients miss */
    struct msg broken = { dnssec.wire, dnssec.len - 2 };
    is_int(store_forms(c, "www.example.com.", plain, CACHE_DO_OWN, broken, T0 + 40), 0,
           "forms: the DNSSEC form refused alone");
    ok(do_lookup(c, "www.example.com.", T0 + 40, &sig) == 0, "forms: ... a DO client misses");
    is_int(cache_entries(c), 1, "forms: ... only the plain entry is there");

    /* an uncacheable answer stores neither form */
    struct msg sf = build("x.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, NULL, NULL, NULL);
    is_int(store_forms(c, "x.example.com.", sf, CACHE_DO_OWN, dnssec, T0), -1,
           "forms: SERVFAIL: nothing stored");
    ok(do_lookup(c, "x.example.com.", T0, &sig) == 0, "forms: ... not even the DNSSEC form");

    /* flush NAME takes both forms */
    store_forms(c, "www.example.com.", plain, CACHE_DO_OWN, dnssec, T0 + 50);
    struct key k = key_of("www.example.com.");
    is_int(cache_flush_name(c, k.name, k.len), 2, "forms: flush NAME removes both forms");

#ifdef HAVE_MALLOC_HOOKS
    /* the DO hit is the fast path: a copy and patches, no allocation */
    store_forms(c, "www.example.com.", plain, CACHE_DO_OWN, dnssec, T0);
    struct cache_hit hit;
    k = key_of("www.example.com.");         /* (ldns allocates the key) */
    __sanitizer_install_malloc_and_free_hooks(count_malloc, ignore_free);
    mallocs = 0;
    size_t n_do = cache_lookup_client(c, k.name, k.len, WIRE_TYPE_A, WIRE_CLASS_IN, true, T0 + 1,
                                      out, sizeof out, &hit);
    long do_mallocs = mallocs;
    sig = WIRE_ANCOUNT(out) == 2;
    mallocs = 0;
    size_t n_plain = cache_lookup_client(c, k.name, k.len, WIRE_TYPE_A, WIRE_CLASS_IN, false,
                                         T0 + 1, out, sizeof out, &hit);
    long plain_mallocs = mallocs;
    __sanitizer_install_malloc_and_free_hooks(NULL, NULL);
    ok(n_do > 0 && sig && do_mallocs == 0, "forms: a DO hit allocates nothing (%ld)", do_mallocs);
    ok(n_plain > 0 && plain_mallocs == 0, "forms: a plain hit allocates nothing (%ld)", plain_mallocs);
#endif
    free(sf.wire);
    free(plain.wire);
    free(dnssec.wire);
    cache_free(c);
}

static void test_forms_stale(void)
{
    struct cache_limits limits = default_limits;
    limits.stale_max_age = 3600;
    struct cache *c = new_cache(&limits);
    struct msg plain = build_a("www.example.com.", 100);
    struct msg dnssec = build_signed_a("www.example.com.", 100);
    uint8_t out[WIRE_MAX_UDP];
    struct key k = key_of("www.example.com.");
    struct cache_hit hit;
    time_t exp = T0 + 100;

    store_forms(c, "www.example.com.", plain, CACHE_DO_OWN, dnssec, T0);
    size_t n = cache_lookup_stale(c, k.name, k.len, WIRE_TYPE_A, WIRE_CLASS_IN, true, exp + 1,
                                  out, sizeof out, NULL);
    ok(n == dnssec.len && WIRE_ANCOUNT(out) == 2, "forms stale: a DO client's stale copy is its form");
    n = cache_lookup_stale(c, k.name, k.len, WIRE_TYPE_A, WIRE_CLASS_IN, false, exp + 1, out,
                           sizeof out, NULL);
    ok(n == plain.len && WIRE_ANCOUNT(out) == 1, "forms stale: ... a plain client's the plain one");
    cache_stale_backoff(c, k.name, k.len, WIRE_TYPE_A, WIRE_CLASS_IN, exp + 1);
    n = cache_lookup_client(c, k.name, k.len, WIRE_TYPE_A, WIRE_CLASS_IN, true, exp + 2, out,
                            sizeof out, &hit);
    ok(n == dnssec.len && hit.stale, "forms stale: the back-off holds for the DNSSEC form");
    n = cache_lookup_client(c, k.name, k.len, WIRE_TYPE_A, WIRE_CLASS_IN, false, exp + 2, out,
                            sizeof out, &hit);
    ok(n == plain.len && hit.stale, "forms stale: ... and for the plain one");
    free(plain.wire);
    free(dnssec.wire);
    cache_free(c);
}

int main(void)
{
    test_positive();
    test_countdown_and_expiry();
    test_key();
    test_replace();
    test_clamps();
    test_negative();
    test_refused();
    test_eviction();
    test_many();
    test_flush_name();
    test_flush_if();
    test_walk();
    test_prefetch();
    test_stale_kept();
    test_stale_backoff();
    test_stale_evicted();
    test_forms();
    test_forms_stale();
    return done_testing();
}
