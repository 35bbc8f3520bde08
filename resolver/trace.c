/* trace.c -- the step list of one traced resolution (see trace.h).
 *
 * Owns the steps and their timestamps, nothing else: it knows no DNS logic, so the
 * iterator, the forwarder and tracecmd.c can all write to it without depending on each
 * other. A trace holds at most TRACE_MAX_STEPS steps (a pathological resolution has at
 * most ITER_MAX_QUERIES queries, each with a handful of steps); beyond that, steps are
 * counted as dropped rather than growing without bound. */
#include "trace.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wire.h"

#define TRACE_MAX_STEPS 400

struct trace {
    struct timespec started;
    struct trace_step *steps;
    size_t n, cap;
    bool truncated;
};

static double ms_since(const struct timespec *t0)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) * 1000.0 + (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

struct trace *trace_new(void)
{
    struct trace *tr = calloc(1, sizeof *tr);

    if (tr)
        clock_gettime(CLOCK_MONOTONIC, &tr->started);
    return tr;
}

void trace_free(struct trace *tr)
{
    if (!tr)
        return;
    free(tr->steps);
    free(tr);
}

struct trace_step *trace_add(struct trace *tr, enum trace_kind kind, int depth)
{
    if (!tr)
        return NULL;
    if (tr->n == tr->cap) {
        size_t cap = tr->cap ? tr->cap * 2 : 16;
        struct trace_step *bigger;
        if (cap > TRACE_MAX_STEPS)
            cap = TRACE_MAX_STEPS;
        if (tr->n == cap || !(bigger = realloc(tr->steps, cap * sizeof *bigger))) {
            tr->truncated = true;
            return NULL;
        }
        tr->steps = bigger;
        tr->cap = cap;
    }
    struct trace_step *s = &tr->steps[tr->n++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->depth = depth;
    s->at_ms = ms_since(&tr->started);
    s->rtt_ms = -1;
    s->ttl = -1;
    return s;
}

struct trace_step *trace_last_query(struct trace *tr, int depth)
{
    for (size_t i = tr ? tr->n : 0; i > 0; i--)
        if (tr->steps[i - 1].kind == TRACE_QUERY && tr->steps[i - 1].depth == depth)
            return &tr->steps[i - 1];
    return NULL;
}

size_t trace_count(const struct trace *tr) { return tr->n; }
const struct trace_step *trace_get(const struct trace *tr, size_t i) { return &tr->steps[i]; }
double trace_elapsed_ms(const struct trace *tr) { return ms_since(&tr->started); }
bool trace_truncated(const struct trace *tr) { return tr->truncated; }

void trace_set_name(char out[TRACE_TEXT], const ldns_rdf *name)
{
    if (!name || ldns_rdf_size(name) > WIRE_MAX_NAME)
        snprintf(out, TRACE_TEXT, "?");
    else
        wire_name_to_str(ldns_rdf_data(name), ldns_rdf_size(name), out, TRACE_TEXT);
}

void trace_set_type(char out[16], uint16_t type)
{
    char *s = ldns_rr_type2str((ldns_rr_type)type);

    snprintf(out, 16, "%s", s ? s : "?");
    free(s);
}

void trace_printf(char out[TRACE_TEXT], const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out, TRACE_TEXT, fmt, ap);
    va_end(ap);
}
