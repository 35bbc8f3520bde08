/* iter.h -- the iterator's state machine (iterate.c) as its stage (iterstage.c) drives it.
 *
 * Internal to iteration: nothing outside iterate.c and iterstage.c includes this. A root
 * iter resolves one question; iter_run advances it until it waits for an event or ends,
 * and when it ends `done` gets it (ok: the result is in it, iter_result_wire gives it as a
 * message); the callee frees it with iter_free, which also cancels whatever still runs. */
#ifndef ITER_H
#define ITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct daemon;
struct iter;
struct trace;

typedef void iter_done_fn(void *arg, struct iter *it, bool ok);

/* A root iter for (qname_lc, qtype, qclass), its deadline running, not yet started; NULL
 * when out of memory. trace (may be NULL) gets every step and must outlive it. */
struct iter *iter_new_root(struct daemon *d, const uint8_t *qname_lc, size_t qname_len,
                           uint16_t qtype, uint16_t qclass, struct trace *trace,
                           iter_done_fn *done, void *arg);
void iter_run(struct iter *it);
void iter_free(struct iter *it);

/* The result as a response message without OPT (malloc'ed; NULL when out of memory). */
uint8_t *iter_result_wire(const struct iter *it, size_t *len);

#endif
