/* zonefile.c -- the record-by-record zone-file reader (see zonefile.h). */
#include "zonefile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The line holding the last character the parser consumed. ldns counts the newlines it
 * reads, and it reads a record up to and including its newline, so after a record that ends
 * with one its counter (which starts at 1) is already on the next line. */
static int line_of_last_read(FILE *fp, int line)
{
    long pos = ftell(fp);
    if (pos <= 0 || fseek(fp, pos - 1, SEEK_SET) != 0)
        return line;
    int last = fgetc(fp);
    return last == '\n' && line > 1 ? line - 1 : line;
}

static bool is_directive(ldns_status status)
{
    return status == LDNS_STATUS_SYNTAX_EMPTY || status == LDNS_STATUS_SYNTAX_TTL ||
           status == LDNS_STATUS_SYNTAX_ORIGIN;
}

static int read_records(FILE *fp, const char *path, uint32_t ttl, ldns_rdf **origin,
                        ldns_rdf **prev, zonefile_rr_fn *each, void *arg, char *err,
                        size_t errlen)
{
    int line = 1;

    while (!feof(fp) && !ferror(fp)) {
        ldns_rr *rr = NULL;
        ldns_status status = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, origin, prev, &line);
        if (status == LDNS_STATUS_OK) {
            if (each(rr, line_of_last_read(fp, line), arg, err, errlen) < 0)
                return -1;
        } else if (!is_directive(status)) {
            ldns_rr_free(rr);
            if (status == LDNS_STATUS_SYNTAX_INCLUDE)
                status = LDNS_STATUS_SYNTAX_INCLUDE_ERR_NOTIMPL;
            snprintf(err, errlen, "%s:%d: %s", path, line_of_last_read(fp, line),
                     ldns_get_errorstr_by_id(status));
            return -1;
        }
    }
    if (ferror(fp)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
        return -1;
    }
    return 0;
}

int zonefile_read(const char *path, const ldns_rdf *origin, uint32_t default_ttl,
                  zonefile_rr_fn *each, void *arg, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    ldns_rdf *cur_origin = origin ? ldns_rdf_clone(origin) : NULL;
    ldns_rdf *prev = origin ? ldns_rdf_clone(origin) : NULL;
    int result;

    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        result = -1;
    } else if (origin && (!cur_origin || !prev)) {
        snprintf(err, errlen, "%s: out of memory", path);
        result = -1;
    } else {
        result = read_records(fp, path, default_ttl, &cur_origin, &prev, each, arg, err, errlen);
    }
    if (fp)
        fclose(fp);
    ldns_rdf_deep_free(cur_origin);
    ldns_rdf_deep_free(prev);
    return result;
}
