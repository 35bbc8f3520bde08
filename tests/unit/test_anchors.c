/* test_anchors.c -- unit tests for resolver/anchors.c: the shipped root anchors load, the
 * closest anchor (islands of trust), negative trust anchors, and bad anchor files named by
 * file and line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anchors.h"
#include "dname.h"
#include "tap.h"
#include "ldns_test.h"

static const char *write_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/test_anchors.%d", (int)getpid());
    FILE *fp = fopen(path, "w");
    if (!fp || fputs(text, fp) == EOF || fclose(fp) != 0)
        exit(2);
    return path;
}

static const uint8_t *key(const char *text, size_t *len)
{
    static uint8_t buf[4][WIRE_MAX_NAME];
    static int next;
    uint8_t *k = buf[next++ % 4];
    if (dname_key_from_text(text, k, len) != 0)
        exit(2);
    return k;
}

/* The anchor closest to the name in text (the argument order of C calls is unspecified,
 * so the key is made before it is used). */
static const struct anchor *closest(const struct anchors *a, const char *text)
{
    size_t len;
    const uint8_t *k = key(text, &len);
    return anchors_closest(a, k, len);
}

static bool negative(const struct anchors *a, const char *text)
{
    size_t len;
    const uint8_t *k = key(text, &len);
    return anchors_negative(a, k, len);
}

static void test_root_file(void)
{
    struct anchors a = { 0 };
    char err[256] = "";

    is_int(anchors_load_file(&a, "hints/root.key", err, sizeof err), 0, "hints/root.key loads");
    if (err[0])
        diag("%s", err);
    is_int(a.n_zones, 1, "... one zone: the root");
    const struct anchor *root = closest(&a, "www.example.com");
    ok(root && root->zone_len == 1, "the root anchor covers www.example.com");
    ok(root && ldns_rr_list_rr_count(root->ds) == 2, "... with two DS (KSK-2017, KSK-2024)");
    ok(root && ldns_rr_list_rr_count(root->dnskey) == 2, "... and two DNSKEY");
    uint16_t tags[2] = { 0, 0 };
    for (size_t i = 0; root && i < 2; i++)
        tags[i] = ldns_calc_keytag(ldns_rr_list_rr(root->dnskey, i));
    ok((tags[0] == 20326 && tags[1] == 38696) || (tags[0] == 38696 && tags[1] == 20326),
       "the DNSKEYs are key tags 20326 and 38696 (%u, %u)", tags[0], tags[1]);
    anchors_clear(&a);
    is_int(a.n_zones, 0, "anchors_clear empties the set");
}

static void test_islands(void)
{
    struct anchors a = { 0 };
    char err[256];
    const char *path = write_file(
        "; an island below the root\n"
        "$ORIGIN test.\n"
        "island 3600 IN DS 12345 8 2 ( E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D )\n"
        ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n");

    is_int(anchors_load_file(&a, path, err, sizeof err), 0, "a file with $ORIGIN and parentheses");
    is_int(a.n_zones, 2, "... gives two zones");
    const struct anchor *z = closest(&a, "www.ISLAND.test");
    size_t island_len;
    const uint8_t *island = key("island.test", &island_len);
    ok(z && wire_name_equal(z->zone, z->zone_len, island, island_len),
       "the closest anchor of www.ISLAND.test is island.test (case-insensitive)");
    z = closest(&a, "other.test");
    ok(z && z->zone_len == 1, "other.test falls back to the root anchor");
    z = closest(&a, "notisland.test");
    ok(z && z->zone_len == 1, "notisland.test is not below island.test");
    anchors_clear(&a);
    ok(closest(&a, "www.example") == NULL, "no anchors: none covers a name");
    unlink(path);
}

static void test_negative(void)
{
    struct anchors a = { 0 };
    size_t len;

    ok(!negative(&a, "example.com"), "no negative anchors: none applies");
    const uint8_t *nta = key("broken.example", &len);
    is_int(anchors_add_negative(&a, nta, len), 0, "a negative trust anchor is added");
    ok(negative(&a, "broken.example"), "... applies to its name");
    ok(negative(&a, "a.b.broken.example"), "... and below it");
    ok(!negative(&a, "example"), "... not above it");
    ok(!negative(&a, "unbroken.example"), "... nor to a sibling suffix");
    anchors_clear(&a);
}

static void expect_error(const char *text, const char *want, const char *name)
{
    struct anchors a = { 0 };
    char err[256] = "";
    const char *path = write_file(text);

    is_int(anchors_load_file(&a, path, err, sizeof err), -1, name);
    ok(strstr(err, want) != NULL, "... says \"%s\" (%s)", want, err);
    anchors_clear(&a);
    unlink(path);
}

static void test_errors(void)
{
    char err[256];
    struct anchors a = { 0 };

    expect_error("; comment\n. IN A 192.0.2.1\n", ":2: a trust anchor must be a DS or DNSKEY",
                 "an A record is refused, naming line 2");
    expect_error(". CH DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n",
                 ":1: a trust anchor must be of class IN", "a CH record is refused");
    expect_error("\n\n. IN DS twenty 8 2 00\n", ":3: not a DS or DNSKEY record",
                 "a record ldns cannot read names line 3");
    expect_error(". IN DNSKEY 1 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTO\n",
                 "zone key flag", "a DNSKEY without the zone flag is refused");
    expect_error(". IN DNSKEY 257 2 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTO\n",
                 "protocol 3", "a DNSKEY with protocol 2 is refused");
    expect_error(". IN DNSKEY 385 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTO\n",
                 "revoked", "a revoked DNSKEY is refused");
    is_int(anchors_load_file(&a, "/nonexistent/root.key", err, sizeof err), -1, "a missing file");
    ok(strstr(err, "/nonexistent/root.key: No such file") != NULL, "... is named (%s)", err);
}

int main(void)
{
    test_root_file();
    test_islands();
    test_negative();
    test_errors();
    return done_testing();
}
