/* test_udpsteer.c -- unit tests for resolver/udpsteer.c on real loopback sockets: two
 * SO_REUSEPORT sockets of one group, steered to the first, take every datagram there from
 * many client ports; a run of full batches spreads them (some reach the second), single full
 * batches do not; a socket of a group that the kernel will not steer reports it. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"
#include "udpsteer.h"

static int bound_socket(struct sockaddr_in *addr, bool reuseport)
{
    int one = 1, fd = socket(AF_INET, SOCK_DGRAM, 0);

    if (fd < 0)
        return -1;
    if (reuseport)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    socklen_t len = sizeof *addr;
    if (bind(fd, (struct sockaddr *)addr, sizeof *addr) < 0 ||
        getsockname(fd, (struct sockaddr *)addr, &len) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends one datagram from each of n fresh client sockets (n source ports) to addr. */
static void send_from_ports(const struct sockaddr_in *addr, int n)
{
    for (int i = 0; i < n; i++) {
        int c = socket(AF_INET, SOCK_DGRAM, 0);
        if (c < 0)
            continue;
        (void)sendto(c, "q", 1, 0, (const struct sockaddr *)addr, sizeof *addr);
        close(c);
    }
}

/* Datagrams waiting on fd, read away (waits up to 200 ms for the first). */
static int drain(int fd)
{
    char buf[16];
    int n = 0;
    struct pollfd p = { .fd = fd, .events = POLLIN };

    if (poll(&p, 1, 200) <= 0)
        return 0;
    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
        n++;
    return n;
}

int main(void)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int a = bound_socket(&addr, true), b = bound_socket(&addr, true);
    struct udp_steer s;

    ok(a >= 0 && b >= 0, "two reuseport sockets on one port");
    if (a < 0 || b < 0)
        return done_testing();
    ok(udpsteer_open(&s, a, 2, 0.0), "steering the group to the first socket");
    ok(!s.spread, "steered: not spread");
    send_from_ports(&addr, 64);
    is_int(drain(a), 64, "all 64 datagrams from 64 ports reach the first socket");
    is_int(drain(b), 0, "none reaches the second");

    udpsteer_batch(&s, 64, 64, 0.1);
    udpsteer_batch(&s, 3, 64, 0.1);
    udpsteer_batch(&s, 64, 64, 0.2);
    ok(!s.spread, "single full batches do not spread");
    udpsteer_batch(&s, 3, 64, 0.25);
    for (int i = 0; i < 4; i++)
        udpsteer_batch(&s, 64, 64, 0.3);
    ok(s.spread, "a run of four full batches spreads");
    send_from_ports(&addr, 64);
    int na = drain(a), nb = drain(b);
    is_int(na + nb, 64, "spread: every datagram arrives");
    ok(na > 0 && nb > 0, "spread: both sockets get some (%d and %d)", na, nb);

    /* this thread hardly ran meanwhile: its demand over the window is low */
    udpsteer_batch(&s, 1, 64, 0.9);
    ok(s.spread, "within the window: still spread");
    udpsteer_batch(&s, 1, 64, 1.5);
    ok(!s.spread, "a second of low demand takes all back");
    send_from_ports(&addr, 32);
    is_int(drain(a), 32, "taken back: all reach the first socket again");
    udpsteer_close(&s);
    close(b);

    /* a socket without SO_REUSEPORT has no group to steer */
    struct sockaddr_in other = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int c = bound_socket(&other, false);
    ok(c >= 0 && !udpsteer_open(&s, c, 2, 0.0), "no reuseport group: no steering");
    udpsteer_batch(&s, 64, 64, 0.0);
    ok(!s.spread, "an inactive steer ignores batches");
    udpsteer_close(&s);
    close(c);
    close(a);
    return done_testing();
}
