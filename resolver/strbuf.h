/* strbuf.h -- a bounded, growing text buffer for command output (control replies, traces).
 *
 * Always NUL-terminated with len < cap. When max > cap the buffer is malloc'd and doubles
 * up to max; output that still does not fit is cut off (and `cut` set) rather than
 * overflowing or failing, so a writer never has to check each append. */
#ifndef STRBUF_H
#define STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct strbuf {
    char *buf;
    size_t cap, len, max;
    bool cut;
};

/* Makes room for `need` more octets (and the NUL) if the buffer may still grow. */
void strbuf_grow(struct strbuf *b, size_t need);
void strbuf_vappend(struct strbuf *b, const char *fmt, va_list ap);
void strbuf_append(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
