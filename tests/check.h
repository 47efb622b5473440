/* Shared by the GEMM and element-wise tests: random operands, ragged shape
 * tables and the checks against one cblas call. Header-only: each test is one
 * program. */
#ifndef STARBAK_TESTS_CHECK_H
#define STARBAK_TESTS_CHECK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <starbak/starbak.h>

static inline void fill_uniform(sbk_precision prec, void *buf, size_t count, uint64_t seed)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < count; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        double u = (double)(s >> 11) * 0x1.0p-53 - 0.5;
        if (prec == SBK_DOUBLE)
            ((double *)buf)[i] = u;
        else
            ((float *)buf)[i] = (float)u;
    }
}

/* A GEMM case: C is m×n in mb×nb tiles, op(A) m×k in mb×kb, op(B) k×n in kb×nb. */
struct gemm_case {
    int m, n, k, mb, nb, kb;
    double alpha, beta;
};

/* Ragged shapes (not multiples of the tile), a tile larger than the matrix,
 * 1×1, distinct tile sizes per dimension, and alpha = 0 / beta = 0. */
static const struct gemm_case gemm_cases[] = {
    {15, 25, 37, 16, 16, 16, 1.5, 0.0},  {37, 15, 25, 17, 17, 17, -1.0, 0.5},
    {25, 37, 15, 16, 17, 5, 0.75, 1.0},  {5, 7, 3, 64, 64, 64, 1.0, -2.0},
    {1, 1, 1, 16, 16, 16, 2.0, 1.0},     {64, 48, 32, 16, 16, 16, 1.0, 0.0},
    {33, 21, 40, 8, 4, 16, 0.0, -0.5},   {19, 23, 29, 7, 5, 3, 0.0, 0.0},
    {100, 70, 90, 32, 33, 31, 1.0, 1.0},
    /* Under MPI, one C tile summed over k tiles across the ranks, and one column of C tiles. */
    {5, 7, 100, 16, 16, 7, 1.5, 0.0},    {70, 9, 40, 8, 16, 6, -1.0, 0.5},
};

/* Runs every case in every transpose combination in the given precision;
 * returns how many failed, printing each failure with its scaled residual. */
static inline int run_gemm_cases(sbk_precision prec)
{
    int failures = 0;
    for (size_t c = 0; c < sizeof gemm_cases / sizeof gemm_cases[0]; c++)
        for (int t = 0; t < 4; t++) {
            const struct gemm_case g = gemm_cases[c];
            sbk_trans ta = t & 1 ? SBK_TRANS : SBK_NOTRANS, tb = t & 2 ? SBK_TRANS : SBK_NOTRANS;
            int arows = ta ? g.k : g.m, acols = ta ? g.m : g.k, brows = tb ? g.n : g.k, bcols = tb ? g.k : g.n;
            /* Leading dimensions larger than the rows, as in a sub-matrix of a bigger array. */
            int lda = arows + 3, ldb = brows + 1, ldc = g.m + 2;
            void *A = malloc((size_t)lda * acols * prec), *B = malloc((size_t)ldb * bcols * prec);
            void *C = malloc((size_t)ldc * g.n * prec), *C0 = malloc((size_t)ldc * g.n * prec);
            assert_non_null(A), assert_non_null(B), assert_non_null(C), assert_non_null(C0);
            fill_uniform(prec, A, (size_t)lda * acols, 11 + c);
            fill_uniform(prec, B, (size_t)ldb * bcols, 23 + c);
            fill_uniform(prec, C0, (size_t)ldc * g.n, 37 + c);
            memcpy(C, C0, (size_t)ldc * g.n * prec);
            sbk_matrix *dA, *dB, *dC;
            assert_int_equal(sbk_matrix_create(&dA, prec, A, arows, acols, lda, ta ? g.kb : g.mb, ta ? g.mb : g.kb), 0);
            assert_int_equal(sbk_matrix_create(&dB, prec, B, brows, bcols, ldb, tb ? g.nb : g.kb, tb ? g.kb : g.nb), 0);
            assert_int_equal(sbk_matrix_create(&dC, prec, C, g.m, g.n, ldc, g.mb, g.nb), 0);
            int ret = sbk_gemm(ta, tb, g.alpha, dA, dB, g.beta, dC);
            sbk_matrix_destroy(dA), sbk_matrix_destroy(dB), sbk_matrix_destroy(dC);
            double r = sbk_gemm_residual(prec, ta, tb, g.m, g.n, g.k, g.alpha, A, lda, B, ldb, g.beta, C0, C, ldc);
            if (ret != 0 || !(r < 10.0)) {
                failures++;
                print_error("gemm %c%c%c m=%d n=%d k=%d tiles %dx%dx%d alpha=%g beta=%g: ret=%d residual=%.3e\n",
                            prec == SBK_DOUBLE ? 'd' : 's', ta ? 'T' : 'N', tb ? 'T' : 'N', g.m, g.n, g.k, g.mb,
                            g.nb, g.kb, g.alpha, g.beta, ret, r);
            }
            free(A), free(B), free(C), free(C0);
        }
    return failures;
}

static inline int start_starbak(void **state)
{
    (void)state;
    return sbk_init() == 0 ? 0 : -1;
}

static inline int stop_starbak(void **state)
{
    (void)state;
    sbk_shutdown();
    return 0;
}

#endif
