/* infra.h -- what we know about each authoritative server: round-trip times, timeouts,
 * back-off, queries outstanding, and whether it echoes 0x20 case.
 *
 * Keyed by address (IPv4 and IPv6 alike, port included). The retransmission timeout follows
 * RFC 6298's shape (srtt + 4 * rttvar, clamped), starting at INFRA_UNKNOWN_RTT_MS for a
 * server never heard from; each timeout doubles it (up to INFRA_MAX_RTO_MS), and a server
 * that keeps timing out is backed off -- not chosen -- for a while, then probed again.
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
#define INFRA_BACKOFF_TIMEOUTS 3        /* consecutive timeouts before backing off */
#define INFRA_BACKOFF_SECONDS  60
#define INFRA_MAX_OUTSTANDING  64       /* queries in flight to one server */
#define INFRA_NO_0X20_SECONDS  900      /* how long a server is asked without 0x20 */

struct infra;

struct infra *infra_new(size_t max_entries);
void infra_free(struct infra *inf);
size_t infra_entries(struct infra *inf);
/* Forgets every server; returns how many there were (one step: none can come in between). */
size_t infra_flush(struct infra *inf);

/* The time to wait for this server before giving up on one query, in ms. */
uint32_t infra_timeout_ms(struct infra *inf, const struct sockaddr_storage *addr, time_t now);
/* The server's smoothed RTT in ms for selection (INFRA_UNKNOWN_RTT_MS if never measured). */
uint32_t infra_srtt_ms(struct infra *inf, const struct sockaddr_storage *addr, time_t now);
/* False while the server is backed off or has INFRA_MAX_OUTSTANDING queries in flight. */
bool infra_usable(struct infra *inf, const struct sockaddr_storage *addr, time_t now);

/* A reply came after rtt_ms: update srtt/rttvar, clear the timeout streak. */
void infra_report_rtt(struct infra *inf, const struct sockaddr_storage *addr, uint32_t rtt_ms,
                      time_t now);
/* No reply in time: double the RTO; after INFRA_BACKOFF_TIMEOUTS in a row, back off. */
void infra_report_timeout(struct infra *inf, const struct sockaddr_storage *addr, time_t now);

/* Queries in flight (for the per-server cap). */
void infra_outstanding_add(struct infra *inf, const struct sockaddr_storage *addr, int delta,
                           time_t now);

/* 0x20: servers that do not echo the question's case get queries without it, for
 * INFRA_NO_0X20_SECONDS (then they are tried with it again). */
bool infra_no_0x20(struct infra *inf, const struct sockaddr_storage *addr, time_t now);
void infra_set_no_0x20(struct infra *inf, const struct sockaddr_storage *addr, time_t now);

#endif
