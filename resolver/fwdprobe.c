/* fwdprobe.c -- background probes of down forwarders, on the main loop (see fwdprobe.h).
 *
 * Owns: the queue of addresses workers reported down (`pending`, under `lock`, the only
 * thing another thread touches) and the list of probes, each an ev_timer and at most one
 * outbound query, touched only on the main thread. Invariant: at most one probe per
 * address; a probe either waits on its timer or has its query in flight, never both. */
#include "fwdprobe.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>

#include "addr.h"
#include "config.h"
#include "context.h"
#include "infra.h"
#include "log.h"
#include "outbound.h"
#include "wire.h"

struct pending {
    struct pending *next;
    struct sockaddr_storage addr;
};

struct probe {
    struct probe *next;
    struct fwdprobe *p;
    struct sockaddr_storage addr;
    uint8_t zone[WIRE_MAX_NAME];        /* the question: ZONE NS */
    size_t zone_len;
    ev_timer timer;
    struct outbound *out;               /* the query in flight, or NULL */
};

struct fwdprobe {
    struct daemon *d;
    struct thread_ctx *ctx;             /* the main thread's: its loop and counters */
    ev_async wake;                      /* pending has entries */
    pthread_mutex_t lock;               /* guards pending */
    struct pending *pending;
    struct probe *probes;
};

/* The first forward zone that lists addr as an upstream, or NULL. */
static const struct config_forward *zone_of(const struct config *cfg,
                                            const struct sockaddr_storage *addr)
{
    for (size_t i = 0; i < cfg->n_forwards; i++)
        for (int k = 0; k < cfg->forwards[i].n_upstreams; k++)
            if (addr_equal(&cfg->forwards[i].upstreams[k], addr))
                return &cfg->forwards[i];
    return NULL;
}

static bool is_down(struct fwdprobe *p, const struct sockaddr_storage *addr,
                    struct infra_fwd_health *h)
{
    infra_fwd_health(p->d->infra, addr, time(NULL), h);
    return h->down;
}

static void probe_free(struct probe *pr)
{
    struct fwdprobe *p = pr->p;

    ev_timer_stop(p->ctx->loop, &pr->timer);
    outbound_cancel(pr->out);
    for (struct probe **at = &p->probes; *at; at = &(*at)->next)
        if (*at == pr) {
            *at = pr->next;
            break;
        }
    free(pr);
}

static void probe_arm(struct probe *pr, unsigned seconds)
{
    ev_timer_set(&pr->timer, seconds ? seconds : 1, 0.0);
    ev_timer_start(pr->p->ctx->loop, &pr->timer);
}

/* A failed probe: the infra cache doubles the wait, the timer waits it. */
static void probe_failed(struct probe *pr, const char *what)
{
    char where[64];
    unsigned wait = 0;

    if (infra_fwd_failed(pr->p->d->infra, &pr->addr, true, time(NULL), &wait))
        pr->p->ctx->stats.forward_marked_down++;    /* it had come up meanwhile */
    log_debug("probe of forwarder %s: %s; next in %u s",
              addr_to_str(&pr->addr, where, sizeof where), what, wait);
    if (wait == 0) {                    /* up meanwhile (another reply came) */
        probe_free(pr);
        return;
    }
    probe_arm(pr, wait);
}

static void probe_done(void *arg, enum outbound_status status, uint8_t *msg, size_t len,
                       double rtt)
{
    struct probe *pr = arg;
    struct fwdprobe *p = pr->p;
    char where[64];

    (void)msg;
    (void)len;
    pr->out = NULL;
    if (status != OUTBOUND_OK) {
        probe_failed(pr, status == OUTBOUND_TIMEOUT ? "no reply in time" : "no usable reply");
        return;
    }
    if (infra_fwd_reply(p->d->infra, &pr->addr, (uint32_t)(rtt * 1000), time(NULL))) {
        p->ctx->stats.forward_recovered++;
        log_info("forwarder %s answers its probe again: up",
                 addr_to_str(&pr->addr, where, sizeof where));
    }
    probe_free(pr);
}

static void probe_send(struct probe *pr)
{
    const struct config *cfg = pr->p->d->cfg;
    struct outbound_params q = {
        .server = pr->addr, .server_len = addr_len(&pr->addr),
        .qname = pr->zone, .qname_len = pr->zone_len,
        .qtype = 2 /* NS */, .qclass = 1 /* IN */, .rd = true,
        .edns_size = cfg->edns_buffer_size,
        .timeout_ms = cfg->upstream_timeout_ms,
        .infra = pr->p->d->infra,
    };

    q.has_source = config_outgoing_for(cfg, q.server.ss_family, &q.source);
    pr->p->ctx->stats.forward_probes++;
    pr->out = outbound_start(pr->p->ctx->loop, &pr->p->ctx->stats, &q, probe_done, pr);
    if (!pr->out)
        probe_failed(pr, "no socket");
}

static void probe_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct probe *pr = w->data;
    struct infra_fwd_health h;

    (void)loop;
    (void)revents;
    const struct config_forward *fz = zone_of(pr->p->d->cfg, &pr->addr);
    if (!pr->p->d->cfg->forward_probe || !fz || fz->tls ||
        !is_down(pr->p, &pr->addr, &h)) {
        probe_free(pr);                 /* up again, unconfigured, or probing switched off */
        return;
    }
    if (!h.retry_due)
        probe_arm(pr, h.retry_in);      /* a retry failed meanwhile and doubled the wait */
    else
        probe_send(pr);
}

/* Starts probing addr (if it is configured, down, and not probed yet). */
static void probe_add(struct fwdprobe *p, const struct sockaddr_storage *addr)
{
    const struct config_forward *fz = zone_of(p->d->cfg, addr);
    struct infra_fwd_health h;
    struct probe *pr;

    /* a `forward-tls` server is never asked in clear text, and the probes (main thread)
     * have no TLS pool: clients retry it when its back-off is over */
    if (!fz || fz->tls || !is_down(p, addr, &h))
        return;
    for (pr = p->probes; pr; pr = pr->next)
        if (addr_equal(&pr->addr, addr))
            return;
    if (!(pr = calloc(1, sizeof *pr))) {
        log_err("out of memory for a forwarder probe");
        return;
    }
    pr->p = p;
    pr->addr = *addr;
    memcpy(pr->zone, fz->zone, fz->zone_len);
    pr->zone_len = fz->zone_len;
    ev_timer_init(&pr->timer, probe_timer_cb, 1.0, 0.0);
    pr->timer.data = pr;
    pr->next = p->probes;
    p->probes = pr;
    probe_arm(pr, h.retry_in);
}

static void wake_cb(struct ev_loop *loop, ev_async *w, int revents)
{
    struct fwdprobe *p = w->data;

    (void)loop;
    (void)revents;
    pthread_mutex_lock(&p->lock);
    struct pending *all = p->pending;
    p->pending = NULL;
    pthread_mutex_unlock(&p->lock);
    while (all) {
        struct pending *next = all->next;
        if (p->d->cfg->forward_probe)
            probe_add(p, &all->addr);
        free(all);
        all = next;
    }
}

struct fwdprobe *fwdprobe_new(struct daemon *d)
{
    struct fwdprobe *p = calloc(1, sizeof *p);

    if (!p)
        return NULL;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return NULL;
    }
    p->d = d;
    p->ctx = &d->main_thread;
    ev_async_init(&p->wake, wake_cb);
    p->wake.data = p;
    ev_async_start(p->ctx->loop, &p->wake);
    return p;
}

void fwdprobe_free(struct fwdprobe *p)
{
    if (!p)
        return;
    ev_async_stop(p->ctx->loop, &p->wake);
    while (p->probes)
        probe_free(p->probes);
    while (p->pending) {
        struct pending *next = p->pending->next;
        free(p->pending);
        p->pending = next;
    }
    pthread_mutex_destroy(&p->lock);
    free(p);
}

void fwdprobe_down(struct fwdprobe *p, const struct sockaddr_storage *addr)
{
    struct pending *e;

    if (!p)
        return;
    if (!(e = malloc(sizeof *e))) {
        log_err("out of memory queueing a forwarder probe");
        return;
    }
    e->addr = *addr;
    pthread_mutex_lock(&p->lock);
    e->next = p->pending;
    p->pending = e;
    pthread_mutex_unlock(&p->lock);
    ev_async_send(p->ctx->loop, &p->wake);
}

void fwdprobe_sync(struct fwdprobe *p)
{
    const struct config *cfg;
    struct infra_fwd_health h;

    if (!p)
        return;
    cfg = p->d->cfg;
    for (struct probe *pr = p->probes, *next; pr; pr = next) {
        const struct config_forward *fz = zone_of(cfg, &pr->addr);
        next = pr->next;
        if (!cfg->forward_probe || !fz || fz->tls || !is_down(p, &pr->addr, &h)) {
            probe_free(pr);
            continue;
        }
        memcpy(pr->zone, fz->zone, fz->zone_len);   /* the zones may have changed */
        pr->zone_len = fz->zone_len;
    }
    if (!cfg->forward_probe)
        return;
    for (size_t i = 0; i < cfg->n_forwards; i++)
        for (int k = 0; k < cfg->forwards[i].n_upstreams; k++)
            probe_add(p, &cfg->forwards[i].upstreams[k]);
}
