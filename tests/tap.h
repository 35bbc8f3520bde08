/* tap.h -- a tiny TAP producer for the C unit tests.
 *
 * Each unit test is one program that prints TAP to stdout; `prove` runs them all.
 * Usage: call ok()/is_int()/is_str() as often as needed and end main() with
 * `return done_testing();`, which prints the plan and returns non-zero on any failure. */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5), unused));

#include <stdarg.h>
static int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    tap_count++;
    printf("%sok %d - ", cond ? "" : "not ", tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!cond) {
        tap_failed++;
        printf("#   Failed test at %s line %d\n", file, line);
    }
    fflush(stdout);
    return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, name) do { \
        long long tap_g_ = (long long)(got), tap_w_ = (long long)(want); \
        if (!ok(tap_g_ == tap_w_, "%s", name)) \
            printf("#          got: %lld\n#     expected: %lld\n", tap_g_, tap_w_); \
    } while (0)

#define is_str(got, want, name) do { \
        const char *tap_g_ = (got), *tap_w_ = (want); \
        int tap_same_ = tap_g_ && tap_w_ ? strcmp(tap_g_, tap_w_) == 0 : tap_g_ == tap_w_; \
        if (!ok(tap_same_, "%s", name)) \
            printf("#          got: '%s'\n#     expected: '%s'\n", \
                   tap_g_ ? tap_g_ : "(null)", tap_w_ ? tap_w_ : "(null)"); \
    } while (0)

#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)

static inline int done_testing(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}

#endif
