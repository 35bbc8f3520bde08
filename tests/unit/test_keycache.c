/* test_keycache.c -- unit tests for resolver/keycache.c: good, insecure and bad entries,
 * the closest entry above a name, TTL countdown and expiry, replacement, flush-bogus,
 * and the byte budget. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "ede.h"
#include "keycache.h"
#include "tap.h"
#include "ldns_test.h"

static struct keycache *kc;

static void store(const char *zone, enum key_state st, const ldns_rr_list *keys, uint32_t ttl,
                  time_t now)
{
    uint8_t k[WIRE_MAX_NAME];
    size_t len;
    if (dname_key_from_text(zone, k, &len) != 0 ||
        keycache_store(kc, k, len, st, keys, ttl, st == KEY_BAD ? EDE_DNSSEC_BOGUS : EDE_NONE,
                       st == KEY_BAD ? "signature expired" : NULL, now) != 0)
        diag("store %s failed", zone);
}

static struct key_info closest(const char *name, time_t now)
{
    uint8_t k[WIRE_MAX_NAME];
    size_t len;
    struct key_info info;
    dname_key_from_text(name, k, &len);
    keycache_closest(kc, k, len, now, &info);
    return info;
}

static void release(struct key_info *i)
{
    ldns_rr_list_deep_free(i->keys);
    i->keys = NULL;
}

int main(void)
{
    ldns_rr_list *keys = ldns_rr_list_new();
    ldns_rr_list_push_rr(keys, rr("Example.TEST. 3600 IN DNSKEY 257 3 13 "
                                  "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="));
    kc = keycache_new(1 << 20);
    ok(kc != NULL, "a key cache");

    struct key_info i = closest("www.example.test.", 1000);
    is_int(i.state, KEY_NONE, "empty: nothing for www.example.test");
    store("example.test.", KEY_GOOD, keys, 600, 1000);
    store("test.", KEY_GOOD, keys, 600, 1000);
    store("broken.example.test.", KEY_BAD, NULL, 60, 1000);
    store("plain.example.test.", KEY_INSECURE, NULL, 300, 1000);
    is_int(keycache_entries(kc), 4, "four zones stored");

    i = closest("a.b.WWW.example.test.", 1100);
    ok(i.state == KEY_GOOD && i.keys && ldns_rr_list_rr_count(i.keys) == 1,
       "a.b.www.example.test: the good key set of the closest zone");
    is_int(i.zone_len, 14, "... example.test (14 octets)");
    is_int(i.ttl_left, 500, "... with 500 s of its 600 left");
    ok(i.keys && ldns_rr_ttl(ldns_rr_list_rr(i.keys, 0)) == 500, "... and so do the keys handed out");
    char *owner = i.keys ? ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(i.keys, 0))) : NULL;
    is_str(owner ? owner : "", "example.test.", "... in canonical (lower) case");
    free(owner);
    release(&i);

    i = closest("x.broken.example.test.", 1010);
    ok(i.state == KEY_BAD && i.ede == EDE_DNSSEC_BOGUS && strcmp(i.why, "signature expired") == 0,
       "below a bad zone: bad, with its reason (%s)", i.why);
    i = closest("x.plain.example.test.", 1010);
    is_int(i.state, KEY_INSECURE, "below an insecure zone: insecure");
    ok(i.keys == NULL, "... with no keys");

    i = closest("x.broken.example.test.", 1060);
    ok(i.state == KEY_GOOD && i.zone_len == 14, "once the bad entry expires, the zone above answers");
    release(&i);
    is_int(keycache_entries(kc), 3, "... and the expired entry is gone");

    store("example.test.", KEY_INSECURE, NULL, 100, 1200);
    i = closest("www.example.test.", 1200);
    is_int(i.state, KEY_INSECURE, "a store replaces what the zone had");
    i = closest("other.", 1200);
    is_int(i.state, KEY_NONE, "nothing cached above other.");

    store("bad1.test.", KEY_BAD, NULL, 60, 1200);
    store("bad2.test.", KEY_BAD, NULL, 60, 1200);
    is_int(keycache_flush_bad(kc), 2, "flush-bogus drops the two bad entries");
    i = closest("x.bad1.test.", 1200);
    ok(i.state == KEY_GOOD, "... leaving the good zone above");
    release(&i);
    is_int(keycache_flush_all(kc), 3, "flush drops the rest");
    keycache_free(kc);

    kc = keycache_new(8 * 1024);
    char name[32];
    for (int n = 0; n < 200; n++) {
        snprintf(name, sizeof name, "z%d.test.", n);
        store(name, KEY_GOOD, keys, 600, 1000);
    }
    ok(keycache_entries(kc) > 0 && keycache_entries(kc) < 200,
       "an 8 KiB budget keeps some of 200 key sets (%zu)", keycache_entries(kc));
    i = closest("www.z199.test.", 1000);
    ok(i.state == KEY_GOOD, "... the most recent among them");
    release(&i);
    keycache_free(kc);
    ldns_rr_list_deep_free(keys);
    return done_testing();
}
