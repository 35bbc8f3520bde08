/* msgform.c -- an answer's form for clients without DO and its form for DO clients (msgform.h).
 *
 * One wire walk decides what each form needs. A form that only loses whole sections is cut
 * in place on a copy (wire_answer_only), keeping the upstream's bytes; a form that loses
 * single records is parsed and re-rendered with ldns (removing records from wire form
 * would break the compression pointers of the records after them). Failure policy: a
 * message that does not walk, or one ldns cannot render, yields no form at all -- never a
 * plain form that still holds DNSSEC records. */
#include "msgform.h"

#include <string.h>

#include <ldns/ldns.h>

#define TYPE_RRSIG 46
#define TYPE_NSEC  47
#define TYPE_NSEC3 50

enum { SEC_ANSWER, SEC_AUTHORITY, SEC_ADDITIONAL };

bool msgform_dnssec_only(uint16_t type, int section, uint16_t qtype)
{
    if (type != TYPE_RRSIG && type != TYPE_NSEC && type != TYPE_NSEC3)
        return false;
    /* asked for: the data itself (an RRSIG question gets its RRSIGs, an NSEC one its NSEC) */
    return !(section == SEC_ANSWER && type == qtype);
}

/* What the walk learns. */
struct scan {
    bool positive;                  /* NOERROR with answers and no SOA in authority */
    bool dnssec_in[3];              /* a record only DO clients get, per section */
    bool proof;                     /* NSEC or NSEC3 in the authority section */
};

static int scan_msg(const uint8_t *msg, size_t len, uint16_t qtype, struct scan *s)
{
    size_t pos = wire_skip_question(msg, len);
    unsigned an = WIRE_ANCOUNT(msg), ns = WIRE_NSCOUNT(msg);
    unsigned count = an + ns + WIRE_ARCOUNT(msg);
    bool soa = false;

    memset(s, 0, sizeof *s);
    for (unsigned i = 0; pos && i < count; i++) {
        struct wire_rr rr;
        int section = i < an ? SEC_ANSWER : i < an + ns ? SEC_AUTHORITY : SEC_ADDITIONAL;
        if (!(pos = wire_parse_rr(msg, len, pos, &rr)))
            break;
        if (section == SEC_AUTHORITY && rr.type == WIRE_TYPE_SOA)
            soa = true;
        if (section == SEC_AUTHORITY && (rr.type == TYPE_NSEC || rr.type == TYPE_NSEC3))
            s->proof = true;
        if (msgform_dnssec_only(rr.type, section, qtype))
            s->dnssec_in[section] = true;
    }
    if (!pos || pos != len)
        return -1;
    s->positive = WIRE_RCODE(msg) == WIRE_RCODE_NOERROR && an > 0 && !soa;
    return 0;
}

/* The form that needs no record removed: a copy, AA cleared, a positive answer cut after
 * its answer section -- what clients got before validation, octet for octet. */
static size_t cut_copy(const uint8_t *msg, size_t len, uint8_t *out)
{
    memcpy(out, msg, len);
    out[2] &= (uint8_t)~0x04;
    return wire_answer_only(out, len);
}

typedef bool keep_fn(const ldns_rr *rr, int section, uint16_t qtype, bool positive);

/* plain: the positive answer's answer section, or every section of anything else, without
 * what only DO clients get. */
static bool keep_plain(const ldns_rr *rr, int section, uint16_t qtype, bool positive)
{
    if (positive && section != SEC_ANSWER)
        return false;
    return !msgform_dnssec_only((uint16_t)ldns_rr_get_type(rr), section, qtype);
}

/* dnssec, for a positive answer with a proof: the answer section, and of the authority
 * section the NSEC/NSEC3 records and the RRSIGs over them (the NS set and glue go, as
 * they go from every positive answer). */
static bool keep_proof(const ldns_rr *rr, int section, uint16_t qtype, bool positive)
{
    ldns_rr_type t = ldns_rr_get_type(rr);

    (void)qtype, (void)positive;
    if (section == SEC_ANSWER)
        return true;
    if (section != SEC_AUTHORITY)
        return false;
    if (t == LDNS_RR_TYPE_RRSIG && ldns_rr_rrsig_typecovered(rr))
        t = ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr));
    return t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3;
}

/* Keeps the RRs of list that keep() wants; the others are freed. NULL: out of memory. */
static ldns_rr_list *filter(ldns_rr_list *list, int section, keep_fn *keep, uint16_t qtype,
                            bool positive)
{
    ldns_rr_list *kept = ldns_rr_list_new();
    bool whole = kept != NULL;

    for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
        ldns_rr *rr = ldns_rr_list_rr(list, i);
        if (!whole || !keep(rr, section, qtype, positive)) {
            ldns_rr_free(rr);
        } else if (!ldns_rr_list_push_rr(kept, rr)) {
            ldns_rr_free(rr);
            whole = false;
        }
    }
    ldns_rr_list_free(list);        /* the list only: its RRs are kept or freed */
    if (!whole) {
        ldns_rr_list_deep_free(kept);
        return NULL;
    }
    return kept;
}

/* Parses msg, keeps what keep() wants of each section and renders it into out (AA
 * cleared). Returns the length, or 0. */
static size_t render(const uint8_t *msg, size_t len, uint16_t qtype, bool positive,
                     keep_fn *keep, uint8_t *out)
{
    ldns_pkt *pkt = NULL;
    uint8_t *wire = NULL;
    size_t n = 0;

    if (ldns_wire2pkt(&pkt, msg, len) != LDNS_STATUS_OK)
        return 0;
    ldns_rr_list *an = filter(ldns_pkt_answer(pkt), SEC_ANSWER, keep, qtype, positive);
    ldns_rr_list *ns = filter(ldns_pkt_authority(pkt), SEC_AUTHORITY, keep, qtype, positive);
    ldns_rr_list *ar = filter(ldns_pkt_additional(pkt), SEC_ADDITIONAL, keep, qtype, positive);
    ldns_pkt_set_answer(pkt, an);
    ldns_pkt_set_authority(pkt, ns);
    ldns_pkt_set_additional(pkt, ar);
    if (an && ns && ar) {
        ldns_pkt_set_ancount(pkt, (uint16_t)ldns_rr_list_rr_count(an));
        ldns_pkt_set_nscount(pkt, (uint16_t)ldns_rr_list_rr_count(ns));
        ldns_pkt_set_arcount(pkt, (uint16_t)ldns_rr_list_rr_count(ar));
        ldns_pkt_set_aa(pkt, false);
        if (ldns_pkt2wire(&wire, pkt, &n) != LDNS_STATUS_OK || n > WIRE_MAX_UDP)
            n = 0;
        if (n)
            memcpy(out, wire, n);
    }
    free(wire);
    ldns_pkt_free(pkt);
    return n;
}

int msgform_split(const uint8_t *msg, size_t len, uint16_t qtype, struct msgform *f)
{
    struct scan s;

    f->plain_len = f->dnssec_len = 0;
    f->same = false;
    if (len < WIRE_HEADER_LEN || len > WIRE_MAX_UDP || scan_msg(msg, len, qtype, &s) < 0)
        return -1;
    bool plain_filtered = s.dnssec_in[SEC_ANSWER] ||
                          (!s.positive && (s.dnssec_in[SEC_AUTHORITY] || s.dnssec_in[SEC_ADDITIONAL]));
    f->plain_len = plain_filtered ? render(msg, len, qtype, s.positive, keep_plain, f->plain)
                                  : cut_copy(msg, len, f->plain);
    f->dnssec_len = s.positive && s.proof ? render(msg, len, qtype, true, keep_proof, f->dnssec)
                                          : cut_copy(msg, len, f->dnssec);
    if (!f->plain_len || !f->dnssec_len) {
        f->plain_len = f->dnssec_len = 0;
        return -1;
    }
    f->same = f->plain_len == f->dnssec_len && memcmp(f->plain, f->dnssec, f->plain_len) == 0;
    return 0;
}
