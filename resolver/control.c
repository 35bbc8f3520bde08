/* control.c -- the UNIX control socket and the commands resolverctl sends over it.
 *
 * Owns: the listening socket at `control PATH` (mode 0600, created under umask 077 so it is
 * never reachable by others, not even for an instant), the client connections on it, and
 * the command table. It runs on the main thread's loop (d->loop) next to the signal
 * watchers, and reaches the rest of the daemon only through the public calls of the cache,
 * the stats and daemon_reload.
 *
 * One connection = one command (see control.h for the protocol). Every client is
 * non-blocking and has its own struct with one ev_io (read, then write) and one ev_timer
 * covering its whole life, so a client that sends nothing, sends too much or never reads
 * its answer costs at most CONTROL_CLIENT_TIMEOUT seconds and a few kilobytes; at most
 * CONTROL_MAX_CLIENTS are served at once and any more are closed as soon as accepted.
 *
 *     accept -> reading (until '\n', EOF, CONTROL_MAX_REQUEST bytes or the timeout)
 *            -> control_execute -> writing (until all is sent or the timeout) -> closed
 *
 * Commands are rows of `commands[]`: a name, how many arguments it takes and a handler.
 * The dispatcher checks the argument count, writes "ok\n" and calls the handler, which
 * appends its output or replaces the whole reply with "error: ..." (reply_fail). */
#include "control.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "cache.h"
#include "rrcache.h"
#include "daemon.h"
#include "log.h"
#include "stats.h"
#include "wire.h"

#define CONTROL_MAX_CLIENTS     16
#define CONTROL_CLIENT_TIMEOUT  5.0         /* seconds, for the whole connection */
#define CONTROL_MAX_RESPONSE    (64 * 1024)
#define CONTROL_MAX_ARGS        64          /* the command name included */
#define CONTROL_BACKLOG         16
#define CONTROL_ACCEPT_PAUSE    1.0         /* seconds without accepting when out of fds */

/* Closes a descriptor we are done with; a failure there loses nothing, so it is only
 * worth a debug line. */
static void close_fd(int fd)
{
    if (close(fd) != 0)
        log_debug("control: close: %s", strerror(errno));
}

/* ---- replies ------------------------------------------------------------------------ */

/* The response being built: always NUL-terminated, len < cap; output that does not fit
 * is cut off rather than overflowing. */
struct reply {
    char *buf;
    size_t cap, len;
};

static void reply_vappend(struct reply *r, const char *fmt, va_list ap)
{
    if (r->len + 1 >= r->cap)
        return;
    int n = vsnprintf(r->buf + r->len, r->cap - r->len, fmt, ap);
    if (n < 0)
        return;
    r->len = r->len + (size_t)n < r->cap ? r->len + (size_t)n : r->cap - 1;
}

static void reply_append(struct reply *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void reply_append(struct reply *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_vappend(r, fmt, ap);
    va_end(ap);
}

/* Throws away whatever was written (the "ok" line included) and writes "error: ...".
 * Returns -1 so a handler can `return reply_fail(...)`. */
static int reply_fail(struct reply *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int reply_fail(struct reply *r, const char *fmt, ...)
{
    va_list ap;
    r->len = 0;
    r->buf[0] = '\0';
    reply_append(r, "error: ");
    va_start(ap, fmt);
    reply_vappend(r, fmt, ap);
    va_end(ap);
    reply_append(r, "\n");
    return -1;
}

/* ---- commands ----------------------------------------------------------------------- */

/* args[0] is the command name itself; nargs counts the arguments after it. A handler
 * appends to r (which already holds "ok\n") or calls reply_fail; it returns 0 or -1. */
typedef int (*control_handler)(struct daemon *d, char **args, int nargs, struct reply *r);

struct control_command {
    const char *name;
    int min_args, max_args;
    const char *usage;
    control_handler run;
};

/* Parses a name in presentation form into its lower-cased wire form (the cache key). */
static int name_to_key(const char *text, uint8_t key[WIRE_MAX_NAME], size_t *key_len)
{
    ldns_rdf *rdf = ldns_dname_new_frm_str(text);
    if (!rdf)
        return -1;
    size_t len = ldns_rdf_size(rdf);
    if (len == 0 || len > WIRE_MAX_NAME) {
        ldns_rdf_deep_free(rdf);
        return -1;
    }
    memcpy(key, ldns_rdf_data(rdf), len);
    ldns_rdf_deep_free(rdf);
    wire_name_lower(key, len);
    *key_len = len;
    return 0;
}

/* The iterator's RRsets of a name (its NS set, its addresses) go with its answers. */
static size_t flush_rrsets(struct daemon *d, const uint8_t *key, size_t key_len)
{
    ldns_rdf *name;
    size_t n;

    if (!d->rrcache || !(name = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, key_len, key)))
        return 0;
    n = rrcache_flush_name(d->rrcache, name);
    ldns_rdf_deep_free(name);
    return n;
}

/* `flush` empties the cache; `flush NAME...` drops every type of those names. All names
 * are checked before any is flushed, so a typo in the third name flushes nothing. */
static int cmd_flush(struct daemon *d, char **args, int nargs, struct reply *r)
{
    uint8_t key[WIRE_MAX_NAME];
    size_t key_len, flushed = 0;

    if (nargs == 0) {
        flushed = cache_flush_all(d->cache);
        if (d->rrcache)
            flushed += rrcache_flush_all(d->rrcache);
        reply_append(r, "flushed %zu entries\n", flushed);
        return 0;
    }
    for (int i = 1; i <= nargs; i++)
        if (name_to_key(args[i], key, &key_len) != 0)
            return reply_fail(r, "invalid name '%.300s'", args[i]);
    for (int i = 1; i <= nargs; i++) {
        if (name_to_key(args[i], key, &key_len) == 0)
            flushed += cache_flush_name(d->cache, key, key_len) + flush_rrsets(d, key, key_len);
    }
    reply_append(r, "flushed %zu entries\n", flushed);
    return 0;
}

static int cmd_stats(struct daemon *d, char **args, int nargs, struct reply *r)
{
    (void)args;
    (void)nargs;
    /* one worker today: its counters are d->stats; with several, they get summed here */
    r->len += stats_format(&d->stats, cache_entries(d->cache), cache_bytes(d->cache),
                           cache_evictions(d->cache), r->buf + r->len, r->cap - r->len);
    return 0;
}

static int cmd_reload(struct daemon *d, char **args, int nargs, struct reply *r)
{
    char err[512] = "";

    (void)args;
    (void)nargs;
    if (daemon_reload(d, err, sizeof err) != 0)
        return reply_fail(r, "%s", err[0] ? err : "reload failed");
    reply_append(r, "reloaded\n");
    return 0;
}

static const struct control_command commands[] = {
    { "flush",  0, CONTROL_MAX_ARGS - 1, "flush [NAME...]", cmd_flush },
    { "stats",  0, 0, "stats", cmd_stats },
    { "reload", 0, 0, "reload", cmd_reload },
};

static const struct control_command *command_find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* Splits line (modified in place) on blanks; returns the word count or -1 if too many. */
static int split_words(char *line, char *words[CONTROL_MAX_ARGS])
{
    int n = 0;
    char *save = NULL;

    for (char *w = strtok_r(line, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
        if (n == CONTROL_MAX_ARGS)
            return -1;
        words[n++] = w;
    }
    return n;
}

static void execute_words(struct daemon *d, char **words, int n, struct reply *r)
{
    const struct control_command *cmd;

    if (n == 0) {
        reply_fail(r, "empty command");
        return;
    }
    cmd = command_find(words[0]);
    if (!cmd) {
        reply_fail(r, "unknown command '%.64s'", words[0]);
        return;
    }
    if (n - 1 < cmd->min_args || n - 1 > cmd->max_args) {
        reply_fail(r, "usage: %s", cmd->usage);
        return;
    }
    reply_append(r, "ok\n");
    cmd->run(d, words, n - 1, r);
}

size_t control_execute(struct daemon *d, const char *line, char *out, size_t cap)
{
    char copy[CONTROL_MAX_REQUEST + 1];
    char *words[CONTROL_MAX_ARGS];
    struct reply r = { out, cap, 0 };
    size_t len = strlen(line);
    int n;

    if (cap == 0)
        return 0;
    out[0] = '\0';
    if (len > CONTROL_MAX_REQUEST) {
        reply_fail(&r, "request too long");
        return r.len;
    }
    memcpy(copy, line, len + 1);
    n = split_words(copy, words);
    if (n < 0)
        reply_fail(&r, "too many arguments (at most %d)", CONTROL_MAX_ARGS - 1);
    else
        execute_words(d, words, n, &r);
    return r.len;
}

/* ---- client connections ------------------------------------------------------------- */

struct control_client {
    struct control *ctl;
    struct control_client *prev, *next;
    int fd;
    ev_io io;                               /* EV_READ while reading, then EV_WRITE */
    ev_timer timeout;
    char request[CONTROL_MAX_REQUEST + 1];
    size_t request_len;
    char *response;                         /* NULL until the command has run */
    size_t response_len, response_sent;
};

struct control {
    struct daemon *d;
    char *path;
    int fd;
    ev_io accept_io;
    ev_timer accept_resume;                 /* restarts accept_io after EMFILE and the like */
    struct control_client *clients;
    size_t n_clients;
};

static void client_close(struct control_client *cl)
{
    struct control *ctl = cl->ctl;

    ev_io_stop(ctl->d->loop, &cl->io);
    ev_timer_stop(ctl->d->loop, &cl->timeout);
    close_fd(cl->fd);
    if (cl->prev)
        cl->prev->next = cl->next;
    else
        ctl->clients = cl->next;
    if (cl->next)
        cl->next->prev = cl->prev;
    ctl->n_clients--;
    free(cl->response);
    free(cl);
}

/* Sends what is left of the response; closes the client when all is sent or on error. */
static void client_write(struct control_client *cl)
{
    while (cl->response_sent < cl->response_len) {
        ssize_t n = send(cl->fd, cl->response + cl->response_sent,
                         cl->response_len - cl->response_sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;                         /* the write watcher calls us again */
        if (n < 0) {
            log_debug("control: send: %s", strerror(errno));
            break;
        }
        cl->response_sent += (size_t)n;
    }
    client_close(cl);
}

/* Stops reading, puts the response in place (the command's, or the error given) and
 * starts writing it. */
static void client_respond(struct control_client *cl, const char *error)
{
    struct ev_loop *loop = cl->ctl->d->loop;

    cl->response = malloc(CONTROL_MAX_RESPONSE);
    if (!cl->response) {
        log_err("control: out of memory for a response");
        client_close(cl);
        return;
    }
    if (error) {
        cl->response_len = (size_t)snprintf(cl->response, CONTROL_MAX_RESPONSE,
                                            "error: %s\n", error);
    } else {
        log_debug("control: command '%s'", cl->request);
        cl->response_len = control_execute(cl->ctl->d, cl->request, cl->response,
                                           CONTROL_MAX_RESPONSE);
    }
    ev_io_stop(loop, &cl->io);
    ev_io_set(&cl->io, cl->fd, EV_WRITE);
    ev_io_start(loop, &cl->io);
    client_write(cl);
}

/* Looks for the end of the request in the octets just read at `from`. */
static bool request_complete(struct control_client *cl, size_t from)
{
    char *nl = memchr(cl->request + from, '\n', cl->request_len - from);
    if (!nl)
        return false;
    *nl = '\0';
    return true;
}

static void client_read(struct control_client *cl)
{
    size_t before = cl->request_len;
    ssize_t n = recv(cl->fd, cl->request + before, CONTROL_MAX_REQUEST - before, 0);

    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            client_close(cl);
        return;
    }
    if (n == 0) {
        /* EOF: a client that half-closes after "stats" (no '\n') still gets its answer */
        if (before == 0) {
            client_close(cl);
            return;
        }
        cl->request[before] = '\0';
        client_respond(cl, NULL);
        return;
    }
    cl->request_len += (size_t)n;
    cl->request[cl->request_len] = '\0';
    if (request_complete(cl, before))
        client_respond(cl, NULL);
    else if (cl->request_len >= CONTROL_MAX_REQUEST)
        client_respond(cl, "request too long");
}

static void client_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct control_client *cl = w->data;

    (void)loop;
    (void)revents;
    if (cl->response)
        client_write(cl);
    else
        client_read(cl);
}

static void client_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct control_client *cl = w->data;

    (void)loop;
    (void)revents;
    log_debug("control: client timed out");
    client_close(cl);
}

static void client_add(struct control *ctl, int fd)
{
    struct control_client *cl = calloc(1, sizeof *cl);

    if (!cl) {
        log_err("control: out of memory for a client");
        close_fd(fd);
        return;
    }
    cl->ctl = ctl;
    cl->fd = fd;
    ev_io_init(&cl->io, client_io_cb, fd, EV_READ);
    cl->io.data = cl;
    ev_timer_init(&cl->timeout, client_timeout_cb, CONTROL_CLIENT_TIMEOUT, 0.0);
    cl->timeout.data = cl;
    cl->next = ctl->clients;
    if (ctl->clients)
        ctl->clients->prev = cl;
    ctl->clients = cl;
    ctl->n_clients++;
    ev_io_start(ctl->d->loop, &cl->io);
    ev_timer_start(ctl->d->loop, &cl->timeout);
}

/* ---- the listening socket ----------------------------------------------------------- */

/* Out of descriptors: the pending connection stays in the backlog and the level-triggered
 * watcher would fire at once again, spinning. Pause accepting for a moment instead. */
static void accept_pause(struct control *ctl)
{
    ev_io_stop(ctl->d->loop, &ctl->accept_io);
    ev_timer_set(&ctl->accept_resume, CONTROL_ACCEPT_PAUSE, 0.0);
    ev_timer_start(ctl->d->loop, &ctl->accept_resume);
}

static void accept_resume_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct control *ctl = w->data;

    (void)revents;
    ev_io_start(loop, &ctl->accept_io);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct control *ctl = w->data;

    (void)loop;
    (void)revents;
    for (;;) {
        int fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_warn("control: accept: %s", strerror(errno));
                accept_pause(ctl);
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                       errno != ECONNABORTED) {
                log_warn("control: accept: %s", strerror(errno));
            }
            return;
        }
        if (ctl->n_clients >= CONTROL_MAX_CLIENTS) {
            log_warn("control: %d clients already connected, refusing one", CONTROL_MAX_CLIENTS);
            close_fd(fd);
            continue;
        }
        client_add(ctl, fd);
    }
}

/* True if a daemon is accepting on the socket at addr (then it is not stale). */
static bool socket_in_use(const struct sockaddr_un *addr)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    bool used;

    if (fd < 0)
        return false;
    /* EAGAIN: someone listens but its backlog is full -- in use all the same */
    used = connect(fd, (const struct sockaddr *)addr, sizeof *addr) == 0 || errno == EAGAIN;
    close_fd(fd);
    return used;
}

/* Removes a leftover socket file from a previous run; refuses to remove anything that is
 * not a socket, or a socket some process still answers on. */
static int remove_stale_socket(const struct sockaddr_un *addr)
{
    struct stat st;

    if (lstat(addr->sun_path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        log_err("control: %s: %s", addr->sun_path, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        log_err("control: %s exists and is not a socket; not replacing it", addr->sun_path);
        return -1;
    }
    if (socket_in_use(addr)) {
        log_err("control: %s is in use by another process", addr->sun_path);
        return -1;
    }
    if (unlink(addr->sun_path) != 0 && errno != ENOENT) {
        log_err("control: cannot remove stale %s: %s", addr->sun_path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Creates, binds and listens; the socket file is created with mode 0600 from the start.
 * Returns the fd or -1 (logged). */
static int listen_socket(const struct sockaddr_un *addr)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    mode_t old_umask;
    int rc;

    if (fd < 0) {
        log_err("control: socket: %s", strerror(errno));
        return -1;
    }
    /* umask is process-wide; this runs on the main thread and the worker threads create
     * no files, so nothing else can be created under the narrowed mask */
    old_umask = umask(077);
    rc = bind(fd, (const struct sockaddr *)addr, sizeof *addr);
    umask(old_umask);
    if (rc != 0) {
        log_err("control: bind %s: %s", addr->sun_path, strerror(errno));
        close_fd(fd);
        return -1;
    }
    if (chmod(addr->sun_path, 0600) != 0 || listen(fd, CONTROL_BACKLOG) != 0) {
        log_err("control: %s: %s", addr->sun_path, strerror(errno));
        close_fd(fd);
        if (unlink(addr->sun_path) != 0)
            log_debug("control: unlink %s: %s", addr->sun_path, strerror(errno));
        return -1;
    }
    return fd;
}

struct control *control_open(struct daemon *d, const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct control *ctl;

    if (strlen(path) >= sizeof addr.sun_path) {
        log_err("control: socket path too long (at most %zu bytes): %s",
                sizeof addr.sun_path - 1, path);
        return NULL;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    if (remove_stale_socket(&addr) != 0)
        return NULL;
    ctl = calloc(1, sizeof *ctl);
    if (!ctl || !(ctl->path = strdup(path))) {
        log_err("control: out of memory");
        free(ctl);
        return NULL;
    }
    ctl->d = d;
    ctl->fd = listen_socket(&addr);
    if (ctl->fd < 0) {
        free(ctl->path);
        free(ctl);
        return NULL;
    }
    ev_io_init(&ctl->accept_io, accept_cb, ctl->fd, EV_READ);
    ctl->accept_io.data = ctl;
    ev_timer_init(&ctl->accept_resume, accept_resume_cb, CONTROL_ACCEPT_PAUSE, 0.0);
    ctl->accept_resume.data = ctl;
    ev_io_start(d->loop, &ctl->accept_io);
    log_info("control: listening on %s", path);
    return ctl;
}

void control_close(struct control *ctl)
{
    if (!ctl)
        return;
    while (ctl->clients)
        client_close(ctl->clients);
    ev_io_stop(ctl->d->loop, &ctl->accept_io);
    ev_timer_stop(ctl->d->loop, &ctl->accept_resume);
    close_fd(ctl->fd);
    if (unlink(ctl->path) != 0 && errno != ENOENT)
        log_warn("control: cannot remove %s: %s", ctl->path, strerror(errno));
    free(ctl->path);
    free(ctl);
}
