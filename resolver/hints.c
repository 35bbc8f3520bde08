/* hints.c -- loading the root hints file (see hints.h). */
#include "hints.h"

#include "zonefile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_root_ns(const ldns_rr *rr)
{
    return ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS && ldns_dname_label_count(ldns_rr_owner(rr)) == 0;
}

static bool is_address(const ldns_rr *rr)
{
    return ldns_rr_get_type(rr) == LDNS_RR_TYPE_A || ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA;
}

/* Sorts each record into root NS records and addresses; anything else is ignored. */
static int collect(ldns_rr *rr, int line, void *arg, char *err, size_t errlen)
{
    struct hints *h = arg;
    ldns_rr_list *into = is_root_ns(rr) ? h->ns : is_address(rr) ? h->addrs : NULL;
    (void)line;

    if (into && ldns_rr_list_push_rr(into, rr))
        return 0;
    ldns_rr_free(rr);
    if (!into)
        return 0;
    snprintf(err, errlen, "out of memory");
    return -1;
}

static bool is_root_server(const struct hints *h, const ldns_rdf *name)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(h->ns); i++)
        if (ldns_dname_compare(ldns_rr_rdf(ldns_rr_list_rr(h->ns, i), 0), name) == 0)
            return true;
    return false;
}

/* Only the addresses of the root servers' own names are root server addresses. */
static void keep_root_addresses(struct hints *h)
{
    size_t kept = 0, n = ldns_rr_list_rr_count(h->addrs);

    for (size_t i = 0; i < n; i++) {
        ldns_rr *rr = ldns_rr_list_rr(h->addrs, i);
        if (is_root_server(h, ldns_rr_owner(rr)))
            ldns_rr_list_set_rr(h->addrs, rr, kept++);
        else
            ldns_rr_free(rr);
    }
    ldns_rr_list_set_rr_count(h->addrs, kept);
}

int hints_load(const char *path, struct hints **out, char *err, size_t errlen)
{
    struct hints *h = calloc(1, sizeof *h);

    *out = NULL;
    if (!h || !(h->ns = ldns_rr_list_new()) || !(h->addrs = ldns_rr_list_new())) {
        snprintf(err, errlen, "%s: out of memory", path);
        hints_free(h);
        return -1;
    }
    if (zonefile_read(path, NULL, 3600000, collect, h, err, errlen) < 0) {
        hints_free(h);
        return -1;
    }
    keep_root_addresses(h);
    if (ldns_rr_list_rr_count(h->ns) == 0 || ldns_rr_list_rr_count(h->addrs) == 0) {
        snprintf(err, errlen, "%s: no root NS records with addresses", path);
        hints_free(h);
        return -1;
    }
    *out = h;
    return 0;
}

void hints_free(struct hints *h)
{
    if (!h)
        return;
    ldns_rr_list_deep_free(h->ns);
    ldns_rr_list_deep_free(h->addrs);
    free(h);
}
