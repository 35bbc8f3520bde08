/* msgform.h -- the two forms of an answer: for clients without the DO bit, and for DO clients.
 *
 * What the store receives is the full answer (validate.c's output): RRSIGs after each RRset,
 * for a negative answer the SOA, NSEC/NSEC3 records and their RRSIGs in the authority
 * section, for a wildcard answer the NSEC/NSEC3 proof there. msgform_split makes from it:
 *
 *   plain   what a client without DO gets, exactly the bytes of today's answers: AA cleared,
 *           a positive answer cut after its answer section (wire_answer_only), and no RRSIG,
 *           NSEC or NSEC3 record anywhere -- except in the answer section when the question
 *           asks for that very type (RFC 4035 3.2.1). An answer without such records is not
 *           re-rendered at all, so its bytes are the upstream's, as before validation.
 *   dnssec  what a DO client gets: AA cleared, the answer section whole (RRSIGs included);
 *           a negative answer whole; a positive answer's authority section only when it
 *           holds an NSEC/NSEC3 proof (a wildcard), and then only those records and the
 *           RRSIGs over them; never the additional section of a positive answer.
 *
 * Splitting a dnssec form again gives the same two forms (the cachedb stage relies on it:
 * Redis keeps the dnssec form, cachedb.c). A pure function of its input (ldns parses and
 * re-renders only when records must go), run once per resolution on the cold path. */
#ifndef MSGFORM_H
#define MSGFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct msgform {
    uint8_t plain[WIRE_MAX_UDP];
    size_t plain_len;               /* 0: none could be made (see msgform_split) */
    uint8_t dnssec[WIRE_MAX_UDP];
    size_t dnssec_len;
    bool same;                      /* the two are byte for byte equal: the answer carries
                                     * nothing a DO client gets in addition */
};

/* Fills f from msg (len octets, no OPT), the answer to a question of type qtype. Returns 0;
 * -1 when msg does not walk, or records had to be removed and ldns could not re-render it
 * (then f->plain_len and f->dnssec_len are 0: the answer is unusable). */
int msgform_split(const uint8_t *msg, size_t len, uint16_t qtype, struct msgform *f);

/* Whether an RR of this type in this section (0 answer, 1 authority, 2 additional) is one a
 * client without DO does not get, for a question of type qtype. */
bool msgform_dnssec_only(uint16_t type, int section, uint16_t qtype);

#endif
