/* main.c -- resolverd's entry point: arguments, start-up, privilege drop, the event loop.
 *
 *   resolverd [-c|--config FILE] [-t|--check] [-v|--version] [-h|--help]
 *
 * FILE defaults to ./resolver.conf. Runs in the foreground, logging to stderr (the journal
 * under systemd, syslog with `log syslog`). --check reads the config (and the zone files
 * it names) and exits: 0 when good, 1 with "FILE:LINE: problem" on stderr; a usage error
 * exits 2. Start-up errors are fatal; after start-up nothing is (a bad reload keeps the
 * running config). Under systemd ($NOTIFY_SOCKET) READY=1 goes out once every listener is
 * bound and the workers run, STOPPING=1 when a signal stops the loop (sdnotify.h). */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ev.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "sdnotify.h"
#include "version.h"


static void usage(FILE *out)
{
    fprintf(out, "usage: resolverd [--config FILE] [--check]\n"
                 "\n"
                 "A recursive, caching DNS resolver. Runs in the foreground; TERM or INT stop it,\n"
                 "HUP reloads the configuration (see resolverd(8), resolver.conf(5)).\n"
                 "\n"
                 "  -c, --config FILE  configuration file (default: ./resolver.conf)\n"
                 "  -t, --check        check the configuration and zone files, then exit\n"
                 "                     (0: good; 1: FILE:LINE: problem on stderr)\n"
                 "  -v, --version      print the version and exit\n"
                 "  -h, --help         show this help and exit\n"
                 "\n"
                 "exit status: 0 clean stop or good config, 1 config or start-up error,\n"
                 "2 usage error\n");
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

/* The control socket's directory (e.g. /run/resolverd, which systemd's RuntimeDirectory
 * makes) is created when it is missing, so the installed config also works when root starts
 * resolverd by hand; it is given to `user` so the socket can be removed at the stop. Only
 * the last component is made: a missing parent is a mistake worth the error control_open
 * gives. */
static void make_control_dir(const struct config *cfg)
{
    const char *slash = cfg->control_path ? strrchr(cfg->control_path, '/') : NULL;

    if (!slash || slash == cfg->control_path)
        return;
    char *dir = strndup(cfg->control_path, (size_t)(slash - cfg->control_path));
    if (!dir)
        return;
    if (mkdir(dir, 0755) == 0) {
        log_info("created %s", dir);
        struct passwd *pw = cfg->user && geteuid() == 0 ? getpwnam(cfg->user) : NULL;
        if (pw && chown(dir, pw->pw_uid, pw->pw_gid) < 0)
            log_warn("cannot give %s to %s: %s", dir, cfg->user, strerror(errno));
    } else if (errno != EEXIST) {
        log_debug("cannot create %s: %s", dir, strerror(errno));
    }
    free(dir);
}

static int serve(struct daemon *d)
{
    struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
    struct sdnotify_watchdog watchdog = { .active = false };

    if (!loop) {
        log_err("cannot create the event loop");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    make_control_dir(d->cfg);
    int rc = daemon_start(d, loop);
    if (rc == 0 && d->cfg->user && geteuid() == 0)
        rc = drop_privileges(d->cfg->user, d->cfg->control_path);
    if (rc == 0)
        rc = daemon_serve(d);
    if (rc == 0) {
        log_info("resolverd %s started with %s", RESOLVERD_VERSION, d->config_path);
        sdnotify_ready();       /* every listener is bound and the workers run */
        sdnotify_watchdog_start(&watchdog, loop);
        ev_run(loop, 0);
        sdnotify_stopping();
        sdnotify_watchdog_stop(&watchdog, loop);
    }
    daemon_stop(d);
    ev_loop_destroy(loop);
    log_info("stopped");
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    static const struct option long_options[] = {
        { "config", required_argument, NULL, 'c' },
        { "check", no_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 },
    };
    const char *config_path = "resolver.conf";
    bool check_only = false;
    int opt;

    /* The cache grows at the top of the heap between short-lived allocations (ldns
     * parsing, messages in flight), and with glibc's 128 KiB pad every free there gave
     * pages back that the next store faulted in again: load-cache of a million entries
     * spent two thirds of its 10 s in the kernel (544,000 page faults; 48,000 with 1 MiB). */
    mallopt(M_TOP_PAD, 1 << 20);

    log_init();
    while ((opt = getopt_long(argc, argv, "c:thv", long_options, NULL)) != -1) {
        switch (opt) {
        case 'c': config_path = optarg; break;
        case 't': check_only = true; break;
        case 'h': usage(stdout); return fflush(stdout) == 0 ? 0 : 1;
        case 'v': printf("resolverd %s\n", RESOLVERD_VERSION); return fflush(stdout) == 0 ? 0 : 1;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "resolverd: unexpected argument '%s'\n", argv[optind]);
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
