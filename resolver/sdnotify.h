/* sdnotify.h -- telling systemd (or whoever set $NOTIFY_SOCKET) how the daemon is doing.
 *
 * The sd_notify(3) datagram protocol, without libsystemd: one datagram of "KEY=VALUE"
 * lines to the AF_UNIX socket named in $NOTIFY_SOCKET (a path, or an abstract name when
 * it starts with '@'). Without $NOTIFY_SOCKET every call does nothing, so the daemon runs
 * the same under a terminal, a test or systemd. Sending never blocks (MSG_DONTWAIT): a
 * manager that does not read loses the message, the daemon goes on serving.
 *
 * Main thread only: the watchdog is an ev_timer on the main loop, so WATCHDOG=1 stops when
 * that loop stalls -- which is what the watchdog is there to notice. */
#ifndef SDNOTIFY_H
#define SDNOTIFY_H

#include <ev.h>
#include <stdbool.h>

/* Sends `state` (e.g. "READY=1\nSTATUS=serving") as one datagram. Returns 1 when sent, 0
 * when there is no $NOTIFY_SOCKET, -1 on an error (logged at debug level). */
int sdnotify_send(const char *state);

int sdnotify_ready(void);       /* READY=1 with a STATUS line */
int sdnotify_reloading(void);   /* RELOADING=1 and MONOTONIC_USEC (as systemd 253 wants) */
int sdnotify_stopping(void);    /* STOPPING=1 */

/* $WATCHDOG_USEC (and $WATCHDOG_PID, when set, naming this process): the interval the
 * manager expects WATCHDOG=1 within; 0 when there is no watchdog. */
double sdnotify_watchdog_interval(void);

struct sdnotify_watchdog {
    ev_timer timer;
    bool active;
};

/* Starts sending WATCHDOG=1 every half interval on loop, when a watchdog is asked for;
 * does nothing otherwise. sdnotify_watchdog_stop undoes it (safe when never started). */
void sdnotify_watchdog_start(struct sdnotify_watchdog *wd, struct ev_loop *loop);
void sdnotify_watchdog_stop(struct sdnotify_watchdog *wd, struct ev_loop *loop);

#endif
