/* The plain-pointer CPU kernels (codelets/kernels/cpu/), without StarPU: each
 * against a reference loop accumulated in double, in both precisions, on
 * ragged sizes, leading dimensions larger than the rows and every transpose;
 * the error is scaled by the operands' size and the precision's epsilon. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "../codelets/kernels/cpu/linalg.h"

static const sbk_precision precisions[] = {SBK_DOUBLE, SBK_FLOAT};
static const int sizes[][3] = {{1, 1, 1}, {7, 5, 3}, {17, 33, 9}, {64, 31, 40}, {100, 1, 77}};

static double eps(sbk_precision prec) { return prec == SBK_DOUBLE ? DBL_EPSILON : FLT_EPSILON; }

/* Uniform values in [-0.5, 0.5) from xorshift, in prec. */
static void *random_matrix(sbk_precision prec, int ld, int cols, uint64_t seed)
{
    void *A = malloc((size_t)ld * cols * prec);
    assert_non_null(A);
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < (size_t)ld * cols; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        sbk_elem_set(prec, A, i, (double)(s >> 11) * 0x1.0p-53 - 0.5);
    }
    return A;
}

/* op(X)(i, j) of a column-major X. */
static double op_at(sbk_precision prec, sbk_trans t, const void *X, int ld, int i, int j)
{
    return t == SBK_TRANS ? sbk_elem_get(prec, X, j + (size_t)i * ld) : sbk_elem_get(prec, X, i + (size_t)j * ld);
}

static void check_gemm(sbk_precision prec, sbk_trans ta, sbk_trans tb, int m, int n, int k, double alpha, double beta)
{
    int arows = ta == SBK_TRANS ? k : m, acols = ta == SBK_TRANS ? m : k;
    int brows = tb == SBK_TRANS ? n : k, bcols = tb == SBK_TRANS ? k : n;
    int lda = arows + 3, ldb = brows + 1, ldc = m + 2;
    void *A = random_matrix(prec, lda, acols, 1), *B = random_matrix(prec, ldb, bcols, 2);
    void *C = random_matrix(prec, ldc, n, 3), *C0 = random_matrix(prec, ldc, n, 3);
    sbk_cpu_gemm(prec, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
    double worst = 0;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) {
            double ref = 0, scale = 0;
            for (int l = 0; l < k; l++) {
                double p = op_at(prec, ta, A, lda, i, l) * op_at(prec, tb, B, ldb, l, j);
                ref += p, scale += fabs(p);
            }
            double c0 = sbk_elem_get(prec, C0, i + (size_t)j * ldc);
            ref = alpha * ref + (beta == 0 ? 0 : beta * c0);
            scale = fabs(alpha) * scale + fabs(beta * c0) + DBL_MIN;
            double err = fabs(sbk_elem_get(prec, C, i + (size_t)j * ldc) - ref) / (scale * (k + 2) * eps(prec));
            worst = fmax(worst, err);
        }
    if (!(worst <= 1.0))
        fail_msg("gemm %s %c%c %dx%dx%d: scaled error %.3g", prec == SBK_DOUBLE ? "double" : "float",
                 ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, worst);
    /* Rows below m in each column (the leading dimension's padding) are left alone. */
    for (int j = 0; j < n; j++)
        for (int i = m; i < ldc; i++)
            assert_true(sbk_elem_get(prec, C, i + (size_t)j * ldc) == sbk_elem_get(prec, C0, i + (size_t)j * ldc));
    free(A), free(B), free(C), free(C0);
}

static void test_gemm(void **state)
{
    (void)state;
    for (size_t p = 0; p < 2; p++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
            for (int t = 0; t < 4; t++) {
                sbk_trans ta = t & 1 ? SBK_TRANS : SBK_NOTRANS, tb = t & 2 ? SBK_TRANS : SBK_NOTRANS;
                check_gemm(precisions[p], ta, tb, sizes[s][0], sizes[s][1], sizes[s][2], 1.5, 0.0);
                check_gemm(precisions[p], ta, tb, sizes[s][0], sizes[s][1], sizes[s][2], -0.75, 2.0);
            }
}

/* alpha a + beta b as prec rounds it, without fusing. */
static double axpby(sbk_precision prec, double alpha, double a, double beta, double b)
{
    if (prec == SBK_DOUBLE) {
        volatile double x = alpha * a, y = beta * b;
        return x + y;
    }
    volatile float x = (float)alpha * (float)a, y = (float)beta * (float)b;
    return (float)(x + y);
}

static void test_add_and_scale(void **state)
{
    (void)state;
    for (size_t p = 0; p < 2; p++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            sbk_precision prec = precisions[p];
            int m = sizes[s][0], n = sizes[s][1], ld = m + 5;
            void *A = random_matrix(prec, ld, n, 4), *B = random_matrix(prec, ld + 1, n, 5);
            void *C = random_matrix(prec, ld, n, 6);
            sbk_cpu_add(prec, m, n, 0.3, A, ld, -2.0, B, ld + 1, C, ld);
            for (int j = 0; j < n; j++)
                for (int i = 0; i < m; i++) {
                    double a = sbk_elem_get(prec, A, i + (size_t)j * ld);
                    double b = sbk_elem_get(prec, B, i + (size_t)j * (ld + 1));
                    double err = fabs(sbk_elem_get(prec, C, i + (size_t)j * ld) - axpby(prec, 0.3, a, -2.0, b));
                    assert_true(err <= 2 * eps(prec) * (0.3 * fabs(a) + 2.0 * fabs(b)));
                }
            void *A0 = random_matrix(prec, ld, n, 4);
            sbk_cpu_scale(prec, m, n, -0.37, A, ld);
            for (int j = 0; j < n; j++)
                for (int i = 0; i < ld; i++) {
                    double a0 = sbk_elem_get(prec, A0, i + (size_t)j * ld), a = sbk_elem_get(prec, A, i + (size_t)j * ld);
                    double want = i < m ? axpby(prec, -0.37, a0, 0.0, 0.0) : a0; /* padding untouched */
                    assert_true(fabs(a - want) <= eps(prec) * fabs(want));
                }
            sbk_elem_set(prec, A, 0, NAN);
            sbk_cpu_scale(prec, m, n, 0.0, A, ld); /* zero clears NaN too */
            for (int j = 0; j < n; j++)
                for (int i = 0; i < m; i++)
                    assert_true(sbk_elem_get(prec, A, i + (size_t)j * ld) == 0.0);
            free(A), free(A0), free(B), free(C);
        }
}

/* Parts in either precision into C in either (parts combined over MPI ranks are double). */
static void test_tile_sum(void **state)
{
    (void)state;
    enum { NPARTS = 5 };
    for (size_t p = 0; p < 4; p++)
        for (int lower = 0; lower < 2; lower++) {
            sbk_precision prec = precisions[p % 2], parts_prec = precisions[p / 2];
            int m = 23, n = 19, ldc = m + 1, ld[NPARTS];
            const void *parts[NPARTS];
            for (int q = 0; q < NPARTS; q++)
                ld[q] = m + q, parts[q] = random_matrix(parts_prec, ld[q], n, 10 + q);
            void *C = random_matrix(prec, ldc, n, 20), *C0 = random_matrix(prec, ldc, n, 20);
            sbk_cpu_tile_sum(parts_prec, prec, m, n, lower, parts, ld, NPARTS, C, ldc);
            for (int j = 0; j < n; j++)
                for (int i = 0; i < m; i++) {
                    double ref = 0;
                    for (int q = 0; q < NPARTS; q++)
                        ref += sbk_elem_get(parts_prec, parts[q], i + (size_t)j * ld[q]);
                    double got = sbk_elem_get(prec, C, i + (size_t)j * ldc);
                    if (lower && i < j) /* the upper part is not written */
                        assert_true(got == sbk_elem_get(prec, C0, i + (size_t)j * ldc));
                    else
                        assert_true(fabs(got - ref) <= eps(prec) * NPARTS);
                }
            for (int q = 0; q < NPARTS; q++)
                free((void *)parts[q]);
            free(C), free(C0);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm),
        cmocka_unit_test(test_add_and_scale),
        cmocka_unit_test(test_tile_sum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
