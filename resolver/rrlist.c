/* rrlist.c -- checked deep copies of RR lists and their memory cost (see rrlist.h). */
#include "rrlist.h"

ldns_rr *rrlist_clone_rr(const ldns_rr *rr)
{
    ldns_rr *copy = ldns_rr_clone(rr);

    if (!copy)
        return NULL;
    if (!ldns_rr_owner(copy) || ldns_rr_rd_count(copy) != ldns_rr_rd_count(rr))
        goto fail;
    for (size_t i = 0; i < ldns_rr_rd_count(copy); i++)
        if (!ldns_rr_rdf(copy, i))
            goto fail;
    return copy;
fail:
    ldns_rr_free(copy);
    return NULL;
}

ldns_rr_list *rrlist_clone_with_ttl(const ldns_rr_list *list, uint32_t ttl, bool canonical)
{
    ldns_rr_list *copy = ldns_rr_list_new();

    if (!copy)
        return NULL;
    for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
        ldns_rr *rr = rrlist_clone_rr(ldns_rr_list_rr(list, i));
        if (!rr)
            goto fail;
        if (!ldns_rr_list_push_rr(copy, rr)) {
            ldns_rr_free(rr);
            goto fail;
        }
        ldns_rr_set_ttl(rr, ttl);
        if (canonical)
            ldns_rr2canonical(rr);
    }
    return copy;
fail:
    ldns_rr_list_deep_free(copy);
    return NULL;
}

size_t rrlist_rr_cost(const ldns_rr *rr)
{
    size_t fields = ldns_rr_rd_count(rr) + 1;

    return sizeof(ldns_rr) + fields * (sizeof(ldns_rdf) + sizeof(ldns_rdf *)) +
           ldns_rr_uncompressed_size(rr);
}
