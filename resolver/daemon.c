/* daemon.c -- the daemon's life: load, start, serve, stop.
 *
 * The order matters: the sockets are bound (as root, for port 53) before the privileges
 * are dropped and the worker threads start; at the end the threads are joined before
 * anything they might touch is freed. What the shared state is and how it is rebuilt on
 * reload is state.c. */
#include "daemon.h"

#include <stdio.h>
#include <string.h>

#include "cachedb.h"
#include "control.h"
#include "config.h"
#include "fwdprobe.h"
#include "iterate.h"
#include "log.h"
#include "metrics.h"
#include "state.h"
#include "workers.h"

int daemon_load(struct daemon *d, const char *config_path, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->main_thread.d = d;
    d->config_path = config_path;
    if (state_load(d, err, errlen) < 0)
        return -1;
    if (!(d->priming = iterate_priming_new())) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* ---- start and stop -------------------------------------------------------------------- */

static void on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)revents;
    log_info("signal %d: stopping", w->signum);
    ev_break(loop, EVBREAK_ALL);
}

static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
    char err[512];
    (void)loop;
    (void)revents;
    state_reload(w->data, err, sizeof err);
}

/* A flush another instance shared through Redis: run here as if typed, not shared again. */
static void apply_shared_flush(void *arg, const char *line)
{
    char out[256];

    control_execute_local(arg, line, out, sizeof out);
}

int daemon_start(struct daemon *d, struct ev_loop *loop)
{
    d->main_thread.d = d;
    d->main_thread.loop = loop;
    d->started = ev_now(loop);
    if (workers_open(d) != 0)
        return -1;
    if (!(d->fwdprobe = fwdprobe_new(d)))
        log_warn("out of memory for the forwarder prober: down forwarders are not probed");
    d->main_thread.cachedb = cachedb_open(&d->main_thread);
    d->cachedb_sub = cachedb_open_subscriber(&d->main_thread, d->main_thread.cachedb,
                                             apply_shared_flush, d);
    if (d->cfg->control_path && !(d->control = control_open(d, d->cfg->control_path)))
        return -1;
    if (d->cfg->metrics_addrlen && !(d->metrics = metrics_open(d, &d->cfg->metrics_addr,
                                                               d->cfg->metrics_addrlen)))
        return -1;
    state_watch_hosts(d);
    iterate_prime(&d->main_thread);
    ev_signal_init(&d->sig_term, on_stop_signal, SIGTERM);
    ev_signal_init(&d->sig_int, on_stop_signal, SIGINT);
    ev_signal_init(&d->sig_hup, on_hup, SIGHUP);
    d->sig_hup.data = d;
    ev_signal_start(loop, &d->sig_term);
    ev_signal_start(loop, &d->sig_int);
    ev_signal_start(loop, &d->sig_hup);
    return 0;
}

int daemon_serve(struct daemon *d)
{
    return workers_run(d);
}

void daemon_stop(struct daemon *d)
{
    struct ev_loop *loop = d->main_thread.loop;

    if (loop) {
        ev_signal_stop(loop, &d->sig_term);
        ev_signal_stop(loop, &d->sig_int);
        ev_signal_stop(loop, &d->sig_hup);
        state_unwatch_hosts(d);
    }
    workers_stop(d);            /* joins the threads, frees their listeners and meshes */
    fwdprobe_free(d->fwdprobe); /* no worker can report a forwarder down any more */
    control_close(d->control);      /* cancels traces: before their cachedb lookups go */
    metrics_close(d->metrics);
    iterate_priming_cancel(d->priming, &d->main_thread);
    cachedb_free(d->cachedb_sub);   /* after everything that resolves on the main thread */
    cachedb_free(d->main_thread.cachedb);
    iterate_priming_free(d->priming);
    state_free(d);
    memset(d, 0, sizeof *d);
}
