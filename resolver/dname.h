/* dname.h -- small domain-name helpers on ldns names, shared by the modules that reason
 * about zones (local zones, the iterator's bailiwick checks, trust anchors, control names).
 * Case-insensitive throughout. */
#ifndef DNAME_H
#define DNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ldns/ldns.h>

#include "wire.h"

/* name == zone, or name below zone. */
bool dname_at_or_below(const ldns_rdf *name, const ldns_rdf *zone);

/* The lower-cased wire form of an ldns name (the form caches and tables key on): 0, or -1
 * when rdf is not a usable name. */
int dname_to_key(const ldns_rdf *rdf, uint8_t key[WIRE_MAX_NAME], size_t *key_len);

/* The same for a name in presentation form ("example.com", "." ...). */
int dname_key_from_text(const char *text, uint8_t key[WIRE_MAX_NAME], size_t *key_len);

#endif
