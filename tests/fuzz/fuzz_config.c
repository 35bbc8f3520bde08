/* fuzz_config.c -- libFuzzer target: the resolver.conf parser (config_load).
 *
 * Input: the whole config file. It is written to an in-memory file (fuzz_common.h) and
 * loaded as the daemon loads it. config_load names no file it does not read itself (hosts,
 * zone and hints paths are only stored), so nothing outside the memfd is touched.
 *
 * Invariants: a failed load returns no config and an error that names the file; a
 * successful one has at least one listen address and one ACL rule, min-ttl <= max-ttl,
 * every zone name ending in '.', forward zones whole lower-cased wire names with 1 to
 * CONFIG_MAX_UPSTREAMS upstreams, and every path absolute. What the daemon then does with a
 * config on every query is run too: forward_find must pick each forward zone for the zone's
 * own name (nothing is more specific), and acl_allows is asked about a few clients.
 *
 * Static state: `fz` holds the memfd, made once in LLVMFuzzerInitialize. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "fuzz_common.h"
#include "acl.h"
#include "config.h"
#include "forward.h"

static struct {
    struct fuzz_file conf;
} fz;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_file_open(&fz.conf, "resolver.conf");
    return 0;
}

static bool ends_in_dot(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && name[n - 1] == '.';
}

/* A query for the zone of a `forward` line itself must be routed to that line. */
static void check_forward_found(const struct config *cfg, const struct config_forward *f)
{
    FUZZ_CHECK(forward_find(cfg, f->zone, f->zone_len) == f);
}

/* The zone is a whole, lower-cased wire name: its labels end exactly at the root label. */
static bool wire_zone_sane(const struct config_forward *f)
{
    size_t pos = 0;

    while (pos < f->zone_len && f->zone[pos] != 0) {
        for (size_t k = 1; k <= f->zone[pos] && pos + k < f->zone_len; k++)
            if (f->zone[pos + k] >= 'A' && f->zone[pos + k] <= 'Z')
                return false;
        pos += (size_t)f->zone[pos] + 1;
    }
    return pos + 1 == f->zone_len;
}

static void ask_acl(const struct config *cfg)
{
    static const char *const v4[] = { "127.0.0.1", "10.1.2.3", "192.0.2.1" };
    static const char *const v6[] = { "::1", "::ffff:10.1.2.3", "2001:db8::1" };
    struct sockaddr_in sin = { .sin_family = AF_INET };
    struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

    for (size_t i = 0; i < 3; i++) {
        if (inet_pton(AF_INET, v4[i], &sin.sin_addr) == 1)
            (void)acl_allows(&cfg->acl, (const struct sockaddr *)&sin);
        if (inet_pton(AF_INET6, v6[i], &sin6.sin6_addr) == 1)
            (void)acl_allows(&cfg->acl, (const struct sockaddr *)&sin6);
    }
}

static void check_config(const struct config *cfg)
{
    FUZZ_CHECK(cfg->path && cfg->path[0] == '/');
    FUZZ_CHECK(cfg->n_listens >= 1);
    FUZZ_CHECK(cfg->acl.n_rules >= 1);
    FUZZ_CHECK(cfg->min_ttl <= cfg->max_ttl);
    FUZZ_CHECK(cfg->cache_size >= 64 * 1024);
    FUZZ_CHECK(cfg->edns_buffer_size >= 512 && cfg->edns_buffer_size <= 4096);
    FUZZ_CHECK(cfg->root_hints && cfg->root_hints[0] == '/');
    FUZZ_CHECK(!cfg->control_path || cfg->control_path[0] == '/');
    for (size_t i = 0; i < cfg->n_hosts_files; i++)
        FUZZ_CHECK(cfg->hosts_files[i][0] == '/');
    for (size_t i = 0; i < cfg->n_zones; i++) {
        FUZZ_CHECK(ends_in_dot(cfg->zones[i].name));
        FUZZ_CHECK(cfg->zones[i].path[0] == '/');
    }
    for (size_t i = 0; i < cfg->n_forwards; i++) {
        const struct config_forward *f = &cfg->forwards[i];
        FUZZ_CHECK(wire_zone_sane(f));
        FUZZ_CHECK(f->n_upstreams >= 1 && f->n_upstreams <= CONFIG_MAX_UPSTREAMS);
        check_forward_found(cfg, f);
    }
    ask_acl(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config *cfg = NULL;
    char err[512];

    fuzz_file_set(&fz.conf, data, size);
    if (config_load(fz.conf.path, &cfg, err, sizeof err) != 0) {
        FUZZ_CHECK(cfg == NULL);
        FUZZ_CHECK(strncmp(err, fz.conf.path, strlen(fz.conf.path)) == 0);
        return 0;
    }
    check_config(cfg);
    config_free(cfg);
    return 0;
}
