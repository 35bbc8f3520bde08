/* test_config.c -- unit tests for resolver/config.c: defaults, every directive, relative
 * paths, exact "FILE:LINE: message" errors, forward syntax, sizes and config_parse_addr.
 * Config files are written into a fresh mkdtemp directory, removed at the end. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "config.h"
#include "forward.h"
#include "log.h"
#include "tap.h"
#include "wire.h"

struct fixture {
    char dir[PATH_MAX];
    char path[PATH_MAX + 32];     /* the config file most recently written */
    char err[512];
};

static void die(const char *what)
{
    diag("%s: %s", what, strerror(errno));
    exit(2);
}

/* Writes dir/name (dir/sub/name when name has a slash, after mkdir of sub). */
static const char *write_config(struct fixture *fx, const char *name, const char *text)
{
    snprintf(fx->path, sizeof fx->path, "%s/%s", fx->dir, name);
    FILE *fp = fopen(fx->path, "w");
    if (!fp)
        die(fx->path);
    if (fputs(text, fp) == EOF || fclose(fp) != 0)
        die(fx->path);
    return fx->path;
}

static struct config *load_text(struct fixture *fx, const char *text)
{
    struct config *cfg = NULL;
    fx->err[0] = '\0';
    if (config_load(write_config(fx, "resolver.conf", text), &cfg, fx->err, sizeof fx->err) != 0) {
        diag("config_load: %s", fx->err);
        return NULL;
    }
    return cfg;
}

/* "192.0.2.1@53" or "2001:db8::1@53" for comparing addresses as text. */
static const char *addr_text(const struct sockaddr_storage *ss, char *buf, size_t size)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;

    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
        port = ntohs(sin->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
        port = ntohs(sin6->sin6_port);
    }
    snprintf(buf, size, "%s@%u", host, port);
    return buf;
}

/* A forward zone (lower-cased wire form) as text, for comparing with is_str. */
static const char *zone_text(const struct config_forward *f)
{
    static char buf[WIRE_MAX_NAME * 4 + 2];
    return wire_name_to_str(f->zone, f->zone_len, buf, sizeof buf);
}

static bool acl_allows_text(const struct acl *acl, const char *text)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (config_parse_addr(text, 1, &ss, &len) != 0)
        return false;
    return acl_allows(acl, (const struct sockaddr *)&ss);
}

static char *join(const char *a, const char *b)
{
    char *out;
    if (asprintf(&out, "%s%s", a, b) < 0)
        die("asprintf");
    return out;
}

static void is_path(const char *got, const struct fixture *fx, const char *rel, const char *name)
{
    char want[PATH_MAX * 2];
    snprintf(want, sizeof want, "%s/%s", fx->dir, rel);
    is_str(got, want, name);
}

static void test_defaults(struct fixture *fx)
{
    char buf[64];
    struct config *cfg = load_text(fx, "");

    ok(cfg != NULL, "an empty file loads");
    if (!cfg)
        return;
    is_str(cfg->path, fx->path, "path is the file read");
    is_int(cfg->n_listens, 2, "two default listen addresses");
    is_str(addr_text(&cfg->listens[0].addr, buf, sizeof buf), "127.0.0.1@53", "default listen v4");
    is_int(cfg->listens[0].addrlen, sizeof(struct sockaddr_in), "v4 addrlen");
    is_str(addr_text(&cfg->listens[1].addr, buf, sizeof buf), "::1@53", "default listen v6");
    is_int(cfg->listens[1].addrlen, sizeof(struct sockaddr_in6), "v6 addrlen");
    is_int(cfg->n_hosts_files + cfg->n_zones + cfg->n_forwards + cfg->n_outgoing, 0,
           "no hosts, zones, forwards, outgoing interfaces");
    is_int(cfg->acl.n_rules, 2, "loopback acl by default");
    ok(acl_allows_text(&cfg->acl, "127.0.0.1") && acl_allows_text(&cfg->acl, "::1"),
       "default acl allows loopback");
    ok(!acl_allows_text(&cfg->acl, "192.0.2.1"), "default acl denies others");
    is_int(cfg->threads, 0, "threads 0");
    is_path(cfg->root_hints, fx, "hints/root.hints", "root-hints next to the config");
    ok(cfg->control_path == NULL, "no control socket");
    is_int(cfg->metrics_addrlen, 0, "no metrics endpoint");
    ok(cfg->user == NULL, "no user");
    is_int(cfg->log_level, LOG_LVL_INFO, "log-level info");
    ok(!cfg->log_syslog, "log stderr");
    ok(!cfg->log_queries, "log-queries no");
    is_int(cfg->cache_size, 64 << 20, "cache-size 64M");
    is_int(cfg->min_ttl, 0, "min-ttl 0");
    is_int(cfg->max_ttl, 86400, "max-ttl 86400");
    is_int(cfg->max_negative_ttl, 3600, "max-negative-ttl 3600");
    is_int(cfg->hosts_ttl, 0, "hosts-ttl 0");
    ok(!cfg->forward_first && !cfg->serve_stale && !cfg->query_loopback,
       "forward-first, serve-stale, query-loopback off");
    ok(cfg->prefetch, "prefetch on");
    is_int(cfg->forward_policy, CONFIG_FORWARD_ORDERED, "forward-policy ordered");
    ok(cfg->forward_probe, "forward-probe yes");
    is_int(cfg->serve_stale_client_timeout_ms, 1800, "serve-stale-client-timeout 1800");
    is_int(cfg->serve_stale_max_age, 86400, "serve-stale-max-age 86400");
    ok(cfg->qname_minimisation && cfg->case_randomisation && cfg->do_ip4 && cfg->do_ip6 &&
       cfg->root_priming, "qname-minimisation, case-randomisation, do-ip4, do-ip6, root-priming on");
    is_int(cfg->edns_buffer_size, 1232, "edns-buffer-size 1232");
    is_int(cfg->upstream_timeout_ms, 1000, "upstream-timeout 1000");
    is_int(cfg->tcp_idle_timeout_ms, 10000, "tcp-idle-timeout 10000");
    is_int(cfg->tcp_max_connections, 256, "tcp-max-connections 256");
    config_free(cfg);
}

static const char every_directive[] =
    "# every directive once, with values that are not the defaults\n"
    "listen 192.0.2.1\n"
    "listen ::1 5353   # trailing comment\n"
    "\tthreads\t4\n"
    "threads 8\n"
    "hosts /etc/hosts\n"
    "hosts local.hosts\n"
    "zone Example.LAN zones/example.lan.zone\n"
    "zone 2.0.192.in-addr.arpa. /srv/rev.zone\n"
    "root-hints /usr/share/dns/root.hints\n"
    "forward corp.example 10.0.0.53\n"
    "forward-first yes\n"
    "forward-policy fastest\n"
    "forward-probe no\n"
    "cache-size 512K\n"
    "min-ttl 30\n"
    "max-ttl 7200\n"
    "max-negative-ttl 600\n"
    "hosts-ttl 60\n"
    "allow 10.0.0.0/8\n"
    "deny 10.1.0.0/16\n"
    "control run/ctl.sock\n"
    "metrics ::1 9153\n"
    "log-level debug\n"
    "log syslog\n"
    "log-queries yes\n"
    "qname-minimisation no\n"
    "root-priming no\n"
    "case-randomisation no\n"
    "prefetch yes\n"
    "serve-stale yes\n"
    "serve-stale-client-timeout 0\n"
    "serve-stale-max-age 3600\n"
    "query-loopback yes\n"
    "do-ip4 no\n"
    "do-ip6 no\n"
    "outgoing-interface 192.0.2.10\n"
    "outgoing-interface 2001:db8::10\n"
    "edns-buffer-size 4096\n"
    "user nobody\n"
    "upstream-timeout 250\n"
    "tcp-idle-timeout 3000\n"
    "tcp-max-connections 10\n";

static void check_lists(const struct fixture *fx, const struct config *cfg)
{
    char buf[64];

    is_int(cfg->n_listens, 2, "two listen lines");
    is_str(addr_text(&cfg->listens[0].addr, buf, sizeof buf), "192.0.2.1@53", "listen v4, port 53");
    is_str(addr_text(&cfg->listens[1].addr, buf, sizeof buf), "::1@5353", "listen v6 with port");
    is_int(cfg->n_hosts_files, 2, "two hosts files");
    is_str(cfg->hosts_files[0], "/etc/hosts", "absolute hosts path kept");
    is_path(cfg->hosts_files[1], fx, "local.hosts", "relative hosts path resolved");
    is_int(cfg->n_zones, 2, "two zones");
    is_str(cfg->zones[0].name, "Example.LAN.", "zone name as written plus '.'");
    is_path(cfg->zones[0].path, fx, "zones/example.lan.zone", "zone path resolved");
    is_int(cfg->zones[0].line, 8, "zone line recorded");
    is_str(cfg->zones[1].name, "2.0.192.in-addr.arpa.", "reverse zone name");
    is_int(cfg->n_forwards, 1, "one forward");
    is_str(zone_text(&cfg->forwards[0]), "corp.example.", "forward zone");
    is_int(cfg->forwards[0].line, 11, "forward line recorded");
    is_int(cfg->n_outgoing, 2, "two outgoing interfaces");
    is_str(addr_text(&cfg->outgoing[0], buf, sizeof buf), "192.0.2.10@0", "outgoing v4, port 0");
    is_str(addr_text(&cfg->outgoing[1], buf, sizeof buf), "2001:db8::10@0", "outgoing v6");
    is_int(cfg->acl.n_rules, 2, "only the configured acl rules");
    ok(acl_allows_text(&cfg->acl, "10.2.0.1"), "allow 10/8 applies");
    ok(!acl_allows_text(&cfg->acl, "10.1.0.1"), "deny 10.1/16 applies");
    ok(!acl_allows_text(&cfg->acl, "127.0.0.1"), "no loopback default when rules exist");
}

static void check_values(const struct fixture *fx, const struct config *cfg)
{
    char buf[80];

    is_int(cfg->threads, 8, "threads: the last one wins");
    is_str(cfg->root_hints, "/usr/share/dns/root.hints", "root-hints absolute");
    ok(cfg->forward_first, "forward-first yes");
    is_int(cfg->forward_policy, CONFIG_FORWARD_FASTEST, "forward-policy fastest");
    ok(!cfg->forward_probe, "forward-probe no");
    is_int(cfg->cache_size, 512 * 1024, "cache-size 512K");
    is_int(cfg->min_ttl, 30, "min-ttl");
    is_int(cfg->max_ttl, 7200, "max-ttl");
    is_int(cfg->max_negative_ttl, 600, "max-negative-ttl");
    is_int(cfg->hosts_ttl, 60, "hosts-ttl");
    is_path(cfg->control_path, fx, "run/ctl.sock", "control path resolved");
    is_int(cfg->log_level, LOG_LVL_DEBUG, "log-level debug");
    ok(cfg->log_syslog, "log syslog");
    ok(cfg->log_queries, "log-queries yes");
    ok(!cfg->qname_minimisation, "qname-minimisation no");
    ok(!cfg->root_priming, "root-priming no");
    ok(!cfg->case_randomisation, "case-randomisation no");
    ok(cfg->prefetch, "prefetch yes");
    ok(cfg->serve_stale, "serve-stale yes");
    is_int(cfg->serve_stale_client_timeout_ms, 0, "serve-stale-client-timeout 0 (at once)");
    is_int(cfg->serve_stale_max_age, 3600, "serve-stale-max-age");
    ok(cfg->query_loopback, "query-loopback yes");
    ok(!cfg->do_ip4, "do-ip4 no");
    ok(!cfg->do_ip6, "do-ip6 no");
    is_int(cfg->edns_buffer_size, 4096, "edns-buffer-size");
    is_str(cfg->user, "nobody", "user");
    is_int(cfg->upstream_timeout_ms, 250, "upstream-timeout");
    is_int(cfg->tcp_idle_timeout_ms, 3000, "tcp-idle-timeout");
    is_int(cfg->tcp_max_connections, 10, "tcp-max-connections");
    is_str(addr_text(&cfg->metrics_addr, buf, sizeof buf), "::1@9153", "metrics ADDR PORT");
}

static void test_every_directive(struct fixture *fx)
{
    struct config *cfg = load_text(fx, every_directive);

    ok(cfg != NULL, "a file with every directive loads");
    if (!cfg)
        return;
    check_lists(fx, cfg);
    check_values(fx, cfg);
    config_free(cfg);
}

/* `metrics PORT` alone is loopback; bad ports and addresses are errors naming the line. */
static void test_metrics(struct fixture *fx)
{
    static const char *const bad[] = {
        "metrics 0\n", "metrics 127.0.0.1 65536\n", "metrics example.com 9153\n",
        "metrics 127.0.0.1 9153 x\n", "metrics\n",
    };
    struct config *cfg = load_text(fx, "metrics 9100\n");
    char buf[80];

    ok(cfg != NULL, "metrics PORT loads");
    if (cfg)
        is_str(addr_text(&cfg->metrics_addr, buf, sizeof buf), "127.0.0.1@9100",
               "metrics PORT listens on 127.0.0.1");
    config_free(cfg);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg = NULL;
        const char *path = write_config(fx, "bad.conf", bad[i]);
        ok(config_load(path, &cfg, fx->err, sizeof fx->err) == -1 && cfg == NULL &&
           strstr(fx->err, ":1: ") && strstr(fx->err, "'metrics'"),
           "refused: %.*s (%s)", (int)strlen(bad[i]) - 1, bad[i], fx->err);
    }
}

/* `listen-tls ADDR [PORT]`: port 853 by default; it needs both tls-cert and tls-key, which
 * are made absolute like every path. */
static void test_listen_tls(struct fixture *fx)
{
    static const char *const incomplete[] = {
        "listen-tls 127.0.0.1\n", "tls-cert c.pem\nlisten-tls 127.0.0.1\n",
        "listen-tls 127.0.0.1\ntls-key k.pem\n",
    };
    struct config *cfg = load_text(fx, "listen-tls 127.0.0.1\nlisten-tls ::1 8853\n"
                                       "tls-cert c.pem\ntls-key k.pem\n"
                                       "tls-handshake-timeout 500\n");
    char buf[80];

    ok(cfg != NULL, "listen-tls with tls-cert and tls-key loads");
    if (cfg) {
        is_int(cfg->n_tls_listens, 2, "two listen-tls addresses");
        is_str(addr_text(&cfg->tls_listens[0].addr, buf, sizeof buf), "127.0.0.1@853",
               "listen-tls without a port is port 853");
        is_str(addr_text(&cfg->tls_listens[1].addr, buf, sizeof buf), "::1@8853",
               "listen-tls with a port");
        is_int(cfg->n_listens, 2, "listen-tls leaves the default UDP/TCP listens");
        is_path(cfg->tls_cert, fx, "c.pem", "tls-cert is made absolute");
        is_path(cfg->tls_key, fx, "k.pem", "tls-key is made absolute");
        is_int(cfg->tls_handshake_timeout_ms, 500, "tls-handshake-timeout");
    }
    config_free(cfg);
    for (size_t i = 0; i < sizeof incomplete / sizeof incomplete[0]; i++) {
        cfg = NULL;
        const char *path = write_config(fx, "bad.conf", incomplete[i]);
        ok(config_load(path, &cfg, fx->err, sizeof fx->err) == -1 && cfg == NULL &&
           strstr(fx->err, "'listen-tls' needs 'tls-cert' and 'tls-key'"),
           "refused without a certificate and key: %s", fx->err);
    }
}

/* `forward-tls ZONE ADDR[@PORT]#AUTH-NAME...`: port 853 by default, a name for each
 * address; '#' inside a field is not a comment. */
static void test_forward_tls(struct fixture *fx)
{
    struct config *cfg = load_text(fx, "forward-tls . 192.0.2.1#dns.example "
                                       "[2001:db8::1]@8853#other.example # a comment\n"
                                       "tls-ca-file ca.pem\n");
    char buf[80];

    ok(cfg != NULL, "forward-tls loads");
    if (cfg) {
        is_int(cfg->n_forwards, 1, "one forward zone");
        ok(cfg->forwards[0].tls && cfg->any_forward_tls, "... marked TLS");
        is_int(cfg->forwards[0].n_upstreams, 2, "... with two upstreams (the comment is cut)");
        is_str(addr_text(&cfg->forwards[0].upstreams[0], buf, sizeof buf), "192.0.2.1@853",
               "port 853 by default");
        is_str(cfg->forwards[0].auth_names[0], "dns.example", "the first AUTH-NAME");
        is_str(addr_text(&cfg->forwards[0].upstreams[1], buf, sizeof buf), "2001:db8::1@8853",
               "an IPv6 upstream with a port");
        is_str(cfg->forwards[0].auth_names[1], "other.example", "the second AUTH-NAME");
        is_path(cfg->tls_ca_file, fx, "ca.pem", "tls-ca-file is made absolute");
    }
    config_free(cfg);
    cfg = load_text(fx, "forward . 192.0.2.1\n");
    ok(cfg && !cfg->forwards[0].tls && !cfg->any_forward_tls, "plain forward is not TLS");
    config_free(cfg);
    static const char *const bad[] = { "forward-tls . 192.0.2.1\n", "forward-tls . 192.0.2.1#\n",
                                       "forward-tls . dns.example#dns.example\n" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg = NULL;
        const char *path = write_config(fx, "bad.conf", bad[i]);
        ok(config_load(path, &cfg, fx->err, sizeof fx->err) == -1 && cfg == NULL &&
           strstr(fx->err, ":1: 'forward-tls' needs"), "refused: %s", fx->err);
    }
}

static void test_last_wins(struct fixture *fx)
{
    struct config *cfg = load_text(fx,
        "root-hints a.hints\nroot-hints b.hints\ncontrol x\ncontrol /y\nuser a\nuser b\n"
        "log-level error\nlog-level warn\nprefetch yes\nprefetch no\ncache-size 1G\n"
        "cache-size 2G\nthreads 4 # four\r\n");

    ok(cfg != NULL, "repeated single-valued directives load");
    if (!cfg)
        return;
    is_path(cfg->root_hints, fx, "b.hints", "last root-hints wins");
    is_str(cfg->control_path, "/y", "last control wins");
    is_str(cfg->user, "b", "last user wins");
    is_int(cfg->log_level, LOG_LVL_WARN, "last log-level wins");
    ok(!cfg->prefetch, "last prefetch wins");
    is_int(cfg->cache_size, (size_t)2 << 30, "last cache-size wins (2G)");
    is_int(cfg->threads, 4, "comment and CRLF after a value");
    config_free(cfg);
}

/* A config in a subdirectory, loaded by absolute and by relative path. */
static void test_relative_paths(struct fixture *fx)
{
    char sub[PATH_MAX + 8], cwd[PATH_MAX], real_dir[PATH_MAX], want[PATH_MAX * 2];
    struct config *cfg = NULL;

    snprintf(sub, sizeof sub, "%s/sub", fx->dir);
    if (mkdir(sub, 0700) != 0)
        die(sub);
    write_config(fx, "sub/r.conf", "hosts h\nzone lan ../z/lan.zone\ncontrol ./c.sock\n");
    ok(config_load(fx->path, &cfg, fx->err, sizeof fx->err) == 0, "config in a subdirectory loads");
    if (!cfg)
        return;
    is_path(cfg->hosts_files[0], fx, "sub/h", "hosts relative to the config's directory");
    is_path(cfg->zones[0].path, fx, "sub/../z/lan.zone", "zone path relative to it");
    is_path(cfg->control_path, fx, "sub/./c.sock", "control path relative to it");
    is_path(cfg->root_hints, fx, "sub/hints/root.hints", "default root-hints relative to it");
    config_free(cfg);

    /* By a relative name: the stored paths must still be absolute. */
    if (!getcwd(cwd, sizeof cwd) || chdir(fx->dir) != 0 || !getcwd(real_dir, sizeof real_dir))
        die("chdir");
    cfg = NULL;
    ok(config_load("sub/r.conf", &cfg, fx->err, sizeof fx->err) == 0, "relative config path loads");
    if (chdir(cwd) != 0)
        die("chdir back");
    if (!cfg)
        return;
    snprintf(want, sizeof want, "%s/sub/h", real_dir);
    is_str(cfg->hosts_files[0], want, "relative config: hosts path made absolute");
    snprintf(want, sizeof want, "%s/sub/r.conf", real_dir);
    is_str(cfg->path, want, "relative config: its own path made absolute");
    config_free(cfg);
}

struct bad_case {
    const char *text;
    int line;
    const char *message;
};

static const struct bad_case bad_cases[] = {
    { "# typo\n\nlissen 127.0.0.1\n", 3, "unknown directive 'lissen'" },
    { "threads 2\n\n  # x\ncache-size lots\n", 4,
      "'cache-size' needs a size like 64M, got 'lots'" },
    { "forward example.com\n", 1, "'forward' needs a zone and at least one address" },
    { "threads\n", 1, "'threads' needs a number from 0 to 256" },
    { "threads 257\n", 1, "'threads' needs a number from 0 to 256, got '257'" },
    { "threads -1\n", 1, "'threads' needs a number from 0 to 256, got '-1'" },
    { "threads 4x\n", 1, "'threads' needs a number from 0 to 256, got '4x'" },
    { "threads 4 5\n", 1, "'threads' needs a number from 0 to 256, got extra '5'" },
    { "prefetch\n", 1, "'prefetch' needs yes or no" },
    { "\nprefetch maybe\n", 2, "'prefetch' needs yes or no, got 'maybe'" },
    { "serve-stale YES\n", 1, "'serve-stale' needs yes or no, got 'YES'" },
    { "serve-stale-client-timeout 60001\n", 1,
      "'serve-stale-client-timeout' needs milliseconds from 0 to 60000, got '60001'" },
    { "serve-stale-max-age 1d\n", 1,
      "'serve-stale-max-age' needs a number of seconds from 0 to 2147483647, got '1d'" },
    { "listen localhost\n", 1,
      "'listen' needs an IPv4 or IPv6 address and an optional port, got 'localhost'" },
    { "listen 127.0.0.1 0\n", 1, "'listen' needs a port from 1 to 65535, got '0'" },
    { "listen 127.0.0.1 65536\n", 1, "'listen' needs a port from 1 to 65535, got '65536'" },
    { "listen ::1 53 x\n", 1,
      "'listen' needs an IPv4 or IPv6 address and an optional port, got extra 'x'" },
    { "zone example.lan\n", 1, "'zone' needs a domain name and a file name" },
    { "zone a..b x.zone\n", 1, "'zone' needs a domain name like example.lan, got 'a..b'" },
    { "zone lan a\nzone x b\nzone LAN. c\n", 3, "zone 'LAN.' is already declared on line 1" },
    { "forward a..b 192.0.2.1\n", 1, "'forward' needs a zone like example.com or ., got 'a..b'" },
    { "forward . 192.0.2.1@0\n", 1,
      "'forward' needs addresses like 192.0.2.1, ::1 or [::1]@5353, got '192.0.2.1@0'" },
    { "forward . 192.0.2.1 dns.google\n", 1,
      "'forward' needs addresses like 192.0.2.1, ::1 or [::1]@5353, got 'dns.google'" },
    { "forward . [192.0.2.1]@53\n", 1,
      "'forward' needs addresses like 192.0.2.1, ::1 or [::1]@5353, got '[192.0.2.1]@53'" },
    { "forward example.com 192.0.2.1\nforward Example.COM. 192.0.2.2\n", 2,
      "forward zone 'example.com.' is already declared on line 1" },
    { "forward . 1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 1.1.1.8 1.1.1.9 "
      "1.1.1.10 1.1.1.11 1.1.1.12 1.1.1.13 1.1.1.14 1.1.1.15 1.1.1.16 1.1.1.17\n", 1,
      "'forward' takes at most 16 addresses, got 17" },
    { "forward-first sure\n", 1, "'forward-first' needs yes or no, got 'sure'" },
    { "forward-policy random\n", 1, "'forward-policy' needs ordered or fastest, got 'random'" },
    { "forward-policy\n", 1, "'forward-policy' needs ordered or fastest" },
    { "forward-probe often\n", 1, "'forward-probe' needs yes or no, got 'often'" },
    { "cache-size 1K\n", 1, "'cache-size' must be at least 64K, got '1K'" },
    { "cache-size 65535\n", 1, "'cache-size' must be at least 64K, got '65535'" },
    { "cache-size 64MB\n", 1, "'cache-size' needs a size like 64M, got '64MB'" },
    { "cache-size M\n", 1, "'cache-size' needs a size like 64M, got 'M'" },
    { "cache-size -64M\n", 1, "'cache-size' needs a size like 64M, got '-64M'" },
    { "cache-size 99999999999999999999G\n", 1,
      "'cache-size' needs a size like 64M, got '99999999999999999999G'" },
    { "cache-size 17179869184G\n", 1, "'cache-size' needs a size like 64M, got '17179869184G'" },
    { "min-ttl 600\nmax-ttl 300\n", 2, "'min-ttl' (600) is greater than 'max-ttl' (300)" },
    { "max-ttl 300\n\nmin-ttl 600\n", 3, "'min-ttl' (600) is greater than 'max-ttl' (300)" },
    { "min-ttl 90000\n", 1, "'min-ttl' (90000) is greater than 'max-ttl' (86400)" },
    { "max-ttl 2147483648\n", 1,
      "'max-ttl' needs a number of seconds from 0 to 2147483647, got '2147483648'" },
    { "max-negative-ttl 1h\n", 1,
      "'max-negative-ttl' needs a number of seconds from 0 to 2147483647, got '1h'" },
    { "hosts-ttl 18446744073709551616\n", 1,
      "'hosts-ttl' needs a number of seconds from 0 to 2147483647, got '18446744073709551616'" },
    { "allow 10.0.0.0/33\n", 1,
      "'allow' needs an address or CIDR like 10.0.0.0/8, got '10.0.0.0/33'" },
    { "deny everyone\n", 1, "'deny' needs an address or CIDR like 10.0.0.0/8, got 'everyone'" },
    { "log-level loud\n", 1, "'log-level' needs one of error, warn, info, debug, got 'loud'" },
    { "log journal\n", 1, "'log' needs stderr or syslog, got 'journal'" },
    { "log\n", 1, "'log' needs stderr or syslog" },
    { "log-queries maybe\n", 1, "'log-queries' needs yes or no, got 'maybe'" },
    { "outgoing-interface 192.0.2.1@53\n", 1,
      "'outgoing-interface' needs an IPv4 or IPv6 address, got '192.0.2.1@53'" },
    { "edns-buffer-size 511\n", 1,
      "'edns-buffer-size' needs a number of bytes from 512 to 4096, got '511'" },
    { "edns-buffer-size 4097\n", 1,
      "'edns-buffer-size' needs a number of bytes from 512 to 4096, got '4097'" },
    { "user\n", 1, "'user' needs a user name" },
    { "upstream-timeout 49\n", 1,
      "'upstream-timeout' needs milliseconds from 50 to 60000, got '49'" },
    { "tcp-idle-timeout 600001\n", 1,
      "'tcp-idle-timeout' needs milliseconds from 100 to 600000, got '600001'" },
    { "tcp-max-connections 0\n", 1,
      "'tcp-max-connections' needs a number from 1 to 100000, got '0'" },
    { "root-hints a b\n", 1, "'root-hints' needs a file name, got extra 'b'" },
    { "cachedb redis redis.example:6379\n", 1,
      "'cachedb' needs an IP address (no host names), got 'redis.example:6379'" },
    { "cachedb redis 127.0.0.1\n", 1,
      "'cachedb' needs redis HOST:PORT or redis unix:PATH, got '127.0.0.1'" },
    { "cachedb memcached 127.0.0.1:11211\n", 1,
      "'cachedb' supports redis and sentinel, got 'memcached'" },
    { "cachedb sentinel 127.0.0.1:26379\n", 1,
      "'cachedb' needs redis HOST:PORT, redis unix:PATH or sentinel HOST:PORT NAME" },
    { "cachedb-timeout 0\n", 1, "'cachedb-timeout' needs milliseconds from 1 to 10000, got '0'" },
    { "listen-tls 127.0.0.1 0\n", 1, "'listen-tls' needs a port from 1 to 65535, got '0'" },
    { "tls-handshake-timeout 99\n", 1,
      "'tls-handshake-timeout' needs milliseconds from 100 to 60000, got '99'" },
};

static void test_bad_lines(struct fixture *fx)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        static struct config sentinel;
        struct config *cfg = &sentinel;   /* config_load must reset it to NULL */
        char want[PATH_MAX * 2];
        const char *path = write_config(fx, "bad.conf", c->text);

        snprintf(want, sizeof want, "%s:%d: %s", path, c->line, c->message);
        ok(config_load(path, &cfg, fx->err, sizeof fx->err) == -1 && cfg == NULL,
           "bad case %zu fails with no config", i);
        is_str(fx->err, want, c->message);
    }
}

/* `cachedb`: its three forms; without a secret the file is refused. */
static void test_cachedb(struct fixture *fx)
{
    struct config *cfg = load_text(fx, "cachedb redis [::1]:6380\ncachedb-secret 12345678\n");

    ok(cfg && strcmp(cfg->cachedb_host, "::1") == 0 && cfg->cachedb_port == 6380 &&
       !cfg->cachedb_unix && !cfg->cachedb_sentinel, "cachedb redis [::1]:6380");
    ok(cfg && cfg->cachedb_timeout_ms == 5 && !cfg->cachedb_prefix, "cachedb defaults");
    config_free(cfg);
    cfg = load_text(fx, "cachedb redis unix:/run/r.sock\ncachedb-secret 12345678\n");
    ok(cfg && cfg->cachedb_unix && strcmp(cfg->cachedb_unix, "/run/r.sock") == 0,
       "cachedb redis unix:PATH");
    config_free(cfg);
    cfg = load_text(fx, "cachedb sentinel 127.0.0.1:26379 main\ncachedb-secret 12345678\n");
    ok(cfg && cfg->cachedb_sentinel && strcmp(cfg->cachedb_sentinel, "main") == 0 &&
       cfg->cachedb_port == 26379, "cachedb sentinel HOST:PORT NAME");
    config_free(cfg);
    cfg = load_text(fx, "cachedb redis 127.0.0.1:6379\n");
    ok(!cfg && strstr(fx->err, "'cachedb' needs 'cachedb-secret'"), "cachedb without a secret");
    config_free(cfg);
}

static void test_missing_file(struct fixture *fx)
{
    char path[PATH_MAX + 16], want[PATH_MAX + 64];
    struct config *cfg = NULL;

    snprintf(path, sizeof path, "%s/nope.conf", fx->dir);
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    ok(config_load(path, &cfg, fx->err, sizeof fx->err) == -1 && cfg == NULL,
       "a missing file fails");
    is_str(fx->err, want, "missing file: FILE: strerror");

    snprintf(want, sizeof want, "%s: Is a directory", fx->dir);
    ok(config_load(fx->dir, &cfg, fx->err, sizeof fx->err) == -1, "a directory fails");
    is_str(fx->err, want, "directory: FILE: strerror");

    char small[8];
    ok(config_load(path, &cfg, small, sizeof small) == -1, "a short error buffer is fine");
    is_int(strlen(small), sizeof small - 1, "the error is cut to the buffer");
    config_free(NULL);
    ok(1, "config_free(NULL) is harmless");
}

static void test_forward_addresses(struct fixture *fx)
{
    char buf[64];
    struct config *cfg = load_text(fx,
        "forward . 192.0.2.1 192.0.2.2@5353 ::1 [2001:db8::1]@5300 2001:db8::2@53 [::2]\n"
        "forward Corp.EXAMPLE 10.0.0.53@1053\n");

    ok(cfg != NULL, "forward lines with ports and IPv6 load");
    if (!cfg)
        return;
    is_int(cfg->n_forwards, 2, "two forwards");
    const struct config_forward *all = &cfg->forwards[0], *corp = &cfg->forwards[1];
    is_str(zone_text(all), ".", "'.' forwards everything");
    is_int(all->n_upstreams, 6, "six upstreams");
    is_str(addr_text(&all->upstreams[0], buf, sizeof buf), "192.0.2.1@53", "v4, default port");
    is_int(all->upstream_lens[0], sizeof(struct sockaddr_in), "v4 length");
    is_str(addr_text(&all->upstreams[1], buf, sizeof buf), "192.0.2.2@5353", "v4@port");
    is_str(addr_text(&all->upstreams[2], buf, sizeof buf), "::1@53", "v6, default port");
    is_int(all->upstream_lens[2], sizeof(struct sockaddr_in6), "v6 length");
    is_str(addr_text(&all->upstreams[3], buf, sizeof buf), "2001:db8::1@5300", "[v6]@port");
    is_str(addr_text(&all->upstreams[4], buf, sizeof buf), "2001:db8::2@53", "v6@port");
    is_str(addr_text(&all->upstreams[5], buf, sizeof buf), "::2@53", "[v6]");
    is_str(zone_text(corp), "corp.example.", "forward zone lower-cased with a trailing dot");
    is_str(addr_text(&corp->upstreams[0], buf, sizeof buf), "10.0.0.53@1053", "second forward");
    config_free(cfg);

    cfg = load_text(fx, "forward . 1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 "
                        "1.1.1.8 1.1.1.9 1.1.1.10 1.1.1.11 1.1.1.12 1.1.1.13 1.1.1.14 1.1.1.15 "
                        "1.1.1.16\n");
    ok(cfg && cfg->forwards[0].n_upstreams == CONFIG_MAX_UPSTREAMS, "16 upstreams are allowed");
    config_free(cfg);
}

/* fuzz_config: a zone with a character ldns escapes and wire_name_to_str does not (')', ';')
 * was stored as ldns printed it, and forward_find, which printed query names with
 * wire_name_to_str, never matched it. Zones are now wire form, compared label by label. */
static void test_forward_zone_text(struct fixture *fx)
{
    struct config *cfg = load_text(fx, "forward Odd)Zone.example 192.0.2.1\n"
                                       "forward a;b.example 192.0.2.2\n");
    const char *names[] = { "www.odd)zone.example.", "a;b.example." };

    ok(cfg != NULL, "forward zones with ')' and ';' load");
    if (!cfg)
        return;
    is_str(zone_text(&cfg->forwards[0]), "odd)zone.example.", "the zone, lower-cased");
    for (size_t i = 0; i < 2; i++) {
        ldns_rdf *name = ldns_dname_new_frm_str(names[i]);
        if (!name)
            continue;
        wire_name_lower(ldns_rdf_data(name), ldns_rdf_size(name));
        ok(forward_find(cfg, ldns_rdf_data(name), ldns_rdf_size(name)) == &cfg->forwards[i],
           "forward_find matches %s", names[i]);
        ldns_rdf_deep_free(name);
    }
    config_free(cfg);
}

/* A query name (presentation form, any case) as the lower-cased wire name a query carries,
 * then the forward zone forward_find picks for it: its index, or -1 for none. */
static int forward_index(const struct config *cfg, const char *qname)
{
    ldns_rdf *name = ldns_dname_new_frm_str(qname);
    const struct config_forward *f;

    if (!name)
        return -2;
    wire_name_lower(ldns_rdf_data(name), ldns_rdf_size(name));
    f = forward_find(cfg, ldns_rdf_data(name), ldns_rdf_size(name));
    ldns_rdf_deep_free(name);
    return f ? (int)(f - cfg->forwards) : -1;
}

/* Names with characters that need escaping in text: each zone matches its own names and
 * those below, label by label, never by how their text happens to look. */
static void test_forward_special_names(struct fixture *fx)
{
    static const struct { const char *qname; int want; const char *what; } cases[] = {
        { "x.back\\\\slash.example.", 0, "a backslash in a label" },
        { "X.BACK\\\\SLASH.EXAMPLE.", 0, "a backslash, the query in upper case" },
        { "www.sp\\032ace.example.", 1, "a space in a label" },
        { "dot\\.ted.example.", 2, "a dot inside a label: the zone itself" },
        { "a.dot\\.ted.example.", 2, "a dot inside a label: a name below" },
        { "x.dot.ted.example.", 3, "dot.ted as two labels is below ted.example, not dot\\.ted" },
        { "x\\.ted.example.", 8, "one label x.ted is not below ted.example" },
        { "notted.example.", 8, "notted.example is not below ted.example" },
        { "hi\\200bit.example.", 4, "an octet above 0x7f" },
        { "q.par(en)s.example.", 5, "parentheses" },
        { "q.semi;colon.example.", 6, "a semicolon" },
        { "abc.example.", 7, "a zone written with a decimal escape for an upper-case letter" },
        { "other.example.", 8, "anything else under example" },
        { "elsewhere.", -1, "outside every zone" },
    };
    struct config *cfg = load_text(fx,
        "forward back\\\\slash.example 192.0.2.1\n"
        "forward sp\\032ace.example 192.0.2.2\n"
        "forward dot\\.ted.example 192.0.2.3\n"
        "forward ted.example 192.0.2.4\n"
        "forward hi\\200bit.example 192.0.2.5\n"
        "forward par(en)s.example 192.0.2.6\n"
        "forward semi;colon.example 192.0.2.7\n"
        "forward \\065BC.example 192.0.2.8\n"
        "forward example 192.0.2.9\n");

    ok(cfg != NULL, "forward zones with escaped characters load");
    if (!cfg)
        return;
    is_int(cfg->n_forwards, 9, "nine forward zones");
    is_str(zone_text(&cfg->forwards[2]), "dot\\046ted.example.", "a dot in a label, as text");
    is_int(cfg->forwards[2].zone_len, 17, "dot\\.ted.example is two labels in wire form");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        is_int(forward_index(cfg, cases[i].qname), cases[i].want, cases[i].what);
    config_free(cfg);
}

static void test_sizes(struct fixture *fx)
{
    static const struct { const char *text; size_t bytes; } sizes[] = {
        { "64M", (size_t)64 << 20 }, { "512K", 512 << 10 }, { "1G", (size_t)1 << 30 },
        { "64K", 64 << 10 }, { "65536", 65536 }, { "3g", (size_t)3 << 30 },
        { "100m", (size_t)100 << 20 },
    };

    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *text = join("cache-size ", sizes[i].text);
        struct config *cfg = load_text(fx, text);
        ok(cfg != NULL, "cache-size %s loads", sizes[i].text);
        if (cfg)
            is_int(cfg->cache_size, sizes[i].bytes, sizes[i].text);
        config_free(cfg);
        free(text);
    }
}

static void test_parse_addr(void)
{
    static const struct { const char *text; const char *want; } good[] = {
        { "127.0.0.1", "127.0.0.1@53" }, { "::1", "::1@53" },
        { "127.0.0.1@5353", "127.0.0.1@5353" },
        { "::1@5353", "::1@5353" }, { "[::1]@5353", "::1@5353" }, { "[::1]", "::1@53" },
        { "::ffff:192.0.2.1@1", "::ffff:192.0.2.1@1" }, { "192.0.2.1@65535", "192.0.2.1@65535" },
    };
    static const char *const bad[] = {
        "", "localhost", "127.0.0.1@", "127.0.0.1@0", "127.0.0.1@65536", "127.0.0.1@-1",
        "127.0.0.1@ 53", "127.0.0.1@53x", "[127.0.0.1]", "[::1", "[::1]53", "[::1]:53", "::1]",
        "[]@53", "@53", "1.2.3", "1.2.3.4.5", "127.0.0.1:53", "::1@53@53", " ::1",
        "1111:2222:3333:4444:5555:6666:7777:8888:9999", "fe80::1%lo",
    };
    struct sockaddr_storage ss;
    socklen_t len = 0;
    char buf[64];

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        ok(config_parse_addr(good[i].text, 53, &ss, &len) == 0, "parses '%s'", good[i].text);
        is_str(addr_text(&ss, buf, sizeof buf), good[i].want, good[i].text);
    }
    ok(config_parse_addr("192.0.2.1", 0, &ss, &len) == 0 && len == sizeof(struct sockaddr_in),
       "default port 0 is allowed for outgoing addresses");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ok(config_parse_addr(bad[i], 53, &ss, &len) == -1, "rejects '%s'", bad[i]);
    ok(config_parse_addr(NULL, 53, &ss, &len) == -1, "rejects NULL");
}

int main(void)
{
    struct fixture fx;
    char cmd[PATH_MAX + 16];

    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

    snprintf(fx.dir, sizeof fx.dir, "%s/test_config.XXXXXX", tmp);
    if (!mkdtemp(fx.dir))
        die("mkdtemp");
    test_defaults(&fx);
    test_every_directive(&fx);
    test_metrics(&fx);
    test_listen_tls(&fx);
    test_forward_tls(&fx);
    test_last_wins(&fx);
    test_relative_paths(&fx);
    test_bad_lines(&fx);
    test_missing_file(&fx);
    test_cachedb(&fx);
    test_forward_addresses(&fx);
    test_forward_zone_text(&fx);
    test_forward_special_names(&fx);
    test_sizes(&fx);
    test_parse_addr();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx.dir);
    if (system(cmd) != 0)
        diag("could not remove %s", fx.dir);
    return done_testing();
}
