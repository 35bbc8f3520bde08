/* anchors.c -- the trust anchor set (see anchors.h).
 *
 * Files are read with ldns's zone-file reader, so an anchor file may be what Debian's
 * dns-root-data ships, what `ldns-key2ds` or `dig DNSKEY` print, or a zone-file fragment
 * with $ORIGIN, $TTL and parentheses. Anything but IN DS and IN DNSKEY is an error naming
 * the line: a file that says more than we read is more likely a mistake than a feature. */
#include "anchors.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dname.h"

#define DNSKEY_FLAG_ZONE   0x0100   /* RFC 4034 2.1.1 */
#define DNSKEY_FLAG_REVOKE 0x0080   /* RFC 5011 2.1 */
#define DNSKEY_PROTOCOL    3        /* RFC 4034 2.1.2 */

static struct anchor *find_zone(const struct anchors *a, const uint8_t *zone, size_t len)
{
    for (size_t i = 0; i < a->n_zones; i++)
        if (wire_name_equal(a->zones[i].zone, a->zones[i].zone_len, zone, len))
            return &a->zones[i];
    return NULL;
}

static struct anchor *add_zone(struct anchors *a, const uint8_t *zone, size_t len)
{
    struct anchor *grown = realloc(a->zones, (a->n_zones + 1) * sizeof *grown);
    ldns_rr_list *ds = ldns_rr_list_new(), *dnskey = ldns_rr_list_new();

    if (grown)
        a->zones = grown;
    if (!grown || !ds || !dnskey) {
        ldns_rr_list_free(ds);
        ldns_rr_list_free(dnskey);
        return NULL;
    }
    struct anchor *z = &a->zones[a->n_zones++];
    memcpy(z->zone, zone, len);
    z->zone_len = len;
    z->ds = ds;
    z->dnskey = dnskey;
    return z;
}

/* NULL when the record can be an anchor, else why not. */
static const char *unusable_anchor(const ldns_rr *rr)
{
    ldns_rr_type type = ldns_rr_get_type(rr);

    if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
        return "a trust anchor must be of class IN";
    if (type == LDNS_RR_TYPE_DS)
        return ldns_rr_rd_count(rr) == 4 ? NULL : "a DS anchor needs four fields";
    if (type != LDNS_RR_TYPE_DNSKEY)
        return "a trust anchor must be a DS or DNSKEY record";
    if (ldns_rr_rd_count(rr) != 4)
        return "a DNSKEY anchor needs four fields";
    uint16_t flags = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
    if (!(flags & DNSKEY_FLAG_ZONE))
        return "a DNSKEY anchor must have the zone key flag (256 or 257)";
    if (flags & DNSKEY_FLAG_REVOKE)
        return "a revoked DNSKEY cannot be a trust anchor";
    if (ldns_rdf2native_int8(ldns_rr_rdf(rr, 1)) != DNSKEY_PROTOCOL)
        return "a DNSKEY anchor must have protocol 3";
    return NULL;
}

int anchors_add_rr(struct anchors *a, ldns_rr *rr, char *err, size_t errlen)
{
    uint8_t zone[WIRE_MAX_NAME];
    size_t len;
    const char *why = unusable_anchor(rr);

    if (!why && dname_to_key(ldns_rr_owner(rr), zone, &len) != 0)
        why = "the anchor's owner is not a usable name";
    if (why) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    struct anchor *z = find_zone(a, zone, len);
    if (!z)
        z = add_zone(a, zone, len);
    ldns_rr_list *into = !z ? NULL : ldns_rr_get_type(rr) == LDNS_RR_TYPE_DS ? z->ds : z->dnskey;
    if (!into || !ldns_rr_list_push_rr(into, rr)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Reads the next record; 1 with *rr set, 0 at the end of the file, -1 with err set. */
static int read_record(FILE *fp, const char *path, ldns_rr **rr, uint32_t *ttl,
                       ldns_rdf **origin, ldns_rdf **prev, int *line, char *err, size_t errlen)
{
    for (;;) {
        if (feof(fp))
            return 0;
        ldns_status st = ldns_rr_new_frm_fp_l(rr, fp, ttl, origin, prev, line);
        if (st == LDNS_STATUS_OK)
            return 1;
        if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
            st == LDNS_STATUS_SYNTAX_ORIGIN)
            continue;
        snprintf(err, errlen, "%s:%d: not a DS or DNSKEY record: %s", path, *line,
                 ldns_get_errorstr_by_id(st));
        return -1;
    }
}

int anchors_load_file(struct anchors *a, const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    uint32_t ttl = 3600;
    ldns_rdf *origin = NULL, *prev = NULL;
    ldns_rr *rr = NULL;
    int line = 0, rc = 0, got;   /* ldns counts the lines it has read */
    char why[160];

    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    while ((got = read_record(fp, path, &rr, &ttl, &origin, &prev, &line, err, errlen)) == 1) {
        if (anchors_add_rr(a, rr, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s:%d: %s", path, line, why);
            ldns_rr_free(rr);
            rc = -1;
            break;
        }
    }
    if (got < 0)
        rc = -1;
    ldns_rdf_deep_free(origin);
    ldns_rdf_deep_free(prev);
    fclose(fp);
    return rc;
}

int anchors_add_negative(struct anchors *a, const uint8_t *name_lc, size_t name_len)
{
    struct nta *grown;

    if (name_len == 0 || name_len > WIRE_MAX_NAME ||
        !(grown = realloc(a->negative, (a->n_negative + 1) * sizeof *grown)))
        return -1;
    a->negative = grown;
    memcpy(grown[a->n_negative].name, name_lc, name_len);
    grown[a->n_negative].name_len = name_len;
    a->n_negative++;
    return 0;
}

const struct anchor *anchors_closest(const struct anchors *a, const uint8_t *name_lc,
                                     size_t name_len)
{
    const struct anchor *best = NULL;

    for (size_t i = 0; i < a->n_zones; i++) {
        const struct anchor *z = &a->zones[i];
        if ((!best || z->zone_len > best->zone_len) &&
            wire_name_at_or_below(name_lc, name_len, z->zone, z->zone_len))
            best = z;
    }
    return best;
}

bool anchors_negative(const struct anchors *a, const uint8_t *name_lc, size_t name_len)
{
    for (size_t i = 0; i < a->n_negative; i++)
        if (wire_name_at_or_below(name_lc, name_len, a->negative[i].name,
                                  a->negative[i].name_len))
            return true;
    return false;
}

void anchors_clear(struct anchors *a)
{
    for (size_t i = 0; i < a->n_zones; i++) {
        ldns_rr_list_deep_free(a->zones[i].ds);
        ldns_rr_list_deep_free(a->zones[i].dnskey);
    }
    free(a->zones);
    free(a->negative);
    memset(a, 0, sizeof *a);
}
