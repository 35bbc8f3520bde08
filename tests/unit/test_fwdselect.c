/* test_fwdselect.c -- unit tests for resolver/fwdselect.c, the order a query asks a forward
 * zone's upstreams in: ordered keeps the config's order, fastest the lowest SRTT (never
 * measured first, equals in config order, FWDSELECT_EXPLORE_PERCENT exploration); upstreams
 * down are skipped while one is live, taken as a retry when their retry is due and nothing
 * probes, and when all are down the least recently failed is asked alone. */
#include <string.h>

#include "fwdselect.h"
#include "tap.h"

#define UP(ms)      { .measured = true, .srtt_ms = (ms) }
#define FRESH       { .srtt_ms = INFRA_UNKNOWN_RTT_MS }
#define DOWN(seq)   { .down = true, .measured = true, .srtt_ms = 3000, .failed_seq = (seq) }
#define DUE(seq)    { .down = true, .retry_due = true, .measured = true, .srtt_ms = 3000, \
                      .failed_seq = (seq) }

/* The order as text, "2 0 1", with a '*' after each retry: easy to compare and to read. */
static const char *run(const struct infra_fwd_health *h, int n,
                       enum config_forward_policy policy, bool probing, uint32_t rnd)
{
    static char text[128];
    int order[CONFIG_MAX_UPSTREAMS];
    bool retry[CONFIG_MAX_UPSTREAMS];
    int k = fwdselect_order(h, n, policy, probing, rnd, order, retry);

    text[0] = '\0';
    for (int i = 0; i < k; i++) {
        size_t len = strlen(text);
        snprintf(text + len, sizeof text - len, "%s%d%s", i ? " " : "", order[i],
                 retry[i] ? "*" : "");
    }
    return text;
}

/* rnd values: NO_EXPLORE never explores; EXPLORE(k) explores and picks the k-th (1-based)
 * of the others. */
#define NO_EXPLORE 99u
#define EXPLORE(k) ((uint32_t)(((k) - 1) * 100))

static void test_ordered(void)
{
    struct infra_fwd_health all_up[] = { UP(300), UP(5), UP(40) };
    struct infra_fwd_health first_down[] = { DOWN(1), UP(5), UP(40) };
    struct infra_fwd_health first_due[] = { DUE(1), UP(5), UP(40) };

    is_str(run(all_up, 3, CONFIG_FORWARD_ORDERED, true, EXPLORE(1)), "0 1 2",
           "ordered: the config's order, whatever the SRTT (and no exploration)");
    is_str(run(first_down, 3, CONFIG_FORWARD_ORDERED, true, NO_EXPLORE), "1 2",
           "ordered: a forwarder down is skipped");
    is_str(run(first_due, 3, CONFIG_FORWARD_ORDERED, true, NO_EXPLORE), "1 2",
           "ordered, probing: a due retry is the prober's, clients still skip it");
    is_str(run(first_due, 3, CONFIG_FORWARD_ORDERED, false, NO_EXPLORE), "0* 1 2",
           "ordered, no probing: a due retry takes its place, as a retry");
}

static void test_all_down(void)
{
    struct infra_fwd_health h[] = { DOWN(7), DOWN(3), DOWN(9) };
    struct infra_fwd_health one[] = { DOWN(1) };

    is_str(run(h, 3, CONFIG_FORWARD_ORDERED, true, NO_EXPLORE), "1*",
           "all down: the least recently failed alone, as a retry");
    is_str(run(h, 3, CONFIG_FORWARD_FASTEST, true, EXPLORE(1)), "1*",
           "all down, fastest: the same");
    is_str(run(one, 1, CONFIG_FORWARD_ORDERED, true, NO_EXPLORE), "0*",
           "the only forwarder, down: still asked");
    is_str(run(h, 0, CONFIG_FORWARD_ORDERED, true, NO_EXPLORE), "", "no upstreams: nothing");
}

static void test_fastest(void)
{
    struct infra_fwd_health h[] = { UP(300), UP(5), UP(40) };
    struct infra_fwd_health fresh[] = { UP(300), FRESH, UP(5), FRESH };
    struct infra_fwd_health ties[] = { UP(10), UP(10), UP(2), UP(10) };
    struct infra_fwd_health with_down[] = { UP(300), DOWN(1), UP(40) };

    is_str(run(h, 3, CONFIG_FORWARD_FASTEST, true, NO_EXPLORE), "1 2 0",
           "fastest: lowest SRTT first");
    is_str(run(fresh, 4, CONFIG_FORWARD_FASTEST, true, NO_EXPLORE), "1 3 2 0",
           "fastest: the never measured first (config order), then by SRTT");
    is_str(run(fresh, 4, CONFIG_FORWARD_FASTEST, true, EXPLORE(1)), "1 3 2 0",
           "fastest: no exploration while some are unmeasured (they are the exploration)");
    is_str(run(ties, 4, CONFIG_FORWARD_FASTEST, true, NO_EXPLORE), "2 0 1 3",
           "fastest: equal SRTTs keep the config's order");
    is_str(run(with_down, 3, CONFIG_FORWARD_FASTEST, true, NO_EXPLORE), "2 0",
           "fastest: a forwarder down is left out");
}

static void test_explore(void)
{
    struct infra_fwd_health h[] = { UP(300), UP(5), UP(40) };
    struct infra_fwd_health one[] = { UP(5), DOWN(1) };
    int explored = 0, fast_first = 0;

    is_str(run(h, 3, CONFIG_FORWARD_FASTEST, true, EXPLORE(1)), "2 1 0",
           "explore: the first other one goes first");
    is_str(run(h, 3, CONFIG_FORWARD_FASTEST, true, EXPLORE(2)), "0 1 2",
           "explore: or the second");
    is_str(run(one, 2, CONFIG_FORWARD_FASTEST, true, EXPLORE(1)), "0",
           "explore: nothing to explore with one live forwarder");
    for (uint32_t rnd = 0; rnd < 10000; rnd++) {
        int order[3];
        bool retry[3];
        fwdselect_order(h, 3, CONFIG_FORWARD_FASTEST, true, rnd * 7919u, order, retry);
        explored += order[0] != 1;
        fast_first += order[0] == 1;
    }
    ok(explored >= 10000 * FWDSELECT_EXPLORE_PERCENT / 100 - 100 &&
       explored <= 10000 * FWDSELECT_EXPLORE_PERCENT / 100 + 100,
       "explore: about %d%% of the queries (%d of 10000)", FWDSELECT_EXPLORE_PERCENT, explored);
    ok(fast_first > 9000, "explore: the fastest is first otherwise (%d of 10000)", fast_first);
}

int main(void)
{
    test_ordered();
    test_all_down();
    test_fastest();
    test_explore();
    return done_testing();
}
