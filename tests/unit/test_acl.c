/* test_acl.c -- unit tests for resolver/acl.c: rule parsing, longest-prefix decisions,
 * IPv6, IPv4-mapped clients, the loopback default and the deny-by-default answer. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "acl.h"
#include "tap.h"

/* A client address from a literal: IPv4 as sockaddr_in, anything else as sockaddr_in6. */
static struct sockaddr_storage client(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
    } else if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
    } else {
        diag("bad test address %s", text);
        abort();
    }
    return ss;
}

static bool allows(const struct acl *acl, const char *text)
{
    struct sockaddr_storage ss = client(text);
    return acl_allows(acl, (const struct sockaddr *)&ss);
}

static void add_rule(struct acl *acl, const char *cidr, bool allow)
{
    struct acl_rule rule;
    if (acl_parse_rule(cidr, allow, &rule) != 0 || acl_add(acl, &rule) != 0) {
        diag("cannot add rule %s", cidr);
        abort();
    }
}

static const char *net_text(const struct acl_rule *rule, char *buf, size_t size)
{
    return inet_ntop(rule->family, rule->net, buf, (socklen_t)size);
}

static void test_parse_good(void)
{
    struct acl_rule rule;
    char buf[INET6_ADDRSTRLEN];

    ok(acl_parse_rule("10.0.0.0/8", true, &rule) == 0, "10.0.0.0/8 parses");
    is_int(rule.family, AF_INET, "10.0.0.0/8 is IPv4");
    is_int(rule.prefix, 8, "10.0.0.0/8 has prefix 8");
    is_str(net_text(&rule, buf, sizeof buf), "10.0.0.0", "10.0.0.0/8 network");
    ok(rule.allow, "allow flag kept");

    ok(acl_parse_rule("192.0.2.1", false, &rule) == 0, "a bare IPv4 host parses");
    is_int(rule.prefix, 32, "a bare IPv4 host is a /32");
    ok(!rule.allow, "deny flag kept");

    ok(acl_parse_rule("::1", true, &rule) == 0, "::1 parses");
    is_int(rule.family, AF_INET6, "::1 is IPv6");
    is_int(rule.prefix, 128, "a bare IPv6 host is a /128");

    ok(acl_parse_rule("2001:db8::/32", true, &rule) == 0, "2001:db8::/32 parses");
    is_int(rule.prefix, 32, "2001:db8::/32 has prefix 32");
    is_str(net_text(&rule, buf, sizeof buf), "2001:db8::", "2001:db8::/32 network");

    ok(acl_parse_rule("10.1.2.3/8", true, &rule) == 0, "host bits set still parse");
    is_str(net_text(&rule, buf, sizeof buf), "10.0.0.0", "IPv4 host bits are cleared");
    ok(acl_parse_rule("192.168.255.255/20", true, &rule) == 0, "a /20 parses");
    is_str(net_text(&rule, buf, sizeof buf), "192.168.240.0", "bits cleared mid-byte");
    ok(acl_parse_rule("2001:db8:ffff:ffff::1/33", true, &rule) == 0, "an IPv6 /33 parses");
    is_str(net_text(&rule, buf, sizeof buf), "2001:db8:8000::", "IPv6 host bits cleared");
    ok(acl_parse_rule("0.0.0.0/0", true, &rule) == 0 && rule.prefix == 0, "/0 parses");

    ok(acl_parse_rule("::ffff:192.0.2.0/120", true, &rule) == 0, "an IPv4-mapped rule parses");
    is_int(rule.family, AF_INET, "an IPv4-mapped rule becomes IPv4");
    is_int(rule.prefix, 24, "an IPv4-mapped /120 becomes a /24");
    is_str(net_text(&rule, buf, sizeof buf), "192.0.2.0", "an IPv4-mapped rule's network");
}

static void test_parse_bad(void)
{
    static const char *const bad[] = {
        "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/ 8",
        "10.0.0.0/8 ", "10.0.0.0/8/8", "10.0.0.0/0008", "300.0.0.0/8", "10.0.0/8",
        "example.com", "", "/8", "2001:db8::/", "2001:db8:::/32", " 10.0.0.0/8",
        "1111:2222:3333:4444:5555:6666:7777:8888:9999/128",
    };
    struct acl_rule rule = { .prefix = 77 };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ok(acl_parse_rule(bad[i], true, &rule) == -1, "rejects '%s'", bad[i]);
    is_int(rule.prefix, 77, "a rejected rule leaves the output alone");
    ok(acl_parse_rule(NULL, true, &rule) == -1, "rejects NULL");
}

static void test_longest_prefix(void)
{
    struct acl acl = { 0 };

    add_rule(&acl, "10.0.0.0/8", true);
    add_rule(&acl, "10.1.0.0/16", false);
    ok(allows(&acl, "10.2.3.4"), "allow 10/8 + deny 10.1/16: 10.2.3.4 allowed");
    ok(!allows(&acl, "10.1.2.3"), "allow 10/8 + deny 10.1/16: 10.1.2.3 denied");
    acl_free(&acl);

    /* The other way round, and with the specific rule first: order must not matter. */
    add_rule(&acl, "10.1.0.0/16", true);
    add_rule(&acl, "10.0.0.0/8", false);
    ok(allows(&acl, "10.1.2.3"), "deny 10/8 + allow 10.1/16: 10.1.2.3 allowed");
    ok(!allows(&acl, "10.2.3.4"), "deny 10/8 + allow 10.1/16: 10.2.3.4 denied");
    ok(!allows(&acl, "11.1.2.3"), "outside both rules: denied");
    acl_free(&acl);

    add_rule(&acl, "192.0.2.0/24", true);
    add_rule(&acl, "192.0.2.128/25", false);
    add_rule(&acl, "192.0.2.130", true);
    ok(allows(&acl, "192.0.2.1"), "/24 allow, lower half");
    ok(!allows(&acl, "192.0.2.129"), "/25 deny beats /24 allow");
    ok(allows(&acl, "192.0.2.130"), "/32 allow beats /25 deny");
    acl_free(&acl);
}

static void test_ties_deny(void)
{
    struct acl acl = { 0 };

    add_rule(&acl, "10.0.0.0/8", true);
    add_rule(&acl, "10.0.0.0/8", false);
    ok(!allows(&acl, "10.0.0.1"), "equal prefixes, allow then deny: deny");
    acl_free(&acl);
    add_rule(&acl, "10.0.0.0/8", false);
    add_rule(&acl, "10.0.0.0/8", true);
    ok(!allows(&acl, "10.0.0.1"), "equal prefixes, deny then allow: deny");
    acl_free(&acl);
}

static void test_ipv6(void)
{
    struct acl acl = { 0 };

    add_rule(&acl, "2001:db8::/32", true);
    add_rule(&acl, "2001:db8:bad::/48", false);
    ok(allows(&acl, "2001:db8:1::5"), "IPv6 inside the /32 allowed");
    ok(!allows(&acl, "2001:db8:bad::5"), "IPv6 inside the denied /48 refused");
    ok(!allows(&acl, "2001:db9::1"), "IPv6 outside every rule denied");
    ok(!allows(&acl, "32.1.13.184"), "an IPv4 client never matches IPv6 rules");
    acl_free(&acl);

    add_rule(&acl, "2001:db8::/33", true);
    ok(allows(&acl, "2001:db8:7fff::1"), "IPv6 /33: first half allowed");
    ok(!allows(&acl, "2001:db8:8000::1"), "IPv6 /33: second half denied");
    acl_free(&acl);
}

static void test_mapped_ipv4(void)
{
    struct acl acl = { 0 };

    add_rule(&acl, "192.0.2.0/24", true);
    ok(allows(&acl, "::ffff:192.0.2.7"), "a mapped client matches an IPv4 allow");
    ok(!allows(&acl, "::ffff:198.51.100.1"), "a mapped client outside it is denied");
    acl_free(&acl);

    add_rule(&acl, "::/0", true);
    ok(!allows(&acl, "::ffff:192.0.2.7"), "a mapped client is not matched by IPv6 ::/0");
    ok(allows(&acl, "2001:db8::1"), "::/0 allows real IPv6");
    acl_free(&acl);

    add_rule(&acl, "0.0.0.0/0", true);
    add_rule(&acl, "192.0.2.0/24", false);
    ok(!allows(&acl, "::ffff:192.0.2.7"), "a mapped client hits an IPv4 deny");
    ok(allows(&acl, "::ffff:203.0.113.1"), "a mapped client hits IPv4 0/0 allow");
    acl_free(&acl);

    add_rule(&acl, "::ffff:192.0.2.0/120", true);
    ok(allows(&acl, "192.0.2.9"), "a mapped rule matches a plain IPv4 client");
    acl_free(&acl);
}

static void test_default_loopback(void)
{
    struct acl acl = { 0 };

    ok(acl_default_loopback(&acl) == 0, "loopback default added");
    is_int(acl.n_rules, 2, "two default rules");
    ok(allows(&acl, "127.0.0.1"), "default allows 127.0.0.1");
    ok(allows(&acl, "127.200.3.4"), "default allows all of 127/8");
    ok(allows(&acl, "::1"), "default allows ::1");
    ok(allows(&acl, "::ffff:127.0.0.1"), "default allows mapped 127.0.0.1");
    ok(!allows(&acl, "10.0.0.1"), "default denies 10.0.0.1");
    ok(!allows(&acl, "::2"), "default denies ::2");
    ok(!allows(&acl, "128.0.0.1"), "default denies 128.0.0.1");
    acl_free(&acl);
    is_int(acl.n_rules, 0, "acl_free empties the list");
    ok(acl.rules == NULL, "acl_free clears the pointer");

    add_rule(&acl, "10.0.0.0/8", true);
    ok(acl_default_loopback(&acl) == 0, "loopback default with rules present");
    is_int(acl.n_rules, 1, "no default rules when some exist");
    ok(!allows(&acl, "127.0.0.1"), "loopback not allowed when rules exist");
    acl_free(&acl);
    acl_free(NULL);
    ok(1, "acl_free(NULL) is harmless");
}

static void test_no_match(void)
{
    struct acl acl = { 0 };
    struct sockaddr_un unix_client = { .sun_family = AF_UNIX };

    ok(!allows(&acl, "127.0.0.1"), "an empty acl denies");
    add_rule(&acl, "10.0.0.0/8", true);
    ok(!allows(&acl, "192.0.2.1"), "no matching rule: deny");
    ok(!allows(&acl, "::1"), "no matching IPv6 rule: deny");
    add_rule(&acl, "0.0.0.0/0", true);
    ok(allows(&acl, "192.0.2.1"), "0.0.0.0/0 allows any IPv4");
    ok(!acl_allows(&acl, (const struct sockaddr *)&unix_client), "other families denied");
    ok(!acl_allows(&acl, NULL), "NULL client denied");
    ok(!acl_allows(NULL, (const struct sockaddr *)&unix_client), "NULL acl denies");
    acl_free(&acl);
}

int main(void)
{
    test_parse_good();
    test_parse_bad();
    test_longest_prefix();
    test_ties_deny();
    test_ipv6();
    test_mapped_ipv4();
    test_default_loopback();
    test_no_match();
    return done_testing();
}
