/* localzone.c -- authoritative answers from local zone files.
 *
 * Owns every `struct localzones`: the zones loaded with ldns_zone_new_frm_fp_l, and for each
 * zone an index of its owner names. request.c asks localzones_answer() after the hosts files
 * and before the cache; a true return means the reply is complete and nothing goes upstream.
 *
 * The index is an ldns_rbtree keyed by canonical (lower-case) owner name and ordered by
 * ldns_dname_compare, i.e. RFC 4034 canonical order. Invariants, set up at load time and never
 * changed afterwards (a set is immutable, so worker threads share it without locks):
 *   - every name in the tree is at or below the apex;
 *   - every ancestor of a name, up to the apex, is in the tree too; ancestors without data
 *     are empty non-terminals (a node with no RRsets). So "does this name exist" is a single
 *     lookup, and the closest encloser is found by dropping labels until a lookup succeeds;
 *   - RRsets borrow their RRs from the ldns_zone, which owns them. Answers only ever put
 *     clones into the response packet, so ldns_pkt_free never touches zone data.
 *
 * Loading reads each file twice: a record-by-record pass that reports syntax errors and
 * out-of-zone records with their line (see zone_precheck for why), then ldns_zone_new_frm_fp_l.
 *
 * Answering follows RFC 1034 4.3.2 in small steps: zone cut (referral), exact name (data,
 * CNAME, NODATA), wildcard, NXDOMAIN. Lookups build names as views over the caller's wire
 * bytes, so they do not allocate; only the clones placed in the response do. */
#include "localzone.h"
#include "dname.h"
#include "zonefile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TTL 3600
/* CNAME hops followed inside one zone before we stop and return what we have. */
#define MAX_CNAME_HOPS 8

/* One owner name of a zone: its RRsets (none for an empty non-terminal). */
struct zone_name {
    ldns_rbnode_t node;        /* must stay first: tree nodes are cast back to zone_name */
    ldns_rdf *owner;           /* canonical copy, owned; node.key points here */
    ldns_rr_list **rrsets;     /* one list per type; the RRs are borrowed from the zone */
    size_t rrset_count;
};

struct zone {
    ldns_rdf *apex;            /* canonical, owned */
    ldns_zone *data;           /* owns every RR of the zone */
    ldns_rbtree_t *names;      /* struct zone_name, in canonical order */
};

struct localzones {
    struct zone **zones;
    size_t count;
    size_t capacity;
};

/* Everything one answer needs; `failed` records an allocation failure on the way. */
struct answer_ctx {
    const struct localzones *lz;
    const struct zone *zone;
    const ldns_rdf *qname;     /* as the client spelled it */
    ldns_pkt *resp;
    bool failed;
};

/* ---- names ------------------------------------------------------------------------------ */

/* A DNAME rdf over bytes someone else owns. Never freed; valid while the bytes are. */
static ldns_rdf dname_view(uint8_t *wire, size_t size)
{
    ldns_rdf view;
    ldns_rdf_set_size(&view, size);
    ldns_rdf_set_type(&view, LDNS_RDF_TYPE_DNAME);
    ldns_rdf_set_data(&view, wire);
    return view;
}

/* `name` without its first `skip` labels, e.g. skip 1 of a.b.c. is b.c. (skip <= labels). */
static ldns_rdf dname_suffix_view(const ldns_rdf *name, size_t skip)
{
    uint8_t *wire = ldns_rdf_data(name);
    size_t pos = 0;
    for (size_t i = 0; i < skip && pos < ldns_rdf_size(name) && wire[pos] != 0; i++)
        pos += (size_t)wire[pos] + 1;
    return dname_view(wire + pos, ldns_rdf_size(name) - pos);
}

/* ---- the name index --------------------------------------------------------------------- */

static int dname_compare_keys(const void *a, const void *b)
{
    return ldns_dname_compare(a, b);
}

static const struct zone_name *zone_lookup(const struct zone *zone, const ldns_rdf *name)
{
    return (const struct zone_name *)ldns_rbtree_search(zone->names, name);
}

static const ldns_rr_list *name_rrset(const struct zone_name *zn, ldns_rr_type type)
{
    for (size_t i = 0; i < zn->rrset_count; i++)
        if (ldns_rr_get_type(ldns_rr_list_rr(zn->rrsets[i], 0)) == type)
            return zn->rrsets[i];
    return NULL;
}

static void zone_name_free(ldns_rbnode_t *node, void *unused)
{
    struct zone_name *zn = (struct zone_name *)node;
    (void)unused;
    for (size_t i = 0; i < zn->rrset_count; i++)
        ldns_rr_list_free(zn->rrsets[i]);   /* shallow: the ldns_zone owns the RRs */
    free(zn->rrsets);
    ldns_rdf_deep_free(zn->owner);
    free(zn);
}

/* Finds `name` in the index, adding it (as an empty non-terminal) when missing. */
static struct zone_name *zone_name_get(struct zone *zone, const ldns_rdf *name)
{
    struct zone_name *zn = (struct zone_name *)ldns_rbtree_search(zone->names, name);
    if (zn)
        return zn;
    zn = calloc(1, sizeof *zn);
    if (!zn)
        return NULL;
    zn->owner = ldns_rdf_clone(name);
    if (!zn->owner) {
        free(zn);
        return NULL;
    }
    ldns_dname2canonical(zn->owner);
    zn->node.key = zn->owner;
    if (!ldns_rbtree_insert(zone->names, &zn->node)) {
        zone_name_free(&zn->node, NULL);
        return NULL;
    }
    return zn;
}

/* Makes sure every ancestor of `owner` strictly below the apex is in the index. */
static bool zone_add_ancestors(struct zone *zone, const ldns_rdf *owner)
{
    size_t labels = ldns_dname_label_count(owner);
    size_t apex_labels = ldns_dname_label_count(zone->apex);
    for (size_t skip = 1; skip + apex_labels < labels; skip++) {
        ldns_rdf ancestor = dname_suffix_view(owner, skip);
        if (!zone_name_get(zone, &ancestor))
            return false;
    }
    return true;
}

static bool rrset_append(struct zone_name *zn, ldns_rr *rr)
{
    ldns_rr_list *rrset = (ldns_rr_list *)name_rrset(zn, ldns_rr_get_type(rr));
    if (rrset)
        return ldns_rr_list_push_rr(rrset, rr);
    ldns_rr_list **grown = realloc(zn->rrsets, (zn->rrset_count + 1) * sizeof *grown);
    if (!grown)
        return false;
    zn->rrsets = grown;
    rrset = ldns_rr_list_new();
    if (!rrset)
        return false;
    if (!ldns_rr_list_push_rr(rrset, rr)) {
        ldns_rr_list_free(rrset);
        return false;
    }
    zn->rrsets[zn->rrset_count++] = rrset;
    return true;
}

static bool zone_index_rr(struct zone *zone, ldns_rr *rr)
{
    struct zone_name *zn = zone_name_get(zone, ldns_rr_owner(rr));
    return zn && zone_add_ancestors(zone, ldns_rr_owner(rr)) && rrset_append(zn, rr);
}

/* ---- loading ---------------------------------------------------------------------------- */

static void zone_free(struct zone *zone)
{
    if (!zone)
        return;
    if (zone->names) {
        ldns_traverse_postorder(zone->names, zone_name_free, NULL);
        ldns_rbtree_free(zone->names);
    }
    if (zone->data)
        ldns_zone_deep_free(zone->data);
    ldns_rdf_deep_free(zone->apex);
    free(zone);
}

struct inside_check {
    const ldns_rdf *apex;
    const char *name, *path;
};

static int check_rr_inside(ldns_rr *rr, int line, void *arg, char *err, size_t errlen)
{
    const struct inside_check *c = arg;
    int result = 0;

    if (!dname_at_or_below(ldns_rr_owner(rr), c->apex)) {
        char *owner = ldns_rdf2str(ldns_rr_owner(rr));
        snprintf(err, errlen, "%s:%d: record '%s' is outside zone %s", c->path, line,
                 owner ? owner : "?", c->name);
        free(owner);
        result = -1;
    }
    ldns_rr_free(rr);
    return result;
}

/* Two passes: zonefile_read checks that every record parses and lies inside the zone (with
 * exact line numbers, and without ldns's leak on errors); then ldns_zone_new_frm_fp_l
 * builds the zone, and can only fail on memory exhaustion. */
static int zone_parse_file(struct zone *zone, const char *name, const char *path,
                           char *err, size_t errlen)
{
    struct inside_check check = { zone->apex, name, path };

    if (zonefile_read(path, zone->apex, DEFAULT_TTL, check_rr_inside, &check, err, errlen) < 0)
        return -1;
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int line = 1;
    ldns_status status = ldns_zone_new_frm_fp_l(&zone->data, fp, zone->apex, DEFAULT_TTL,
                                                LDNS_RR_CLASS_IN, &line);
    fclose(fp);
    if (status != LDNS_STATUS_OK) {
        zone->data = NULL;
        snprintf(err, errlen, "%s:%d: %s", path, line, ldns_get_errorstr_by_id(status));
        return -1;
    }
    return 0;
}

/* The zone's SOA must sit at its apex (the first SOA in the file is the one ldns keeps). */
static int zone_check_soa(const struct zone *zone, const char *name, const char *path,
                          char *err, size_t errlen)
{
    const ldns_rr *soa = ldns_zone_soa(zone->data);
    if (!soa || ldns_dname_compare(ldns_rr_owner(soa), zone->apex) != 0) {
        snprintf(err, errlen, "%s: no SOA record at the apex of %s", path, name);
        return -1;
    }
    return 0;
}

static int zone_build_index(struct zone *zone, const char *path, char *err, size_t errlen)
{
    zone->names = ldns_rbtree_create(dname_compare_keys);
    bool ok = zone->names && zone_index_rr(zone, ldns_zone_soa(zone->data));
    const ldns_rr_list *rrs = ldns_zone_rrs(zone->data);
    for (size_t i = 0; ok && i < ldns_rr_list_rr_count(rrs); i++)
        ok = zone_index_rr(zone, ldns_rr_list_rr(rrs, i));
    if (!ok) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    return 0;
}

static struct zone *zone_load(const char *name, const char *path, char *err, size_t errlen)
{
    struct zone *zone = calloc(1, sizeof *zone);
    if (!zone) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    zone->apex = ldns_dname_new_frm_str(name);
    if (!zone->apex) {
        snprintf(err, errlen, "%s: invalid zone name '%s'", path, name);
        zone_free(zone);
        return NULL;
    }
    ldns_dname2canonical(zone->apex);
    if (zone_parse_file(zone, name, path, err, errlen) < 0 ||
        zone_check_soa(zone, name, path, err, errlen) < 0 ||
        zone_build_index(zone, path, err, errlen) < 0) {
        zone_free(zone);
        return NULL;
    }
    return zone;
}

static const struct zone *zone_find_exact(const struct localzones *lz, const ldns_rdf *apex)
{
    for (size_t i = 0; i < lz->count; i++)
        if (ldns_dname_compare(lz->zones[i]->apex, apex) == 0)
            return lz->zones[i];
    return NULL;
}

static int localzones_append(struct localzones *lz, struct zone *zone)
{
    if (lz->count == lz->capacity) {
        size_t capacity = lz->capacity ? lz->capacity * 2 : 4;
        struct zone **grown = realloc(lz->zones, capacity * sizeof *grown);
        if (!grown)
            return -1;
        lz->zones = grown;
        lz->capacity = capacity;
    }
    lz->zones[lz->count++] = zone;
    return 0;
}

struct localzones *localzones_new(void)
{
    return calloc(1, sizeof(struct localzones));
}

int localzones_add(struct localzones *lz, const char *name, const char *path,
                   char *err, size_t errlen)
{
    struct zone *zone = zone_load(name, path, err, errlen);
    if (!zone)
        return -1;
    if (zone_find_exact(lz, zone->apex)) {
        snprintf(err, errlen, "%s: zone %s is already loaded", path, name);
        zone_free(zone);
        return -1;
    }
    if (localzones_append(lz, zone) < 0) {
        snprintf(err, errlen, "%s: out of memory", path);
        zone_free(zone);
        return -1;
    }
    return 0;
}

void localzones_free(struct localzones *lz)
{
    if (!lz)
        return;
    for (size_t i = 0; i < lz->count; i++)
        zone_free(lz->zones[i]);
    free(lz->zones);
    free(lz);
}

size_t localzones_count(const struct localzones *lz)
{
    return lz ? lz->count : 0;
}

/* ---- finding where a name belongs ------------------------------------------------------- */

/* The zone with the longest apex that `name` is at or below, or NULL. */
static const struct zone *zone_deepest_for(const struct localzones *lz, const ldns_rdf *name)
{
    const struct zone *best = NULL;
    for (size_t i = 0; i < lz->count; i++) {
        const struct zone *zone = lz->zones[i];
        if (!dname_at_or_below(name, zone->apex))
            continue;
        if (!best || ldns_dname_label_count(zone->apex) > ldns_dname_label_count(best->apex))
            best = zone;
    }
    return best;
}

/* The highest NS RRset strictly below the apex and at or above `name`: the zone cut that
 * `name` is delegated through, or NULL. A DS query for the cut itself belongs to the parent
 * side (RFC 4035 3.1.4.1), so that one is not a cut. */
static const ldns_rr_list *zone_find_cut(const struct zone *zone, const ldns_rdf *name,
                                         ldns_rr_type qtype)
{
    size_t labels = ldns_dname_label_count(name);
    size_t apex_labels = ldns_dname_label_count(zone->apex);
    for (size_t depth = apex_labels + 1; depth <= labels; depth++) {
        ldns_rdf ancestor = dname_suffix_view(name, labels - depth);
        const struct zone_name *zn = zone_lookup(zone, &ancestor);
        if (!zn)
            return NULL;   /* ancestors are always indexed, so nothing deeper exists either */
        const ldns_rr_list *ns = name_rrset(zn, LDNS_RR_TYPE_NS);
        if (ns && !(depth == labels && qtype == LDNS_RR_TYPE_DS))
            return ns;
    }
    return NULL;
}

/* The wildcard `*.<closest encloser>` that would synthesize `name`, or NULL (RFC 4592). */
static const struct zone_name *zone_find_wildcard(const struct zone *zone, const ldns_rdf *name)
{
    size_t labels = ldns_dname_label_count(name);
    for (size_t skip = 1; skip <= labels; skip++) {
        ldns_rdf encloser = dname_suffix_view(name, skip);
        if (!zone_lookup(zone, &encloser))
            continue;
        uint8_t wire[LDNS_MAX_DOMAINLEN + 3];
        if (ldns_rdf_size(&encloser) + 2 > sizeof wire)
            return NULL;
        wire[0] = 1;
        wire[1] = '*';
        memcpy(wire + 2, ldns_rdf_data(&encloser), ldns_rdf_size(&encloser));
        ldns_rdf source = dname_view(wire, ldns_rdf_size(&encloser) + 2);
        return zone_lookup(zone, &source);
    }
    return NULL;
}

/* ---- putting clones into the response ---------------------------------------------------- */

/* A clone of `rr` whose owner is a copy of `owner`: how answers get the client's spelling
 * and how wildcard answers get the name that was asked. */
static ldns_rr *rr_clone_owned_by(const ldns_rr *rr, const ldns_rdf *owner)
{
    ldns_rr *copy = ldns_rr_clone(rr);
    ldns_rdf *name = ldns_rdf_clone(owner);
    if (!copy || !name) {
        ldns_rr_free(copy);
        ldns_rdf_deep_free(name);
        return NULL;
    }
    ldns_rdf_deep_free(ldns_rr_owner(copy));
    ldns_rr_set_owner(copy, name);
    return copy;
}

static void push_rr(struct answer_ctx *ctx, ldns_pkt_section section, ldns_rr *copy)
{
    if (!copy || !ldns_pkt_push_rr(ctx->resp, section, copy)) {
        ldns_rr_free(copy);
        ctx->failed = true;
    }
}

/* Pushes clones of `rrset`, owned by `owner` (NULL: the zone's owner, but with the client's
 * spelling when that owner is the qname). */
static void push_rrset(struct answer_ctx *ctx, ldns_pkt_section section,
                       const ldns_rr_list *rrset, const ldns_rdf *owner)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(rrset); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(rrset, i);
        const ldns_rdf *use = owner;
        if (!use && ldns_dname_compare(ldns_rr_owner(rr), ctx->qname) == 0)
            use = ctx->qname;
        push_rr(ctx, section, use ? rr_clone_owned_by(rr, use) : ldns_rr_clone(rr));
    }
}

/* The SOA for a negative answer, its TTL lowered to the SOA MINIMUM (RFC 2308 section 3). */
static void push_negative_soa(struct answer_ctx *ctx)
{
    const ldns_rr *soa = ldns_zone_soa(ctx->zone->data);
    ldns_rr *copy = ldns_dname_compare(ldns_rr_owner(soa), ctx->qname) == 0
                        ? rr_clone_owned_by(soa, ctx->qname) : ldns_rr_clone(soa);
    if (copy && ldns_rr_rd_count(copy) >= 7) {
        uint32_t minimum = ldns_rdf2native_int32(ldns_rr_rdf(copy, 6));
        if (minimum < ldns_rr_ttl(copy))
            ldns_rr_set_ttl(copy, minimum);
    }
    push_rr(ctx, LDNS_SECTION_AUTHORITY, copy);
}

/* ---- the answer steps ------------------------------------------------------------------- */

/* Glue: A/AAAA of each NS target that this zone holds. */
static void push_glue(struct answer_ctx *ctx, const ldns_rr_list *ns)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
        const ldns_rdf *target = ldns_rr_rdf(ldns_rr_list_rr(ns, i), 0);
        const struct zone_name *zn = target ? zone_lookup(ctx->zone, target) : NULL;
        if (!zn)
            continue;
        const ldns_rr_list *a = name_rrset(zn, LDNS_RR_TYPE_A);
        const ldns_rr_list *aaaa = name_rrset(zn, LDNS_RR_TYPE_AAAA);
        if (a)
            push_rrset(ctx, LDNS_SECTION_ADDITIONAL, a, NULL);
        if (aaaa)
            push_rrset(ctx, LDNS_SECTION_ADDITIONAL, aaaa, NULL);
    }
}

/* Step 1: below a zone cut we are not authoritative; refer the client to the child. */
static bool answer_referral(struct answer_ctx *ctx, ldns_rr_type qtype)
{
    const ldns_rr_list *ns = zone_find_cut(ctx->zone, ctx->qname, qtype);
    if (!ns)
        return false;
    ldns_pkt_set_aa(ctx->resp, false);
    ldns_pkt_set_rcode(ctx->resp, LDNS_RCODE_NOERROR);
    push_rrset(ctx, LDNS_SECTION_AUTHORITY, ns, NULL);
    push_glue(ctx, ns);
    return true;
}

/* Steps 2-4 for a name that exists (or a wildcard standing in for it), answered under
 * `owner`. Returns the CNAME target to follow next, or NULL when the answer is complete. */
static const ldns_rdf *answer_at_name(struct answer_ctx *ctx, const struct zone_name *zn,
                                      const ldns_rdf *owner, ldns_rr_type qtype)
{
    if (qtype == LDNS_RR_TYPE_ANY && zn->rrset_count > 0) {
        for (size_t i = 0; i < zn->rrset_count; i++)
            push_rrset(ctx, LDNS_SECTION_ANSWER, zn->rrsets[i], owner);
        return NULL;
    }
    const ldns_rr_list *rrset = name_rrset(zn, qtype);
    if (rrset) {
        push_rrset(ctx, LDNS_SECTION_ANSWER, rrset, owner);
        return NULL;
    }
    const ldns_rr_list *cname = name_rrset(zn, LDNS_RR_TYPE_CNAME);
    if (cname) {
        push_rrset(ctx, LDNS_SECTION_ANSWER, cname, owner);
        return ldns_rr_rdf(ldns_rr_list_rr(cname, 0), 0);
    }
    push_negative_soa(ctx);   /* NODATA */
    return NULL;
}

/* Steps 2-5 for one name of the chain. Returns the CNAME target to follow, or NULL. */
static const ldns_rdf *answer_name(struct answer_ctx *ctx, const ldns_rdf *name,
                                   ldns_rr_type qtype)
{
    const struct zone_name *zn = zone_lookup(ctx->zone, name);
    if (!zn)
        zn = zone_find_wildcard(ctx->zone, name);
    if (zn)
        return answer_at_name(ctx, zn, name, qtype);
    ldns_pkt_set_rcode(ctx->resp, LDNS_RCODE_NXDOMAIN);
    push_negative_soa(ctx);
    return NULL;
}

/* A CNAME target is followed only while this zone is authoritative for it: inside the zone,
 * not in a deeper local zone, not below a cut, and not already answered (a loop). */
static bool cname_target_followable(const struct answer_ctx *ctx, const ldns_rdf *target,
                                    ldns_rr_type qtype)
{
    if (zone_deepest_for(ctx->lz, target) != ctx->zone)
        return false;
    if (zone_find_cut(ctx->zone, target, qtype))
        return false;
    const ldns_rr_list *answers = ldns_pkt_answer(ctx->resp);
    for (size_t i = 0; i < ldns_rr_list_rr_count(answers); i++)
        if (ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(answers, i)), target) == 0)
            return false;
    return true;
}

static void answer_authoritative(struct answer_ctx *ctx, ldns_rr_type qtype)
{
    ldns_pkt_set_aa(ctx->resp, true);
    ldns_pkt_set_rcode(ctx->resp, LDNS_RCODE_NOERROR);
    const ldns_rdf *name = ctx->qname;
    for (int hops = 0; !ctx->failed; hops++) {
        const ldns_rdf *target = answer_name(ctx, name, qtype);
        if (!target || hops == MAX_CNAME_HOPS || !cname_target_followable(ctx, target, qtype))
            break;
        name = target;
    }
}

/* The ldns form the zone tree is searched with: a view of the caller's name (read only). */
static bool qname_view(const uint8_t *qname, size_t qname_len, ldns_rdf *view)
{
    if (!qname || qname_len == 0 || qname_len > LDNS_MAX_DOMAINLEN + 1)
        return false;
    *view = dname_view((uint8_t *)qname, qname_len);
    return true;
}

bool localzones_cover(const struct localzones *lz, const uint8_t *qname, size_t qname_len)
{
    ldns_rdf view;

    return lz && lz->count > 0 && qname_view(qname, qname_len, &view) &&
           zone_deepest_for(lz, &view) != NULL;
}

bool localzones_answer(const struct localzones *lz, const uint8_t *qname_wire, size_t qname_len,
                       uint16_t qtype, ldns_pkt *resp)
{
    ldns_rdf view;
    const ldns_rdf *qname = &view;

    if (!lz || !qname_view(qname_wire, qname_len, &view))
        return false;
    const struct zone *zone = zone_deepest_for(lz, qname);
    if (!zone)
        return false;
    struct answer_ctx ctx = { .lz = lz, .zone = zone, .qname = qname, .resp = resp };
    if (!answer_referral(&ctx, qtype))
        answer_authoritative(&ctx, qtype);
    if (ctx.failed) {
        /* We own this name, so recursion must not take over; say we failed. */
        ldns_pkt_set_aa(resp, false);
        ldns_pkt_set_rcode(resp, LDNS_RCODE_SERVFAIL);
    }
    return true;
}
