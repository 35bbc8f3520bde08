/* wire.c -- allocation-free DNS wire-format parsing and reply shaping.
 *
 * Every parser takes (pkt, len, pos) and returns the offset after what it read, or 0 when
 * the packet is malformed; callers chain them and bail out on 0. Compression pointers are
 * only followed strictly backwards and at most WIRE_MAX_POINTERS times, so a pointer loop
 * cannot hang us. wire_finish_reply is the single place where a stored message becomes the
 * reply a client sees (ID, flags, the client's case, OPT, truncation); wire_add_ede may then
 * put the reason for an error (or a stale answer) into that reply's OPT. */
#include "wire.h"

#include <string.h>

#define WIRE_MAX_POINTERS 64
#define WIRE_OPT_LEN      11    /* root name, TYPE, CLASS, TTL, RDLEN=0 */

size_t wire_skip_name(const uint8_t *pkt, size_t len, size_t pos)
{
    size_t total = 0;

    while (pos < len) {
        uint8_t label = pkt[pos];
        if ((label & 0xc0) == 0xc0)
            return pos + 2 <= len ? pos + 2 : 0;
        if (label & 0xc0)
            return 0;                           /* 0x40/0x80: obsolete label types */
        total += (size_t)label + 1;
        if (total > WIRE_MAX_NAME)
            return 0;
        if (label == 0)
            return pos + 1;
        pos += (size_t)label + 1;
    }
    return 0;
}

size_t wire_read_name(const uint8_t *pkt, size_t len, size_t pos,
                      uint8_t out[WIRE_MAX_NAME], size_t *out_len)
{
    size_t n = 0, after = 0;
    int pointers = 0;

    while (pos < len) {
        uint8_t label = pkt[pos];
        if ((label & 0xc0) == 0xc0) {
            if (pos + 2 > len || ++pointers > WIRE_MAX_POINTERS)
                return 0;
            size_t target = (size_t)(label & 0x3f) << 8 | pkt[pos + 1];
            if (target >= pos)
                return 0;                       /* only strictly backwards: no loops */
            if (!after)
                after = pos + 2;
            pos = target;
            continue;
        }
        if (label & 0xc0 || n + (size_t)label + 1 > WIRE_MAX_NAME || pos + 1 + label > len)
            return 0;
        memcpy(out + n, pkt + pos, (size_t)label + 1);
        n += (size_t)label + 1;
        pos += (size_t)label + 1;
        if (label == 0) {
            *out_len = n;
            return after ? after : pos;
        }
    }
    return 0;
}

static inline uint8_t ascii_lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

void wire_name_lower(uint8_t *name, size_t len)
{
    for (size_t i = 0; i < len; i++)
        name[i] = ascii_lower(name[i]);
}

bool wire_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (alen != blen)
        return false;
    if (memcmp(a, b, alen) == 0)    /* the usual case (a reply's question, a cache hit's) */
        return true;
    for (size_t i = 0; i < alen; i++)
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return true;
}

bool wire_name_at_or_below(const uint8_t *name, size_t name_len, const uint8_t *zone,
                           size_t zone_len)
{
    size_t pos = 0;

    while (pos < name_len && name_len - pos > zone_len && name[pos] != 0)
        pos += (size_t)name[pos] + 1;
    return pos <= name_len && name_len - pos == zone_len &&
           memcmp(name + pos, zone, zone_len) == 0;
}

uint64_t wire_name_hash(const uint8_t *name, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= ascii_lower(name[i]);
        h *= 0x100000001b3ULL;
    }
    return h;
}

char *wire_name_to_str(const uint8_t *name, size_t len, char *out, size_t outlen)
{
    size_t o = 0, i = 0;

    if (outlen == 0)
        return out;
    while (i < len && name[i] != 0) {
        uint8_t label = name[i++];
        for (uint8_t k = 0; k < label && i < len; k++, i++) {
            uint8_t c = name[i];
            if (c == '.' || c == '\\' || c <= ' ' || c >= 0x7f) {
                if (o + 4 >= outlen)
                    goto out_of_room;
                out[o++] = '\\';
                out[o++] = (char)('0' + c / 100);
                out[o++] = (char)('0' + c / 10 % 10);
                out[o++] = (char)('0' + c % 10);
            } else if (o + 1 < outlen) {
                out[o++] = (char)c;
            }
        }
        if (o + 1 < outlen)
            out[o++] = '.';
    }
out_of_room:
    if (o == 0 && outlen > 1)
        out[o++] = '.';
    out[o] = '\0';
    return out;
}

size_t wire_parse_rr(const uint8_t *pkt, size_t len, size_t pos, struct wire_rr *rr)
{
    size_t p = wire_skip_name(pkt, len, pos);

    if (!p || p + 10 > len)
        return 0;
    rr->start = pos;
    rr->type_off = p;
    rr->type = wire_get16(pkt + p);
    rr->rclass = wire_get16(pkt + p + 2);
    rr->ttl_off = p + 4;
    rr->ttl = wire_get32(pkt + p + 4);
    rr->rdlen = wire_get16(pkt + p + 8);
    rr->rdata_off = p + 10;
    if (rr->rdata_off + rr->rdlen > len)
        return 0;
    rr->end = rr->rdata_off + rr->rdlen;
    return rr->end;
}

size_t wire_skip_question(const uint8_t *pkt, size_t len)
{
    size_t pos = WIRE_HEADER_LEN;

    if (len < WIRE_HEADER_LEN)
        return 0;
    for (unsigned i = WIRE_QDCOUNT(pkt); i > 0; i--) {
        pos = wire_skip_name(pkt, len, pos);
        if (!pos || pos + 4 > len)
            return 0;
        pos += 4;
    }
    return pos;
}

/* The question of a client query must be an uncompressed name: no real client compresses
 * it, and refusing pointers here keeps the fast path trivially safe. */
static size_t parse_question(const uint8_t *pkt, size_t len, struct wire_query *q)
{
    size_t pos = WIRE_HEADER_LEN, n;

    for (;;) {                  /* the labels' bounds first, then every octet once */
        if (pos >= len)
            return 0;
        uint8_t label = pkt[pos];
        if (label & 0xc0 || pos - WIRE_HEADER_LEN + (size_t)label + 1 > WIRE_MAX_NAME ||
            pos + 1 + label > len)
            return 0;
        pos += (size_t)label + 1;
        if (label == 0)
            break;
    }
    if (pos + 4 > len)
        return 0;
    n = pos - WIRE_HEADER_LEN;
    /* the copy, the lower-case copy and its hash (wire_name_hash) in one pass: this runs
     * for every query, and three passes were a sixth of a cache hit's instructions */
    const uint8_t *name = pkt + WIRE_HEADER_LEN;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        uint8_t lc = ascii_lower(name[i]);
        q->qname[i] = name[i];
        q->qname_lc[i] = lc;
        h = (h ^ lc) * 0x100000001b3ULL;
    }
    q->qname_len = n;
    q->qname_hash = h;
    q->qtype = wire_get16(pkt + pos);
    q->qclass = wire_get16(pkt + pos + 2);
    return pos + 4;
}

/* EDNS options must tile the OPT rdata exactly (RFC 6891 6.1.2). */
static bool edns_options_valid(const uint8_t *pkt, const struct wire_rr *rr)
{
    size_t p = rr->rdata_off, end = rr->end;

    while (p < end) {
        if (p + 4 > end)
            return false;
        p += 4 + wire_get16(pkt + p + 2);
    }
    return p == end;
}

/* Reads the OPT record, if any, from the answer/authority/additional sections. */
static enum wire_query_verdict parse_edns(const uint8_t *pkt, size_t len, size_t pos,
                                          struct wire_query *q)
{
    unsigned count = WIRE_ANCOUNT(pkt) + WIRE_NSCOUNT(pkt) + WIRE_ARCOUNT(pkt);
    unsigned additional_from = WIRE_ANCOUNT(pkt) + WIRE_NSCOUNT(pkt);
    struct wire_rr rr;

    for (unsigned i = 0; i < count; i++) {
        pos = wire_parse_rr(pkt, len, pos, &rr);
        if (!pos)
            return WIRE_QUERY_FORMERR;
        if (rr.type != WIRE_TYPE_OPT)
            continue;
        if (i < additional_from || q->has_edns || pkt[rr.start] != 0 ||
            !edns_options_valid(pkt, &rr))
            return WIRE_QUERY_FORMERR;
        q->has_edns = true;
        q->edns_size = rr.rclass < 512 ? 512 : rr.rclass;
        q->edns_do = (rr.ttl & 0x8000) != 0;
        if ((rr.ttl >> 16 & 0xff) != 0)
            return WIRE_QUERY_BADVERS;
    }
    return WIRE_QUERY_OK;
}

enum wire_query_verdict wire_parse_query(const uint8_t *pkt, size_t len, struct wire_query *q)
{
    q->question_end = 0;
    q->has_edns = false;
    q->edns_size = 512;
    q->edns_do = false;
    if (len < WIRE_HEADER_LEN || WIRE_QR(pkt))
        return WIRE_QUERY_DROP;
    q->id = WIRE_ID(pkt);
    q->flags_hi = pkt[2];
    q->flags_lo = pkt[3];
    if (WIRE_QDCOUNT(pkt) != 1) {
        if (WIRE_OPCODE(pkt) != 0)
            return WIRE_QUERY_NOTIMP;
        return WIRE_QUERY_FORMERR;
    }
    size_t pos = parse_question(pkt, len, q);
    if (!pos)
        return WIRE_OPCODE(pkt) != 0 ? WIRE_QUERY_NOTIMP : WIRE_QUERY_FORMERR;
    q->question_end = pos;
    enum wire_query_verdict v = parse_edns(pkt, len, pos, q);
    if (v == WIRE_QUERY_OK && WIRE_OPCODE(pkt) != 0)
        return WIRE_QUERY_NOTIMP;
    return v;
}

static size_t append_opt(uint8_t *out, size_t pos, size_t cap, uint16_t size, bool dnssec_ok,
                         uint8_t ext_rcode)
{
    if (pos + WIRE_OPT_LEN > cap)
        return 0;
    uint8_t *p = out + pos;
    p[0] = 0;
    wire_put16(p + 1, WIRE_TYPE_OPT);
    wire_put16(p + 3, size);
    wire_put32(p + 5, (uint32_t)ext_rcode << 24 | (dnssec_ok ? 0x8000u : 0));
    wire_put16(p + 9, 0);
    wire_put16(out + 10, (uint16_t)(WIRE_ARCOUNT(out) + 1));
    return pos + WIRE_OPT_LEN;
}

size_t wire_build_error(const struct wire_query *q, int rcode, uint16_t our_edns_size,
                        uint8_t *out, size_t cap)
{
    size_t len = WIRE_HEADER_LEN + (q->question_end ? q->qname_len + 4 : 0);

    if (cap < len)
        return 0;
    memset(out, 0, WIRE_HEADER_LEN);
    wire_put16(out, q->id);
    out[2] = (uint8_t)(0x80 | (q->flags_hi & 0x79));   /* QR, opcode and RD kept */
    out[3] = (uint8_t)(0x80 | (rcode & 0x0f));
    if (q->question_end) {
        memcpy(out + WIRE_HEADER_LEN, q->qname, q->qname_len);
        wire_put16(out + WIRE_HEADER_LEN + q->qname_len, q->qtype);
        wire_put16(out + WIRE_HEADER_LEN + q->qname_len + 2, q->qclass);
        wire_put16(out + 4, 1);
    }
    if (q->has_edns || rcode > 15)
        len = append_opt(out, len, cap, our_edns_size, q->edns_do, (uint8_t)(rcode >> 4));
    return len;
}

size_t wire_udp_limit(const struct wire_query *q, uint16_t our_edns_size)
{
    if (!q->has_edns)
        return 512;
    size_t size = q->edns_size < our_edns_size ? q->edns_size : our_edns_size;
    return size < 512 ? 512 : size;
}

size_t wire_finish_reply(const struct wire_query *q, const uint8_t *body, size_t body_len,
                         uint16_t our_edns_size, size_t limit, uint8_t *out, size_t cap)
{
    size_t question_end = WIRE_HEADER_LEN + q->qname_len + 4;
    size_t opt_len = q->has_edns ? WIRE_OPT_LEN : 0;
    bool truncate = body_len + opt_len > limit || body_len + opt_len > cap;

    if (body_len < question_end || WIRE_QDCOUNT(body) != 1 || question_end + opt_len > cap ||
        !wire_name_equal(body + WIRE_HEADER_LEN, q->qname_len, q->qname, q->qname_len) ||
        wire_get16(body + question_end - 4) != q->qtype ||
        wire_get16(body + question_end - 2) != q->qclass)
        return 0;
    size_t len = truncate ? question_end : body_len;
    if (out != body)
        memcpy(out, body, len);
    wire_put16(out, q->id);
    /* QR, the stored opcode and AA; the client's RD. TC is ours alone to set. */
    out[2] = (uint8_t)(0x80 | (body[2] & 0x7c) | (q->flags_hi & 0x01));
    /* RA, the client's CD, the stored rcode; AD when the stored answer was validated secure
     * (the validator set it) and the client can use it: it set DO or AD (RFC 6840 5.7) */
    bool ad = (body[3] & 0x20) && (q->edns_do || (q->flags_lo & 0x20));
    out[3] = (uint8_t)(0x80 | (ad ? 0x20 : 0) | (q->flags_lo & 0x10) | (body[3] & 0x0f));
    memcpy(out + WIRE_HEADER_LEN, q->qname, q->qname_len);
    if (truncate) {
        memset(out + 6, 0, 6);              /* header + question only, and TC=1 */
        out[2] |= 0x02;
    }
    if (q->has_edns)
        len = append_opt(out, len, cap, our_edns_size, q->edns_do, 0);
    return len;
}

/* Finds the one OPT record of a finished message (root owner, additional section) by
 * walking every RR, which also checks the message ends where its last RR does. */
static bool find_opt(const uint8_t *msg, size_t len, struct wire_rr *opt)
{
    size_t pos = wire_skip_question(msg, len);
    unsigned count = pos ? WIRE_ANCOUNT(msg) + WIRE_NSCOUNT(msg) + WIRE_ARCOUNT(msg) : 0;
    unsigned additional_from = pos ? WIRE_ANCOUNT(msg) + WIRE_NSCOUNT(msg) : 0;
    unsigned opts = 0;
    struct wire_rr rr;

    for (unsigned i = 0; pos && i < count; i++) {
        pos = wire_parse_rr(msg, len, pos, &rr);
        if (pos && rr.type == WIRE_TYPE_OPT) {
            if (i < additional_from || msg[rr.start] != 0)
                return false;
            *opt = rr;
            opts++;
        }
    }
    return pos == len && opts == 1;
}

size_t wire_add_ede(uint8_t *msg, size_t len, size_t cap, size_t limit, uint16_t code,
                    const char *text)
{
    size_t text_len = text ? strlen(text) : 0;
    size_t room = cap < limit ? cap : limit;
    struct wire_rr opt = { 0 };

    if (!find_opt(msg, len, &opt))
        return len;
    /* option code, option length, INFO-CODE: 6 octets before the text */
    if (len + 6 + text_len > room || opt.rdlen + 6 + text_len > 0xffff)
        text_len = 0;
    if (len + 6 > room || opt.rdlen + 6 > 0xffff)
        return len;
    size_t add = 6 + text_len;
    memmove(msg + opt.end + add, msg + opt.end, len - opt.end);
    uint8_t *p = msg + opt.end;
    wire_put16(p, WIRE_EDNS_EDE);
    wire_put16(p + 2, (uint16_t)(2 + text_len));
    wire_put16(p + 4, code);
    if (text_len)
        memcpy(p + 6, text, text_len);
    wire_put16(msg + opt.rdata_off - 2, (uint16_t)(opt.rdlen + add));
    return len + add;
}

size_t wire_build_query(uint16_t id, bool rd, const uint8_t *qname, size_t qname_len,
                        uint16_t qtype, uint16_t qclass, uint16_t edns_size, bool dnssec_ok,
                        uint8_t *out, size_t cap)
{
    size_t len = WIRE_HEADER_LEN + qname_len + 4;

    if (len > cap)
        return 0;
    memset(out, 0, WIRE_HEADER_LEN);
    wire_put16(out, id);
    out[2] = rd ? 0x01 : 0x00;
    out[3] = dnssec_ok ? 0x10 : 0x00;   /* CD: we validate ourselves (RFC 6840 5.9) */
    wire_put16(out + 4, 1);
    memcpy(out + WIRE_HEADER_LEN, qname, qname_len);
    wire_put16(out + WIRE_HEADER_LEN + qname_len, qtype);
    wire_put16(out + WIRE_HEADER_LEN + qname_len + 2, qclass);
    if (edns_size)
        len = append_opt(out, len, cap, edns_size, dnssec_ok, 0);
    return len;
}

size_t wire_answer_only(uint8_t *msg, size_t len)
{
    struct wire_rr rr;
    size_t pos;

    if (len < WIRE_HEADER_LEN || WIRE_RCODE(msg) != WIRE_RCODE_NOERROR || WIRE_ANCOUNT(msg) == 0 ||
        (WIRE_NSCOUNT(msg) == 0 && WIRE_ARCOUNT(msg) == 0))
        return len;
    pos = wire_skip_question(msg, len);
    for (unsigned i = 0; pos && i < WIRE_ANCOUNT(msg); i++)
        pos = wire_parse_rr(msg, len, pos, &rr);
    size_t end = pos;
    for (unsigned i = 0; pos && i < WIRE_NSCOUNT(msg); i++)
        if ((pos = wire_parse_rr(msg, len, pos, &rr)) && rr.type == WIRE_TYPE_SOA)
            return len;             /* NODATA at the end of a chain */
    if (!pos)
        return len;
    wire_put16(msg + 8, 0);
    wire_put16(msg + 10, 0);
    return end;
}

bool wire_strip_opt(uint8_t *msg, size_t *len)
{
    size_t pos = wire_skip_question(msg, *len);     /* checks the header's length first */
    unsigned count = pos ? WIRE_ANCOUNT(msg) + WIRE_NSCOUNT(msg) + WIRE_ARCOUNT(msg) : 0;
    struct wire_rr rr = { 0 };
    unsigned opts = 0;
    bool last_is_opt = false;

    if (!pos)
        return false;
    for (unsigned i = 0; i < count; i++) {
        pos = wire_parse_rr(msg, *len, pos, &rr);
        if (!pos)
            return false;
        /* We never sign a query, so a TSIG or TKEY record in a reply is bogus -- and ldns
         * (1.8.3) leaks every TSIG record of a message but the last it parses, so a hostile
         * server sending two per reply would make each of its replies leak (fuzz_upstream). */
        if (rr.type == WIRE_TYPE_TSIG || rr.type == WIRE_TYPE_TKEY)
            return false;
        last_is_opt = rr.type == WIRE_TYPE_OPT;
        opts += last_is_opt;
    }
    if (opts == 0) {
        *len = pos;                     /* trailing octets are not part of any RR: drop */
        return true;
    }
    /* An extended rcode (BADVERS, BADCOOKIE...) lives in the OPT: removing it would turn the
     * reply into something the server did not say. */
    if (opts > 1 || !last_is_opt || WIRE_ARCOUNT(msg) == 0 || (rr.ttl >> 24) != 0)
        return false;
    *len = rr.start;
    wire_put16(msg + 10, (uint16_t)(WIRE_ARCOUNT(msg) - 1));
    return true;
}

bool wire_response_matches(const uint8_t *msg, size_t len, const uint8_t *qname,
                           size_t qname_len, uint16_t qtype, uint16_t qclass)
{
    uint8_t name[WIRE_MAX_NAME];
    size_t name_len;

    if (len < WIRE_HEADER_LEN || !WIRE_QR(msg) || WIRE_QDCOUNT(msg) != 1)
        return false;
    size_t pos = wire_read_name(msg, len, WIRE_HEADER_LEN, name, &name_len);
    /* The question is the first name, so a compression pointer there can only point into
     * the header: no real reply has one. It must not pass, because the message would be
     * cached as it is and wire_finish_reply, which reads the question octet for octet,
     * could never serve it (every hit a SERVFAIL; found by fuzz_upstream). */
    if (!pos || pos != WIRE_HEADER_LEN + name_len || pos + 4 > len)
        return false;
    return wire_name_equal(name, name_len, qname, qname_len) &&
           wire_get16(msg + pos) == qtype && wire_get16(msg + pos + 2) == qclass;
}
