/* acl.h -- client access control: `allow CIDR` / `deny CIDR`, longest prefix wins.
 *
 * Filled by the config parser, read-only afterwards (so any thread may check it).
 * With no rule at all the daemon allows loopback only (127.0.0.0/8, ::1), so it is never an
 * open resolver by accident. */
#ifndef ACL_H
#define ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct acl_rule {
    int family;             /* AF_INET or AF_INET6 */
    uint8_t net[16];        /* network address, host bits cleared */
    int prefix;             /* 0..32 or 0..128 */
    bool allow;
};

struct acl {
    struct acl_rule *rules;
    size_t n_rules;
};

/* Parses "10.0.0.0/8", "::1", "192.0.2.1" (a host) into rule; returns 0 or -1. */
int acl_parse_rule(const char *cidr, bool allow, struct acl_rule *rule);
/* Appends a rule (copied); returns 0 or -1 on allocation failure. */
int acl_add(struct acl *acl, const struct acl_rule *rule);
/* Adds the default rules (allow 127.0.0.0/8 and ::1/128) if acl has none. */
int acl_default_loopback(struct acl *acl);
/* True if the client address may query. IPv4-mapped IPv6 addresses are checked as IPv4.
 * The most specific matching rule decides; with no match the answer is deny. */
bool acl_allows(const struct acl *acl, const struct sockaddr *client);
void acl_free(struct acl *acl);

#endif
