/* strbuf.c -- the bounded growing text buffer (see strbuf.h). */
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>

void strbuf_grow(struct strbuf *b, size_t need)
{
    size_t cap = b->cap;
    char *bigger;

    while (cap < b->max && b->len + need + 1 > cap)
        cap = cap * 2 < b->max ? cap * 2 : b->max;
    if (cap == b->cap || !(bigger = realloc(b->buf, cap)))
        return;
    b->buf = bigger;
    b->cap = cap;
}

void strbuf_vappend(struct strbuf *b, const char *fmt, va_list ap)
{
    va_list again;
    int n;

    if (b->len + 1 >= b->cap && b->cap >= b->max) {
        b->cut = true;
        return;
    }
    va_copy(again, ap);
    n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
    if (n >= 0 && b->len + (size_t)n >= b->cap && b->cap < b->max) {
        strbuf_grow(b, (size_t)n);
        n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, again);
    }
    va_end(again);
    if (n < 0)
        return;
    if (b->len + (size_t)n >= b->cap)
        b->cut = true;
    b->len = b->len + (size_t)n < b->cap ? b->len + (size_t)n : b->cap - 1;
}

void strbuf_append(struct strbuf *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    strbuf_vappend(b, fmt, ap);
    va_end(ap);
}
