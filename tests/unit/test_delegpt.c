/* test_delegpt.c -- unit tests for resolver/delegpt.c: servers from records and from the
 * RRset cache, what the config forbids, finding the closest delegation, server choice
 * (attempts, lame, RTT band) and the name asked when minimising. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "delegpt.h"
#include "hints.h"
#include "infra.h"
#include "rrcache.h"
#include "tap.h"
#include "ldns_test.h"

static ldns_rr_list *rrs(const char *const *texts)
{
    ldns_rr_list *l = ldns_rr_list_new();
    for (size_t i = 0; l && texts[i]; i++)
        ldns_rr_list_push_rr(l, rr(texts[i]));
    if (!l)
        exit(2);
    return l;
}

static char *name_text(const ldns_rdf *d)
{
    static char buf[256];
    char *s = ldns_rdf2str(d);
    snprintf(buf, sizeof buf, "%s", s ? s : "?");
    free(s);
    return buf;
}

static void test_addrs(struct config *cfg)
{
    static const char *const glue[] = {
        "ns1.example.test. 300 IN A 192.0.2.53", "ns1.example.test. 300 IN A 192.0.2.53",
        "ns1.example.test. 300 IN AAAA 2001:db8::53", "ns2.example.test. 300 IN A 127.0.0.9",
        "example.test. 300 IN MX 10 mail.example.test.", NULL };
    struct delegpt dp;
    ldns_rr_list *l = rrs(glue);

    delegpt_init(&dp, cfg, true);
    is_int(delegpt_add_addrs(&dp, l), 2, "duplicates, loopback (query-loopback no) and MX skipped");
    ok(dp.servers[0].name != NULL, "the NS name is kept when asked (tracing)");
    delegpt_clear(&dp);
    cfg->query_loopback = true;
    cfg->do_ip6 = false;
    delegpt_init(&dp, cfg, false);
    is_int(delegpt_add_addrs(&dp, l), 2, "query-loopback yes, do-ip6 no: the A records only");
    ok(dp.servers[0].name == NULL, "no NS names kept when not tracing");
    delegpt_clear(&dp);
    cfg->do_ip6 = true;
    ldns_rr_list_deep_free(l);
}

static void test_find(struct config *cfg)
{
    static const char *const ns[] = { "example.test. 3600 IN NS ns1.example.test.", NULL };
    static const char *const a[] = { "ns1.example.test. 3600 IN A 192.0.2.53", NULL };
    static const char *const hint_ns[] = { ". 3600 IN NS a.root.test.", NULL };
    static const char *const hint_a[] = { "a.root.test. 3600 IN A 192.0.2.1", NULL };
    struct rrcache *cache = rrcache_new(1 << 20, 86400);
    struct hints h = { rrs(hint_ns), rrs(hint_a) };
    ldns_rr_list *l_ns = rrs(ns), *l_a = rrs(a);
    ldns_rdf *target = ldns_dname_new_frm_str("www.sub.example.test.");
    ldns_rdf *ds_target = ldns_dname_new_frm_str("example.test.");
    struct delegpt dp;
    time_t now = time(NULL);

    delegpt_init(&dp, cfg, false);
    ok(delegpt_find(&dp, cache, NULL, target, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, now) ==
       DELEGPT_NONE, "an empty cache and no hints: no delegation");
    ok(delegpt_find(&dp, cache, &h, target, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, now) ==
       DELEGPT_HINTS && dp.n_servers == 1, "an empty cache: the root hints, with their address");
    ok(!delegpt_ns_left(&dp), "... and nothing left to resolve for the root");
    rrcache_store(cache, l_ns, RR_TRUST_AUTHORITY, now);
    ok(delegpt_find(&dp, cache, &h, target, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, now) ==
       DELEGPT_HINTS, "a cached NS set without any address known (in-zone NS): skipped");
    rrcache_store(cache, l_a, RR_TRUST_GLUE, now);
    ok(delegpt_find(&dp, cache, &h, target, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, now) ==
       DELEGPT_CACHE && dp.n_servers == 1, "with its glue cached: the closest delegation");
    is_str(name_text(dp.zone), "example.test.", "... is example.test.");
    is_int(dp.ask_labels, 3, "... minimisation starts one label below it");
    ldns_rr_type type;
    ldns_rdf *ask = delegpt_name_to_ask(&dp, target, LDNS_RR_TYPE_MX, true, &type);
    ok(ask && type == LDNS_RR_TYPE_A && strcmp(name_text(ask), "sub.example.test.") == 0,
       "minimising: sub.example.test. A asked first");
    ldns_rdf_deep_free(ask);
    ask = delegpt_name_to_ask(&dp, target, LDNS_RR_TYPE_MX, false, &type);
    ok(ask && type == LDNS_RR_TYPE_MX && strcmp(name_text(ask), "www.sub.example.test.") == 0,
       "not minimising: the full question");
    ldns_rdf_deep_free(ask);
    ok(delegpt_find(&dp, cache, &h, ds_target, LDNS_RR_TYPE_DS, LDNS_RR_CLASS_IN, now) ==
       DELEGPT_HINTS, "DS for example.test. is asked of the parent side (here: the hints)");
    ask = delegpt_name_to_ask(&dp, ds_target, LDNS_RR_TYPE_DS, true, &type);
    ok(ask && type == LDNS_RR_TYPE_A && strcmp(name_text(ask), "test.") == 0,
       "... minimising from the root: test. A first");
    ldns_rdf_deep_free(ask);
    ldns_rdf *sub = ldns_dname_new_frm_str("sub.example.test.");
    ok(delegpt_find(&dp, cache, &h, sub, LDNS_RR_TYPE_DS, LDNS_RR_CLASS_IN, now) ==
       DELEGPT_CACHE && strcmp(name_text(dp.zone), "example.test.") == 0,
       "DS for sub.example.test. (no cut known there): example.test.'s servers");
    ask = delegpt_name_to_ask(&dp, sub, LDNS_RR_TYPE_DS, true, &type);
    ok(ask && type == LDNS_RR_TYPE_DS && strcmp(name_text(ask), "sub.example.test.") == 0,
       "... minimising, one label below the zone is the name itself: asked for its DS");
    ldns_rdf_deep_free(ask);
    ldns_rdf_deep_free(sub);
    delegpt_clear(&dp);
    ldns_rdf_deep_free(target);
    ldns_rdf_deep_free(ds_target);
    ldns_rr_list_deep_free(l_ns);
    ldns_rr_list_deep_free(l_a);
    ldns_rr_list_deep_free(h.ns);
    ldns_rr_list_deep_free(h.addrs);
    rrcache_free(cache);
}

static void test_choose(struct config *cfg)
{
    static const char *const glue[] = { "ns1.t. 300 IN A 192.0.2.1", "ns2.t. 300 IN A 192.0.2.2",
                                        "ns3.t. 300 IN A 192.0.2.3", NULL };
    struct infra *infra = infra_new(64);
    struct delegpt dp;
    ldns_rr_list *l = rrs(glue);
    time_t now = time(NULL);
    int picked[3] = { 0 };

    delegpt_init(&dp, cfg, false);
    delegpt_add_addrs(&dp, l);
    infra_report_rtt(infra, &dp.servers[0].addr, 20, now);
    infra_report_rtt(infra, &dp.servers[1].addr, 30, now);
    infra_report_rtt(infra, &dp.servers[2].addr, 1500, now);
    for (int i = 0; i < 200; i++)
        picked[delegpt_choose(&dp, infra, false, now) - dp.servers]++;
    ok(picked[0] > 0 && picked[1] > 0, "servers within the RTT band are chosen at random");
    is_int(picked[2], 0, "a server far slower than the band is not chosen");
    dp.servers[0].attempts = 1;
    ok(delegpt_choose(&dp, infra, false, now) == &dp.servers[1],
       "the fewest attempts come first");
    dp.servers[1].lame = true;
    ok(delegpt_choose(&dp, infra, false, now) == &dp.servers[2], "a lame server is never chosen");
    dp.servers[2].attempts = DELEGPT_MAX_ATTEMPTS;
    dp.servers[0].attempts = DELEGPT_MAX_ATTEMPTS;
    ok(delegpt_choose(&dp, infra, true, now) == NULL, "every server out of tries: none");
    delegpt_clear(&dp);
    ldns_rr_list_deep_free(l);
    infra_free(infra);
}

int main(void)
{
    struct config cfg;

    memset(&cfg, 0, sizeof cfg);
    cfg.do_ip4 = cfg.do_ip6 = true;
    test_addrs(&cfg);
    test_find(&cfg);
    test_choose(&cfg);
    return done_testing();
}
