/* udpsteer.c -- steering a reuseport group's datagrams to one socket at low load (see
 * udpsteer.h for why and when). */
#include "udpsteer.h"

#include <errno.h>
#include <linux/filter.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"

#define SPREAD_HOLD_SECONDS 1.0     /* a window without a run of full batches takes all back */
#define SATURATED_RUN       4       /* full batches in a row: the thread does not catch up */

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

bool udpsteer_open(struct udp_steer *s, int fd, double now)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    if (steer_to(fd, 0) < 0) {
        log_info("udp: no reuseport steering (%s): every thread wakes at any load",
                 strerror(errno));
        return false;
    }
    s->fd = fd;
    s->since = now;
    return true;
}

/* One full batch only says the thread was off the CPU for a moment (on a shared machine
 * it is, often: another thread could not have run then either); a run of them says the
 * thread does not catch up with what arrives. */
void udpsteer_batch(struct udp_steer *s, unsigned n, unsigned max, double now)
{
    if (s->fd < 0)
        return;
    s->run = n >= max ? s->run + 1 : 0;
    if (!s->spread) {
        if (s->run < SATURATED_RUN)
            return;
        if (steer_to(s->fd, ~0u) == 0) {
            log_debug("udp: the first socket does not catch up: spreading over the threads");
            s->spread = true;
            s->since = now;
            s->saturated = false;
        }
        return;
    }
    if (s->run >= SATURATED_RUN)
        s->saturated = true;
    if (now - s->since < SPREAD_HOLD_SECONDS)
        return;
    if (!s->saturated && steer_to(s->fd, 0) == 0) {
        s->spread = false;
        log_debug("udp: a second without a run of full batches: the first socket takes all");
    }
    s->since = now;             /* a new window either way */
    s->saturated = false;
}
