/* fwdselect.c -- the order a query asks a forward zone's upstreams in (see fwdselect.h).
 *
 * At most CONFIG_MAX_UPSTREAMS (16) entries: an insertion sort, stable, so equal SRTTs keep
 * the config's order. */
#include "fwdselect.h"

static bool live(const struct infra_fwd_health *h, bool probing)
{
    return !h->down || (!probing && h->retry_due);
}

/* Sorts order[0..k) by SRTT, lowest first, keeping the order of equals. */
static void sort_by_srtt(const struct infra_fwd_health *h, int *order, int k)
{
    for (int i = 1; i < k; i++) {
        int x = order[i], j = i;
        for (; j > 0 && h[order[j - 1]].srtt_ms > h[x].srtt_ms; j--)
            order[j] = order[j - 1];
        order[j] = x;
    }
}

/* Fastest: the unmeasured first (config order), then the measured by SRTT; sometimes a
 * random other one goes first (exploration). */
static void order_fastest(const struct infra_fwd_health *h, int *order, int k, uint32_t rnd)
{
    int unmeasured = 0;

    for (int i = 0; i < k; i++) {       /* stable partition: unmeasured to the front */
        int x = order[i];
        if (h[x].measured)
            continue;
        for (int j = i; j > unmeasured; j--)
            order[j] = order[j - 1];
        order[unmeasured++] = x;
    }
    sort_by_srtt(h, order + unmeasured, k - unmeasured);
    if (unmeasured == 0 && k > 1 && rnd % 100 < FWDSELECT_EXPLORE_PERCENT) {
        int pick = 1 + (int)((rnd / 100) % (uint32_t)(k - 1)), x = order[pick];
        for (int j = pick; j > 0; j--)
            order[j] = order[j - 1];
        order[0] = x;
    }
}

int fwdselect_order(const struct infra_fwd_health *h, int n, enum config_forward_policy policy,
                    bool probing, uint32_t rnd, int *order, bool *retry)
{
    int k = 0, oldest = -1;

    for (int i = 0; i < n; i++) {
        if (live(&h[i], probing))
            order[k++] = i;
        else if (oldest < 0 || h[i].failed_seq < h[oldest].failed_seq)
            oldest = i;
    }
    if (k == 0) {
        if (oldest < 0)
            return 0;                   /* n == 0 */
        order[0] = oldest;
        retry[0] = true;
        return 1;
    }
    if (policy == CONFIG_FORWARD_FASTEST)
        order_fastest(h, order, k, rnd);
    for (int i = 0; i < k; i++)
        retry[i] = h[order[i]].down;
    return k;
}
