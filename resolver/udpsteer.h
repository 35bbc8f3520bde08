/* udpsteer.h -- which worker's UDP socket the kernel hands a listen address's datagrams to.
 *
 * Every worker binds each listen address with SO_REUSEPORT, and the kernel spreads the
 * datagrams over the sockets by a hash of the client's address. At a modest rate that
 * means every thread wakes for a query or two at a time, and a wake-up costs several times
 * what answering a cache hit does (tools/bench/README.md, "Where the time of a cache hit
 * goes"). So while the load is low the first worker's socket gets all of them (a one-line
 * classic BPF program on the reuseport group: "socket 0"), and the other threads sleep; as
 * soon as that socket's thread does not catch up (a run of full batches: queries queue
 * behind each other), or is busy (on a CPU or waiting for one) more than 75% of a second,
 * the program steps aside and the kernel's hash spreads the load over every thread again;
 * once the first thread's demand over a second, times the threads, is low again, its socket
 * takes it all again.
 * Nothing spins and nothing waits: the decision is made on the batches that arrive.
 *
 * One `struct udp_steer` per listen address, kept by the first worker's socket (the group's
 * socket 0: the first worker binds every address before the others). */
#ifndef UDPSTEER_H
#define UDPSTEER_H

#include <stdbool.h>

struct udp_steer {
    int fd;                     /* the group's socket 0; -1: no steering (one worker) */
    bool spread;                /* the kernel's hash decides (the load is high) */
    unsigned threads;           /* sockets in the group */
    int stat_fd;                /* the thread's schedstat (opened by it); -1 not yet, -2 none */
    double since;               /* loop time the current window began */
    double demand_since;        /* the thread's demand then (s: run + runnable); -1 unknown */
    unsigned run;               /* full batches in a row, the last one included */
    bool saturated;             /* the window had such a run */
};

/* Starts steering fd's reuseport group to fd (the group's first socket). False when the
 * kernel will not (then the hash spreads as without steering, and s stays inactive). */
bool udpsteer_open(struct udp_steer *s, int fd, unsigned threads, double now);
/* The steering socket read a batch of n datagrams (of at most max) at loop time now:
 * spreads on a run of full batches or a busy thread, takes all back when the load is low.
 * Judged on the batches that come: no timer, one pread a second. On the socket's thread. */
void udpsteer_batch(struct udp_steer *s, unsigned n, unsigned max, double now);
/* Closes what steering opened (not the socket). */
void udpsteer_close(struct udp_steer *s);

#endif
