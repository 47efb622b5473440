/* The plain-pointer CPU kernels (codelets/kernels/cpu/), without StarPU: each
 * against a reference loop accumulated in double, in both precisions, on
 * ragged sizes, leading dimensions larger than the rows and every transpose;
 * the error is scaled by the operands' size and the precision's epsilon (the
 * dot-product bound: n eps sum |x_i y_i|). */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "../codelets/kernels/cpu/ann.h"
#include "../codelets/kernels/cpu/linalg.h"
#include "../codelets/kernels/cpu/solvebak.h"

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

static double at(sbk_precision prec, const void *X, int ld, int i, int j) { return sbk_elem_get(prec, X, i + (size_t)j * ld); }

/* |got - ref| within (n + slack) eps times the sum of the terms' magnitudes. */
static void assert_close(double got, double ref, double magnitude, int n, sbk_precision prec)
{
    if (!(fabs(got - ref) <= (n + 8) * eps(prec) * magnitude + 1e-300))
        fail_msg("got %.17g, expected %.17g (terms of magnitude %.3g, n %d)", got, ref, magnitude, n);
}

static void check_step(sbk_precision prec, int rows, int prev_count, int cur_count, int norm)
{
    int ld_prev = rows + 2, ld_cur = rows + 1;
    void *X_prev = random_matrix(prec, ld_prev, prev_count + 1, 1), *da = random_matrix(prec, prev_count + 1, 1, 2);
    void *X_cur = random_matrix(prec, ld_cur, cur_count + 1, 3), *e = random_matrix(prec, rows, 1, 4);
    void *p = random_matrix(prec, cur_count + 1, 1, 5);
    double *e_ref = malloc(rows * sizeof *e_ref), *e_mag = malloc(rows * sizeof *e_mag);
    for (int i = 0; i < rows; i++) {
        e_ref[i] = sbk_elem_get(prec, e, i), e_mag[i] = fabs(e_ref[i]);
        for (int c = 0; c < prev_count; c++) {
            double term = at(prec, X_prev, ld_prev, i, c) * sbk_elem_get(prec, da, c);
            e_ref[i] -= term, e_mag[i] += fabs(term);
        }
    }
    sbk_cpu_solvebak_step(prec, rows, e, X_prev, ld_prev, prev_count, da, X_cur, ld_cur, cur_count, p, norm);
    for (int i = 0; i < rows; i++)
        assert_close(sbk_elem_get(prec, e, i), e_ref[i], e_mag[i], prev_count, prec);
    for (int k = 0; k <= cur_count; k++) {
        if (k == cur_count && !norm)
            break;
        double ref = 0, mag = 0;
        for (int i = 0; i < rows; i++) {
            double term = k < cur_count ? at(prec, X_cur, ld_cur, i, k) * e_ref[i] : e_ref[i] * e_ref[i];
            ref += term, mag += fabs(k < cur_count ? at(prec, X_cur, ld_cur, i, k) : e_ref[i]) * e_mag[i];
        }
        assert_close(sbk_elem_get(prec, p, k), ref, mag, rows + prev_count, prec);
    }
    free(X_prev), free(da), free(X_cur), free(e), free(p), free(e_ref), free(e_mag);
}

static void test_solvebak_step(void **state)
{
    (void)state;
    static const int rows[] = {1, 37, 100}, prevs[] = {0, 3}, curs[] = {0, 1, 5};
    for (size_t p = 0; p < 2; p++)
        for (size_t r = 0; r < 3; r++)
            for (size_t a = 0; a < 2; a++)
                for (size_t c = 0; c < 3; c++)
                    for (int norm = 0; norm < 2; norm++)
                        check_step(precisions[p], rows[r], prevs[a], curs[c], norm);
}

/* M's lower triangle against M0 (accumulate) + B^T B, B the blocks side by side; the upper part untouched. */
static void check_gram(sbk_precision prec, int rows, int n, const void *const *col_of, const void *M, const void *M0,
                       int ldm, int accumulate)
{
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            double got = at(prec, M, ldm, i, j), ref = accumulate ? at(prec, M0, ldm, i, j) : 0, mag = fabs(ref);
            if (i < j) {
                assert_true(got == at(prec, M0, ldm, i, j));
                continue;
            }
            for (int r = 0; r < rows; r++) {
                double term = sbk_elem_get(prec, col_of[i], r) * sbk_elem_get(prec, col_of[j], r);
                ref += term, mag += fabs(term);
            }
            assert_close(got, ref, mag, rows, prec);
        }
}

static void test_gram_partial_and_form(void **state)
{
    (void)state;
    enum { NBLOCKS = 3, N = 6 };
    static const int cols[NBLOCKS] = {2, 3, 1};
    for (size_t p = 0; p < 2; p++)
        for (int rows = 1; rows <= 41; rows += 20) {
            sbk_precision prec = precisions[p];
            int ld[NBLOCKS], ldm = N + 2;
            const void *blocks[NBLOCKS], *col_of[N];
            for (int t = 0, c = 0; t < NBLOCKS; t++) {
                ld[t] = rows + t, blocks[t] = random_matrix(prec, ld[t], cols[t], 30 + t);
                for (int k = 0; k < cols[t]; k++, c++)
                    col_of[c] = (const char *)blocks[t] + (size_t)k * ld[t] * prec;
            }
            for (int accumulate = 0; accumulate < 2; accumulate++) {
                void *M = random_matrix(prec, ldm, N, 40), *M0 = random_matrix(prec, ldm, N, 40);
                void *W = random_matrix(prec, 8 * N, 1, 41);
                sbk_cpu_gram_form(prec, rows, NBLOCKS, blocks, cols, ld, accumulate, 8, W, M, ldm);
                check_gram(prec, rows, N, col_of, M, M0, ldm, accumulate);
                free(M), free(M0), free(W);
            }
            /* The partial of block 1's columns: whole (lower, ld = count) and the norms. */
            void *q = random_matrix(prec, cols[1], cols[1], 42), *q0 = random_matrix(prec, cols[1], cols[1], 42);
            sbk_cpu_gram_partial(prec, rows, cols[1], 1, blocks[1], ld[1], q);
            check_gram(prec, rows, cols[1], col_of + cols[0], q, q0, cols[1], 0);
            sbk_cpu_gram_partial(prec, rows, cols[1], 0, blocks[1], ld[1], q);
            for (int k = 0; k < cols[1]; k++) {
                double ref = 0;
                for (int r = 0; r < rows; r++)
                    ref += sbk_elem_get(prec, col_of[cols[0] + k], r) * sbk_elem_get(prec, col_of[cols[0] + k], r);
                assert_close(sbk_elem_get(prec, q, k), ref, ref, rows, prec);
            }
            free(q), free(q0);
            for (int t = 0; t < NBLOCKS; t++)
                free((void *)blocks[t]);
        }
}

/* H(i, k) of the reference: tanh(x_i . w_k + b_k), or 1 in the bias column. */
static double hidden_at(sbk_precision prec, const void *X, int ldx, const void *W, int ldw, int vars, int neurons,
                        int i, int k)
{
    if (k == neurons)
        return 1.0;
    double z = at(prec, W, ldw, vars, k);
    for (int v = 0; v < vars; v++)
        z += at(prec, X, ldx, i, v) * at(prec, W, ldw, v, k);
    return tanh(z);
}

static void test_ann_hidden(void **state)
{
    (void)state;
    enum { VARS = 3, NEURONS = 4, CHUNK = 8 };
    for (size_t p = 0; p < 2; p++)
        for (int bias = 0; bias < 2; bias++)
            for (int rows = 1; rows <= 29; rows += 28) {
                sbk_precision prec = precisions[p];
                int ncol = NEURONS + bias, ldx = rows + 1, ldw = VARS + 3, ldh = CHUNK + 1, ldp = ncol + 1;
                void *X = random_matrix(prec, ldx, VARS, 50), *W = random_matrix(prec, ldw, NEURONS, 51);
                void *y = random_matrix(prec, rows, 1, 52), *v = random_matrix(prec, ncol, 1, 53);
                void *H = random_matrix(prec, ldh, ncol, 54), *P = random_matrix(prec, ldp, ncol, 55);
                void *q = random_matrix(prec, ncol, 1, 56), *yhat = random_matrix(prec, rows, 1, 57);
                sbk_cpu_ann_normal(prec, rows, VARS, NEURONS, bias, CHUNK, X, ldx, y, W, ldw, H, ldh, P, ldp, q);
                sbk_cpu_ann_predict(prec, rows, VARS, NEURONS, bias, CHUNK, X, ldx, W, ldw, v, H, ldh, yhat);
                for (int k = 0; k < ncol; k++) {
                    double qref = 0, qmag = 0;
                    for (int i = 0; i < rows; i++) {
                        double h = hidden_at(prec, X, ldx, W, ldw, VARS, NEURONS, i, k), yi = sbk_elem_get(prec, y, i);
                        qref += h * yi, qmag += fabs(h * yi);
                    }
                    assert_close(sbk_elem_get(prec, q, k), qref, qmag, rows + VARS + 8, prec);
                    for (int l = 0; l <= k; l++) {
                        double ref = 0, mag = 0;
                        for (int i = 0; i < rows; i++) {
                            double term = hidden_at(prec, X, ldx, W, ldw, VARS, NEURONS, i, k) *
                                          hidden_at(prec, X, ldx, W, ldw, VARS, NEURONS, i, l);
                            ref += term, mag += fabs(term);
                        }
                        assert_close(at(prec, P, ldp, k, l), ref, mag, rows + VARS + 8, prec);
                    }
                }
                for (int i = 0; i < rows; i++) {
                    double ref = 0, mag = 0;
                    for (int k = 0; k < ncol; k++) {
                        double term = hidden_at(prec, X, ldx, W, ldw, VARS, NEURONS, i, k) * sbk_elem_get(prec, v, k);
                        ref += term, mag += fabs(term);
                    }
                    assert_close(sbk_elem_get(prec, yhat, i), ref, mag, ncol + VARS + 8, prec);
                }
                free(X), free(W), free(y), free(v), free(H), free(P), free(q), free(yhat);
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm),
        cmocka_unit_test(test_add_and_scale),
        cmocka_unit_test(test_tile_sum),
        cmocka_unit_test(test_solvebak_step),
        cmocka_unit_test(test_gram_partial_and_form),
        cmocka_unit_test(test_ann_hidden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
