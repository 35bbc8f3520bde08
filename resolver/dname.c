/* dname.c -- domain-name helpers (see dname.h). */
#include "dname.h"

#include <string.h>

bool dname_at_or_below(const ldns_rdf *name, const ldns_rdf *zone)
{
    return ldns_dname_compare(name, zone) == 0 || ldns_dname_is_subdomain(name, zone);
}

int dname_to_key(const ldns_rdf *rdf, uint8_t key[WIRE_MAX_NAME], size_t *key_len)
{
    size_t len = rdf ? ldns_rdf_size(rdf) : 0;

    if (!rdf || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME || len == 0 || len > WIRE_MAX_NAME)
        return -1;
    memcpy(key, ldns_rdf_data(rdf), len);
    wire_name_lower(key, len);
    *key_len = len;
    return 0;
}

int dname_key_from_text(const char *text, uint8_t key[WIRE_MAX_NAME], size_t *key_len)
{
    ldns_rdf *rdf = ldns_dname_new_frm_str(text);
    int rc = dname_to_key(rdf, key, key_len);

    ldns_rdf_deep_free(rdf);
    return rc;
}
