/* test_cachedbval.c -- unit tests for resolver/cachedbval.c: the shared cache's keys (keyed,
 * per question, prefix kept) and values (round trip, aging, expiry, flush generation, TTL
 * cap, and refusal of every truncation, a wrong question, a wrong rcode, bad magic, times
 * that make no sense). Messages are built with ldns. */
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "cachedbval.h"
#include "tap.h"
#include "wire.h"

#define NOW 1700000000

static const uint8_t www[] = "\3www\7example\4test";     /* with its root octet: 18 */

/* A response for www.example.test A with one A record of TTL ttl, rcode as given. */
static size_t make_answer(uint8_t *out, size_t cap, uint32_t ttl, int rcode)
{
    ldns_pkt *p = ldns_pkt_new();
    ldns_rr *q = NULL, *a = NULL;
    uint8_t *wire = NULL;
    size_t len = 0;

    ldns_rr_new_question_frm_str(&q, "www.example.test. IN A", NULL, NULL);
    char text[128];
    snprintf(text, sizeof text, "www.example.test. %u IN A 192.0.2.1", ttl);
    ldns_rr_new_frm_str(&a, text, 0, NULL, NULL);
    ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
    if (rcode == 0)
        ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, a);
    else
        ldns_rr_free(a);
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_rcode(p, (uint8_t)rcode);
    if (ldns_pkt2wire(&wire, p, &len) != LDNS_STATUS_OK || len > cap)
        len = 0;
    else
        memcpy(out, wire, len);
    free(wire);
    ldns_pkt_free(p);
    return len;
}

static enum cachedb_value_verdict check(const uint8_t *val, size_t len, uint64_t gen, time_t now,
                                        uint32_t max_ttl, uint8_t *out, size_t *out_len)
{
    return cachedb_value_check(val, len, www, sizeof www, 1, 1, gen, now, max_ttl, out, 4096,
                               out_len);
}

static uint32_t first_ttl(const uint8_t *msg, size_t len)
{
    struct wire_rr rr;
    size_t pos = wire_skip_question(msg, len);
    return pos && wire_parse_rr(msg, len, pos, &rr) ? rr.ttl : 0;
}

static void test_keys(void)
{
    char a[CACHEDB_KEY_MAX], b[CACHEDB_KEY_MAX];

    size_t n = cachedb_key("secret-1", "p:", www, sizeof www, 1, 1, 0, a);
    is_int(n, 2 + 32, "a key is the prefix and 32 hex digits");
    ok(strncmp(a, "p:", 2) == 0, "... starting with the prefix");
    cachedb_key("secret-1", "p:", www, sizeof www, 1, 1, 0, b);
    ok(strcmp(a, b) == 0, "the same question, the same key");
    cachedb_key("secret-1", "p:", www, sizeof www, 28, 1, 0, b);
    ok(strcmp(a, b) != 0, "another type, another key");
    cachedb_key("secret-1", "p:", www, sizeof www, 1, 1, 1, b);
    ok(strcmp(a, b) != 0, "DO set, another key");
    cachedb_key("secret-2", "p:", www, sizeof www, 1, 1, 0, b);
    ok(strcmp(a + 2, b + 2) != 0, "another secret, another key");
    cachedb_name_key("secret-1", "p:", www, sizeof www, b);
    ok(strcmp(a, b) != 0 && strlen(b) == 34, "a name's key set has a key of its own");
    cachedb_key_label("secret-1", "p:", "generation", b);
    ok(strcmp(a, b) != 0 && strlen(b) == 34, "the generation key is hashed too");
}

static void test_round_trip(void)
{
    uint8_t msg[512], val[1024], out[4096];
    size_t len = make_answer(msg, sizeof msg, 300, 0), out_len = 0, n;
    uint32_t ttl = 0;

    ok(len > 0, "an answer built");
    n = cachedb_value_build(msg, len, 7, NOW, val, sizeof val, &ttl);
    is_int(n, CACHEDB_VALUE_HEADER + len, "a value is the header and the message");
    is_int(ttl, 300, "... living as long as its smallest TTL");
    is_int(check(val, n, 7, NOW, 86400, out, &out_len), CACHEDB_VALUE_OK, "read back at once: OK");
    ok(out_len == len && memcmp(out, msg, len) == 0, "... the same message");
    is_int(check(val, n, 7, NOW + 100, 86400, out, &out_len), CACHEDB_VALUE_OK, "100 s later: OK");
    is_int(first_ttl(out, out_len), 200, "... the TTL aged by 100 s");
    is_int(check(val, n, 7, NOW + 10, 60, out, &out_len), CACHEDB_VALUE_OK, "max-ttl 60: OK");
    is_int(first_ttl(out, out_len), 50, "... the TTL capped at 60, then aged");
    is_int(check(val, n, 7, NOW + 300, 86400, out, &out_len), CACHEDB_VALUE_STALE, "expired: stale");
    is_int(check(val, n, 8, NOW, 86400, out, &out_len), CACHEDB_VALUE_STALE,
       "a newer flush generation: stale");
    is_int(check(val, n, 7, NOW + 70, 60, out, &out_len), CACHEDB_VALUE_STALE,
       "a record past its capped TTL: stale");
    is_int(cachedb_value_check(val, n, www, sizeof www, 28, 1, 7, NOW, 86400, out, 4096, &out_len),
       CACHEDB_VALUE_BAD, "another question's value: refused");
    int bad = 0;
    for (size_t cut = 0; cut < n; cut++)
        bad += check(val, cut, 7, NOW, 86400, out, &out_len) != CACHEDB_VALUE_BAD;
    is_int(bad, 0, "every truncation is refused");
    val[0] = 'X';
    is_int(check(val, n, 7, NOW, 86400, out, &out_len), CACHEDB_VALUE_BAD, "bad magic: refused");
    val[0] = 'R';
    is_int(check(val, n, 7, NOW - 3600, 86400, out, &out_len), CACHEDB_VALUE_BAD,
       "stored an hour in the future: refused");
    val[CACHEDB_VALUE_HEADER + 3] = 2;      /* SERVFAIL */
    is_int(check(val, n, 7, NOW, 86400, out, &out_len), CACHEDB_VALUE_BAD, "SERVFAIL: refused");
}

static void test_negative(void)
{
    uint8_t msg[512], val[1024], out[4096];
    size_t len = make_answer(msg, sizeof msg, 300, 3), out_len;

    uint32_t ttl;
    is_int(cachedb_value_build(msg, len, 0, NOW, val, sizeof val, &ttl), 0,
       "an NXDOMAIN without records has no lifetime: not stored");
    memcpy(val, "RDB1", 4);
    memset(val + 4, 0, 24);
    val[19] = 1;                            /* stored at 1 ... */
    val[27] = 100;                          /* ... expires at 100: long ago */
    memcpy(val + CACHEDB_VALUE_HEADER, msg, len);
    is_int(check(val, CACHEDB_VALUE_HEADER + len, 0, 50, 86400, out, &out_len), CACHEDB_VALUE_BAD,
       "an NXDOMAIN without its SOA: refused");
}

int main(void)
{
    test_keys();
    test_round_trip();
    test_negative();
    return done_testing();
}
