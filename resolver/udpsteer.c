/* udpsteer.c -- steering a reuseport group's datagrams to one socket at low load (see
 * udpsteer.h for why and when). */
#include "udpsteer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <linux/filter.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define WINDOW_SECONDS  1.0     /* the load is judged once a window, on its first batch after */
#define SATURATED_RUN   4       /* full batches in a row: the thread does not catch up */
#define SPREAD_ABOVE    0.75    /* demand of the first thread (share of a second on or
                                 * waiting for a CPU) that spreads the load */
#define TAKE_BELOW      0.7     /* spread: its demand times the threads that takes it
                                 * back; an overestimate of the one thread's demand, which
                                 * batches more (a hit costs it 20-30% less), so below
                                 * SPREAD_ABOVE does not flap */

/* A classic BPF reuseport program is one instruction: return the index of the socket. An
 * index past the group's end makes the kernel fall back to its hash (net/core/sock_reuseport.c
 * since Linux 4.6), which is how "spread" is said without detaching (SO_DETACH_REUSEPORT_BPF
 * is 5.8's). */
static int steer_to(int fd, unsigned index)
{
    struct sock_filter code[] = { BPF_STMT(BPF_RET | BPF_K, index) };
    struct sock_fprog prog = { .len = 1, .filter = code };

    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof prog);
}

/* This thread's demand so far in seconds: time on a CPU plus time runnable but waiting for
 * one (/proc/thread-self/schedstat). CPU time alone says too little on a shared machine: a
 * thread that cannot keep up because it does not get a CPU looks idle by it. One pread a
 * window; the file is opened by the thread itself, on its first window. -1: unknown. */
static double thread_demand(struct udp_steer *s)
{
    char buf[96];
    unsigned long long run, wait;

    if (s->stat_fd == -1)
        s->stat_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
    if (s->stat_fd < 0) {
        s->stat_fd = -2;        /* never again */
        return -1;
    }
    ssize_t n = pread(s->stat_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    if (sscanf(buf, "%llu %llu", &run, &wait) != 2)
        return -1;
    return (double)(run + wait) / 1e9;
}

static void window_start(struct udp_steer *s, double now)
{
    s->since = now;
    s->demand_since = thread_demand(s);
    s->saturated = false;
}

bool udpsteer_open(struct udp_steer *s, int fd, unsigned threads, double now)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->stat_fd = -2;
    if (steer_to(fd, 0) < 0) {
        log_info("udp: no reuseport steering (%s): every thread wakes at any load",
                 strerror(errno));
        return false;
    }
    s->fd = fd;
    s->stat_fd = -1;
    s->threads = threads;
    s->since = now;
    s->demand_since = -1;      /* the first window only opens the file */
    return true;
}

static void set_spread(struct udp_steer *s, bool spread, const char *why)
{
    if (steer_to(s->fd, spread ? ~0u : 0) != 0)
        return;
    s->spread = spread;
    log_debug("udp: %s: %s", why, spread ? "spreading over the threads" : "one thread takes all");
}

/* One full batch only says the thread was off the CPU for a moment (on a shared machine it
 * is, often, and another thread could not have run then either); a run of them says it
 * does not catch up. Between such bursts the thread's demand over a window decides; while
 * spread, its demand stands for 1/threads of the load, and a run of full batches in the
 * window keeps it spread whatever the demand says. */
void udpsteer_batch(struct udp_steer *s, unsigned n, unsigned max, double now)
{
    if (s->fd < 0)
        return;
    s->run = n >= max ? s->run + 1 : 0;
    if (s->run >= SATURATED_RUN) {
        s->saturated = true;
        if (!s->spread) {
            set_spread(s, true, "the first socket does not catch up");
            window_start(s, now);
            return;
        }
    }
    double wall = now - s->since;
    if (wall < WINDOW_SECONDS)
        return;
    double before = s->demand_since, after = thread_demand(s);
    if (before >= 0 && after >= 0) {
        double busy = (after - before) / wall;
        log_debug("udp: window %.2f s, first thread demand %.3f%s", wall, busy,
                  s->spread ? " (spread)" : "");
        if (!s->spread && busy > SPREAD_ABOVE)
            set_spread(s, true, "the first thread is busy");
        else if (s->spread && !s->saturated && busy * s->threads < TAKE_BELOW)
            set_spread(s, false, "the load is low");
    }
    s->since = now;
    s->demand_since = after;
    s->saturated = false;
}

void udpsteer_close(struct udp_steer *s)
{
    if (s->stat_fd >= 0)
        close(s->stat_fd);
    s->stat_fd = -2;
}
