/* main.c -- resolverd's entry point: arguments, start-up, privilege drop, the event loop.
 *
 *   resolverd [-c FILE] [-t]      FILE defaults to ./resolver.conf
 *
 * Runs in the foreground, logging to stderr. -t checks the config (and the zone files it
 * names) and exits: 0 when good, 1 with "FILE:LINE: problem" on stderr. Start-up errors
 * are fatal; after start-up nothing is (a bad reload keeps the running config). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <ev.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "version.h"


static void usage(FILE *out)
{
    fprintf(out, "usage: resolverd [-c CONFIG] [-t]\n"
                 "  -c CONFIG  configuration file (default: resolver.conf)\n"
                 "  -t         check the configuration and zone files, then exit\n"
                 "  -v         print the version\n");
}

/* After the sockets are bound: give up root for the configured user. */
static int drop_privileges(const char *user, const char *control_path)
{
    struct passwd *pw = getpwnam(user);

    if (!pw) {
        log_err("user '%s' does not exist", user);
        return -1;
    }
    if (control_path && chown(control_path, pw->pw_uid, pw->pw_gid) < 0)
        log_warn("cannot give %s to %s: %s", control_path, user, strerror(errno));
    if (setgroups(1, &pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
        log_err("cannot become user '%s': %s", user, strerror(errno));
        return -1;
    }
    log_info("running as user %s", user);
    return 0;
}

/* Upstream queries each need a socket: use every descriptor the system allows us. */
static void raise_fd_limit(void)
{
    struct rlimit lim;

    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &lim) < 0)
            log_warn("cannot raise the file descriptor limit: %s", strerror(errno));
    }
}

static int serve(struct daemon *d)
{
    struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);

    if (!loop) {
        log_err("cannot create the event loop");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    int rc = daemon_start(d, loop);
    if (rc == 0 && d->cfg->user && geteuid() == 0)
        rc = drop_privileges(d->cfg->user, d->cfg->control_path);
    if (rc == 0)
        rc = daemon_serve(d);
    if (rc == 0) {
        log_info("resolverd %s started with %s", RESOLVERD_VERSION, d->config_path);
        ev_run(loop, 0);
    }
    daemon_stop(d);
    ev_loop_destroy(loop);
    log_info("stopped");
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *config_path = "resolver.conf";
    bool check_only = false;
    int opt;

    while ((opt = getopt(argc, argv, "c:thv")) != -1) {
        switch (opt) {
        case 'c': config_path = optarg; break;
        case 't': check_only = true; break;
        case 'h': usage(stdout); return 0;
        case 'v': printf("resolverd %s\n", RESOLVERD_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    struct daemon d;
    char err[1024];
    if (daemon_load(&d, config_path, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        daemon_stop(&d);
        return 1;
    }
    if (check_only) {
        printf("%s: ok\n", config_path);
        daemon_stop(&d);
        return 0;
    }
    return serve(&d);
}
