/* test_mesh.c -- unit tests for resolver/mesh.c's choice of what each waiter of a
 * resolution gets (mesh_answer_for): its form (DNSSEC records for DO clients only), and
 * for a bogus answer the data for CD clients only, SERVFAIL for the others. */
#include <string.h>

#include "mesh.h"
#include "resolve.h"
#include "tap.h"
#include "wire.h"

static const uint8_t plain[] = "plain", dnssec[] = "dnssec";

static struct wire_query client(bool dnssec_ok, bool cd)
{
    struct wire_query q;

    memset(&q, 0, sizeof q);
    q.has_edns = dnssec_ok;
    q.edns_do = dnssec_ok;
    q.flags_lo = cd ? 0x10 : 0x00;
    return q;
}

static const char *got(const struct resolve_answer *ans, bool dnssec_ok, bool cd)
{
    struct wire_query q = client(dnssec_ok, cd);
    size_t len = 0;
    const uint8_t *m = mesh_answer_for(ans, &q, &len);

    if (!m)
        return "SERVFAIL";
    if (m == plain && len == sizeof plain)
        return "plain";
    if (m == dnssec && len == sizeof dnssec)
        return "dnssec";
    return "?";
}

int main(void)
{
    struct resolve_answer ans = { .msg = plain, .len = sizeof plain, .dnssec_msg = dnssec,
                                  .dnssec_len = sizeof dnssec, .source = "forward" };

    is_str(got(&ans, false, false), "plain", "a client without DO gets the plain form");
    is_str(got(&ans, true, false), "dnssec", "a DO client gets the DNSSEC form");
    is_str(got(&ans, false, true), "plain", "a CD client without DO: plain");
    is_str(got(&ans, true, true), "dnssec", "a CD client with DO: DNSSEC form");

    ans.bogus = true;
    ans.why = (struct resolve_reason){ 6, "signature does not verify" };
    is_str(got(&ans, false, false), "SERVFAIL", "bogus: a client without CD gets SERVFAIL");
    is_str(got(&ans, true, false), "SERVFAIL", "bogus: a DO client without CD too");
    is_str(got(&ans, false, true), "plain", "bogus: a CD client gets the data (plain)");
    is_str(got(&ans, true, true), "dnssec", "bogus: a CD+DO client gets the data with its RRSIGs");

    struct resolve_answer failed = { .msg = NULL, .source = "forward" };
    is_str(got(&failed, true, true), "SERVFAIL", "no answer: SERVFAIL for everyone");
    is_str(got(NULL, false, false), "SERVFAIL", "a dropped job: SERVFAIL");

    struct resolve_answer old = { .msg = plain, .len = sizeof plain, .source = "forward" };
    is_str(got(&old, true, false), "plain", "no DNSSEC form given: a DO client gets plain");
    return done_testing();
}
