/* resolverctl.c -- the command-line client of resolverd's control socket.
 *
 *     resolverctl [-c|--config CONF | -s|--socket SOCKET] COMMAND [ARGS...]
 *     resolverctl --help | --version
 *
 * Owns: the command line, finding the socket (-s, else the `control` directive of -c CONF
 * or of ./resolver.conf), one request/response exchange (protocol in resolver/control.h)
 * and turning the reply into output and an exit status:
 *
 *     0  the daemon answered "ok"; the rest of its reply is on stdout
 *     1  the daemon answered "error: X"; "resolverctl: X" is on stderr
 *     2  usage error, no socket configured, or the daemon could not be reached or did not
 *        answer (connect failure, 10 s -- 30 s for trace -- without a reply, a reply that
 *        is not "ok"/"error")
 *
 * It is a client, so it blocks -- but never forever: SO_RCVTIMEO and SO_SNDTIMEO bound
 * every read and write. It shares config_load with the daemon (linked from its archive)
 * so both always agree on where the socket is. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "version.h"

#define DEFAULT_CONFIG     "resolver.conf"
#define IO_TIMEOUT_SECONDS 10
#define TRACE_TIMEOUT_SECONDS 30    /* the daemon gives a trace 20 s, then answers anyway */

enum exit_status { EXIT_OK = 0, EXIT_COMMAND_FAILED = 1, EXIT_TROUBLE = 2 };

struct options {
    const char *config_path;        /* -c */
    const char *socket_path;        /* -s */
    char **command;                 /* the command and its arguments */
    int n_command;
};

static const char usage_text[] =
    "usage: resolverctl [-c CONF | -s SOCKET] COMMAND [ARGS...]\n"
    "\n"
    "Sends one command to resolverd over its control socket and prints the answer.\n"
    "\n"
    "  -c, --config CONF    read the socket path (`control` directive) from CONF\n"
    "                       (default: ./" DEFAULT_CONFIG " when it exists)\n"
    "  -s, --socket SOCKET  talk to the socket at SOCKET\n"
    "  -v, --version        print the version and exit\n"
    "  -h, --help           show this help and exit\n"
    "\n"
    "commands:\n"
    "  flush              drop everything from the cache\n"
    "  flush NAME...      drop every cached answer for these names\n"
    "  flush-zone NAME... drop these names and everything below them\n"
    "  flush-type NAME TYPE  drop the name's cached answers of that type\n"
    "  flush-negative     drop every cached NXDOMAIN/NODATA answer\n"
    "  flush-infra        forget what is known of upstream servers (RTT, back-off)\n"
    "  flush-bogus        forget the validator's bogus verdicts (repaired zones)\n"
    "  trust-anchors      list the DNSSEC trust anchors and their zones' key state\n"
    "  stats [--json]     print the counters, one key=value a line (--json: one object)\n"
    "  stats-reset        zero the counters\n"
    "  status             version, uptime, threads, config file, cache use\n"
    "  dump-cache         print the cached answers in zone-file syntax\n"
    "  load-cache FILE    load a dump-cache file back (a warm restart)\n"
    "  reload             re-read the configuration, hosts and zone files\n"
    "  trace NAME [TYPE] [--json]\n"
    "                     resolve NAME and show every step: hosts file, local zones,\n"
    "                     cache, each server asked and its answer, what was cached\n"
    "\n"
    "exit status: 0 ok, 1 the daemon reported an error, 2 usage or connection trouble\n";

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("resolverctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", usage_text);
}

/* Which option argv[*i] is: 'c', 's', 'h', 'v', or 0 when unknown. A value (for -c and
 * -s) is taken from "--config=X", or else from the next word (advancing *i); *value stays
 * NULL when there is none. */
static int option_letter(int argc, char **argv, int *i, const char **value)
{
    static const struct { char letter; const char *shrt, *lng; bool takes_value; } opts[] = {
        { 'c', "-c", "--config", true }, { 's', "-s", "--socket", true },
        { 'h', "-h", "--help", false }, { 'v', "-v", "--version", false },
    };
    const char *arg = argv[*i];

    *value = NULL;
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
        size_t n = strlen(opts[k].lng);
        bool inline_value = opts[k].takes_value && strncmp(arg, opts[k].lng, n) == 0 &&
                            arg[n] == '=';
        if (inline_value) {
            *value = arg + n + 1;
            return opts[k].letter;
        }
        if (strcmp(arg, opts[k].shrt) != 0 && strcmp(arg, opts[k].lng) != 0)
            continue;
        if (opts[k].takes_value && *i + 1 < argc)
            *value = argv[++*i];
        return opts[k].letter;
    }
    return 0;
}

/* Fills opts from argv; returns -1 after a usage error (printed), 1 after --help or
 * --version (printed), else 0. */
static int parse_options(int argc, char **argv, struct options *opts)
{
    int i = 1;

    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *opt = argv[i], *value;
        if (strcmp(opt, "--") == 0) {
            i++;
            break;
        }
        int letter = option_letter(argc, argv, &i, &value);
        if (letter == 'h' || letter == 'v') {
            fputs(letter == 'h' ? usage_text : "resolverctl " RESOLVERD_VERSION "\n", stdout);
            return 1;
        }
        if (letter == 0) {
            usage_error("unknown option '%s'", opt);
            return -1;
        }
        if (!value || !*value) {
            usage_error("option %s needs an argument", opt);
            return -1;
        }
        if (letter == 'c')
            opts->config_path = value;
        else
            opts->socket_path = value;
    }
    if (opts->config_path && opts->socket_path) {
        usage_error("give -c or -s, not both");
        return -1;
    }
    if (i >= argc) {
        usage_error("no command given");
        return -1;
    }
    opts->command = argv + i;
    opts->n_command = argc - i;
    return 0;
}

/* The socket path from a config file's `control` directive, malloc'd; NULL on error
 * (printed). */
static char *socket_from_config(const char *config_path)
{
    struct config *cfg = NULL;
    char err[512];
    char *path = NULL;

    if (config_load(config_path, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "resolverctl: %s\n", err);
        return NULL;
    }
    if (!cfg->control_path)
        fprintf(stderr, "resolverctl: %s has no `control` directive\n", config_path);
    else if (!(path = strdup(cfg->control_path)))
        fprintf(stderr, "resolverctl: out of memory\n");
    config_free(cfg);
    return path;
}

/* Decides which socket to talk to; returns it malloc'd, or NULL (message printed). */
static char *find_socket(const struct options *opts)
{
    if (opts->socket_path) {
        char *path = strdup(opts->socket_path);
        if (!path)
            fprintf(stderr, "resolverctl: out of memory\n");
        return path;
    }
    if (opts->config_path)
        return socket_from_config(opts->config_path);
    if (access(DEFAULT_CONFIG, F_OK) == 0)
        return socket_from_config(DEFAULT_CONFIG);
    fprintf(stderr, "resolverctl: no socket to talk to: use -s SOCKET or -c CONF "
                    "(there is no ./" DEFAULT_CONFIG ")\n");
    return NULL;
}

/* load-cache FILE: the daemon reads the file from its own working directory, so a
 * relative path is made absolute here (and a missing file is reported at once). The new
 * string replaces the argument; the caller frees *owned. */
static int absolute_file_argument(struct options *opts, char **owned)
{
    *owned = NULL;
    if (opts->n_command != 2 || strcmp(opts->command[0], "load-cache") != 0)
        return 0;
    *owned = realpath(opts->command[1], NULL);
    if (!*owned) {
        fprintf(stderr, "resolverctl: %s: %s\n", opts->command[1], strerror(errno));
        return -1;
    }
    opts->command[1] = *owned;
    return 0;
}

/* Joins the command words with single spaces and a final '\n' into buf; -1 (printed) if
 * a word has blanks in it (the protocol splits on them) or the line is too long. */
static int build_request(const struct options *opts, char *buf, size_t cap, size_t *len)
{
    size_t used = 0;

    for (int i = 0; i < opts->n_command; i++) {
        const char *word = opts->command[i];
        size_t wlen = strlen(word);
        if (wlen == 0 || strpbrk(word, " \t\r\n")) {
            fprintf(stderr, "resolverctl: argument '%s' is empty or has blanks in it\n", word);
            return -1;
        }
        if (used + wlen + 1 > cap || used + wlen + 1 > CONTROL_MAX_REQUEST) {
            fprintf(stderr, "resolverctl: command too long (at most %d bytes)\n",
                    CONTROL_MAX_REQUEST - 1);
            return -1;
        }
        memcpy(buf + used, word, wlen);
        used += wlen;
        buf[used++] = i + 1 < opts->n_command ? ' ' : '\n';
    }
    *len = used;
    return 0;
}

/* Connects to the socket with bounded send and receive times; -1 (printed) on failure. */
static int connect_socket(const char *path, int timeout_seconds)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct timeval tv = { .tv_sec = timeout_seconds };
    int fd;

    if (strlen(path) >= sizeof addr.sun_path) {
        fprintf(stderr, "resolverctl: socket path too long: %s\n", path);
        return -1;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, "resolverctl: socket: %s\n", strerror(errno));
        return -1;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
        fprintf(stderr, "resolverctl: setsockopt: %s\n", strerror(errno));
        close(fd);
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        fprintf(stderr, "resolverctl: cannot connect to %s: %s (is resolverd running?)\n",
                path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
    size_t sent = 0;

    while (sent < len) {
        ssize_t n = send(fd, buf + sent, len - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "resolverctl: sending the command: %s\n",
                    errno == EAGAIN ? "timed out" : strerror(errno));
            return -1;
        }
        sent += (size_t)n;
    }
    return 0;
}

/* Reads the whole reply (until EOF) into a malloc'd, NUL-terminated buffer; NULL on
 * error or timeout (printed). */
static char *receive_all(int fd, size_t *len)
{
    size_t cap = 4096, used = 0;
    char *buf = malloc(cap), *bigger;

    while (buf) {
        if (used + 1 >= cap) {
            if (!(bigger = realloc(buf, cap * 2)))
                break;
            buf = bigger;
            cap *= 2;
        }
        ssize_t n = recv(fd, buf + used, cap - 1 - used, 0);
        if (n < 0 && errno == EINTR)
            continue;
        /* ECONNRESET once data came: the daemon closed with our request partly unread */
        if (n == 0 || (n < 0 && errno == ECONNRESET && used > 0)) {
            buf[used] = '\0';
            *len = used;
            return buf;
        }
        if (n < 0) {
            fprintf(stderr, "resolverctl: reading the reply: %s\n",
                    errno == EAGAIN || errno == EWOULDBLOCK ? "no answer within 10 s"
                                                            : strerror(errno));
            free(buf);
            return NULL;
        }
        used += (size_t)n;
    }
    free(buf);
    fprintf(stderr, "resolverctl: out of memory\n");
    return NULL;
}

/* `stats --json`: the flag is resolverctl's own (the daemon always sends key=value lines),
 * so it is taken off the command; true when it was there. */
static bool take_json_flag(struct options *opts)
{
    if (opts->n_command != 2 || strcmp(opts->command[0], "stats") != 0 ||
        strcmp(opts->command[1], "--json") != 0)
        return false;
    opts->n_command = 1;
    return true;
}

/* A stats value as JSON: numbers stay numbers; anything else (never sent today) a string. */
static void print_json_value(const char *v, size_t len)
{
    char *end;
    char copy[64];

    if (len > 0 && len < sizeof copy && strspn(v, "0123456789.-") >= len) {
        memcpy(copy, v, len);
        copy[len] = '\0';
        strtod(copy, &end);
        if (*end == '\0' && copy[0] != '.' && copy[len - 1] != '.') {
            fputs(copy, stdout);
            return;
        }
    }
    putchar('"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* The `key=value` lines of `stats` as one JSON object, in the daemon's order. */
static int print_stats_json(const char *body, size_t len)
{
    const char *p = body, *end = body + len;
    bool first = true;

    putchar('{');
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        const char *eq = memchr(p, '=', (size_t)(line_end - p));
        if (eq && eq > p) {
            printf("%s\n  \"%.*s\": ", first ? "" : ",", (int)(eq - p), p);
            print_json_value(eq + 1, (size_t)(line_end - eq - 1));
            first = false;
        }
        p = line_end + 1;
    }
    fputs("\n}\n", stdout);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "resolverctl: writing the output: %s\n", strerror(errno));
        return EXIT_COMMAND_FAILED;
    }
    return EXIT_OK;
}

/* Prints the reply where it belongs and returns the exit status it means. */
static int report_reply(const char *reply, size_t len, bool json)
{
    const char *body = memchr(reply, '\n', len);
    size_t first_len = body ? (size_t)(body - reply) : len;

    body = body ? body + 1 : reply + len;
    if (first_len == 2 && memcmp(reply, "ok", 2) == 0) {
        size_t body_len = len - (size_t)(body - reply);
        if (json)
            return print_stats_json(body, body_len);
        if (fwrite(body, 1, body_len, stdout) != body_len || fflush(stdout) != 0) {
            fprintf(stderr, "resolverctl: writing the output: %s\n", strerror(errno));
            return EXIT_COMMAND_FAILED;
        }
        return EXIT_OK;
    }
    if (first_len >= 7 && memcmp(reply, "error: ", 7) == 0) {
        fprintf(stderr, "resolverctl: %.*s\n%s", (int)(first_len - 7), reply + 7, body);
        return EXIT_COMMAND_FAILED;
    }
    if (len == 0)
        fprintf(stderr, "resolverctl: the daemon closed the connection without answering\n");
    else
        fprintf(stderr, "resolverctl: unexpected reply: %.*s\n", (int)first_len, reply);
    return EXIT_TROUBLE;
}

/* Sends the request to the socket at path and reports the answer (json: `stats --json`);
 * returns the status. */
static int run_command(const char *path, const char *request, size_t request_len, bool json)
{
    bool trace = strncmp(request, "trace ", 6) == 0;
    int fd = connect_socket(path, trace ? TRACE_TIMEOUT_SECONDS : IO_TIMEOUT_SECONDS);
    int status = EXIT_TROUBLE;
    char *reply;
    size_t reply_len;

    if (fd < 0)
        return EXIT_TROUBLE;
    if (send_all(fd, request, request_len) == 0 && (reply = receive_all(fd, &reply_len))) {
        status = report_reply(reply, reply_len, json);
        free(reply);
    }
    close(fd);
    return status;
}

int main(int argc, char **argv)
{
    struct options opts = { 0 };
    char request[CONTROL_MAX_REQUEST];
    size_t request_len;
    char *socket_path;
    int status;

    switch (parse_options(argc, argv, &opts)) {
    case 1:
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_COMMAND_FAILED;
    case -1:
        return EXIT_TROUBLE;
    }
    char *file = NULL;
    if (absolute_file_argument(&opts, &file) != 0)
        return EXIT_TROUBLE;
    bool json = take_json_flag(&opts);
    int built = build_request(&opts, request, sizeof request, &request_len);
    free(file);
    if (built != 0)
        return EXIT_TROUBLE;
    socket_path = find_socket(&opts);
    if (!socket_path)
        return EXIT_TROUBLE;
    status = run_command(socket_path, request, request_len, json);
    free(socket_path);
    return status;
}
