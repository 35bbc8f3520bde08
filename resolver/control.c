/* control.c -- the UNIX control socket and the commands resolverctl sends over it.
 *
 * Owns: the listening socket at `control PATH` (mode 0600, created under umask 077 so it is
 * never reachable by others, not even for an instant), the client connections on it, and
 * the command table. It runs on the main thread's loop (d->main_thread.loop) next to the
 * signal watchers, and reaches the rest of the daemon only through the public calls of the
 * cache, the stats, the workers' lock and state_reload; a trace runs in the main thread's
 * context.
 *
 * One connection = one command (see control.h for the protocol). Every client is
 * non-blocking and has its own struct with one ev_io (read, then write) and one ev_timer
 * covering its whole life, so a client that sends nothing, sends too much or never reads
 * its answer costs at most CONTROL_CLIENT_TIMEOUT seconds and a few kilobytes; at most
 * CONTROL_MAX_CLIENTS are served at once and any more are closed as soon as accepted.
 *
 *     accept -> reading (until '\n', EOF, CONTROL_MAX_REQUEST bytes or the timeout)
 *            -> control_execute -> writing (until all is sent or the timeout) -> closed
 *
 * Commands are rows of `commands[]`: a name, how many arguments it takes and a handler.
 * The dispatcher checks the argument count, writes "ok\n" and calls the handler, which
 * appends its output or replaces the whole reply with "error: ..." (reply_fail).
 *
 * A response starts in a CONTROL_MAX_RESPONSE buffer and grows (doubling) up to
 * CONTROL_MAX_DUMP, which only dump-cache needs; a dump that would not fit stops at a
 * whole entry and says so in its last line. The command runs to completion on the loop
 * (a walk of the cache, bounded by CONTROL_MAX_DUMP of text), and the writing is
 * non-blocking like every other reply. */
#include "control.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "anchors.h"
#include "cache.h"
#include "cachedb.h"
#include "cachefile.h"
#include "config.h"
#include "context.h"
#include "dname.h"
#include "fwdprobe.h"
#include "infra.h"
#include "keycache.h"
#include "log.h"
#include "rrcache.h"
#include "state.h"
#include "stats.h"
#include "strbuf.h"
#include "tracecmd.h"
#include "version.h"
#include "wire.h"
#include "workers.h"

#define CONTROL_MAX_CLIENTS     16
#define CONTROL_CLIENT_TIMEOUT  5.0         /* seconds, for the whole connection */
#define CONTROL_TRACE_TIMEOUT   20.0        /* seconds a trace may run (iteration: 10) */
#define CONTROL_MAX_RESPONSE    (64 * 1024) /* what a response starts with ... */
#define CONTROL_MAX_DUMP        (4 * 1024 * 1024) /* ... and may grow to (dump-cache) */
#define CONTROL_DUMP_RESERVE    256         /* kept free during a dump for its last line */
#define CONTROL_MAX_ARGS        64          /* the command name included */
#define CONTROL_BACKLOG         16
#define CONTROL_ACCEPT_PAUSE    1.0         /* seconds without accepting when out of fds */

/* Closes a descriptor we are done with; a failure there loses nothing, so it is only
 * worth a debug line. */
static void close_fd(int fd)
{
    if (close(fd) != 0)
        log_debug("control: close: %s", strerror(errno));
}

/* ---- replies ------------------------------------------------------------------------ */

/* Throws away whatever was written (the "ok" line included) and writes "error: ...".
 * Returns -1 so a handler can `return reply_fail(...)`. */
static int reply_fail(struct strbuf *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int reply_fail(struct strbuf *r, const char *fmt, ...)
{
    va_list ap;
    r->len = 0;
    r->buf[0] = '\0';
    strbuf_append(r, "error: ");
    va_start(ap, fmt);
    strbuf_vappend(r, fmt, ap);
    va_end(ap);
    strbuf_append(r, "\n");
    return -1;
}

/* ---- commands ----------------------------------------------------------------------- */

/* args[0] is the command name itself; nargs counts the arguments after it. A handler
 * appends to r (which already holds "ok\n") or calls reply_fail; it returns 0 or -1. */
typedef int (*control_handler)(struct daemon *d, char **args, int nargs, struct strbuf *r);
/* A command whose answer comes later (trace): it starts the work and leaves r holding
 * "ok\n"; the client's connection stays open until the work calls back. */
struct control_client;
typedef int (*control_starter)(struct control_client *cl, char **args, int nargs,
                               struct strbuf *r);

struct control_command {
    const char *name;
    int min_args, max_args;
    const char *usage;
    control_handler run;
    control_starter start;                  /* instead of run, for deferred answers */
    bool shared;                            /* a flush that reaches every instance (cachedb) */
};


/* The iterator's RRsets of a name (its NS set, its addresses) go with its answers. */
static size_t flush_rrsets(struct daemon *d, const uint8_t *key, size_t key_len)
{
    return d->rrcache ? rrcache_flush_name(d->rrcache, key, key_len) : 0;
}

/* `flush` empties the cache; `flush NAME...` drops every type of those names. All names
 * are checked before any is flushed, so a typo in the third name flushes nothing. */
static int cmd_flush(struct daemon *d, char **args, int nargs, struct strbuf *r)
{
    uint8_t key[WIRE_MAX_NAME];
    size_t key_len, flushed = 0;

    if (nargs == 0) {
        flushed = cache_flush_all(d->cache);
        if (d->rrcache)
            flushed += rrcache_flush_all(d->rrcache);
        strbuf_append(r, "flushed %zu entries\n", flushed);
        return 0;
    }
    for (int i = 1; i <= nargs; i++)
        if (dname_key_from_text(args[i], key, &key_len) != 0)
            return reply_fail(r, "invalid name '%.300s'", args[i]);
    for (int i = 1; i <= nargs; i++) {
        if (dname_key_from_text(args[i], key, &key_len) == 0)
            flushed += cache_flush_name(d->cache, key, key_len) + flush_rrsets(d, key, key_len);
    }
    strbuf_append(r, "flushed %zu entries\n", flushed);
    return 0;
}

/* What flush-zone and flush-type remove: names at or below key (flush-zone), or that name
 * with that type (flush-type, type != 0). */
struct flush_filter {
    uint8_t key[WIRE_MAX_NAME];
    size_t key_len;
    uint16_t type;                          /* 0: every type */
};

static bool filter_matches(const struct flush_filter *f, const uint8_t *name, size_t len,
                           uint16_t type)
{
    if (f->type)
        return type == f->type && len == f->key_len && memcmp(name, f->key, len) == 0;
    return wire_name_at_or_below(name, len, f->key, f->key_len);
}

static bool filter_message(const uint8_t *name, size_t len, uint16_t qtype, uint16_t qclass,
                           enum cache_kind kind, void *arg)
{
    (void)qclass;
    (void)kind;
    return filter_matches(arg, name, len, qtype);
}

static bool filter_rrset(const uint8_t *name, size_t len, uint16_t type, uint16_t rclass,
                         void *arg)
{
    (void)rclass;
    return filter_matches(arg, name, len, type);
}

static size_t flush_filtered(struct daemon *d, struct flush_filter *f)
{
    size_t n = cache_flush_if(d->cache, filter_message, f);

    if (d->rrcache)
        n += rrcache_flush_if(d->rrcache, filter_rrset, f);
    return n;
}

/* `flush-zone NAME...`: the names, everything below them, positive and negative, in both
 * caches. As with flush, every name is checked before anything is flushed. */
static int cmd_flush_zone(struct daemon *d, char **args, int nargs, struct strbuf *r)
{
    struct flush_filter f = { .type = 0 };
    size_t flushed = 0;

    for (int i = 1; i <= nargs; i++)
        if (dname_key_from_text(args[i], f.key, &f.key_len) != 0)
            return reply_fail(r, "invalid name '%.300s'", args[i]);
    for (int i = 1; i <= nargs; i++)
        if (dname_key_from_text(args[i], f.key, &f.key_len) == 0)
            flushed += flush_filtered(d, &f);
    strbuf_append(r, "flushed %zu entries\n", flushed);
    return 0;
}

/* `flush-type NAME TYPE`: that name's entries of that type only, in both caches. */
static int cmd_flush_type(struct daemon *d, char **args, int nargs, struct strbuf *r)
{
    struct flush_filter f;

    (void)nargs;
    if (dname_key_from_text(args[1], f.key, &f.key_len) != 0)
        return reply_fail(r, "invalid name '%.300s'", args[1]);
    f.type = (uint16_t)ldns_get_rr_type_by_name(args[2]);
    if (f.type == 0)
        return reply_fail(r, "unknown type '%.64s'", args[2]);
    strbuf_append(r, "flushed %zu entries\n", flush_filtered(d, &f));
    return 0;
}

static bool is_negative(const uint8_t *name, size_t len, uint16_t qtype, uint16_t qclass,
                        enum cache_kind kind, void *arg)
{
    (void)name, (void)len, (void)qtype, (void)qclass, (void)arg;
    return kind == CACHE_NEGATIVE;
}

/* `flush-negative`: the NXDOMAIN and NODATA answers (the RRset cache holds none). */
static int cmd_flush_negative(struct daemon *d, char **args, int nargs, struct strbuf *r)
{
    (void)args;
    (void)nargs;
    strbuf_append(r, "flushed %zu entries\n", cache_flush_if(d->cache, is_negative, NULL));
    return 0;
}

/* `flush-infra`: forget every server's RTT, back-off and 0x20 state. */
static int cmd_flush_infra(struct daemon *d, char **args, int nargs, struct strbuf *r)
{
    size_t n = 0;

    (void)args;
    (void)nargs;
    if (d->infra)
        n = infra_flush(d->infra);
    fwdprobe_sync(d->fwdprobe);             /* every forwarder is up again: no probes */
    strbuf_append(r, "flushed %zu entries\n", n);
    return 0;
}

/* `flush-bogus`: the validator's bogus verdicts (the chains of broken zones), so a
 * repaired zone is validated afresh at once instead of after val-bogus-ttl. */
static int cmd_flush_bogus(struct daemon *d, char **args, int nargs, struct strbuf *r)
{
    (void)args;
    (void)nargs;
    strbuf_append(r, "flushed %zu entries\n", keycache_flush_bad(d->keycache));
    return 0;
}

static const char *const key_state_names[] = { "unproven", "good", "insecure", "bogus" };

static void list_anchor_rrs(struct strbuf *r, const char *zone, const ldns_rr_list *rrs,
                            const char *state)
{
    for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
        bool ds = ldns_rr_get_type(rr) == LDNS_RR_TYPE_DS;
        if (ldns_rr_rd_count(rr) < 3)
            continue;
        unsigned tag = ds ? ldns_rdf2native_int16(ldns_rr_rdf(rr, 0)) : ldns_calc_keytag(rr);
        unsigned alg = ldns_rdf2native_int8(ldns_rr_rdf(rr, ds ? 1 : 2));
        strbuf_append(r, "%s %s tag=%u algorithm=%u state=%s\n", zone, ds ? "DS" : "DNSKEY",
                      tag, alg, state);
    }
}

/* `trust-anchors`: every anchor with what the validator made of its zone's keys so far. */
static int cmd_trust_anchors(struct daemon *d, char **args, int nargs, struct strbuf *r)
{
    const struct anchors *a = d->anchors;

    (void)args;
    (void)nargs;
    if (!a) {
        strbuf_append(r, "validation off (dnssec no, or no trust anchor file)\n");
        return 0;
    }
    for (size_t i = 0; i < a->n_zones; i++) {
        const struct anchor *an = &a->zones[i];
        char zone[WIRE_MAX_NAME * 4 + 2];
        struct key_info ki;
        keycache_closest(d->keycache, an->zone, an->zone_len, time(NULL), &ki);
        bool own = ki.state != KEY_NONE && ki.zone_len == an->zone_len;
        ldns_rr_list_deep_free(ki.keys);
        wire_name_to_str(an->zone, an->zone_len, zone, sizeof zone);
        list_anchor_rrs(r, zone, an->ds, key_state_names[own ? ki.state : KEY_NONE]);
        list_anchor_rrs(r, zone, an->dnskey, key_state_names[own ? ki.state : KEY_NONE]);
    }
    for (size_t i = 0; i < a->n_negative; i++) {
        char name[WIRE_MAX_NAME * 4 + 2];
        wire_name_to_str(a->negative[i].name, a->negative[i].name_len, name, sizeof name);
        strbuf_append(r, "%s negative\n", name);
    }
    return 0;
}

static int cmd_stats_reset(struct daemon *d, char **args, int nargs, struct strbuf *r)
{
    (void)args;
    (void)nargs;
    workers_pause(d);                       /* every thread's counters, at rest */
    workers_stats_reset(d);
    workers_resume(d);
    strbuf_append(r, "statistics reset\n");
    return 0;
}

static int cmd_status(struct daemon *d, char **args, int nargs, struct strbuf *r)
{
    struct ev_loop *loop = d->main_thread.loop;
    double uptime = loop ? ev_now(loop) - d->started : 0.0;

    (void)args;
    (void)nargs;
    strbuf_append(r, "version=resolverd %s\n", RESOLVERD_VERSION);
    strbuf_append(r, "uptime=%.0f\n", uptime > 0 ? uptime : 0.0);
    strbuf_append(r, "threads=%zu\n", workers_count(d));
    strbuf_append(r, "config=%s\n", d->config_path ? d->config_path : "-");
    strbuf_append(r, "cache.entries=%zu\ncache.bytes=%zu\n", cache_entries(d->cache),
                 cache_bytes(d->cache));
    if (d->rrcache)
        strbuf_append(r, "rrcache.entries=%zu\nrrcache.bytes=%zu\n",
                     rrcache_entries(d->rrcache), rrcache_bytes(d->rrcache));
    strbuf_append(r, "cache.size=%zu\n", d->cfg ? d->cfg->cache_size : (size_t)0);
    if (d->infra)
        strbuf_append(r, "infra.entries=%zu\ninfra.backoffs=%llu\n", infra_entries(d->infra),
                      (unsigned long long)infra_backoffs(d->infra));
    return 0;
}

/* ---- dump-cache ---------------------------------------------------------------------- */

struct dump {
    struct strbuf *r;
    size_t dumped, unprintable;
};

/* Appends each RR of list (the TTLs already counted down) in zone-file syntax; with
 * soa_only, only the SOAs (a negative entry's authority). */
static void dump_rrs(struct strbuf *r, const ldns_rr_list *list, bool soa_only)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(list, i);
        char *text;

        if (soa_only && ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA)
            continue;
        text = ldns_rr2str(rr);
        if (!text)
            continue;
        strbuf_append(r, "%s", text);        /* ldns_rr2str ends the line */
        free(text);
    }
}

/* The comment line: "; NAME TYPE CLASS positive|negative rcode=RCODE", and " signed" when
 * DO clients get another form of the entry (its DNSSEC records are not dumped: load-cache
 * then keeps it from DO clients, cachefile.h). */
static int dump_header(struct strbuf *r, const uint8_t *name, size_t name_len, uint16_t qtype,
                       uint16_t qclass, enum cache_kind kind, bool dnssec_form,
                       const ldns_pkt *pkt)
{
    char text[WIRE_MAX_NAME * 4 + 1];
    char *type = ldns_rr_type2str((ldns_rr_type)qtype);
    char *rclass = ldns_rr_class2str((ldns_rr_class)qclass);
    char *rcode = ldns_pkt_rcode2str(ldns_pkt_get_rcode(pkt));
    int rc = -1;

    if (type && rclass && rcode && wire_name_to_str(name, name_len, text, sizeof text)) {
        strbuf_append(r, "; %s %s %s %s rcode=%s%s\n", text, type, rclass,
                     kind == CACHE_NEGATIVE ? "negative" : "positive", rcode,
                     dnssec_form ? " signed" : "");
        rc = 0;
    }
    free(type);
    free(rclass);
    free(rcode);
    return rc;
}

static bool dump_entry(const uint8_t *name, size_t name_len, uint16_t qtype, uint16_t qclass,
                       enum cache_kind kind, bool dnssec_form, const uint8_t *msg, size_t len,
                       uint32_t ttl_left, void *arg)
{
    struct dump *dump = arg;
    size_t start = dump->r->len;
    ldns_pkt *pkt = NULL;

    (void)ttl_left;                         /* each RR carries its own remaining TTL */
    if (ldns_wire2pkt(&pkt, msg, len) != LDNS_STATUS_OK ||
        dump_header(dump->r, name, name_len, qtype, qclass, kind, dnssec_form, pkt) != 0) {
        dump->unprintable++;
        ldns_pkt_free(pkt);
        return true;
    }
    dump_rrs(dump->r, ldns_pkt_answer(pkt), false);
    if (kind == CACHE_NEGATIVE)
        dump_rrs(dump->r, ldns_pkt_authority(pkt), true);
    ldns_pkt_free(pkt);
    if (dump->r->cut) {                     /* this entry did not fit: drop it whole */
        dump->r->len = start;
        dump->r->buf[start] = '\0';
        return false;
    }
    dump->dumped++;
    return true;
}

/* `dump-cache`: every live message-cache entry, most recently used first. */
static int cmd_dump_cache(struct daemon *d, char **args, int nargs, struct strbuf *r)
{
    struct dump dump = { r, 0, 0 };
    size_t max = r->max, cap = r->cap;
    bool shrunk;
    long walked;

    (void)args;
    (void)nargs;
    /* load-cache ages every TTL by the time since this line (cachefile.h) */
    strbuf_append(r, "; resolverd cache dump time=%lld\n", (long long)time(NULL));
    /* keep room for the last line, whatever happens: the entries may use neither the
     * last CONTROL_DUMP_RESERVE octets the buffer may grow to, nor those it has now */
    if (r->max > CONTROL_DUMP_RESERVE * 2)
        r->max -= CONTROL_DUMP_RESERVE;
    shrunk = r->cap > r->max;
    if (shrunk)
        r->cap = r->max;
    walked = cache_walk(d->cache, time(NULL), dump_entry, &dump);
    r->max = max;
    if (shrunk)
        r->cap = cap;
    if (walked < 0)
        return reply_fail(r, "out of memory");
    if (r->cut) {
        r->cut = false;
        strbuf_grow(r, CONTROL_DUMP_RESERVE);
        strbuf_append(r, "; truncated: output limit reached after %zu of %zu entries\n",
                     dump.dumped, cache_entries(d->cache));
        return 0;
    }
    strbuf_append(r, "; dumped %zu entries\n", dump.dumped + dump.unprintable);
    return 0;
}

/* `load-cache FILE`: a dump read back (a warm restart); entries keep the TTL that remains. */
static int cmd_load_cache(struct daemon *d, char **args, int nargs, struct strbuf *r)
{
    struct cachefile_result res;
    char err[512];
    (void)nargs;

    if (cachefile_load(d->cache, args[1], time(NULL), &res, err, sizeof err) < 0)
        return reply_fail(r, "%s (loaded %zu entries before it)", err, res.loaded);
    strbuf_append(r, "loaded %zu entries (%zu expired, %zu not cacheable: skipped)\n",
                 res.loaded, res.expired, res.refused);
    return 0;
}

void control_stats_snapshot(struct daemon *d, struct stats_snapshot *snap)
{
    workers_pause(d);                       /* every thread's counters, at rest */
    workers_stats(d, &snap->sum);
    workers_resume(d);
    snap->cache_entries = cache_entries(d->cache);
    snap->cache_bytes = cache_bytes(d->cache);
    snap->cache_evictions = cache_evictions(d->cache);
    snap->forwarders_down = d->infra ? infra_fwd_down_count(d->infra) : 0;
    snap->cfg = d->cfg;     /* the caps, so what the counters are measured against is in view */
}

static int cmd_stats(struct daemon *d, char **args, int nargs, struct strbuf *r)
{
    (void)args;
    (void)nargs;
    struct stats_snapshot snap;

    control_stats_snapshot(d, &snap);
    r->len += stats_format(&snap, r->buf + r->len, r->cap - r->len);
    return 0;
}

static int cmd_reload(struct daemon *d, char **args, int nargs, struct strbuf *r)
{
    char err[512] = "";

    (void)args;
    (void)nargs;
    if (state_reload(d, err, sizeof err) != 0)
        return reply_fail(r, "%s", err[0] ? err : "reload failed");
    strbuf_append(r, "reloaded\n");
    return 0;
}

static int cmd_trace(struct control_client *cl, char **args, int nargs, struct strbuf *r);

static const struct control_command commands[] = {
    { "flush",          0, CONTROL_MAX_ARGS - 1, "flush [NAME...]", cmd_flush, NULL, true },
    { "flush-zone",     1, CONTROL_MAX_ARGS - 1, "flush-zone NAME...", cmd_flush_zone, NULL,
      true },
    { "flush-type",     2, 2, "flush-type NAME TYPE", cmd_flush_type, NULL, true },
    { "flush-negative", 0, 0, "flush-negative", cmd_flush_negative, NULL, true },
    { "flush-infra",    0, 0, "flush-infra", cmd_flush_infra, NULL, false },
    { "flush-bogus",    0, 0, "flush-bogus", cmd_flush_bogus, NULL, false },
    { "trust-anchors",  0, 0, "trust-anchors", cmd_trust_anchors, NULL, false },
    { "stats",          0, 0, "stats", cmd_stats, NULL, false },
    { "stats-reset",    0, 0, "stats-reset", cmd_stats_reset, NULL, false },
    { "status",         0, 0, "status", cmd_status, NULL, false },
    { "dump-cache",     0, 0, "dump-cache", cmd_dump_cache, NULL, false },
    { "load-cache",     1, 1, "load-cache FILE", cmd_load_cache, NULL, false },
    { "reload",         0, 0, "reload", cmd_reload, NULL, false },
    { "trace",          1, 3, "trace NAME [TYPE] [--json]", NULL, cmd_trace, false },
};

static const struct control_command *command_find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* Splits line (modified in place) on blanks; returns the word count or -1 if too many. */
static int split_words(char *line, char *words[CONTROL_MAX_ARGS])
{
    int n = 0;
    char *save = NULL;

    for (char *w = strtok_r(line, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
        if (n == CONTROL_MAX_ARGS)
            return -1;
        words[n++] = w;
    }
    return n;
}

/* cl: the connection the command came on; NULL for control_execute (no deferred answers).
 * share: a flush also goes to Redis and every instance (false: it came from there). */
static void execute_words(struct daemon *d, struct control_client *cl, char **words, int n,
                          struct strbuf *r, bool share)
{
    const struct control_command *cmd;

    if (n == 0) {
        reply_fail(r, "empty command");
        return;
    }
    cmd = command_find(words[0]);
    if (!cmd) {
        reply_fail(r, "unknown command '%.64s'", words[0]);
        return;
    }
    if (n - 1 < cmd->min_args || n - 1 > cmd->max_args) {
        reply_fail(r, "usage: %s", cmd->usage);
        return;
    }
    if (cmd->start && !cl) {
        reply_fail(r, "%s needs a control socket connection", cmd->name);
        return;
    }
    strbuf_append(r, "ok\n");
    if (cmd->start)
        cmd->start(cl, words, n - 1, r);
    else if (cmd->run(d, words, n - 1, r) == 0 && cmd->shared && share)
        cachedb_share_flush(d->main_thread.cachedb, words, n);
}

/* Runs one command line into r (which must hold room for at least the NUL). */
static void execute_line(struct daemon *d, struct control_client *cl, const char *line,
                         struct strbuf *r, bool share)
{
    char copy[CONTROL_MAX_REQUEST + 1];
    char *words[CONTROL_MAX_ARGS];
    size_t len = strlen(line);
    int n;

    r->buf[0] = '\0';
    if (len > CONTROL_MAX_REQUEST) {
        reply_fail(r, "request too long");
        return;
    }
    memcpy(copy, line, len + 1);
    n = split_words(copy, words);
    if (n < 0)
        reply_fail(r, "too many arguments (at most %d)", CONTROL_MAX_ARGS - 1);
    else
        execute_words(d, cl, words, n, r, share);
}

size_t control_execute(struct daemon *d, const char *line, char *out, size_t cap)
{
    struct strbuf r = { out, cap, 0, cap, false };

    if (cap == 0)
        return 0;
    execute_line(d, NULL, line, &r, true);
    return r.len;
}

size_t control_execute_local(struct daemon *d, const char *line, char *out, size_t cap)
{
    struct strbuf r = { out, cap, 0, cap, false };

    if (cap == 0)
        return 0;
    execute_line(d, NULL, line, &r, false);
    return r.len;
}

/* ---- client connections ------------------------------------------------------------- */

struct control_client {
    struct control *ctl;
    struct control_client *prev, *next;
    int fd;
    ev_io io;                               /* EV_READ while reading, then EV_WRITE */
    ev_timer timeout;
    char request[CONTROL_MAX_REQUEST + 1];
    size_t request_len;
    char *response;                         /* NULL until the command has run */
    size_t response_len, response_sent;
    struct tracecmd *trace;                 /* a trace running for this client */
    struct strbuf pending;                  /* the answer so far, while trace runs */
};

struct control {
    struct daemon *d;
    char *path;
    int fd;
    ev_io accept_io;
    ev_timer accept_resume;                 /* restarts accept_io after EMFILE and the like */
    struct control_client *clients;
    size_t n_clients;
};

static void client_close(struct control_client *cl)
{
    struct control *ctl = cl->ctl;

    ev_io_stop(ctl->d->main_thread.loop, &cl->io);
    ev_timer_stop(ctl->d->main_thread.loop, &cl->timeout);
    tracecmd_cancel(cl->trace);
    free(cl->pending.buf);
    close_fd(cl->fd);
    if (cl->prev)
        cl->prev->next = cl->next;
    else
        ctl->clients = cl->next;
    if (cl->next)
        cl->next->prev = cl->prev;
    ctl->n_clients--;
    free(cl->response);
    free(cl);
}

/* Sends what is left of the response; closes the client when all is sent or on error. */
static void client_write(struct control_client *cl)
{
    while (cl->response_sent < cl->response_len) {
        ssize_t n = send(cl->fd, cl->response + cl->response_sent,
                         cl->response_len - cl->response_sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;                         /* the write watcher calls us again */
        if (n < 0) {
            log_debug("control: send: %s", strerror(errno));
            break;
        }
        cl->response_sent += (size_t)n;
    }
    client_close(cl);
}

/* Puts the finished response in place and starts writing it. */
static void client_start_writing(struct control_client *cl, struct strbuf *r)
{
    struct ev_loop *loop = cl->ctl->d->main_thread.loop;

    cl->response = r->buf;                  /* it may have grown */
    cl->response_len = r->len;
    ev_io_set(&cl->io, cl->fd, EV_WRITE);
    ev_io_start(loop, &cl->io);
    client_write(cl);
}

/* The trace finished (or was stopped): its rendering follows the "ok" line. */
static void trace_done(void *arg, const char *text, size_t len)
{
    struct control_client *cl = arg;
    struct strbuf r = cl->pending;
    struct ev_loop *loop = cl->ctl->d->main_thread.loop;

    cl->trace = NULL;
    cl->pending.buf = NULL;
    strbuf_append(&r, "%.*s", (int)len, text);
    ev_timer_stop(loop, &cl->timeout);
    ev_timer_set(&cl->timeout, CONTROL_CLIENT_TIMEOUT, 0.0);
    ev_timer_start(loop, &cl->timeout);
    client_start_writing(cl, &r);
}

/* `trace NAME [TYPE] [--json]` (--json may come anywhere after NAME). */
static int cmd_trace(struct control_client *cl, char **args, int nargs, struct strbuf *r)
{
    const char *words[2] = { NULL, NULL };
    int n = 0;
    bool json = false;
    char err[512];

    for (int i = 1; i <= nargs; i++) {
        if (strcmp(args[i], "--json") == 0)
            json = true;
        else if (n < 2)
            words[n++] = args[i];
        else
            return reply_fail(r, "usage: trace NAME [TYPE] [--json]");
    }
    if (!words[0])
        return reply_fail(r, "usage: trace NAME [TYPE] [--json]");
    cl->trace = tracecmd_start(&cl->ctl->d->main_thread, words[0], words[1], json, trace_done,
                               cl, err, sizeof err);
    if (!cl->trace)
        return reply_fail(r, "%s", err);
    return 0;
}

/* Stops reading, puts the response in place (the command's, or the error given) and
 * starts writing it. */
static void client_respond(struct control_client *cl, const char *error)
{
    struct ev_loop *loop = cl->ctl->d->main_thread.loop;

    struct strbuf r = { malloc(CONTROL_MAX_RESPONSE), CONTROL_MAX_RESPONSE, 0,
                       CONTROL_MAX_DUMP, false };

    if (!r.buf) {
        log_err("control: out of memory for a response");
        client_close(cl);
        return;
    }
    if (error) {
        r.buf[0] = '\0';
        strbuf_append(&r, "error: %s\n", error);
    } else {
        log_debug("control: command '%s'", cl->request);
        execute_line(cl->ctl->d, cl, cl->request, &r, true);
    }
    ev_io_stop(loop, &cl->io);
    if (cl->trace) {
        /* the answer comes later: nothing to read or write meanwhile, and a longer clock */
        cl->pending = r;
        ev_timer_stop(loop, &cl->timeout);
        ev_timer_set(&cl->timeout, CONTROL_TRACE_TIMEOUT, 0.0);
        ev_timer_start(loop, &cl->timeout);
        return;
    }
    client_start_writing(cl, &r);
}

/* Looks for the end of the request in the octets just read at `from`. */
static bool request_complete(struct control_client *cl, size_t from)
{
    char *nl = memchr(cl->request + from, '\n', cl->request_len - from);
    if (!nl)
        return false;
    *nl = '\0';
    return true;
}

static void client_read(struct control_client *cl)
{
    size_t before = cl->request_len;
    ssize_t n = recv(cl->fd, cl->request + before, CONTROL_MAX_REQUEST - before, 0);

    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            client_close(cl);
        return;
    }
    if (n == 0) {
        /* EOF: a client that half-closes after "stats" (no '\n') still gets its answer */
        if (before == 0) {
            client_close(cl);
            return;
        }
        cl->request[before] = '\0';
        client_respond(cl, NULL);
        return;
    }
    cl->request_len += (size_t)n;
    cl->request[cl->request_len] = '\0';
    if (request_complete(cl, before))
        client_respond(cl, NULL);
    else if (cl->request_len >= CONTROL_MAX_REQUEST)
        client_respond(cl, "request too long");
}

static void client_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct control_client *cl = w->data;

    (void)loop;
    (void)revents;
    if (cl->response)
        client_write(cl);
    else
        client_read(cl);
}

static void client_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct control_client *cl = w->data;

    (void)loop;
    (void)revents;
    if (cl->trace) {
        tracecmd_stop(cl->trace);          /* answers with the steps so far */
        return;
    }
    log_debug("control: client timed out");
    client_close(cl);
}

static void client_add(struct control *ctl, int fd)
{
    struct control_client *cl = calloc(1, sizeof *cl);

    if (!cl) {
        log_err("control: out of memory for a client");
        close_fd(fd);
        return;
    }
    cl->ctl = ctl;
    cl->fd = fd;
    ev_io_init(&cl->io, client_io_cb, fd, EV_READ);
    cl->io.data = cl;
    ev_timer_init(&cl->timeout, client_timeout_cb, CONTROL_CLIENT_TIMEOUT, 0.0);
    cl->timeout.data = cl;
    cl->next = ctl->clients;
    if (ctl->clients)
        ctl->clients->prev = cl;
    ctl->clients = cl;
    ctl->n_clients++;
    ev_io_start(ctl->d->main_thread.loop, &cl->io);
    ev_timer_start(ctl->d->main_thread.loop, &cl->timeout);
}

/* ---- the listening socket ----------------------------------------------------------- */

/* Out of descriptors: the pending connection stays in the backlog and the level-triggered
 * watcher would fire at once again, spinning. Pause accepting for a moment instead. */
static void accept_pause(struct control *ctl)
{
    ev_io_stop(ctl->d->main_thread.loop, &ctl->accept_io);
    ev_timer_set(&ctl->accept_resume, CONTROL_ACCEPT_PAUSE, 0.0);
    ev_timer_start(ctl->d->main_thread.loop, &ctl->accept_resume);
}

static void accept_resume_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct control *ctl = w->data;

    (void)revents;
    ev_io_start(loop, &ctl->accept_io);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct control *ctl = w->data;

    (void)loop;
    (void)revents;
    for (;;) {
        int fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_warn("control: accept: %s", strerror(errno));
                accept_pause(ctl);
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                       errno != ECONNABORTED) {
                log_warn("control: accept: %s", strerror(errno));
            }
            return;
        }
        if (ctl->n_clients >= CONTROL_MAX_CLIENTS) {
            log_warn("control: %d clients already connected, refusing one", CONTROL_MAX_CLIENTS);
            close_fd(fd);
            continue;
        }
        client_add(ctl, fd);
    }
}

/* True if a daemon is accepting on the socket at addr (then it is not stale). */
static bool socket_in_use(const struct sockaddr_un *addr)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    bool used;

    if (fd < 0)
        return false;
    /* EAGAIN: someone listens but its backlog is full -- in use all the same */
    used = connect(fd, (const struct sockaddr *)addr, sizeof *addr) == 0 || errno == EAGAIN;
    close_fd(fd);
    return used;
}

/* Removes a leftover socket file from a previous run; refuses to remove anything that is
 * not a socket, or a socket some process still answers on. */
static int remove_stale_socket(const struct sockaddr_un *addr)
{
    struct stat st;

    if (lstat(addr->sun_path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        log_err("control: %s: %s", addr->sun_path, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        log_err("control: %s exists and is not a socket; not replacing it", addr->sun_path);
        return -1;
    }
    if (socket_in_use(addr)) {
        log_err("control: %s is in use by another process", addr->sun_path);
        return -1;
    }
    if (unlink(addr->sun_path) != 0 && errno != ENOENT) {
        log_err("control: cannot remove stale %s: %s", addr->sun_path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Creates, binds and listens; the socket file is created with mode 0600 from the start.
 * Returns the fd or -1 (logged). */
static int listen_socket(const struct sockaddr_un *addr)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    mode_t old_umask;
    int rc;

    if (fd < 0) {
        log_err("control: socket: %s", strerror(errno));
        return -1;
    }
    /* umask is process-wide; this runs on the main thread and the worker threads create
     * no files, so nothing else can be created under the narrowed mask */
    old_umask = umask(077);
    rc = bind(fd, (const struct sockaddr *)addr, sizeof *addr);
    umask(old_umask);
    if (rc != 0) {
        log_err("control: bind %s: %s", addr->sun_path, strerror(errno));
        close_fd(fd);
        return -1;
    }
    if (chmod(addr->sun_path, 0600) != 0 || listen(fd, CONTROL_BACKLOG) != 0) {
        log_err("control: %s: %s", addr->sun_path, strerror(errno));
        close_fd(fd);
        if (unlink(addr->sun_path) != 0)
            log_debug("control: unlink %s: %s", addr->sun_path, strerror(errno));
        return -1;
    }
    return fd;
}

struct control *control_open(struct daemon *d, const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct control *ctl;

    if (strlen(path) >= sizeof addr.sun_path) {
        log_err("control: socket path too long (at most %zu bytes): %s",
                sizeof addr.sun_path - 1, path);
        return NULL;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    if (remove_stale_socket(&addr) != 0)
        return NULL;
    ctl = calloc(1, sizeof *ctl);
    if (!ctl || !(ctl->path = strdup(path))) {
        log_err("control: out of memory");
        free(ctl);
        return NULL;
    }
    ctl->d = d;
    ctl->fd = listen_socket(&addr);
    if (ctl->fd < 0) {
        free(ctl->path);
        free(ctl);
        return NULL;
    }
    ev_io_init(&ctl->accept_io, accept_cb, ctl->fd, EV_READ);
    ctl->accept_io.data = ctl;
    ev_timer_init(&ctl->accept_resume, accept_resume_cb, CONTROL_ACCEPT_PAUSE, 0.0);
    ctl->accept_resume.data = ctl;
    ev_io_start(d->main_thread.loop, &ctl->accept_io);
    log_info("control: listening on %s", path);
    return ctl;
}

void control_close(struct control *ctl)
{
    if (!ctl)
        return;
    while (ctl->clients)
        client_close(ctl->clients);
    ev_io_stop(ctl->d->main_thread.loop, &ctl->accept_io);
    ev_timer_stop(ctl->d->main_thread.loop, &ctl->accept_resume);
    close_fd(ctl->fd);
    if (unlink(ctl->path) != 0 && errno != ENOENT)
        log_warn("control: cannot remove %s: %s", ctl->path, strerror(errno));
    free(ctl->path);
    free(ctl);
}
