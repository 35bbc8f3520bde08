/* ratelimit.h -- `ratelimit QPS`: replies per second to one client prefix (RRL-like).
 *
 * Clients are grouped by prefix (IPv4 /24, IPv6 /56: what one site or one spoofed-source
 * flood usually spans). Each group may get QPS replies per wall-clock second over UDP;
 * beyond that a query is dropped, except every second one, which gets an empty reply with
 * TC=1 ("slip", as BIND's RRL does) so that a real client behind a busy prefix can retry
 * over TCP, which is never limited (a TCP client cannot spoof its address). An amplifier
 * is useless to an attacker when its replies to the victim are capped this way.
 *
 * The table is fixed-size (RATELIMIT_SLOTS, a few hundred KiB) and shared by the worker
 * threads, with striped locks. Each second a slot counts the first prefix that hashes to
 * it; another prefix colliding with it that second is let through uncounted, so a flood
 * spread over many prefixes can never throttle an innocent client. It is not an htable.h
 * table on purpose: it stores no entry per client (nothing to allocate, chain or evict, so
 * a flood of spoofed sources cannot grow it), and forgetting a prefix on a collision is
 * the design, not a miss to be resolved by a chain. */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

struct ratelimit;

enum ratelimit_verdict { RATELIMIT_PASS, RATELIMIT_DROP, RATELIMIT_SLIP };

struct ratelimit *ratelimit_new(void);
void ratelimit_free(struct ratelimit *rl);
/* Counts one reply to client at second `now` against qps (0: always PASS). */
enum ratelimit_verdict ratelimit_check(struct ratelimit *rl, const struct sockaddr_storage *client,
                                       uint32_t qps, time_t now);

#endif
