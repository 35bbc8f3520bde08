/* resolve.h -- the one way a cache miss is resolved: a fixed list of stages, then the cache.
 *
 * The mesh (a client's miss) and `trace` (a traced miss) call only resolve_start and
 * resolve_cancel. A resolution walks the stage table of resolve.c in order (the models:
 * Unbound's module stack, services/modstack.c; Knot Resolver's layers, lib/layer.h): each
 * stage either answers (the walk ends), passes on to the next stage, or fails (the walk
 * ends: SERVFAIL). Today the stages are `forward` (the longest matching forward zone;
 * passes when none matches, or, with forward-first, when every forwarder failed) and
 * `iterate` (from the root hints down). The route -- forward, iterate, the forward-first
 * fall-back -- therefore exists once, as the order of the table and the verdicts of its
 * stages. An answer is stored in the message cache (resolve_store_answer) before `done`
 * gets it, so the first client sees the TTLs every later hit will see. It is stored in two
 * forms (msgform.h, cache.h): for clients without DO and for DO clients, and `done` gets
 * both, since the clients waiting on one resolution may be of either kind.
 *
 * A new stage (a shared cache in front, DNSSEC validation, TLS to upstreams) is one file
 * defining a `struct resolve_stage` plus one row in the table; the stages never call one
 * another. A stage that passed may still want the answer a later one found (the shared
 * cache writes it to Redis): its `answered` function gets the stored copy. */
#ifndef RESOLVE_H
#define RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cache;
struct resolve;
struct sockaddr_storage;
struct thread_ctx;
struct trace;

/* What one resolution asks; a stage reads it through resolve_query_of. */
struct resolve_query {
    struct thread_ctx *ctx;         /* the calling thread's context */
    const uint8_t *qname_lc;        /* lower-case wire form, owned by the resolution */
    size_t qname_len;
    uint16_t qtype, qclass;
    struct trace *trace;            /* NULL unless traced; outlives the resolution */
    const char *why;                /* why the stage before passed it on; NULL for the first */
    bool refresh;                   /* a prefetch of an answer about to expire: a shared
                                     * cache holds at best the same one, so it is not asked */
    const struct sockaddr_storage *avoid;   /* a retry after a bogus answer: the server
                                     * that sent it, asked only when no other is left */
    bool unchecked;                 /* the validator's own question (a DS or DNSKEY on its
                                     * way down): no stage checks the answer, nothing
                                     * stores it, and `done` gets it as the stage found it */
};

/* Why a resolution failed, as the client hears it (RFC 8914): an EDE code (ede.h) and a
 * short text -- the reason the log and the trace give, a static string. */
struct resolve_reason {
    int ede;                        /* EDE_NONE: no failure */
    const char *text;               /* NULL: none */
};

struct resolve_options {
    unsigned generation;            /* d->cache_generation at the start: a reload that flushed
                                     * the cache since then keeps the answer out of it */
    struct resolve_reason *failed;  /* if not NULL: why, when resolve_start returns NULL */
};

/* The outcome handed to `done`: msg == NULL means every stage failed (answer SERVFAIL,
 * saying `why`). msg is the stored copy (TTLs clamped as every hit will see them) when
 * `cached`, else the answer as resolved; valid only during the call. msg is the form for
 * clients without DO, dnssec_msg the one for DO clients (the same pointer when the answer
 * has no DNSSEC records; NULL when msg is). source: the stage that answered (or failed). */
struct resolve_answer {
    const uint8_t *msg;
    size_t len;
    const uint8_t *dnssec_msg;
    size_t dnssec_len;
    bool cached;
    const char *source;
    struct resolve_reason why;      /* msg == NULL, or bogus: why */
    const struct sockaddr_storage *server;  /* the server that sent msg, when known */
    bool bogus;                     /* DNSSEC validation failed: msg is the data as fetched,
                                     * never stored, for clients that set CD (RFC 4035
                                     * 3.2.2) only; every other client gets SERVFAIL with
                                     * `why` as its Extended DNS Error */
};

typedef void resolve_done_fn(void *arg, const struct resolve_answer *ans);

/* Starts resolving q (its name and type; ctx, trace as given; why ignored). `done` is called
 * later, never inside this call, exactly once unless resolve_cancel comes first. NULL when
 * nothing could be started at all (no forwarder socket, no root hints, no memory): the
 * caller answers SERVFAIL at once. */
struct resolve *resolve_start(const struct resolve_query *q, const struct resolve_options *opt,
                              resolve_done_fn *done, void *arg);
void resolve_cancel(struct resolve *r);
/* When the current stage started (ev_now): how long this part of the work has run. */
double resolve_stage_started(const struct resolve *r);

/* ---- for stages ---------------------------------------------------------------------- */

enum resolve_verdict {
    RESOLVE_WAIT,                   /* running: the stage calls resolve_stage_done later */
    RESOLVE_ANSWER,                 /* msg is the answer: the walk ends */
    RESOLVE_NEXT,                   /* not this stage's to answer: the next stage runs */
    RESOLVE_FAIL,                   /* no answer: the walk ends with SERVFAIL */
};

struct resolve_stage {
    const char *name;               /* "forward", "iterate": the trace's source */
    /* Takes up r. Returns RESOLVE_WAIT with *state set (its handle for cancel; it then
     * reports through resolve_stage_done, exactly once, never inside start), or
     * RESOLVE_NEXT / RESOLVE_FAIL at once with *why saying why (log and trace). */
    enum resolve_verdict (*start)(struct resolve *r, void **state, const char **why);
    void (*cancel)(void *state);
    /* Optional (NULL: none). Told of the answer a later stage found, once it is in the
     * local cache: msg is the stored copy of the form for DO clients (which holds the plain
     * form too: msgform.h; valid during the call only). The shared cache writes it back
     * this way; the stage must not block or call back into resolve. */
    void (*answered)(const struct resolve_query *q, const uint8_t *msg, size_t len);
    /* Optional (NULL: none). A row with `check` and no `start` is a checking stage (the
     * validator): it never answers on its own, but sees every answer a stage before it
     * found, unless that stage is `trusted` or the question is `unchecked`. It may set
     * flags in msg (AD) and return RESOLVE_ANSWER at once; RESOLVE_FAIL (with
     * resolve_set_reason); or RESOLVE_WAIT with *state set, msg copied as it needs it
     * (it is valid during the call only), and report later through resolve_checked. */
    enum resolve_verdict (*check)(struct resolve *r, uint8_t *msg, size_t len, void **state);
    bool trusted;                   /* its answers were checked when first found (the
                                     * shared cache stores only what was checked) */
};

/* The route: the stages in the order a miss walks them. Defined in route.c, the one place
 * that names the stages, so resolve.c and the stages depend on this header only. */
extern const struct resolve_stage *const resolve_route[];
extern const size_t resolve_route_len;

const struct resolve_query *resolve_query_of(const struct resolve *r);
/* Records, when traced, the route step of a stage that takes the question up: verdict
 * (the stage's name) and a detail, after what the stage before said (q->why). */
void resolve_trace_route(const struct resolve_query *q, const char *verdict, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Says why the running stage fails (code: ede.h; text: a static string), before it reports
 * RESOLVE_FAIL or RESOLVE_NEXT (through resolve_stage_done, or start's return). A stage
 * that fails without it fails as EDE_OTHER with its `why`. */
void resolve_set_reason(struct resolve *r, int ede, const char *text);
/* Says which server sent the answer the running stage is about to report: when a check
 * finds it bogus, the stage is run once more avoiding that server (RFC 4035 5.5: a single
 * broken server must not fail a good zone). */
void resolve_note_server(struct resolve *r, const struct sockaddr_storage *server);
/* The running stage's report: RESOLVE_ANSWER with the answer (msg is modified: it is
 * stored as resolve_store_answer says), RESOLVE_NEXT or RESOLVE_FAIL with a reason. */
void resolve_stage_done(struct resolve *r, enum resolve_verdict v, uint8_t *msg, size_t len,
                        const char *why);

/* A checking stage's report: msg (the checker's; modified and stored as for
 * resolve_stage_done) is the answer; bogus: it failed the check, and goes only to clients
 * that set CD, unstored, with the reason given by resolve_set_reason. msg NULL: fail. */
void resolve_checked(struct resolve *r, uint8_t *msg, size_t len, bool bogus);

/* ---- the answer's way into the cache ----------------------------------------------------- */

struct msgform;

/* Stores an answer for (qname, qtype, qclass) in the message cache in the two forms
 * msgform_split made of it (AA cleared: we are not the authority for data we fetched; a
 * positive answer keeps only its answer section, and for DO clients its RRSIGs and a
 * wildcard proof): both, or one when they are the same. A negative one at the end of a
 * CNAME chain keeps its SOA and is stored for the chain's last name too (RFC 2308 section
 * 3), so asking that name directly is a hit (for DO clients only when the answer has no
 * DNSSEC records: that entry has no proof). On success f's forms are replaced by the stored
 * copies (TTLs as every hit sees them), *dnssec_stored says whether DO clients will hit
 * too, and true is returned; false when nothing was stored (f is unchanged). */
bool resolve_store_answer(struct cache *cache, const uint8_t *qname_lc, size_t qname_len,
                          uint16_t qtype, uint16_t qclass, struct msgform *f, time_t now,
                          bool *dnssec_stored);

#endif
