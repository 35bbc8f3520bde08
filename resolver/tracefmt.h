/* tracefmt.h -- a finished trace as text for a person, or as JSON for scripts.
 *
 * The result part (how the question was answered: rcode, where from, the records) is
 * given separately from the steps, so that both renderings show the same facts. */
#ifndef TRACEFMT_H
#define TRACEFMT_H

#include <stdbool.h>
#include <stddef.h>

#include <ldns/ldns.h>

struct strbuf;
struct trace;

struct trace_result {
    const char *name, *type;        /* the question, presentation form */
    const char *source;             /* hosts, local-zone, cache, forward, iterate, none */
    bool finished;                  /* false: stopped before an answer came */
    const ldns_pkt *answer;         /* NULL: no answer (SERVFAIL) */
    int ede;                        /* no answer: the EDE code a client gets (ede.h) */
    const char *ede_text;           /* ... and its text (NULL: none) */
};

/* Appends the rendering to out: one line a step, then the result and its records. */
void tracefmt_text(const struct trace *tr, const struct trace_result *res, struct strbuf *out);
/* Appends one JSON object (and a newline): {"name", "type", "finished", "source", "rcode",
 * "elapsed_ms", "answer": [RR text...], "authority": [...], "steps": [{...}...]}; for a
 * SERVFAIL also "ede" (the code) and "ede_text". */
void tracefmt_json(const struct trace *tr, const struct trace_result *res, struct strbuf *out);

#endif
