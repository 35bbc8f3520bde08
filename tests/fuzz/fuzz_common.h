/* fuzz_common.h -- what the libFuzzer harnesses in tests/fuzz/ share: in-memory files,
 * invariant checks, and a daemon context loaded without sockets.
 *
 * Files the code under test must open by path (configs, hosts files, zone files, cache
 * dumps) are memfds reached as /proc/self/fd/N: nothing is written to disk, nothing is
 * left behind, and rewriting one per run is a truncate and a pwrite. Every harness is
 * one C file including this header; the helpers are static inline so that a harness
 * that does not use one gets no unused-function warning. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "cache.h"
#include "daemon.h"
#include "wire.h"

/* libFuzzer's entry points (the harness defines them; prototypes for -Wmissing-prototypes) */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a finding like a sanitizer report: say which, then abort so
 * libFuzzer saves the input. */
#define FUZZ_CHECK(cond) \
    ((cond) ? (void)0 : fuzz_fail(#cond, __FILE__, __LINE__))

static inline void fuzz_fail(const char *what, const char *file, int line)
{
    fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
    abort();
}

/* Set-up failures (no memfd, no loopback socket) are not findings: stop loudly. */
static inline void fuzz_die(const char *what)
{
    fprintf(stderr, "fuzz harness set-up failed: %s\n", what);
    exit(2);
}

/* An in-memory file reachable by path. */
struct fuzz_file {
    int fd;
    char path[64];
};

static inline void fuzz_file_open(struct fuzz_file *f, const char *name)
{
    f->fd = memfd_create(name, MFD_CLOEXEC);
    if (f->fd < 0)
        fuzz_die("memfd_create");
    snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
}

/* Replaces the file's contents; every open of f->path reads them from the start. */
static inline void fuzz_file_set(struct fuzz_file *f, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t done = 0;

    if (ftruncate(f->fd, 0) != 0)
        fuzz_die("ftruncate");
    while (done < len) {
        ssize_t n = pwrite(f->fd, p + done, len - done, (off_t)done);
        if (n <= 0)
            fuzz_die("pwrite");
        done += (size_t)n;
    }
}

static inline void fuzz_file_set_str(struct fuzz_file *f, const char *text)
{
    fuzz_file_set(f, text, strlen(text));
}

/* The files of a small daemon: a hosts file, one local zone, and the config naming them.
 * No root hints (/dev/null has no NS for the root, so iteration is off) and no forwarders,
 * so a question nothing local answers gets SERVFAIL at once and no upstream socket is ever
 * opened; daemon_start is never called, so no listening or control socket either. */
struct fuzz_daemon_files {
    struct fuzz_file conf, hosts, zone;
};

static const char fuzz_hosts_text[] =
    "127.0.0.1 localhost\n"
    "::1 localhost ip6-localhost\n"
    "192.0.2.10 www.hosts.test web.hosts.test # two names\n"
    "2001:db8::10 www.hosts.test\n"
    "192.0.2.20 v4only.hosts.test\n"
    "\t192.0.2.40\tMixedCase.Hosts.Test\n";

static const char fuzz_zone_text[] =
    "$ORIGIN example.test.\n"
    "$TTL 3600\n"
    "@ IN SOA ns1 hostmaster 2024010101 3600 600 86400 300\n"
    "@ IN NS ns1\n"
    "@ IN MX 10 mail\n"
    "ns1 IN A 192.0.2.53\n"
    "www IN A 192.0.2.1\n"
    "www IN AAAA 2001:db8::1\n"
    "mail IN A 192.0.2.25\n"
    "alias IN CNAME www\n"
    "loop1 IN CNAME loop2\n"
    "loop2 IN CNAME loop1\n"
    "out IN CNAME www.elsewhere.test.\n"
    "*.wild IN A 192.0.2.99\n"
    "txt IN TXT \"v=test1 hello world\"\n"
    "sub IN NS ns.sub\n"
    "ns.sub IN A 192.0.2.100\n"
    "big IN TXT \"big-01 abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\"\n"
    "big IN TXT \"big-02 abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\"\n"
    "big IN TXT \"big-03 abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\"\n"
    "big IN TXT \"big-04 abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\"\n"
    "big IN TXT \"big-05 abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\"\n"
    "big IN TXT \"big-06 abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\"\n"
    "big IN TXT \"big-07 abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\"\n"
    "big IN TXT \"big-08 abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\"\n";

/* Writes the files and loads d from them (daemon_load: config, zones, hosts, caches). */
static inline void fuzz_daemon_load(struct daemon *d, struct fuzz_daemon_files *f,
                                    const char *extra_config)
{
    char conf[1024], err[512];

    fuzz_file_open(&f->hosts, "hosts");
    fuzz_file_open(&f->zone, "zone");
    fuzz_file_open(&f->conf, "resolver.conf");
    fuzz_file_set_str(&f->hosts, fuzz_hosts_text);
    fuzz_file_set_str(&f->zone, fuzz_zone_text);
    snprintf(conf, sizeof conf,
             "hosts %s\nzone example.test %s\nroot-hints /dev/null\n"
             "cache-size 1M\nlog-level error\n%s",
             f->hosts.path, f->zone.path, extra_config ? extra_config : "");
    fuzz_file_set_str(&f->conf, conf);
    if (daemon_load(d, f->conf.path, err, sizeof err) != 0) {
        fprintf(stderr, "daemon_load: %s\n", err);
        fuzz_die("daemon_load");
    }
}

/* Stores a response for (name, type) built from zone-file lines: `answer` RRs go to the
 * answer section, `authority` to the authority section (either may be NULL). Returns
 * cache_store's result; the harnesses seed their caches with it. */
static inline int fuzz_cache_seed(struct cache *c, const char *name, ldns_rr_type type,
                                  ldns_pkt_rcode rcode, const char *const *answer,
                                  const char *const *authority, time_t now)
{
    ldns_rdf *owner = ldns_dname_new_frm_str(name);
    ldns_pkt *pkt = owner ? ldns_pkt_query_new(owner, type, LDNS_RR_CLASS_IN, 0) : NULL;
    uint8_t *wire = NULL, key[WIRE_MAX_NAME];
    size_t wire_len = 0, key_len;
    int rc = -1;

    if (!pkt) {
        ldns_rdf_deep_free(owner);      /* ldns_pkt_query_new takes it only on success */
        return -1;
    }
    ldns_pkt_set_qr(pkt, true);
    ldns_pkt_set_rcode(pkt, (uint8_t)rcode);
    for (int s = 0; s < 2; s++) {
        const char *const *lines = s == 0 ? answer : authority;
        for (size_t i = 0; lines && lines[i]; i++) {
            ldns_rr *rr = NULL;
            if (ldns_rr_new_frm_str(&rr, lines[i], 3600, NULL, NULL) != LDNS_STATUS_OK)
                goto out;
            ldns_pkt_push_rr(pkt, s == 0 ? LDNS_SECTION_ANSWER : LDNS_SECTION_AUTHORITY, rr);
        }
    }
    if (ldns_pkt2wire(&wire, pkt, &wire_len) != LDNS_STATUS_OK)
        goto out;
    key_len = ldns_rdf_size(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(pkt), 0)));
    memcpy(key, wire + WIRE_HEADER_LEN, key_len);   /* ldns writes the question uncompressed */
    wire_name_lower(key, key_len);
    rc = cache_store(c, key, key_len, (uint16_t)type, LDNS_RR_CLASS_IN, wire, wire_len, now);
out:
    free(wire);
    ldns_pkt_free(pkt);
    return rc;
}

#endif
