/* test_localzone.c -- unit tests for resolver/localzone.c.
 *
 * Writes zone files into a fresh temporary directory, loads them and checks each kind of
 * answer (data, NODATA, NXDOMAIN, empty non-terminals, CNAME chains, wildcards, referrals,
 * nested zones, the client's case) and each load error. Sections are compared as one line
 * of "owner ttl TYPE rdata" entries joined by "; ", so a wrong RR, TTL or owner fails. */
#include "localzone.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char OUTER_ZONE[] =
    "$ORIGIN example.com.\n"
    "$TTL 3600\n"
    "@        IN SOA  ns1 hostmaster 1 7200 900 1209600 300\n"
    "         IN NS   ns1\n"
    "         IN A    192.0.2.1\n"
    "ns1      IN A    192.0.2.53\n"
    "www  300 IN A    192.0.2.10\n"
    "a.b.c    IN TXT  \"deep\"\n"
    "alias    IN CNAME alias2\n"
    "alias2   IN CNAME www\n"
    "out      IN CNAME www.example.net.\n"
    "loop1    IN CNAME loop2\n"
    "loop2    IN CNAME loop1\n"
    "*.wild   IN A    192.0.2.99\n"
    "*.wc     IN CNAME www\n"
    "sub      IN NS   ns.sub\n"
    "sub      IN NS   ns.elsewhere.net.\n"
    "ns.sub   IN A    192.0.2.77\n"
    "ns.sub   IN AAAA 2001:db8::77\n"
    "www.inner IN A   192.0.2.222\n"
    "tosub    IN CNAME host.sub\n"
    "toinner  IN CNAME www.inner\n"
    "dangling IN CNAME nothere\n"
    "c0 IN CNAME c1\nc1 IN CNAME c2\nc2 IN CNAME c3\nc3 IN CNAME c4\nc4 IN CNAME c5\n"
    "c5 IN CNAME c6\nc6 IN CNAME c7\nc7 IN CNAME c8\nc8 IN CNAME c9\nc9 IN CNAME www\n";

/* SOA TTL (60) below its MINIMUM (600): the negative TTL must be the TTL. */
static const char INNER_ZONE[] =
    "$ORIGIN inner.example.com.\n"
    "$TTL 60\n"
    "@   IN SOA ns hostmaster 1 7200 900 1209600 600\n"
    "www IN A   198.51.100.1\n";

static const char SYNTAX_ZONE[] =
    "$ORIGIN bad.test.\n"
    "$TTL 3600\n"
    "@   IN SOA ns hostmaster 1 7200 900 1209600 300\n"
    "www IN A   not-an-address\n";

/* The same mistake on the last line, without a newline at the end of the file. */
static const char SYNTAX_NO_NEWLINE_ZONE[] =
    "$ORIGIN bad.test.\n"
    "@   3600 IN SOA ns hostmaster 1 7200 900 1209600 300\n"
    "ok  3600 IN A   192.0.2.1\n"
    "www 3600 IN A   not-an-address";

static const char NO_SOA_ZONE[] =
    "$ORIGIN nosoa.test.\n"
    "www 3600 IN A 192.0.2.1\n";

static const char SOA_BELOW_APEX_ZONE[] =
    "$ORIGIN low.test.\n"
    "sub 3600 IN SOA ns hostmaster 1 7200 900 1209600 300\n";

static const char OUTSIDE_ZONE[] =
    "$ORIGIN out.test.\n"
    "$TTL 3600\n"
    "@   IN SOA ns hostmaster 1 7200 900 1209600 300\n"
    "www.example.org. IN A 192.0.2.1\n";

struct fixture {
    char dir[64];
    char paths[16][128];
    size_t npaths;
};

static const char *write_zone(struct fixture *fx, const char *file, const char *text)
{
    if (fx->npaths == sizeof fx->paths / sizeof fx->paths[0]) {
        fprintf(stderr, "too many zone files for the fixture\n");
        exit(2);
    }
    char *path = fx->paths[fx->npaths++];
    char full[sizeof fx->paths[0]];   /* built apart: snprintf must not read what it writes */
    snprintf(full, sizeof full, "%s/%s", fx->dir, file);
    memcpy(path, full, sizeof full);
    FILE *fp = fopen(path, "w");
    if (!fp || fputs(text, fp) == EOF || fclose(fp) != 0) {
        perror(path);
        exit(2);
    }
    return path;
}

static void fixture_cleanup(struct fixture *fx)
{
    for (size_t i = 0; i < fx->npaths; i++)
        unlink(fx->paths[i]);
    rmdir(fx->dir);
}

/* One section as "owner ttl TYPE rdata; ..." ("" when empty). */
static const char *section_text(const ldns_rr_list *rrs, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
        char *owner = ldns_rdf2str(ldns_rr_owner(rr));
        char *type = ldns_rr_type2str(ldns_rr_get_type(rr));
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s %u %s", i ? "; " : "", owner,
                 (unsigned)ldns_rr_ttl(rr), type);
        free(owner);
        free(type);
        for (size_t r = 0; r < ldns_rr_rd_count(rr); r++) {
            char *rdata = ldns_rdf2str(ldns_rr_rdf(rr, r));
            used = strlen(buf);
            snprintf(buf + used, len - used, " %s", rdata);
            free(rdata);
        }
    }
    return buf;
}

struct reply {
    ldns_pkt *pkt;
    bool handled;
    char answer[1024];
    char authority[1024];
    char additional[1024];
};

static void ask(const struct localzones *lz, const char *name, ldns_rr_type type,
                struct reply *out)
{
    ldns_rdf *qname = ldns_dname_new_frm_str(name);
    out->pkt = ldns_pkt_new();
    if (!qname || !out->pkt) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    ldns_pkt_set_rcode(out->pkt, LDNS_RCODE_REFUSED);   /* to see whether it was touched */
    out->handled = localzones_answer(lz, ldns_rdf_data(qname), ldns_rdf_size(qname), type,
                                     out->pkt);
    ldns_rdf_deep_free(qname);
    section_text(ldns_pkt_answer(out->pkt), out->answer, sizeof out->answer);
    section_text(ldns_pkt_authority(out->pkt), out->authority, sizeof out->authority);
    section_text(ldns_pkt_additional(out->pkt), out->additional, sizeof out->additional);
}

#define OUTER_SOA_NEG "example.com. 300 SOA ns1.example.com. hostmaster.example.com. " \
                      "1 7200 900 1209600 300"

static void test_positive(const struct localzones *lz)
{
    struct reply r;
    ask(lz, "example.com.", LDNS_RR_TYPE_A, &r);
    ok(r.handled, "apex A is handled");
    is_str(r.answer, "example.com. 3600 A 192.0.2.1", "apex A answer");
    ok(ldns_pkt_aa(r.pkt), "apex A has AA");
    is_int(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR, "apex A NOERROR");
    is_str(r.authority, "", "apex A: empty authority");
    ldns_pkt_free(r.pkt);

    ask(lz, "www.example.com", LDNS_RR_TYPE_A, &r);
    is_str(r.answer, "www.example.com. 300 A 192.0.2.10", "A below the apex, own TTL");
    ok(ldns_pkt_aa(r.pkt), "A below the apex has AA");
    ldns_pkt_free(r.pkt);

    ask(lz, "ns.sub.example.com", LDNS_RR_TYPE_ANY, &r);
    is_str(r.authority, "sub.example.com. 3600 NS ns.sub.example.com.; "
           "sub.example.com. 3600 NS ns.elsewhere.net.", "ANY below a cut is a referral");
    ldns_pkt_free(r.pkt);

    ask(lz, "example.com", LDNS_RR_TYPE_ANY, &r);
    is_str(r.answer, "example.com. 3600 SOA ns1.example.com. hostmaster.example.com. "
           "1 7200 900 1209600 300; example.com. 3600 NS ns1.example.com.; "
           "example.com. 3600 A 192.0.2.1", "ANY at the apex: every RRset");
    ldns_pkt_free(r.pkt);
}

static void test_negative(const struct localzones *lz)
{
    struct reply r;
    ask(lz, "www.example.com", LDNS_RR_TYPE_MX, &r);
    is_int(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR, "NODATA is NOERROR");
    ok(ldns_pkt_aa(r.pkt), "NODATA has AA");
    is_str(r.answer, "", "NODATA: empty answer");
    is_str(r.authority, OUTER_SOA_NEG, "NODATA: SOA with TTL min(3600, 300)");
    ldns_pkt_free(r.pkt);

    ask(lz, "www.inner.example.com", LDNS_RR_TYPE_MX, &r);
    is_str(r.authority, "inner.example.com. 60 SOA ns.inner.example.com. "
           "hostmaster.inner.example.com. 1 7200 900 1209600 600",
           "NODATA: SOA with TTL min(60, 600)");
    ldns_pkt_free(r.pkt);

    ask(lz, "nope.example.com", LDNS_RR_TYPE_A, &r);
    is_int(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NXDOMAIN, "missing name is NXDOMAIN");
    ok(ldns_pkt_aa(r.pkt), "NXDOMAIN has AA");
    is_str(r.answer, "", "NXDOMAIN: empty answer");
    is_str(r.authority, OUTER_SOA_NEG, "NXDOMAIN: SOA in authority");
    ldns_pkt_free(r.pkt);

    ask(lz, "b.c.example.com", LDNS_RR_TYPE_A, &r);
    is_int(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR, "empty non-terminal is NOERROR");
    is_str(r.authority, OUTER_SOA_NEG, "empty non-terminal: SOA (NODATA)");
    ldns_pkt_free(r.pkt);

    ask(lz, "c.example.com", LDNS_RR_TYPE_TXT, &r);
    is_int(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR, "ENT two levels up: NOERROR");
    ldns_pkt_free(r.pkt);

    ask(lz, "x.a.b.c.example.com", LDNS_RR_TYPE_TXT, &r);
    is_int(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NXDOMAIN, "below a leaf: NXDOMAIN");
    ldns_pkt_free(r.pkt);
}

static void test_cname(const struct localzones *lz)
{
    struct reply r;
    ask(lz, "alias.example.com", LDNS_RR_TYPE_A, &r);
    is_str(r.answer, "alias.example.com. 3600 CNAME alias2.example.com.; "
           "alias2.example.com. 3600 CNAME www.example.com.; "
           "www.example.com. 300 A 192.0.2.10", "CNAME chain followed two hops");
    ok(ldns_pkt_aa(r.pkt), "CNAME chain has AA");
    ldns_pkt_free(r.pkt);

    ask(lz, "alias.example.com", LDNS_RR_TYPE_CNAME, &r);
    is_str(r.answer, "alias.example.com. 3600 CNAME alias2.example.com.",
           "qtype CNAME: the CNAME only");
    ldns_pkt_free(r.pkt);

    ask(lz, "out.example.com", LDNS_RR_TYPE_A, &r);
    is_str(r.answer, "out.example.com. 3600 CNAME www.example.net.",
           "CNAME leaving the zone: CNAME only");
    is_int(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR, "CNAME leaving the zone: NOERROR");
    is_str(r.authority, "", "CNAME leaving the zone: no SOA");
    ldns_pkt_free(r.pkt);

    ask(lz, "loop1.example.com", LDNS_RR_TYPE_A, &r);
    is_str(r.answer, "loop1.example.com. 3600 CNAME loop2.example.com.; "
           "loop2.example.com. 3600 CNAME loop1.example.com.", "CNAME loop stops");
    is_int(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR, "CNAME loop: NOERROR");
    ldns_pkt_free(r.pkt);

    ask(lz, "c0.example.com", LDNS_RR_TYPE_A, &r);
    is_int(ldns_rr_list_rr_count(ldns_pkt_answer(r.pkt)), 9,
           "long chain: the CNAME asked for plus 8 hops, then stop");
    ldns_pkt_free(r.pkt);

    ask(lz, "dangling.example.com", LDNS_RR_TYPE_A, &r);
    is_str(r.answer, "dangling.example.com. 3600 CNAME nothere.example.com.",
           "CNAME to a missing name: the CNAME");
    is_int(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NXDOMAIN, "CNAME to a missing name: NXDOMAIN");
    is_str(r.authority, OUTER_SOA_NEG, "CNAME to a missing name: SOA");
    ldns_pkt_free(r.pkt);

    ask(lz, "tosub.example.com", LDNS_RR_TYPE_A, &r);
    is_str(r.answer, "tosub.example.com. 3600 CNAME host.sub.example.com.",
           "CNAME into a delegation: not followed");
    is_str(r.authority, "", "CNAME into a delegation: no referral attached");
    ldns_pkt_free(r.pkt);

    ask(lz, "toinner.example.com", LDNS_RR_TYPE_A, &r);
    is_str(r.answer, "toinner.example.com. 3600 CNAME www.inner.example.com.",
           "CNAME into a nested zone: not answered from the occluded parent data");
    ldns_pkt_free(r.pkt);
}

static void test_wildcard(const struct localzones *lz)
{
    struct reply r;
    ask(lz, "Host.Wild.example.com", LDNS_RR_TYPE_A, &r);
    is_str(r.answer, "Host.Wild.example.com. 3600 A 192.0.2.99",
           "wildcard synthesized with the qname as owner");
    ok(ldns_pkt_aa(r.pkt), "wildcard answer has AA");
    ldns_pkt_free(r.pkt);

    ask(lz, "a.b.wild.example.com", LDNS_RR_TYPE_A, &r);
    is_str(r.answer, "a.b.wild.example.com. 3600 A 192.0.2.99", "wildcard covers two labels");
    ldns_pkt_free(r.pkt);

    ask(lz, "host.wild.example.com", LDNS_RR_TYPE_MX, &r);
    is_int(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR, "wildcard NODATA: NOERROR");
    is_str(r.authority, OUTER_SOA_NEG, "wildcard NODATA: SOA");
    ldns_pkt_free(r.pkt);

    ask(lz, "x.wc.example.com", LDNS_RR_TYPE_A, &r);
    is_str(r.answer, "x.wc.example.com. 3600 CNAME www.example.com.; "
           "www.example.com. 300 A 192.0.2.10", "wildcard CNAME synthesized and followed");
    ldns_pkt_free(r.pkt);
}

static void test_referral(const struct localzones *lz)
{
    struct reply r;
    ask(lz, "host.sub.example.com", LDNS_RR_TYPE_A, &r);
    ok(r.handled, "name below a cut is handled");
    ok(!ldns_pkt_aa(r.pkt), "referral has AA=0");
    is_int(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR, "referral is NOERROR");
    is_str(r.answer, "", "referral: empty answer");
    is_str(r.authority, "sub.example.com. 3600 NS ns.sub.example.com.; "
           "sub.example.com. 3600 NS ns.elsewhere.net.", "referral: NS in authority");
    is_str(r.additional, "ns.sub.example.com. 3600 A 192.0.2.77; "
           "ns.sub.example.com. 3600 AAAA 2001:db8::77", "referral: in-zone glue only");
    ldns_pkt_free(r.pkt);

    ask(lz, "SUB.example.com", LDNS_RR_TYPE_A, &r);
    is_str(r.authority, "SUB.example.com. 3600 NS ns.sub.example.com.; "
           "SUB.example.com. 3600 NS ns.elsewhere.net.",
           "referral at the cut: NS owner keeps the client's case");
    ok(!ldns_pkt_aa(r.pkt), "referral at the cut has AA=0");
    ldns_pkt_free(r.pkt);

    ask(lz, "sub.example.com", LDNS_RR_TYPE_DS, &r);
    ok(ldns_pkt_aa(r.pkt), "DS at the cut is answered by the parent (AA)");
    is_str(r.authority, OUTER_SOA_NEG, "DS at the cut: NODATA");
    ldns_pkt_free(r.pkt);

    ask(lz, "example.com", LDNS_RR_TYPE_NS, &r);
    ok(ldns_pkt_aa(r.pkt), "NS at the apex is not a referral");
    is_str(r.answer, "example.com. 3600 NS ns1.example.com.", "apex NS answer");
    ldns_pkt_free(r.pkt);
}

static void test_scope_and_case(const struct localzones *lz)
{
    struct reply r;
    ask(lz, "www.example.org", LDNS_RR_TYPE_A, &r);
    ok(!r.handled, "name outside every zone: not handled");
    is_int(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_REFUSED, "outside: rcode untouched");
    is_str(r.authority, "", "outside: authority untouched");
    ldns_pkt_free(r.pkt);

    ask(lz, "com", LDNS_RR_TYPE_A, &r);
    ok(!r.handled, "parent of a zone: not handled");
    ldns_pkt_free(r.pkt);

    ask(lz, "www.inner.example.com", LDNS_RR_TYPE_A, &r);
    is_str(r.answer, "www.inner.example.com. 60 A 198.51.100.1", "nested: deepest zone answers");
    ldns_pkt_free(r.pkt);

    ask(lz, "WwW.ExAmPlE.CoM", LDNS_RR_TYPE_A, &r);
    is_str(r.answer, "WwW.ExAmPlE.CoM. 300 A 192.0.2.10", "answer owner keeps the client's case");
    ldns_pkt_free(r.pkt);

    ask(lz, "EXAMPLE.com", LDNS_RR_TYPE_MX, &r);
    is_str(r.authority, "EXAMPLE.com. 300 SOA ns1.example.com. hostmaster.example.com. "
           "1 7200 900 1209600 300", "apex SOA owner keeps the client's case");
    ldns_pkt_free(r.pkt);

    ask(lz, "www.example.com", LDNS_RR_TYPE_A, &r);
    is_str(r.answer, "www.example.com. 300 A 192.0.2.10", "zone data left untouched");
    ldns_pkt_free(r.pkt);

    static const uint8_t below[] = "\003Any\007EXAMPLE\003com", outside[] = "\003org",
                         notexample[] = "\012notexample\003com";
    ok(localzones_cover(lz, below, sizeof below), "cover: a wire name below a zone, any case");
    ok(!localzones_cover(lz, outside, sizeof outside), "cover: outside every zone");
    ok(!localzones_cover(lz, notexample, sizeof notexample), "cover: notexample.com is not below");
    ok(!localzones_cover(lz, below, 0), "cover: an empty name is covered by nothing");
}

static void test_load_errors(struct fixture *fx, struct localzones *lz)
{
    char err[512], want[512];
    const char *path = write_zone(fx, "syntax.zone", SYNTAX_ZONE);
    is_int(localzones_add(lz, "bad.test", path, err, sizeof err), -1, "syntax error fails");
    snprintf(want, sizeof want, "%s:4: %s", path,
             ldns_get_errorstr_by_id(LDNS_STATUS_SYNTAX_RDATA_ERR));
    is_str(err, want, "syntax error names PATH:LINE and the problem");

    path = write_zone(fx, "syntax2.zone", SYNTAX_NO_NEWLINE_ZONE);
    is_int(localzones_add(lz, "bad.test", path, err, sizeof err), -1, "syntax error (no EOL)");
    snprintf(want, sizeof want, "%s:4: %s", path,
             ldns_get_errorstr_by_id(LDNS_STATUS_SYNTAX_RDATA_ERR));
    is_str(err, want, "syntax error on an unterminated last line: PATH:LINE");

    is_int(localzones_add(lz, "dir.test", fx->dir, err, sizeof err), -1, "a directory fails");
    snprintf(want, sizeof want, "%s: Is a directory", fx->dir);
    is_str(err, want, "a directory: PATH and the read error, no hang");

    snprintf(want, sizeof want, "%s/missing.zone", fx->dir);
    is_int(localzones_add(lz, "missing.test", want, err, sizeof err), -1, "missing file fails");
    strcat(want, ": No such file or directory");
    is_str(err, want, "missing file names PATH and strerror");

    path = write_zone(fx, "nosoa.zone", NO_SOA_ZONE);
    is_int(localzones_add(lz, "nosoa.test", path, err, sizeof err), -1, "no SOA fails");
    snprintf(want, sizeof want, "%s: no SOA record at the apex of nosoa.test", path);
    is_str(err, want, "no SOA message");

    path = write_zone(fx, "lowsoa.zone", SOA_BELOW_APEX_ZONE);
    is_int(localzones_add(lz, "low.test", path, err, sizeof err), -1, "SOA below apex fails");
    snprintf(want, sizeof want, "%s: no SOA record at the apex of low.test", path);
    is_str(err, want, "SOA below the apex: no SOA at the apex");

    path = write_zone(fx, "outside.zone", OUTSIDE_ZONE);
    is_int(localzones_add(lz, "out.test", path, err, sizeof err), -1, "out-of-zone RR fails");
    snprintf(want, sizeof want, "%s:4: record 'www.example.org.' is outside zone out.test",
             path);
    is_str(err, want, "out-of-zone message");

    path = fx->paths[0];
    is_int(localzones_add(lz, "EXAMPLE.com.", path, err, sizeof err), -1, "duplicate zone fails");
    snprintf(want, sizeof want, "%s: zone EXAMPLE.com. is already loaded", path);
    is_str(err, want, "duplicate zone message");

    is_int(localzones_count(lz), 2, "failed loads add no zone");
}

int main(void)
{
    struct fixture fx = { .npaths = 0 };
    snprintf(fx.dir, sizeof fx.dir, "/tmp/test_localzone.XXXXXX");
    if (!mkdtemp(fx.dir)) {
        perror("mkdtemp");
        return 2;
    }
    struct localzones *lz = localzones_new();
    ok(lz != NULL, "localzones_new");
    is_int(localzones_count(lz), 0, "a new set is empty");

    char err[512] = "";
    const char *outer = write_zone(&fx, "outer.zone", OUTER_ZONE);
    const char *inner = write_zone(&fx, "inner.zone", INNER_ZONE);
    is_int(localzones_add(lz, "example.com", outer, err, sizeof err), 0, "outer zone loads");
    if (err[0])
        diag("%s", err);
    is_int(localzones_add(lz, "inner.example.com.", inner, err, sizeof err), 0,
           "nested zone loads");
    is_int(localzones_count(lz), 2, "two zones");

    test_positive(lz);
    test_negative(lz);
    test_cname(lz);
    test_wildcard(lz);
    test_referral(lz);
    test_scope_and_case(lz);
    test_load_errors(&fx, lz);

    localzones_free(lz);
    localzones_free(NULL);
    fixture_cleanup(&fx);
    return done_testing();
}
