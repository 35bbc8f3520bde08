/* test_hints.c -- unit tests for resolver/hints.c: the repository's real root hints and the
 * simulated internet's, and the errors (missing file, syntax error with its line, no NS,
 * no addresses).
 *
 * Run from the repository root (as prove does): the hints files are opened by relative path.
 * Broken files are written into a fresh mkdtemp directory, removed at the end. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hints.h"
#include "tap.h"

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

static size_t count_type(const ldns_rr_list *list, ldns_rr_type type)
{
    size_t n = 0;
    for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++)
        n += ldns_rr_get_type(ldns_rr_list_rr(list, i)) == type;
    return n;
}

/* True when every NS record is owned by the root. */
static bool all_root_ns(const ldns_rr_list *ns)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(ns, i);
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS || ldns_dname_label_count(ldns_rr_owner(rr)) != 0)
            return false;
    }
    return true;
}

/* True when every address record's owner is the target of one of the NS records. */
static bool addrs_of_ns(const struct hints *h)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(h->addrs); i++) {
        const ldns_rdf *owner = ldns_rr_owner(ldns_rr_list_rr(h->addrs, i));
        bool found = false;
        for (size_t k = 0; k < ldns_rr_list_rr_count(h->ns) && !found; k++)
            found = ldns_dname_compare(ldns_rr_rdf(ldns_rr_list_rr(h->ns, k), 0), owner) == 0;
        if (!found)
            return false;
    }
    return true;
}

/* Whether name (presentation format) is among the NS targets / address owners. */
static bool has_ns_target(const struct hints *h, const char *text)
{
    ldns_rdf *name = ldns_dname_new_frm_str(text);
    bool found = false;
    for (size_t i = 0; name && i < ldns_rr_list_rr_count(h->ns) && !found; i++)
        found = ldns_dname_compare(ldns_rr_rdf(ldns_rr_list_rr(h->ns, i), 0), name) == 0;
    ldns_rdf_deep_free(name);
    return found;
}

static bool has_address(const struct hints *h, const char *owner_text, const char *addr_text)
{
    ldns_rdf *owner = ldns_dname_new_frm_str(owner_text);
    bool found = false;
    for (size_t i = 0; owner && i < ldns_rr_list_rr_count(h->addrs) && !found; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(h->addrs, i);
        char *addr = ldns_rdf2str(ldns_rr_rdf(rr, 0));
        found = ldns_dname_compare(ldns_rr_owner(rr), owner) == 0 && addr && strcmp(addr, addr_text) == 0;
        free(addr);
    }
    ldns_rdf_deep_free(owner);
    return found;
}

static void test_real_hints(void)
{
    const char *path = "hints/root.hints";
    struct hints *h = NULL;
    char err[512] = "";

    int rc = hints_load(path, &h, err, sizeof err);
    is_int(rc, 0, "real hints: hints/root.hints loads");
    if (rc != 0) {
        diag("%s", err);
        return;
    }
    ok(h != NULL, "real hints: a hints struct");
    is_int(ldns_rr_list_rr_count(h->ns), 13, "real hints: 13 NS records");
    ok(all_root_ns(h->ns), "real hints: all NS records belong to the root");
    is_int(ldns_rr_list_rr_count(h->addrs), 26, "real hints: 26 address records");
    is_int(count_type(h->addrs, LDNS_RR_TYPE_A), 13, "real hints: 13 A");
    is_int(count_type(h->addrs, LDNS_RR_TYPE_AAAA), 13, "real hints: 13 AAAA");
    ok(has_ns_target(h, "a.root-servers.net.") && has_ns_target(h, "m.root-servers.net."),
       "real hints: a. and m.root-servers.net among the NS targets");
    ok(has_address(h, "a.root-servers.net.", "198.41.0.4"), "real hints: a.root-servers.net A 198.41.0.4");
    ok(has_address(h, "a.root-servers.net.", "2001:503:ba3e::2:30"),
       "real hints: a.root-servers.net AAAA 2001:503:ba3e::2:30");
    ok(addrs_of_ns(h), "real hints: every address belongs to an NS target");
    hints_free(h);
}

static void test_sim_hints(void)
{
    const char *path = "tools/simnet/root.hints";
    struct hints *h = NULL;
    char err[512] = "";

    int rc = hints_load(path, &h, err, sizeof err);
    is_int(rc, 0, "sim hints: tools/simnet/root.hints loads");
    if (rc != 0) {
        diag("%s", err);
        return;
    }
    is_int(ldns_rr_list_rr_count(h->ns), 2, "sim hints: 2 NS records");
    ok(all_root_ns(h->ns), "sim hints: both NS records belong to the root");
    is_int(ldns_rr_list_rr_count(h->addrs), 2, "sim hints: 2 address records");
    is_int(count_type(h->addrs, LDNS_RR_TYPE_A), 2, "sim hints: both are A");
    ok(has_ns_target(h, "a.root.sim.") && has_ns_target(h, "b.root.sim."),
       "sim hints: NS targets a.root.sim and b.root.sim");
    ok(has_address(h, "a.root.sim.", "127.54.0.1") && has_address(h, "b.root.sim.", "127.54.0.2"),
       "sim hints: a.root.sim 127.54.0.1, b.root.sim 127.54.0.2");
    hints_free(h);
}

/* Loads a file that must fail; returns the message, checks rc and *out. */
static const char *load_fail(const char *path, const char *what)
{
    static char err[512];
    struct hints *h = (struct hints *)&h;      /* must be overwritten with NULL */
    char name[256];

    strcpy(err, "(untouched)");
    int rc = hints_load(path, &h, err, sizeof err);
    snprintf(name, sizeof name, "%s: -1", what);
    is_int(rc, -1, name);
    snprintf(name, sizeof name, "%s: *out is NULL", what);
    ok(h == NULL, "%s", name);
    if (rc == 0 && h && h != (struct hints *)&h)
        hints_free(h);
    return err;
}

static void test_errors(struct fixture *fx)
{
    char want[512];
    char missing[160];

    snprintf(missing, sizeof missing, "%s/no-such.hints", fx->dir);
    snprintf(want, sizeof want, "%s: No such file or directory", missing);
    is_str(load_fail(missing, "missing file"), want, "missing file: \"PATH: No such file or directory\"");

    /* LeakSanitizer also checks these two: ldns_zone_new_frm_fp_l (ldns 1.8.3) frees the RRs
     * it read before a syntax error only shallowly (ldns_zone_free), so hints.c as written
     * leaks them on every failed load (start-up or reload). */
    const char *bad_addr = write_file(fx, "bad-addr.hints",
        "; root hints with a broken address\n"
        ".                 3600000  NS  A.ROOT.TEST.\n"
        "A.ROOT.TEST.      3600000  A   192.0.2.1\n"
        "B.ROOT.TEST.      3600000  A   999.1.2.3\n"
        ".                 3600000  NS  B.ROOT.TEST.\n");
    const char *msg = load_fail(bad_addr, "syntax error on line 4");
    snprintf(want, sizeof want, "%s:4: ", bad_addr);
    ok(strncmp(msg, want, strlen(want)) == 0 && strlen(msg) > strlen(want),
       "syntax error on line 4: message is \"PATH:4: problem\"");
    if (strncmp(msg, want, strlen(want)) != 0)
        diag("got '%s', expected it to start with '%s'", msg, want);

    const char *bad_type = write_file(fx, "bad-type.hints",
        "; comment\n"
        "\n"
        ".                 3600000  NS  A.ROOT.TEST.\n"
        "\n"
        "A.ROOT.TEST.      3600000  A   192.0.2.1\n"
        "; another comment\n"
        "A.ROOT.TEST.      3600000  BOGUSTYPE  x\n");
    msg = load_fail(bad_type, "unknown type on line 7");
    snprintf(want, sizeof want, "%s:7: ", bad_type);
    ok(strncmp(msg, want, strlen(want)) == 0 && strlen(msg) > strlen(want),
       "unknown type on line 7: message is \"PATH:7: problem\"");
    if (strncmp(msg, want, strlen(want)) != 0)
        diag("got '%s', expected it to start with '%s'", msg, want);

    const char *no_addr = write_file(fx, "no-addr.hints",
        ".                 3600000  NS  A.ROOT.TEST.\n"
        ".                 3600000  NS  B.ROOT.TEST.\n");
    msg = load_fail(no_addr, "NS but no addresses");
    snprintf(want, sizeof want, "%s: ", no_addr);
    ok(strncmp(msg, want, strlen(want)) == 0 && strlen(msg) > strlen(want),
       "NS but no addresses: message is \"PATH: problem\"");
    diag("NS but no addresses: %s", msg);

    const char *no_ns = write_file(fx, "no-ns.hints",
        "A.ROOT.TEST.      3600000  A   192.0.2.1\n"
        "test.             3600000  NS  A.ROOT.TEST.\n");
    msg = load_fail(no_ns, "addresses but no root NS (only test. NS)");
    snprintf(want, sizeof want, "%s: ", no_ns);
    ok(strncmp(msg, want, strlen(want)) == 0 && strlen(msg) > strlen(want),
       "addresses but no root NS: message is \"PATH: problem\"");

    const char *empty = write_file(fx, "empty.hints", "; nothing but a comment\n");
    msg = load_fail(empty, "empty file");
    snprintf(want, sizeof want, "%s: ", empty);
    ok(strncmp(msg, want, strlen(want)) == 0 && strlen(msg) > strlen(want),
       "empty file: message is \"PATH: problem\"");

    /* hints.h: "no address for any of them" is an error; addresses of other names are not
     * addresses of the root servers. */
    const char *unrelated = write_file(fx, "unrelated.hints",
        ".                 3600000  NS  A.ROOT.TEST.\n"
        "WWW.ELSEWHERE.TEST. 3600000  A   192.0.2.99\n");
    msg = load_fail(unrelated, "NS with only an unrelated name's address");
    snprintf(want, sizeof want, "%s: ", unrelated);
    ok(strncmp(msg, want, strlen(want)) == 0 && strlen(msg) > strlen(want),
       "NS with only an unrelated name's address: message is \"PATH: problem\"");
}

/* Extra records: non-root NS and addresses of names that are no root server are left out. */
static void test_extra_records(struct fixture *fx)
{
    const char *path = write_file(fx, "extra.hints",
        ".                 3600000  NS  A.ROOT.TEST.\n"
        "A.ROOT.TEST.      3600000  A   192.0.2.1\n"
        "A.ROOT.TEST.      3600000  AAAA 2001:db8::1\n"
        "test.             3600000  NS  NS.TEST.\n"
        "NS.TEST.          3600000  A   192.0.2.2\n"
        "A.ROOT.TEST.      3600000  TXT \"ignored\"\n");
    struct hints *h = NULL;
    char err[512] = "";

    int rc = hints_load(path, &h, err, sizeof err);
    is_int(rc, 0, "extra records: loads");
    if (rc != 0) {
        diag("%s", err);
        return;
    }
    is_int(ldns_rr_list_rr_count(h->ns), 1, "extra records: only the root's NS kept");
    ok(all_root_ns(h->ns), "extra records: the NS kept is the root's");
    is_int(ldns_rr_list_rr_count(h->addrs), 2,
           "extra records: only the root server's A and AAAA kept (not NS.TEST.'s, not TXT)");
    ok(addrs_of_ns(h), "extra records: every address belongs to a root NS target");
    hints_free(h);
}

int main(void)
{
    struct fixture fx = { .npaths = 0 };

    snprintf(fx.dir, sizeof fx.dir, "/tmp/test_hints.XXXXXX");
    if (!mkdtemp(fx.dir)) {
        diag("mkdtemp: %s", strerror(errno));
        return 2;
    }
    test_real_hints();
    test_sim_hints();
    test_errors(&fx);
    test_extra_records(&fx);
    for (int i = 0; i < fx.npaths; i++)
        unlink(fx.paths[i]);
    rmdir(fx.dir);
    hints_free(NULL);
    return done_testing();
}
