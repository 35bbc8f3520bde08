/* reply.c -- the last steps of every reply: shaping it to its question, counting it,
 * handing it to the target's callback (reply.h).
 *
 * Every reply -- cache hit, hosts, local zone, upstream answer, error -- goes through
 * wire_finish_reply or wire_build_error here, so replies are shaped in one place; an error
 * that says why gets its Extended DNS Error here too (wire_add_ede). */
#include "reply.h"

#include <stdbool.h>

#include "config.h"
#include "context.h"
#include "ede.h"
#include "log.h"
#include "stats.h"
#include "wire.h"

static size_t reply_limit(const struct thread_ctx *ctx, const struct wire_query *q,
                          const struct reply_target *t)
{
    return t->tcp ? WIRE_MAX_UDP : wire_udp_limit(q, ctx->d->cfg->edns_buffer_size);
}

void reply_send(struct thread_ctx *ctx, const struct reply_target *t, const uint8_t *reply,
                size_t len)
{
    if (len >= WIRE_HEADER_LEN) {
        /* received may come from another thread's loop clock: never below zero */
        ev_tstamp waited = ev_now(ctx->loop) - t->received;
        ctx->stats.rcode[WIRE_RCODE(reply)]++;
        stats_record_latency(&ctx->stats, waited > 0 ? (uint64_t)(waited * 1e6) : 0);
    }
    t->send(ctx, t, reply, len);
}

void reply_error(struct thread_ctx *ctx, const struct wire_query *q,
                 const struct reply_target *t, int rcode)
{
    reply_error_ede(ctx, q, t, rcode, EDE_NONE, NULL);
}

/* Room for the header, the question, the OPT and an EDE with a text of a line or two:
 * a longer text is left out (wire_add_ede), never cut. */
#define REPLY_ERROR_MAX (WIRE_HEADER_LEN + WIRE_MAX_NAME + 4 + 11 + 6 + 256)

void reply_error_ede(struct thread_ctx *ctx, const struct wire_query *q,
                     const struct reply_target *t, int rcode, int ede, const char *text)
{
    uint8_t out[REPLY_ERROR_MAX];
    size_t len = wire_build_error(q, rcode, ctx->d->cfg->edns_buffer_size, out, sizeof out);

    if (len && ede >= 0 && ede <= 0xffff)
        len = wire_add_ede(out, len, sizeof out, reply_limit(ctx, q, t), (uint16_t)ede, text);
    reply_send(ctx, t, out, len);
}

void reply_finish_ede(struct thread_ctx *ctx, const struct wire_query *q,
                      const struct reply_target *t, const uint8_t *body, size_t body_len,
                      uint8_t *out, size_t cap, int ede)
{
    uint16_t edns = ctx->d->cfg->edns_buffer_size;
    size_t limit = reply_limit(ctx, q, t), len = 0;

    if (body)
        len = wire_finish_reply(q, body, body_len, edns, limit, out, cap);
    if (len == 0) {
        if (body)
            log_debug("unusable answer body, answering SERVFAIL");
        reply_error_ede(ctx, q, t, WIRE_RCODE_SERVFAIL, EDE_OTHER,
                        body ? "unusable answer" : "no answer");
        return;
    }
    if (ede >= 0)
        len = wire_add_ede(out, len, cap, limit, (uint16_t)ede, NULL);
    reply_send(ctx, t, out, len);
}

void reply_finish(struct thread_ctx *ctx, const struct wire_query *q,
                  const struct reply_target *t, const uint8_t *body, size_t body_len,
                  uint8_t *out, size_t cap)
{
    reply_finish_ede(ctx, q, t, body, body_len, out, cap, EDE_NONE);
}

void reply_stale(struct thread_ctx *ctx, const struct wire_query *q,
                 const struct reply_target *t, const uint8_t *body, size_t body_len,
                 uint8_t *out, size_t cap)
{
    bool nx = body_len >= WIRE_HEADER_LEN && WIRE_RCODE(body) == WIRE_RCODE_NXDOMAIN;

    ctx->stats.answers_stale++;
    reply_finish_ede(ctx, q, t, body, body_len, out, cap,
                     nx ? EDE_STALE_NXDOMAIN : EDE_STALE_ANSWER);
}

void reply_answer(struct thread_ctx *ctx, const struct wire_query *q,
                  const struct reply_target *t, const uint8_t *body, size_t body_len)
{
    uint8_t out[WIRE_MAX_UDP];

    reply_finish(ctx, q, t, body, body_len, out, sizeof out);
}
