/* wire.h -- DNS messages in wire form, without allocation: the fast-path toolkit.
 *
 * Parsers follow the djbdns shape: each takes (pkt, len, pos) and returns the new offset,
 * or 0 when the packet is malformed, so bounds checks chain and a hostile packet can
 * never make us read past its end (offset 0 is never a valid end position because every
 * message has a 12-byte header). ldns is used everywhere else; this file exists so that a
 * cache hit and the message bookkeeping (TTL offsets, OPT stripping, EDE options) need no
 * ldns call and no malloc. Names here are uncompressed wire names of at most 255 octets. */
#ifndef WIRE_H
#define WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_HEADER_LEN   12
#define WIRE_MAX_NAME     255
#define WIRE_MAX_UDP      65535

/* header field access */
#define WIRE_ID(p)        ((uint16_t)((p)[0] << 8 | (p)[1]))
#define WIRE_QDCOUNT(p)   ((uint16_t)((p)[4] << 8 | (p)[5]))
#define WIRE_ANCOUNT(p)   ((uint16_t)((p)[6] << 8 | (p)[7]))
#define WIRE_NSCOUNT(p)   ((uint16_t)((p)[8] << 8 | (p)[9]))
#define WIRE_ARCOUNT(p)   ((uint16_t)((p)[10] << 8 | (p)[11]))
#define WIRE_QR(p)        (((p)[2] & 0x80) != 0)
#define WIRE_OPCODE(p)    (((p)[2] >> 3) & 0x0f)
#define WIRE_AA(p)        (((p)[2] & 0x04) != 0)
#define WIRE_TC(p)        (((p)[2] & 0x02) != 0)
#define WIRE_RD(p)        (((p)[2] & 0x01) != 0)
#define WIRE_AD(p)        (((p)[3] & 0x20) != 0)
#define WIRE_CD(p)        (((p)[3] & 0x10) != 0)
#define WIRE_RCODE(p)     ((p)[3] & 0x0f)

#define WIRE_TYPE_A       1
#define WIRE_TYPE_NS      2
#define WIRE_TYPE_CNAME   5
#define WIRE_TYPE_SOA     6
#define WIRE_TYPE_PTR     12
#define WIRE_TYPE_AAAA    28
#define WIRE_TYPE_OPT     41
#define WIRE_EDNS_EDE     15    /* EDNS option code of Extended DNS Errors (RFC 8914) */
#define WIRE_TYPE_TKEY    249
#define WIRE_TYPE_TSIG    250
#define WIRE_CLASS_IN     1

#define WIRE_RCODE_NOERROR  0
#define WIRE_RCODE_FORMERR  1
#define WIRE_RCODE_SERVFAIL 2
#define WIRE_RCODE_NXDOMAIN 3
#define WIRE_RCODE_NOTIMP   4
#define WIRE_RCODE_REFUSED  5

static inline uint16_t wire_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t wire_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void wire_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void wire_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* Skips a possibly compressed name at pos; returns the offset after it, or 0. */
size_t wire_skip_name(const uint8_t *pkt, size_t len, size_t pos);
/* Reads a possibly compressed name at pos into out (uncompressed, at most 255 octets),
 * following at most a bounded number of pointers, each strictly backwards. Returns the
 * offset after the name in the packet (not after the pointer target), or 0. */
size_t wire_read_name(const uint8_t *pkt, size_t len, size_t pos,
                      uint8_t out[WIRE_MAX_NAME], size_t *out_len);
/* Lower-cases an uncompressed wire name in place (ASCII letters only, as DNS does). */
void wire_name_lower(uint8_t *name, size_t len);
/* Case-insensitive equality of two uncompressed wire names. */
bool wire_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
/* Is name zone itself or below it? Both uncompressed and lower-cased; compares at label
 * boundaries only, so notexample.com is not below example.com, nor a\.example (one
 * label "a.example") below example. The root (zone_len 1) holds every name. */
bool wire_name_at_or_below(const uint8_t *name, size_t name_len, const uint8_t *zone,
                           size_t zone_len);
/* Hash of an uncompressed name, case-insensitive (FNV-1a over lower-cased octets). */
uint64_t wire_name_hash(const uint8_t *name, size_t len);
/* Presentation form ("www.example.com.") of an uncompressed wire name; returns out. */
char *wire_name_to_str(const uint8_t *name, size_t len, char *out, size_t outlen);

/* One resource record, as located by wire_parse_rr. Offsets are into the packet. */
struct wire_rr {
    size_t start;           /* first octet of the owner name */
    size_t type_off;        /* offset of TYPE (CLASS, TTL, RDLENGTH follow) */
    uint16_t type, rclass;
    uint32_t ttl;
    size_t ttl_off;         /* offset of the 32-bit TTL */
    size_t rdata_off;
    uint16_t rdlen;
    size_t end;             /* offset after the RR */
};

/* Parses the RR at pos; returns its end offset (rr->end) or 0 if malformed. */
size_t wire_parse_rr(const uint8_t *pkt, size_t len, size_t pos, struct wire_rr *rr);
/* Skips the question section (QDCOUNT entries) starting at offset 12; returns the offset
 * of the first answer RR or 0. */
size_t wire_skip_question(const uint8_t *pkt, size_t len);

/* ---- client queries ---------------------------------------------------------------- */

enum wire_query_verdict {
    WIRE_QUERY_OK = 0,
    WIRE_QUERY_DROP,        /* too short for a header, or a response (QR=1): never answered */
    WIRE_QUERY_FORMERR,     /* QDCOUNT != 1, broken question, broken OPT */
    WIRE_QUERY_NOTIMP,      /* opcode other than QUERY */
    WIRE_QUERY_BADVERS,     /* EDNS version other than 0 */
};

struct wire_query {
    uint16_t id;
    uint8_t flags_hi, flags_lo;     /* header octets 2 and 3 as received */
    uint8_t qname[WIRE_MAX_NAME];   /* as the client wrote it (its case) */
    size_t qname_len;
    uint8_t qname_lc[WIRE_MAX_NAME];/* lower-cased: the cache and mesh key */
    uint64_t qname_hash;
    uint16_t qtype, qclass;
    size_t question_end;            /* offset after the question in the client's packet */
    bool has_edns;
    uint16_t edns_size;             /* client's advertised UDP size (512 without EDNS) */
    bool edns_do;
};

/* Parses a client query: header, the one question (no compression allowed there, as in
 * every real query) and, if present, the OPT record in the additional section. On
 * FORMERR/NOTIMP/BADVERS the id and flags (and, when parsed, the question) are filled so
 * an error reply can still be built. */
enum wire_query_verdict wire_parse_query(const uint8_t *pkt, size_t len, struct wire_query *q);

/* Builds an error reply (rcode; above 15 via the OPT's extended rcode) for a query into
 * out: the header, the question when it was parsed (q->question_end != 0), and an OPT when
 * the client sent one. Returns the length, or 0 if out is too small. */
size_t wire_build_error(const struct wire_query *q, int rcode, uint16_t our_edns_size,
                        uint8_t *out, size_t cap);

/* ---- replies built from a stored message ------------------------------------------ */

/* Turns `body` (a complete response message without OPT, as stored in the cache) into the
 * reply for query q, in out: ID and RD/CD from the query, QR=1 and RA=1, AD when body has
 * it (validated secure) and the client set DO or AD (RFC 6840 5.7), the question name in
 * the client's case, an OPT record (size our_edns_size, the DO bit echoed) when
 * the client sent EDNS. If the result exceeds `limit` (the client's UDP size, or 65535
 * over TCP) or `cap`, the reply is cut to header + question (+ OPT) with TC=1. Returns the
 * length, or 0 if the body's question is not q's or cap cannot even hold the question.
 * out may be body itself (the reply is then finished in place, as on a cache hit). This is the one function that shapes
 * every reply, so the fast and slow paths produce the same bytes. */
size_t wire_finish_reply(const struct wire_query *q, const uint8_t *body, size_t body_len,
                         uint16_t our_edns_size, size_t limit, uint8_t *out, size_t cap);

/* The UDP size limit for a reply to q: 512 without EDNS, otherwise the client's size
 * clamped to [512, our_edns_size]. */
size_t wire_udp_limit(const struct wire_query *q, uint16_t our_edns_size);

/* Appends an Extended DNS Error option (RFC 8914: INFO-CODE `code`, EXTRA-TEXT `text`,
 * UTF-8 without its NUL, may be NULL or "") to the OPT record of the finished message msg
 * (len octets in a buffer of cap), fixing the OPT's RDLENGTH; any reply, error or answer.
 * When the option with its text would make the message exceed `limit` (the client's UDP
 * size) or cap, the text is left out; when even the bare code does not fit, nothing is
 * added. Nothing is added either when the message has no OPT record (the client sent no
 * EDNS, so it gets no EDE) or cannot be walked. Returns the new length, or len. */
size_t wire_add_ede(uint8_t *msg, size_t len, size_t cap, size_t limit, uint16_t code,
                    const char *text);

/* ---- upstream messages --------------------------------------------------------------- */

/* Builds a query (ID id, RD as given, EDNS0 with edns_size when edns_size > 0, with the DO
 * bit when dnssec_ok: the authority is to send RRSIGs and denial records, for validation,
 * and CD then too, so a validating forwarder hands on what fails its checks and we judge
 * it ourselves, RFC 6840 5.9)
 * for qname/qtype/qclass into out; returns the length or 0. */
size_t wire_build_query(uint16_t id, bool rd, const uint8_t *qname, size_t qname_len,
                        uint16_t qtype, uint16_t qclass, uint16_t edns_size, bool dnssec_ok,
                        uint8_t *out, size_t cap);

/* Cuts a positive response (NOERROR with answers) after its answer section, in place: the
 * authority and additional sections go (minimal responses, as Unbound answers by default:
 * clients use neither, and a cached entry and every reply are smaller). Anything else --
 * a negative answer, also one at the end of a CNAME chain (NOERROR, answers, and an SOA in
 * the authority section: RFC 2308 3 wants that SOA kept) -- or a message it cannot walk,
 * keeps its length. Returns the (new) length. */
size_t wire_answer_only(uint8_t *msg, size_t len);

/* Removes the OPT record from a response in place (it must be the last RR of the message,
 * as every server writes it; otherwise nothing changes and false is returned). Returns
 * true when the message now has no OPT record. Also validates the whole message, which
 * must carry no TSIG or TKEY record (we sign nothing). */
bool wire_strip_opt(uint8_t *msg, size_t *len);

/* True if msg is a response whose question is exactly (qname, qtype, qclass), compared
 * case-insensitively, with QDCOUNT 1. */
bool wire_response_matches(const uint8_t *msg, size_t len, const uint8_t *qname,
                           size_t qname_len, uint16_t qtype, uint16_t qclass);

#endif
