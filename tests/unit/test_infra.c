/* test_infra.c -- unit tests for resolver/infra.c: defaults for unknown servers, RTT
 * smoothing (RFC 6298) and the RTO clamp, timeouts doubling to the cap, back-off after a
 * streak and the probe after it, the outstanding-query cap, the 0x20 flag per server
 * (family, address and port), LRU dropping, flushing; forwarder health: down after a
 * failure (at once when it has not answered lately, else after INFRA_FWD_DOWN_FAILURES in
 * a row), the retry back-off doubling only on failed retries, up again on any reply, the
 * order of failures, the count of forwarders down. Time is passed in; nothing sleeps. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "infra.h"
#include "tap.h"

#define T0 ((time_t)1700000000)

/* "192.0.2.1" or "2001:db8::1" and a port as a sockaddr_storage. Exits on a typo. */
static struct sockaddr_storage addr(const char *ip, unsigned port)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

    memset(&ss, 0, sizeof ss);
    if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
    } else {
        diag("bad address %s", ip);
        exit(2);
    }
    return ss;
}

static void test_unknown(void)
{
    struct infra *inf = infra_new(100);
    struct sockaddr_storage a = addr("192.0.2.1", 53);

    is_int(infra_timeout_ms(inf, &a, T0), INFRA_UNKNOWN_RTT_MS, "unknown: timeout default");
    is_int(infra_srtt_ms(inf, &a, T0), INFRA_UNKNOWN_RTT_MS, "unknown: srtt default");
    ok(infra_usable(inf, &a, T0), "unknown: usable");
    ok(!infra_no_0x20(inf, &a, T0), "unknown: 0x20 assumed to work");
    is_int(infra_entries(inf), 0, "unknown: asking stores nothing");
    infra_outstanding_add(inf, &a, -1, T0);
    is_int(infra_entries(inf), 0, "unknown: a decrement stores nothing");
    infra_free(inf);
}

static void test_rtt(void)
{
    struct infra *inf = infra_new(100);
    struct sockaddr_storage a = addr("192.0.2.1", 53), b = addr("192.0.2.2", 53);

    infra_report_rtt(inf, &a, 100, T0);
    is_int(infra_entries(inf), 1, "rtt: a reply creates the server");
    is_int(infra_srtt_ms(inf, &a, T0), 100, "rtt: first sample is the srtt");
    is_int(infra_timeout_ms(inf, &a, T0), 300, "rtt: rto = r + 4 * r/2");
    infra_report_rtt(inf, &a, 200, T0);
    is_int(infra_srtt_ms(inf, &a, T0), 113, "rtt: srtt = 7/8 * 100 + 1/8 * 200 = 112.5");
    is_int(infra_timeout_ms(inf, &a, T0), 363, "rtt: rto = 112.5 + 4 * 62.5");
    infra_report_rtt(inf, &a, 100, T0);
    is_int(infra_srtt_ms(inf, &a, T0), 111, "rtt: srtt = 110.94 after a third sample");
    is_int(infra_timeout_ms(inf, &a, T0), 311, "rtt: rto = 110.94 + 4 * 50");
    for (int i = 0; i < 50; i++)
        infra_report_rtt(inf, &a, 20, T0);
    is_int(infra_srtt_ms(inf, &a, T0), 20, "rtt: converges on a steady 20 ms");
    is_int(infra_timeout_ms(inf, &a, T0), INFRA_MIN_RTO_MS, "rtt: rto clamped at the minimum");
    infra_report_rtt(inf, &b, 5000, T0);
    is_int(infra_timeout_ms(inf, &b, T0), INFRA_MAX_RTO_MS, "rtt: rto clamped at the maximum");
    is_int(infra_srtt_ms(inf, &b, T0), 5000, "rtt: srtt itself is not clamped");
    infra_free(inf);
}

static void test_timeouts(void)
{
    struct infra *inf = infra_new(100);
    struct sockaddr_storage a = addr("192.0.2.1", 53), b = addr("192.0.2.2", 53);

    infra_report_timeout(inf, &a, INFRA_MAX_RTO_MS, T0);
    is_int(infra_timeout_ms(inf, &a, T0), 2 * INFRA_UNKNOWN_RTT_MS,
           "timeout: an unknown server's timeout doubles");
    is_int(infra_srtt_ms(inf, &a, T0), 2 * INFRA_UNKNOWN_RTT_MS,
           "timeout: a server in a streak looks as slow as its timeout");
    infra_report_timeout(inf, &a, INFRA_MAX_RTO_MS, T0);
    is_int(infra_timeout_ms(inf, &a, T0), 4 * INFRA_UNKNOWN_RTT_MS, "timeout: doubles again");
    infra_report_timeout(inf, &a, INFRA_MAX_RTO_MS, T0);
    is_int(infra_timeout_ms(inf, &a, T0), INFRA_MAX_RTO_MS, "timeout: capped at the maximum");
    infra_report_timeout(inf, &a, INFRA_MAX_RTO_MS, T0);
    is_int(infra_timeout_ms(inf, &a, T0), INFRA_MAX_RTO_MS, "timeout: stays at the cap");

    infra_report_rtt(inf, &b, 100, T0);
    infra_report_timeout(inf, &b, INFRA_MAX_RTO_MS, T0);
    is_int(infra_timeout_ms(inf, &b, T0), 600, "timeout: a measured rto doubles (300 -> 600)");
    infra_report_rtt(inf, &b, 100, T0);
    is_int(infra_timeout_ms(inf, &b, T0), 250, "timeout: a reply recomputes the rto");
    is_int(infra_srtt_ms(inf, &b, T0), 100, "timeout: and srtt is the smoothed RTT again");
    infra_free(inf);
}

static void test_backoff(void)
{
    struct infra *inf = infra_new(100);
    struct sockaddr_storage a = addr("192.0.2.1", 53);
    time_t t;

    infra_report_rtt(inf, &a, 100, T0);
    infra_report_timeout(inf, &a, INFRA_MAX_RTO_MS, T0 + 1);
    infra_report_timeout(inf, &a, INFRA_MAX_RTO_MS, T0 + 2);
    ok(infra_usable(inf, &a, T0 + 2), "backoff: two timeouts are not enough");
    infra_report_timeout(inf, &a, INFRA_MAX_RTO_MS, T0 + 3);
    ok(!infra_usable(inf, &a, T0 + 3), "backoff: three in a row back the server off");
    t = T0 + 3 + INFRA_BACKOFF_SECONDS;
    ok(!infra_usable(inf, &a, t - 1), "backoff: still off a second before the end");
    ok(infra_usable(inf, &a, t), "backoff: usable again when the time is over");
    infra_outstanding_add(inf, &a, 1, t);
    ok(!infra_usable(inf, &a, t), "backoff: only one probe at a time after the back-off");
    infra_report_timeout(inf, &a, INFRA_MAX_RTO_MS, t + 2);
    infra_outstanding_add(inf, &a, -1, t + 2);
    ok(!infra_usable(inf, &a, t + 2), "backoff: a timed-out probe backs off again");
    ok(!infra_usable(inf, &a, t + 1 + INFRA_BACKOFF_SECONDS), "backoff: for the full time");
    t = t + 2 + INFRA_BACKOFF_SECONDS;
    ok(infra_usable(inf, &a, t), "backoff: then another probe");
    infra_outstanding_add(inf, &a, 1, t);
    infra_report_rtt(inf, &a, 80, t + 1);
    ok(infra_usable(inf, &a, t + 1), "backoff: a reply ends probation (more queries allowed)");
    infra_report_timeout(inf, &a, INFRA_MAX_RTO_MS, t + 2);
    ok(infra_usable(inf, &a, t + 2), "backoff: one new timeout after the reply does not back off");
    infra_free(inf);
}

static void test_streak_cleared(void)
{
    struct infra *inf = infra_new(100);
    struct sockaddr_storage a = addr("2001:db8::1", 53);

    infra_report_timeout(inf, &a, INFRA_MAX_RTO_MS, T0);
    infra_report_timeout(inf, &a, INFRA_MAX_RTO_MS, T0);
    infra_report_rtt(inf, &a, 50, T0);
    infra_report_timeout(inf, &a, INFRA_MAX_RTO_MS, T0);
    infra_report_timeout(inf, &a, INFRA_MAX_RTO_MS, T0);
    ok(infra_usable(inf, &a, T0), "streak: a reply in between clears the streak (2 + 2)");
    infra_report_timeout(inf, &a, INFRA_MAX_RTO_MS, T0 + INFRA_ALIVE_SECONDS);
    ok(!infra_usable(inf, &a, T0 + INFRA_ALIVE_SECONDS),
       "streak: the third in a row backs off, once the last reply is old");
    infra_report_rtt(inf, &a, 50, T0 + INFRA_ALIVE_SECONDS + 1);
    ok(infra_usable(inf, &a, T0 + INFRA_ALIVE_SECONDS + 1), "streak: a late reply clears the back-off too");
    infra_free(inf);
}

/* A rate limiter drops some queries and answers the others: never backed off for it. */
static void test_alive_not_backed_off(void)
{
    struct infra *inf = infra_new(100);
    struct sockaddr_storage a = addr("192.0.2.1", 53), b = addr("192.0.2.2", 53);

    infra_report_rtt(inf, &a, 10, T0);
    for (int i = 0; i < 20; i++)
        infra_report_timeout(inf, &a, INFRA_MAX_RTO_MS, T0 + INFRA_ALIVE_SECONDS - 1);
    ok(infra_usable(inf, &a, T0 + INFRA_ALIVE_SECONDS - 1),
       "alive: 20 timeouts within INFRA_ALIVE_SECONDS of a reply do not back off");
    infra_report_tc(inf, &b, T0);
    for (int i = 0; i < 5; i++)
        infra_report_timeout(inf, &b, INFRA_MAX_RTO_MS, T0 + 1);
    ok(infra_usable(inf, &b, T0 + 1), "alive: a TC=1 reply counts as a reply");
    infra_report_timeout(inf, &a, INFRA_MAX_RTO_MS, T0 + INFRA_ALIVE_SECONDS);
    ok(!infra_usable(inf, &a, T0 + INFRA_ALIVE_SECONDS), "alive: silent for long enough: backed off");
    is_int((int)infra_backoffs(inf), 1, "alive: infra_backoffs counts it");
    infra_free(inf);
}

/* Unbound's orig_rtt rule: a query sent with a shorter timeout than the current one does not
 * double it again. */
static void test_timeout_once(void)
{
    struct infra *inf = infra_new(100);
    struct sockaddr_storage a = addr("192.0.2.1", 53);

    infra_report_rtt(inf, &a, 100, T0);             /* rto 300 */
    infra_report_timeout(inf, &a, 300, T0);
    is_int(infra_timeout_ms(inf, &a, T0), 600, "once: a query that waited the rto doubles it");
    infra_report_timeout(inf, &a, 300, T0);
    infra_report_timeout(inf, &a, 299, T0);
    is_int(infra_timeout_ms(inf, &a, T0), 600, "once: queries sent with the old rto do not");
    infra_report_timeout(inf, &a, 599, T0);
    is_int(infra_timeout_ms(inf, &a, T0), 1200, "once: timer rounding (599 for 600) still counts");
    infra_free(inf);
}

static void test_window(void)
{
    struct infra *inf = infra_new(100);
    struct sockaddr_storage a = addr("192.0.2.1", 53);
    int n = 0;

    for (n = 0; n < 1000 && infra_srtt_ms(inf, &a, T0) < INFRA_BUSY_PENALTY_MS; n++)
        infra_outstanding_add(inf, &a, 1, T0);
    is_int(n, INFRA_START_WINDOW, "window: INFRA_START_WINDOW at first, then the server looks busy");
    is_int(infra_srtt_ms(inf, &a, T0), INFRA_UNKNOWN_RTT_MS + INFRA_BUSY_PENALTY_MS,
           "window: busy: INFRA_BUSY_PENALTY_MS slower");
    ok(infra_usable(inf, &a, T0), "window: busy but still usable");
    infra_outstanding_add(inf, &a, -n, T0);
    infra_report_rtt(inf, &a, 10, T0);
    for (int i = 0; i < 10; i++)
        infra_report_timeout(inf, &a, INFRA_MAX_RTO_MS, T0);
    infra_report_rtt(inf, &a, 10, T0);      /* ends the streak (whose rto would look slow) */
    for (n = 0; n < 1000 && infra_srtt_ms(inf, &a, T0) < INFRA_BUSY_PENALTY_MS; n++)
        infra_outstanding_add(inf, &a, 1, T0);
    is_int(n, INFRA_MIN_WINDOW, "window: timeouts halve it down to INFRA_MIN_WINDOW");
    infra_outstanding_add(inf, &a, -n, T0);
    for (int i = 0; i < 40000; i++)
        infra_report_rtt(inf, &a, 10, T0);
    for (n = 0; n < 1000 && infra_srtt_ms(inf, &a, T0) < INFRA_BUSY_PENALTY_MS; n++)
        infra_outstanding_add(inf, &a, 1, T0);
    is_int(n, INFRA_MAX_OUTSTANDING, "window: replies grow it up to INFRA_MAX_OUTSTANDING");
    infra_free(inf);
}

static void test_prefer_tcp(void)
{
    struct infra *inf = infra_new(100);
    struct sockaddr_storage a = addr("192.0.2.1", 53), b = addr("192.0.2.2", 53);

    ok(!infra_prefer_tcp(inf, &a, T0), "tcp: not preferred for an unknown server");
    infra_report_tc(inf, &a, T0);
    ok(infra_prefer_tcp(inf, &a, T0 + INFRA_TCP_SECONDS - 1), "tcp: preferred after a TC=1 reply");
    ok(!infra_prefer_tcp(inf, &a, T0 + INFRA_TCP_SECONDS), "tcp: for INFRA_TCP_SECONDS");
    ok(!infra_prefer_tcp(inf, &b, T0), "tcp: other servers unaffected");
    infra_free(inf);
}

/* Only INFRA_TCP_PREFER_MAX queries at once start over TCP: an authority's TCP connections
 * are few, and beyond them every query would wait in its queue. */
static void test_prefer_tcp_cap(void)
{
    struct infra *inf = infra_new(100);
    struct sockaddr_storage a = addr("192.0.2.1", 53);

    infra_report_tc(inf, &a, T0);
    infra_tcp_add(inf, &a, INFRA_TCP_PREFER_MAX - 1, T0);
    ok(infra_prefer_tcp(inf, &a, T0), "tcp cap: preferred below INFRA_TCP_PREFER_MAX in flight");
    infra_tcp_add(inf, &a, 1, T0);
    ok(!infra_prefer_tcp(inf, &a, T0), "tcp cap: UDP once INFRA_TCP_PREFER_MAX are in flight");
    infra_tcp_add(inf, &a, -1, T0);
    ok(infra_prefer_tcp(inf, &a, T0), "tcp cap: TCP again when one ends");
    infra_tcp_add(inf, &a, -(INFRA_TCP_PREFER_MAX + 5), T0);
    infra_tcp_add(inf, &a, INFRA_TCP_PREFER_MAX - 1, T0);
    ok(infra_prefer_tcp(inf, &a, T0), "tcp cap: extra ends do not wrap the count");
    infra_tcp_add(inf, &a, 1, T0);
    ok(!infra_prefer_tcp(inf, &a, T0), "tcp cap: ... which counts from zero again");
    infra_free(inf);
}

static void test_outstanding(void)
{
    struct infra *inf = infra_new(100);
    struct sockaddr_storage a = addr("192.0.2.1", 53), b = addr("192.0.2.2", 53);

    infra_outstanding_add(inf, &a, INFRA_MAX_OUTSTANDING - 1, T0);
    ok(infra_usable(inf, &a, T0), "outstanding: below the cap usable");
    infra_outstanding_add(inf, &a, 1, T0);
    ok(!infra_usable(inf, &a, T0), "outstanding: at the cap not usable");
    ok(infra_usable(inf, &b, T0), "outstanding: other servers unaffected");
    infra_outstanding_add(inf, &a, -1, T0);
    ok(infra_usable(inf, &a, T0), "outstanding: one finished, usable again");
    infra_outstanding_add(inf, &a, -1000, T0);
    infra_outstanding_add(inf, &a, INFRA_MAX_OUTSTANDING - 1, T0);
    ok(infra_usable(inf, &a, T0), "outstanding: the count never goes below zero");
    infra_free(inf);
}

static void test_0x20(void)
{
    struct infra *inf = infra_new(100);
    struct sockaddr_storage v4 = addr("192.0.2.1", 53), v4port = addr("192.0.2.1", 5353),
                            v4other = addr("192.0.2.2", 53), v6 = addr("2001:db8::1", 53),
                            v6port = addr("2001:db8::1", 5353), mapped = addr("::ffff:192.0.2.1", 53);
    struct sockaddr_storage v6scoped = v6;

    infra_set_no_0x20(inf, &v4, T0);
    ok(infra_no_0x20(inf, &v4, T0), "0x20: flag set for 192.0.2.1@53");
    ok(!infra_no_0x20(inf, &v4port, T0), "0x20: another port is another server");
    ok(!infra_no_0x20(inf, &v4other, T0), "0x20: another address is another server");
    ok(!infra_no_0x20(inf, &v6, T0), "0x20: IPv6 not affected");
    ok(!infra_no_0x20(inf, &mapped, T0), "0x20: a v4-mapped IPv6 address is another server");
    infra_set_no_0x20(inf, &v6, T0);
    ok(infra_no_0x20(inf, &v6, T0), "0x20: flag set for 2001:db8::1@53");
    ok(!infra_no_0x20(inf, &v6port, T0), "0x20: IPv6 with another port is another server");
    ((struct sockaddr_in6 *)&v6scoped)->sin6_scope_id = 7;
    ok(infra_no_0x20(inf, &v6scoped, T0), "0x20: scope id is not part of the key");
    is_int(infra_entries(inf), 2, "0x20: two servers known");
    infra_free(inf);
}

static void test_lru(void)
{
    struct infra *inf = infra_new(3);
    struct sockaddr_storage a = addr("192.0.2.1", 53), b = addr("192.0.2.2", 53),
                            c = addr("192.0.2.3", 53), d = addr("192.0.2.4", 53);

    infra_set_no_0x20(inf, &a, T0);
    infra_set_no_0x20(inf, &b, T0);
    infra_set_no_0x20(inf, &c, T0);
    is_int(infra_entries(inf), 3, "lru: three fit");
    ok(infra_no_0x20(inf, &a, T0), "lru: touch a, so b is least recently used");
    infra_set_no_0x20(inf, &d, T0);
    is_int(infra_entries(inf), 3, "lru: never more than max_entries");
    ok(!infra_no_0x20(inf, &b, T0), "lru: b dropped");
    ok(infra_no_0x20(inf, &a, T0) && infra_no_0x20(inf, &c, T0) && infra_no_0x20(inf, &d, T0),
       "lru: a, c and d kept");
    for (unsigned port = 1000; port < 1100; port++) {
        struct sockaddr_storage x = addr("198.51.100.1", port);
        infra_report_rtt(inf, &x, 10, T0);
    }
    is_int(infra_entries(inf), 3, "lru: bounded under many servers");
    infra_free(inf);

    inf = infra_new(0);
    infra_report_rtt(inf, &a, 10, T0);
    is_int(infra_entries(inf), 0, "lru: max_entries 0 stores nothing");
    is_int(infra_srtt_ms(inf, &a, T0), INFRA_UNKNOWN_RTT_MS, "lru: and answers defaults");
    infra_free(inf);
}

static void test_many_and_flush(void)
{
    struct infra *inf = infra_new(10000);
    struct sockaddr_storage unspec;
    bool all = true;

    for (unsigned i = 0; i < 1000; i++) {
        struct sockaddr_storage x = addr("203.0.113.7", 2000 + i);
        infra_report_rtt(inf, &x, 10 + i, T0);
    }
    is_int(infra_entries(inf), 1000, "many: a thousand servers (the table grows)");
    for (unsigned i = 0; i < 1000; i++) {
        struct sockaddr_storage x = addr("203.0.113.7", 2000 + i);
        all = all && infra_srtt_ms(inf, &x, T0) == 10 + i;
    }
    ok(all, "many: each keeps its own srtt");
    is_int(infra_flush(inf), 1000, "flush: says how many it dropped");
    is_int(infra_entries(inf), 0, "flush: drops everything");
    {
        struct sockaddr_storage x = addr("203.0.113.7", 2000);
        is_int(infra_srtt_ms(inf, &x, T0), INFRA_UNKNOWN_RTT_MS, "flush: back to defaults");
    }
    memset(&unspec, 0, sizeof unspec);
    infra_report_timeout(inf, &unspec, INFRA_MAX_RTO_MS, T0);
    is_int(infra_entries(inf), 0, "flush: an address of no known family is ignored");
    infra_free(inf);
    infra_free(NULL);
}

static void test_fwd_down_at_once(void)
{
    struct infra *inf = infra_new(100);
    struct sockaddr_storage a = addr("192.0.2.1", 53);
    struct infra_fwd_health h;
    unsigned wait = 99;

    infra_fwd_health(inf, &a, T0, &h);
    ok(!h.down && !h.measured && h.failed_seq == 0, "fwd: unknown forwarder is up, unmeasured");
    ok(infra_fwd_failed(inf, &a, false, T0, &wait), "fwd: never answered, one failure: down");
    is_int(wait, INFRA_FWD_RETRY_FIRST, "fwd: first retry after INFRA_FWD_RETRY_FIRST");
    infra_fwd_health(inf, &a, T0, &h);
    ok(h.down && !h.retry_due, "fwd: down, its retry not due yet");
    ok(h.failed_seq > 0, "fwd: its failure is in the order");
    is_int(infra_fwd_down_count(inf), 1, "fwd: one forwarder down");
    infra_fwd_health(inf, &a, T0 + INFRA_FWD_RETRY_FIRST, &h);
    ok(h.retry_due, "fwd: the retry is due after the wait");
    ok(!infra_fwd_failed(inf, &a, false, T0 + 1, &wait), "fwd: a stale failure marks nothing");
    is_int(wait, INFRA_FWD_RETRY_FIRST, "fwd: ... nor doubles the wait");
    ok(infra_fwd_reply(inf, &a, 20, T0 + 2), "fwd: a reply says it was down");
    infra_fwd_health(inf, &a, T0 + 2, &h);
    ok(!h.down && h.measured, "fwd: up again, measured");
    is_int(h.srtt_ms, 20, "fwd: the reply is an RTT sample");
    is_int(infra_fwd_down_count(inf), 0, "fwd: none down");
    ok(!infra_fwd_reply(inf, &a, 20, T0 + 2), "fwd: a reply while up is no recovery");
    infra_free(inf);
}

static void test_fwd_alive_needs_repeats(void)
{
    struct infra *inf = infra_new(100);
    struct sockaddr_storage a = addr("192.0.2.1", 53);
    struct infra_fwd_health h;

    infra_fwd_reply(inf, &a, 5, T0);
    ok(!infra_fwd_failed(inf, &a, false, T0 + 1, NULL), "fwd: answered a moment ago: one failure is not down");
    infra_fwd_health(inf, &a, T0 + 1, &h);
    ok(!h.down, "fwd: still up");
    ok(h.srtt_ms > 5, "fwd: but it looks slower while failing (%u ms)", h.srtt_ms);
    ok(infra_fwd_failed(inf, &a, false, T0 + 1, NULL), "fwd: INFRA_FWD_DOWN_FAILURES in a row: down");
    infra_fwd_reply(inf, &a, 5, T0 + 2);
    ok(!infra_fwd_failed(inf, &a, false, T0 + 2, NULL), "fwd: a reply ended the streak");
    infra_free(inf);
}

static void test_fwd_backoff(void)
{
    struct infra *inf = infra_new(100);
    struct sockaddr_storage a = addr("192.0.2.1", 53);
    unsigned wait = 0, want = INFRA_FWD_RETRY_FIRST;
    time_t now = T0;

    infra_fwd_failed(inf, &a, false, now, &wait);
    for (int i = 0; i < 12; i++) {
        now += wait;
        infra_fwd_failed(inf, &a, true, now, &wait);
        want = want * 2 > INFRA_FWD_RETRY_MAX ? INFRA_FWD_RETRY_MAX : want * 2;
        if (wait != want)
            break;
    }
    is_int(wait, want, "fwd: each failed retry doubles the wait ...");
    is_int(wait, INFRA_FWD_RETRY_MAX, "fwd: ... up to INFRA_FWD_RETRY_MAX");
    infra_fwd_reply(inf, &a, 5, now);
    infra_fwd_failed(inf, &a, false, now + 100, &wait);
    is_int(wait, INFRA_FWD_RETRY_FIRST, "fwd: after a recovery it starts over");
    infra_free(inf);
}

static void test_fwd_order(void)
{
    struct infra *inf = infra_new(100);
    struct sockaddr_storage a = addr("192.0.2.1", 53), b = addr("192.0.2.2", 53);
    struct infra_fwd_health ha, hb;

    infra_fwd_failed(inf, &a, false, T0, NULL);
    infra_fwd_failed(inf, &b, false, T0, NULL);
    infra_fwd_health(inf, &a, T0, &ha);
    infra_fwd_health(inf, &b, T0, &hb);
    ok(ha.failed_seq < hb.failed_seq, "fwd: a failed before b (same second)");
    infra_fwd_failed(inf, &a, true, T0, NULL);
    infra_fwd_health(inf, &a, T0, &ha);
    ok(ha.failed_seq > hb.failed_seq, "fwd: now b is the least recently failed");
    is_int(infra_fwd_down_count(inf), 2, "fwd: two down");
    infra_flush(inf);
    is_int(infra_fwd_down_count(inf), 0, "fwd: a flush forgets them");
    infra_free(inf);
}

int main(void)
{
    test_unknown();
    test_rtt();
    test_timeouts();
    test_backoff();
    test_streak_cleared();
    test_alive_not_backed_off();
    test_timeout_once();
    test_window();
    test_prefer_tcp();
    test_prefer_tcp_cap();
    test_outstanding();
    test_0x20();
    test_lru();
    test_many_and_flush();
    test_fwd_down_at_once();
    test_fwd_alive_needs_repeats();
    test_fwd_backoff();
    test_fwd_order();
    return done_testing();
}
