/* fuzz_control.c -- libFuzzer target: the control command parser and its commands
 * (control_execute), against a daemon context loaded once.
 *
 * Input: a command line as resolverctl sends it. Like the control socket (client_read), the
 * line ends at the first '\n' or NUL; up to twice CONTROL_MAX_REQUEST octets are passed,
 * so the too-long path runs too. The daemon is fuzz_daemon_load's: a hosts file, a local
 * zone, no root hints and no sockets (daemon_start is never called), with a loop for
 * `reload` to re-watch its hosts file on. Before each run its caches are emptied and three
 * answers stored, so every run starts from the same state and dump-cache has something to
 * print.
 *
 * Files: `reload` re-reads the daemon's own in-memory config, hosts and zone files, and
 * `dump-cache` only writes into the reply. `load-cache FILE` would open any path the input
 * names -- a FIFO or a terminal would block the fuzzer -- so its argument is never taken
 * from the input: a line whose first word is load-cache has everything after its first line
 * written to an in-memory file, and that file is what gets loaded. This fuzzes the dump
 * reader (cachefile.c) through the command instead of letting the input pick a path.
 *
 * Invariants: the reply fits the buffer, is NUL-terminated at its length, and starts with
 * "ok\n" or "error: " and ends in '\n'.
 *
 * Static state: `fz` (the daemon and its files) is set up once in LLVMFuzzerInitialize. */
#include <time.h>

#include <ev.h>

#include "fuzz_common.h"
#include "control.h"
#include "rrcache.h"

#define REPLY_CAP (64 * 1024)       /* what the control socket starts a reply with */

static struct {
    struct daemon d;
    struct fuzz_daemon_files files;
    struct fuzz_file dump;          /* what `load-cache` reads */
} fz;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_daemon_load(&fz.d, &fz.files, NULL);
    fz.d.main_thread.loop = ev_loop_new(EVFLAG_AUTO);
    if (!fz.d.main_thread.loop)
        fuzz_die("ev_loop_new");
    fuzz_file_open(&fz.dump, "cache.dump");
    return 0;
}

/* The same state before every run: three cached answers, empty RRset and infra caches. */
static void reset_caches(void)
{
    static const char *const www[] = { "www.example.com. 3600 IN A 192.0.2.1", NULL };
    static const char *const mx[] = { "example.com. 3600 IN MX 10 mail.example.com.", NULL };
    static const char *const soa[] = {
        "example.com. 3600 IN SOA ns.example.com. h.example.com. 1 3600 600 86400 300", NULL
    };
    time_t now = time(NULL);

    cache_flush_all(fz.d.cache);
    rrcache_flush_all(fz.d.rrcache);
    if (fuzz_cache_seed(fz.d.cache, "www.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
                        www, NULL, now) != 0 ||
        fuzz_cache_seed(fz.d.cache, "example.com.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR,
                        mx, NULL, now) != 0 ||
        fuzz_cache_seed(fz.d.cache, "nx.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN,
                        NULL, soa, now) != 0)
        fuzz_die("seeding the cache");
}

static void check_reply(const char *out, size_t len)
{
    FUZZ_CHECK(len < REPLY_CAP && out[len] == '\0' && strlen(out) == len);
    FUZZ_CHECK(strncmp(out, "ok\n", 3) == 0 || strncmp(out, "error: ", 7) == 0);
    FUZZ_CHECK(len > 0 && out[len - 1] == '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char line[2 * CONTROL_MAX_REQUEST + 64], out[REPLY_CAP];
    const uint8_t *nl = memchr(data, '\n', size);
    size_t len = nl ? (size_t)(nl - data) : size;

    if (len >= 2 * CONTROL_MAX_REQUEST)
        len = 2 * CONTROL_MAX_REQUEST;
    memcpy(line, data, len);
    line[len] = '\0';
    if (strncmp(line + strspn(line, " \t\r"), "load-cache", 10) == 0) {
        /* never a path from the input: the rest of the input is the file (see above) */
        size_t rest = nl ? size - len - 1 : 0;
        fuzz_file_set(&fz.dump, nl ? nl + 1 : data, rest);
        snprintf(line, sizeof line, "load-cache %s", fz.dump.path);
    }
    reset_caches();
    size_t n = control_execute(&fz.d, line, out, sizeof out);
    check_reply(out, n);
    return 0;
}
