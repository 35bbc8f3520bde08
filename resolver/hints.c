/* hints.c -- loading the root hints file (see hints.h). */
#include "hints.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool is_root_ns(const ldns_rr *rr)
{
    return ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS && ldns_dname_label_count(ldns_rr_owner(rr)) == 0;
}

static bool is_address(const ldns_rr *rr)
{
    return ldns_rr_get_type(rr) == LDNS_RR_TYPE_A || ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA;
}

/* Sorts the records of the file into root NS records and addresses; the rest is ignored. */
static int hints_collect(ldns_zone *zone, struct hints *h)
{
    ldns_rr_list *rrs = ldns_zone_rrs(zone);

    for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
        ldns_rr_list *into = is_root_ns(rr) ? h->ns : is_address(rr) ? h->addrs : NULL;
        ldns_rr *copy = into ? ldns_rr_clone(rr) : NULL;
        if (into && (!copy || !ldns_rr_list_push_rr(into, copy))) {
            ldns_rr_free(copy);
            return -1;
        }
    }
    return 0;
}

int hints_load(const char *path, struct hints **out, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    ldns_zone *zone = NULL;
    int line = 0;

    *out = NULL;
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    ldns_status st = ldns_zone_new_frm_fp_l(&zone, fp, NULL, 3600000, LDNS_RR_CLASS_IN, &line);
    fclose(fp);
    if (st != LDNS_STATUS_OK) {
        snprintf(err, errlen, "%s:%d: %s", path, line, ldns_get_errorstr_by_id(st));
        return -1;
    }
    struct hints *h = calloc(1, sizeof *h);
    if (h) {
        h->ns = ldns_rr_list_new();
        h->addrs = ldns_rr_list_new();
    }
    int rc = h && h->ns && h->addrs ? hints_collect(zone, h) : -1;
    ldns_zone_deep_free(zone);
    if (rc < 0 || ldns_rr_list_rr_count(h->ns) == 0 || ldns_rr_list_rr_count(h->addrs) == 0) {
        snprintf(err, errlen, "%s: %s", path,
                 rc < 0 ? "out of memory" : "no root NS records with addresses");
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
