/* cachefile.c -- loading a cache dump back into the message cache (see cachefile.h).
 *
 * Each entry is rebuilt as the response it was: the question from its header line, its
 * rcode, the answer RRs, and for a negative entry the SOA in the authority section; then it
 * goes through the cache's store like any upstream answer, so every cache rule (clamps,
 * negative TTLs, size) applies to loaded data too -- and, like an answer, it is split into
 * its form for clients without DO and the one for DO clients (msgform.h), so a record only
 * DO clients get never reaches a client without DO. An entry marked `signed` had DNSSEC
 * records the dump left out: DO clients are not served it (cache.h: CACHE_DO_MISSING). */
#include "cachefile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "cache.h"
#include "msgform.h"
#include "wire.h"

#define DUMP_TIME_PREFIX "; resolverd cache dump time="

struct entry {
    ldns_pkt *pkt;          /* NULL between entries */
    bool negative;
    bool expired;
    bool dnssec_form;       /* "signed": DO clients had a form of their own, not dumped */
};

struct loader {
    struct cache *cache;
    const char *path;
    time_t now, dumped_at;
    struct entry cur;
    uint8_t *wire;          /* one buffer for every entry (WIRE_MAX_UDP) */
    struct cachefile_result *res;
    char *err;
    size_t errlen;
};

static int fail_at(struct loader *l, int line, const char *what)
{
    snprintf(l->err, l->errlen, "%s:%d: %s", l->path, line, what);
    return -1;
}

/* Stores one entry's message: its two forms (or, when the dump lost its DNSSEC records,
 * the plain one, kept from DO clients). Returns 0 or -1. */
static int entry_store(struct loader *l, const uint8_t *key, size_t key_len, uint16_t qtype,
                       uint16_t qclass, const uint8_t *wire, size_t len)
{
    struct msgform *f;
    int rc = -1;

    if (l->cur.dnssec_form)
        return cache_store_forms(l->cache, key, key_len, qtype, qclass, wire, len,
                                 CACHE_DO_MISSING, NULL, 0, l->now);
    if (!(f = malloc(sizeof *f)))
        return -1;
    if (msgform_split(wire, len, qtype, f) == 0)
        rc = cache_store_forms(l->cache, key, key_len, qtype, qclass, f->plain, f->plain_len,
                               f->same ? CACHE_DO_SAME : CACHE_DO_OWN, f->dnssec, f->dnssec_len,
                               l->now);
    free(f);
    return rc;
}

/* The entry's message in wire form, as an upstream would have sent it: QR and the rcode,
 * the question, then the answer and authority RRs, an owner equal to the question's name
 * as a pointer to it (what keeps the stored message as small as an upstream's). Written
 * here rather than by ldns_pkt2wire, whose compression table and 64 KiB buffer were a
 * third of a loaded entry's time. Returns the length, 0 when it does not fit. */
static size_t encode_entry(const ldns_pkt *pkt, uint8_t *out, size_t cap)
{
    const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
    const ldns_rdf *qname = ldns_rr_owner(q);
    const ldns_rr_list *sect[2] = { ldns_pkt_answer(pkt), ldns_pkt_authority(pkt) };
    size_t pos = WIRE_HEADER_LEN;

    if (!q || WIRE_HEADER_LEN + ldns_rdf_size(qname) + 4 > cap)
        return 0;
    memset(out, 0, WIRE_HEADER_LEN);
    out[2] = 0x80;
    out[3] = (uint8_t)(ldns_pkt_get_rcode(pkt) & 0x0f);
    wire_put16(out + 4, 1);
    wire_put16(out + 6, (uint16_t)ldns_rr_list_rr_count(sect[0]));
    wire_put16(out + 8, (uint16_t)ldns_rr_list_rr_count(sect[1]));
    memcpy(out + pos, ldns_rdf_data(qname), ldns_rdf_size(qname));
    pos += ldns_rdf_size(qname);
    wire_put16(out + pos, (uint16_t)ldns_rr_get_type(q));
    wire_put16(out + pos + 2, (uint16_t)ldns_rr_get_class(q));
    pos += 4;
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < ldns_rr_list_rr_count(sect[k]); i++) {
            const ldns_rr *rr = ldns_rr_list_rr(sect[k], i);
            const ldns_rdf *owner = ldns_rr_owner(rr);
            bool same = ldns_rdf_size(owner) == ldns_rdf_size(qname) &&
                        memcmp(ldns_rdf_data(owner), ldns_rdf_data(qname), ldns_rdf_size(owner)) == 0;
            size_t owner_len = same ? 2 : ldns_rdf_size(owner);
            if (pos + owner_len + 10 > cap)
                return 0;
            if (same)
                wire_put16(out + pos, 0xc000 | WIRE_HEADER_LEN);
            else
                memcpy(out + pos, ldns_rdf_data(owner), owner_len);
            pos += owner_len;
            wire_put16(out + pos, (uint16_t)ldns_rr_get_type(rr));
            wire_put16(out + pos + 2, (uint16_t)ldns_rr_get_class(rr));
            wire_put32(out + pos + 4, ldns_rr_ttl(rr));
            size_t rdlen_at = pos + 8;
            pos += 10;
            for (size_t f = 0; f < ldns_rr_rd_count(rr); f++) {
                const ldns_rdf *rdf = ldns_rr_rdf(rr, f);
                if (pos + ldns_rdf_size(rdf) > cap)
                    return 0;
                memcpy(out + pos, ldns_rdf_data(rdf), ldns_rdf_size(rdf));
                pos += ldns_rdf_size(rdf);
            }
            if (pos - rdlen_at - 2 > 0xffff)
                return 0;
            wire_put16(out + rdlen_at, (uint16_t)(pos - rdlen_at - 2));
        }
    }
    return pos;
}

/* Stores the entry being built (if any) and forgets it. */
static void entry_finish(struct loader *l)
{
    struct entry *e = &l->cur;
    const uint8_t *wire = NULL;
    size_t len = 0;

    if (!e->pkt)
        return;
    len = encode_entry(e->pkt, l->wire, WIRE_MAX_UDP);
    wire = len ? l->wire : NULL;
    if (e->expired) {
        l->res->expired++;
    } else if (wire && len > WIRE_HEADER_LEN) {
        const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(e->pkt), 0);
        uint8_t key[WIRE_MAX_NAME];
        size_t key_len = ldns_rdf_size(ldns_rr_owner(q));
        memcpy(key, ldns_rdf_data(ldns_rr_owner(q)), key_len);
        wire_name_lower(key, key_len);
        if (entry_store(l, key, key_len, ldns_rr_get_type(q), ldns_rr_get_class(q), wire,
                        len) == 0)
            l->res->loaded++;
        else
            l->res->refused++;
    } else {
        l->res->refused++;
    }
    ldns_pkt_free(e->pkt);
    memset(e, 0, sizeof *e);
}

/* "; NAME TYPE CLASS positive|negative rcode=RCODE" starts an entry. */
static int entry_start(struct loader *l, const char *line, int lineno)
{
    char name[1024], type[32], rclass[32], kind[16], rcode[32];
    ldns_rdf *owner = NULL;
    ldns_rr *q = NULL;

    entry_finish(l);
    if (sscanf(line, "; %1023s %31s %31s %15s rcode=%31s", name, type, rclass, kind, rcode) != 5)
        return fail_at(l, lineno, "not an entry header (; NAME TYPE CLASS positive|negative rcode=RCODE)");
    ldns_rr_type t = ldns_get_rr_type_by_name(type);
    ldns_rr_class c = ldns_get_rr_class_by_name(rclass);
    ldns_lookup_table *rc = ldns_lookup_by_name(ldns_rcodes, rcode);
    if (!t || !c || !rc || (strcmp(kind, "positive") != 0 && strcmp(kind, "negative") != 0) ||
        ldns_str2rdf_dname(&owner, name) != LDNS_STATUS_OK)
        return fail_at(l, lineno, "bad name, type, class, kind or rcode in the entry header");
    l->cur.pkt = ldns_pkt_new();
    q = ldns_rr_new();
    if (!l->cur.pkt || !q) {
        ldns_rdf_deep_free(owner);
        ldns_rr_free(q);
        return fail_at(l, lineno, "out of memory");
    }
    ldns_rr_set_owner(q, owner);
    ldns_rr_set_type(q, t);
    ldns_rr_set_class(q, c);
    ldns_rr_set_question(q, true);
    ldns_pkt_push_rr(l->cur.pkt, LDNS_SECTION_QUESTION, q);
    ldns_pkt_set_qr(l->cur.pkt, true);
    ldns_pkt_set_rcode(l->cur.pkt, (uint8_t)rc->id);
    l->cur.negative = strcmp(kind, "negative") == 0;
    size_t n = strlen(line);
    l->cur.dnssec_form = n > 7 && strcmp(line + n - 7, " signed") == 0;
    return 0;
}

/* One RR of the current entry, its TTL aged by the time since the dump. */
static int entry_add_rr(struct loader *l, const char *line, int lineno)
{
    ldns_rr *rr = NULL;

    if (!l->cur.pkt)
        return fail_at(l, lineno, "a record before any entry header");
    if (ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL) != LDNS_STATUS_OK)
        return fail_at(l, lineno, "not a record in zone-file syntax");
    time_t age = l->now > l->dumped_at ? l->now - l->dumped_at : 0;
    if ((time_t)ldns_rr_ttl(rr) <= age)
        l->cur.expired = true;
    else
        ldns_rr_set_ttl(rr, (uint32_t)(ldns_rr_ttl(rr) - age));
    bool authority = l->cur.negative && ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA;
    ldns_pkt_push_rr(l->cur.pkt, authority ? LDNS_SECTION_AUTHORITY : LDNS_SECTION_ANSWER, rr);
    return 0;
}

static int load_line(struct loader *l, char *line, int lineno)
{
    line[strcspn(line, "\r\n")] = '\0';
    if (strncmp(line, DUMP_TIME_PREFIX, strlen(DUMP_TIME_PREFIX)) == 0) {
        char *end;
        long long t = strtoll(line + strlen(DUMP_TIME_PREFIX), &end, 10);
        if (*end != '\0' || t <= 0)
            return fail_at(l, lineno, "bad dump time");
        l->dumped_at = (time_t)t;
        return 0;
    }
    if (line[0] == '\0')
        return 0;
    if (strncmp(line, "; ", 2) == 0 && strstr(line, " rcode="))
        return entry_start(l, line, lineno);
    if (line[0] == ';')
        return 0;                   /* other comments: the dump's closing line, ... */
    return entry_add_rr(l, line, lineno);
}

int cachefile_load(struct cache *c, const char *path, time_t now, struct cachefile_result *res,
                   char *err, size_t errlen)
{
    struct loader l = { .cache = c, .path = path, .now = now, .dumped_at = now, .res = res,
                        .err = err, .errlen = errlen };
    FILE *fp = fopen(path, "r");
    char *line = NULL;
    l.wire = malloc(WIRE_MAX_UDP);
    size_t cap = 0;
    int lineno = 0, rc = 0;

    memset(res, 0, sizeof *res);
    if (!fp || !l.wire) {
        snprintf(err, errlen, "%s: %s", path, strerror(fp ? ENOMEM : errno));
        if (fp)
            fclose(fp);
        free(l.wire);
        return -1;
    }
    while (rc == 0 && getline(&line, &cap, fp) >= 0)
        rc = load_line(&l, line, ++lineno);
    if (rc == 0 && ferror(fp)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
        rc = -1;
    }
    if (rc == 0)
        entry_finish(&l);
    ldns_pkt_free(l.cur.pkt);
    free(l.wire);
    free(line);
    fclose(fp);
    return rc;
}
