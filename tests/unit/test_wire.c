/* test_wire.c -- unit tests for resolver/wire.c: name parsing (compression, loops, limits),
 * name helpers, client query parsing, error replies, reply shaping from stored messages
 * (ID, flags, client's case, OPT, truncation), upstream queries, OPT stripping, response
 * matching, RR parsing, and EDE options added to finished replies. Malformed packets are
 * built by hand; well-formed ones with ldns, which also reads the replies back. */
#include <ldns/ldns.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "wire.h"

#define OUR_EDNS 1232

/* A packet under construction (or a copy of one built by ldns). */
struct buf {
    uint8_t b[4096];
    size_t n;
};

static void put8(struct buf *p, unsigned v) { p->b[p->n++] = (uint8_t)v; }
static void put16(struct buf *p, unsigned v) { wire_put16(p->b + p->n, (uint16_t)v); p->n += 2; }
static void put32(struct buf *p, uint32_t v) { wire_put32(p->b + p->n, v); p->n += 4; }

static void put_bytes(struct buf *p, const void *data, size_t len)
{
    memcpy(p->b + p->n, data, len);
    p->n += len;
}

/* "www.Example.com" (or ".") to an uncompressed wire name; no escapes. Returns its length. */
static size_t name_wire(const char *s, uint8_t *out)
{
    size_t n = 0;

    while (*s && strcmp(s, ".") != 0) {
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        out[n++] = (uint8_t)l;
        memcpy(out + n, s, l);
        n += l;
        s += l + (dot ? 1 : 0);
    }
    out[n++] = 0;
    return n;
}

static void put_name(struct buf *p, const char *s) { p->n += name_wire(s, p->b + p->n); }

static void put_header(struct buf *p, unsigned id, unsigned hi, unsigned lo, unsigned qd,
                       unsigned an, unsigned ns, unsigned ar)
{
    p->n = 0;
    put16(p, id);
    put8(p, hi);
    put8(p, lo);
    put16(p, qd);
    put16(p, an);
    put16(p, ns);
    put16(p, ar);
}

/* An OPT record with a root owner (or `owner` when not NULL) and the given rdata. */
static void put_opt_owner(struct buf *p, const char *owner, unsigned size, unsigned ext_rcode,
                          unsigned version, bool dnssec_ok, const uint8_t *rdata, size_t rdlen)
{
    if (owner)
        put_name(p, owner);
    else
        put8(p, 0);
    put16(p, WIRE_TYPE_OPT);
    put16(p, size);
    put32(p, (uint32_t)ext_rcode << 24 | (uint32_t)version << 16 | (dnssec_ok ? 0x8000u : 0));
    put16(p, (unsigned)rdlen);
    if (rdlen)
        put_bytes(p, rdata, rdlen);
}

static void put_opt(struct buf *p, unsigned size, unsigned version, bool dnssec_ok)
{
    put_opt_owner(p, NULL, size, 0, version, dnssec_ok, NULL, 0);
}

/* A client query: RD as given in hi, one question, and an OPT when edns_size > 0. */
static void make_query(struct buf *p, unsigned id, unsigned hi, const char *qname,
                       unsigned qtype, unsigned edns_size, bool dnssec_ok)
{
    put_header(p, id, hi, 0, 1, 0, 0, edns_size ? 1 : 0);
    put_name(p, qname);
    put16(p, qtype);
    put16(p, WIRE_CLASS_IN);
    if (edns_size)
        put_opt(p, edns_size, 0, dnssec_ok);
}

static void set16(struct buf *p, size_t off, unsigned v) { wire_put16(p->b + off, (uint16_t)v); }

static void push_rrs(ldns_pkt *pkt, ldns_pkt_section section, const char *const *rrs)
{
    for (; rrs && *rrs; rrs++) {
        ldns_rr *rr = NULL;
        if (ldns_rr_new_frm_str(&rr, *rrs, 0, NULL, NULL) != LDNS_STATUS_OK) {
            diag("cannot parse RR: %s", *rrs);
            exit(2);
        }
        ldns_pkt_push_rr(pkt, section, rr);
    }
}

/* A stored response (ID 0, QR, AA, no OPT) to (qname, qtype, qclass) built by ldns. */
static struct buf ldns_response(const char *qname, ldns_rr_type qtype, ldns_rr_class qclass,
                                const char *const *answer, const char *const *authority,
                                const char *const *additional)
{
    struct buf m = { .n = 0 };
    ldns_pkt *pkt = ldns_pkt_query_new(ldns_dname_new_frm_str(qname), qtype, qclass, 0);
    uint8_t *wire = NULL;
    size_t len = 0;

    if (!pkt) {
        diag("ldns_pkt_query_new failed for %s", qname);
        exit(2);
    }
    ldns_pkt_set_id(pkt, 0);
    ldns_pkt_set_qr(pkt, true);
    ldns_pkt_set_aa(pkt, true);
    push_rrs(pkt, LDNS_SECTION_ANSWER, answer);
    push_rrs(pkt, LDNS_SECTION_AUTHORITY, authority);
    push_rrs(pkt, LDNS_SECTION_ADDITIONAL, additional);
    if (ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK || len > sizeof m.b) {
        diag("ldns_pkt2wire failed for %s", qname);
        exit(2);
    }
    memcpy(m.b, wire, len);
    m.n = len;
    free(wire);
    ldns_pkt_free(pkt);
    return m;
}

static ldns_pkt *parse_back(const uint8_t *wire, size_t len)
{
    ldns_pkt *pkt = NULL;
    if (len == 0 || ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
        return NULL;
    return pkt;
}

static ldns_rr *rr_of(const char *s)
{
    ldns_rr *rr = NULL;
    if (ldns_rr_new_frm_str(&rr, s, 0, NULL, NULL) != LDNS_STATUS_OK) {
        diag("cannot parse RR: %s", s);
        exit(2);
    }
    return rr;
}

/* ---- names ----------------------------------------------------------------------------- */

static void test_plain_and_compressed_names(void)
{
    struct buf p;
    uint8_t out[WIRE_MAX_NAME], want[WIRE_MAX_NAME];
    size_t out_len = 0, want_len = name_wire("www.example.com", want);

    put_header(&p, 0, 0, 0, 0, 0, 0, 0);
    put_name(&p, "www.example.com");                    /* 12..28 */
    is_int(wire_skip_name(p.b, p.n, 12), 29, "skip_name: plain name ends after its root");
    is_int(wire_read_name(p.b, p.n, 12, out, &out_len), 29, "read_name: plain name offset");
    ok(out_len == want_len && memcmp(out, want, want_len) == 0, "read_name: plain name bytes");

    /* example.com at 12..24, then "www" + pointer to 12 at 25..30, then a bare pointer to
     * 25 at 31..32 (a chain of two pointers), then a trailing octet. */
    put_header(&p, 0, 0, 0, 0, 0, 0, 0);
    put_name(&p, "example.com");
    put_bytes(&p, "\003www\300\014", 6);
    put_bytes(&p, "\300\031", 2);
    put8(&p, 0xff);
    is_int(wire_skip_name(p.b, p.n, 25), 31, "skip_name: label then pointer -> after pointer");
    out_len = 0;
    is_int(wire_read_name(p.b, p.n, 25, out, &out_len), 31,
           "read_name: offset is after the pointer, not after the target");
    ok(out_len == want_len && memcmp(out, want, want_len) == 0,
       "read_name: compressed name expanded to www.example.com");
    is_int(wire_skip_name(p.b, p.n, 31), 33, "skip_name: bare pointer is two octets");
    out_len = 0;
    is_int(wire_read_name(p.b, p.n, 31, out, &out_len), 33,
           "read_name: pointer to a pointer: offset after the first pointer");
    ok(out_len == want_len && memcmp(out, want, want_len) == 0,
       "read_name: pointer chain expanded to www.example.com");

    /* root name */
    put_header(&p, 0, 0, 0, 0, 0, 0, 0);
    put8(&p, 0);
    out_len = 99;
    is_int(wire_read_name(p.b, p.n, 12, out, &out_len), 13, "read_name: root name");
    is_int(out_len, 1, "read_name: root name is one octet");
}

static void test_pointer_loops(void)
{
    struct buf p;
    uint8_t out[WIRE_MAX_NAME];
    size_t out_len = 0;

    put_header(&p, 0, 0, 0, 0, 0, 0, 0);
    put_bytes(&p, "\300\014", 2);                       /* at 12: pointer to 12 */
    is_int(wire_read_name(p.b, p.n, 12, out, &out_len), 0, "read_name: pointer to itself");

    put_header(&p, 0, 0, 0, 0, 0, 0, 0);
    put_bytes(&p, "\300\016\300\014", 4);               /* 12 -> 14, 14 -> 12 */
    is_int(wire_read_name(p.b, p.n, 12, out, &out_len), 0,
           "read_name: two pointers at each other (entered at the first)");
    is_int(wire_read_name(p.b, p.n, 14, out, &out_len), 0,
           "read_name: two pointers at each other (entered at the second)");

    /* "www" then a pointer forward to a valid "com." */
    put_header(&p, 0, 0, 0, 0, 0, 0, 0);
    put_bytes(&p, "\003www\300\022", 6);                /* 12..17, pointer to 18 */
    put_name(&p, "com");                                /* 18..22 */
    is_int(wire_read_name(p.b, p.n, 12, out, &out_len), 0,
           "read_name: forward pointer to a valid name rejected");

    /* label, then pointer back to that label: a loop that grows the name */
    put_header(&p, 0, 0, 0, 0, 0, 0, 0);
    put_bytes(&p, "\001a\300\014", 4);                  /* 12: "a", 14: pointer to 12 */
    is_int(wire_read_name(p.b, p.n, 12, out, &out_len), 0,
           "read_name: label + pointer back to that label (loop) rejected");

    put_header(&p, 0, 0, 0, 0, 0, 0, 0);
    put_bytes(&p, "\300\377", 2);                       /* target 255, packet is 14 long */
    is_int(wire_read_name(p.b, p.n, 12, out, &out_len), 0, "read_name: pointer past the end");
    put_header(&p, 0, 0, 0, 0, 0, 0, 0);
    put_bytes(&p, "\003www\377\377", 6);                /* target 0x3fff */
    is_int(wire_read_name(p.b, p.n, 12, out, &out_len), 0,
           "read_name: label then pointer far past the end");

    /* a chain of strictly backward pointers ending at the root: short is fine, a very
     * long one exceeds the bound on pointers followed */
    put_header(&p, 0, 0, 0, 0, 0, 0, 0);
    put8(&p, 0);
    size_t prev = 12, fifth = 0;
    for (int i = 0; i < 200; i++) {
        size_t here = p.n;
        put16(&p, 0xc000u | (unsigned)prev);
        prev = here;
        if (i == 4)
            fifth = here;
    }
    out_len = 0;
    is_int(wire_read_name(p.b, p.n, fifth, out, &out_len), fifth + 2,
           "read_name: chain of 5 backward pointers followed");
    is_int(out_len, 1, "read_name: chain of 5 pointers gives the root");
    is_int(wire_read_name(p.b, p.n, prev, out, &out_len), 0,
           "read_name: chain of 200 pointers rejected (bounded)");

    put_header(&p, 0, 0, 0, 0, 0, 0, 0);
    put8(&p, 0xc0);                                     /* pointer cut in half */
    is_int(wire_skip_name(p.b, p.n, 12), 0, "skip_name: truncated pointer");
    is_int(wire_read_name(p.b, p.n, 12, out, &out_len), 0, "read_name: truncated pointer");
}

static void test_bad_labels(void)
{
    struct buf p;
    uint8_t out[WIRE_MAX_NAME];
    size_t out_len = 0;

    /* 0x40 (extended label) and 0x80 (reserved), each followed by as many octets as the
     * octet read as a length would cover and a root label: only the label type makes
     * them invalid. */
    const unsigned types[] = { 0x40, 0x41, 0x80, 0xbf };
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        put_header(&p, 0, 0, 0, 0, 0, 0, 0);
        put8(&p, types[t]);
        memset(p.b + p.n, 'a', types[t]);
        p.n += types[t];
        put8(&p, 0);
        ok(wire_skip_name(p.b, p.n, 12) == 0, "skip_name: label type 0x%02x rejected", types[t]);
        ok(wire_read_name(p.b, p.n, 12, out, &out_len) == 0,
           "read_name: label type 0x%02x rejected", types[t]);
    }
    /* 63 is the largest label */
    put_header(&p, 0, 0, 0, 0, 0, 0, 0);
    put8(&p, 63);
    memset(p.b + p.n, 'a', 63);
    p.n += 63;
    put8(&p, 0);
    is_int(wire_skip_name(p.b, p.n, 12), 12 + 65, "skip_name: 63-octet label accepted");
    is_int(wire_read_name(p.b, p.n, 12, out, &out_len), 12 + 65,
           "read_name: 63-octet label accepted");
}

/* A name of exactly `total` octets (root included) made of labels of at most 63. */
static void put_long_name(struct buf *p, size_t total)
{
    size_t left = total - 1;
    while (left > 0) {
        size_t l = left - 1 > 63 ? 63 : left - 1;
        if (left - (l + 1) == 1)                        /* no room for a 0-octet label */
            l--;
        put8(p, (unsigned)l);
        memset(p->b + p->n, 'x', l);
        p->n += l;
        left -= l + 1;
    }
    put8(p, 0);
}

static void test_long_names(void)
{
    struct buf p;
    uint8_t out[WIRE_MAX_NAME];
    size_t out_len = 0;

    put_header(&p, 0, 0, 0, 0, 0, 0, 0);
    put_long_name(&p, 255);
    is_int(p.n, 12 + 255, "(a 255-octet name was built)");
    is_int(wire_skip_name(p.b, p.n, 12), 12 + 255, "skip_name: 255-octet name accepted");
    is_int(wire_read_name(p.b, p.n, 12, out, &out_len), 12 + 255,
           "read_name: 255-octet name accepted");
    is_int(out_len, 255, "read_name: 255-octet name length");

    put_header(&p, 0, 0, 0, 0, 0, 0, 0);
    put_long_name(&p, 256);
    is_int(p.n, 12 + 256, "(a 256-octet name was built)");
    is_int(wire_skip_name(p.b, p.n, 12), 0, "skip_name: 256-octet name rejected");
    is_int(wire_read_name(p.b, p.n, 12, out, &out_len), 0, "read_name: 256-octet name rejected");

    /* 193 octets at 12, then a 62-octet label + pointer to it: 63 + 193 = 256 expanded */
    put_header(&p, 0, 0, 0, 0, 0, 0, 0);
    put_long_name(&p, 193);
    size_t second = p.n;
    put8(&p, 62);
    memset(p.b + p.n, 'y', 62);
    p.n += 62;
    put_bytes(&p, "\300\014", 2);
    is_int(wire_read_name(p.b, p.n, second, out, &out_len), 0,
           "read_name: name over 255 octets only once expanded rejected");
    /* and 61 + pointer: 62 + 193 = 255 is fine */
    p.n = second;
    put8(&p, 61);
    memset(p.b + p.n, 'y', 61);
    p.n += 61;
    put_bytes(&p, "\300\014", 2);
    is_int(wire_read_name(p.b, p.n, second, out, &out_len), (long long)p.n,
           "read_name: 255 octets once expanded accepted");
    is_int(out_len, 255, "read_name: expanded length 255");
}

static void test_truncated_names(void)
{
    struct buf p;
    uint8_t out[WIRE_MAX_NAME];
    size_t out_len = 0;

    put_header(&p, 0, 0, 0, 0, 0, 0, 0);
    put_bytes(&p, "\003www\007exa", 8);                 /* label runs past the end */
    is_int(wire_skip_name(p.b, p.n, 12), 0, "skip_name: label past the end");
    is_int(wire_read_name(p.b, p.n, 12, out, &out_len), 0, "read_name: label past the end");

    put_header(&p, 0, 0, 0, 0, 0, 0, 0);
    put_bytes(&p, "\003www\003com", 8);                 /* no root label */
    is_int(wire_skip_name(p.b, p.n, 12), 0, "skip_name: missing root label");
    is_int(wire_read_name(p.b, p.n, 12, out, &out_len), 0, "read_name: missing root label");

    put_header(&p, 0, 0, 0, 0, 0, 0, 0);
    is_int(wire_skip_name(p.b, p.n, 12), 0, "skip_name: pos at the end");
    is_int(wire_read_name(p.b, p.n, 12, out, &out_len), 0, "read_name: pos at the end");

    /* a pointer to a name that is itself truncated */
    put_header(&p, 0, 0, 0, 0, 0, 0, 0);
    put_bytes(&p, "\003com", 4);                        /* 12..15, no root */
    put_bytes(&p, "\300\014", 2);
    is_int(wire_read_name(p.b, p.n - 2, 16, out, &out_len), 0,
           "read_name: pointer outside the given length");
}

static void test_name_helpers(void)
{
    uint8_t a[WIRE_MAX_NAME], b[WIRE_MAX_NAME], want[WIRE_MAX_NAME];
    size_t alen = name_wire("WwW.ExAmPlE.COM", a);
    size_t blen = name_wire("www.example.com", b);

    name_wire("www.example.com", want);
    ok(wire_name_equal(a, alen, b, blen), "name_equal: case-insensitive");
    ok(wire_name_hash(a, alen) == wire_name_hash(b, blen), "name_hash: case-insensitive");
    wire_name_lower(a, alen);
    ok(alen == blen && memcmp(a, want, alen) == 0, "name_lower: lower-cases letters");

    blen = name_wire("www.example.org", b);
    ok(!wire_name_equal(a, alen, b, blen), "name_equal: different names");
    ok(wire_name_hash(a, alen) != wire_name_hash(b, blen), "name_hash: different names differ");
    blen = name_wire("www.example.co", b);
    ok(!wire_name_equal(a, alen, b, blen), "name_equal: different lengths");

    /* only A-Z fold: '@' (0x40) vs '`' (0x60), '[' vs '{' differ by 0x20 but are not letters */
    uint8_t x[WIRE_MAX_NAME], y[WIRE_MAX_NAME];
    size_t xlen = name_wire("a@[Z", x), ylen = name_wire("a`{z", y);
    ok(!wire_name_equal(x, xlen, y, ylen), "name_equal: '@'/'[' are not folded to '`'/'{'");
    ok(wire_name_hash(x, xlen) != wire_name_hash(y, ylen), "name_hash: '@'/'[' not folded");
    wire_name_lower(x, xlen);
    ok(memcmp(x, "\004a@[z\000", 6) == 0, "name_lower: only ASCII letters change");
    uint8_t hi[] = { 2, 0xc1, 0xda, 0 }, hi_lc[] = { 2, 0xe1, 0xfa, 0 };
    ok(!wire_name_equal(hi, sizeof hi, hi_lc, sizeof hi_lc), "name_equal: octets >127 not folded");
    wire_name_lower(hi, sizeof hi);
    ok(hi[1] == 0xc1 && hi[2] == 0xda, "name_lower: octets >127 unchanged");

    uint8_t root = 0;
    ok(wire_name_hash(&root, 1) == ((0xcbf29ce484222325ULL ^ 0) * 0x100000001b3ULL),
       "name_hash: FNV-1a of the root name");
}

static void test_name_at_or_below(void)
{
    static const uint8_t zone[] = "\007example\003com";         /* + the terminating 0 */
    static const uint8_t name[] = "\003www\007example\003com";
    static const uint8_t other[] = "\012notexample\003com";
    static const uint8_t dotted[] = "\013www.example\003com";  /* one label "www.example" */
    static const uint8_t bad[] = "\077ab";                     /* a label past the end */

    ok(wire_name_at_or_below(zone, sizeof zone, zone, sizeof zone), "at_or_below: the zone itself");
    ok(wire_name_at_or_below(name, sizeof name, zone, sizeof zone), "at_or_below: a name below");
    ok(!wire_name_at_or_below(zone, sizeof zone, name, sizeof name), "at_or_below: not above");
    ok(!wire_name_at_or_below(other, sizeof other, zone, sizeof zone),
       "at_or_below: notexample.com is not below example.com");
    ok(wire_name_at_or_below(dotted, sizeof dotted, zone + 8, sizeof zone - 8),
       "at_or_below: www.example (one label) is below com");
    ok(!wire_name_at_or_below(dotted, sizeof dotted, zone, sizeof zone),
       "at_or_below: www\\.example.com is not below example.com");
    ok(wire_name_at_or_below(name, sizeof name, (const uint8_t *)"", 1), "at_or_below: root holds all");
    ok(!wire_name_at_or_below(bad, sizeof bad, (const uint8_t *)"", 1),
       "at_or_below: a label running past the end matches nothing");
}

static void test_name_to_str(void)
{
    char s[1100];
    uint8_t n[WIRE_MAX_NAME];
    size_t len;

    is_str(wire_name_to_str((const uint8_t *)"", 1, s, sizeof s), ".", "name_to_str: root");
    len = name_wire("www.Example.com", n);
    is_str(wire_name_to_str(n, len, s, sizeof s), "www.Example.com.", "name_to_str: normal");
    const uint8_t dot[] = "\003a.b\007example";
    is_str(wire_name_to_str(dot, sizeof dot, s, sizeof s), "a\\046b.example.",
           "name_to_str: '.' in a label escaped");
    const uint8_t ctl[] = "\003a\001\177\002\\ ";
    is_str(wire_name_to_str(ctl, sizeof ctl, s, sizeof s), "a\\001\\127.\\092\\032.",
           "name_to_str: non-printable, backslash and space escaped");
    const uint8_t high[] = "\001\377";
    is_str(wire_name_to_str(high, sizeof high, s, sizeof s), "\\255.",
           "name_to_str: octet 255 escaped");

    /* a 255-octet name of all escapes fits in WIRE_MAX_NAME * 4 + 2 */
    uint8_t big[WIRE_MAX_NAME];
    size_t o = 0;
    for (int l = 0; l < 4; l++) {
        size_t ll = l < 3 ? 63 : 61;
        big[o++] = (uint8_t)ll;
        memset(big + o, 1, ll);
        o += ll;
    }
    big[o++] = 0;
    char bigs[WIRE_MAX_NAME * 4 + 2];
    wire_name_to_str(big, o, bigs, sizeof bigs);
    is_int(strlen(bigs), 250 * 4 + 4, "name_to_str: 255-octet name of escapes in full");

    /* a short buffer: the output is a NUL-terminated prefix of the full form and never
     * shows another name */
    char small[6];
    wire_name_to_str(n, len, small, sizeof small);
    is_str(small, "www.E", "name_to_str: cut to the buffer (plain name)");
    const uint8_t dot2[] = "\003a.b\003cde";
    char full[64], cut[5];
    wire_name_to_str(dot2, sizeof dot2, full, sizeof full);
    wire_name_to_str(dot2, sizeof dot2, cut, sizeof cut);
    ok(strncmp(full, cut, strlen(cut)) == 0,
       "name_to_str: cut inside an escape gives a prefix of \"%s\" (got \"%s\")", full, cut);
}

/* ---- client queries ----------------------------------------------------------------------- */

static void test_parse_query_ok(void)
{
    struct buf p;
    struct wire_query q;
    uint8_t sent[WIRE_MAX_NAME], lc[WIRE_MAX_NAME];
    size_t sent_len = name_wire("wWw.ExAmple.COM", sent);
    name_wire("www.example.com", lc);

    make_query(&p, 0x1234, 0x01, "wWw.ExAmple.COM", WIRE_TYPE_AAAA, 0, false);
    memset(&q, 0xa5, sizeof q);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_OK, "parse_query: plain query OK");
    is_int(q.id, 0x1234, "parse_query: id");
    is_int(q.flags_hi, 0x01, "parse_query: flags_hi as received");
    is_int(q.flags_lo, 0x00, "parse_query: flags_lo as received");
    is_int(q.qtype, WIRE_TYPE_AAAA, "parse_query: qtype");
    is_int(q.qclass, WIRE_CLASS_IN, "parse_query: qclass");
    is_int(q.qname_len, sent_len, "parse_query: qname_len");
    ok(memcmp(q.qname, sent, sent_len) == 0, "parse_query: qname kept as sent (mixed case)");
    ok(memcmp(q.qname_lc, lc, sent_len) == 0, "parse_query: qname_lc lower-cased");
    ok(q.qname_hash == wire_name_hash(lc, sent_len), "parse_query: qname_hash of the name");
    is_int(q.question_end, p.n, "parse_query: question_end after the question");
    ok(!q.has_edns, "parse_query: no EDNS");
    is_int(q.edns_size, 512, "parse_query: edns_size 512 without EDNS");
    ok(!q.edns_do, "parse_query: no DO without EDNS");

    make_query(&p, 0x4321, 0x00, "example.com", WIRE_TYPE_A, 4096, true);
    memset(&q, 0xa5, sizeof q);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_OK, "parse_query: EDNS query OK");
    ok(q.has_edns, "parse_query: has_edns");
    is_int(q.edns_size, 4096, "parse_query: edns_size 4096");
    ok(q.edns_do, "parse_query: DO bit");
    is_int(q.question_end, p.n - 11, "parse_query: question_end before the OPT");

    make_query(&p, 1, 0x01, "example.com", WIRE_TYPE_A, 1232, false);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_OK, "parse_query: EDNS without DO OK");
    ok(q.has_edns && !q.edns_do, "parse_query: EDNS without DO bit");
    is_int(q.edns_size, 1232, "parse_query: edns_size 1232");

    make_query(&p, 1, 0x01, "example.com", WIRE_TYPE_A, 100, false);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_OK, "parse_query: EDNS size 100 OK");
    is_int(q.edns_size, 512, "parse_query: EDNS size below 512 treated as 512");

    /* an EDNS option that exactly fills the rdata (a client cookie) */
    make_query(&p, 1, 0x01, "example.com", WIRE_TYPE_A, 0, false);
    set16(&p, 10, 1);
    const uint8_t cookie[] = { 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 };
    put_opt_owner(&p, NULL, 1232, 0, 0, false, cookie, sizeof cookie);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_OK, "parse_query: well-formed option OK");

    /* root query */
    make_query(&p, 7, 0x01, ".", WIRE_TYPE_NS, 0, false);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_OK, "parse_query: root question OK");
    is_int(q.qname_len, 1, "parse_query: root qname_len 1");
}

static void test_parse_query_errors(void)
{
    struct buf p;
    struct wire_query q;

    make_query(&p, 1, 0x81, "example.com", WIRE_TYPE_A, 0, false);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_DROP, "parse_query: QR=1 dropped");
    make_query(&p, 1, 0x01, "example.com", WIRE_TYPE_A, 0, false);
    is_int(wire_parse_query(p.b, 11, &q), WIRE_QUERY_DROP, "parse_query: 11 octets dropped");
    is_int(wire_parse_query(p.b, 0, &q), WIRE_QUERY_DROP, "parse_query: 0 octets dropped");

    put_header(&p, 0x55aa, 0x01, 0, 0, 0, 0, 0);
    memset(&q, 0xa5, sizeof q);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_FORMERR, "parse_query: QDCOUNT 0 FORMERR");
    is_int(q.id, 0x55aa, "parse_query: FORMERR still fills the id");
    is_int(q.question_end, 0, "parse_query: QDCOUNT 0 leaves question_end 0");

    make_query(&p, 1, 0x01, "example.com", WIRE_TYPE_A, 0, false);
    set16(&p, 4, 2);
    put_name(&p, "example.org");
    put16(&p, WIRE_TYPE_A);
    put16(&p, WIRE_CLASS_IN);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_FORMERR, "parse_query: QDCOUNT 2 FORMERR");

    make_query(&p, 0x0bad, 2 << 3, "example.com", WIRE_TYPE_A, 0, false);
    memset(&q, 0xa5, sizeof q);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_NOTIMP, "parse_query: opcode 2 NOTIMP");
    is_int(q.id, 0x0bad, "parse_query: NOTIMP fills the id");
    is_int(q.flags_hi, 2 << 3, "parse_query: NOTIMP fills flags_hi");

    make_query(&p, 9, 0x01, "example.com", WIRE_TYPE_A, 0, false);
    set16(&p, 10, 1);
    put_opt(&p, 1232, 1, true);
    memset(&q, 0xa5, sizeof q);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_BADVERS, "parse_query: EDNS version 1");
    ok(q.has_edns && q.edns_do, "parse_query: BADVERS keeps has_edns and DO for the reply");
    ok(q.question_end != 0, "parse_query: BADVERS keeps the question");

    make_query(&p, 1, 0x01, "example.com", WIRE_TYPE_A, 1232, false);
    set16(&p, 10, 2);
    put_opt(&p, 1232, 0, false);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_FORMERR, "parse_query: two OPT FORMERR");

    make_query(&p, 1, 0x01, "example.com", WIRE_TYPE_A, 0, false);
    set16(&p, 10, 1);
    put_opt_owner(&p, "example.com", 1232, 0, 0, false, NULL, 0);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_FORMERR,
           "parse_query: OPT with non-root owner FORMERR");

    make_query(&p, 1, 0x01, "example.com", WIRE_TYPE_A, 0, false);
    set16(&p, 10, 1);
    const uint8_t long_opt[] = { 0, 10, 0, 8, 1, 2, 3, 4 };   /* says 8, has 4 */
    put_opt_owner(&p, NULL, 1232, 0, 0, false, long_opt, sizeof long_opt);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_FORMERR,
           "parse_query: option length past the rdata FORMERR");

    make_query(&p, 1, 0x01, "example.com", WIRE_TYPE_A, 0, false);
    set16(&p, 10, 1);
    const uint8_t short_opt[] = { 0, 10, 0 };                 /* half an option header */
    put_opt_owner(&p, NULL, 1232, 0, 0, false, short_opt, sizeof short_opt);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_FORMERR,
           "parse_query: partial option header FORMERR");

    make_query(&p, 1, 0x01, "example.com", WIRE_TYPE_A, 0, false);
    set16(&p, 10, 1);
    put_opt(&p, 1232, 0, false);
    p.n -= 1;                                                   /* OPT cut short */
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_FORMERR,
           "parse_query: truncated OPT FORMERR");

    /* OPT in the answer section */
    make_query(&p, 1, 0x01, "example.com", WIRE_TYPE_A, 0, false);
    set16(&p, 6, 1);
    put_opt(&p, 1232, 0, false);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_FORMERR,
           "parse_query: OPT outside the additional section FORMERR");

    /* question "www" + pointer to "example.com" placed in the header area is not allowed;
     * so is any pointer at all in the question */
    put_header(&p, 1, 0x01, 0, 1, 0, 0, 0);
    put_bytes(&p, "\003www\300\014", 6);
    put16(&p, WIRE_TYPE_A);
    put16(&p, WIRE_CLASS_IN);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_FORMERR,
           "parse_query: compressed question name FORMERR");
    /* the same, padded so that 0xc0 read as a length would still give a whole question */
    put_header(&p, 1, 0x01, 0, 1, 0, 0, 0);
    put_bytes(&p, "\003www\300\014", 6);
    memset(p.b + p.n, 'a', 191);
    p.n += 191;
    put8(&p, 0);
    put16(&p, WIRE_TYPE_A);
    put16(&p, WIRE_CLASS_IN);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_FORMERR,
           "parse_query: compressed question name (padded) FORMERR");

    make_query(&p, 1, 0x01, "example.com", WIRE_TYPE_A, 0, false);
    is_int(wire_parse_query(p.b, p.n - 1, &q), WIRE_QUERY_FORMERR,
           "parse_query: question cut in QCLASS FORMERR");
    is_int(wire_parse_query(p.b, 12 + 5, &q), WIRE_QUERY_FORMERR,
           "parse_query: question cut in the name FORMERR");

    put_header(&p, 1, 0x01, 0, 1, 0, 0, 0);
    put_long_name(&p, 256);
    put16(&p, WIRE_TYPE_A);
    put16(&p, WIRE_CLASS_IN);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_FORMERR,
           "parse_query: 256-octet question name FORMERR");

    make_query(&p, 1, 0x01, "example.com", WIRE_TYPE_A, 0, false);
    set16(&p, 10, 1);                                           /* ARCOUNT says 1, no RR */
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_FORMERR,
           "parse_query: missing additional RR FORMERR");
}

/* ---- error replies ------------------------------------------------------------------- */

static void test_build_error(void)
{
    struct buf p;
    struct wire_query q;
    uint8_t out[600];
    size_t len;
    uint8_t sent[WIRE_MAX_NAME];
    size_t sent_len = name_wire("Www.Example.Com", sent);

    /* RD, EDNS with DO, SERVFAIL */
    make_query(&p, 0xabcd, 0x01, "Www.Example.Com", WIRE_TYPE_A, 4096, true);
    wire_parse_query(p.b, p.n, &q);
    len = wire_build_error(&q, WIRE_RCODE_SERVFAIL, OUR_EDNS, out, sizeof out);
    is_int(len, 12 + sent_len + 4 + 11, "build_error: header + question + OPT");
    is_int(WIRE_ID(out), 0xabcd, "build_error: id");
    ok(WIRE_QR(out), "build_error: QR set");
    ok(WIRE_RD(out), "build_error: RD echoed");
    ok(out[3] & 0x80, "build_error: RA set");
    ok(!WIRE_AA(out) && !WIRE_TC(out), "build_error: AA and TC clear");
    is_int(WIRE_RCODE(out), WIRE_RCODE_SERVFAIL, "build_error: rcode SERVFAIL");
    is_int(WIRE_QDCOUNT(out), 1, "build_error: QDCOUNT 1");
    is_int(WIRE_ANCOUNT(out) + WIRE_NSCOUNT(out), 0, "build_error: no answer/authority");
    is_int(WIRE_ARCOUNT(out), 1, "build_error: ARCOUNT 1 (OPT)");
    ok(memcmp(out + 12, sent, sent_len) == 0, "build_error: question name as the client sent it");
    is_int(wire_get16(out + 12 + sent_len), WIRE_TYPE_A, "build_error: qtype copied");
    is_int(wire_get16(out + 12 + sent_len + 2), WIRE_CLASS_IN, "build_error: qclass copied");
    ldns_pkt *pkt = parse_back(out, len);
    ok(pkt != NULL, "build_error: ldns parses the reply");
    if (pkt) {
        is_int(ldns_pkt_edns_udp_size(pkt), OUR_EDNS, "build_error: OPT carries our size");
        ok(ldns_pkt_edns_do(pkt), "build_error: DO echoed");
        is_int(ldns_pkt_get_rcode(pkt), LDNS_RCODE_SERVFAIL, "build_error: ldns sees SERVFAIL");
        ldns_pkt_free(pkt);
    }

    /* no RD, no EDNS, REFUSED */
    make_query(&p, 0x0102, 0x00, "example.com", WIRE_TYPE_AAAA, 0, false);
    wire_parse_query(p.b, p.n, &q);
    len = wire_build_error(&q, WIRE_RCODE_REFUSED, OUR_EDNS, out, sizeof out);
    is_int(len, p.n, "build_error: without EDNS, header + question only");
    ok(!WIRE_RD(out), "build_error: RD clear when the query had none");
    ok(WIRE_QR(out) && (out[3] & 0x80), "build_error: QR and RA set");
    is_int(WIRE_RCODE(out), WIRE_RCODE_REFUSED, "build_error: rcode REFUSED");
    is_int(WIRE_ARCOUNT(out), 0, "build_error: no OPT without EDNS");
    ok(memcmp(out + 12, p.b + 12, p.n - 12) == 0, "build_error: question copied");

    /* opcode kept for NOTIMP */
    make_query(&p, 3, (2 << 3) | 0x01, "example.com", WIRE_TYPE_A, 0, false);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_NOTIMP, "(opcode 2 query)");
    len = wire_build_error(&q, WIRE_RCODE_NOTIMP, OUR_EDNS, out, sizeof out);
    is_int(WIRE_OPCODE(out), 2, "build_error: opcode echoed");
    is_int(WIRE_RCODE(out), WIRE_RCODE_NOTIMP, "build_error: rcode NOTIMP");

    /* BADVERS */
    make_query(&p, 0x7777, 0x01, "example.com", WIRE_TYPE_A, 0, false);
    set16(&p, 10, 1);
    put_opt(&p, 4096, 1, false);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_BADVERS, "(EDNS version 1 query)");
    len = wire_build_error(&q, 16, OUR_EDNS, out, sizeof out);
    is_int(len, 12 + 13 + 4 + 11, "build_error: BADVERS has header + question + OPT");
    is_int(WIRE_RCODE(out), 0, "build_error: BADVERS header rcode 0");
    is_int(WIRE_ARCOUNT(out), 1, "build_error: BADVERS ARCOUNT 1");
    const uint8_t *opt = out + len - 11;
    ok(opt[0] == 0 && wire_get16(opt + 1) == WIRE_TYPE_OPT, "build_error: BADVERS OPT last");
    is_int(opt[5], 1, "build_error: BADVERS extended rcode 1 in the OPT");
    is_int(opt[6], 0, "build_error: reply OPT version 0");
    pkt = parse_back(out, len);
    ok(pkt && ldns_pkt_edns_extended_rcode(pkt) == 1, "build_error: ldns sees extended rcode 1");
    ldns_pkt_free(pkt);

    /* no question parsed */
    put_header(&p, 0x0909, 0x01, 0, 0, 0, 0, 0);
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_FORMERR, "(QDCOUNT 0 query)");
    len = wire_build_error(&q, WIRE_RCODE_FORMERR, OUR_EDNS, out, sizeof out);
    is_int(len, 12, "build_error: without a question, header only");
    is_int(WIRE_QDCOUNT(out), 0, "build_error: QDCOUNT 0 without a question");
    is_int(WIRE_RCODE(out), WIRE_RCODE_FORMERR, "build_error: rcode FORMERR");

    /* too small */
    make_query(&p, 1, 0x01, "example.com", WIRE_TYPE_A, 1232, false);
    wire_parse_query(p.b, p.n, &q);
    is_int(wire_build_error(&q, 2, OUR_EDNS, out, 20), 0, "build_error: cap below question");
    is_int(wire_build_error(&q, 2, OUR_EDNS, out, 12 + 13 + 4 + 10), 0,
           "build_error: cap one short of the OPT");
    is_int(wire_build_error(&q, 2, OUR_EDNS, out, 12 + 13 + 4 + 11), 12 + 13 + 4 + 11,
           "build_error: cap exactly enough");
}

/* ---- replies from stored messages ----------------------------------------------------- */

static const char *const answer_a[] = { "www.example.com. 300 IN A 192.0.2.1",
                                        "www.example.com. 300 IN A 192.0.2.2", NULL };
static const char *const authority_ns[] = { "example.com. 3600 IN NS ns1.example.com.", NULL };
static const char *const additional_glue[] = { "ns1.example.com. 3600 IN A 192.0.2.53", NULL };

static void test_finish_reply(void)
{
    struct buf body = ldns_response("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
                                    answer_a, authority_ns, additional_glue);
    struct buf p;
    struct wire_query q;
    uint8_t out[WIRE_MAX_UDP];
    size_t len;

    make_query(&p, 0xbeef, 0x01, "wWw.ExAmPle.cOm", WIRE_TYPE_A, 0, false);
    p.b[3] = 0x10;                                      /* CD */
    is_int(wire_parse_query(p.b, p.n, &q), WIRE_QUERY_OK, "(mixed-case query)");
    len = wire_finish_reply(&q, body.b, body.n, OUR_EDNS, 512, out, sizeof out);
    is_int(len, body.n, "finish_reply: same length as the body without EDNS");
    is_int(WIRE_ID(out), 0xbeef, "finish_reply: the query's ID");
    ok(WIRE_QR(out), "finish_reply: QR set");
    ok(out[3] & 0x80, "finish_reply: RA set");
    ok(WIRE_RD(out), "finish_reply: RD from the query");
    ok(WIRE_CD(out), "finish_reply: CD from the query");
    ok(WIRE_AA(out), "finish_reply: AA kept from the body");
    ok(!WIRE_TC(out), "finish_reply: TC clear");
    is_int(WIRE_RCODE(out), 0, "finish_reply: rcode from the body");
    ok(memcmp(out + 12, q.qname, q.qname_len) == 0, "finish_reply: question in the client's case");
    ok(memcmp(out + 12 + q.qname_len, body.b + 12 + q.qname_len, body.n - 12 - q.qname_len) == 0,
       "finish_reply: everything after the question name unchanged");
    ldns_pkt *stored = parse_back(body.b, body.n), *reply = parse_back(out, len);
    ok(reply != NULL, "finish_reply: ldns parses the reply");
    if (stored && reply) {
        ok(ldns_rr_list_compare(ldns_pkt_answer(stored), ldns_pkt_answer(reply)) == 0,
           "finish_reply: answer section intact");
        ok(ldns_rr_list_compare(ldns_pkt_authority(stored), ldns_pkt_authority(reply)) == 0,
           "finish_reply: authority section intact");
        ok(ldns_rr_list_compare(ldns_pkt_additional(stored), ldns_pkt_additional(reply)) == 0,
           "finish_reply: additional section intact");
        ldns_rr *want = rr_of("www.example.com. 300 IN A 192.0.2.1");
        ok(ldns_pkt_ancount(reply) == 2 &&
           ldns_rr_compare(ldns_rr_list_rr(ldns_pkt_answer(reply), 0), want) == 0,
           "finish_reply: first answer is www.example.com A 192.0.2.1");
        ldns_rr_free(want);
    }
    ldns_pkt_free(reply);

    /* no RD, no CD in the query; the stored body has AD and TC set, which must not leak */
    struct buf body2 = body;
    body2.b[2] |= 0x03;                                 /* TC, RD */
    body2.b[3] |= 0x20 | 0x10;                          /* AD, CD */
    make_query(&p, 0x0001, 0x00, "www.example.com", WIRE_TYPE_A, 0, false);
    wire_parse_query(p.b, p.n, &q);
    len = wire_finish_reply(&q, body2.b, body2.n, OUR_EDNS, 512, out, sizeof out);
    is_int(len, body2.n, "finish_reply: (no RD query) length");
    ok(!WIRE_RD(out), "finish_reply: RD clear when the query had none");
    ok(!WIRE_CD(out), "finish_reply: CD clear when the query had none");
    ok(!WIRE_TC(out), "finish_reply: TC of the body not copied");
    ok(!(out[3] & 0x20), "finish_reply: no AD for a client without DO or AD");

    /* EDNS with DO */
    make_query(&p, 0x2222, 0x01, "WWW.example.com", WIRE_TYPE_A, 4096, true);
    wire_parse_query(p.b, p.n, &q);
    len = wire_finish_reply(&q, body.b, body.n, OUR_EDNS, wire_udp_limit(&q, OUR_EDNS),
                            out, sizeof out);
    is_int(len, body.n + 11, "finish_reply: EDNS appends an 11-octet OPT");
    is_int(WIRE_ARCOUNT(out), WIRE_ARCOUNT(body.b) + 1, "finish_reply: ARCOUNT + 1");
    is_int(WIRE_ANCOUNT(out), WIRE_ANCOUNT(body.b), "finish_reply: ANCOUNT kept with EDNS");
    reply = parse_back(out, len);
    ok(reply != NULL, "finish_reply: ldns parses the EDNS reply");
    if (reply) {
        ok(ldns_pkt_edns_do(reply), "finish_reply: DO echoed");
        is_int(ldns_pkt_edns_udp_size(reply), OUR_EDNS, "finish_reply: OPT has our size");
        ok(ldns_rr_list_compare(ldns_pkt_answer(stored), ldns_pkt_answer(reply)) == 0,
           "finish_reply: answer intact with EDNS");
        ok(ldns_rr_list_compare(ldns_pkt_additional(stored), ldns_pkt_additional(reply)) == 0,
           "finish_reply: additional intact, OPT not in it");
        ldns_pkt_free(reply);
    }
    make_query(&p, 0x2223, 0x01, "WWW.example.com", WIRE_TYPE_A, 4096, false);
    wire_parse_query(p.b, p.n, &q);
    len = wire_finish_reply(&q, body.b, body.n, OUR_EDNS, 4096, out, sizeof out);
    reply = parse_back(out, len);
    ok(reply && !ldns_pkt_edns_do(reply) && ldns_pkt_edns(reply),
       "finish_reply: EDNS without DO: OPT present, DO clear");
    ldns_pkt_free(reply);
    ldns_pkt_free(stored);
}

/* AD (RFC 6840 5.7): set when the stored answer has it (the validator proved it secure)
 * and the client set DO or AD; never otherwise. CD is echoed whatever AD does. */
static void test_finish_reply_ad(void)
{
    struct buf body = ldns_response("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
                                    answer_a, NULL, NULL);
    struct buf secure = body;
    struct buf p;
    struct wire_query q;
    uint8_t out[WIRE_MAX_UDP];
    static const struct { unsigned lo; unsigned edns; bool dnssec_ok; bool secure, ad; const char *what; } cases[] = {
        { 0x00, 0, false, true, false, "secure, plain query: no AD" },
        { 0x20, 0, false, true, true, "secure, query with AD: AD" },
        { 0x00, 1232, true, true, true, "secure, query with DO: AD" },
        { 0x00, 1232, false, true, false, "secure, EDNS without DO or AD: no AD" },
        { 0x30, 0, false, true, true, "secure, AD and CD: AD, CD echoed" },
        { 0x20, 1232, true, false, false, "insecure (no AD stored), DO and AD: no AD" },
    };

    secure.b[3] |= 0x20;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        make_query(&p, 0x4242, 0x01, "www.example.com", WIRE_TYPE_A, cases[i].edns,
                   cases[i].dnssec_ok);
        p.b[3] = (uint8_t)cases[i].lo;
        wire_parse_query(p.b, p.n, &q);
        const struct buf *b = cases[i].secure ? &secure : &body;
        size_t len = wire_finish_reply(&q, b->b, b->n, OUR_EDNS, 4096, out, sizeof out);
        ok(len > 0 && WIRE_AD(out) == cases[i].ad && WIRE_CD(out) == ((cases[i].lo & 0x10) != 0),
           "finish_reply AD: %s", cases[i].what);
    }
    /* in place, as a cache hit finishes it: the same */
    make_query(&p, 0x4243, 0x01, "www.example.com", WIRE_TYPE_A, 1232, true);
    wire_parse_query(p.b, p.n, &q);
    struct buf copy = secure;
    size_t len = wire_finish_reply(&q, copy.b, copy.n, OUR_EDNS, 4096, copy.b, sizeof copy.b);
    ok(len > 0 && WIRE_AD(copy.b), "finish_reply AD: in place, DO client, secure: AD");
}

/* The cache-hit path finishes the cached copy in place (out == body): it must give exactly
 * the bytes that finishing into a separate buffer gives, whole and truncated. */
static void test_finish_reply_in_place(void)
{
    struct buf body = ldns_response("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
                                    answer_a, authority_ns, additional_glue);
    static const size_t limits[] = { 4096, 40 };      /* fits; forces TC */
    struct buf p;
    struct wire_query q;

    make_query(&p, 0x4321, 0x01, "WwW.example.COM", WIRE_TYPE_A, 1232, true);
    wire_parse_query(p.b, p.n, &q);
    for (size_t i = 0; i < 2; i++) {
        uint8_t apart[WIRE_MAX_UDP], inplace[WIRE_MAX_UDP];
        memcpy(inplace, body.b, body.n);
        size_t a = wire_finish_reply(&q, body.b, body.n, OUR_EDNS, limits[i], apart, sizeof apart);
        size_t b = wire_finish_reply(&q, inplace, body.n, OUR_EDNS, limits[i], inplace,
                                     sizeof inplace);
        ok(a > 0 && a == b && memcmp(apart, inplace, a) == 0,
           "finish_reply in place = finish_reply into another buffer (%s)",
           i ? "truncated" : "whole");
    }
}

static void test_finish_reply_truncation(void)
{
    const char *many[41];
    char rrs[40][64];
    for (int i = 0; i < 40; i++) {
        snprintf(rrs[i], sizeof rrs[i], "big.example.com. 300 IN A 192.0.2.%d", i + 1);
        many[i] = rrs[i];
    }
    many[40] = NULL;
    struct buf body = ldns_response("big.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
                                    many, authority_ns, additional_glue);
    struct buf p;
    struct wire_query q;
    uint8_t out[WIRE_MAX_UDP];
    size_t len, question_end;

    ok(body.n > 512, "(the big body is %zu octets)", body.n);
    make_query(&p, 0x3333, 0x01, "BIG.example.com", WIRE_TYPE_A, 0, false);
    wire_parse_query(p.b, p.n, &q);
    question_end = q.question_end;
    len = wire_finish_reply(&q, body.b, body.n, OUR_EDNS, wire_udp_limit(&q, OUR_EDNS),
                            out, sizeof out);
    is_int(len, question_end, "finish_reply: truncated to header + question");
    ok(WIRE_TC(out), "finish_reply: TC set");
    ok(WIRE_QR(out) && WIRE_RD(out) && (out[3] & 0x80), "finish_reply: truncated QR, RD, RA");
    is_int(WIRE_ID(out), 0x3333, "finish_reply: truncated reply has the query's ID");
    is_int(WIRE_QDCOUNT(out), 1, "finish_reply: truncated QDCOUNT 1");
    is_int(WIRE_ANCOUNT(out), 0, "finish_reply: truncated ANCOUNT 0");
    is_int(WIRE_NSCOUNT(out), 0, "finish_reply: truncated NSCOUNT 0");
    is_int(WIRE_ARCOUNT(out), 0, "finish_reply: truncated ARCOUNT 0 without EDNS");
    ok(memcmp(out + 12, q.qname, q.qname_len) == 0, "finish_reply: truncated, client's case");
    ldns_pkt *reply = parse_back(out, len);
    ok(reply && ldns_pkt_tc(reply) && ldns_pkt_ancount(reply) == 0,
       "finish_reply: ldns parses the truncated reply");
    ldns_pkt_free(reply);

    /* the same body fits over TCP */
    len = wire_finish_reply(&q, body.b, body.n, OUR_EDNS, WIRE_MAX_UDP, out, sizeof out);
    ok(len == body.n && !WIRE_TC(out), "finish_reply: not truncated with a 65535 limit");

    /* EDNS: body fits the limit but body + OPT does not */
    make_query(&p, 0x3334, 0x01, "big.example.com", WIRE_TYPE_A, 4096, true);
    wire_parse_query(p.b, p.n, &q);
    len = wire_finish_reply(&q, body.b, body.n, OUR_EDNS, body.n + 10, out, sizeof out);
    is_int(len, question_end + 11, "finish_reply: truncated to header + question + OPT");
    ok(WIRE_TC(out), "finish_reply: TC set when only the OPT overflows");
    is_int(WIRE_ANCOUNT(out) + WIRE_NSCOUNT(out), 0, "finish_reply: truncated AN/NS 0 (EDNS)");
    is_int(WIRE_ARCOUNT(out), 1, "finish_reply: truncated ARCOUNT 1 (the OPT)");
    reply = parse_back(out, len);
    ok(reply && ldns_pkt_edns(reply) && ldns_pkt_edns_do(reply),
       "finish_reply: truncated reply keeps the OPT with DO");
    ldns_pkt_free(reply);
    /* exactly at the limit: not truncated */
    len = wire_finish_reply(&q, body.b, body.n, OUR_EDNS, body.n + 11, out, sizeof out);
    ok(len == body.n + 11 && !WIRE_TC(out), "finish_reply: exactly at the limit not truncated");

    make_query(&p, 0x3335, 0x01, "big.example.com", WIRE_TYPE_A, 0, false);
    wire_parse_query(p.b, p.n, &q);
    len = wire_finish_reply(&q, body.b, body.n, OUR_EDNS, body.n, out, sizeof out);
    ok(len == body.n && !WIRE_TC(out), "finish_reply: body == limit not truncated (no EDNS)");
    len = wire_finish_reply(&q, body.b, body.n, OUR_EDNS, body.n - 1, out, sizeof out);
    ok(len == question_end && WIRE_TC(out), "finish_reply: body == limit + 1 truncated");
}

static void test_finish_reply_mismatch(void)
{
    struct buf body = ldns_response("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
                                    answer_a, NULL, NULL);
    struct buf p;
    struct wire_query q;
    uint8_t out[WIRE_MAX_UDP];

    make_query(&p, 1, 0x01, "other.example.com", WIRE_TYPE_A, 0, false);
    wire_parse_query(p.b, p.n, &q);
    is_int(wire_finish_reply(&q, body.b, body.n, OUR_EDNS, 512, out, sizeof out), 0,
           "finish_reply: other question name -> 0");
    make_query(&p, 1, 0x01, "www.example.co", WIRE_TYPE_A, 0, false);
    wire_parse_query(p.b, p.n, &q);
    is_int(wire_finish_reply(&q, body.b, body.n, OUR_EDNS, 512, out, sizeof out), 0,
           "finish_reply: shorter question name -> 0");
    make_query(&p, 1, 0x01, "www.example.com", WIRE_TYPE_AAAA, 0, false);
    wire_parse_query(p.b, p.n, &q);
    is_int(wire_finish_reply(&q, body.b, body.n, OUR_EDNS, 512, out, sizeof out), 0,
           "finish_reply: other question type -> 0");
    make_query(&p, 1, 0x01, "www.example.com", WIRE_TYPE_A, 0, false);
    wire_parse_query(p.b, p.n, &q);
    q.qclass = 3;                                        /* CH */
    is_int(wire_finish_reply(&q, body.b, body.n, OUR_EDNS, 512, out, sizeof out), 0,
           "finish_reply: other question class -> 0");

    /* malformed or unusable bodies */
    q.qclass = WIRE_CLASS_IN;
    is_int(wire_finish_reply(&q, body.b, 20, OUR_EDNS, 512, out, sizeof out), 0,
           "finish_reply: body shorter than the question -> 0");
    struct buf two = body;
    wire_put16(two.b + 4, 2);
    is_int(wire_finish_reply(&q, two.b, two.n, OUR_EDNS, 512, out, sizeof out), 0,
           "finish_reply: body with QDCOUNT 2 -> 0");
    /* cap below the body: cut like an over-limit reply; cap below the question: 0 */
    size_t len = wire_finish_reply(&q, body.b, body.n, OUR_EDNS, 512, out, body.n - 1);
    ok(len == q.question_end && WIRE_TC(out) && WIRE_ANCOUNT(out) == 0,
       "finish_reply: cap below the body -> header + question, TC");
    is_int(wire_finish_reply(&q, body.b, body.n, OUR_EDNS, 512, out, body.n), body.n,
           "finish_reply: cap exactly the body");
    is_int(wire_finish_reply(&q, body.b, body.n, OUR_EDNS, 512, out, q.question_end - 1), 0,
           "finish_reply: cap below the question -> 0");
    make_query(&p, 1, 0x01, "www.example.com", WIRE_TYPE_A, 1232, false);
    wire_parse_query(p.b, p.n, &q);
    len = wire_finish_reply(&q, body.b, body.n, OUR_EDNS, 4096, out, body.n + 10);
    ok(len == q.question_end + 11 && WIRE_TC(out) && WIRE_ARCOUNT(out) == 1,
       "finish_reply: cap one short of body + OPT -> header + question + OPT, TC");
    is_int(wire_finish_reply(&q, body.b, body.n, OUR_EDNS, 4096, out, body.n + 11), body.n + 11,
           "finish_reply: cap exactly enough for body + OPT");
    is_int(wire_finish_reply(&q, body.b, body.n, OUR_EDNS, 4096, out, q.question_end + 10), 0,
           "finish_reply: cap below question + OPT -> 0");
}

static void test_fast_path_identical(void)
{
    struct buf body = ldns_response("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
                                    answer_a, authority_ns, additional_glue);
    struct buf p1, p2;
    struct wire_query q1, q2;
    uint8_t out1[WIRE_MAX_UDP], out2[WIRE_MAX_UDP];

    make_query(&p1, 0x1111, 0x01, "www.EXAMPLE.com", WIRE_TYPE_A, 1232, true);
    make_query(&p2, 0xeeee, 0x01, "www.EXAMPLE.com", WIRE_TYPE_A, 1232, true);
    wire_parse_query(p1.b, p1.n, &q1);
    wire_parse_query(p2.b, p2.n, &q2);
    size_t l1 = wire_finish_reply(&q1, body.b, body.n, OUR_EDNS, wire_udp_limit(&q1, OUR_EDNS),
                                  out1, sizeof out1);
    size_t l2 = wire_finish_reply(&q2, body.b, body.n, OUR_EDNS, wire_udp_limit(&q2, OUR_EDNS),
                                  out2, sizeof out2);
    ok(l1 > 0 && l1 == l2, "fast path: same length for queries differing only in ID");
    ok(WIRE_ID(out1) == 0x1111 && WIRE_ID(out2) == 0xeeee, "fast path: each reply has its ID");
    ok(l1 > 2 && memcmp(out1 + 2, out2 + 2, l1 - 2) == 0,
       "fast path: byte-identical apart from the ID");
    /* and the body itself is not modified */
    struct buf again = ldns_response("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
                                     answer_a, authority_ns, additional_glue);
    ok(again.n == body.n && memcmp(again.b, body.b, body.n) == 0,
       "fast path: stored body left untouched");
}

static void test_udp_limit(void)
{
    struct wire_query q;
    memset(&q, 0, sizeof q);

    q.has_edns = false;
    q.edns_size = 4096;
    is_int(wire_udp_limit(&q, OUR_EDNS), 512, "udp_limit: 512 without EDNS");
    q.has_edns = true;
    is_int(wire_udp_limit(&q, OUR_EDNS), OUR_EDNS, "udp_limit: clamped to ours");
    q.edns_size = 1000;
    is_int(wire_udp_limit(&q, OUR_EDNS), 1000, "udp_limit: client's size when smaller");
    q.edns_size = 512;
    is_int(wire_udp_limit(&q, OUR_EDNS), 512, "udp_limit: 512 stays 512");
    q.edns_size = 100;
    is_int(wire_udp_limit(&q, OUR_EDNS), 512, "udp_limit: raised to 512");
    q.edns_size = 65535;
    is_int(wire_udp_limit(&q, 4096), 4096, "udp_limit: clamped to ours (4096)");
    q.edns_size = 1232;
    is_int(wire_udp_limit(&q, 300), 512, "udp_limit: ours below 512 still 512");
}

/* ---- upstream messages ----------------------------------------------------------------- */

static void test_build_query(void)
{
    uint8_t name[WIRE_MAX_NAME], out[600];
    size_t name_len = name_wire("wWw.example.com", name), len;

    len = wire_build_query(0x4242, true, name, name_len, WIRE_TYPE_AAAA, WIRE_CLASS_IN, 1232,
                           false, out, sizeof out);
    is_int(len, 12 + name_len + 4 + 11, "build_query: length with OPT");
    ok(memcmp(out + 12, name, name_len) == 0, "build_query: name as given (its case)");
    ldns_pkt *pkt = parse_back(out, len);
    ok(pkt != NULL, "build_query: ldns parses it");
    if (pkt) {
        is_int(ldns_pkt_id(pkt), 0x4242, "build_query: id");
        ok(ldns_pkt_rd(pkt), "build_query: RD set");
        ok(!ldns_pkt_qr(pkt), "build_query: QR clear");
        is_int(ldns_pkt_get_opcode(pkt), LDNS_PACKET_QUERY, "build_query: opcode QUERY");
        is_int(ldns_pkt_qdcount(pkt), 1, "build_query: one question");
        ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
        ldns_rdf *want = ldns_dname_new_frm_str("www.example.com.");
        ok(qrr && ldns_dname_compare(ldns_rr_owner(qrr), want) == 0, "build_query: qname");
        ok(qrr && ldns_rr_get_type(qrr) == LDNS_RR_TYPE_AAAA, "build_query: qtype");
        ok(qrr && ldns_rr_get_class(qrr) == LDNS_RR_CLASS_IN, "build_query: qclass");
        ldns_rdf_deep_free(want);
        ok(ldns_pkt_edns(pkt), "build_query: OPT present");
        is_int(ldns_pkt_edns_udp_size(pkt), 1232, "build_query: OPT size");
        ok(!ldns_pkt_edns_do(pkt), "build_query: no DO");
        is_int(ldns_pkt_edns_version(pkt), 0, "build_query: EDNS version 0");
        is_int(WIRE_ARCOUNT(out), 1, "build_query: ARCOUNT 1");
        ldns_pkt_free(pkt);
    }

    len = wire_build_query(0x0001, false, name, name_len, WIRE_TYPE_NS, 3, 0, false, out, sizeof out);
    is_int(len, 12 + name_len + 4, "build_query: no OPT when edns_size is 0");
    pkt = parse_back(out, len);
    ok(pkt != NULL, "build_query: ldns parses the plain query");
    if (pkt) {
        ok(!ldns_pkt_rd(pkt), "build_query: RD clear");
        ok(!ldns_pkt_edns(pkt), "build_query: ldns sees no EDNS");
        is_int(ldns_pkt_arcount(pkt), 0, "build_query: ARCOUNT 0");
        ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
        ok(qrr && ldns_rr_get_type(qrr) == LDNS_RR_TYPE_NS && ldns_rr_get_class(qrr) == 3,
           "build_query: qtype NS, class CH");
        ldns_pkt_free(pkt);
    }
    ok(out[3] == 0 && (out[2] & 0xfe) == 0, "build_query: other flags zero");

    is_int(wire_build_query(1, true, name, name_len, 1, 1, 1232, false, out, 12 + name_len + 4), 0,
           "build_query: cap too small for the OPT");
    is_int(wire_build_query(1, true, name, name_len, 1, 1, 0, false, out, 12 + name_len + 3), 0,
           "build_query: cap too small for the question");
}

/* a stored body + OPT appended as the last RR */
static struct buf with_opt(const struct buf *body, unsigned ext_rcode)
{
    struct buf m = *body;
    put_opt_owner(&m, NULL, 1232, ext_rcode, 0, true, NULL, 0);
    set16(&m, 10, WIRE_ARCOUNT(m.b) + 1u);
    return m;
}

static bool strip_short_in_child(size_t n)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        uint8_t *msg = malloc(n ? n : 1);
        memset(msg, 0, n ? n : 1);
        if (n)
            msg[n - 1] = 1;
        size_t len = n;
        bool r = wire_strip_opt(msg, &len);
        free(msg);
        _exit(r ? 3 : 0);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_strip_opt(void)
{
    struct buf body = ldns_response("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
                                    answer_a, authority_ns, additional_glue);
    struct buf m = with_opt(&body, 0);
    size_t len = m.n;

    ok(wire_strip_opt(m.b, &len), "strip_opt: OPT last -> true");
    is_int(len, body.n, "strip_opt: length less the OPT");
    is_int(WIRE_ARCOUNT(m.b), WIRE_ARCOUNT(body.b), "strip_opt: ARCOUNT decremented");
    ok(memcmp(m.b, body.b, body.n) == 0, "strip_opt: the rest byte-identical");

    /* an OPT that is the only additional record, with an option */
    struct buf plain = ldns_response("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
                                     answer_a, NULL, NULL);
    m = plain;
    const uint8_t cookie[] = { 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 };
    put_opt_owner(&m, NULL, 4096, 0, 0, false, cookie, sizeof cookie);
    set16(&m, 10, 1);
    len = m.n;
    ok(wire_strip_opt(m.b, &len) && len == plain.n && WIRE_ARCOUNT(m.b) == 0 &&
       memcmp(m.b, plain.b, plain.n) == 0, "strip_opt: only additional RR, with an option");

    /* a TSIG record in a reply to an unsigned query: refused (ldns leaks all but one) */
    m = body;
    put_bytes(&m, "\000", 1);
    put16(&m, WIRE_TYPE_TSIG);
    put16(&m, 255);
    put32(&m, 0);
    put16(&m, 0);
    set16(&m, 10, WIRE_ARCOUNT(m.b) + 1u);
    len = m.n;
    ok(!wire_strip_opt(m.b, &len), "strip_opt: a TSIG record -> false");

    m = body;
    len = m.n;
    ok(wire_strip_opt(m.b, &len), "strip_opt: no OPT -> true");
    ok(len == body.n && memcmp(m.b, body.b, body.n) == 0, "strip_opt: no OPT -> unchanged");

    /* OPT followed by another additional record */
    m = with_opt(&body, 0);
    put_bytes(&m, "\300\014", 2);
    put16(&m, WIRE_TYPE_A);
    put16(&m, WIRE_CLASS_IN);
    put32(&m, 300);
    put16(&m, 4);
    put_bytes(&m, "\300\000\002\002", 4);
    set16(&m, 10, WIRE_ARCOUNT(m.b) + 1u);
    struct buf before = m;
    len = m.n;
    ok(!wire_strip_opt(m.b, &len), "strip_opt: OPT not last -> false");
    ok(len == before.n && memcmp(m.b, before.b, before.n) == 0,
       "strip_opt: OPT not last -> unchanged");

    m = with_opt(&body, 1);
    before = m;
    len = m.n;
    ok(!wire_strip_opt(m.b, &len), "strip_opt: extended rcode 1 (BADVERS) -> false");
    ok(len == before.n && memcmp(m.b, before.b, before.n) == 0,
       "strip_opt: extended rcode -> unchanged");

    m = with_opt(&body, 0);
    put_opt_owner(&m, NULL, 1232, 0, 0, false, NULL, 0);
    set16(&m, 10, WIRE_ARCOUNT(m.b) + 1u);
    len = m.n;
    ok(!wire_strip_opt(m.b, &len), "strip_opt: two OPT records -> false");

    /* malformed: counts promise more than there is, an RR cut short, a bad question */
    m = body;
    set16(&m, 6, WIRE_ANCOUNT(m.b) + 5u);
    len = m.n;
    ok(!wire_strip_opt(m.b, &len), "strip_opt: ANCOUNT too large -> false");
    m = with_opt(&body, 0);
    len = m.n - 1;
    ok(!wire_strip_opt(m.b, &len), "strip_opt: OPT cut short -> false");
    m = body;
    len = 20;
    ok(!wire_strip_opt(m.b, &len), "strip_opt: cut in the question -> false");
    m = body;
    m.b[12] = 0x80;
    len = m.n;
    ok(!wire_strip_opt(m.b, &len), "strip_opt: bad label in the question -> false");
    ok(strip_short_in_child(5), "strip_opt: 5-octet message -> false, no read past it");
    ok(strip_short_in_child(11), "strip_opt: 11-octet message -> false, no read past it");

    /* trailing garbage */
    m = body;
    put_bytes(&m, "\001\002\003", 3);
    len = m.n;
    ok(wire_strip_opt(m.b, &len), "strip_opt: trailing garbage, no OPT -> true");
    is_int(len, body.n, "strip_opt: trailing garbage removed");
    m = with_opt(&body, 0);
    put_bytes(&m, "\001\002\003", 3);
    len = m.n;
    ok(wire_strip_opt(m.b, &len), "strip_opt: OPT + trailing garbage -> true");
    ok(len == body.n && memcmp(m.b, body.b, body.n) == 0,
       "strip_opt: OPT and trailing garbage removed");
}

static void test_response_matches(void)
{
    struct buf r = ldns_response("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
                                 answer_a, NULL, NULL);
    uint8_t name[WIRE_MAX_NAME];
    size_t name_len = name_wire("WWW.Example.COM", name);

    ok(wire_response_matches(r.b, r.n, name, name_len, WIRE_TYPE_A, WIRE_CLASS_IN),
       "response_matches: same question in other case");
    ok(!wire_response_matches(r.b, r.n, name, name_len, WIRE_TYPE_AAAA, WIRE_CLASS_IN),
       "response_matches: other type");
    ok(!wire_response_matches(r.b, r.n, name, name_len, WIRE_TYPE_A, 3),
       "response_matches: other class");
    size_t other_len = name_wire("www.example.org", name);
    ok(!wire_response_matches(r.b, r.n, name, other_len, WIRE_TYPE_A, WIRE_CLASS_IN),
       "response_matches: other name");
    other_len = name_wire("example.com", name);
    ok(!wire_response_matches(r.b, r.n, name, other_len, WIRE_TYPE_A, WIRE_CLASS_IN),
       "response_matches: parent name");
    name_len = name_wire("www.example.com", name);

    struct buf m = r;
    m.b[2] &= 0x7f;
    ok(!wire_response_matches(m.b, m.n, name, name_len, WIRE_TYPE_A, WIRE_CLASS_IN),
       "response_matches: QR=0");
    m = r;
    set16(&m, 4, 2);
    ok(!wire_response_matches(m.b, m.n, name, name_len, WIRE_TYPE_A, WIRE_CLASS_IN),
       "response_matches: QDCOUNT 2");
    m = r;
    set16(&m, 4, 0);
    ok(!wire_response_matches(m.b, m.n, name, name_len, WIRE_TYPE_A, WIRE_CLASS_IN),
       "response_matches: QDCOUNT 0");
    ok(!wire_response_matches(r.b, 11, name, name_len, WIRE_TYPE_A, WIRE_CLASS_IN),
       "response_matches: shorter than a header");
    ok(!wire_response_matches(r.b, 12 + name_len + 3, name, name_len, WIRE_TYPE_A,
                              WIRE_CLASS_IN), "response_matches: question cut in QCLASS");

    /* fuzz_upstream: ". NS" whose question name is a pointer to offset 4 (QDCOUNT's high
     * octet, 0: the root) matched, was cached, and could never be served */
    struct buf c;
    put_header(&c, 0x1234, 0x84, 0, 1, 0, 0, 0);
    put_bytes(&c, "\300\004", 2);
    put16(&c, 2);
    put16(&c, WIRE_CLASS_IN);
    ok(!wire_response_matches(c.b, c.n, (const uint8_t *)"", 1, 2, WIRE_CLASS_IN),
       "response_matches: a compressed question name is refused");
}

static void test_parse_rr(void)
{
    struct buf p;
    struct wire_rr rr;

    put_header(&p, 0, 0x84, 0, 1, 1, 0, 0);
    put_name(&p, "www.example.com");                    /* 12..28 */
    put16(&p, WIRE_TYPE_A);
    put16(&p, WIRE_CLASS_IN);                           /* question ends at 33 */
    put_bytes(&p, "\300\014", 2);                       /* 33..34 */
    put16(&p, WIRE_TYPE_A);                             /* 35 */
    put16(&p, WIRE_CLASS_IN);                           /* 37 */
    put32(&p, 0x01020304);                              /* 39 */
    put16(&p, 4);                                       /* 43 */
    put_bytes(&p, "\300\000\002\001", 4);               /* 45..48 */

    is_int(wire_skip_question(p.b, p.n), 33, "skip_question: first RR at 33");
    memset(&rr, 0, sizeof rr);
    is_int(wire_parse_rr(p.b, p.n, 33, &rr), 49, "parse_rr: returns the end");
    is_int(rr.start, 33, "parse_rr: start");
    is_int(rr.type_off, 35, "parse_rr: type_off");
    is_int(rr.type, WIRE_TYPE_A, "parse_rr: type");
    is_int(rr.rclass, WIRE_CLASS_IN, "parse_rr: class");
    is_int(rr.ttl, 0x01020304, "parse_rr: ttl");
    is_int(rr.ttl_off, 39, "parse_rr: ttl_off");
    is_int(rr.rdlen, 4, "parse_rr: rdlen");
    is_int(rr.rdata_off, 45, "parse_rr: rdata_off");
    is_int(rr.end, 49, "parse_rr: end");

    set16(&p, 43, 5);
    is_int(wire_parse_rr(p.b, p.n, 33, &rr), 0, "parse_rr: rdlen past the end -> 0");
    set16(&p, 43, 4);
    is_int(wire_parse_rr(p.b, p.n - 1, 33, &rr), 0, "parse_rr: rdata cut short -> 0");
    is_int(wire_parse_rr(p.b, 44, 33, &rr), 0, "parse_rr: cut in RDLENGTH -> 0");
    is_int(wire_parse_rr(p.b, 34, 33, &rr), 0, "parse_rr: cut in the owner -> 0");

    /* rdlen 0, owner uncompressed, high TTL bit kept as read */
    put_header(&p, 0, 0x84, 0, 0, 1, 0, 0);
    put_name(&p, "a");                                  /* 12..14 */
    put16(&p, 16);
    put16(&p, 3);
    put32(&p, 0xffffffffu);
    put16(&p, 0);
    is_int(wire_parse_rr(p.b, p.n, 12, &rr), p.n, "parse_rr: rdlen 0 RR ends after RDLENGTH");
    ok(rr.type == 16 && rr.rclass == 3 && rr.ttl == 0xffffffffu && rr.rdlen == 0 &&
       rr.rdata_off == p.n, "parse_rr: TXT CH ttl 0xffffffff rdlen 0 fields");
    is_int(wire_skip_question(p.b, p.n), 12, "skip_question: QDCOUNT 0 -> 12");
    is_int(wire_skip_question(p.b, 11), 0, "skip_question: short header -> 0");
}

/* ---- Extended DNS Errors ------------------------------------------------------------- */

/* The one EDE option ldns finds in the reply's OPT: its code and text, or -1. */
static int ldns_ede(const uint8_t *wire, size_t len, char *text, size_t text_cap)
{
    ldns_pkt *pkt = parse_back(wire, len);
    ldns_edns_option_list *list = pkt ? ldns_pkt_edns_get_option_list(pkt) : NULL;
    int code = -1;

    for (size_t i = 0; list && i < ldns_edns_option_list_get_count(list); i++) {
        ldns_edns_option *o = ldns_edns_option_list_get_option(list, i);
        size_t n = ldns_edns_get_size(o);
        if (ldns_edns_get_code(o) != LDNS_EDNS_EDE || n < 2 || n - 2 >= text_cap)
            continue;
        const uint8_t *d = ldns_edns_get_data(o);
        code = wire_get16(d);
        memcpy(text, d + 2, n - 2);
        text[n - 2] = '\0';
    }
    ldns_pkt_free(pkt);
    return code;
}

static void test_add_ede_error(void)
{
    struct buf p;
    struct wire_query q;
    uint8_t out[600], before[600];
    char text[64];
    const char *why = "all servers timed out";
    size_t tl = strlen(why);

    make_query(&p, 0x4242, 0x01, "www.example.com", WIRE_TYPE_A, 1232, false);
    wire_parse_query(p.b, p.n, &q);
    size_t len = wire_build_error(&q, WIRE_RCODE_SERVFAIL, OUR_EDNS, out, sizeof out);
    size_t n = wire_add_ede(out, len, sizeof out, 1232, 22, why);
    is_int(n, len + 6 + tl, "add_ede: SERVFAIL grows by code + length + INFO-CODE + text");
    is_int(wire_get16(out + len - 2), 6 + tl, "add_ede: OPT RDLENGTH fixed");
    is_int(WIRE_ARCOUNT(out), 1, "add_ede: ARCOUNT unchanged");
    is_int(wire_get16(out + len), WIRE_EDNS_EDE, "add_ede: option code 15");
    is_int(ldns_ede(out, n, text, sizeof text), 22, "add_ede: ldns reads INFO-CODE 22");
    is_str(text, why, "add_ede: ldns reads the EXTRA-TEXT");
    is_int(WIRE_RCODE(out), WIRE_RCODE_SERVFAIL, "add_ede: rcode untouched");

    /* the limit leaves room for the code but not the text */
    len = wire_build_error(&q, WIRE_RCODE_SERVFAIL, OUR_EDNS, out, sizeof out);
    n = wire_add_ede(out, len, sizeof out, len + 6 + tl - 1, 22, why);
    is_int(n, len + 6, "add_ede: text dropped when the limit is one short");
    is_int(ldns_ede(out, n, text, sizeof text), 22, "add_ede: the code stays without text");
    is_str(text, "", "add_ede: no EXTRA-TEXT");
    len = wire_build_error(&q, WIRE_RCODE_SERVFAIL, OUR_EDNS, out, sizeof out);
    is_int(wire_add_ede(out, len, len + 6 + tl, 1232, 22, why), len + 6 + tl,
           "add_ede: cap exactly enough for the text");
    len = wire_build_error(&q, WIRE_RCODE_SERVFAIL, OUR_EDNS, out, sizeof out);
    is_int(wire_add_ede(out, len, len + 6 + tl - 1, 1232, 22, why), len + 6,
           "add_ede: text dropped when cap is one short");

    /* no room even for the code: nothing changes */
    len = wire_build_error(&q, WIRE_RCODE_SERVFAIL, OUR_EDNS, out, sizeof out);
    memcpy(before, out, len);
    is_int(wire_add_ede(out, len, sizeof out, len + 5, 22, why), len,
           "add_ede: limit below the bare code -> unchanged length");
    ok(memcmp(before, out, len) == 0, "add_ede: ... and unchanged bytes");
    is_int(wire_add_ede(out, len, len + 5, 1232, 22, NULL), len, "add_ede: cap below the code");

    /* NULL and "" text: bare code */
    n = wire_add_ede(out, len, sizeof out, 1232, 18, NULL);
    is_int(n, len + 6, "add_ede: NULL text -> bare code");
    is_int(ldns_ede(out, n, text, sizeof text), 18, "add_ede: code 18 read back");
    len = wire_build_error(&q, WIRE_RCODE_REFUSED, OUR_EDNS, out, sizeof out);
    is_int(wire_add_ede(out, len, sizeof out, 1232, 18, ""), len + 6, "add_ede: \"\" -> bare code");

    /* two options: both kept, RDLENGTH the sum */
    len = wire_build_error(&q, WIRE_RCODE_SERVFAIL, OUR_EDNS, out, sizeof out);
    n = wire_add_ede(out, len, sizeof out, 1232, 22, NULL);
    n = wire_add_ede(out, n, sizeof out, 1232, 0, "x");
    is_int(n, len + 6 + 7, "add_ede: a second option appended");
    is_int(wire_get16(out + len - 2), 13, "add_ede: RDLENGTH covers both");
    ldns_pkt *pkt = parse_back(out, n);
    ok(pkt && ldns_edns_option_list_get_count(ldns_pkt_edns_get_option_list(pkt)) == 2,
       "add_ede: ldns parses two options");
    ldns_pkt_free(pkt);

    /* no EDNS in the query: no OPT, no EDE (RFC 8914 section 3) */
    make_query(&p, 0x4243, 0x01, "www.example.com", WIRE_TYPE_A, 0, false);
    wire_parse_query(p.b, p.n, &q);
    len = wire_build_error(&q, WIRE_RCODE_SERVFAIL, OUR_EDNS, out, sizeof out);
    memcpy(before, out, len);
    is_int(wire_add_ede(out, len, sizeof out, 1232, 22, why), len, "add_ede: no OPT -> unchanged");
    ok(memcmp(before, out, len) == 0, "add_ede: no OPT -> bytes unchanged");
}

static void test_add_ede_answer(void)
{
    struct buf body = ldns_response("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
                                    answer_a, authority_ns, additional_glue);
    struct buf p;
    struct wire_query q;
    static uint8_t out[WIRE_MAX_UDP];
    char text[64];

    make_query(&p, 7, 0x01, "www.example.com", WIRE_TYPE_A, 1232, true);
    wire_parse_query(p.b, p.n, &q);
    size_t len = wire_finish_reply(&q, body.b, body.n, OUR_EDNS, 1232, out, sizeof out);
    size_t n = wire_add_ede(out, len, sizeof out, 1232, 3, "stale");
    is_int(n, len + 11, "add_ede: NOERROR answer grows by the option");
    ldns_pkt *pkt = parse_back(out, n);
    ok(pkt && ldns_pkt_ancount(pkt) == 2 && ldns_pkt_nscount(pkt) == 1 &&
       ldns_pkt_arcount(pkt) == 1 && ldns_pkt_edns_do(pkt),
       "add_ede: answer, authority, glue and DO intact");
    ldns_pkt_free(pkt);
    is_int(ldns_ede(out, n, text, sizeof text), 3, "add_ede: EDE 3 on an answer");
    is_str(text, "stale", "add_ede: its text");

    /* an OPT that is not the last RR: what follows moves behind the option */
    struct buf m = body;
    put_opt_owner(&m, NULL, 1232, 0, 0, false, NULL, 0);
    size_t opt_end = m.n;
    put_name(&m, "ns2.example.com");
    put16(&m, WIRE_TYPE_A);
    put16(&m, WIRE_CLASS_IN);
    put32(&m, 60);
    put16(&m, 4);
    put32(&m, 0xc0000235);
    set16(&m, 10, WIRE_ARCOUNT(m.b) + 2u);
    size_t tail = m.n - opt_end;
    uint8_t tail_copy[64];
    memcpy(tail_copy, m.b + opt_end, tail);
    n = wire_add_ede(m.b, m.n, sizeof m.b, 4096, 23, "net");
    is_int(n, m.n + 9, "add_ede: OPT in the middle of the additional section");
    ok(memcmp(m.b + opt_end + 9, tail_copy, tail) == 0, "add_ede: the RR after it moved intact");
    is_int(ldns_ede(m.b, n, text, sizeof text), 23, "add_ede: ldns reads it there");
}

static void test_add_ede_malformed(void)
{
    struct buf body = ldns_response("www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
                                    answer_a, NULL, NULL);
    struct buf m = with_opt(&body, 0);
    struct buf bad;

    is_int(wire_add_ede(m.b, m.n - 1, sizeof m.b, 4096, 22, NULL), m.n - 1,
           "add_ede: message cut short -> unchanged");
    is_int(wire_add_ede(m.b, 11, sizeof m.b, 4096, 22, NULL), 11, "add_ede: short header");
    is_int(wire_add_ede(m.b, 0, sizeof m.b, 4096, 22, NULL), 0, "add_ede: empty message");
    bad = m;
    put8(&bad, 0);
    is_int(wire_add_ede(bad.b, bad.n, sizeof bad.b, 4096, 22, NULL), bad.n,
           "add_ede: trailing octet -> unchanged");
    bad = m;
    set16(&bad, 10, 2);
    is_int(wire_add_ede(bad.b, bad.n, sizeof bad.b, 4096, 22, NULL), bad.n,
           "add_ede: ARCOUNT beyond the records -> unchanged");
    bad = m;                                /* the OPT counted in the answer section */
    set16(&bad, 6, WIRE_ANCOUNT(bad.b) + 1u);
    set16(&bad, 10, 0);
    is_int(wire_add_ede(bad.b, bad.n, sizeof bad.b, 4096, 22, NULL), bad.n,
           "add_ede: OPT outside the additional section -> unchanged");
    bad = body;
    put_opt_owner(&bad, "example", 1232, 0, 0, false, NULL, 0);
    set16(&bad, 10, 1);
    is_int(wire_add_ede(bad.b, bad.n, sizeof bad.b, 4096, 22, NULL), bad.n,
           "add_ede: OPT with a non-root owner -> unchanged");
    bad = with_opt(&m, 0);
    set16(&bad, 10, 2);
    is_int(wire_add_ede(bad.b, bad.n, sizeof bad.b, 4096, 22, NULL), bad.n,
           "add_ede: two OPT records -> unchanged");

    /* an OPT whose RDLENGTH cannot grow past 65535 */
    static uint8_t big[WIRE_MAX_UDP + 100];
    memcpy(big, body.b, body.n);
    size_t pos = body.n, rdlen = 65533;
    big[pos] = 0;
    wire_put16(big + pos + 1, WIRE_TYPE_OPT);
    wire_put16(big + pos + 3, 4096);
    wire_put32(big + pos + 5, 0);
    wire_put16(big + pos + 9, (uint16_t)rdlen);
    wire_put16(big + pos + 11, 12);                 /* one padding option filling it */
    wire_put16(big + pos + 13, (uint16_t)(rdlen - 4));
    memset(big + pos + 15, 0, rdlen - 4);
    wire_put16(big + 10, 1);
    size_t len = pos + 11 + rdlen;
    is_int(wire_add_ede(big, len, sizeof big, sizeof big, 22, NULL), len,
           "add_ede: RDLENGTH would pass 65535 -> unchanged");
}

int main(void)
{
    test_plain_and_compressed_names();
    test_pointer_loops();
    test_bad_labels();
    test_long_names();
    test_truncated_names();
    test_name_helpers();
    test_name_at_or_below();
    test_name_to_str();
    test_parse_query_ok();
    test_parse_query_errors();
    test_build_error();
    test_finish_reply();
    test_finish_reply_ad();
    test_finish_reply_in_place();
    test_finish_reply_truncation();
    test_finish_reply_mismatch();
    test_fast_path_identical();
    test_udp_limit();
    test_build_query();
    test_strip_opt();
    test_response_matches();
    test_parse_rr();
    test_add_ede_error();
    test_add_ede_answer();
    test_add_ede_malformed();
    return done_testing();
}
