/* fuzz_hosts.c -- libFuzzer target: the hosts-file parser and the table built from it.
 *
 * Input: the whole hosts file, written to an in-memory file and read with hosts_add_file.
 * Then hosts_lookup is asked for fixed names (localhost, a reverse name) and for names
 * taken from the input itself: the second word of each of the first lines (a host name)
 * for A, AAAA, ANY, and the first word (an address) as its in-addr.arpa/ip6.arpa PTR name,
 * so lookups hit as often as they miss.
 *
 * Invariants: a hit's answers all carry the asked name as owner (its case kept), class IN,
 * the asked type (any of A/AAAA/PTR for ANY) and rdata of the type's size; a miss adds
 * nothing; hosts_diff of a table with itself reports no name, and against an empty table
 * reports every name exactly once.
 *
 * Static state: `fz` holds the memfd, made once in LLVMFuzzerInitialize. */
#include <arpa/inet.h>

#include "fuzz_common.h"
#include "hosts.h"

#define MAX_LOOKUP_LINES 8

static struct {
    struct fuzz_file hosts;
} fz;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_file_open(&fz.hosts, "hosts");
    return 0;
}

static void check_answer(const ldns_rdf *qname, ldns_rr_type qtype, const ldns_rr *rr)
{
    ldns_rr_type t = ldns_rr_get_type(rr);
    const ldns_rdf *rd = ldns_rr_rdf(rr, 0);

    FUZZ_CHECK(ldns_rdf_compare(ldns_rr_owner(rr), qname) == 0);   /* octets: case kept */
    FUZZ_CHECK(ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN);
    FUZZ_CHECK(ldns_rr_ttl(rr) == 60);
    FUZZ_CHECK(t == qtype || (qtype == LDNS_RR_TYPE_ANY &&
                              (t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA ||
                               t == LDNS_RR_TYPE_PTR)));
    FUZZ_CHECK(rd != NULL && ldns_rr_rd_count(rr) == 1);
    if (t == LDNS_RR_TYPE_A)
        FUZZ_CHECK(ldns_rdf_size(rd) == 4);
    else if (t == LDNS_RR_TYPE_AAAA)
        FUZZ_CHECK(ldns_rdf_size(rd) == 16);
    else
        FUZZ_CHECK(ldns_rdf_get_type(rd) == LDNS_RDF_TYPE_DNAME && ldns_rdf_size(rd) > 1);
}

static void lookup(const struct hosts *h, const ldns_rdf *qname, ldns_rr_type qtype)
{
    ldns_rr_list *answer = ldns_rr_list_new();

    if (!answer)
        fuzz_die("out of memory");
    if (hosts_lookup(h, ldns_rdf_data(qname), ldns_rdf_size(qname), qtype, 60, answer) ==
        HOSTS_HIT) {
        for (size_t i = 0; i < ldns_rr_list_rr_count(answer); i++)
            check_answer(qname, qtype, ldns_rr_list_rr(answer, i));
    } else {
        FUZZ_CHECK(ldns_rr_list_rr_count(answer) == 0);
    }
    ldns_rr_list_deep_free(answer);
}

static void lookup_text(const struct hosts *h, const char *text, const ldns_rr_type *types,
                        size_t n_types)
{
    ldns_rdf *name = ldns_dname_new_frm_str(text);

    if (!name)
        return;
    for (size_t i = 0; i < n_types; i++)
        lookup(h, name, types[i]);
    ldns_rdf_deep_free(name);
}

/* The PTR name of an address literal, or nothing. */
static void lookup_reverse(const struct hosts *h, const char *address)
{
    static const ldns_rr_type ptr[] = { LDNS_RR_TYPE_PTR, LDNS_RR_TYPE_ANY };
    uint8_t bytes[16];
    ldns_rdf *rdf = NULL;

    if (inet_pton(AF_INET, address, bytes) == 1)
        rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, bytes);
    else if (inet_pton(AF_INET6, address, bytes) == 1)
        rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, bytes);
    if (!rdf)
        return;
    ldns_rdf *reverse = ldns_rdf_address_reverse(rdf);
    if (reverse) {
        for (size_t i = 0; i < 2; i++)
            lookup(h, reverse, ptr[i]);
        ldns_rdf_deep_free(reverse);
    }
    ldns_rdf_deep_free(rdf);
}

/* Lookups for the words of the first lines of the input. */
static void lookup_from_input(const struct hosts *h, const uint8_t *data, size_t size)
{
    static const ldns_rr_type forward[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA,
                                            LDNS_RR_TYPE_ANY };
    char *text = strndup((const char *)data, size), *save_line = NULL;
    int lines = 0;

    if (!text)
        fuzz_die("out of memory");
    for (char *line = strtok_r(text, "\n", &save_line); line && lines < MAX_LOOKUP_LINES;
         line = strtok_r(NULL, "\n", &save_line), lines++) {
        char *save_word = NULL;
        char *address = strtok_r(line, " \t", &save_word);
        char *name = address ? strtok_r(NULL, " \t#", &save_word) : NULL;
        if (address)
            lookup_reverse(h, address);
        if (name)
            lookup_text(h, name, forward, 3);
    }
    free(text);
}

static void count_name(const uint8_t *name, size_t len, void *arg)
{
    (void)name;
    (void)len;
    (*(size_t *)arg)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const ldns_rr_type all[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_PTR,
                                        LDNS_RR_TYPE_ANY };
    struct hosts *h = hosts_new();
    char err[512];
    size_t changed = 0;

    if (!h)
        fuzz_die("out of memory");
    fuzz_file_set(&fz.hosts, data, size);
    if (hosts_add_file(h, fz.hosts.path, err, sizeof err) != 0) {
        hosts_free(h);              /* only out of memory gets here */
        return 0;
    }
    lookup_text(h, "localhost", all, 4);
    lookup_text(h, "LocalHost.", all, 4);
    lookup_reverse(h, "127.0.0.1");
    lookup_reverse(h, "::1");
    lookup_from_input(h, data, size);

    hosts_diff(h, h, count_name, &changed);
    FUZZ_CHECK(changed == 0);
    hosts_diff(NULL, h, count_name, &changed);
    FUZZ_CHECK(changed == hosts_count(h));
    changed = 0;
    hosts_diff(h, NULL, count_name, &changed);
    FUZZ_CHECK(changed == hosts_count(h));
    hosts_free(h);
    return 0;
}
