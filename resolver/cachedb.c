/* cachedb.c -- the shared cache stage: lookups and writes on one Redis connection per thread.
 *
 * Connection states: DOWN (no context; the retry timer will connect), CONNECTING (with a
 * Sentinel, first the question to it (sac); then a context, AUTH / SELECT / PING -- or
 * SUBSCRIBE -- queued; the probe timer bounds each step) and READY (the PING was answered). Lookups go out only when READY; otherwise the stage passes at once
 * (cachedb.skipped). Dropping a connection (a lookup timed out, the probe timed out, an
 * error) frees the hiredis context, which calls every pending callback with a NULL reply.
 *
 * A lookup (struct lookup) lives until hiredis has called its callback, which is the only
 * place it is freed: cancelling it (resolve_cancel) or timing it out only detaches it from
 * its resolution (r = NULL).
 *
 * DNSSEC forms: a value is the answer's form for DO clients (resolve.h `answered`), under
 * the key with DO 1 (CACHEDB_DO_FORM). A hit goes through the store like any answer, where
 * msgform_split derives the form for clients without DO from it -- so one value serves
 * both kinds of client, and a client without DO never gets RRSIGs from Redis. Instances of
 * before the two forms wrote and read DO 0 keys (their plain form): the two never meet.
 * Failure policy: nothing Redis says or fails to say is fatal;
 * every failure is a pass to the next stage, counted (cachedb.errors, .timeouts, .skipped)
 * and logged when the connection changes state. */
#include "cachedb.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/adapters/libev.h>
#include <ldns/ldns.h>
#include <openssl/rand.h>

#include "cachedbval.h"
#include "config.h"
#include "context.h"
#include "dname.h"
#include "ede.h"
#include "log.h"
#include "resolve.h"
#include "wire.h"

#define BACKOFF_MIN 0.1
#define BACKOFF_MAX 3.0

enum cdb_state { CDB_DOWN, CDB_CONNECTING, CDB_READY };
enum cdb_role { CDB_LOOKUP, CDB_SUBSCRIBE };

struct cachedb {
    struct thread_ctx *ctx;
    enum cdb_role role;
    enum cdb_state state;
    bool closing;                   /* cachedb_free: no reconnection */
    redisAsyncContext *ac;          /* NULL when DOWN */
    ev_timer retry;                 /* the next connection attempt */
    ev_timer probe;                 /* a connection must be READY within this */
    double backoff;
    double timeout;                 /* cachedb-timeout, seconds */
    uint64_t generation;            /* the flush generation the last lookup saw */
    uint64_t instance;              /* random: tells our own flush messages */
    cachedb_apply_fn *apply;        /* CDB_SUBSCRIBE: runs another instance's flush */
    void *apply_arg;
    char *host, *unix_path, *password, *prefix, *secret;   /* host: NULL until a Sentinel named it */
    uint16_t port;
    char *sentinel;                 /* `cachedb sentinel`: the primary's name there, else NULL */
    char *sentinel_host;
    uint16_t sentinel_port;
    redisAsyncContext *sac;         /* the Sentinel, while it is asked */
    uint32_t db;
    char genkey[CACHEDB_KEY_MAX], channel[CACHEDB_KEY_MAX];
};

struct lookup {
    struct cachedb *c;
    struct resolve *r;              /* NULL once cancelled or timed out */
    ev_timer timer;
    double sent;
};

static void cdb_connect(struct cachedb *c);

static const char *where(const struct cachedb *c, char *buf, size_t cap)
{
    if (!c->host)
        snprintf(buf, cap, "sentinel %s:%u %s", c->sentinel_host, c->sentinel_port, c->sentinel);
    else if (c->unix_path)
        snprintf(buf, cap, "unix:%s", c->unix_path);
    else
        snprintf(buf, cap, "%s:%u", c->host, c->port);
    return buf;
}

static void schedule_retry(struct cachedb *c)
{
    if (c->closing || ev_is_active(&c->retry))
        return;
    ev_timer_set(&c->retry, c->backoff, 0);
    ev_timer_start(c->ctx->loop, &c->retry);
    c->backoff = c->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : c->backoff * 2;
}

/* Drops the connection (not from inside hiredis's own free): pending callbacks run now,
 * with NULL replies, and a reconnection is scheduled. */
static void cdb_drop(struct cachedb *c, const char *why)
{
    redisAsyncContext *ac = c->ac;
    char buf[160];

    if (c->state == CDB_READY)
        log_warn("cachedb: %s: %s; skipping Redis until it answers again",
                 where(c, buf, sizeof buf), why);
    else
        log_debug("cachedb: %s: %s", where(c, buf, sizeof buf), why);
    c->ac = NULL;
    c->state = CDB_DOWN;
    ev_timer_stop(c->ctx->loop, &c->probe);
    schedule_retry(c);
    if (ac)
        redisAsyncFree(ac);
    if (c->sac) {
        redisAsyncContext *sac = c->sac;
        c->sac = NULL;
        redisAsyncFree(sac);
    }
}

static void on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)revents;
    cdb_connect(w->data);
}

static void on_probe_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)revents;
    cdb_drop(w->data, "no answer while connecting");
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct cachedb *c = ac->data;

    if (status == REDIS_OK || !c || c->ac != ac)
        return;
    /* hiredis frees the context after this call */
    log_debug("cachedb: connecting failed: %s", ac->errstr);
    c->ac = NULL;
    c->state = CDB_DOWN;
    ev_timer_stop(c->ctx->loop, &c->probe);
    schedule_retry(c);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct cachedb *c = ac->data;
    char buf[160];

    (void)status;
    if (!c || c->ac != ac)
        return;                     /* dropped by us: cdb_drop did the rest */
    if (c->state == CDB_READY)
        log_warn("cachedb: %s: connection lost (%s); reconnecting", where(c, buf, sizeof buf),
                 ac->errstr[0] ? ac->errstr : "closed");
    c->ac = NULL;
    c->state = CDB_DOWN;
    ev_timer_stop(c->ctx->loop, &c->probe);
    schedule_retry(c);
}

static void became_ready(struct cachedb *c)
{
    char buf[160];

    c->state = CDB_READY;
    c->backoff = BACKOFF_MIN;
    ev_timer_stop(c->ctx->loop, &c->probe);
    log_debug("cachedb: %s: ready%s", where(c, buf, sizeof buf),
              c->role == CDB_SUBSCRIBE ? " (flush channel)" : "");
}

/* AUTH, SELECT, PING: an error reply means this connection cannot be used. */
static void on_setup_reply(redisAsyncContext *ac, void *reply, void *arg)
{
    redisReply *rep = reply;
    struct cachedb *c = arg;

    if (!rep || c->ac != ac)
        return;
    if (rep->type == REDIS_REPLY_ERROR) {
        log_warn("cachedb: Redis refused the set-up: %s", rep->str);
        redisAsyncFree(ac);         /* in a callback: hiredis frees it afterwards */
        return;
    }
    if (rep->type == REDIS_REPLY_STATUS && strcmp(rep->str, "PONG") == 0)
        became_ready(c);
}

/* The flush channel: ["subscribe", channel, n] once, then ["message", channel, payload]. */
static void on_message(redisAsyncContext *ac, void *reply, void *arg)
{
    redisReply *rep = reply;
    struct cachedb *c = arg;
    char line[1024];
    uint64_t from;
    int skip = 0;

    if (!rep || c->ac != ac || rep->type != REDIS_REPLY_ARRAY || rep->elements != 3 ||
        rep->element[0]->type != REDIS_REPLY_STRING)
        return;
    if (strcmp(rep->element[0]->str, "subscribe") == 0) {
        became_ready(c);
        return;
    }
    redisReply *payload = rep->element[2];
    if (strcmp(rep->element[0]->str, "message") != 0 || payload->type != REDIS_REPLY_STRING ||
        payload->len >= sizeof line)
        return;
    memcpy(line, payload->str, payload->len);
    line[payload->len] = '\0';
    if (sscanf(line, "%" SCNx64 " %n", &from, &skip) != 1 || skip == 0 || from == c->instance)
        return;
    log_info("cachedb: flush from another instance: %s", line + skip);
    c->apply(c->apply_arg, line + skip);
}

static void connect_primary(struct cachedb *c)
{
    redisAsyncContext *ac = c->unix_path ? redisAsyncConnectUnix(c->unix_path)
                                         : redisAsyncConnect(c->host, c->port);

    if (!ac || ac->err || redisLibevAttach(c->ctx->loop, ac) != REDIS_OK) {
        log_debug("cachedb: cannot connect: %s", ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        schedule_retry(c);
        return;
    }
    ac->data = c;
    c->ac = ac;
    c->state = CDB_CONNECTING;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    if (c->password)
        redisAsyncCommand(ac, on_setup_reply, c, "AUTH %s", c->password);
    if (c->db && c->role == CDB_LOOKUP)
        redisAsyncCommand(ac, on_setup_reply, c, "SELECT %u", (unsigned)c->db);
    if (c->role == CDB_SUBSCRIBE)
        redisAsyncCommand(ac, on_message, c, "SUBSCRIBE %s", c->channel);
    else
        redisAsyncCommand(ac, on_setup_reply, c, "PING");
    /* connecting may take longer than a lookup may: a second, or the timeout if longer */
    ev_timer_set(&c->probe, c->timeout > 1.0 ? c->timeout : 1.0, 0);
    ev_timer_start(c->ctx->loop, &c->probe);
}

/* ---- Sentinel: which server is the primary now ------------------------------------------- */

/* The Sentinel is gone before it answered: try again later. */
static void sentinel_gone(struct cachedb *c)
{
    c->sac = NULL;
    if (c->state == CDB_CONNECTING && !c->ac) {
        c->state = CDB_DOWN;
        ev_timer_stop(c->ctx->loop, &c->probe);
        schedule_retry(c);
    }
}

static void on_sentinel_connect(const redisAsyncContext *ac, int status)
{
    struct cachedb *c = ac->data;

    if (status != REDIS_OK && c && c->sac == ac) {
        log_debug("cachedb: Sentinel unreachable: %s", ac->errstr);
        sentinel_gone(c);
    }
}

static void on_sentinel_disconnect(const redisAsyncContext *ac, int status)
{
    struct cachedb *c = ac->data;

    (void)status;
    if (c && c->sac == ac)
        sentinel_gone(c);
}

/* SENTINEL get-master-addr-by-name: [ip, port], or nil when it knows no such primary. Only
 * an address is taken (a host name would need a blocking lookup). */
static void on_sentinel_reply(redisAsyncContext *ac, void *reply, void *arg)
{
    redisReply *rep = reply;
    struct cachedb *c = arg;
    struct in6_addr any;
    char host[INET6_ADDRSTRLEN];
    unsigned long port = 0;

    if (!rep || c->sac != ac)
        return;
    c->sac = NULL;
    redisAsyncFree(ac);             /* in its callback: hiredis frees it afterwards */
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
        rep->element[0]->type == REDIS_REPLY_STRING && rep->element[0]->len < sizeof host &&
        rep->element[1]->type == REDIS_REPLY_STRING) {
        memcpy(host, rep->element[0]->str, rep->element[0]->len);
        host[rep->element[0]->len] = '\0';
        port = strtoul(rep->element[1]->str, NULL, 10);
    }
    if (port == 0 || port > 65535 ||
        (inet_pton(AF_INET, host, &any) != 1 && inet_pton(AF_INET6, host, &any) != 1)) {
        log_warn("cachedb: the Sentinel names no usable primary for '%s'", c->sentinel);
        c->state = CDB_DOWN;
        ev_timer_stop(c->ctx->loop, &c->probe);
        schedule_retry(c);
        return;
    }
    if (!c->host || strcmp(c->host, host) != 0 || c->port != port)
        log_info("cachedb: the Sentinel names %s:%lu the primary of '%s'", host, port,
                 c->sentinel);
    char *copy = strdup(host);
    if (!copy) {
        c->state = CDB_DOWN;
        schedule_retry(c);
        return;
    }
    free(c->host);
    c->host = copy;
    c->port = (uint16_t)port;
    ev_timer_stop(c->ctx->loop, &c->probe);
    connect_primary(c);
}

static void ask_sentinel(struct cachedb *c)
{
    redisAsyncContext *ac = redisAsyncConnect(c->sentinel_host, c->sentinel_port);

    if (!ac || ac->err || redisLibevAttach(c->ctx->loop, ac) != REDIS_OK) {
        if (ac)
            redisAsyncFree(ac);
        schedule_retry(c);
        return;
    }
    ac->data = c;
    c->sac = ac;
    c->state = CDB_CONNECTING;
    redisAsyncSetConnectCallback(ac, on_sentinel_connect);
    redisAsyncSetDisconnectCallback(ac, on_sentinel_disconnect);
    redisAsyncCommand(ac, on_sentinel_reply, c, "SENTINEL get-master-addr-by-name %s",
                      c->sentinel);
    ev_timer_set(&c->probe, c->timeout > 1.0 ? c->timeout : 1.0, 0);
    ev_timer_start(c->ctx->loop, &c->probe);
}

/* With a Sentinel, every (re)connection asks it first: after a failover it names the new
 * primary. */
static void cdb_connect(struct cachedb *c)
{
    if (c->sentinel)
        ask_sentinel(c);
    else
        connect_primary(c);
}

static struct cachedb *cdb_new(struct thread_ctx *ctx, enum cdb_role role)
{
    const struct config *cfg = ctx->d->cfg;
    struct cachedb *c;

    if (!cfg->cachedb_host || !(c = calloc(1, sizeof *c)))
        return NULL;
    c->ctx = ctx;
    c->role = role;
    c->backoff = BACKOFF_MIN;
    c->timeout = cfg->cachedb_timeout_ms / 1000.0;
    c->port = cfg->cachedb_port;
    c->db = cfg->cachedb_db;
    if (cfg->cachedb_sentinel) {
        c->sentinel = strdup(cfg->cachedb_sentinel);
        c->sentinel_host = strdup(cfg->cachedb_host);
        c->sentinel_port = cfg->cachedb_port;
        if (!c->sentinel || !c->sentinel_host) {
            cachedb_free(c);
            return NULL;
        }
    } else if (!(c->host = strdup(cfg->cachedb_host))) {
        cachedb_free(c);
        return NULL;
    }
    c->unix_path = cfg->cachedb_unix ? strdup(cfg->cachedb_unix) : NULL;
    c->password = cfg->cachedb_password ? strdup(cfg->cachedb_password) : NULL;
    c->prefix = strdup(cfg->cachedb_prefix ? cfg->cachedb_prefix : "resolverd:");
    c->secret = strdup(cfg->cachedb_secret ? cfg->cachedb_secret : "");
    if (!c->prefix || !c->secret || (cfg->cachedb_unix && !c->unix_path) ||
        (cfg->cachedb_password && !c->password) || RAND_bytes((unsigned char *)&c->instance,
                                                              sizeof c->instance) != 1) {
        cachedb_free(c);
        return NULL;
    }
    cachedb_key_label(c->secret, c->prefix, "generation", c->genkey);
    cachedb_key_label(c->secret, c->prefix, "flush", c->channel);
    ev_timer_init(&c->retry, on_retry, 0, 0);
    ev_timer_init(&c->probe, on_probe_timeout, 0, 0);
    c->retry.data = c->probe.data = c;
    ev_timer_start(ctx->loop, &c->retry);       /* connect from the loop, at once */
    return c;
}

struct cachedb *cachedb_open(struct thread_ctx *ctx)
{
    return cdb_new(ctx, CDB_LOOKUP);
}

struct cachedb *cachedb_open_subscriber(struct thread_ctx *ctx, const struct cachedb *publisher,
                                        cachedb_apply_fn *apply, void *arg)
{
    struct cachedb *c = publisher ? cdb_new(ctx, CDB_SUBSCRIBE) : NULL;

    if (c) {
        c->instance = publisher->instance;
        c->apply = apply;
        c->apply_arg = arg;
    }
    return c;
}

void cachedb_free(struct cachedb *c)
{
    if (!c)
        return;
    c->closing = true;
    ev_timer_stop(c->ctx->loop, &c->retry);
    ev_timer_stop(c->ctx->loop, &c->probe);
    if (c->ac) {
        redisAsyncContext *ac = c->ac;
        c->ac = NULL;
        redisAsyncFree(ac);         /* pending lookups are freed by their callbacks */
    }
    if (c->sac) {
        redisAsyncContext *sac = c->sac;
        c->sac = NULL;
        redisAsyncFree(sac);
    }
    free(c->sentinel);
    free(c->sentinel_host);
    free(c->host);
    free(c->unix_path);
    free(c->password);
    free(c->prefix);
    free(c->secret);
    free(c);
}

/* ---- flushes ----------------------------------------------------------------------------- */

/* SMEMBERS of a name's key set: every key stored for the name goes, and the set. */
static void on_name_keys(redisAsyncContext *ac, void *reply, void *arg)
{
    redisReply *rep = reply;
    struct cachedb *c = arg;

    if (!rep || c->ac != ac || rep->type != REDIS_REPLY_ARRAY)
        return;
    for (size_t i = 0; i < rep->elements; i++)
        if (rep->element[i]->type == REDIS_REPLY_STRING)
            redisAsyncCommand(ac, NULL, NULL, "DEL %b", rep->element[i]->str,
                              rep->element[i]->len);
}

/* `flush NAME...`: each name's stored keys, found through its key set. */
static void flush_names(struct cachedb *c, char **names, int n)
{
    char key[CACHEDB_KEY_MAX];
    uint8_t name[WIRE_MAX_NAME];
    size_t name_len;

    for (int i = 0; i < n; i++) {
        if (dname_key_from_text(names[i], name, &name_len) != 0)
            continue;
        cachedb_name_key(c->secret, c->prefix, name, name_len, key);
        redisAsyncCommand(c->ac, on_name_keys, c, "SMEMBERS %s", key);
        redisAsyncCommand(c->ac, NULL, NULL, "DEL %s", key);
    }
}

void cachedb_share_flush(struct cachedb *c, char **words, int n)
{
    char line[1024], key[CACHEDB_KEY_MAX];
    size_t len;

    if (!c || n < 1)
        return;
    if (c->state != CDB_READY || !c->ac) {
        log_warn("cachedb: Redis is down: '%s' reached this instance only", words[0]);
        return;
    }
    len = (size_t)snprintf(line, sizeof line, "%016" PRIx64 " %s", c->instance, words[0]);
    for (int i = 1; i < n && len < sizeof line; i++)
        len += (size_t)snprintf(line + len, sizeof line - len, " %s", words[i]);
    if (len >= sizeof line)
        return;
    uint8_t name[WIRE_MAX_NAME];
    size_t name_len;
    uint16_t type = 0;
    if (strcmp(words[0], "flush-type") == 0 && n == 3 &&
        dname_key_from_text(words[1], name, &name_len) == 0 &&
        (type = (uint16_t)ldns_get_rr_type_by_name(words[2])) != 0) {
        for (int dnssec_ok = 0; dnssec_ok <= 1; dnssec_ok++) {  /* 0: older instances' */
            cachedb_key(c->secret, c->prefix, name, name_len, type, LDNS_RR_CLASS_IN, dnssec_ok,
                        key);
            redisAsyncCommand(c->ac, NULL, NULL, "DEL %s", key);
        }
    } else if (strcmp(words[0], "flush") == 0 && n > 1) {
        flush_names(c, words + 1, n - 1);
    } else {
        redisAsyncCommand(c->ac, NULL, NULL, "INCR %s", c->genkey);
    }
    redisAsyncCommand(c->ac, NULL, NULL, "PUBLISH %s %s", c->channel, line);
}

/* ---- the stage --------------------------------------------------------------------------- */

static void pass(struct resolve *r, const char *why)
{
    resolve_set_reason(r, EDE_NONE, NULL);
    resolve_stage_done(r, RESOLVE_NEXT, NULL, 0, why);
}

/* MGET's two answers: the generation (nil before the first wide flush) and the value. */
static void use_reply(struct cachedb *c, struct resolve *r, const redisReply *rep)
{
    const struct resolve_query *q = resolve_query_of(r);
    static _Thread_local uint8_t msg[WIRE_MAX_UDP];
    size_t len = 0;

    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
        c->ctx->stats.cachedb_errors++;
        pass(r, "shared cache error");
        return;
    }
    const redisReply *gen = rep->element[0], *val = rep->element[1];
    c->generation = gen->type == REDIS_REPLY_STRING ? strtoull(gen->str, NULL, 10) : 0;
    if (val->type != REDIS_REPLY_STRING) {
        c->ctx->stats.cachedb_misses++;
        pass(r, "shared cache miss");
        return;
    }
    switch (cachedb_value_check((const uint8_t *)val->str, val->len, q->qname_lc, q->qname_len,
                                q->qtype, q->qclass, c->generation, time(NULL),
                                c->ctx->d->cfg->max_ttl, msg, sizeof msg, &len)) {
    case CACHEDB_VALUE_OK:
        c->ctx->stats.cachedb_hits++;
        resolve_stage_done(r, RESOLVE_ANSWER, msg, len, NULL);
        return;
    case CACHEDB_VALUE_STALE:
        c->ctx->stats.cachedb_misses++;
        pass(r, "shared cache miss (expired or flushed)");
        return;
    case CACHEDB_VALUE_BAD:
        break;
    }
    c->ctx->stats.cachedb_errors++;
    log_debug("cachedb: refused a corrupt value (%zu octets)", val->len);
    pass(r, "shared cache value refused");
}

static void on_lookup_reply(redisAsyncContext *ac, void *reply, void *arg)
{
    struct lookup *l = arg;
    struct cachedb *c = l->c;
    struct resolve *r = l->r;

    (void)ac;
    if (r)
        ev_timer_stop(c->ctx->loop, &l->timer);
    double rtt = ev_time() - l->sent;
    free(l);
    if (!r)
        return;                     /* cancelled, or timed out and passed on already */
    if (!reply) {
        c->ctx->stats.cachedb_skipped++;
        pass(r, "shared cache connection lost");
        return;
    }
    c->ctx->stats.cachedb_replies++;
    c->ctx->stats.cachedb_rtt_us_sum += (uint64_t)(rtt * 1e6);
    use_reply(c, r, reply);
}

static void on_lookup_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct lookup *l = w->data;
    struct cachedb *c = l->c;
    struct resolve *r = l->r;

    (void)loop, (void)revents;
    l->r = NULL;                    /* freed by its callback, when cdb_drop runs it */
    c->ctx->stats.cachedb_timeouts++;
    pass(r, "shared cache timed out");
    cdb_drop(c, "a lookup timed out");
}

static enum resolve_verdict stage_start(struct resolve *r, void **state, const char **why)
{
    const struct resolve_query *q = resolve_query_of(r);
    struct cachedb *c = q->ctx->cachedb;
    char key[CACHEDB_KEY_MAX];
    struct lookup *l;

    if (!c) {
        *why = NULL;
        return RESOLVE_NEXT;
    }
    if (q->refresh) {               /* a prefetch: Redis would hand back the expiring answer */
        *why = "a prefetch: the shared cache is not asked";
        return RESOLVE_NEXT;
    }
    if (q->unchecked) {             /* the validator's own question: Redis keeps only
                                     * checked answers, without what it needs */
        *why = NULL;
        return RESOLVE_NEXT;
    }
    if (c->state != CDB_READY || !c->ac) {
        c->ctx->stats.cachedb_skipped++;
        *why = "shared cache down: skipped";
        return RESOLVE_NEXT;
    }
    if (!(l = calloc(1, sizeof *l))) {
        *why = "shared cache: out of memory";
        return RESOLVE_NEXT;
    }
    cachedb_key(c->secret, c->prefix, q->qname_lc, q->qname_len, q->qtype, q->qclass,
                CACHEDB_DO_FORM, key);
    l->c = c;
    l->r = r;
    l->sent = ev_time();
    if (redisAsyncCommand(c->ac, on_lookup_reply, l, "MGET %s %s", c->genkey, key) != REDIS_OK) {
        free(l);
        c->ctx->stats.cachedb_errors++;
        *why = "shared cache: cannot send";
        return RESOLVE_NEXT;
    }
    if (q->trace)
        resolve_trace_route(q, "cachedb", "asking the shared cache");
    ev_timer_init(&l->timer, on_lookup_timeout, c->timeout, 0);
    l->timer.data = l;
    ev_timer_start(c->ctx->loop, &l->timer);
    *state = l;
    return RESOLVE_WAIT;
}

static void stage_cancel(void *state)
{
    struct lookup *l = state;

    l->r = NULL;
    ev_timer_stop(l->c->ctx->loop, &l->timer);
}

/* The answer a later stage found, as the local cache keeps it for DO clients: written
 * back, not waited for (a failed write is counted as an error, nothing more). */
static void on_store_reply(redisAsyncContext *ac, void *reply, void *arg)
{
    redisReply *rep = reply;
    struct cachedb *c = arg;

    if (!rep || rep->type != REDIS_REPLY_ERROR)
        return;
    c->ctx->stats.cachedb_errors++;
    if (strncmp(rep->str, "READONLY", 8) == 0 && c->ac == ac)
        cdb_drop(c, "the server is a replica now");
}

static void stage_answered(const struct resolve_query *q, const uint8_t *msg, size_t len)
{
    struct cachedb *c = q->ctx->cachedb;
    char key[CACHEDB_KEY_MAX];
    uint32_t ttl;
    uint8_t *val;
    size_t n;

    if (!c || c->state != CDB_READY || !c->ac || !(val = malloc(len + CACHEDB_VALUE_HEADER)))
        return;
    n = cachedb_value_build(msg, len, c->generation, time(NULL), val,
                            len + CACHEDB_VALUE_HEADER, &ttl);
    cachedb_key(c->secret, c->prefix, q->qname_lc, q->qname_len, q->qtype, q->qclass,
                CACHEDB_DO_FORM, key);
    if (n && redisAsyncCommand(c->ac, on_store_reply, c, "SET %s %b EX %u", key, val, n,
                               (unsigned)ttl) == REDIS_OK) {
        c->ctx->stats.cachedb_stores++;
        /* the name's set of keys, for `flush NAME`; it lives as long as its answers may */
        char names[CACHEDB_KEY_MAX];
        uint32_t max_ttl = c->ctx->d->cfg->max_ttl;
        cachedb_name_key(c->secret, c->prefix, q->qname_lc, q->qname_len, names);
        redisAsyncCommand(c->ac, on_store_reply, c, "SADD %s %s", names, key);
        redisAsyncCommand(c->ac, on_store_reply, c, "EXPIRE %s %u", names,
                          (unsigned)(ttl > max_ttl ? ttl : max_ttl));
    }
    free(val);
}

/* trusted: Redis holds only answers some instance stored after checking them */
const struct resolve_stage cachedb_stage = { "cachedb", stage_start, stage_cancel,
                                             stage_answered, NULL, true };
