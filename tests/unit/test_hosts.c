/* test_hosts.c -- unit tests for resolver/hosts.c: parsing, forward and reverse lookups,
 * merging files, errors, hosts_diff, and that large files load (their time is printed).
 *
 * Every hosts file is written into a fresh mkdtemp directory, removed at the end. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hosts.h"
#include "log.h"
#include "tap.h"
#include "wire.h"

#define TTL 300

struct fixture {
    char dir[64];
    char paths[16][128];
    int npaths;
};

static const char *write_file(struct fixture *fx, const char *name, const char *text)
{
    char *path = fx->paths[fx->npaths++];
    char built[sizeof fx->paths[0]];   /* not straight into fx: snprintf's args are restrict */
    snprintf(built, sizeof built, "%s/%s", fx->dir, name);
    memcpy(path, built, sizeof built);
    FILE *file = fopen(path, "w");
    if (!file || fputs(text, file) == EOF || fclose(file) != 0) {
        diag("cannot write %s: %s", path, strerror(errno));
        exit(2);
    }
    return path;
}

static struct hosts *load(const char *const *paths, int count)
{
    struct hosts *h = hosts_new();
    char err[256];
    if (!h)
        exit(2);
    for (int i = 0; i < count; i++)
        if (hosts_add_file(h, paths[i], err, sizeof err) != 0)
            diag("load failed: %s", err);
    return h;
}

/* Looks a name up and renders the answer as "TYPE RDATA, ..." (or "MISS"). */
static const char *answers(const struct hosts *h, const char *qname_text, ldns_rr_type qtype)
{
    static char text[4096];
    ldns_rdf *qname = ldns_dname_new_frm_str(qname_text);
    ldns_rr_list *list = ldns_rr_list_new();
    if (!qname || !list)
        exit(2);
    text[0] = '\0';
    if (hosts_lookup(h, ldns_rdf_data(qname), ldns_rdf_size(qname), qtype, TTL, list) ==
        HOSTS_MISS)
        snprintf(text, sizeof text, "MISS");
    for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
        ldns_rr *rr = ldns_rr_list_rr(list, i);
        char *type = ldns_rr_type2str(ldns_rr_get_type(rr));
        char *rdata = ldns_rdf2str(ldns_rr_rdf(rr, 0));
        size_t used = strlen(text);
        snprintf(text + used, sizeof text - used, "%s%s %s", i ? ", " : "", type, rdata);
        free(type);
        free(rdata);
    }
    ldns_rr_list_deep_free(list);
    ldns_rdf_deep_free(qname);
    return text;
}

static const char main_file[] =
    "# a full-line comment\n"
    "\n"
    "127.0.0.1\tlocalhost\n"
    "10.0.0.1 www.Example.com www alias.example.com   # trailing comment other.example.com\n"
    "10.0.0.2\t www.example.com\n"
    "10.0.0.1 WWW.example.com\n"
    "10.0.0.1 other.example.com\n"
    "2001:db8::1 www.example.com v6only.example.com\n"
    "10.0.0.3 v4only.example.com\n"
    "not-an-address bad.example.com\n"
    "fe80::1%eth0 scoped.example.com\n"
    "10.0.0.4 good.example.com bad..name also.example.com\n"
    "10.0.0.7 bad..first second.example.com\n"
    "10.0.0.5 commented.example.com #hidden.example.com\n"
    "#10.0.0.6 hidden2.example.com\n"
    "   \t\n";

static void test_forward(const struct hosts *h)
{
    is_str(answers(h, "www.example.com.", LDNS_RR_TYPE_A), "A 10.0.0.1, A 10.0.0.2",
           "A: every address of the name, duplicates once, in file order");
    is_str(answers(h, "www.example.com.", LDNS_RR_TYPE_AAAA), "AAAA 2001:db8::1", "AAAA");
    is_str(answers(h, "www.example.com.", LDNS_RR_TYPE_ANY),
           "A 10.0.0.1, A 10.0.0.2, AAAA 2001:db8::1", "ANY gives A and AAAA");
    is_str(answers(h, "alias.example.com.", LDNS_RR_TYPE_A), "A 10.0.0.1",
           "third name on a line");
    is_str(answers(h, "www.", LDNS_RR_TYPE_A), "A 10.0.0.1", "single-label name on a line");
    is_str(answers(h, "v6only.example.com.", LDNS_RR_TYPE_AAAA), "AAAA 2001:db8::1",
           "second name on an IPv6 line");
    is_str(answers(h, "localhost.", LDNS_RR_TYPE_A), "A 127.0.0.1", "tab-separated line");
    is_str(answers(h, "v4only.example.com.", LDNS_RR_TYPE_AAAA), "",
           "IPv4-only name asked for AAAA: HIT, empty (NODATA)");
    is_str(answers(h, "v4only.example.com.", LDNS_RR_TYPE_MX), "", "other type: HIT, empty");
    is_str(answers(h, "nothere.example.com.", LDNS_RR_TYPE_A), "MISS", "absent name: MISS");
    is_str(answers(h, "example.com.", LDNS_RR_TYPE_A), "MISS", "parent of a name: MISS");
}

static void test_comments_and_bad_lines(const struct hosts *h)
{
    is_str(answers(h, "commented.example.com.", LDNS_RR_TYPE_A), "A 10.0.0.5",
           "name before a trailing comment");
    is_str(answers(h, "hidden.example.com.", LDNS_RR_TYPE_A), "MISS",
           "name inside a trailing comment is ignored");
    is_str(answers(h, "hidden2.example.com.", LDNS_RR_TYPE_A), "MISS",
           "commented-out line is ignored");
    is_str(answers(h, "bad.example.com.", LDNS_RR_TYPE_A), "MISS", "invalid address: line skipped");
    is_str(answers(h, "scoped.example.com.", LDNS_RR_TYPE_AAAA), "MISS",
           "address with a zone index: line skipped");
    is_str(answers(h, "good.example.com.", LDNS_RR_TYPE_A), "A 10.0.0.4",
           "names before a bad name load");
    is_str(answers(h, "also.example.com.", LDNS_RR_TYPE_A), "A 10.0.0.4",
           "names after a bad name load");
}

/* The owner keeps the client's spelling; class and TTL are as asked. */
static void test_case(const struct hosts *h)
{
    is_str(answers(h, "WWW.eXample.COM.", LDNS_RR_TYPE_A), "A 10.0.0.1, A 10.0.0.2",
           "lookup is case-insensitive");

    ldns_rdf *qname = ldns_dname_new_frm_str("WWW.eXample.COM.");
    ldns_rr_list *list = ldns_rr_list_new();
    ldns_rr *existing = NULL;
    if (!qname || !list || ldns_rr_new_frm_str(&existing, "keep.me. 60 IN A 192.0.2.1", 0, NULL,
                                               NULL) != LDNS_STATUS_OK
        || !ldns_rr_list_push_rr(list, existing))
        exit(2);
    is_int(hosts_lookup(h, ldns_rdf_data(qname), ldns_rdf_size(qname), LDNS_RR_TYPE_A, TTL,
                        list), HOSTS_HIT, "HIT");
    is_int(ldns_rr_list_rr_count(list), 3, "answers are appended after what was there");
    ldns_rr *rr = ldns_rr_list_rr(list, 1);
    char *owner = ldns_rdf2str(ldns_rr_owner(rr));
    is_str(owner, "WWW.eXample.COM.", "owner is the qname exactly as the client wrote it");
    free(owner);
    is_int(ldns_rr_get_class(rr), LDNS_RR_CLASS_IN, "class IN");
    is_int(ldns_rr_ttl(rr), TTL, "TTL as asked");

    ldns_rdf *absent = ldns_dname_new_frm_str("Nothere.example.com.");
    if (!absent)
        exit(2);
    is_int(hosts_lookup(h, ldns_rdf_data(absent), ldns_rdf_size(absent), LDNS_RR_TYPE_A, TTL,
                        list), HOSTS_MISS, "MISS");
    is_int(ldns_rr_list_rr_count(list), 3, "a MISS leaves the answer untouched");
    ok(hosts_has_name(h, ldns_rdf_data(qname), ldns_rdf_size(qname)),
       "has_name: the wire name in the client's case");
    ok(!hosts_has_name(h, ldns_rdf_data(absent), ldns_rdf_size(absent)), "has_name: absent");
    ok(!hosts_has_name(h, ldns_rdf_data(qname), 0), "has_name: an empty name is in no table");
    ldns_rdf_deep_free(absent);
    ldns_rdf_deep_free(qname);
    ldns_rr_list_deep_free(list);
}

#define V6_REVERSE "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."

static void test_reverse(const struct hosts *h)
{
    is_str(answers(h, "1.0.0.10.in-addr.arpa.", LDNS_RR_TYPE_PTR),
           "PTR www.example.com., PTR other.example.com.",
           "IPv4 PTR: first name of each line with the address, once, canonical, in file order");
    is_str(answers(h, "1.0.0.127.in-addr.arpa.", LDNS_RR_TYPE_PTR), "PTR localhost.",
           "PTR for 127.0.0.1");
    is_str(answers(h, V6_REVERSE, LDNS_RR_TYPE_PTR), "PTR www.example.com.", "IPv6 PTR");
    is_str(answers(h, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.IP6.ARPA.",
                   LDNS_RR_TYPE_PTR),
           "PTR www.example.com.", "IPv6 PTR, asked in upper case");
    is_str(answers(h, "4.0.0.10.in-addr.arpa.", LDNS_RR_TYPE_ANY), "PTR good.example.com.",
           "ANY on a reverse name gives the PTR");
    is_str(answers(h, "7.0.0.10.in-addr.arpa.", LDNS_RR_TYPE_PTR), "PTR second.example.com.",
           "an invalid first name gives way to the next valid one");
    is_str(answers(h, "1.0.0.10.in-addr.arpa.", LDNS_RR_TYPE_A), "",
           "other type on a reverse name: HIT, empty");
    is_str(answers(h, "9.0.0.10.in-addr.arpa.", LDNS_RR_TYPE_PTR), "MISS",
           "reverse name of an address not in the table: MISS");
    is_str(answers(h, "www.example.com.", LDNS_RR_TYPE_PTR), "", "PTR on a forward name: empty");
}

/* Forward: localhost www.example.com www alias other v6only v4only good also second
 * commented (11);
 * reverse: 127.0.0.1 10.0.0.{1,2,3,4,5,7} 2001:db8::1 (8). */
static void test_main_file(struct fixture *fx)
{
    const char *path = write_file(fx, "hosts", main_file);
    struct hosts *h = load(&path, 1);
    test_forward(h);
    test_comments_and_bad_lines(h);
    test_case(h);
    test_reverse(h);
    is_int(hosts_count(h), 19, "hosts_count: distinct forward and reverse names");
    hosts_free(h);
}

static void test_merge(struct fixture *fx)
{
    const char *paths[2];
    paths[0] = write_file(fx, "merge1", "10.0.0.1 www.example.com\n");
    paths[1] = write_file(fx, "merge2", "10.0.0.8 www.example.com\n10.0.0.1 WWW.example.com\n"
                                        "10.0.1.1 second-file.example.com\n");
    struct hosts *h = load(paths, 2);
    is_str(answers(h, "www.example.com.", LDNS_RR_TYPE_A), "A 10.0.0.1, A 10.0.0.8",
           "two files: addresses merge, duplicates across files once");
    is_str(answers(h, "second-file.example.com.", LDNS_RR_TYPE_A), "A 10.0.1.1",
           "two files: names of the second file");
    is_int(hosts_count(h), 5, "two files: names counted once");
    hosts_free(h);
}

static void test_errors(struct fixture *fx)
{
    char path[128], want[256], err[256] = "";
    struct hosts *h = hosts_new();
    if (!h)
        exit(2);
    snprintf(path, sizeof path, "%s/missing", fx->dir);
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    is_int(hosts_add_file(h, path, err, sizeof err), -1, "missing file: -1");
    is_str(err, want, "missing file: PATH: strerror");
    snprintf(want, sizeof want, "%s: Is a directory", fx->dir);
    is_int(hosts_add_file(h, fx->dir, err, sizeof err), -1, "directory: -1");
    is_str(err, want, "directory: PATH: strerror");
    is_int(hosts_count(h), 0, "nothing loaded");
    hosts_free(h);
}

/* Bad lines are logged at debug level with file and line. */
static void test_logging(struct fixture *fx)
{
    const char *path = write_file(fx, "badlog", "10.0.0.1 ok.example\nnonsense x.example\n");
    char logpath[128], want[256], logged[4096] = "";
    snprintf(logpath, sizeof logpath, "%s/stderr.log", fx->dir);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    if (saved < 0 || !freopen(logpath, "w", stderr))
        exit(2);
    log_set_level(LOG_LVL_DEBUG);
    hosts_free(load(&path, 1));
    log_set_level(LOG_LVL_INFO);
    fflush(stderr);
    if (dup2(saved, STDERR_FILENO) < 0 || close(saved) != 0)
        exit(2);
    FILE *file = fopen(logpath, "r");
    if (!file)
        exit(2);
    size_t got = fread(logged, 1, sizeof logged - 1, file);
    logged[got] = '\0';
    fclose(file);
    snprintf(want, sizeof want, "%s:2: invalid address 'nonsense'", path);
    ok(strstr(logged, want) != NULL, "bad line logged at debug level with PATH:LINE");
    ok(strstr(logged, ":1:") == NULL, "good line not logged");
}

struct collected {
    char *names[32];
    int count;
};

static void collect(const uint8_t *name, size_t len, void *arg)
{
    struct collected *c = arg;
    char text[WIRE_MAX_NAME * 4 + 2];
    if (c->count < 32)
        c->names[c->count] = strdup(wire_name_to_str(name, len, text, sizeof text));
    c->count++;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs hosts_diff and renders the names reported, sorted, space-separated. */
static const char *diff_names(const struct hosts *before, const struct hosts *after, int *calls)
{
    static char text[2048];
    struct collected c = { .count = 0 };
    hosts_diff(before, after, collect, &c);
    *calls = c.count;
    int stored = c.count < 32 ? c.count : 32;
    qsort(c.names, (size_t)stored, sizeof c.names[0], compare_strings);
    text[0] = '\0';
    for (int i = 0; i < stored; i++) {
        size_t used = strlen(text);
        snprintf(text + used, sizeof text - used, "%s%s", i ? " " : "", c.names[i]);
        free(c.names[i]);
    }
    return text;
}

static void test_diff(struct fixture *fx)
{
    const char *before_path = write_file(fx, "before",
        "10.0.0.1 same.example.com\n10.0.0.2 changed.example.com\n10.0.0.3 removed.example.com\n"
        "10.0.0.5 ptrname.example.com\n10.0.0.6 multi.example.com\n10.0.0.7 multi.example.com\n");
    const char *after_path = write_file(fx, "after",
        "10.0.0.7 multi.example.com\n10.0.0.1 Same.example.com\n10.0.0.20 changed.example.com\n"
        "10.0.0.4 added.example.com\n10.0.0.5 ptrname.example.com\n10.0.0.5 ptr2.example.com\n"
        "10.0.0.6 multi.example.com\n");
    struct hosts *before = load(&before_path, 1), *after = load(&after_path, 1);
    int calls;

    is_str(diff_names(before, after, &calls),
           "2.0.0.10.in-addr.arpa. 20.0.0.10.in-addr.arpa. 3.0.0.10.in-addr.arpa. "
           "4.0.0.10.in-addr.arpa. 5.0.0.10.in-addr.arpa. added.example.com. "
           "changed.example.com. ptr2.example.com. removed.example.com.",
           "diff: changed, added, removed names and the reverse names of their addresses");
    is_int(calls, 9, "diff: each name reported once");
    is_str(diff_names(after, before, &calls),
           "2.0.0.10.in-addr.arpa. 20.0.0.10.in-addr.arpa. 3.0.0.10.in-addr.arpa. "
           "4.0.0.10.in-addr.arpa. 5.0.0.10.in-addr.arpa. added.example.com. "
           "changed.example.com. ptr2.example.com. removed.example.com.",
           "diff is symmetric");
    is_str(diff_names(before, before, &calls), "", "diff of a table with itself: nothing");
    diff_names(NULL, after, &calls);
    is_int(calls, (long long)hosts_count(after), "diff from NULL: every name of after");
    diff_names(before, NULL, &calls);
    is_int(calls, (long long)hosts_count(before), "diff to NULL: every name of before");
    is_str(diff_names(NULL, NULL, &calls), "", "diff of NULL and NULL: nothing");
    hosts_free(before);
    hosts_free(after);
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* A blocklist-shaped file: half the lines share 0.0.0.0 (one reverse name with 50k PTRs),
 * half have their own address. A quadratic step would take minutes here. */
static void test_large(struct fixture *fx)
{
    enum { LINES = 100000 };
    char *text = malloc((size_t)LINES * 48);
    if (!text)
        exit(2);
    size_t used = 0;
    for (int i = 0; i < LINES / 2; i++)
        used += (size_t)sprintf(text + used, "0.0.0.0 ad%d.block.example\n", i);
    for (int i = 0; i < LINES / 2; i++)
        used += (size_t)sprintf(text + used, "10.%d.%d.%d host%d.example\n", i >> 16,
                                (i >> 8) & 255, i & 255, i);
    const char *path = write_file(fx, "large", text);
    free(text);

    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    struct hosts *h = load(&path, 1);
    double load_time = seconds_since(&start);
    /* timing is reported, not asserted: the machine is shared (a quadratic step would
     * still show, as a suite that takes minutes) */
    diag("100k lines loaded in %.3f s (sanitizer build)", load_time);
    is_int(hosts_count(h), LINES + 1 + LINES / 2, "100k lines: every name counted");
    is_str(answers(h, "host49999.example.", LDNS_RR_TYPE_A), "A 10.0.195.79", "last line loaded");

    struct hosts *same = load(&path, 1);
    int calls;
    clock_gettime(CLOCK_MONOTONIC, &start);
    diff_names(h, same, &calls);
    double diff_time = seconds_since(&start);
    diag("diff of two 100k-line tables in %.3f s", diff_time);
    is_int(calls, 0, "diff of two identical 100k-line tables: no name changed");
    hosts_free(same);
    hosts_free(h);
}

int main(void)
{
    struct fixture fx = { .npaths = 0 };
    snprintf(fx.dir, sizeof fx.dir, "/tmp/test_hosts.XXXXXX");
    if (!mkdtemp(fx.dir)) {
        diag("mkdtemp: %s", strerror(errno));
        return 2;
    }
    test_main_file(&fx);
    test_merge(&fx);
    test_errors(&fx);
    test_logging(&fx);
    test_diff(&fx);
    test_large(&fx);

    for (int i = 0; i < fx.npaths; i++)
        unlink(fx.paths[i]);
    char logpath[128];
    snprintf(logpath, sizeof logpath, "%s/stderr.log", fx.dir);
    unlink(logpath);
    if (rmdir(fx.dir) != 0)
        diag("rmdir %s: %s", fx.dir, strerror(errno));
    return done_testing();
}
