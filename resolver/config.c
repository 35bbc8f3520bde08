/* config.c -- reads and validates resolver.conf into a `struct config` (config.h).
 *
 * Owns the whole parse: file reading, comments, fields, one handler per directive, the
 * defaults and the checks that span several lines. The daemon calls config_load() at
 * start-up, on reload and for `-t`; resolverctl and the tests use config_parse_addr().
 *
 * Shape: a line is cut at '#', split on blanks, and its first field is looked up in
 * `directives[]`. The table says how many arguments the directive takes and what it needs
 * (the words every error about it uses); its handler converts and stores the value. Simple
 * directives (yes/no, numbers, paths) share one handler that writes to the struct field at
 * `offset`. Any error stops the load: the caller gets -1, "FILE:LINE: problem" and no config,
 * so a bad reload never replaces a good running config.
 *
 * Relative paths are taken against the config file's directory, made absolute at load time,
 * so a config means the same thing whatever the daemon's working directory. Nothing here
 * opens the files named in the config or resolves names: that is the owning module's job. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "log.h"
#include "wire.h"

#define DEFAULT_PORT 53
#define DEFAULT_TLS_PORT 853         /* RFC 7858 */
#define DEFAULT_ROOT_HINTS "hints/root.hints"
#define DEFAULT_TRUST_ANCHOR "hints/root.key"
#define MIN_CACHE_SIZE ((size_t)64 * 1024)
#define MAX_TTL_SECONDS ((uint32_t)INT32_MAX)
#define MAX_FIELDS 64            /* more than any directive needs, even a full `forward` */
#define FIELD_SEPARATORS " \t\r\n\v\f"

/* Everything one load needs besides the config being built; it dies with config_load(). */
struct parse_ctx {
    struct config *cfg;
    const char *file;            /* the path as the caller gave it: errors quote it so */
    char *dir;                   /* absolute directory of the file, "" for "/" */
    int line;                    /* current line, 0 once the file is read */
    int min_ttl_line, max_ttl_line;   /* for the min-ttl <= max-ttl check */
    bool named_trust_anchor;     /* a trust-anchor-file line was read */
    char *err;
    size_t errlen;
};

struct directive;
typedef int directive_handler(struct parse_ctx *ctx, const struct directive *d,
                              char **args, int n_args);

struct directive {
    const char *name;
    int min_args, max_args;      /* max_args < 0: no fixed limit, the handler checks */
    const char *needs;           /* "a size like 64M": what every error about it says */
    directive_handler *handle;
    size_t offset;               /* the struct config field, for the shared handlers */
    uint32_t min, max;           /* allowed range of a number; max == 0: no range */
};

/* --- errors ------------------------------------------------------------------------------ */

static int fail(struct parse_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes "FILE:LINE: message" (or "FILE: message" outside any line) and returns -1. */
static int fail(struct parse_ctx *ctx, const char *fmt, ...)
{
    char message[512];
    va_list ap;

    if (!ctx->err || ctx->errlen == 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (ctx->line > 0)
        snprintf(ctx->err, ctx->errlen, "%s:%d: %s", ctx->file, ctx->line, message);
    else
        snprintf(ctx->err, ctx->errlen, "%s: %s", ctx->file, message);
    return -1;
}

static int fail_oom(struct parse_ctx *ctx)
{
    return fail(ctx, "out of memory");
}

/* "a number from 0 to 256": the directive's needs with its range, if it has one. */
static void describe_needs(const struct directive *d, char *buf, size_t size)
{
    if (d->max != 0)
        snprintf(buf, size, "%s from %u to %u", d->needs, d->min, d->max);
    else
        snprintf(buf, size, "%s", d->needs);
}

/* "'cache-size' needs a size like 64M, got 'lots'" */
static int fail_value(struct parse_ctx *ctx, const struct directive *d, const char *got)
{
    char needs[128];

    describe_needs(d, needs, sizeof needs);
    return fail(ctx, "'%s' needs %s, got '%s'", d->name, needs, got);
}

static int check_arg_count(struct parse_ctx *ctx, const struct directive *d,
                           char **args, int n_args)
{
    char needs[128];

    describe_needs(d, needs, sizeof needs);
    if (n_args < d->min_args)
        return fail(ctx, "'%s' needs %s", d->name, needs);
    if (d->max_args >= 0 && n_args > d->max_args)
        return fail(ctx, "'%s' needs %s, got extra '%s'", d->name, needs, args[d->max_args]);
    return 0;
}

/* --- value parsers: 0 or -1, never a partial result --------------------------------------- */

/* Digits only, whole string, within [min, max]. strtoull alone would accept " 5", "+5"
 * and wrap "-1" around to a huge number. */
static int parse_unsigned(const char *text, unsigned long long min, unsigned long long max,
                          unsigned long long *out)
{
    char *end;

    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max)
        return -1;
    *out = value;
    return 0;
}

static int parse_port(const char *text, uint16_t *port)
{
    unsigned long long value;

    if (parse_unsigned(text, 1, 65535, &value) != 0)
        return -1;
    *port = (uint16_t)value;
    return 0;
}

/* "64M" -> 67108864: a count of bytes with an optional K, M or G (powers of 1024). */
static int parse_size(const char *text, size_t *bytes)
{
    char number[32];
    size_t digits = strspn(text, "0123456789");
    const char *suffix = text + digits;
    unsigned long long multiplier, value;

    switch (*suffix) {
    case '\0':           multiplier = 1; break;
    case 'K': case 'k':  multiplier = 1ULL << 10; break;
    case 'M': case 'm':  multiplier = 1ULL << 20; break;
    case 'G': case 'g':  multiplier = 1ULL << 30; break;
    default:             return -1;
    }
    if (digits == 0 || digits >= sizeof number || (*suffix && suffix[1] != '\0'))
        return -1;
    memcpy(number, text, digits);
    number[digits] = '\0';
    if (parse_unsigned(number, 0, SIZE_MAX, &value) != 0 || value > SIZE_MAX / multiplier)
        return -1;
    *bytes = (size_t)(value * multiplier);
    return 0;
}

static int parse_yesno(const char *text, bool *out)
{
    if (strcmp(text, "yes") == 0)
        *out = true;
    else if (strcmp(text, "no") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

/* A bare IPv4 or IPv6 literal (inet_pton only: never a name lookup). */
static int make_sockaddr(const char *host, uint16_t port, bool ipv6_only,
                         struct sockaddr_storage *addr, socklen_t *len)
{
    memset(addr, 0, sizeof *addr);
    struct sockaddr_in *sin = (struct sockaddr_in *)addr;
    if (!ipv6_only && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        *len = sizeof *sin;
        return 0;
    }
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)addr;
    if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        *len = sizeof *sin6;
        return 0;
    }
    return -1;
}

/* Splits "[::1]@53", "::1@53", "1.2.3.4" into host and (optional) port text. Brackets are
 * only for IPv6, so *bracketed tells the caller to reject an IPv4 inside them. */
static int split_host_port(const char *text, char *host, size_t host_size,
                           const char **port_text, bool *bracketed)
{
    const char *host_start = text, *host_end, *rest;

    *bracketed = text[0] == '[';
    if (*bracketed) {
        host_start = text + 1;
        host_end = strchr(host_start, ']');
        if (!host_end)
            return -1;
        rest = host_end + 1;
        if (*rest != '\0' && *rest != '@')
            return -1;
    } else {
        host_end = strchr(text, '@');
        rest = host_end ? host_end : text + strlen(text);
        host_end = rest;
    }
    size_t host_len = (size_t)(host_end - host_start);
    if (host_len == 0 || host_len >= host_size)
        return -1;
    memcpy(host, host_start, host_len);
    host[host_len] = '\0';
    *port_text = *rest == '@' ? rest + 1 : NULL;
    return 0;
}

int config_parse_addr(const char *text, uint16_t default_port,
                      struct sockaddr_storage *addr, socklen_t *len)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *port_text;
    bool bracketed;
    uint16_t port = default_port;

    if (!text || !addr || !len)
        return -1;
    if (split_host_port(text, host, sizeof host, &port_text, &bracketed) != 0)
        return -1;
    if (port_text && parse_port(port_text, &port) != 0)
        return -1;
    return make_sockaddr(host, port, bracketed, addr, len);
}

/* --- helpers that allocate ----------------------------------------------------------------- */

/* Relative paths are relative to the config file, not to wherever the daemon was started. */
static char *resolve_path(const struct parse_ctx *ctx, const char *path)
{
    char *resolved;

    if (path[0] == '/')
        return strdup(path);
    if (asprintf(&resolved, "%s/%s", ctx->dir, path) < 0)
        return NULL;
    return resolved;
}

/* Absolute directory of the config file ("" for the root, so dir + "/" + name works). */
static char *config_directory(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) : 0;
    char *dir;

    if (path[0] == '/')
        return strndup(path, dir_len);
    char *cwd = getcwd(NULL, 0);
    if (!cwd)
        return NULL;
    int rc = slash ? asprintf(&dir, "%s/%.*s", cwd, (int)dir_len, path)
                   : asprintf(&dir, "%s", cwd);
    free(cwd);
    return rc < 0 ? NULL : dir;
}

enum dname_result { DNAME_OK, DNAME_INVALID, DNAME_NO_MEMORY };

/* Validates a domain name and returns its presentation form, always ending in '.'. */
static enum dname_result normalise_dname(const char *text, char **out)
{
    ldns_rdf *dname = ldns_dname_new_frm_str(text);

    if (!dname)
        return DNAME_INVALID;
    *out = ldns_rdf2str(dname);
    ldns_rdf_deep_free(dname);
    return *out ? DNAME_OK : DNAME_NO_MEMORY;
}

/* A forward zone in the form forward_find compares query names in: lower-cased wire form.
 * (Kept as text it had to be printed exactly as query names are, and a zone with ')' or ';',
 * which ldns_rdf2str escapes, never matched its own names: found by fuzz_config.) */
static enum dname_result forward_zone_wire(const char *text, struct config_forward *fwd)
{
    ldns_rdf *dname = ldns_dname_new_frm_str(text);
    size_t len;

    if (!dname)
        return DNAME_INVALID;
    len = ldns_rdf_size(dname);
    if (len == 0 || len > sizeof fwd->zone) {
        ldns_rdf_deep_free(dname);
        return DNAME_INVALID;
    }
    memcpy(fwd->zone, ldns_rdf_data(dname), len);
    wire_name_lower(fwd->zone, len);
    fwd->zone_len = len;
    ldns_rdf_deep_free(dname);
    return DNAME_OK;
}

/* --- shared handlers: the field is at d->offset in struct config ---------------------------- */

static void *config_field(struct parse_ctx *ctx, const struct directive *d)
{
    return (char *)ctx->cfg + d->offset;
}

static int handle_yesno(struct parse_ctx *ctx, const struct directive *d,
                        char **args, int n_args)
{
    (void)n_args;
    if (parse_yesno(args[0], config_field(ctx, d)) != 0)
        return fail_value(ctx, d, args[0]);
    return 0;
}

static int handle_u32(struct parse_ctx *ctx, const struct directive *d,
                      char **args, int n_args)
{
    unsigned long long value;

    (void)n_args;
    if (parse_unsigned(args[0], d->min, d->max, &value) != 0)
        return fail_value(ctx, d, args[0]);
    *(uint32_t *)config_field(ctx, d) = (uint32_t)value;
    return 0;
}

static int handle_path(struct parse_ctx *ctx, const struct directive *d,
                       char **args, int n_args)
{
    char **field = config_field(ctx, d);
    char *resolved = resolve_path(ctx, args[0]);

    (void)n_args;
    if (!resolved)
        return fail_oom(ctx);
    free(*field);
    *field = resolved;
    return 0;
}

/* --- directive handlers ---------------------------------------------------------------------- */

/* `listen ADDR [PORT]` and `listen-tls ADDR [PORT]`: the same syntax, another default port. */
static int add_listen(struct parse_ctx *ctx, const struct directive *d, char **args, int n_args,
                      uint16_t port, struct config_listen **list, size_t *n)
{
    struct config_listen listen = { .addrlen = 0 };

    if (n_args > 1 && parse_port(args[1], &port) != 0)
        return fail(ctx, "'%s' needs a port from 1 to 65535, got '%s'", d->name, args[1]);
    if (make_sockaddr(args[0], port, false, &listen.addr, &listen.addrlen) != 0)
        return fail_value(ctx, d, args[0]);
    struct config_listen *grown = reallocarray(*list, *n + 1, sizeof *grown);
    if (!grown)
        return fail_oom(ctx);
    *list = grown;
    (*list)[(*n)++] = listen;
    return 0;
}

static int handle_listen(struct parse_ctx *ctx, const struct directive *d,
                         char **args, int n_args)
{
    return add_listen(ctx, d, args, n_args, DEFAULT_PORT, &ctx->cfg->listens,
                      &ctx->cfg->n_listens);
}

static int handle_listen_tls(struct parse_ctx *ctx, const struct directive *d,
                             char **args, int n_args)
{
    ctx->cfg->tls_listen_line = ctx->line;
    return add_listen(ctx, d, args, n_args, DEFAULT_TLS_PORT, &ctx->cfg->tls_listens,
                      &ctx->cfg->n_tls_listens);
}

/* `metrics [ADDR] PORT`: without ADDR, 127.0.0.1, so the counters are never exposed to
 * the network by accident. */
static int handle_metrics(struct parse_ctx *ctx, const struct directive *d,
                          char **args, int n_args)
{
    struct config *cfg = ctx->cfg;
    const char *host = n_args > 1 ? args[0] : "127.0.0.1", *port_text = args[n_args - 1];
    uint16_t port;

    if (parse_port(port_text, &port) != 0)
        return fail(ctx, "'%s' needs a port from 1 to 65535, got '%s'", d->name, port_text);
    if (make_sockaddr(host, port, false, &cfg->metrics_addr, &cfg->metrics_addrlen) != 0)
        return fail_value(ctx, d, host);
    return 0;
}

static int handle_threads(struct parse_ctx *ctx, const struct directive *d,
                          char **args, int n_args)
{
    unsigned long long value;

    (void)n_args;
    if (parse_unsigned(args[0], d->min, d->max, &value) != 0)
        return fail_value(ctx, d, args[0]);
    ctx->cfg->threads = (int)value;
    return 0;
}

static int handle_edns_size(struct parse_ctx *ctx, const struct directive *d,
                            char **args, int n_args)
{
    unsigned long long value;

    (void)n_args;
    if (parse_unsigned(args[0], d->min, d->max, &value) != 0)
        return fail_value(ctx, d, args[0]);
    ctx->cfg->edns_buffer_size = (uint16_t)value;
    return 0;
}

/* min-ttl and max-ttl: remembered by line so their cross-check can name the later one. */
static int handle_ttl_bound(struct parse_ctx *ctx, const struct directive *d,
                            char **args, int n_args)
{
    if (handle_u32(ctx, d, args, n_args) != 0)
        return -1;
    if (d->offset == offsetof(struct config, min_ttl))
        ctx->min_ttl_line = ctx->line;
    else
        ctx->max_ttl_line = ctx->line;
    return 0;
}

static int handle_hosts(struct parse_ctx *ctx, const struct directive *d,
                        char **args, int n_args)
{
    struct config *cfg = ctx->cfg;

    (void)d, (void)n_args;
    char **grown = reallocarray(cfg->hosts_files, cfg->n_hosts_files + 1, sizeof *grown);
    if (!grown)
        return fail_oom(ctx);
    cfg->hosts_files = grown;
    char *path = resolve_path(ctx, args[0]);
    if (!path)
        return fail_oom(ctx);
    cfg->hosts_files[cfg->n_hosts_files++] = path;
    return 0;
}

/* Appends a string the list takes (NULL: out of memory). */
static int push_string(struct parse_ctx *ctx, char ***list, size_t *n, char *value)
{
    char **grown = value ? reallocarray(*list, *n + 1, sizeof *grown) : NULL;

    if (!grown) {
        free(value);
        return fail_oom(ctx);
    }
    *list = grown;
    (*list)[(*n)++] = value;
    return 0;
}

static int handle_trust_anchor_file(struct parse_ctx *ctx, const struct directive *d,
                                    char **args, int n_args)
{
    (void)d, (void)n_args;
    ctx->named_trust_anchor = true;
    return push_string(ctx, &ctx->cfg->trust_anchor_files, &ctx->cfg->n_trust_anchor_files,
                       resolve_path(ctx, args[0]));
}

static int handle_negative_anchor(struct parse_ctx *ctx, const struct directive *d,
                                  char **args, int n_args)
{
    char *name = NULL;

    (void)n_args;
    enum dname_result valid = normalise_dname(args[0], &name);
    if (valid == DNAME_INVALID)
        return fail_value(ctx, d, args[0]);
    return push_string(ctx, &ctx->cfg->negative_anchors, &ctx->cfg->n_negative_anchors, name);
}

static int handle_zone(struct parse_ctx *ctx, const struct directive *d,
                       char **args, int n_args)
{
    struct config *cfg = ctx->cfg;
    struct config_zone zone = { .line = ctx->line };

    (void)n_args;
    enum dname_result valid = normalise_dname(args[0], &zone.name);
    if (valid != DNAME_OK)
        return valid == DNAME_NO_MEMORY ? fail_oom(ctx)
            : fail(ctx, "'%s' needs a domain name like example.lan, got '%s'", d->name, args[0]);
    for (size_t i = 0; i < cfg->n_zones; i++) {
        if (strcasecmp(cfg->zones[i].name, zone.name) == 0) {
            fail(ctx, "zone '%s' is already declared on line %d", zone.name, cfg->zones[i].line);
            free(zone.name);
            return -1;
        }
    }
    struct config_zone *grown = reallocarray(cfg->zones, cfg->n_zones + 1, sizeof *grown);
    if (grown)
        cfg->zones = grown;
    zone.path = grown ? resolve_path(ctx, args[1]) : NULL;
    if (!zone.path) {
        free(zone.name);
        return fail_oom(ctx);
    }
    cfg->zones[cfg->n_zones++] = zone;
    return 0;
}

/* `forward-tls`: ADDR[@PORT]#AUTH-NAME; cuts the name off the field into fwd. */
static int split_auth_name(struct parse_ctx *ctx, const struct directive *d, char *field,
                           struct config_forward *fwd, int i)
{
    char *hash = strchr(field, '#');

    if (!hash || !hash[1] || strlen(hash + 1) >= CONFIG_MAX_AUTH_NAME)
        return fail(ctx, "'%s' needs addresses with the name their certificate shows, like "
                    "192.0.2.1#dns.example or [::1]@853#dns.example, got '%s'", d->name, field);
    *hash = '\0';
    snprintf(fwd->auth_names[i], sizeof fwd->auth_names[i], "%s", hash + 1);
    return 0;
}

/* Fills fwd's upstreams from the address fields of a `forward` line. */
static int parse_upstreams(struct parse_ctx *ctx, const struct directive *d,
                           char **addrs, int n_addrs, struct config_forward *fwd)
{
    if (n_addrs > CONFIG_MAX_UPSTREAMS)
        return fail(ctx, "'%s' takes at most %d addresses, got %d",
                    d->name, CONFIG_MAX_UPSTREAMS, n_addrs);
    for (int i = 0; i < n_addrs; i++) {
        if (fwd->tls && split_auth_name(ctx, d, addrs[i], fwd, i) != 0)
            return -1;
        if (config_parse_addr(addrs[i], fwd->tls ? DEFAULT_TLS_PORT : DEFAULT_PORT,
                              &fwd->upstreams[i],
                              &fwd->upstream_lens[i]) != 0)
            return fail(ctx, "'%s' needs addresses like 192.0.2.1, ::1 or [::1]@5353, got '%s'",
                        d->name, addrs[i]);
    }
    fwd->n_upstreams = n_addrs;
    return 0;
}

static int check_forward_unique(struct parse_ctx *ctx, const struct config_forward *fwd)
{
    char text[WIRE_MAX_NAME * 4 + 2];

    for (size_t i = 0; i < ctx->cfg->n_forwards; i++) {
        const struct config_forward *f = &ctx->cfg->forwards[i];
        if (wire_name_equal(f->zone, f->zone_len, fwd->zone, fwd->zone_len))
            return fail(ctx, "forward zone '%s' is already declared on line %d",
                        wire_name_to_str(fwd->zone, fwd->zone_len, text, sizeof text),
                        f->line);
    }
    return 0;
}

static int handle_forward(struct parse_ctx *ctx, const struct directive *d,
                          char **args, int n_args)
{
    struct config *cfg = ctx->cfg;
    struct config_forward fwd = { .line = ctx->line, .tls = strcmp(d->name, "forward-tls") == 0 };

    enum dname_result valid = forward_zone_wire(args[0], &fwd);
    if (valid != DNAME_OK)
        return valid == DNAME_NO_MEMORY ? fail_oom(ctx)
            : fail(ctx, "'%s' needs a zone like example.com or ., got '%s'", d->name, args[0]);
    if (check_forward_unique(ctx, &fwd) != 0 ||
        parse_upstreams(ctx, d, args + 1, n_args - 1, &fwd) != 0)
        return -1;
    struct config_forward *grown = reallocarray(cfg->forwards, cfg->n_forwards + 1, sizeof *grown);
    if (!grown)
        return fail_oom(ctx);
    cfg->forwards = grown;
    cfg->forwards[cfg->n_forwards++] = fwd;
    cfg->any_forward_tls |= fwd.tls;
    return 0;
}

static int handle_cache_size(struct parse_ctx *ctx, const struct directive *d,
                             char **args, int n_args)
{
    size_t bytes;

    (void)n_args;
    if (parse_size(args[0], &bytes) != 0)
        return fail_value(ctx, d, args[0]);
    if (bytes < MIN_CACHE_SIZE)
        return fail(ctx, "'%s' must be at least 64K, got '%s'", d->name, args[0]);
    ctx->cfg->cache_size = bytes;
    return 0;
}

static int add_acl_rule(struct parse_ctx *ctx, const struct directive *d, const char *cidr,
                        bool allow)
{
    struct acl_rule rule;

    if (acl_parse_rule(cidr, allow, &rule) != 0)
        return fail_value(ctx, d, cidr);
    if (acl_add(&ctx->cfg->acl, &rule) != 0)
        return fail_oom(ctx);
    return 0;
}

static int handle_allow(struct parse_ctx *ctx, const struct directive *d,
                        char **args, int n_args)
{
    (void)n_args;
    return add_acl_rule(ctx, d, args[0], true);
}

static int handle_deny(struct parse_ctx *ctx, const struct directive *d,
                       char **args, int n_args)
{
    (void)n_args;
    return add_acl_rule(ctx, d, args[0], false);
}

static int handle_log_level(struct parse_ctx *ctx, const struct directive *d,
                            char **args, int n_args)
{
    int level = log_level_parse(args[0]);

    (void)n_args;
    if (level < 0)
        return fail_value(ctx, d, args[0]);
    ctx->cfg->log_level = level;
    return 0;
}

static int handle_forward_policy(struct parse_ctx *ctx, const struct directive *d,
                                 char **args, int n_args)
{
    (void)n_args;
    if (strcmp(args[0], "ordered") == 0)
        ctx->cfg->forward_policy = CONFIG_FORWARD_ORDERED;
    else if (strcmp(args[0], "fastest") == 0)
        ctx->cfg->forward_policy = CONFIG_FORWARD_FASTEST;
    else
        return fail_value(ctx, d, args[0]);
    return 0;
}

static int handle_log_sink(struct parse_ctx *ctx, const struct directive *d,
                           char **args, int n_args)
{
    (void)n_args;
    if (strcmp(args[0], "syslog") == 0)
        ctx->cfg->log_syslog = true;
    else if (strcmp(args[0], "stderr") == 0)
        ctx->cfg->log_syslog = false;
    else
        return fail_value(ctx, d, args[0]);
    return 0;
}

/* A bare address: a fixed source port would undo the random source ports. */
static int handle_outgoing(struct parse_ctx *ctx, const struct directive *d,
                           char **args, int n_args)
{
    struct config *cfg = ctx->cfg;
    struct sockaddr_storage addr;
    socklen_t len;

    (void)n_args;
    if (make_sockaddr(args[0], 0, false, &addr, &len) != 0)
        return fail_value(ctx, d, args[0]);
    struct sockaddr_storage *grown =
        reallocarray(cfg->outgoing, cfg->n_outgoing + 1, sizeof *grown);
    if (!grown)
        return fail_oom(ctx);
    cfg->outgoing = grown;
    cfg->outgoing[cfg->n_outgoing++] = addr;
    return 0;
}

/* `cachedb redis HOST:PORT`, `cachedb redis unix:PATH` (one Redis primary) or
 * `cachedb sentinel HOST:PORT NAME` (the primary a Sentinel names NAME). */
static int handle_cachedb(struct parse_ctx *ctx, const struct directive *d,
                          char **args, int n_args)
{
    struct config *cfg = ctx->cfg;
    const char *where = args[1];
    const char *colon = strrchr(where, ':');
    unsigned long long port;
    bool sentinel = strcmp(args[0], "sentinel") == 0;

    if (strcmp(args[0], "redis") != 0 && !sentinel)
        return fail(ctx, "'%s' supports redis and sentinel, got '%s'", d->name, args[0]);
    if (sentinel != (n_args == 3))
        return fail(ctx, "'%s' needs redis HOST:PORT, redis unix:PATH or sentinel HOST:PORT NAME",
                    d->name);
    free(cfg->cachedb_host);
    free(cfg->cachedb_unix);
    free(cfg->cachedb_sentinel);
    cfg->cachedb_host = cfg->cachedb_unix = cfg->cachedb_sentinel = NULL;
    if (sentinel && !(cfg->cachedb_sentinel = strdup(args[2])))
        return fail_oom(ctx);
    if (!sentinel && strncmp(where, "unix:", 5) == 0 && where[5]) {
        if (!(cfg->cachedb_unix = resolve_path(ctx, where + 5)) ||
            !(cfg->cachedb_host = strdup("unix")))
            return fail_oom(ctx);
        return 0;
    }
    if (!colon || colon == where || parse_unsigned(colon + 1, 1, 65535, &port) != 0)
        return fail(ctx, "'%s' needs redis HOST:PORT or redis unix:PATH, got '%s'", d->name,
                    where);
    /* an address, not a host name: resolving one would block a serving thread */
    const char *host = where[0] == '[' ? where + 1 : where;
    size_t host_len = (size_t)(colon - host) - (where[0] == '[' && colon[-1] == ']');
    char *h = strndup(host, host_len);
    struct in6_addr any;
    if (!h)
        return fail_oom(ctx);
    if (inet_pton(AF_INET, h, &any) != 1 && inet_pton(AF_INET6, h, &any) != 1) {
        free(h);
        return fail(ctx, "'%s' needs an IP address (no host names), got '%s'", d->name, where);
    }
    cfg->cachedb_host = h;
    cfg->cachedb_port = (uint16_t)port;
    return 0;
}

/* A string argument kept as given (cachedb-password, -prefix, -secret). */
static int handle_string(struct parse_ctx *ctx, const struct directive *d,
                         char **args, int n_args)
{
    char **field = config_field(ctx, d);
    char *copy = strdup(args[0]);

    (void)n_args;
    if (!copy)
        return fail_oom(ctx);
    free(*field);
    *field = copy;
    return 0;
}

static int handle_user(struct parse_ctx *ctx, const struct directive *d,
                       char **args, int n_args)
{
    char *user = strdup(args[0]);

    (void)d, (void)n_args;
    if (!user)
        return fail_oom(ctx);
    free(ctx->cfg->user);
    ctx->cfg->user = user;
    return 0;
}

/* --- the directive table ------------------------------------------------------------------- */

#define FIELD(name) offsetof(struct config, name)
#define YESNO(word, field) { word, 1, 1, "yes or no", handle_yesno, FIELD(field), 0, 0 }
#define NUMBER(word, needs, field, lo, hi) { word, 1, 1, needs, handle_u32, FIELD(field), lo, hi }
#define SECONDS(word, field, handler) \
    { word, 1, 1, "a number of seconds", handler, FIELD(field), 0, MAX_TTL_SECONDS }

static const struct directive directives[] = {
    { "listen", 1, 2, "an IPv4 or IPv6 address and an optional port", handle_listen, 0, 0, 0 },
    { "listen-tls", 1, 2, "an IPv4 or IPv6 address and an optional port", handle_listen_tls,
      0, 0, 0 },
    { "tls-cert", 1, 1, "a PEM certificate (chain) file", handle_path, FIELD(tls_cert), 0, 0 },
    { "tls-key", 1, 1, "a PEM private key file", handle_path, FIELD(tls_key), 0, 0 },
    { "threads", 1, 1, "a number", handle_threads, 0, 0, 256 },
    { "hosts", 1, 1, "a file name", handle_hosts, 0, 0, 0 },
    { "zone", 2, 2, "a domain name and a file name", handle_zone, 0, 0, 0 },
    { "root-hints", 1, 1, "a file name", handle_path, FIELD(root_hints), 0, 0 },
    YESNO("dnssec", dnssec),
    { "trust-anchor-file", 1, 1, "a file of DS or DNSKEY records", handle_trust_anchor_file,
      0, 0, 0 },
    { "negative-trust-anchor", 1, 1, "a domain name", handle_negative_anchor, 0, 0, 0 },
    SECONDS("val-bogus-ttl", val_bogus_ttl, handle_u32),
    YESNO("aggressive-nsec", aggressive_nsec),
    { "forward", 2, -1, "a zone and at least one address", handle_forward, 0, 0, 0 },
    { "forward-tls", 2, -1, "a zone and at least one ADDR#AUTH-NAME", handle_forward, 0, 0, 0 },
    { "tls-ca-file", 1, 1, "a PEM file of CA certificates", handle_path, FIELD(tls_ca_file),
      0, 0 },
    YESNO("forward-first", forward_first),
    { "forward-policy", 1, 1, "ordered or fastest", handle_forward_policy, 0, 0, 0 },
    YESNO("forward-probe", forward_probe),
    { "cache-size", 1, 1, "a size like 64M", handle_cache_size, 0, 0, 0 },
    SECONDS("min-ttl", min_ttl, handle_ttl_bound),
    SECONDS("max-ttl", max_ttl, handle_ttl_bound),
    SECONDS("max-negative-ttl", max_negative_ttl, handle_u32),
    SECONDS("hosts-ttl", hosts_ttl, handle_u32),
    { "allow", 1, 1, "an address or CIDR like 10.0.0.0/8", handle_allow, 0, 0, 0 },
    { "deny", 1, 1, "an address or CIDR like 10.0.0.0/8", handle_deny, 0, 0, 0 },
    { "control", 1, 1, "a socket path", handle_path, FIELD(control_path), 0, 0 },
    { "metrics", 1, 2, "a port, or an address and a port", handle_metrics, 0, 0, 0 },
    { "log-level", 1, 1, "one of error, warn, info, debug", handle_log_level, 0, 0, 0 },
    { "log", 1, 1, "stderr or syslog", handle_log_sink, 0, 0, 0 },
    YESNO("log-queries", log_queries),
    YESNO("qname-minimisation", qname_minimisation),
    YESNO("case-randomisation", case_randomisation),
    YESNO("prefetch", prefetch),
    YESNO("serve-stale", serve_stale),
    YESNO("root-priming", root_priming),
    YESNO("query-loopback", query_loopback),
    YESNO("do-ip4", do_ip4),
    YESNO("do-ip6", do_ip6),
    { "outgoing-interface", 1, 1, "an IPv4 or IPv6 address", handle_outgoing, 0, 0, 0 },
    { "edns-buffer-size", 1, 1, "a number of bytes", handle_edns_size, 0, 512, 4096 },
    { "user", 1, 1, "a user name", handle_user, 0, 0, 0 },
    NUMBER("upstream-timeout", "milliseconds", upstream_timeout_ms, 50, 60000),
    NUMBER("tcp-idle-timeout", "milliseconds", tcp_idle_timeout_ms, 100, 600000),
    NUMBER("tcp-max-connections", "a number", tcp_max_connections, 1, 100000),
    NUMBER("tls-handshake-timeout", "milliseconds", tls_handshake_timeout_ms, 100, 60000),
    NUMBER("max-outstanding", "a number", max_outstanding, 1, 1000000),
    NUMBER("jostle-timeout", "milliseconds", jostle_timeout_ms, 0, 60000),
    NUMBER("max-clients-per-query", "a number", max_clients_per_query, 1, 100000),
    NUMBER("max-queries-per-question", "a number", max_queries_per_question, 4, 1000),
    NUMBER("max-referrals", "a number", max_referrals, 1, 100),
    NUMBER("max-cname-chain", "a number", max_cname_chain, 1, 100),
    NUMBER("question-timeout", "milliseconds", question_timeout_ms, 500, 120000),
    NUMBER("ratelimit", "replies per second (0: off)", ratelimit, 0, 10000000),
    { "cachedb", 2, 3, "redis HOST:PORT, redis unix:PATH or sentinel HOST:PORT NAME",
      handle_cachedb, 0, 0, 0 },
    { "cachedb-password", 1, 1, "a password", handle_string, FIELD(cachedb_password), 0, 0 },
    NUMBER("cachedb-db", "a database number", cachedb_db, 0, 1000000),
    NUMBER("cachedb-timeout", "milliseconds", cachedb_timeout_ms, 1, 10000),
    { "cachedb-prefix", 1, 1, "a key prefix", handle_string, FIELD(cachedb_prefix), 0, 0 },
    { "cachedb-secret", 1, 1, "a secret string", handle_string, FIELD(cachedb_secret), 0, 0 },
    NUMBER("serve-stale-client-timeout", "milliseconds", serve_stale_client_timeout_ms, 0,
           60000),
    SECONDS("serve-stale-max-age", serve_stale_max_age, handle_u32),
};

static const struct directive *find_directive(const char *name)
{
    for (size_t i = 0; i < sizeof directives / sizeof directives[0]; i++)
        if (strcmp(directives[i].name, name) == 0)
            return &directives[i];
    return NULL;
}

/* --- lines and files ------------------------------------------------------------------------- */

/* Where the comment begins: a '#' at the start of a field (one inside a field is data,
 * as in `forward-tls . 192.0.2.1#dns.example`). */
static size_t comment_start(const char *line)
{
    for (size_t i = 0; line[i]; i++)
        if (line[i] == '#' && (i == 0 || strchr(FIELD_SEPARATORS, line[i - 1])))
            return i;
    return strlen(line);
}

/* Cuts the comment and splits on blanks in place; returns the field count or -1. */
static int split_fields(struct parse_ctx *ctx, char *line, char **fields)
{
    char *saveptr = NULL;
    int n = 0;

    line[comment_start(line)] = '\0';
    for (char *f = strtok_r(line, FIELD_SEPARATORS, &saveptr); f;
         f = strtok_r(NULL, FIELD_SEPARATORS, &saveptr)) {
        if (n == MAX_FIELDS)
            return fail(ctx, "too many fields (at most %d)", MAX_FIELDS);
        fields[n++] = f;
    }
    return n;
}

static int parse_line(struct parse_ctx *ctx, char *line)
{
    char *fields[MAX_FIELDS];
    int n_fields = split_fields(ctx, line, fields);

    if (n_fields <= 0)
        return n_fields;   /* blank or comment (0), or the error (-1) */
    const struct directive *d = find_directive(fields[0]);
    if (!d)
        return fail(ctx, "unknown directive '%s'", fields[0]);
    if (check_arg_count(ctx, d, fields + 1, n_fields - 1) != 0)
        return -1;
    return d->handle(ctx, d, fields + 1, n_fields - 1);
}

static int parse_stream(struct parse_ctx *ctx, FILE *fp)
{
    char *line = NULL;
    size_t capacity = 0;
    int rc = 0;

    errno = 0;
    while (rc == 0 && getline(&line, &capacity, fp) != -1) {
        ctx->line++;
        rc = parse_line(ctx, line);
    }
    if (rc == 0 && ferror(fp)) {
        ctx->line = 0;
        rc = fail(ctx, "%s", strerror(errno));
    }
    free(line);
    return rc;
}

static int parse_file(struct parse_ctx *ctx)
{
    FILE *fp = fopen(ctx->file, "r");

    if (!fp)
        return fail(ctx, "%s", strerror(errno));
    int rc = parse_stream(ctx, fp);
    if (fclose(fp) != 0 && rc == 0)
        rc = fail(ctx, "%s", strerror(errno));
    return rc;
}

/* --- defaults and whole-file checks ---------------------------------------------------------- */

static int set_defaults(struct parse_ctx *ctx)
{
    struct config *cfg = ctx->cfg;

    cfg->log_level = LOG_LVL_INFO;
    cfg->cache_size = (size_t)64 << 20;
    cfg->max_ttl = 86400;
    cfg->max_negative_ttl = 3600;
    cfg->qname_minimisation = true;
    cfg->dnssec = true;
    cfg->val_bogus_ttl = 60;
    cfg->aggressive_nsec = true;
    cfg->root_priming = true;
    cfg->forward_probe = true;           /* forward_policy: ordered (0) */
    cfg->case_randomisation = true;
    cfg->prefetch = true;
    cfg->serve_stale_client_timeout_ms = 1800;   /* RFC 8767 5: 1.8 s */
    cfg->serve_stale_max_age = 86400;            /* RFC 8767 5: 1 to 3 days */
    cfg->do_ip4 = true;
    cfg->do_ip6 = true;
    cfg->edns_buffer_size = 1232;
    cfg->upstream_timeout_ms = 1000;
    cfg->tcp_idle_timeout_ms = 10000;
    cfg->tcp_max_connections = 256;
    cfg->tls_handshake_timeout_ms = 3000;
    cfg->max_outstanding = 10000;
    cfg->jostle_timeout_ms = 200;
    cfg->max_clients_per_query = 1000;
    cfg->max_queries_per_question = 64;
    cfg->max_referrals = 30;
    cfg->max_cname_chain = 16;
    cfg->question_timeout_ms = 10000;
    cfg->ratelimit = 0;
    cfg->cachedb_timeout_ms = 5;
    cfg->root_hints = resolve_path(ctx, DEFAULT_ROOT_HINTS);
    return cfg->root_hints ? 0 : fail_oom(ctx);
}

static int add_default_listens(struct parse_ctx *ctx)
{
    static const char *const loopback[] = { "127.0.0.1", "::1" };
    struct config *cfg = ctx->cfg;

    if (cfg->n_listens > 0)
        return 0;
    cfg->listens = calloc(2, sizeof *cfg->listens);
    if (!cfg->listens)
        return fail_oom(ctx);
    for (size_t i = 0; i < 2; i++) {
        struct config_listen *l = &cfg->listens[cfg->n_listens++];
        if (make_sockaddr(loopback[i], DEFAULT_PORT, false, &l->addr, &l->addrlen) != 0)
            return fail(ctx, "cannot make the default listen address %s", loopback[i]);
    }
    return 0;
}

static int finish_config(struct parse_ctx *ctx)
{
    struct config *cfg = ctx->cfg;

    if (cfg->min_ttl > cfg->max_ttl) {
        /* Name the later line: that is where the contradiction became visible. */
        ctx->line = ctx->min_ttl_line > ctx->max_ttl_line ? ctx->min_ttl_line : ctx->max_ttl_line;
        return fail(ctx, "'min-ttl' (%u) is greater than 'max-ttl' (%u)",
                    cfg->min_ttl, cfg->max_ttl);
    }
    if (cfg->n_tls_listens > 0 && (!cfg->tls_cert || !cfg->tls_key)) {
        ctx->line = cfg->tls_listen_line;
        return fail(ctx, "'listen-tls' needs 'tls-cert' and 'tls-key'");
    }
    ctx->line = 0;
    /* without a secret anyone who can reach the Redis could compute our keys, and plant
     * answers under them */
    if (cfg->cachedb_host && (!cfg->cachedb_secret || strlen(cfg->cachedb_secret) < 8))
        return fail(ctx, "'cachedb' needs 'cachedb-secret' (at least 8 characters)");
    /* as Unbound: anchors named in the config replace the shipped root anchors, so a
     * simulated internet with a root of its own can be validated */
    if (cfg->dnssec && cfg->n_trust_anchor_files == 0 &&
        push_string(ctx, &cfg->trust_anchor_files, &cfg->n_trust_anchor_files,
                    resolve_path(ctx, DEFAULT_TRUST_ANCHOR)) != 0)
        return -1;
    cfg->trust_anchor_default = cfg->dnssec && cfg->n_trust_anchor_files == 1 &&
                                !ctx->named_trust_anchor;
    if (add_default_listens(ctx) != 0)
        return -1;
    if (acl_default_loopback(&cfg->acl) != 0)
        return fail_oom(ctx);
    return 0;
}

/* The config's own path, absolute like every path in it, so a reload finds the same file. */
static char *absolute_config_path(const struct parse_ctx *ctx)
{
    const char *slash = strrchr(ctx->file, '/');
    return resolve_path(ctx, slash ? slash + 1 : ctx->file);
}

int config_load(const char *path, struct config **out, char *err, size_t errlen)
{
    struct parse_ctx ctx = { .file = path ? path : "(null)", .err = err, .errlen = errlen };
    int rc = -1;

    if (err && errlen)
        err[0] = '\0';
    if (!path || !out)
        return fail(&ctx, "no config file given");
    *out = NULL;
    ctx.cfg = calloc(1, sizeof *ctx.cfg);
    ctx.dir = config_directory(path);
    if (!ctx.cfg || !ctx.dir) {
        fail(&ctx, "%s", strerror(errno));
        goto out;
    }
    ctx.cfg->path = absolute_config_path(&ctx);
    if (!ctx.cfg->path) {
        fail_oom(&ctx);
        goto out;
    }
    if (set_defaults(&ctx) != 0 || parse_file(&ctx) != 0 || finish_config(&ctx) != 0)
        goto out;
    *out = ctx.cfg;
    ctx.cfg = NULL;
    rc = 0;
out:
    config_free(ctx.cfg);
    free(ctx.dir);
    return rc;
}

void config_free(struct config *cfg)
{
    if (!cfg)
        return;
    free(cfg->path);
    free(cfg->listens);
    free(cfg->tls_listens);
    free(cfg->tls_cert);
    free(cfg->tls_key);
    free(cfg->tls_ca_file);
    for (size_t i = 0; i < cfg->n_hosts_files; i++)
        free(cfg->hosts_files[i]);
    free(cfg->hosts_files);
    for (size_t i = 0; i < cfg->n_zones; i++) {
        free(cfg->zones[i].name);
        free(cfg->zones[i].path);
    }
    free(cfg->zones);
    free(cfg->forwards);
    free(cfg->outgoing);
    acl_free(&cfg->acl);
    free(cfg->root_hints);
    for (size_t i = 0; i < cfg->n_trust_anchor_files; i++)
        free(cfg->trust_anchor_files[i]);
    free(cfg->trust_anchor_files);
    for (size_t i = 0; i < cfg->n_negative_anchors; i++)
        free(cfg->negative_anchors[i]);
    free(cfg->negative_anchors);
    free(cfg->control_path);
    free(cfg->user);
    free(cfg->cachedb_host);
    free(cfg->cachedb_unix);
    free(cfg->cachedb_sentinel);
    free(cfg->cachedb_password);
    free(cfg->cachedb_prefix);
    free(cfg->cachedb_secret);
    free(cfg);
}

bool config_outgoing_for(const struct config *cfg, int family, struct sockaddr_storage *source)
{
    for (size_t k = 0; k < cfg->n_outgoing; k++) {
        if (cfg->outgoing[k].ss_family == family) {
            memcpy(source, &cfg->outgoing[k], sizeof *source);
            return true;
        }
    }
    return false;
}
