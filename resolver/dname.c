/* dname.c -- domain-name predicates (see dname.h). */
#include "dname.h"

bool dname_at_or_below(const ldns_rdf *name, const ldns_rdf *zone)
{
    return ldns_dname_compare(name, zone) == 0 || ldns_dname_is_subdomain(name, zone);
}
