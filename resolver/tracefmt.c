/* tracefmt.c -- renders a trace (trace.h) as text or JSON (see tracefmt.h).
 *
 * Text: one line a step, "MS  STEP  what happened", indented by the depth of glueless
 * resolutions, so a person reads the resolution top to bottom as it happened; then the
 * result and its records in zone-file form. JSON: the same fields, one object per step,
 * empty fields left out, for scripts. */
#include "tracefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ede.h"
#include "strbuf.h"
#include "trace.h"

static const char *const kind_names[] = {
    [TRACE_HOSTS] = "hosts",         [TRACE_LOCAL] = "local-zone", [TRACE_CACHE] = "cache",
    [TRACE_ROUTE] = "route",         [TRACE_DELEGATION] = "delegation",
    [TRACE_QUERY] = "query",         [TRACE_CHILD] = "ns-lookup",  [TRACE_CACHED] = "cached",
    [TRACE_FAIL] = "failed",
};

static const char *rcode_name(const ldns_pkt *pkt)
{
    const ldns_lookup_table *t = ldns_lookup_by_id(ldns_rcodes, (int)ldns_pkt_get_rcode(pkt));
    return t ? t->name : "?";
}

/* One RR in zone-file form without the trailing newline (the caller frees). */
static char *rr_text(const ldns_rr *rr)
{
    char *s = ldns_rr2str(rr);
    size_t n = s ? strlen(s) : 0;

    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
    return s;
}

/* ---- text -------------------------------------------------------------------------------- */

static void text_step(struct strbuf *out, const struct trace_step *s)
{
    strbuf_append(out, "%9.1f  %*s%-11s ", s->at_ms, 2 * s->depth, "", kind_names[s->kind]);
    switch (s->kind) {
    case TRACE_QUERY:
        strbuf_append(out, "%s%s%s%s zone %s asked %s %s: %s", s->server,
                      s->server_name[0] ? " (" : "", s->server_name, s->server_name[0] ? ")" : "",
                      s->zone, s->name, s->type, s->verdict);
        if (s->rtt_ms >= 0)
            strbuf_append(out, " in %.1f ms", s->rtt_ms);
        break;
    case TRACE_DELEGATION:
        strbuf_append(out, "%s from the %s", s->zone,
                      strcmp(s->verdict, "hints") == 0 ? "root hints" : "RRset cache");
        if (s->ttl >= 0)
            strbuf_append(out, " (TTL %ld left)", s->ttl);
        break;
    case TRACE_CHILD:
        strbuf_append(out, "%s %s (a name server of %s): %s", s->name, s->type, s->zone, s->verdict);
        break;
    case TRACE_CACHED:
        strbuf_append(out, "%s %s", s->name, s->type);
        if (s->ttl >= 0)
            strbuf_append(out, " TTL %ld", s->ttl);
        break;
    case TRACE_FAIL:
        strbuf_append(out, "%s %s: gave up", s->name, s->type);
        break;
    default:
        strbuf_append(out, "%s", s->verdict);
        break;
    }
    strbuf_append(out, "%s%s\n", s->detail[0] ? ": " : "", s->detail);
}

static void text_records(struct strbuf *out, const ldns_rr_list *rrs)
{
    for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs); i++) {
        char *s = rr_text(ldns_rr_list_rr(rrs, i));
        strbuf_append(out, "           %s\n", s ? s : "?");
        free(s);
    }
}

void tracefmt_text(const struct trace *tr, const struct trace_result *res, struct strbuf *out)
{
    double ms = trace_elapsed_ms(tr);

    strbuf_append(out, "trace %s %s\n", res->name, res->type);
    for (size_t i = 0; i < trace_count(tr); i++)
        text_step(out, trace_get(tr, i));
    if (trace_truncated(tr))
        strbuf_append(out, "%9s  (more steps were taken than a trace keeps)\n", "");
    if (!res->finished) {
        strbuf_append(out, "%9.1f  result      unfinished: no answer yet, trace stopped\n", ms);
        return;
    }
    if (!res->answer) {
        strbuf_append(out, "%9.1f  result      SERVFAIL (%s): no answer could be found\n", ms,
                      res->source);
        if (res->ede != EDE_NONE)
            strbuf_append(out, "%9s  EDE %d (%s)%s%s\n", "", res->ede, ede_name(res->ede),
                          res->ede_text ? ": " : "", res->ede_text ? res->ede_text : "");
        return;
    }
    size_t n = ldns_rr_list_rr_count(ldns_pkt_answer(res->answer));
    strbuf_append(out, "%9.1f  result      %s from %s, %zu answer record%s%s\n", ms,
                  rcode_name(res->answer), res->source, n, n == 1 ? "" : "s",
                  ldns_pkt_aa(res->answer) ? ", authoritative" : "");
    text_records(out, ldns_pkt_answer(res->answer));
    text_records(out, ldns_pkt_authority(res->answer));
}

/* ---- JSON -------------------------------------------------------------------------------- */

static void json_string(struct strbuf *out, const char *s)
{
    strbuf_append(out, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            strbuf_append(out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            strbuf_append(out, "\\u%04x", c);
        else
            strbuf_append(out, "%c", c);
    }
    strbuf_append(out, "\"");
}

/* ,"key":"value" -- left out when value is empty */
static void json_field(struct strbuf *out, const char *key, const char *value)
{
    if (!value[0])
        return;
    strbuf_append(out, ",\"%s\":", key);
    json_string(out, value);
}

static void json_step(struct strbuf *out, const struct trace_step *s)
{
    strbuf_append(out, "{\"step\":\"%s\",\"depth\":%d,\"ms\":%.3f", kind_names[s->kind], s->depth,
                  s->at_ms);
    json_field(out, "verdict", s->verdict);
    json_field(out, "name", s->name);
    json_field(out, "type", s->type);
    json_field(out, "zone", s->zone);
    json_field(out, "server", s->server);
    json_field(out, "server_name", s->server_name);
    if (s->rtt_ms >= 0)
        strbuf_append(out, ",\"rtt_ms\":%.3f", s->rtt_ms);
    if (s->ttl >= 0)
        strbuf_append(out, ",\"ttl\":%ld", s->ttl);
    json_field(out, "detail", s->detail);
    strbuf_append(out, "}");
}

static void json_records(struct strbuf *out, const char *key, const ldns_rr_list *rrs)
{
    strbuf_append(out, ",\"%s\":[", key);
    for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs); i++) {
        char *s = rr_text(ldns_rr_list_rr(rrs, i));
        strbuf_append(out, "%s", i ? "," : "");
        json_string(out, s ? s : "?");
        free(s);
    }
    strbuf_append(out, "]");
}

void tracefmt_json(const struct trace *tr, const struct trace_result *res, struct strbuf *out)
{
    strbuf_append(out, "{\"name\":");
    json_string(out, res->name);
    json_field(out, "type", res->type);
    json_field(out, "source", res->source);
    strbuf_append(out, ",\"finished\":%s,\"elapsed_ms\":%.3f", res->finished ? "true" : "false",
                  trace_elapsed_ms(tr));
    json_field(out, "rcode", !res->finished ? "" : res->answer ? rcode_name(res->answer) : "SERVFAIL");
    if (res->finished && !res->answer && res->ede != EDE_NONE) {
        strbuf_append(out, ",\"ede\":%d", res->ede);
        json_field(out, "ede_text", res->ede_text ? res->ede_text : "");
    }
    json_records(out, "answer", res->answer ? ldns_pkt_answer(res->answer) : NULL);
    json_records(out, "authority", res->answer ? ldns_pkt_authority(res->answer) : NULL);
    strbuf_append(out, ",\"steps_dropped\":%s,\"steps\":[", trace_truncated(tr) ? "true" : "false");
    for (size_t i = 0; i < trace_count(tr); i++) {
        strbuf_append(out, "%s", i ? "," : "");
        json_step(out, trace_get(tr, i));
    }
    strbuf_append(out, "]}\n");
}
