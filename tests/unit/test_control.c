/* test_control.c -- unit tests for resolver/control.c: the command table through
 * control_execute, then the socket itself (mode, one request per connection, the size
 * cap, the client cap, stale-file handling, clean-up).
 *
 * The daemon is a hand-built `struct daemon` with a small cache and its own ev_loop;
 * state_reload is stubbed here because the real one lives in code this test does not
 * link. Socket exchanges drive the loop with EVRUN_ONCE, bounded in iterations and time,
 * with a short repeating timer so that no iteration can block. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "cache.h"
#include "control.h"
#include "context.h"
#include "state.h"
#include "tap.h"
#include "wire.h"

#define SOCKET_PATH_MAX         sizeof(((struct sockaddr_un *)0)->sun_path)
#define EXCHANGE_MAX_ITERATIONS 200
#define EXCHANGE_MAX_SECONDS    2.0

/* ---- the state_reload stub ------------------------------------------------------- */

struct reload_stub {
    int calls;
    int fail;                   /* when set, fail with "test.conf:3: bad directive" */
};

/* The daemon under test, with the stub's state next to it: the stub gets back from the
 * `struct daemon *` to its state (daemon first, so the cast is exact) without a global. */
struct test_daemon {
    struct daemon d;
    struct reload_stub stub;
};

int state_reload(struct daemon *d, char *err, size_t errlen)
{
    struct reload_stub *stub = &((struct test_daemon *)d)->stub;

    stub->calls++;
    if (stub->fail) {
        snprintf(err, errlen, "test.conf:3: bad directive");
        return -1;
    }
    return 0;
}

/* ---- fixtures -------------------------------------------------------------------- */

static int name_key(const char *text, uint8_t *key, size_t *len)
{
    ldns_rdf *rdf = ldns_dname_new_frm_str(text);
    if (!rdf)
        return -1;
    *len = ldns_rdf_size(rdf);
    memcpy(key, ldns_rdf_data(rdf), *len);
    ldns_rdf_deep_free(rdf);
    wire_name_lower(key, *len);
    return 0;
}

/* Builds a NOERROR response for (name, A) with one answer and stores it in the cache. */
static int store_answer(struct cache *c, const char *name, const char *rr_text)
{
    uint8_t key[WIRE_MAX_NAME], *wire = NULL;
    size_t key_len, wire_len;
    ldns_rr *rr = NULL;
    int rc = -1;
    ldns_pkt *pkt = ldns_pkt_query_new(ldns_dname_new_frm_str(name), LDNS_RR_TYPE_A,
                                       LDNS_RR_CLASS_IN, 0);

    if (!pkt || name_key(name, key, &key_len) != 0)
        goto out;
    ldns_pkt_set_qr(pkt, true);
    if (ldns_rr_new_frm_str(&rr, rr_text, 0, NULL, NULL) != LDNS_STATUS_OK)
        goto out;
    if (!ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr)) {
        ldns_rr_free(rr);
        goto out;
    }
    if (ldns_pkt2wire(&wire, pkt, &wire_len) != LDNS_STATUS_OK)
        goto out;
    rc = cache_store(c, key, key_len, WIRE_TYPE_A, WIRE_CLASS_IN, wire, wire_len, time(NULL));
out:
    free(wire);
    ldns_pkt_free(pkt);
    return rc;
}

/* Builds an NXDOMAIN for (name, A) with example.com's SOA and stores it. */
static int store_nxdomain(struct cache *c, const char *name)
{
    uint8_t key[WIRE_MAX_NAME], *wire = NULL;
    size_t key_len, wire_len;
    ldns_rr *soa = NULL;
    int rc = -1;
    ldns_pkt *pkt = ldns_pkt_query_new(ldns_dname_new_frm_str(name), LDNS_RR_TYPE_A,
                                       LDNS_RR_CLASS_IN, 0);

    if (!pkt || name_key(name, key, &key_len) != 0)
        goto out;
    ldns_pkt_set_qr(pkt, true);
    ldns_pkt_set_rcode(pkt, LDNS_RCODE_NXDOMAIN);
    if (ldns_rr_new_frm_str(&soa, "example.com. 300 IN SOA ns.example.com. admin.example.com. "
                            "1 7200 900 1209600 300", 0, NULL, NULL) != LDNS_STATUS_OK)
        goto out;
    if (!ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, soa)) {
        ldns_rr_free(soa);
        goto out;
    }
    if (ldns_pkt2wire(&wire, pkt, &wire_len) != LDNS_STATUS_OK)
        goto out;
    rc = cache_store(c, key, key_len, WIRE_TYPE_A, WIRE_CLASS_IN, wire, wire_len, time(NULL));
out:
    free(wire);
    ldns_pkt_free(pkt);
    return rc;
}

static bool cached(struct cache *c, const char *name)
{
    uint8_t key[WIRE_MAX_NAME], out[4096];
    size_t key_len;

    if (name_key(name, key, &key_len) != 0)
        return false;
    return cache_lookup(c, key, key_len, WIRE_TYPE_A, WIRE_CLASS_IN, time(NULL), out,
                        sizeof out, NULL) > 0;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- control_execute --------------------------------------------------------------- */

static void test_flush(struct daemon *d)
{
    char out[4096];

    ok(store_answer(d->cache, "www.example.com.", "www.example.com. 300 IN A 192.0.2.1") == 0,
       "stored www.example.com");
    ok(store_answer(d->cache, "mail.example.com.", "mail.example.com. 300 IN A 192.0.2.2") == 0,
       "stored mail.example.com");
    is_int(cache_entries(d->cache), 2, "two entries cached");

    control_execute(d, "flush WWW.Example.com", out, sizeof out);
    is_str(out, "ok\nflushed 1 entries\n", "flush NAME (any case) flushes that name");
    ok(!cached(d->cache, "www.example.com."), "www.example.com is gone");
    ok(cached(d->cache, "mail.example.com."), "mail.example.com is still there");

    control_execute(d, "flush mail.example.com. a..b", out, sizeof out);
    is_str(out, "error: invalid name 'a..b'\n", "an invalid name is an error");
    ok(cached(d->cache, "mail.example.com."), "... and nothing was flushed");

    ok(store_answer(d->cache, "www.example.com.", "www.example.com. 300 IN A 192.0.2.1") == 0,
       "stored www.example.com again");
    control_execute(d, "  flush\t", out, sizeof out);
    is_str(out, "ok\nflushed 2 entries\n", "flush empties the cache (blanks ignored)");
    is_int(cache_entries(d->cache), 0, "no entries left");
}

static void test_stats_and_errors(struct daemon *d)
{
    char out[4096], small[8];
    size_t n;

    d->main_thread.stats.queries_total = 42;
    n = control_execute(d, "stats", out, sizeof out);
    ok(n == strlen(out), "returned length matches the output");
    ok(starts_with(out, "ok\n"), "stats starts with ok");
    ok(strstr(out, "\nqueries.total=42\n") != NULL, "stats has queries.total");
    ok(strstr(out, "\ncache.entries=0\n") != NULL, "stats has cache.entries");
    control_execute(d, "stats now", out, sizeof out);
    is_str(out, "error: usage: stats\n", "stats takes no arguments");

    control_execute(d, "frobnicate x", out, sizeof out);
    is_str(out, "error: unknown command 'frobnicate'\n", "unknown command");
    control_execute(d, " \t ", out, sizeof out);
    is_str(out, "error: empty command\n", "empty command");
    n = control_execute(d, "stats", small, sizeof small);
    ok(n < sizeof small && strlen(small) == n, "output is cut to the buffer, NUL-terminated");
}

static void test_flush_zone_and_type(struct daemon *d)
{
    char out[4096];

    ok(store_answer(d->cache, "example.com.", "example.com. 300 IN A 192.0.2.1") == 0 &&
       store_answer(d->cache, "a.b.example.com.", "a.b.example.com. 300 IN A 192.0.2.2") == 0 &&
       store_answer(d->cache, "notexample.com.", "notexample.com. 300 IN A 192.0.2.3") == 0 &&
       store_nxdomain(d->cache, "nx.example.com.") == 0, "stored four entries");
    control_execute(d, "flush-zone EXAMPLE.com", out, sizeof out);
    is_str(out, "ok\nflushed 3 entries\n", "flush-zone: apex, deep name and negative entry");
    ok(!cached(d->cache, "a.b.example.com."), "flush-zone: a.b.example.com is gone");
    ok(cached(d->cache, "notexample.com."), "flush-zone: notexample.com is kept");
    control_execute(d, "flush-zone example.org a..b", out, sizeof out);
    is_str(out, "error: invalid name 'a..b'\n", "flush-zone: an invalid name is an error");
    control_execute(d, "flush-zone", out, sizeof out);
    is_str(out, "error: usage: flush-zone NAME...\n", "flush-zone: needs a name");

    control_execute(d, "flush-type notexample.com AAAA", out, sizeof out);
    is_str(out, "ok\nflushed 0 entries\n", "flush-type: another type is kept");
    ok(cached(d->cache, "notexample.com."), "flush-type: the A entry is still there");
    control_execute(d, "flush-type notexample.com a", out, sizeof out);
    is_str(out, "ok\nflushed 1 entries\n", "flush-type: the A entry (type in any case)");
    control_execute(d, "flush-type notexample.com BOGUS", out, sizeof out);
    is_str(out, "error: unknown type 'BOGUS'\n", "flush-type: an unknown type is an error");
    control_execute(d, "flush-type notexample.com", out, sizeof out);
    is_str(out, "error: usage: flush-type NAME TYPE\n", "flush-type: needs two arguments");
    is_int(cache_entries(d->cache), 0, "cache empty again");
}

static void test_negative_infra_reset_status(struct daemon *d)
{
    char out[4096];

    ok(store_answer(d->cache, "www.example.com.", "www.example.com. 300 IN A 192.0.2.1") == 0 &&
       store_nxdomain(d->cache, "nx.example.com.") == 0, "stored a positive and a negative entry");
    control_execute(d, "flush-negative", out, sizeof out);
    is_str(out, "ok\nflushed 1 entries\n", "flush-negative: one entry");
    ok(!cached(d->cache, "nx.example.com."), "flush-negative: the NXDOMAIN is gone");
    ok(cached(d->cache, "www.example.com."), "flush-negative: the positive entry is kept");
    control_execute(d, "flush-infra", out, sizeof out);
    is_str(out, "ok\nflushed 0 entries\n", "flush-infra without infra: nothing");

    d->main_thread.stats.queries_total = 7;
    d->main_thread.stats.qtype[0] = 7;
    d->main_thread.stats.tcp_open = 3;
    control_execute(d, "stats-reset", out, sizeof out);
    is_str(out, "ok\nstatistics reset\n", "stats-reset answers");
    control_execute(d, "stats", out, sizeof out);
    ok(strstr(out, "\nqueries.total=0\n") && strstr(out, "\nqtype.A=0\n"),
       "stats-reset: counters are zero");
    ok(strstr(out, "\ntcp.open=3\n") != NULL, "stats-reset: the tcp.open gauge is kept");
    ok(strstr(out, "\nqtype.other=0\n") != NULL, "stats has qtype.other");

    control_execute(d, "status", out, sizeof out);
    ok(starts_with(out, "ok\nversion=resolverd 0.1.0\nuptime="), "status: version, uptime");
    /* a daemon loaded but not started has no worker threads yet */
    ok(strstr(out, "\nthreads=0\n") && strstr(out, "\ncache.entries=1\n") &&
       strstr(out, "\ncache.size="), "status: threads and cache use");
    control_execute(d, "flush", out, sizeof out);
}

static void test_dump(struct daemon *d)
{
    char out[4096], small[600];

    ok(store_answer(d->cache, "www.example.com.", "www.example.com. 300 IN A 192.0.2.1") == 0 &&
       store_nxdomain(d->cache, "nx.example.com.") == 0, "stored entries to dump");
    control_execute(d, "dump-cache", out, sizeof out);
    ok(strstr(out, "\n; www.example.com. A IN positive rcode=NOERROR\nwww.example.com.\t"),
       "dump-cache: the positive entry's comment line, then its RR");
    ok(strstr(out, "IN\tA\t192.0.2.1\n") != NULL, "dump-cache: the A record");
    ok(strstr(out, "; nx.example.com. A IN negative rcode=NXDOMAIN\nexample.com.\t"),
       "dump-cache: the negative entry, then its SOA");
    ok(strstr(out, "\n; dumped 2 entries\n") != NULL, "dump-cache: the summary line");
    for (int i = 0; i < 20; i++) {
        char name[64], rr[128];
        snprintf(name, sizeof name, "host%d.example.com.", i);
        snprintf(rr, sizeof rr, "%s 300 IN A 192.0.2.%d", name, i);
        store_answer(d->cache, name, rr);
    }
    control_execute(d, "dump-cache", small, sizeof small);
    ok(strstr(small, "\n; truncated: output limit reached after ") != NULL,
       "dump-cache: a dump that does not fit says so");
    control_execute(d, "flush", out, sizeof out);
}

static void test_reload(struct daemon *d)
{
    struct reload_stub *stub = &((struct test_daemon *)d)->stub;
    char out[1024];

    stub->fail = 0;
    control_execute(d, "reload", out, sizeof out);
    is_str(out, "ok\nreloaded\n", "reload succeeds");
    stub->fail = 1;
    control_execute(d, "reload", out, sizeof out);
    is_str(out, "error: test.conf:3: bad directive\n", "reload reports the error text");
    is_int(stub->calls, 2, "state_reload called once per reload");
}

/* ---- the socket ----------------------------------------------------------------------- */

static int connect_to(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop;
    (void)w;
    (void)revents;
}

/* Reads what is available on fd without blocking; returns 1 at EOF, 0 if more may come,
 * -1 on error. ECONNRESET after data counts as EOF: Linux reports it to a client whose
 * unread request the server closed on (the "request too long" case). */
static int read_some(int fd, char *reply, size_t cap, size_t *len)
{
    for (;;) {
        ssize_t n = recv(fd, reply + *len, cap - 1 - *len, MSG_DONTWAIT);
        if (n > 0) {
            *len += (size_t)n;
            reply[*len] = '\0';
            if (*len + 1 >= cap)
                return 1;
            continue;
        }
        if (n == 0 || (errno == ECONNRESET && *len > 0))
            return 1;
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    }
}

/* Runs the loop until fd reaches EOF or the bounds run out; returns 0 at EOF. */
static int run_until_eof(struct ev_loop *loop, int fd, char *reply, size_t cap)
{
    ev_timer tick;
    size_t len = 0;
    int rc = -1;
    ev_tstamp deadline = ev_time() + EXCHANGE_MAX_SECONDS;

    reply[0] = '\0';
    ev_timer_init(&tick, tick_cb, 0.01, 0.01);
    ev_timer_start(loop, &tick);
    for (int i = 0; i < EXCHANGE_MAX_ITERATIONS && ev_time() < deadline; i++) {
        ev_run(loop, EVRUN_ONCE);
        int r = read_some(fd, reply, cap, &len);
        if (r != 0) {
            rc = r > 0 ? 0 : -1;
            break;
        }
    }
    ev_timer_stop(loop, &tick);
    return rc;
}

/* Connects, sends req (len bytes), optionally half-closes, and collects the reply. */
static int exchange(struct daemon *d, const char *path, const char *req, size_t len,
                    bool half_close, char *reply, size_t cap)
{
    int fd = connect_to(path), rc = -1;

    if (fd < 0)
        return -1;
    if (send(fd, req, len, MSG_NOSIGNAL) == (ssize_t)len &&
        (!half_close || shutdown(fd, SHUT_WR) == 0))
        rc = run_until_eof(d->main_thread.loop, fd, reply, cap);
    close(fd);
    return rc;
}

static void test_socket_requests(struct daemon *d, const char *path)
{
    char reply[8192], big[5000];

    ok(exchange(d, path, "stats\n", 6, false, reply, sizeof reply) == 0, "stats over the socket");
    ok(starts_with(reply, "ok\n") && strstr(reply, "queries.total=") != NULL,
       "the reply is ok + the counters");
    ok(exchange(d, path, "stats", 5, true, reply, sizeof reply) == 0 &&
       starts_with(reply, "ok\n"), "a request ended by EOF instead of '\\n' is answered");
    ok(exchange(d, path, "nope\nstats\n", 11, false, reply, sizeof reply) == 0, "two lines");
    is_str(reply, "error: unknown command 'nope'\n", "only the first line is a command");

    memset(big, 'x', sizeof big);
    ok(exchange(d, path, big, sizeof big, false, reply, sizeof reply) == 0,
       "5000 bytes, no newline");
    is_str(reply, "error: request too long\n", "an over-long request is refused");
}

/* A dump larger than the 64 KiB a response starts with comes whole over the socket. */
static void test_socket_dump(struct daemon *d, const char *path)
{
    size_t cap = 1 << 20;
    char *reply = malloc(cap), want[64];
    bool stored = true;

    for (int i = 0; i < 2000; i++) {
        char name[64], rr[128];
        snprintf(name, sizeof name, "name-%04d.example.com.", i);
        snprintf(rr, sizeof rr, "%s 300 IN A 192.0.2.%d", name, i % 250);
        stored = stored && store_answer(d->cache, name, rr) == 0;
    }
    ok(stored && reply, "stored 2000 entries");
    snprintf(want, sizeof want, "\n; dumped %zu entries\n", cache_entries(d->cache));
    ok(reply && exchange(d, path, "dump-cache\n", 11, false, reply, cap) == 0 &&
       strlen(reply) > 64 * 1024 && strstr(reply, want) != NULL,
       "dump-cache over the socket: more than 64 KiB, every entry");
    free(reply);
    cache_flush_all(d->cache);
}

/* Fills every client slot with silent clients; one more is closed at once. */
static void test_client_cap(struct daemon *d, const char *path)
{
    enum { SLOTS = 16 };
    int fds[SLOTS], extra, n_open = 0;
    char reply[256];

    for (int i = 0; i < SLOTS; i++) {
        fds[i] = connect_to(path);
        if (fds[i] >= 0)
            n_open++;
        ev_run(d->main_thread.loop, EVRUN_NOWAIT);      /* let the daemon accept it */
    }
    is_int(n_open, SLOTS, "16 silent clients connected");
    extra = connect_to(path);
    ok(extra >= 0 && run_until_eof(d->main_thread.loop, extra, reply, sizeof reply) == 0 && reply[0] == '\0',
       "a 17th client is closed without a reply");
    if (extra >= 0)
        close(extra);
    /* the silent ones stay connected: control_close must free them */
    for (int i = 0; i < SLOTS / 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    for (int i = 0; i < 5; i++)
        ev_run(d->main_thread.loop, EVRUN_NOWAIT);      /* the daemon sees EOF on half of them */
    ok(exchange(d, path, "stats\n", 6, false, reply, sizeof reply) == 0 &&
       starts_with(reply, "ok\n"), "slots freed by closed clients are usable again");
    for (int i = SLOTS / 2; i < SLOTS; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* A leftover socket file is replaced; a regular file or a live socket is not. */
static void test_stale_files(struct daemon *d, const char *dir)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    char *path = addr.sun_path;
    struct control *ctl, *second;
    int fd, file;

    snprintf(path, sizeof addr.sun_path, "%s/stale.sock", dir);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ok(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0,
       "left a socket file behind");
    close(fd);
    ctl = control_open(d, path);
    ok(ctl != NULL, "a stale socket file is replaced");
    second = control_open(d, path);
    ok(second == NULL, "a socket in use is not replaced");
    control_close(second);
    control_close(ctl);

    snprintf(path, sizeof addr.sun_path, "%s/regular", dir);
    file = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    ok(file >= 0, "created a regular file");
    if (file >= 0)
        close(file);
    ok(control_open(d, path) == NULL, "a regular file is not replaced");
    ok(access(path, F_OK) == 0, "... and still exists");
    unlink(path);
}

static void test_socket(struct daemon *d)
{
    char dir[] = "/tmp/test_control.XXXXXX", path[SOCKET_PATH_MAX];
    struct stat st = { 0 };

    if (!mkdtemp(dir)) {
        ok(0, "mkdtemp: %s", strerror(errno));
        return;
    }
    snprintf(path, sizeof path, "%s/control.sock", dir);
    d->control = control_open(d, path);
    ok(d->control != NULL, "control_open");
    if (d->control) {
        ok(stat(path, &st) == 0 && S_ISSOCK(st.st_mode), "the socket file exists");
        is_int(st.st_mode & 07777, 0600, "its mode is 0600");
        test_socket_requests(d, path);
        test_socket_dump(d, path);
        test_client_cap(d, path);
        control_close(d->control);
        d->control = NULL;
        ok(access(path, F_OK) != 0 && errno == ENOENT, "control_close removes the socket file");
    }
    test_stale_files(d, dir);
    ok(rmdir(dir) == 0, "nothing left in the test directory");
}

int main(void)
{
    struct cache_limits limits = { .max_bytes = 1 << 20, .min_ttl = 0, .max_ttl = 86400,
                                   .max_negative_ttl = 3600 };
    struct test_daemon td;
    struct daemon *d = &td.d;

    memset(&td, 0, sizeof td);
    d->main_thread.loop = ev_loop_new(EVFLAG_AUTO);
    d->cache = cache_new(&limits);
    if (d->main_thread.loop && d->cache) {
        test_flush(d);
        test_stats_and_errors(d);
        test_flush_zone_and_type(d);
        test_negative_infra_reset_status(d);
        test_dump(d);
        test_reload(d);
        test_socket(d);
    } else {
        ok(0, "set-up: loop and cache");
    }
    cache_free(d->cache);
    if (d->main_thread.loop)
        ev_loop_destroy(d->main_thread.loop);
    return done_testing();
}
