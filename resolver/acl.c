/* acl.c -- client access control: `allow CIDR` / `deny CIDR`, longest prefix wins.
 *
 * Owns the rule list of `struct acl` (acl.h). The config parser fills it through
 * acl_parse_rule() and acl_add(); after that it is read-only, so every worker thread may
 * call acl_allows() on it without a lock.
 *
 * Invariant: every stored rule has its host bits cleared and a prefix within its family's
 * width, so matching only compares the first `prefix` bits of two byte strings.
 * IPv4 is always checked as IPv4: a client arriving as ::ffff:a.b.c.d on a dual-stack socket,
 * and a rule written as ::ffff:a.b.c.d/N (N >= 96), are both turned into their IPv4 form, so
 * `allow 10.0.0.0/8` means the same thing on every kind of socket. */
#include "acl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* The longest text a rule can be: an IPv6 literal, '/', three digits. */
#define ACL_TEXT_MAX (INET6_ADDRSTRLEN + 4)
#define V4MAPPED_PREFIX_BITS 96

static const uint8_t v4mapped_head[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static int family_bits(int family)
{
    return family == AF_INET ? 32 : 128;
}

static int family_bytes(int family)
{
    return family == AF_INET ? 4 : 16;
}

/* "8" -> 8. Digits only: strtol alone would take "+8", " 8" or "-0". */
static int parse_prefix(const char *text, int max_bits)
{
    int value = 0;

    if (*text == '\0' || strlen(text) > 3)
        return -1;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        value = value * 10 + (*p - '0');
    }
    return value <= max_bits ? value : -1;
}

static void clear_host_bits(uint8_t *net, int bytes, int prefix)
{
    for (int i = 0; i < bytes; i++) {
        int bits_here = prefix - i * 8;   /* network bits that fall into byte i */
        if (bits_here >= 8)
            continue;
        net[i] &= bits_here <= 0 ? 0 : (uint8_t)(0xff << (8 - bits_here));
    }
}

/* A rule for ::ffff:0:0/96 and longer can only ever be meant for IPv4 clients. */
static void unmap_v4_rule(struct acl_rule *rule)
{
    if (rule->family != AF_INET6 || rule->prefix < V4MAPPED_PREFIX_BITS ||
        memcmp(rule->net, v4mapped_head, sizeof v4mapped_head) != 0)
        return;
    memmove(rule->net, rule->net + 12, 4);
    memset(rule->net + 4, 0, 12);
    rule->family = AF_INET;
    rule->prefix -= V4MAPPED_PREFIX_BITS;
}

int acl_parse_rule(const char *cidr, bool allow, struct acl_rule *rule)
{
    char text[ACL_TEXT_MAX + 1];
    struct acl_rule parsed = { .allow = allow };

    if (!cidr || !rule || strlen(cidr) > ACL_TEXT_MAX)
        return -1;
    strcpy(text, cidr);
    char *slash = strchr(text, '/');
    if (slash)
        *slash = '\0';

    if (inet_pton(AF_INET, text, parsed.net) == 1)
        parsed.family = AF_INET;
    else if (inet_pton(AF_INET6, text, parsed.net) == 1)
        parsed.family = AF_INET6;
    else
        return -1;

    parsed.prefix = slash ? parse_prefix(slash + 1, family_bits(parsed.family))
                          : family_bits(parsed.family);
    if (parsed.prefix < 0)
        return -1;
    clear_host_bits(parsed.net, family_bytes(parsed.family), parsed.prefix);
    unmap_v4_rule(&parsed);
    *rule = parsed;
    return 0;
}

int acl_add(struct acl *acl, const struct acl_rule *rule)
{
    struct acl_rule *grown = reallocarray(acl->rules, acl->n_rules + 1, sizeof *grown);

    if (!grown)
        return -1;
    acl->rules = grown;
    acl->rules[acl->n_rules++] = *rule;
    return 0;
}

int acl_default_loopback(struct acl *acl)
{
    static const char *const loopback[] = { "127.0.0.0/8", "::1/128" };

    if (acl->n_rules > 0)
        return 0;
    for (size_t i = 0; i < sizeof loopback / sizeof loopback[0]; i++) {
        struct acl_rule rule;
        if (acl_parse_rule(loopback[i], true, &rule) != 0 || acl_add(acl, &rule) != 0)
            return -1;
    }
    return 0;
}

/* Puts the client's address into the form rules are stored in; returns the family or -1. */
static int client_address(const struct sockaddr *client, uint8_t addr[16])
{
    if (client->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)client;
        memcpy(addr, &sin->sin_addr, 4);
        return AF_INET;
    }
    if (client->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)client;
        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            memcpy(addr, sin6->sin6_addr.s6_addr + 12, 4);
            return AF_INET;
        }
        memcpy(addr, &sin6->sin6_addr, 16);
        return AF_INET6;
    }
    return -1;
}

static bool rule_matches(const struct acl_rule *rule, int family, const uint8_t addr[16])
{
    int whole_bytes = rule->prefix / 8, rest_bits = rule->prefix % 8;

    if (rule->family != family)
        return false;
    if (memcmp(rule->net, addr, (size_t)whole_bytes) != 0)
        return false;
    if (rest_bits == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest_bits));
    return (addr[whole_bytes] & mask) == rule->net[whole_bytes];
}

bool acl_allows(const struct acl *acl, const struct sockaddr *client)
{
    uint8_t addr[16];
    int best_prefix = -1;
    bool verdict = false;   /* no matching rule: deny */

    if (!acl || !client)
        return false;
    int family = client_address(client, addr);
    if (family < 0)
        return false;
    for (size_t i = 0; i < acl->n_rules; i++) {
        const struct acl_rule *rule = &acl->rules[i];
        if (!rule_matches(rule, family, addr) || rule->prefix < best_prefix)
            continue;
        /* Equally specific rules that disagree: deny, the safe side. */
        verdict = rule->prefix == best_prefix ? verdict && rule->allow : rule->allow;
        best_prefix = rule->prefix;
    }
    return verdict;
}

void acl_free(struct acl *acl)
{
    if (!acl)
        return;
    free(acl->rules);
    acl->rules = NULL;
    acl->n_rules = 0;
}
