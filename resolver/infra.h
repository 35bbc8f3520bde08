/* infra.h -- what we know about each authoritative server: round-trip times, timeouts,
 * back-off, queries outstanding, whether it echoes 0x20 case, and whether it rate-limits.
 *
 * Keyed by address (IPv4 and IPv6 alike, port included). The retransmission timeout follows
 * RFC 6298's shape (srtt + 4 * rttvar, clamped), starting at INFRA_UNKNOWN_RTT_MS for a
 * server never heard from; a timeout doubles it (up to INFRA_MAX_RTO_MS) unless the query
 * waited less than the current RTO (it was sent with an older, shorter one: a burst of
 * timeouts of one moment doubles it once, as Unbound's rtt_lost with orig_rtt). A server that
 * keeps timing out and has not answered anything for INFRA_ALIVE_SECONDS is backed off -- not
 * chosen -- for a while, then probed again; one that still answers some queries (a rate
 * limiter dropping the rest) is never backed off, it only looks slower. A truncated (TC=1)
 * reply -- an RRL "slip" -- makes TCP to that server preferred for INFRA_TCP_SECONDS. Each
 * server has a window of queries in flight that halves on timeouts and grows with replies
 * (AIMD, between INFRA_MIN_WINDOW and INFRA_MAX_OUTSTANDING); a server with its window full
 * looks INFRA_BUSY_PENALTY_MS slower, so selection sends the next query to the zone's other
 * servers while they have room (it is not made unusable: when every server is busy, the
 * query still goes to one of them). INFRA_MAX_OUTSTANDING is the hard cap.
 * Bounded in entries (the least recently used are dropped). Shared by the worker threads:
 * every public call holds its one mutex. */
#ifndef INFRA_H
#define INFRA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#define INFRA_UNKNOWN_RTT_MS   376      /* as Unbound: an unknown server looks this slow */
#define INFRA_MIN_RTO_MS       50
#define INFRA_MAX_RTO_MS       3000
#define INFRA_BACKOFF_TIMEOUTS 3        /* consecutive timeouts before backing off ... */
#define INFRA_ALIVE_SECONDS    3        /* ... and no reply at all for this long */
#define INFRA_BACKOFF_SECONDS  60
#define INFRA_MAX_OUTSTANDING  256      /* queries in flight to one server, at most */
#define INFRA_START_WINDOW     64       /* ... for a server never heard from */
#define INFRA_MIN_WINDOW       8        /* ... however often it timed out */
#define INFRA_TCP_SECONDS      30       /* TCP preferred this long after a TC=1 reply */
#define INFRA_TCP_PREFER_MAX   256      /* ... while fewer TCP queries than this are in flight */
#define INFRA_BUSY_PENALTY_MS  1000     /* added to the srtt of a server with a full window */
#define INFRA_NO_0X20_SECONDS  900      /* how long a server is asked without 0x20 */

struct infra;

struct infra *infra_new(size_t max_entries);
void infra_free(struct infra *inf);
size_t infra_entries(struct infra *inf);
/* Forgets every server; returns how many there were (one step: none can come in between). */
size_t infra_flush(struct infra *inf);
/* How many times a server was backed off (taken for dead) since the start. */
uint64_t infra_backoffs(struct infra *inf);

/* The time to wait for this server before giving up on one query, in ms. */
uint32_t infra_timeout_ms(struct infra *inf, const struct sockaddr_storage *addr, time_t now);
/* The server's smoothed RTT in ms for selection (INFRA_UNKNOWN_RTT_MS if never measured),
 * plus INFRA_BUSY_PENALTY_MS while its window is full. */
uint32_t infra_srtt_ms(struct infra *inf, const struct sockaddr_storage *addr, time_t now);
/* False while the server is backed off or has INFRA_MAX_OUTSTANDING queries in flight. */
bool infra_usable(struct infra *inf, const struct sockaddr_storage *addr, time_t now);

/* A reply came after rtt_ms: update srtt/rttvar, clear the timeout streak. */
void infra_report_rtt(struct infra *inf, const struct sockaddr_storage *addr, uint32_t rtt_ms,
                      time_t now);
/* No reply after waiting waited_ms: double the RTO (once: not when waited_ms is below the
 * current RTO) and halve the window; after INFRA_BACKOFF_TIMEOUTS in a row with no reply for
 * INFRA_ALIVE_SECONDS, back off. */
void infra_report_timeout(struct infra *inf, const struct sockaddr_storage *addr,
                          uint32_t waited_ms, time_t now);

/* A reply with TC=1 came (the query goes on over TCP): the server is alive, and rate-limits
 * or cannot fit its answers in UDP, so queries to it go over TCP for INFRA_TCP_SECONDS. */
void infra_report_tc(struct infra *inf, const struct sockaddr_storage *addr, time_t now);
/* Ask this server over TCP from the start: within INFRA_TCP_SECONDS of a TC=1 reply, and
 * only while it has fewer than INFRA_TCP_PREFER_MAX TCP queries in flight (they share each
 * worker's few reused connections, tcppool.h; beyond what those hold each would need one of
 * its own, and an authority serves a bounded number of TCP connections, NSD's tcp-count 100
 * by default, where connections queue and every query waits; so the rest go over UDP, where
 * a slip is still retried over TCP). */
bool infra_prefer_tcp(struct infra *inf, const struct sockaddr_storage *addr, time_t now);
/* TCP queries in flight to the server (+1 when one starts, -1 when it ends). */
void infra_tcp_add(struct infra *inf, const struct sockaddr_storage *addr, int delta,
                   time_t now);

/* Queries in flight (for the per-server cap). */
void infra_outstanding_add(struct infra *inf, const struct sockaddr_storage *addr, int delta,
                           time_t now);

/* 0x20: servers that do not echo the question's case get queries without it, for
 * INFRA_NO_0X20_SECONDS (then they are tried with it again). */
bool infra_no_0x20(struct infra *inf, const struct sockaddr_storage *addr, time_t now);
void infra_set_no_0x20(struct infra *inf, const struct sockaddr_storage *addr, time_t now);

#endif
