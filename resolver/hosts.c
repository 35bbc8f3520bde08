/* hosts.c -- the hosts table: /etc/hosts-format files turned into A, AAAA and PTR answers.
 *
 * Owns: parsing hosts files (glibc's format: an address, then names; `#` comments), the
 * in-memory table built from them, answering lookups from it, and telling a reload which
 * owner names changed (hosts_diff) so the daemon can drop exactly those from the cache.
 *
 * Layout. Blocklists of 100k lines are common, so the table is a few flat arrays rather
 * than a malloc per entry:
 *   blob     every owner name and rdata in wire form, each as [length][octets]
 *   names    one entry per owner name, forward (www.example.) or reverse
 *            (1.0.0.127.in-addr.arpa.), with a chain of records per answer kind
 *   records  (name, kind, rdata) triples; `next` links those of one name and kind in file
 *            order
 * Two hash indexes over those arrays make loading, lookups and diffs O(1) per item:
 *   by_owner:     canonical owner wire form -> position in `names`
 *   record_index: (name, kind, rdata)       -> position in `records`
 * An index stores only a hash and a position; keys are read from the arrays. record_index
 * is what de-duplicates: "0.0.0.0 ad1 / 0.0.0.0 ad2 / ..." gives one reverse name with 100k
 * PTRs, where a linear duplicate scan would be quadratic; it also makes hosts_diff a set
 * comparison without sorting. These indexes are the one table in resolverd not built on
 * htable.h, on purpose: htable chains nodes embedded in entries by pointer, and these
 * entries are positions in arrays that realloc moves while a file loads; a slot here is 8
 * octets (hash + position, open addressing) where a node and its slot would be 24, which
 * counts at a million names; and the index is written once and then only read.
 *
 * Invariants: owner names and PTR targets are canonical (lower case); no chain holds the
 * same rdata twice; a name has at least one record (forward names an address, reverse
 * names a PTR) unless a load ran out of memory, after which hosts_add_file has failed and
 * the table is not to be used. A table is written only by hosts_add_file and read-only
 * afterwards, so worker threads may look up concurrently without locks. */
#include "hosts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define INDEX_MIN_SLOTS 64
#define REVERSE_NAME_MAX 80         /* an ip6.arpa name is 74 octets */
#define MAX_ENTRIES (UINT32_MAX - 1)
#define NO_RECORD UINT32_MAX        /* ends a chain */

static const char hosts_separators[] = " \t\r\n\v\f";

/* The answers of a name. PTR lists the canonical first names of the lines that have the
 * reverse name's address. */
enum answer_kind { ANSWER_A, ANSWER_AAAA, ANSWER_PTR, ANSWER_KINDS };
static const ldns_rr_type answer_types[ANSWER_KINDS] = {
    LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_PTR,
};
static const ldns_rdf_type answer_rdf_types[ANSWER_KINDS] = {
    LDNS_RDF_TYPE_A, LDNS_RDF_TYPE_AAAA, LDNS_RDF_TYPE_DNAME,
};

struct wire {                       /* a borrowed name or rdata in wire form */
    const uint8_t *data;
    size_t len;
};

struct blob {
    uint8_t *bytes;
    size_t used;
    size_t capacity;
};

struct answer_chain {
    uint32_t head;                  /* positions in `records`, or NO_RECORD */
    uint32_t tail;
    uint32_t count;
};

struct host_name {
    uint32_t owner;                 /* offset in the blob */
    struct answer_chain answers[ANSWER_KINDS];
};

struct record {
    uint32_t name;                  /* position of the owner in `names` */
    uint32_t rdata;                 /* offset in the blob */
    uint32_t next;                  /* next record of the same name and kind, or NO_RECORD */
    enum answer_kind kind;
};

struct index_slot {
    uint32_t hash;
    uint32_t entry;                 /* array position + 1; 0 means the slot is free */
};

/* Open addressing with linear probing; capacity is a power of two, at most half full. */
struct index {
    struct index_slot *slots;
    size_t capacity;
    size_t used;
};

struct hosts {
    struct blob blob;
    struct host_name *names;        /* in order of first appearance */
    size_t count;
    size_t capacity;
    struct record *records;
    size_t record_count;
    size_t record_capacity;
    struct index by_owner;
    struct index record_index;
    uint64_t name_lens[4];          /* bit L: some name is L octets long (the quick "no") */
    size_t skipped;                 /* bad lines and bad names, over all files */
};

/* A (name, kind, rdata) key, as looked up in record_index. */
struct record_probe {
    uint32_t name;
    enum answer_kind kind;
    struct wire rdata;
};

/* ---- storage ---- */

static struct wire blob_item(const struct blob *blob, uint32_t offset)
{
    return (struct wire){ blob->bytes + offset + 1, blob->bytes[offset] };
}

/* Stores a name or rdata (at most 255 octets); sets *offset. */
static int blob_append(struct blob *blob, struct wire item, uint32_t *offset)
{
    size_t needed = blob->used + 1 + item.len;
    if (item.len > UINT8_MAX || needed > UINT32_MAX)
        return -1;
    if (needed > blob->capacity) {
        size_t capacity = blob->capacity ? blob->capacity : 4096;
        while (capacity < needed)
            capacity *= 2;
        uint8_t *bytes = realloc(blob->bytes, capacity);
        if (!bytes)
            return -1;
        blob->bytes = bytes;
        blob->capacity = capacity;
    }
    *offset = (uint32_t)blob->used;
    blob->bytes[blob->used] = (uint8_t)item.len;
    memcpy(blob->bytes + blob->used + 1, item.data, item.len);
    blob->used = needed;
    return 0;
}

/* Makes room for one more item; returns the (possibly moved) array, or NULL. */
static void *reserve_one(void *items, size_t *capacity, size_t count, size_t item_size)
{
    if (count < *capacity)
        return items;
    size_t grown_capacity = *capacity ? *capacity * 2 : 64;
    void *grown = realloc(items, grown_capacity * item_size);
    if (grown)
        *capacity = grown_capacity;
    return grown;
}

static int wire_equals(struct wire a, struct wire b)
{
    return a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
}

/* ---- hashing and the index ---- */

static uint32_t hash_add(uint32_t hash, const void *data, size_t len)
{
    const uint8_t *bytes = data;
    for (size_t i = 0; i < len; i++) {
        hash ^= bytes[i];           /* FNV-1a */
        hash *= 16777619u;
    }
    return hash;
}

/* FNV's low bits mix poorly and the index uses the low bits: finish with MurmurHash3's
 * avalanche step. */
static uint32_t hash_finish(uint32_t hash)
{
    hash ^= hash >> 16;
    hash *= 0x85ebca6bu;
    hash ^= hash >> 13;
    hash *= 0xc2b2ae35u;
    return hash ^ (hash >> 16);
}

static uint32_t hash_owner(struct wire owner)
{
    return hash_finish(hash_add(2166136261u, owner.data, owner.len));
}

static uint32_t hash_record(const struct record_probe *probe)
{
    uint8_t kind = (uint8_t)probe->kind;
    uint32_t hash = hash_add(2166136261u, &probe->name, sizeof probe->name);
    hash = hash_add(hash, &kind, 1);
    return hash_finish(hash_add(hash, probe->rdata.data, probe->rdata.len));
}

typedef int (*index_match_fn)(const struct hosts *h, uint32_t position, const void *key);

/* Finds the entry equal to `key`; returns 1 and sets *position, or 0. */
static int index_lookup(const struct index *idx, uint32_t hash, index_match_fn matches,
                        const struct hosts *h, const void *key, uint32_t *position)
{
    if (idx->capacity == 0)
        return 0;
    size_t mask = idx->capacity - 1;
    for (size_t i = hash & mask; idx->slots[i].entry; i = (i + 1) & mask) {
        const struct index_slot *slot = &idx->slots[i];
        if (slot->hash == hash && matches(h, slot->entry - 1, key)) {
            *position = slot->entry - 1;
            return 1;
        }
    }
    return 0;
}

static void index_place(struct index_slot *slots, size_t capacity, struct index_slot slot)
{
    size_t mask = capacity - 1;
    size_t i = slot.hash & mask;
    while (slots[i].entry)
        i = (i + 1) & mask;
    slots[i] = slot;
}

/* Adds a position known not to be in the index yet. */
static int index_add(struct index *idx, uint32_t hash, uint32_t position)
{
    if ((idx->used + 1) * 2 > idx->capacity) {
        size_t capacity = idx->capacity ? idx->capacity * 2 : INDEX_MIN_SLOTS;
        struct index_slot *slots = calloc(capacity, sizeof *slots);
        if (!slots)
            return -1;
        for (size_t i = 0; i < idx->capacity; i++)
            if (idx->slots[i].entry)
                index_place(slots, capacity, idx->slots[i]);
        free(idx->slots);
        idx->slots = slots;
        idx->capacity = capacity;
    }
    index_place(idx->slots, idx->capacity, (struct index_slot){ hash, position + 1 });
    idx->used++;
    return 0;
}

static int owner_matches(const struct hosts *h, uint32_t position, const void *key)
{
    return wire_equals(*(const struct wire *)key, blob_item(&h->blob, h->names[position].owner));
}

static int record_matches(const struct hosts *h, uint32_t position, const void *key)
{
    const struct record_probe *probe = key;
    const struct record *record = &h->records[position];
    return record->name == probe->name && record->kind == probe->kind
           && wire_equals(probe->rdata, blob_item(&h->blob, record->rdata));
}

static int hosts_find_owner(const struct hosts *h, struct wire owner, uint32_t *position)
{
    return index_lookup(&h->by_owner, hash_owner(owner), owner_matches, h, &owner, position);
}

static int hosts_find_record(const struct hosts *h, const struct record_probe *probe)
{
    uint32_t position;
    return index_lookup(&h->record_index, hash_record(probe), record_matches, h, probe,
                        &position);
}

/* ---- building the table ---- */

/* Finds the entry for a canonical owner, creating it if new; sets *position. */
static int hosts_intern_name(struct hosts *h, struct wire owner, uint32_t *position)
{
    if (hosts_find_owner(h, owner, position))
        return 0;
    struct host_name *names = reserve_one(h->names, &h->capacity, h->count, sizeof *names);
    if (!names || h->count >= MAX_ENTRIES)
        return -1;
    h->names = names;
    struct host_name name;
    if (blob_append(&h->blob, owner, &name.owner) != 0
        || index_add(&h->by_owner, hash_owner(owner), (uint32_t)h->count) != 0)
        return -1;
    h->name_lens[owner.len / 64 % 4] |= 1ull << (owner.len % 64);
    for (int kind = 0; kind < ANSWER_KINDS; kind++)
        name.answers[kind] = (struct answer_chain){ NO_RECORD, NO_RECORD, 0 };
    *position = (uint32_t)h->count;
    h->names[h->count++] = name;
    return 0;
}

/* A PTR target is a name already stored as an owner (hosts_add_pair adds the forward name
 * first): share its octets instead of storing them twice. */
static int hosts_store_rdata(struct hosts *h, enum answer_kind kind, struct wire rdata,
                             uint32_t *offset)
{
    uint32_t position;
    if (kind == ANSWER_PTR && hosts_find_owner(h, rdata, &position)) {
        *offset = h->names[position].owner;
        return 0;
    }
    return blob_append(&h->blob, rdata, offset);
}

/* Adds rdata of one kind to the owner, unless the owner already has it. */
static int hosts_add_record(struct hosts *h, struct wire owner, enum answer_kind kind,
                            struct wire rdata)
{
    struct record_probe probe = { .kind = kind, .rdata = rdata };
    if (hosts_intern_name(h, owner, &probe.name) != 0)
        return -1;
    if (hosts_find_record(h, &probe))
        return 0;
    struct record *records = reserve_one(h->records, &h->record_capacity, h->record_count,
                                         sizeof *records);
    if (!records || h->record_count >= MAX_ENTRIES)
        return -1;
    h->records = records;
    uint32_t position = (uint32_t)h->record_count;
    struct record record = { .name = probe.name, .next = NO_RECORD, .kind = kind };
    if (hosts_store_rdata(h, kind, rdata, &record.rdata) != 0
        || index_add(&h->record_index, hash_record(&probe), position) != 0)
        return -1;
    h->records[h->record_count++] = record;

    struct answer_chain *chain = &h->names[probe.name].answers[kind];
    if (chain->tail == NO_RECORD)
        chain->head = position;
    else
        h->records[chain->tail].next = position;
    chain->tail = position;
    chain->count++;
    return 0;
}

static size_t put_decimal_label(uint8_t *out, unsigned value)
{
    char digits[3];
    size_t count = 0;
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    out[0] = (uint8_t)count;
    for (size_t i = 0; i < count; i++)
        out[1 + i] = (uint8_t)digits[count - 1 - i];
    return 1 + count;
}

/* Writes the in-addr.arpa / ip6.arpa name of a 4- or 16-byte address; returns its length. */
static size_t reverse_name(struct wire address, uint8_t out[REVERSE_NAME_MAX])
{
    static const char in_addr_arpa[] = "\7in-addr\4arpa";   /* the final NUL is the root */
    static const char ip6_arpa[] = "\3ip6\4arpa";
    static const char hex[] = "0123456789abcdef";
    size_t len = 0;

    if (address.len == 4) {
        for (size_t i = 4; i-- > 0;)
            len += put_decimal_label(out + len, address.data[i]);
        memcpy(out + len, in_addr_arpa, sizeof in_addr_arpa);
        return len + sizeof in_addr_arpa;
    }
    for (size_t i = 16; i-- > 0;) {
        out[len++] = 1;
        out[len++] = (uint8_t)hex[address.data[i] & 15];
        out[len++] = 1;
        out[len++] = (uint8_t)hex[address.data[i] >> 4];
    }
    memcpy(out + len, ip6_arpa, sizeof ip6_arpa);
    return len + sizeof ip6_arpa;
}

/* The forward record of one name and, for the first name of a line, the reverse one. */
static int hosts_add_pair(struct hosts *h, struct wire name, enum answer_kind kind,
                          struct wire address, int first_name)
{
    uint8_t reverse[REVERSE_NAME_MAX];

    if (hosts_add_record(h, name, kind, address) != 0)
        return -1;
    if (!first_name)
        return 0;
    struct wire reverse_wire = { reverse, reverse_name(address, reverse) };
    return hosts_add_record(h, reverse_wire, ANSWER_PTR, name);
}

/* ---- parsing ---- */

struct line_context {
    const char *path;
    unsigned long lineno;
};

static void note_skipped(struct hosts *h, const struct line_context *where, const char *what,
                         const char *token)
{
    h->skipped++;
    log_debug("%s:%lu: %s '%s' skipped", where->path, where->lineno, what, token);
}

/* Parses an IPv4 or IPv6 literal into bytes (16 octets of room); returns 0 or -1. */
static int address_from_token(const char *token, uint8_t *bytes, struct wire *address,
                              enum answer_kind *kind)
{
    *address = (struct wire){ bytes, 0 };
    if (inet_pton(AF_INET, token, bytes) == 1) {
        address->len = 4;
        *kind = ANSWER_A;
    } else if (inet_pton(AF_INET6, token, bytes) == 1) {
        address->len = 16;
        *kind = ANSWER_AAAA;
    }
    return address->len ? 0 : -1;
}

/* Returns the canonical name, or NULL if the token is not a usable host name (errno is
 * ENOMEM if that was the reason). A backslash would be read by ldns as an escape, which
 * hosts files do not have; the root is no host name. */
static ldns_rdf *name_from_token(const char *token)
{
    errno = 0;
    if (strchr(token, '\\'))
        return NULL;
    ldns_rdf *name = ldns_dname_new_frm_str(token);
    if (!name)
        return NULL;
    if (ldns_rdf_size(name) <= 1) {
        ldns_rdf_deep_free(name);
        return NULL;
    }
    ldns_dname2canonical(name);
    return name;
}

/* Adds the names that follow the address on a line. Returns -1 only when out of memory. */
static int hosts_add_names(struct hosts *h, const struct line_context *where,
                           struct wire address, enum answer_kind kind, char **cursor)
{
    int names_added = 0;

    for (char *token; (token = strtok_r(NULL, hosts_separators, cursor));) {
        ldns_rdf *name = name_from_token(token);
        if (!name) {
            if (errno == ENOMEM)
                return -1;
            note_skipped(h, where, "invalid name", token);
            continue;
        }
        struct wire name_wire = { ldns_rdf_data(name), ldns_rdf_size(name) };
        int rc = hosts_add_pair(h, name_wire, kind, address, names_added == 0);
        ldns_rdf_deep_free(name);
        if (rc != 0)
            return -1;
        names_added++;
    }
    return 0;
}

/* One line: `ADDRESS NAME...`, `#` to the end of the line being a comment. Returns -1 only
 * when out of memory; a malformed line is skipped. */
static int hosts_add_line(struct hosts *h, const struct line_context *where, char *line)
{
    uint8_t bytes[16];
    struct wire address;
    enum answer_kind kind;
    char *cursor;

    line[strcspn(line, "#")] = '\0';
    char *token = strtok_r(line, hosts_separators, &cursor);
    if (!token)
        return 0;
    if (strchr(token, '%')) {
        /* A scoped address cannot be put in an AAAA record. */
        note_skipped(h, where, "address with a zone index", token);
        return 0;
    }
    if (address_from_token(token, bytes, &address, &kind) != 0) {
        note_skipped(h, where, "invalid address", token);
        return 0;
    }
    if (!cursor || cursor[strspn(cursor, hosts_separators)] == '\0') {
        note_skipped(h, where, "address without a name", token);
        return 0;
    }
    return hosts_add_names(h, where, address, kind, &cursor);
}

static int fail_with_errno(const char *path, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
}

int hosts_add_file(struct hosts *h, const char *path, char *err, size_t errlen)
{
    FILE *file = fopen(path, "r");
    if (!file)
        return fail_with_errno(path, err, errlen);

    struct line_context where = { path, 0 };
    size_t skipped_before = h->skipped;
    char *line = NULL;
    size_t line_capacity = 0;
    int rc = 0;

    errno = 0;
    while (getline(&line, &line_capacity, file) != -1) {
        where.lineno++;
        if (hosts_add_line(h, &where, line) != 0) {
            errno = ENOMEM;
            rc = -1;
            break;
        }
        errno = 0;
    }
    if (rc == 0 && (ferror(file) || errno != 0))
        rc = -1;    /* a read error (EISDIR for a directory) or getline out of memory */
    if (rc != 0)
        fail_with_errno(path, err, errlen);
    free(line);
    fclose(file);   /* opened for reading: a close error loses nothing */
    if (rc == 0)
        log_debug("%s: %lu lines read, %zu entries skipped", path, where.lineno,
                  h->skipped - skipped_before);
    return rc;
}

/* ---- the table ---- */
/* ---- the table ---- */

struct hosts *hosts_new(void)
{
    return calloc(1, sizeof(struct hosts));
}

void hosts_free(struct hosts *h)
{
    if (!h)
        return;
    free(h->blob.bytes);
    free(h->names);
    free(h->records);
    free(h->by_owner.slots);
    free(h->record_index.slots);
    free(h);
}

size_t hosts_count(const struct hosts *h)
{
    return h ? h->count : 0;
}

/* Finds the entry for a name in any case, without allocating: lookups run per query. */
static const struct host_name *hosts_find(const struct hosts *h, const uint8_t *data,
                                          size_t len)
{
    uint8_t folded[LDNS_MAX_DOMAINLEN + 1];
    uint32_t position;

    if (!h || !data || len == 0 || len > sizeof folded)
        return NULL;
    /* every query asks here first, and most names are not in the table: a name of a length
     * no entry has is not, without folding or hashing it (half a cache hit's work before) */
    if (len > 255 || !(h->name_lens[len / 64] >> (len % 64) & 1))
        return NULL;
    /* ASCII folding, as ldns_dname2canonical does in the C locale. Folding the length
     * octets too is harmless: they are at most 63, below 'A'. */
    for (size_t i = 0; i < len; i++)
        folded[i] = data[i] >= 'A' && data[i] <= 'Z' ? (uint8_t)(data[i] - 'A' + 'a') : data[i];
    struct wire owner = { folded, len };
    return hosts_find_owner(h, owner, &position) ? &h->names[position] : NULL;
}

static ldns_rr *answer_rr(struct wire qname, enum answer_kind kind, uint32_t ttl,
                          struct wire rdata)
{
    ldns_rr *rr = ldns_rr_new();
    ldns_rdf *owner = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, qname.len, qname.data);
    ldns_rdf *value = ldns_rdf_new_frm_data(answer_rdf_types[kind], rdata.len, rdata.data);
    if (!rr || !owner || !value || !ldns_rr_push_rdf(rr, value)) {
        ldns_rr_free(rr);
        ldns_rdf_deep_free(owner);
        ldns_rdf_deep_free(value);
        return NULL;
    }
    ldns_rr_set_owner(rr, owner);
    ldns_rr_set_type(rr, answer_types[kind]);
    ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
    ldns_rr_set_ttl(rr, ttl);
    return rr;
}

static int append_answers(const struct hosts *h, const struct host_name *name,
                          enum answer_kind kind, struct wire qname, uint32_t ttl,
                          ldns_rr_list *answer)
{
    for (uint32_t r = name->answers[kind].head; r != NO_RECORD; r = h->records[r].next) {
        ldns_rr *rr = answer_rr(qname, kind, ttl, blob_item(&h->blob, h->records[r].rdata));
        if (!rr)
            return -1;
        if (!ldns_rr_list_push_rr(answer, rr)) {
            ldns_rr_free(rr);
            return -1;
        }
    }
    return 0;
}

bool hosts_has_name(const struct hosts *h, const uint8_t *qname, size_t qname_len)
{
    return hosts_find(h, qname, qname_len) != NULL;
}

enum hosts_result hosts_lookup(const struct hosts *h, const uint8_t *qname_data, size_t qname_len,
                               uint16_t qtype, uint32_t ttl, ldns_rr_list *answer)
{
    const struct host_name *name = hosts_find(h, qname_data, qname_len);
    struct wire qname = { qname_data, qname_len };
    if (!name)
        return HOSTS_MISS;

    size_t count_before = ldns_rr_list_rr_count(answer);
    for (int kind = 0; kind < ANSWER_KINDS; kind++) {
        if (qtype != answer_types[kind] && qtype != LDNS_RR_TYPE_ANY)
            continue;
        if (append_answers(h, name, kind, qname, ttl, answer) == 0)
            continue;
        /* Out of memory: a partial answer would be wrong, so undo it and let the caller
         * look elsewhere. */
        while (ldns_rr_list_rr_count(answer) > count_before)
            ldns_rr_free(ldns_rr_list_pop_rr(answer));
        return HOSTS_MISS;
    }
    return HOSTS_HIT;
}

/* ---- comparing two tables ---- */

/* Is `name` of table `h` answered identically by `other`? Chains are free of duplicates,
 * so equal sizes plus inclusion is set equality (order does not matter to a cache). */
static int answered_alike(const struct hosts *h, const struct host_name *name,
                          const struct hosts *other)
{
    struct record_probe probe;

    if (!other || !hosts_find_owner(other, blob_item(&h->blob, name->owner), &probe.name))
        return 0;
    const struct host_name *theirs = &other->names[probe.name];
    for (int kind = 0; kind < ANSWER_KINDS; kind++) {
        const struct answer_chain *mine = &name->answers[kind];
        if (mine->count != theirs->answers[kind].count)
            return 0;
        probe.kind = kind;
        for (uint32_t r = mine->head; r != NO_RECORD; r = h->records[r].next) {
            probe.rdata = blob_item(&h->blob, h->records[r].rdata);
            if (!hosts_find_record(other, &probe))
                return 0;
        }
    }
    return 1;
}

void hosts_diff(const struct hosts *before, const struct hosts *after,
                void (*fn)(const uint8_t *name_lc, size_t len, void *arg), void *arg)
{
    uint32_t position;

    /* Names of `after` are compared with `before`; then the names only `before` has.
     * Every name has records, so a name missing from one table always differs. The name
     * given to fn is the table's own (canonical, lower case): valid during the call only. */
    for (size_t i = 0; i < hosts_count(after); i++) {
        if (answered_alike(after, &after->names[i], before))
            continue;
        struct wire owner = blob_item(&after->blob, after->names[i].owner);
        fn(owner.data, owner.len, arg);
    }
    for (size_t i = 0; i < hosts_count(before); i++) {
        struct wire owner_wire = blob_item(&before->blob, before->names[i].owner);
        if (after && hosts_find_owner(after, owner_wire, &position))
            continue;
        fn(owner_wire.data, owner_wire.len, arg);
    }
}
