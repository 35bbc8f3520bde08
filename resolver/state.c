/* state.c -- the daemon's shared state: built from the files, rebuilt on reload, freed.
 *
 * Reload is all-or-nothing: the new config, hosts table and local zones are all built
 * before any of them replaces the old one, so a typo in an edited file leaves the running
 * service exactly as it was (and says why). The `listen-tls` certificate and key are read
 * again too (a renewed certificate): new TLS connections use the new context, open ones
 * go on with the one they began with. What a reload cannot change -- the listening
 * sockets, the control socket path and the metrics address -- is logged as needing a
 * restart. The swap itself
 * is a few pointer stores into `struct daemon` under the world lock: every thread reads
 * the shared pointers from there (context.h), so there is nothing to copy afterwards. */
#include "state.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "anchors.h"
#include "cache.h"
#include "dname.h"
#include "config.h"
#include "context.h"
#include "fwdprobe.h"
#include "hints.h"
#include "hosts.h"
#include "infra.h"
#include "keycache.h"
#include "localzone.h"
#include "log.h"
#include "ratelimit.h"
#include "rrcache.h"
#include "sdnotify.h"
#include "tls.h"
#include "wire.h"
#include "workers.h"

#define HOSTS_POLL_SECONDS 2.0  /* libev's fallback when inotify is not available */
#define INFRA_ENTRIES      10000  /* authoritative servers remembered */

/* cache-size is shared: three quarters for whole answers, a quarter for the iterator's
 * RRsets (delegations and glue are few and small next to answers). */
static size_t message_cache_bytes(const struct config *cfg)
{
    return cfg->cache_size - cfg->cache_size / 4;
}

static size_t rrset_cache_bytes(const struct config *cfg)
{
    return cfg->cache_size / 4;
}

/* Proven DNSKEY sets are few (one per signed zone in use): a sixteenth, outside the rest. */
static size_t keycache_bytes(const struct config *cfg)
{
    return cfg->cache_size / 16 > 4096 ? cfg->cache_size / 16 : 4096;
}

struct cache_limits state_cache_limits(const struct config *cfg)
{
    struct cache_limits lim = {
        .max_bytes = message_cache_bytes(cfg),
        .min_ttl = cfg->min_ttl,
        .max_ttl = cfg->max_ttl,
        .max_negative_ttl = cfg->max_negative_ttl,
        .prefetch = cfg->prefetch,
        .stale_max_age = cfg->serve_stale ? cfg->serve_stale_max_age : 0,
    };
    return lim;
}

/* A missing hosts file is not fatal (a user may remove /etc/hosts): it is just empty. */
static struct hosts *load_hosts(const struct config *cfg)
{
    struct hosts *h = hosts_new();
    char err[512];

    if (!h)
        return NULL;
    for (size_t i = 0; i < cfg->n_hosts_files; i++)
        if (hosts_add_file(h, cfg->hosts_files[i], err, sizeof err) < 0)
            log_warn("hosts file skipped: %s", err);
    return h;
}

/* Without root hints there is no iteration: names no forwarder covers get SERVFAIL. That
 * is logged, not fatal, so a forward-only setup needs no hints file. */
static struct hints *load_hints(const struct config *cfg)
{
    struct hints *h = NULL;
    char err[512];

    if (cfg->root_hints && hints_load(cfg->root_hints, &h, err, sizeof err) < 0)
        log_warn("no iteration: %s", err);
    return h;
}

/* The trust anchors of the config (NULL with `dnssec no`). A validating resolver with an
 * anchor it cannot read would call every answer insecure: an error, not a warning. */
static int load_anchors(const struct config *cfg, struct anchors **out, char *err, size_t errlen)
{
    struct anchors *a;

    *out = NULL;
    if (!cfg->dnssec)
        return 0;
    if (cfg->trust_anchor_default && access(cfg->trust_anchor_files[0], R_OK) != 0) {
        log_warn("no DNSSEC validation: no trust anchor file %s (name one with "
                 "trust-anchor-file, or say dnssec no)", cfg->trust_anchor_files[0]);
        return 0;
    }
    if (!(a = calloc(1, sizeof *a))) {
        snprintf(err, errlen, "out of memory loading trust anchors");
        return -1;
    }
    for (size_t i = 0; i < cfg->n_trust_anchor_files; i++)
        if (anchors_load_file(a, cfg->trust_anchor_files[i], err, errlen) < 0)
            goto failed;
    for (size_t i = 0; i < cfg->n_negative_anchors; i++) {
        uint8_t name[WIRE_MAX_NAME];
        size_t len;
        if (dname_key_from_text(cfg->negative_anchors[i], name, &len) != 0 ||
            anchors_add_negative(a, name, len) != 0) {
            snprintf(err, errlen, "%s: negative-trust-anchor %s: out of memory", cfg->path,
                     cfg->negative_anchors[i]);
            goto failed;
        }
    }
    *out = a;
    return 0;
failed:
    anchors_clear(a);
    free(a);
    return -1;
}

void state_anchors_free(struct anchors *a)
{
    if (a)
        anchors_clear(a);
    free(a);
}

static struct localzones *load_zones(const struct config *cfg, char *err, size_t errlen)
{
    struct localzones *lz = localzones_new();

    if (!lz) {
        snprintf(err, errlen, "out of memory loading zones");
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_zones; i++) {
        if (localzones_add(lz, cfg->zones[i].name, cfg->zones[i].path, err, errlen) < 0) {
            localzones_free(lz);
            return NULL;
        }
    }
    return lz;
}

/* The listener's TLS context when `listen-tls` asks for one, and the upstreams' when a
 * `forward-tls` does (each NULL otherwise). */
static int load_tls(const struct config *cfg, struct tls_ctx **server, struct tls_ctx **client,
                    char *err, size_t errlen)
{
    *server = *client = NULL;
    if (cfg->n_tls_listens > 0 &&
        !(*server = tls_server_new(cfg->tls_cert, cfg->tls_key, err, errlen)))
        return -1;
    if (cfg->any_forward_tls && !(*client = tls_client_new(cfg->tls_ca_file, err, errlen))) {
        tls_ctx_free(*server);
        *server = NULL;
        return -1;
    }
    return 0;
}

int state_load(struct daemon *d, char *err, size_t errlen)
{
    if (config_load(d->config_path, &d->cfg, err, errlen) < 0)
        return -1;
    log_set_level(d->cfg->log_level);
    log_use_syslog(d->cfg->log_syslog);
    d->zones = load_zones(d->cfg, err, errlen);
    if (!d->zones)
        return -1;
    if (load_tls(d->cfg, &d->tls_server, &d->tls_client, err, errlen) < 0)
        return -1;
    if (load_anchors(d->cfg, &d->anchors, err, errlen) < 0)
        return -1;
    d->hosts = load_hosts(d->cfg);
    d->hints = load_hints(d->cfg);
    struct cache_limits lim = state_cache_limits(d->cfg);
    d->cache = cache_new(&lim);
    d->rrcache = rrcache_new(rrset_cache_bytes(d->cfg), d->cfg->max_ttl);
    d->infra = infra_new(INFRA_ENTRIES);
    d->ratelimit = ratelimit_new();
    d->keycache = keycache_new(keycache_bytes(d->cfg));
    d->ds_proofs = keycache_new(keycache_bytes(d->cfg));
    d->nsec_ranges = keycache_new(keycache_bytes(d->cfg));
    if (!d->hosts || !d->cache || !d->rrcache || !d->infra || !d->ratelimit || !d->keycache ||
        !d->ds_proofs || !d->nsec_ranges) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    log_info("loaded %zu local zones, %zu hosts names; iteration %s; DNSSEC validation %s",
             localzones_count(d->zones), hosts_count(d->hosts),
             d->hints ? "on" : "off (no root hints)", d->anchors ? "on" : "off");
    return 0;
}

void state_free(struct daemon *d)
{
    cache_free(d->cache);
    rrcache_free(d->rrcache);
    infra_free(d->infra);
    ratelimit_free(d->ratelimit);
    keycache_free(d->keycache);
    keycache_free(d->ds_proofs);
    keycache_free(d->nsec_ranges);
    state_anchors_free(d->anchors);
    hints_free(d->hints);
    tls_ctx_free(d->tls_server);
    tls_ctx_free(d->tls_client);
    hosts_free(d->hosts);
    localzones_free(d->zones);
    config_free(d->cfg);
}

/* ---- hosts files ---------------------------------------------------------------------- */

static void drop_cached_name(const uint8_t *name_lc, size_t len, void *arg)
{
    struct daemon *d = arg;

    cache_flush_name(d->cache, name_lc, len);
}

/* Puts in a new hosts table. The swap happens under the world lock (workers read d->hosts
 * while answering); the diff, the cache flushes and freeing the old table come after it,
 * when no thread can still be looking at the old one. */
static void swap_hosts(struct daemon *d, struct hosts *fresh)
{
    workers_pause(d);
    struct hosts *old = d->hosts;
    d->hosts = fresh;
    workers_resume(d);
    hosts_diff(old, fresh, drop_cached_name, d);
    hosts_free(old);
}

int state_reload_hosts(struct daemon *d)
{
    struct hosts *fresh = load_hosts(d->cfg);   /* parsed while the workers go on serving */

    if (!fresh)
        return -1;
    swap_hosts(d, fresh);
    log_info("hosts reloaded: %zu names", hosts_count(d->hosts));
    return 0;
}

static void hosts_changed(struct ev_loop *loop, ev_stat *w, int revents)
{
    (void)loop;
    (void)revents;
    state_reload_hosts(w->data);
}

void state_unwatch_hosts(struct daemon *d)
{
    for (size_t i = 0; i < d->n_hosts_watch; i++)
        ev_stat_stop(d->main_thread.loop, &d->hosts_watch[i]);
    free(d->hosts_watch);
    d->hosts_watch = NULL;
    d->n_hosts_watch = 0;
}

/* ev_stat keeps a pointer to the path: it points into d->cfg, so re-watch on every swap. */
void state_watch_hosts(struct daemon *d)
{
    state_unwatch_hosts(d);
    if (d->cfg->n_hosts_files == 0)
        return;
    d->hosts_watch = calloc(d->cfg->n_hosts_files, sizeof *d->hosts_watch);
    if (!d->hosts_watch) {
        log_warn("cannot watch the hosts files: out of memory");
        return;
    }
    d->n_hosts_watch = d->cfg->n_hosts_files;
    for (size_t i = 0; i < d->n_hosts_watch; i++) {
        ev_stat_init(&d->hosts_watch[i], hosts_changed, d->cfg->hosts_files[i],
                     HOSTS_POLL_SECONDS);
        d->hosts_watch[i].data = d;
        ev_stat_start(d->main_thread.loop, &d->hosts_watch[i]);
    }
}

/* ---- reload ---------------------------------------------------------------------------- */

static bool forwards_equal(const struct config *a, const struct config *b)
{
    if (a->n_forwards != b->n_forwards)
        return false;
    for (size_t i = 0; i < a->n_forwards; i++) {
        const struct config_forward *x = &a->forwards[i], *y = &b->forwards[i];
        if (!wire_name_equal(x->zone, x->zone_len, y->zone, y->zone_len) ||
            x->n_upstreams != y->n_upstreams || x->tls != y->tls)
            return false;
        for (int k = 0; k < x->n_upstreams; k++)
            if (!addr_equal(&x->upstreams[k], &y->upstreams[k]) ||
                strcmp(x->auth_names[k], y->auth_names[k]) != 0)
                return false;
    }
    return true;
}

/* Answers validated under other anchors (or not at all) may carry the wrong verdict. */
static bool validation_equal(const struct config *a, const struct config *b)
{
    if (a->dnssec != b->dnssec || a->n_trust_anchor_files != b->n_trust_anchor_files ||
        a->n_negative_anchors != b->n_negative_anchors)
        return false;
    for (size_t i = 0; i < a->n_trust_anchor_files; i++)
        if (strcmp(a->trust_anchor_files[i], b->trust_anchor_files[i]) != 0)
            return false;
    for (size_t i = 0; i < a->n_negative_anchors; i++)
        if (strcmp(a->negative_anchors[i], b->negative_anchors[i]) != 0)
            return false;
    return true;
}

static void warn_unchangeable(const struct config *old, const struct config *fresh)
{
    bool same_listen = old->n_listens == fresh->n_listens;
    for (size_t i = 0; same_listen && i < old->n_listens; i++)
        same_listen = addr_equal(&old->listens[i].addr, &fresh->listens[i].addr);
    same_listen = same_listen && old->n_tls_listens == fresh->n_tls_listens;
    for (size_t i = 0; same_listen && i < old->n_tls_listens; i++)
        same_listen = addr_equal(&old->tls_listens[i].addr, &fresh->tls_listens[i].addr);
    if (!same_listen)
        log_warn("reload: 'listen' and 'listen-tls' changes take effect after a restart");
    if ((old->control_path == NULL) != (fresh->control_path == NULL) ||
        (old->control_path && strcmp(old->control_path, fresh->control_path) != 0))
        log_warn("reload: 'control' changes take effect after a restart");
    if (old->metrics_addrlen != fresh->metrics_addrlen ||
        (old->metrics_addrlen && !addr_equal(&old->metrics_addr, &fresh->metrics_addr)))
        log_warn("reload: 'metrics' changes take effect after a restart");
    if (old->threads != fresh->threads)
        log_warn("reload: 'threads' changes take effect after a restart");
}

/* Everything new is read and checked first, while the workers go on serving; only the
 * pointer swap holds the world lock, so a reload (even a failed one, or one with big zone
 * files) never stalls the answers. What the old objects are freed after that. */
int state_reload(struct daemon *d, char *err, size_t errlen)
{
    struct config *fresh_cfg;
    struct localzones *fresh_zones;
    struct tls_ctx *fresh_tls, *fresh_tls_client;

    sdnotify_reloading();               /* READY=1 again below, whatever the outcome */
    if (config_load(d->config_path, &fresh_cfg, err, errlen) < 0)
        goto failed;
    if (!(fresh_zones = load_zones(fresh_cfg, err, errlen))) {
        config_free(fresh_cfg);
        goto failed;
    }
    if (load_tls(fresh_cfg, &fresh_tls, &fresh_tls_client, err, errlen) < 0) {
        localzones_free(fresh_zones);
        config_free(fresh_cfg);
        goto failed;
    }
    struct anchors *fresh_anchors;
    if (load_anchors(fresh_cfg, &fresh_anchors, err, errlen) < 0) {
        tls_ctx_free(fresh_tls);
        tls_ctx_free(fresh_tls_client);
        localzones_free(fresh_zones);
        config_free(fresh_cfg);
        goto failed;
    }
    struct hosts *fresh_hosts = load_hosts(fresh_cfg);
    struct hints *fresh_hints = load_hints(fresh_cfg);
    bool keep_hints = !fresh_hints && fresh_cfg->root_hints;
    if (keep_hints)
        log_warn("reload: keeping the root hints loaded before");
    warn_unchangeable(d->cfg, fresh_cfg);
    bool flush_all = !forwards_equal(d->cfg, fresh_cfg) || !validation_equal(d->cfg, fresh_cfg);

    workers_pause(d);
    struct config *old_cfg = d->cfg;
    struct localzones *old_zones = d->zones;
    struct hints *old_hints = keep_hints ? NULL : d->hints;
    struct tls_ctx *old_tls = d->tls_server, *old_tls_client = d->tls_client;
    d->cfg = fresh_cfg;
    d->zones = fresh_zones;
    d->tls_server = fresh_tls;
    d->tls_client = fresh_tls_client;
    struct anchors *old_anchors = d->anchors;
    d->anchors = fresh_anchors;
    keycache_flush_all(d->keycache);    /* proofs from the old anchors may not hold now */
    keycache_flush_all(d->nsec_ranges);
    if (!keep_hints)
        d->hints = fresh_hints;
    struct cache_limits lim = state_cache_limits(d->cfg);
    cache_set_limits(d->cache, &lim);
    rrcache_set_limits(d->rrcache, rrset_cache_bytes(d->cfg), d->cfg->max_ttl);
    if (flush_all) {
        cache_flush_all(d->cache);      /* answers from the old forwarders may be wrong now */
        d->cache_generation++;          /* ... and so are those still on their way */
    }
    log_set_level(d->cfg->log_level);
    log_use_syslog(d->cfg->log_syslog);
    workers_resume(d);

    if (fresh_hosts)
        swap_hosts(d, fresh_hosts);
    state_watch_hosts(d);               /* its paths point into the config: before freeing */
    fwdprobe_sync(d->fwdprobe);         /* forwarders (and forward-probe) may have changed */
    config_free(old_cfg);
    localzones_free(old_zones);
    hints_free(old_hints);
    state_anchors_free(old_anchors);
    tls_ctx_free(old_tls);              /* connections made from it hold their own reference */
    tls_ctx_free(old_tls_client);
    log_info("reloaded %s%s", d->config_path, 
             flush_all ? " (forwarders or validation changed: cache flushed)" : "");
    sdnotify_ready();
    return 0;
failed:
    log_err("reload failed, keeping the running configuration: %s", err);
    sdnotify_ready();                   /* still serving, with the old configuration */
    return -1;
}
