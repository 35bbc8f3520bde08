/* querylog.c -- the line `log-queries yes` writes for each client query (querylog.h). */
#include "querylog.h"

#include <stdio.h>

#include <ldns/ldns.h>

#include "addr.h"
#include "log.h"
#include "reply.h"
#include "wire.h"

/* A type's mnemonic from ldns' table (no allocation), or TYPEnnn (RFC 3597). */
static const char *type_name(uint16_t type, char *buf, size_t size)
{
    const ldns_rr_descriptor *desc = ldns_rr_descript(type);

    if (desc && desc->_name && desc->_type == type)
        return desc->_name;
    snprintf(buf, size, "TYPE%u", type);
    return buf;
}

static const char *class_name(uint16_t qclass, char *buf, size_t size)
{
    if (qclass == WIRE_CLASS_IN)
        return "IN";
    snprintf(buf, size, "CLASS%u", qclass);
    return buf;
}

void querylog_write(const struct wire_query *q, const struct reply_target *t)
{
    char peer[64], name[WIRE_MAX_NAME * 4 + 2], type[16], qclass[16];

    addr_to_str(&t->peer, peer, sizeof peer);
    if (q->question_end)
        wire_name_to_str(q->qname, q->qname_len, name, sizeof name);
    else
        snprintf(name, sizeof name, "(no question)");
    log_query("query %s %s %s %s %s", peer, name, type_name(q->qtype, type, sizeof type),
              class_name(q->qclass, qclass, sizeof qclass), t->tcp ? "tcp" : "udp");
}
