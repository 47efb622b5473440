/* Helpers shared by the example drivers and the benchmarks. */
#include "driver.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int drv_parse_long(const char *prog, const char *opt, const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max) {
        fprintf(stderr, "starbak: %s: --%s: '%s' is not an integer in [%ld, %ld]\n", prog, opt, text, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int drv_parse_u64(const char *prog, const char *opt, const char *text, uint64_t min, uint64_t *out)
{
    char *end;
    int ok;
    errno = 0;
    if (strpbrk(text, "eE")) { /* sample counts are often written 1e8 */
        double d = strtod(text, &end);
        ok = !errno && end != text && !*end && d >= (double)min && d < 0x1.0p64 && d == floor(d);
        *out = ok ? (uint64_t)d : 0;
    } else {
        unsigned long long u = strtoull(text, &end, 10);
        ok = !errno && end != text && !*end && text[strspn(text, " ")] != '-' && u >= min;
        *out = u;
    }
    if (!ok)
        fprintf(stderr, "starbak: %s: --%s: '%s' is not an integer >= %llu\n", prog, opt, text,
                (unsigned long long)min);
    return ok ? 0 : -1;
}

int drv_parse_double(const char *prog, const char *opt, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v)) {
        fprintf(stderr, "starbak: %s: --%s: '%s' is not a finite number\n", prog, opt, text);
        return -1;
    }
    *out = v;
    return 0;
}

int drv_parse_precision(const char *prog, const char *text, sbk_precision *out)
{
    if (!strcmp(text, "d") || !strcmp(text, "double"))
        *out = SBK_DOUBLE;
    else if (!strcmp(text, "s") || !strcmp(text, "float"))
        *out = SBK_FLOAT;
    else {
        fprintf(stderr, "starbak: %s: --precision: '%s' is neither s (float) nor d (double)\n", prog, text);
        return -1;
    }
    return 0;
}

int drv_parse_trans(const char *prog, const char *opt, const char *text, sbk_trans *out)
{
    if (!strcmp(text, "N") || !strcmp(text, "n"))
        *out = SBK_NOTRANS;
    else if (!strcmp(text, "T") || !strcmp(text, "t"))
        *out = SBK_TRANS;
    else {
        fprintf(stderr, "starbak: %s: --%s: '%s' is neither N nor T\n", prog, opt, text);
        return -1;
    }
    return 0;
}

double drv_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

void drv_fill_uniform(sbk_precision prec, void *buf, size_t count, uint64_t seed)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < count; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17; /* xorshift64 */
        double u = (double)(s >> 11) * 0x1.0p-53 - 0.5;
        if (prec == SBK_DOUBLE)
            ((double *)buf)[i] = u;
        else
            ((float *)buf)[i] = (float)u;
    }
}

int drv_start(const char *prog)
{
    int ret = sbk_init();
    if (ret != SBK_SUCCESS) {
        fprintf(stderr, "starbak: %s: cannot start StarPU: %s\n", prog, sbk_strerror(ret));
        return -1;
    }
    return 0;
}

int drv_fail(const char *prog, const char *what, int code)
{
    fprintf(stderr, "starbak: %s: %s: %s\n", prog, what, sbk_strerror(code));
    return 1;
}
