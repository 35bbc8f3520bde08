/* dname.h -- small domain-name predicates on ldns names, shared by the modules that reason
 * about zones (local zones, the iterator's bailiwick checks). Case-insensitive throughout. */
#ifndef DNAME_H
#define DNAME_H

#include <stdbool.h>
#include <ldns/ldns.h>

/* name == zone, or name below zone. */
bool dname_at_or_below(const ldns_rdf *name, const ldns_rdf *zone);

#endif
