/* fuzz_cachedb.c -- libFuzzer target: values read from the shared cache (cachedbval.c).
 *
 * Input: the first octet picks the question (a name and type of a small fixed set, as
 * the seeds were written for) and the flush generation; the rest is the Redis value.
 * cachedb_value_check runs at a fixed time with a fixed max-ttl.
 *
 * Invariants: whatever the value, the check returns one of its three verdicts; an accepted
 * value yields a message no longer than the value's, whose question is the one asked, with
 * every TTL at most max-ttl and non-zero; that message written back (cachedb_value_build)
 * and read again is accepted and unchanged. */
#include "fuzz_common.h"
#include "cachedbval.h"

#define NOW     1700000000
#define MAX_TTL 3600

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static const struct { const uint8_t *name; size_t len; uint16_t type; } questions[] = {
    { (const uint8_t *)"\3www\7example\4test", 18, 1 },
    { (const uint8_t *)"\3www\7example\4test", 18, 28 },
    { (const uint8_t *)"\4mail\7example\4test", 19, 15 },
    { (const uint8_t *)"\7nothere\7example\4test", 22, 1 },
};

static bool ttls_capped(uint8_t *msg, size_t len)
{
    size_t pos = wire_skip_question(msg, len);
    unsigned count = (unsigned)WIRE_ANCOUNT(msg) + WIRE_NSCOUNT(msg) + WIRE_ARCOUNT(msg);
    struct wire_rr rr;

    for (unsigned i = 0; pos && i < count; i++)
        if (!(pos = wire_parse_rr(msg, len, pos, &rr)) || rr.ttl == 0 || rr.ttl > MAX_TTL)
            return false;
    return pos == len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[WIRE_MAX_UDP], again[WIRE_MAX_UDP], val[WIRE_MAX_UDP + 64];
    size_t len = 0, len2 = 0;
    uint32_t ttl = 0;

    if (size < 1)
        return 0;
    unsigned pick = data[0] % 4;
    uint64_t gen = data[0] >> 4;
    enum cachedb_value_verdict v =
        cachedb_value_check(data + 1, size - 1, questions[pick].name, questions[pick].len,
                            questions[pick].type, 1, gen, NOW, MAX_TTL, out, sizeof out, &len);
    FUZZ_CHECK(v == CACHEDB_VALUE_OK || v == CACHEDB_VALUE_STALE || v == CACHEDB_VALUE_BAD);
    if (v != CACHEDB_VALUE_OK)
        return 0;
    FUZZ_CHECK(len + CACHEDB_VALUE_HEADER <= size - 1);
    FUZZ_CHECK(wire_response_matches(out, len, questions[pick].name, questions[pick].len,
                                     questions[pick].type, 1));
    FUZZ_CHECK(ttls_capped(out, len));
    size_t n = cachedb_value_build(out, len, gen, NOW, val, sizeof val, &ttl);
    FUZZ_CHECK(n == CACHEDB_VALUE_HEADER + len && ttl > 0 && ttl <= MAX_TTL);
    v = cachedb_value_check(val, n, questions[pick].name, questions[pick].len,
                            questions[pick].type, 1, gen, NOW, MAX_TTL, again, sizeof again,
                            &len2);
    FUZZ_CHECK(v == CACHEDB_VALUE_OK && len2 == len && memcmp(again, out, len) == 0);
    return 0;
}
