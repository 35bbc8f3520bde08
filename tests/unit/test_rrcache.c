/* test_rrcache.c -- unit tests for resolver/rrcache.c: storing and looking up RRsets,
 * the key (case-insensitive owner, type, class), TTL countdown, expiry and the max-ttl cap,
 * the trust predicate (RFC 2181 5.4.1), LRU eviction within the byte budget, flushing, and
 * what is refused. RRsets are built with ldns from presentation form. */
#include <ldns/ldns.h>
#include <stdlib.h>

#include "rrcache.h"
#include "tap.h"

#define T0 ((time_t)1700000000)
#define BIG (1u << 20)

/* A list of the given RRs (NULL-terminated, presentation form). Exits on failure: the
 * tests cannot go on. */
static ldns_rr_list *rrs(const char *const *texts)
{
    ldns_rr_list *list = ldns_rr_list_new();

    if (!list)
        exit(2);
    for (; *texts; texts++) {
        ldns_rr *rr = NULL;
        if (ldns_rr_new_frm_str(&rr, *texts, 0, NULL, NULL) != LDNS_STATUS_OK) {
            diag("cannot parse RR: %s", *texts);
            exit(2);
        }
        if (!ldns_rr_list_push_rr(list, rr))
            exit(2);
    }
    return list;
}

#define RRS(...) rrs((const char *const[]){ __VA_ARGS__, NULL })

static ldns_rdf *dname(const char *name)
{
    ldns_rdf *d = ldns_dname_new_frm_str(name);

    if (!d)
        exit(2);
    return d;
}

/* Stores the RRs and frees the caller's list, so every test also checks that the cache
 * kept a copy of its own. */
static int store(struct rrcache *c, ldns_rr_list *list, enum rr_trust trust, time_t now)
{
    int r = rrcache_store(c, list, trust, now);

    ldns_rr_list_deep_free(list);
    return r;
}

static ldns_rr_list *lookup(struct rrcache *c, const char *name, ldns_rr_type type,
                            ldns_rr_class rclass, time_t now, enum rr_trust *trust)
{
    ldns_rdf *owner = dname(name);
    ldns_rr_list *found = rrcache_lookup(c, owner, type, rclass, now, trust);

    ldns_rdf_deep_free(owner);
    return found;
}

/* The TTL a lookup hands out (of the first RR; all must agree), or -1 on a miss or a
 * disagreement. */
static long long lookup_ttl(struct rrcache *c, const char *name, ldns_rr_type type,
                            time_t now)
{
    ldns_rr_list *found = lookup(c, name, type, LDNS_RR_CLASS_IN, now, NULL);
    long long ttl;

    if (!found)
        return -1;
    ttl = ldns_rr_ttl(ldns_rr_list_rr(found, 0));
    for (size_t i = 1; i < ldns_rr_list_rr_count(found); i++)
        if (ldns_rr_ttl(ldns_rr_list_rr(found, i)) != ttl)
            ttl = -1;
    ldns_rr_list_deep_free(found);
    return ttl;
}

static bool present(struct rrcache *c, const char *name, ldns_rr_type type, time_t now)
{
    return lookup_ttl(c, name, type, now) >= 0;
}

/* The rdata of RR i in presentation form, in a static buffer (tests only). */
static const char *rdata_str(const ldns_rr_list *list, size_t i)
{
    static char buf[256];
    char *s;

    if (!list || i >= ldns_rr_list_rr_count(list))
        return NULL;
    s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(list, i), 0));
    snprintf(buf, sizeof buf, "%s", s ? s : "");
    free(s);
    return buf;
}

static const char *owner_str(const ldns_rr_list *list)
{
    static char buf[256];
    char *s;

    if (!list || ldns_rr_list_rr_count(list) == 0)
        return NULL;
    s = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(list, 0)));
    snprintf(buf, sizeof buf, "%s", s ? s : "");
    free(s);
    return buf;
}

static void test_store_lookup(void)
{
    struct rrcache *c = rrcache_new(BIG, 86400);
    enum rr_trust trust = 0;
    ldns_rr_list *found;

    is_int(store(c, RRS("www.example.com. 300 IN A 192.0.2.1",
                        "www.example.com. 300 IN A 192.0.2.2"), RR_TRUST_ANSWER, T0), 0,
           "store: an A RRset is stored");
    is_int(rrcache_entries(c), 1, "store: one entry");
    ok(rrcache_bytes(c) > 0, "store: bytes counted");
    found = lookup(c, "www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, T0, &trust);
    ok(found != NULL, "lookup: hit");
    is_int(found ? ldns_rr_list_rr_count(found) : 0, 2, "lookup: both RRs");
    is_str(rdata_str(found, 0), "192.0.2.1", "lookup: first address");
    is_str(rdata_str(found, 1), "192.0.2.2", "lookup: second address");
    is_int(trust, RR_TRUST_ANSWER, "lookup: trust reported");
    ldns_rr_list_deep_free(found);
    ok(lookup(c, "example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, T0, NULL) == NULL,
       "lookup: another name misses");
    found = lookup(c, "www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, T0, NULL);
    ok(found != NULL, "lookup: the trust pointer may be NULL");
    ldns_rr_list_deep_free(found);
    rrcache_free(c);
}

static void test_case_insensitive(void)
{
    struct rrcache *c = rrcache_new(BIG, 86400);
    ldns_rr_list *found;

    store(c, RRS("WwW.ExAmPlE.CoM. 300 IN NS NS1.eXample.COM."), RR_TRUST_AUTHORITY, T0);
    found = lookup(c, "www.example.com.", LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN, T0, NULL);
    ok(found != NULL, "case: stored mixed case, found lower case");
    is_str(owner_str(found), "www.example.com.", "case: owner handed out lower-cased");
    is_str(rdata_str(found, 0), "ns1.example.com.", "case: NS target lower-cased (no 0x20)");
    ldns_rr_list_deep_free(found);
    ok(present(c, "WWW.EXAMPLE.COM.", LDNS_RR_TYPE_NS, T0), "case: upper-case lookup hits");
    is_int(store(c, RRS("www.example.com. 300 IN NS ns2.example.com."), RR_TRUST_AUTHORITY,
                 T0), 0, "case: same owner in other case replaces");
    is_int(rrcache_entries(c), 1, "case: still one entry");
    is_int(store(c, RRS("www.example.com. 300 IN A 192.0.2.1",
                        "WWW.example.com. 300 IN A 192.0.2.2"), RR_TRUST_ANSWER, T0), 0,
           "case: one RRset may mix the owner's case");
    rrcache_free(c);
}

static void test_key_parts(void)
{
    struct rrcache *c = rrcache_new(BIG, 86400);
    ldns_rr_list *found;

    store(c, RRS("host.example. 300 IN A 192.0.2.1"), RR_TRUST_ANSWER, T0);
    ok(!present(c, "host.example.", LDNS_RR_TYPE_AAAA, T0), "key: other type misses");
    ok(lookup(c, "host.example.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_CH, T0, NULL) == NULL,
       "key: other class misses");
    store(c, RRS("host.example. 300 IN AAAA 2001:db8::1"), RR_TRUST_ANSWER, T0);
    store(c, RRS("host.example. 300 CH A 192.0.2.9"), RR_TRUST_ANSWER, T0);
    is_int(rrcache_entries(c), 3, "key: A IN, AAAA IN and A CH are three entries");
    found = lookup(c, "host.example.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_CH, T0, NULL);
    is_str(rdata_str(found, 0), "192.0.2.9", "key: class CH has its own data");
    ldns_rr_list_deep_free(found);
    found = lookup(c, "host.example.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, T0, NULL);
    is_str(rdata_str(found, 0), "192.0.2.1", "key: class IN untouched");
    ldns_rr_list_deep_free(found);
    rrcache_free(c);
}

static void test_ttl(void)
{
    struct rrcache *c = rrcache_new(BIG, 86400);

    store(c, RRS("a.example. 300 IN A 192.0.2.1"), RR_TRUST_ANSWER, T0);
    is_int(lookup_ttl(c, "a.example.", LDNS_RR_TYPE_A, T0), 300, "ttl: full at first");
    is_int(lookup_ttl(c, "a.example.", LDNS_RR_TYPE_A, T0 + 100), 200, "ttl: counts down");
    is_int(lookup_ttl(c, "a.example.", LDNS_RR_TYPE_A, T0 + 299), 1, "ttl: one second left");
    is_int(lookup_ttl(c, "a.example.", LDNS_RR_TYPE_A, T0 - 50), 300,
           "ttl: a clock that went back counts as no time");
    is_int(lookup_ttl(c, "a.example.", LDNS_RR_TYPE_A, T0 + 300), -1, "ttl: expired at 300");
    is_int(rrcache_entries(c), 0, "ttl: expired entry removed by the lookup");
    is_int(rrcache_bytes(c), 0, "ttl: and its bytes");

    store(c, RRS("b.example. 300 IN A 192.0.2.1", "b.example. 100 IN A 192.0.2.2"),
          RR_TRUST_ANSWER, T0);
    is_int(lookup_ttl(c, "b.example.", LDNS_RR_TYPE_A, T0 + 10), 90,
           "ttl: the RRset lives by its smallest TTL, every RR shows it");
    ok(!present(c, "b.example.", LDNS_RR_TYPE_A, T0 + 100), "ttl: gone after the smallest");

    is_int(store(c, RRS("z.example. 0 IN A 192.0.2.1"), RR_TRUST_ANSWER, T0), -1,
           "ttl: TTL 0 is not stored");
    is_int(store(c, RRS("z.example. 2147483648 IN A 192.0.2.1"), RR_TRUST_ANSWER, T0), -1,
           "ttl: top bit set counts as 0 (RFC 2181 8)");
    is_int(rrcache_entries(c), 0, "ttl: nothing stored for them");
    rrcache_free(c);
}

static void test_max_ttl(void)
{
    struct rrcache *c = rrcache_new(BIG, 3600);

    store(c, RRS("long.example. 86400 IN NS ns.long.example."), RR_TRUST_AUTHORITY, T0);
    is_int(lookup_ttl(c, "long.example.", LDNS_RR_TYPE_NS, T0), 3600, "max-ttl: capped");
    ok(!present(c, "long.example.", LDNS_RR_TYPE_NS, T0 + 3600), "max-ttl: expires at cap");
    rrcache_set_limits(c, BIG, 60);
    store(c, RRS("long.example. 86400 IN NS ns.long.example."), RR_TRUST_AUTHORITY, T0);
    is_int(lookup_ttl(c, "long.example.", LDNS_RR_TYPE_NS, T0), 60,
           "max-ttl: new limit applies to new stores");
    rrcache_free(c);
}

static void test_trust(void)
{
    struct rrcache *c = rrcache_new(BIG, 86400);
    enum rr_trust trust = 0;
    ldns_rr_list *found;

    store(c, RRS("example.com. 3600 IN NS ns1.example.com."), RR_TRUST_AUTHORITY, T0);
    is_int(store(c, RRS("example.com. 3600 IN NS bogus.example.net."), RR_TRUST_GLUE,
                 T0 + 10), 1, "trust: glue does not replace a live authority NS set");
    found = lookup(c, "example.com.", LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN, T0 + 10, &trust);
    is_str(rdata_str(found, 0), "ns1.example.com.", "trust: authority data kept");
    is_int(trust, RR_TRUST_AUTHORITY, "trust: still authority");
    ldns_rr_list_deep_free(found);

    is_int(store(c, RRS("example.com. 600 IN NS ns2.example.com."), RR_TRUST_AUTHORITY,
                 T0 + 20), 0, "trust: equal trust replaces (refresh)");
    is_int(lookup_ttl(c, "example.com.", LDNS_RR_TYPE_NS, T0 + 20), 600,
           "trust: refreshed TTL");
    is_int(store(c, RRS("example.com. 7200 IN NS ns3.example.com."), RR_TRUST_ANSWER,
                 T0 + 30), 0, "trust: answer replaces authority");
    found = lookup(c, "example.com.", LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN, T0 + 30, &trust);
    is_str(rdata_str(found, 0), "ns3.example.com.", "trust: answer data served");
    is_int(trust, RR_TRUST_ANSWER, "trust: now answer");
    ldns_rr_list_deep_free(found);
    is_int(store(c, RRS("example.com. 7200 IN NS ns4.example.com."), RR_TRUST_AUTHORITY,
                 T0 + 40), 1, "trust: authority does not replace a live answer");

    is_int(store(c, RRS("example.com. 300 IN NS ns5.example.com."), RR_TRUST_GLUE,
                 T0 + 30 + 7200), 0, "trust: anything replaces an expired entry");
    found = lookup(c, "example.com.", LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN, T0 + 7300, &trust);
    is_str(rdata_str(found, 0), "ns5.example.com.", "trust: glue data after expiry");
    is_int(trust, RR_TRUST_GLUE, "trust: now glue");
    ldns_rr_list_deep_free(found);
    is_int(rrcache_entries(c), 1, "trust: one entry throughout");
    is_int(store(c, RRS("x.example. 300 IN A 192.0.2.1"), (enum rr_trust)0, T0), -1,
           "trust: an unknown rank is refused");
    rrcache_free(c);
}

/* The cost of one entry as the cache counts it. */
static size_t cost_of(ldns_rr_list *list)
{
    struct rrcache *c = rrcache_new(BIG, 86400);
    size_t bytes;

    store(c, list, RR_TRUST_ANSWER, T0);
    bytes = rrcache_bytes(c);
    rrcache_free(c);
    return bytes;
}

static void store_numbered(struct rrcache *c, int i, time_t now)
{
    char text[100];

    snprintf(text, sizeof text, "n%02d.example. 300 IN A 192.0.2.%d", i, i);
    store(c, RRS(text), RR_TRUST_ANSWER, now);
}

static bool numbered_present(struct rrcache *c, int i, time_t now)
{
    char name[32];

    snprintf(name, sizeof name, "n%02d.example.", i);
    return present(c, name, LDNS_RR_TYPE_A, now);
}

static void test_eviction(void)
{
    size_t one = cost_of(RRS("n00.example. 300 IN A 192.0.2.0"));
    struct rrcache *c = rrcache_new(10 * one, 86400);
    bool within = true;

    ok(one > 0, "evict: one entry costs %zu bytes", one);
    for (int i = 0; i < 10; i++) {
        store_numbered(c, i, T0);
        within = within && rrcache_bytes(c) <= 10 * one;
    }
    is_int(rrcache_entries(c), 10, "evict: ten fit");
    ok(numbered_present(c, 0, T0), "evict: touch the oldest (n00)");
    for (int i = 10; i < 15; i++) {
        store_numbered(c, i, T0);
        within = within && rrcache_bytes(c) <= 10 * one;
    }
    ok(within, "evict: bytes <= max_bytes after every store");
    is_int(rrcache_entries(c), 10, "evict: still ten");
    ok(numbered_present(c, 0, T0), "evict: the recently used n00 survived");
    ok(!numbered_present(c, 1, T0) && !numbered_present(c, 5, T0),
       "evict: the least recently used (n01..n05) went");
    ok(numbered_present(c, 6, T0) && numbered_present(c, 14, T0), "evict: newer ones stay");

    rrcache_set_limits(c, 4 * one, 86400);
    ok(rrcache_bytes(c) <= 4 * one, "evict: shrinking the limit evicts");
    is_int(rrcache_entries(c), 4, "evict: down to four entries");
    ok(numbered_present(c, 0, T0) && numbered_present(c, 14, T0),
       "evict: the most recently used stayed");
    rrcache_flush_all(c);
    rrcache_set_limits(c, 8 * one, 86400);
    store_numbered(c, 1, T0);
    is_int(rrcache_entries(c), 1, "evict: an entry of exactly max_bytes / 8 is stored");
    rrcache_set_limits(c, 8 * one - 1, 86400);
    store_numbered(c, 2, T0);
    ok(!numbered_present(c, 2, T0), "evict: an entry above max_bytes / 8 is refused");
    rrcache_free(c);
}

static void test_many(void)
{
    struct rrcache *c = rrcache_new(BIG * 16, 86400);
    bool all = true;

    for (int i = 0; i < 2000; i++) {
        char text[100];
        snprintf(text, sizeof text, "h%d.example. %d IN A 192.0.2.1", i, 100 + i);
        store(c, RRS(text), RR_TRUST_ANSWER, T0);
    }
    is_int(rrcache_entries(c), 2000, "many: two thousand names (the table grows)");
    for (int i = 0; i < 2000; i++) {
        char name[32];
        snprintf(name, sizeof name, "H%d.EXAMPLE.", i);
        all = all && lookup_ttl(c, name, LDNS_RR_TYPE_A, T0) == 100 + i;
    }
    ok(all, "many: each found with its own TTL");
    rrcache_free(c);
}

static void test_flush(void)
{
    struct rrcache *c = rrcache_new(BIG, 86400);
    ldns_rdf *name = dname("EXAMPLE.com.");

    store(c, RRS("example.com. 300 IN A 192.0.2.1"), RR_TRUST_ANSWER, T0);
    store(c, RRS("example.com. 300 IN AAAA 2001:db8::1"), RR_TRUST_ANSWER, T0);
    store(c, RRS("example.com. 300 IN NS ns.example.com."), RR_TRUST_AUTHORITY, T0);
    store(c, RRS("www.example.com. 300 IN A 192.0.2.2"), RR_TRUST_ANSWER, T0);
    store(c, RRS("example.net. 300 IN A 192.0.2.3"), RR_TRUST_ANSWER, T0);
    is_int(rrcache_flush_name(c, ldns_rdf_data(name), ldns_rdf_size(name)), 3, "flush_name: all three types of the name");
    ok(!present(c, "example.com.", LDNS_RR_TYPE_NS, T0), "flush_name: NS gone");
    ok(present(c, "www.example.com.", LDNS_RR_TYPE_A, T0), "flush_name: names below stay");
    ok(present(c, "example.net.", LDNS_RR_TYPE_A, T0), "flush_name: other names stay");
    is_int(rrcache_flush_name(c, ldns_rdf_data(name), ldns_rdf_size(name)), 0, "flush_name: nothing left to flush");
    is_int(rrcache_flush_all(c), 2, "flush_all: counts what it removed");
    is_int(rrcache_entries(c), 0, "flush_all: empty");
    is_int(rrcache_bytes(c), 0, "flush_all: no bytes");
    ldns_rdf_deep_free(name);
    rrcache_free(c);
}

static void test_refused(void)
{
    struct rrcache *c = rrcache_new(BIG, 86400);
    ldns_rr_list *empty = ldns_rr_list_new();

    is_int(store(c, RRS("a.example. 300 IN A 192.0.2.1", "b.example. 300 IN A 192.0.2.2"),
                 RR_TRUST_ANSWER, T0), -1, "refused: mixed owners");
    is_int(store(c, RRS("a.example. 300 IN A 192.0.2.1", "a.example. 300 IN AAAA ::1"),
                 RR_TRUST_ANSWER, T0), -1, "refused: mixed types");
    is_int(store(c, RRS("a.example. 300 IN A 192.0.2.1", "a.example. 300 CH A 192.0.2.2"),
                 RR_TRUST_ANSWER, T0), -1, "refused: mixed classes");
    is_int(store(c, empty, RR_TRUST_ANSWER, T0), -1, "refused: empty list");
    is_int(rrcache_store(c, NULL, RR_TRUST_ANSWER, T0), -1, "refused: NULL list");
    is_int(rrcache_entries(c), 0, "refused: nothing stored");
    ok(rrcache_lookup(c, NULL, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, T0, NULL) == NULL,
       "refused: lookup of a NULL owner misses");
    rrcache_free(c);
    rrcache_free(NULL);
}

/* rrcache_flush_if: entries of one type (arg: the type, a uint16_t). */
static bool match_type(const uint8_t *name, size_t name_len, uint16_t type, uint16_t rclass,
                       void *arg)
{
    (void)name, (void)name_len, (void)rclass;
    return type == *(const uint16_t *)arg;
}

static void test_flush_if(void)
{
    struct rrcache *c = rrcache_new(BIG, 86400);
    uint16_t ns = LDNS_RR_TYPE_NS;

    store(c, RRS("example.com. 300 IN A 192.0.2.1"), RR_TRUST_ANSWER, T0);
    store(c, RRS("example.com. 300 IN NS ns.example.com."), RR_TRUST_AUTHORITY, T0);
    store(c, RRS("example.net. 300 IN NS ns.example.net."), RR_TRUST_AUTHORITY, T0);
    is_int(rrcache_flush_if(c, match_type, &ns), 2, "flush_if: both NS sets");
    ok(!present(c, "example.com.", LDNS_RR_TYPE_NS, T0), "flush_if: NS gone");
    ok(present(c, "example.com.", LDNS_RR_TYPE_A, T0), "flush_if: other types stay");
    is_int(rrcache_flush_if(c, match_type, &ns), 0, "flush_if: nothing more to flush");
    is_int(rrcache_entries(c), 1, "flush_if: one entry left");
    rrcache_free(c);
}

int main(void)
{
    test_store_lookup();
    test_case_insensitive();
    test_key_parts();
    test_ttl();
    test_max_ttl();
    test_trust();
    test_eviction();
    test_many();
    test_flush();
    test_flush_if();
    test_refused();
    return done_testing();
}
