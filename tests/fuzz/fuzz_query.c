/* fuzz_query.c -- libFuzzer target: the client query path, from packet to reply.
 *
 * Input: one control octet, then the packet a client sent. Each run goes through
 *   1. the wire layer alone: wire_parse_query, wire_build_error for every rcode the daemon
 *      answers with and wire_add_ede on each (and on the raw packet, as if it were a finished
 *      reply), and wire_finish_reply of a stored body (the packet itself, so its
 *      question matches) at the limit and buffer size the control octet picks, into a
 *      separate buffer and in place (a cache hit finishes in place: both must agree);
 *   2. request_handle against a daemon loaded once (fuzz_daemon_load: hosts file, a local
 *      zone, no hints, no forwarders) whose cache holds a few answers, one larger than any
 *      UDP limit and two negative ones, from 127.0.0.1 or (control octet bit 5) from an
 *      address the default ACL refuses, in a worker-like thread context whose resolve hook
 *      is its own mesh (no hints, no forwarders: a miss is SERVFAIL at once). The reply
 *      leaves through the daemon's own reply_send and the listener's UDP callback
 *      (listener_send_udp: sendto on the query's socket) and is read back here.
 * Every reply must: carry the query's ID and QR=1, fit the client's UDP limit, repeat the
 * question exactly as the client wrote it (its case), be a well-formed message (ldns reads
 * it), have empty answer and authority sections when TC is set, and end in an OPT exactly
 * when the client sent EDNS; a SERVFAIL or REFUSED to a client with EDNS carries an EDE
 * (18 for a client the ACL refuses). A dropped packet gets no reply; any other gets exactly one.
 *
 * The reply socket is one end of an AF_UNIX datagram socketpair and the target's peer_len
 * is 0, so sendto goes to the connected other end: delivery is synchronous, no network is
 * used, and the peer address (127.0.0.1) still passes the default loopback-only ACL.
 *
 * Static state: `fz` is set up once in LLVMFuzzerInitialize (libFuzzer's one-time hook);
 * runs only read it, except the cache entries it re-seeds when they near expiry. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <time.h>

#include <ev.h>

#include "fuzz_common.h"
#include "config.h"
#include "listener.h"
#include "mesh.h"
#include "reply.h"
#include "request.h"

#define RESEED_SECONDS 600          /* seeds live 3600 s: re-store them well before */

static struct {
    struct daemon d;
    struct thread_ctx ctx;          /* the thread the queries are handled on */
    struct fuzz_daemon_files files;
    int reply_fd;                   /* the daemon sends here ... */
    int client_fd;                  /* ... and the harness reads here */
    time_t seeded_at;
} fz;

static void seed_cache(void)
{
    static const char *const cached[] = { "cached.test. 3600 IN A 192.0.2.7", NULL };
    static const char *const soa[] = {
        "cached.test. 3600 IN SOA ns.cached.test. h.cached.test. 1 3600 600 86400 300", NULL
    };
    const char *big[21];
    char big_lines[20][128];
    time_t now = time(NULL);

    for (int i = 0; i < 20; i++) {
        snprintf(big_lines[i], sizeof big_lines[i],
                 "big.cached.test. 3600 IN TXT \"%02d abcdefghijabcdefghijabcdefghijabcdefghij"
                 "abcdefghijabcdefghijabcdefghij\"", i);
        big[i] = big_lines[i];
    }
    big[20] = NULL;
    if (fuzz_cache_seed(fz.d.cache, "cached.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
                        cached, NULL, now) != 0 ||
        fuzz_cache_seed(fz.d.cache, "big.cached.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR,
                        big, NULL, now) != 0 ||
        fuzz_cache_seed(fz.d.cache, "nx.cached.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN,
                        NULL, soa, now) != 0 ||
        fuzz_cache_seed(fz.d.cache, "nodata.cached.test.", LDNS_RR_TYPE_AAAA,
                        LDNS_RCODE_NOERROR, NULL, soa, now) != 0)
        fuzz_die("seeding the cache");
    fz.seeded_at = now;
}

/* One thread: a miss goes to this context's own mesh (workers.c would pick the owner). */
static void resolve_here(struct thread_ctx *ctx, const struct wire_query *q,
                         const struct reply_target *t)
{
    mesh_resolve(ctx->mesh, q, t);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    int pair[2];

    (void)argc;
    (void)argv;
    fuzz_daemon_load(&fz.d, &fz.files, NULL);
    fz.ctx.d = &fz.d;
    fz.ctx.loop = ev_loop_new(EVFLAG_AUTO);   /* reply_send reads ev_now for latency */
    fz.ctx.mesh = fz.ctx.loop ? mesh_new(&fz.ctx, 1) : NULL;
    fz.ctx.resolve = resolve_here;
    if (!fz.ctx.mesh)
        fuzz_die("loop or mesh");
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) != 0)
        fuzz_die("socketpair");
    fz.reply_fd = pair[0];
    fz.client_fd = pair[1];
    seed_cache();
    return 0;
}

/* ---- checks ------------------------------------------------------------------------- */

/* Walks every RR after the question; true when they end exactly at len. Sets *last_type. */
static bool rrs_tile_message(const uint8_t *msg, size_t len, uint16_t *last_type)
{
    size_t pos = wire_skip_question(msg, len);
    unsigned count = WIRE_ANCOUNT(msg) + WIRE_NSCOUNT(msg) + WIRE_ARCOUNT(msg);
    struct wire_rr rr;

    *last_type = 0;
    for (unsigned i = 0; pos && i < count; i++) {
        pos = wire_parse_rr(msg, len, pos, &rr);
        *last_type = rr.type;
    }
    return pos == len;
}

/* The question of a reply is the client's, octet for octet (its case included). */
static void check_question(const struct wire_query *q, const uint8_t *out, size_t len)
{
    FUZZ_CHECK(len >= WIRE_HEADER_LEN + q->qname_len + 4);
    FUZZ_CHECK(memcmp(out + WIRE_HEADER_LEN, q->qname, q->qname_len) == 0);
    FUZZ_CHECK(wire_get16(out + WIRE_HEADER_LEN + q->qname_len) == q->qtype);
    FUZZ_CHECK(wire_get16(out + WIRE_HEADER_LEN + q->qname_len + 2) == q->qclass);
}

static void check_error_reply(const struct wire_query *q, int rcode, const uint8_t *out,
                              size_t len)
{
    bool opt = q->has_edns || rcode > 15;
    uint16_t last_type;

    FUZZ_CHECK(len >= WIRE_HEADER_LEN);
    FUZZ_CHECK(WIRE_ID(out) == q->id && WIRE_QR(out) && !WIRE_TC(out));
    FUZZ_CHECK(WIRE_RCODE(out) == (rcode & 0x0f));
    FUZZ_CHECK(WIRE_QDCOUNT(out) == (q->question_end ? 1 : 0));
    FUZZ_CHECK(WIRE_ANCOUNT(out) == 0 && WIRE_NSCOUNT(out) == 0);
    FUZZ_CHECK(WIRE_ARCOUNT(out) == (opt ? 1 : 0));
    if (q->question_end)
        check_question(q, out, len);
    FUZZ_CHECK(rrs_tile_message(out, len, &last_type));
    FUZZ_CHECK(!opt || last_type == WIRE_TYPE_OPT);
}

/* The INFO-CODE of the first EDE option in msg's OPT record (the last RR), or -1. */
static int ede_of(const uint8_t *msg, size_t len)
{
    size_t pos = wire_skip_question(msg, len);
    unsigned count = WIRE_ANCOUNT(msg) + WIRE_NSCOUNT(msg) + WIRE_ARCOUNT(msg);
    struct wire_rr rr = { 0 };

    for (unsigned i = 0; pos && i < count; i++)
        pos = wire_parse_rr(msg, len, pos, &rr);
    if (!pos || rr.type != WIRE_TYPE_OPT)
        return -1;
    for (size_t p = rr.rdata_off; p + 4 <= rr.end; p += 4 + wire_get16(msg + p + 2))
        if (wire_get16(msg + p) == WIRE_EDNS_EDE && wire_get16(msg + p + 2) >= 2 &&
            p + 6 <= rr.end)
            return wire_get16(msg + p + 4);
    return -1;
}

/* wire_add_ede on an error reply: it grows by the option with or without its text, only
 * when there is an OPT and within the limit and cap, and stays a message that tiles. */
static void check_add_ede(const struct wire_query *q, int rcode, uint8_t *out, size_t n,
                          size_t cap, size_t limit)
{
    static const char text[] = "no server left to ask";
    bool opt = q->has_edns || rcode > 15;
    size_t room = cap < limit ? cap : limit;
    uint16_t last_type;

    size_t e = wire_add_ede(out, n, cap, limit, 22, text);
    if (!opt || n + 6 > room) {
        FUZZ_CHECK(e == n);
        return;
    }
    FUZZ_CHECK(e == (n + 6 + strlen(text) <= room ? n + 6 + strlen(text) : n + 6));
    FUZZ_CHECK(WIRE_ARCOUNT(out) == 1 && WIRE_RCODE(out) == (rcode & 0x0f));
    FUZZ_CHECK(rrs_tile_message(out, e, &last_type) && last_type == WIRE_TYPE_OPT);
    FUZZ_CHECK(ede_of(out, e) == 22);
}

/* wire_add_ede on whatever the client sent, taken as a finished reply: it never reads or
 * writes outside the message and buffer, and what it grows still tiles. */
static void check_add_ede_raw(const uint8_t *pkt, size_t len, uint8_t ctrl)
{
    static uint8_t msg[WIRE_MAX_UDP + 64];
    size_t cap = len + (ctrl & 0x40 ? 64 : 6);
    uint16_t last_type;

    if (len > WIRE_MAX_UDP)
        return;
    memcpy(msg, pkt, len);
    size_t e = wire_add_ede(msg, len, cap, ctrl & 0x80 ? 512 : WIRE_MAX_UDP, 0, "limit");
    FUZZ_CHECK(e == len || e == len + 6 || e == len + 11);
    FUZZ_CHECK(e <= cap);
    if (e != len)
        FUZZ_CHECK(rrs_tile_message(msg, e, &last_type));
}

/* Part 1 of a run: the wire functions on their own. */
static void run_wire(const uint8_t *pkt, size_t len, uint8_t ctrl)
{
    static const size_t limits[] = { 512, 1232, 4096, WIRE_MAX_UDP };
    static const int rcodes[] = { WIRE_RCODE_FORMERR, WIRE_RCODE_SERVFAIL, WIRE_RCODE_NOTIMP,
                                  WIRE_RCODE_REFUSED, 16 /* BADVERS */ };
    static uint8_t out[WIRE_MAX_UDP + WIRE_MAX_NAME], inplace[WIRE_MAX_UDP + WIRE_MAX_NAME];
    struct wire_query q;

    check_add_ede_raw(pkt, len, ctrl);
    if (wire_parse_query(pkt, len, &q) == WIRE_QUERY_DROP)
        return;
    for (size_t i = 0; i < sizeof rcodes / sizeof rcodes[0]; i++) {
        size_t n = wire_build_error(&q, rcodes[i], 1232, out, sizeof out);
        check_error_reply(&q, rcodes[i], out, n);
        check_add_ede(&q, rcodes[i], out, n, ctrl & 0x40 ? n + 10 : sizeof out,
                      ctrl & 0x80 ? n + 8 : limits[ctrl & 3]);
        /* one octet short of what it needs: nothing, never a partial message */
        n = wire_build_error(&q, rcodes[i], 1232, out, sizeof out);
        FUZZ_CHECK(wire_build_error(&q, rcodes[i], 1232, out, n - 1) == 0);
    }
    if (!q.question_end)
        return;

    size_t question_end = WIRE_HEADER_LEN + q.qname_len + 4;
    size_t opt_len = q.has_edns ? 11 : 0;
    size_t limit = limits[ctrl & 3];
    size_t caps[] = { sizeof out, len + opt_len, question_end + opt_len,
                      question_end + opt_len - 1 };
    size_t cap = caps[(ctrl >> 2) & 3];
    uint8_t *body = inplace;                /* the stored message: the packet itself */

    memcpy(body, pkt, len);
    if (ctrl & 0x10)                        /* stored lower-cased, as a cache key is */
        wire_name_lower(body + WIRE_HEADER_LEN, q.qname_len);
    size_t n = wire_finish_reply(&q, body, len, 1232, limit, out, cap);
    size_t m = wire_finish_reply(&q, body, len, 1232, limit, body, cap);
    FUZZ_CHECK(n == m && memcmp(out, body, n) == 0);        /* in place == copied */
    if (cap < question_end + opt_len) {
        FUZZ_CHECK(n == 0);
        return;
    }
    FUZZ_CHECK(n > 0);                      /* the body's question is the query's */
    FUZZ_CHECK(n <= cap);
    FUZZ_CHECK(WIRE_ID(out) == q.id && WIRE_QR(out));
    FUZZ_CHECK(WIRE_RD(out) == ((q.flags_hi & 1) != 0));
    FUZZ_CHECK(WIRE_CD(out) == ((q.flags_lo & 0x10) != 0));
    check_question(&q, out, n);
    if (WIRE_TC(out)) {
        FUZZ_CHECK(n == question_end + opt_len);
        FUZZ_CHECK(WIRE_ANCOUNT(out) == 0 && WIRE_NSCOUNT(out) == 0);
        FUZZ_CHECK(WIRE_ARCOUNT(out) == (q.has_edns ? 1 : 0));
    } else {
        FUZZ_CHECK(n == len + opt_len && n <= limit);
        FUZZ_CHECK(memcmp(out + question_end, pkt + question_end, len - question_end) == 0);
    }
}

/* ---- part 2: the daemon's request_handle --------------------------------------------- */

static size_t receive_reply(uint8_t *buf, size_t cap)
{
    ssize_t n = recv(fz.client_fd, buf, cap, MSG_DONTWAIT);

    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            fuzz_die("recv");
        return 0;
    }
    FUZZ_CHECK(n > 0);                      /* reply_send never sends an empty datagram */
    return (size_t)n;
}

static void check_daemon_reply(const struct wire_query *q, const uint8_t *out, size_t len)
{
    size_t limit = wire_udp_limit(q, fz.d.cfg->edns_buffer_size);
    uint16_t last_type;
    ldns_pkt *pkt = NULL;

    FUZZ_CHECK(len >= WIRE_HEADER_LEN && len <= limit);
    FUZZ_CHECK(WIRE_ID(out) == q->id && WIRE_QR(out));
    if (q->question_end) {
        FUZZ_CHECK(WIRE_QDCOUNT(out) == 1);
        check_question(q, out, len);
    }
    if (WIRE_TC(out))
        FUZZ_CHECK(WIRE_ANCOUNT(out) == 0 && WIRE_NSCOUNT(out) == 0);
    FUZZ_CHECK(rrs_tile_message(out, len, &last_type));
    FUZZ_CHECK(q->has_edns == (last_type == WIRE_TYPE_OPT && WIRE_ARCOUNT(out) > 0));
    FUZZ_CHECK(ldns_wire2pkt(&pkt, out, len) == LDNS_STATUS_OK);
    ldns_pkt_free(pkt);
}

static void run_daemon(const uint8_t *pkt, size_t len, uint8_t ctrl)
{
    static uint8_t reply[WIRE_MAX_UDP + 1];
    struct reply_target t = { .send = listener_send_udp, .udp_fd = fz.reply_fd,
                              .peer_len = 0, .owner = &fz.ctx };
    struct sockaddr_in *peer = (struct sockaddr_in *)&t.peer;
    struct wire_query q;
    bool outsider = (ctrl & 0x20) != 0;     /* a client the loopback-only ACL refuses */

    peer->sin_family = AF_INET;
    peer->sin_addr.s_addr = htonl(outsider ? 0xc0000201 : INADDR_LOOPBACK);
    peer->sin_port = htons(5353);
    t.received = ev_now(fz.ctx.loop);
    if (time(NULL) - fz.seeded_at > RESEED_SECONDS)
        seed_cache();

    enum wire_query_verdict verdict = wire_parse_query(pkt, len, &q);
    request_handle(&fz.ctx, pkt, len, &t);
    size_t n = receive_reply(reply, sizeof reply);
    if (verdict == WIRE_QUERY_DROP) {
        FUZZ_CHECK(n == 0);
        return;
    }
    FUZZ_CHECK(n > 0);                      /* every query that is not dropped is answered */
    check_daemon_reply(&q, reply, n);
    FUZZ_CHECK(!outsider || WIRE_RCODE(reply) == WIRE_RCODE_REFUSED);
    FUZZ_CHECK(!outsider || !q.has_edns || ede_of(reply, n) == 18);    /* Prohibited */
    /* every SERVFAIL and REFUSED says why, when the client can hear it (EDNS) */
    if (q.has_edns && (WIRE_RCODE(reply) == WIRE_RCODE_SERVFAIL ||
                       WIRE_RCODE(reply) == WIRE_RCODE_REFUSED))
        FUZZ_CHECK(ede_of(reply, n) >= 0);
    FUZZ_CHECK(receive_reply(reply, sizeof reply) == 0);    /* ... exactly once */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size - 1 > WIRE_MAX_UDP)
        return 0;
    run_wire(data + 1, size - 1, data[0]);
    run_daemon(data + 1, size - 1, data[0]);
    return 0;
}
