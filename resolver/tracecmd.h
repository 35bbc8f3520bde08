/* tracecmd.h -- `trace NAME [TYPE] [--json]`: one resolution, watched step by step.
 *
 * Looks the name up the way a client query would be (hosts file, local zones, cache) and,
 * on a miss, resolves it through resolve_start with a trace attached -- never joined with a
 * client's resolution in the mesh, so every step is its own.
 * The answer is cached like any other. When done, the steps are rendered (tracefmt.c) and
 * passed to the caller: the control socket, which holds the client's connection open
 * meanwhile. */
#ifndef TRACECMD_H
#define TRACECMD_H

#include <stdbool.h>
#include <stddef.h>

struct thread_ctx;
struct tracecmd;

/* text: the whole rendering (NUL-terminated), valid only during the call. */
typedef void tracecmd_done_fn(void *arg, const char *text, size_t len);

/* Starts tracing; `done` is called later (never inside this call), exactly once, unless
 * tracecmd_cancel or tracecmd_stop comes first. NULL with the reason in err when the name
 * or type is invalid or memory is short. */
struct tracecmd *tracecmd_start(struct thread_ctx *ctx, const char *name, const char *type,
                                bool json, tracecmd_done_fn *done, void *arg, char *err,
                                size_t errlen);
/* Drops the trace without calling `done` (the client went away). */
void tracecmd_cancel(struct tracecmd *tc);
/* Ends a trace that is taking too long: `done` gets the steps so far, marked unfinished. */
void tracecmd_stop(struct tracecmd *tc);

#endif
