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
 * Forwarders (infra_fwd_*) keep their health here too, in the same entries: SRTT from
 * every reply, and a down state of their own (see "forwarders" below).
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
#define INFRA_FWD_DOWN_FAILURES 2       /* failures in a row that mark a forwarder down ... */
                                        /* ... (one, if it has not answered for
                                         * INFRA_ALIVE_SECONDS) */
#define INFRA_FWD_RETRY_FIRST  1        /* seconds from down to its first retry (probe) ... */
#define INFRA_FWD_RETRY_MAX    60       /* ... doubling after each failed retry, to this */

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


/* ---- forwarders ------------------------------------------------------------------------
 * A forwarder that fails (no reply in time, a network error, a garbled reply) while it has
 * not answered anything for INFRA_ALIVE_SECONDS, or INFRA_FWD_DOWN_FAILURES times in a row,
 * is down: forward.c asks the others first, and a retry (a background probe, fwdprobe.c,
 * or a client query when nothing else is left) is due INFRA_FWD_RETRY_FIRST seconds later;
 * each failed retry doubles the wait up to INFRA_FWD_RETRY_MAX. Any reply, whatever its
 * rcode, brings it back up: it is there and answers (an rcode says something about a name,
 * not about the server). Failures of queries that were sent while it was up do not double
 * the wait: a burst of queries in flight when it died counts as one failure. */

struct infra_fwd_health {
    bool down;
    bool retry_due;                 /* down, and its wait for a retry is over ... */
    unsigned retry_in;              /* ... else the seconds left of it (0 when up or due) */
    bool measured;                  /* answered at least once (srtt is a measurement) */
    uint32_t srtt_ms;               /* as infra_srtt_ms */
    uint64_t failed_seq;            /* order of its last failure (0: none): lower = longer ago */
};

/* What is known of the forwarder at addr (defaults for one never heard from: up). */
void infra_fwd_health(struct infra *inf, const struct sockaddr_storage *addr, time_t now,
                      struct infra_fwd_health *out);
/* A reply came after rtt_ms (any rcode): an RTT sample, and up. True when it was down. */
bool infra_fwd_reply(struct infra *inf, const struct sockaddr_storage *addr, uint32_t rtt_ms,
                     time_t now);
/* No usable reply. retry: the query was a retry of the forwarder while down (a probe, or
 * a client's query when every forwarder was down), so a failure doubles its wait. True
 * when this failure marked it down; *retry_in (may be NULL) gets the seconds until its
 * next retry is due (0 when it is up). */
bool infra_fwd_failed(struct infra *inf, const struct sockaddr_storage *addr, bool retry,
                      time_t now, unsigned *retry_in);
/* Forwarders down now. */
size_t infra_fwd_down_count(struct infra *inf);

#endif
