/* itertrace.c -- the iterator's trace steps (itertrace.h), formatted from its values. */
#include "itertrace.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "delegpt.h"
#include "trace.h"

/* "a.example. b.example." from an NS set, cut to fit a trace field. */
static void ns_names_text(const ldns_rr_list *ns, char out[TRACE_TEXT])
{
    size_t off = 0;

    out[0] = '\0';
    for (size_t i = 0; ns && i < ldns_rr_list_rr_count(ns) && off + 1 < TRACE_TEXT; i++) {
        char one[TRACE_TEXT];
        trace_set_name(one, ldns_rr_rdf(ldns_rr_list_rr(ns, i), 0));
        int n = snprintf(out + off, TRACE_TEXT - off, "%s%s", i ? " " : "", one);
        if (n < 0)
            break;
        off += (size_t)n;
    }
}

void itertrace_delegation(struct trace *tr, int depth, const ldns_rdf *target, uint16_t qtype,
                          const struct delegpt *dp, const char *source)
{
    struct trace_step *s = trace_add(tr, TRACE_DELEGATION, depth);
    char names[TRACE_TEXT];

    if (!s)
        return;
    trace_set_name(s->name, target);
    trace_set_type(s->type, qtype);
    trace_set_name(s->zone, dp->zone);
    snprintf(s->verdict, sizeof s->verdict, "%s", source);
    ns_names_text(dp->ns, names);
    trace_printf(s->detail, "NS %s; %d address%s known", names, dp->n_servers,
                 dp->n_servers == 1 ? "" : "es");
    if (strcmp(source, "cache") == 0 && ldns_rr_list_rr_count(dp->ns) > 0)
        s->ttl = (long)ldns_rr_ttl(ldns_rr_list_rr(dp->ns, 0));
}

void itertrace_query(struct trace *tr, int depth, const struct delegpt_server *server,
                     const ldns_rdf *zone, const ldns_rdf *asked, uint16_t asked_type)
{
    struct trace_step *s = trace_add(tr, TRACE_QUERY, depth);

    if (!s)
        return;
    addr_to_str(&server->addr, s->server, sizeof s->server);
    if (server->name)
        trace_set_name(s->server_name, server->name);
    trace_set_name(s->zone, zone);
    trace_set_name(s->name, asked);
    trace_set_type(s->type, asked_type);
    snprintf(s->verdict, sizeof s->verdict, "sent");
}

void itertrace_verdict(struct trace *tr, int depth, const char *verdict, double rtt_ms,
                       const char *fmt, ...)
{
    struct trace_step *s = trace_last_query(tr, depth);
    va_list ap;

    if (!s)
        return;
    snprintf(s->verdict, sizeof s->verdict, "%s", verdict);
    if (rtt_ms >= 0)
        s->rtt_ms = rtt_ms;
    va_start(ap, fmt);
    vsnprintf(s->detail, sizeof s->detail, fmt, ap);
    va_end(ap);
}

void itertrace_referral(struct trace *tr, int depth, const ldns_rr_list *ns,
                        const ldns_rr_list *glue, const char *child)
{
    char names[TRACE_TEXT];
    size_t n_glue = glue ? ldns_rr_list_rr_count(glue) : 0, n_ns = ldns_rr_list_rr_count(ns);

    if (!tr)
        return;
    ns_names_text(ns, names);
    itertrace_verdict(tr, depth, "referral", -1, "referral to %s: NS %s; %zu glue record%s",
                      child, names, n_glue, n_glue == 1 ? "" : "s");
    struct trace_step *s = trace_add(tr, TRACE_CACHED, depth);
    if (!s)
        return;
    trace_set_name(s->name, ldns_rr_owner(ldns_rr_list_rr(ns, 0)));
    snprintf(s->type, sizeof s->type, "NS");
    snprintf(s->verdict, sizeof s->verdict, "delegation");
    s->ttl = (long)ldns_rr_ttl(ldns_rr_list_rr(ns, 0));
    trace_printf(s->detail, "%zu NS record%s and %zu glue record%s in the RRset cache", n_ns,
                 n_ns == 1 ? "" : "s", n_glue, n_glue == 1 ? "" : "s");
}

void itertrace_child(struct trace *tr, int depth, const ldns_rdf *name, uint16_t type,
                     const ldns_rdf *zone, const char *verdict, const char *detail)
{
    struct trace_step *s = trace_add(tr, TRACE_CHILD, depth);

    if (!s)
        return;
    trace_set_name(s->name, name);
    trace_set_type(s->type, type);
    trace_set_name(s->zone, zone);
    snprintf(s->verdict, sizeof s->verdict, "%s", verdict);
    trace_printf(s->detail, "%s", detail);
}

void itertrace_fail(struct trace *tr, int depth, const ldns_rdf *target, uint16_t qtype,
                    const char *why)
{
    struct trace_step *s = trace_add(tr, TRACE_FAIL, depth);

    if (!s)
        return;
    trace_set_name(s->name, target);
    trace_set_type(s->type, qtype);
    trace_printf(s->detail, "%s", why);
}
