/* sdnotify.c -- the $NOTIFY_SOCKET datagram protocol (see sdnotify.h).
 *
 * Each message opens its own socket: messages are few (start, reload, stop, and the
 * watchdog every few seconds), and a socket kept open would have to survive the privilege
 * drop and a manager that restarts. Every failure is logged at debug level only: a lost
 * notification must never stop the service. */
#include "sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* Fills addr from $NOTIFY_SOCKET; returns the address length, 0 when unset, -1 when it
 * is not a usable name. */
static socklen_t notify_address(struct sockaddr_un *addr, int *bad)
{
    const char *name = getenv("NOTIFY_SOCKET");
    size_t len;

    *bad = 0;
    if (!name || !*name)
        return 0;
    len = strlen(name);
    if ((name[0] != '/' && name[0] != '@') || len >= sizeof addr->sun_path) {
        *bad = 1;
        return 0;
    }
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    memcpy(addr->sun_path, name, len);
    if (name[0] == '@')
        addr->sun_path[0] = '\0';    /* abstract: no terminating NUL counts in the length */
    else
        len++;                       /* a path: the NUL is part of the address */
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
}

int sdnotify_send(const char *state)
{
    struct sockaddr_un addr;
    int bad;
    socklen_t addrlen = notify_address(&addr, &bad);

    if (bad) {
        log_debug("sd_notify: $NOTIFY_SOCKET is not a socket name");
        return -1;
    }
    if (addrlen == 0)
        return 0;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        log_debug("sd_notify: socket: %s", strerror(errno));
        return -1;
    }
    struct iovec iov = { .iov_base = (void *)state, .iov_len = strlen(state) };
    struct msghdr msg = {
        .msg_name = &addr, .msg_namelen = addrlen, .msg_iov = &iov, .msg_iovlen = 1,
    };
    ssize_t sent = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    int saved = errno;
    close(fd);
    if (sent < 0) {
        log_debug("sd_notify: sending '%.20s': %s", state, strerror(saved));
        return -1;
    }
    return 1;
}

int sdnotify_ready(void)
{
    return sdnotify_send("READY=1\nSTATUS=answering queries");
}

int sdnotify_reloading(void)
{
    struct timespec ts;
    char msg[96];

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return sdnotify_send("RELOADING=1\nSTATUS=reloading");
    snprintf(msg, sizeof msg, "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
    return sdnotify_send(msg);
}

int sdnotify_stopping(void)
{
    return sdnotify_send("STOPPING=1\nSTATUS=stopping");
}

double sdnotify_watchdog_interval(void)
{
    const char *usec = getenv("WATCHDOG_USEC");
    const char *pid = getenv("WATCHDOG_PID");
    char *end;

    if (!usec || !*usec)
        return 0;
    if (pid && *pid) {
        errno = 0;
        long long p = strtoll(pid, &end, 10);
        if (errno || *end || p != (long long)getpid())
            return 0;                /* meant for another process (our parent) */
    }
    errno = 0;
    unsigned long long us = strtoull(usec, &end, 10);
    if (errno || *end || us == 0 || usec[0] == '-')
        return 0;
    return (double)us / 1e6;
}

static void watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)w, (void)revents;
    sdnotify_send("WATCHDOG=1");
}

void sdnotify_watchdog_start(struct sdnotify_watchdog *wd, struct ev_loop *loop)
{
    double interval = sdnotify_watchdog_interval();

    wd->active = false;
    if (interval <= 0)
        return;
    /* half the interval, as sd_watchdog_enabled(3) advises: one late tick is not fatal */
    ev_timer_init(&wd->timer, watchdog_cb, 0.0, interval / 2);
    ev_timer_start(loop, &wd->timer);
    wd->active = true;
    log_info("systemd watchdog: WATCHDOG=1 every %.3f s", interval / 2);
}

void sdnotify_watchdog_stop(struct sdnotify_watchdog *wd, struct ev_loop *loop)
{
    if (wd->active)
        ev_timer_stop(loop, &wd->timer);
    wd->active = false;
}
