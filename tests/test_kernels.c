/* The plain-pointer CPU kernels (codelets/kernels/cpu/), without StarPU: each
 * against a reference loop accumulated in double, in both precisions, on
 * ragged sizes, leading dimensions larger than the rows and every transpose;
 * the error is scaled by the operands' size and the precision's epsilon (the
 * dot-product bound: n eps sum |x_i y_i|). The solves are checked by their
 * scaled residuals (the normal equations for least squares), their ridges
 * against the rule of kernels/common/ridge.h in closed form. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <lapacke.h>
#include "../codelets/kernels/common/ann_draws.h"
#include "../codelets/kernels/cpu/ann.h"
#include "../codelets/kernels/cpu/cholesky.h"
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

/* --- Gram solves: the ridge Cholesky and the solves through it --- */

/* A symmetric positive definite n × n (ld n, both triangles) B^T B + n I/8,
 * B random; with dup set column and row 1 copy 0 exactly, a singular B^T B. */
static double *spd_matrix(int n, int dup, uint64_t seed)
{
    int m = n + 3;
    double *B = random_matrix(SBK_DOUBLE, m, n, seed), *G = malloc((size_t)n * n * sizeof *G);
    assert_non_null(G);
    for (int i = 0; dup && n > 1 && i < m; i++)
        B[i + (size_t)m] = B[i];
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int r = 0; r < m; r++)
                s += B[r + (size_t)i * m] * B[r + (size_t)j * m];
            G[i + (size_t)j * n] = s + (!dup && i == j ? n / 8.0 : 0.0);
        }
    free(B);
    return G;
}

static double max_abs(const double *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(x[i]));
    return m;
}

/* max |L L^T - (G + ridge I)| over the lower triangle, scaled by n eps max|G + ridge I|: Cholesky's
 * backward error, a small multiple of it (|L| |L^T| is up to |G| near singular). */
static double factor_error(int n, const double *G, double ridge, const double *L)
{
    double worst = 0, scale = max_abs(G, (size_t)n * n) + ridge;
    for (int j = 0; j < n; j++)
        for (int i = j; i < n; i++) {
            double s = 0;
            for (int k = 0; k <= j; k++)
                s += L[i + (size_t)k * n] * L[j + (size_t)k * n];
            double want = G[i + (size_t)j * n] + (i == j ? ridge : 0.0);
            worst = fmax(worst, fabs(s - want) / (n * DBL_EPSILON * scale));
        }
    return worst;
}

/* max |(G + ridge I) x - b| (G read from its lower triangle), scaled by n eps (|G + ridge I| |x| + |b|). */
static double solve_error(int n, const double *G, size_t ldg, double ridge, const double *x, const double *b,
                          double eps_x)
{
    double worst = 0;
    for (int i = 0; i < n; i++) {
        double s = ridge * x[i], mag = fabs(ridge * x[i]) + fabs(b[i]);
        for (int j = 0; j < n; j++) {
            double g = i >= j ? G[i + j * ldg] : G[j + i * ldg];
            s += g * x[j], mag += fabs(g * x[j]);
        }
        worst = fmax(worst, fabs(s - b[i]) / ((n + 2) * eps_x * mag + DBL_MIN));
    }
    return worst;
}

static void test_ridge_cholesky(void **state)
{
    (void)state;
    static const int orders[] = {1, 5, 17};
    for (size_t s = 0; s < 3; s++) {
        int n = orders[s];
        double *G = spd_matrix(n, 0, 60 + s), *L = malloc((size_t)n * n * sizeof *L), ridge;
        double *b = random_matrix(SBK_DOUBLE, n, 1, 61), *x = malloc(n * sizeof *x);
        /* Positive definite: the requested ridge (none, then 0.5) in one attempt, and solves. */
        for (int r = 0; r < 2; r++) {
            const struct sbk_ridge_policy policy = {0.5 * r, 10.0, 12, 0.0};
            assert_int_equal(sbk_cpu_ridge_cholesky(n, G, L, &policy, &ridge), 1);
            assert_true(ridge == 0.5 * r);
            assert_true(factor_error(n, G, ridge, L) <= 4.0);
            for (int i = 0; i < n; i++)
                x[i] = b[i];
            sbk_cpu_cholesky_solve(n, L, x);
            assert_true(solve_error(n, G, n, ridge, x, b, DBL_EPSILON) <= 8.0 * n);
        }
        /* A duplicated column: refused by the pivot floor, then the ridges 1e-12 trace/n × 100^k. */
        double *S = spd_matrix(n, 1, 62 + s), trace = 0;
        for (int k = 0; k < n; k++)
            trace += S[k + (size_t)k * n];
        const struct sbk_ridge_policy floor = {0.0, 100.0, 9, 1e-13};
        int attempts = sbk_cpu_ridge_cholesky(n, S, L, &floor, &ridge);
        if (n > 1) {
            assert_true(attempts >= 2);
            assert_true(fabs(ridge - 1e-12 * trace / n * pow(100.0, attempts - 2)) <= 1e-9 * ridge);
        } else
            assert_int_equal(attempts, 1);
        assert_true(factor_error(n, S, ridge, L) <= 4.0);
        /* Negative definite: no ridge of the policy helps; the last one tried is reported. */
        for (size_t k = 0; k < (size_t)n * n; k++)
            S[k] = k % (n + 1) == 0 ? -1.0 : 0.0;
        const struct sbk_ridge_policy three = {0.0, 10.0, 3, 0.0};
        assert_int_equal(sbk_cpu_ridge_cholesky(n, S, L, &three, &ridge), 0);
        assert_true(ridge == 1e-12 * 10.0);
        free(G), free(L), free(b), free(x), free(S);
    }
}

/* The outer solve's partials: P_i = H_i^T H_i (lower; the upper part NaN,
 * never read), q_i = H_i^T y_i, for row blocks H_i of a random H, in prec. */
struct outer_parts {
    int n, nparts;
    size_t ldp;
    void *P[4], *q[4];
};

static struct outer_parts outer_parts_new(sbk_precision prec, int n, int nparts, uint64_t seed)
{
    struct outer_parts o = {n, nparts, (size_t)n + 2, {NULL}, {NULL}};
    for (int i = 0; i < nparts; i++) {
        int rows = n + 2 - (i == nparts - 1); /* the last block one row short */
        double *H = random_matrix(SBK_DOUBLE, rows, n, seed + i), *y = random_matrix(SBK_DOUBLE, rows, 1, seed + 9 + i);
        o.P[i] = random_matrix(prec, o.ldp, n, 0), o.q[i] = random_matrix(prec, n, 1, 0);
        for (int c = 0; c < n; c++) {
            double qc = 0;
            for (int r = 0; r < rows; r++)
                qc += H[r + (size_t)c * rows] * y[r];
            sbk_elem_set(prec, o.q[i], c, qc);
            for (int k = 0; k < n; k++) {
                double s = 0;
                for (int r = 0; r < rows; r++)
                    s += H[r + (size_t)k * rows] * H[r + (size_t)c * rows];
                sbk_elem_set(prec, o.P[i], k + c * o.ldp, k >= c ? s : NAN);
            }
        }
        free(H), free(y);
    }
    return o;
}

static void outer_parts_free(struct outer_parts *o)
{
    for (int i = 0; i < o->nparts; i++)
        free(o->P[i]), free(o->q[i]);
}

/* G = sum P_i (lower, ld n), b = sum q_i, in double. */
static void outer_sums(sbk_precision prec, const struct outer_parts *o, double *G, double *b)
{
    int n = o->n;
    for (int j = 0; j < n; j++) {
        b[j] = 0;
        for (int i = 0; i < o->nparts; i++)
            b[j] += sbk_elem_get(prec, o->q[i], j);
        for (int r = 0; r < n; r++) {
            G[r + (size_t)j * n] = 0;
            for (int i = 0; i < o->nparts && r >= j; i++)
                G[r + (size_t)j * n] += sbk_elem_get(prec, o->P[i], r + j * o->ldp);
        }
    }
}

/* Runs the outer solve on o with the ANN's ridges from `requested`; v in v_prec. */
static int outer_solve(sbk_precision prec, const struct outer_parts *o, double requested, sbk_precision v_prec,
                       void *v, double *ridge_used)
{
    int n = o->n;
    const struct sbk_ann_partials p = {prec, n, o->nparts, (const void *const *)o->P, (const void *const *)o->q,
                                       o->ldp};
    const struct sbk_ridge_policy policy = {requested, 10.0, 12, 0.0};
    double *G = malloc((size_t)n * n * sizeof *G), *L = malloc((size_t)n * n * sizeof *L), *b = malloc(n * sizeof *b);
    int solved = sbk_cpu_ann_solve(&p, &policy, G, L, b, v_prec, v, ridge_used);
    free(G), free(L), free(b);
    return solved;
}

static void test_ann_solve(void **state)
{
    (void)state;
    static const int orders[] = {1, 6, 13}, counts[] = {1, 4};
    for (size_t pr = 0; pr < 4; pr++)
        for (size_t s = 0; s < 3; s++)
            for (size_t c = 0; c < 2; c++) {
                sbk_precision prec = precisions[pr % 2], v_prec = precisions[pr / 2];
                int n = orders[s];
                struct outer_parts o = outer_parts_new(prec, n, counts[c], 70 + s);
                double *G = malloc((size_t)n * n * sizeof *G), *b = malloc(n * sizeof *b), *x = malloc(n * sizeof *x);
                void *v = random_matrix(v_prec, n, 1, 71);
                outer_sums(prec, &o, G, b);
                for (int r = 0; r < 2; r++) {
                    double ridge = -1;
                    assert_int_equal(outer_solve(prec, &o, 0.25 * r, v_prec, v, &ridge), 1);
                    assert_true(ridge == 0.25 * r);
                    for (int j = 0; j < n; j++)
                        x[j] = sbk_elem_get(v_prec, v, j);
                    double err = solve_error(n, G, n, ridge, x, b, eps(v_prec));
                    if (!(err <= 4.0 * n))
                        fail_msg("ann solve n %d, %d partials: scaled residual %.3g", n, counts[c], err);
                }
                /* Zero partials: the first ridge, 1e-12 (an empty diagonal), makes v = b / 1e-12. */
                for (int i = 0; i < o.nparts; i++)
                    for (int j = 0; j < n; j++)
                        for (int r = j; r < n; r++)
                            sbk_elem_set(prec, o.P[i], r + j * o.ldp, 0.0);
                double ridge = -1;
                assert_int_equal(outer_solve(prec, &o, 0.0, v_prec, v, &ridge), 1);
                assert_true(ridge == 1e-12);
                for (int j = 0; j < n; j++)
                    assert_close(sbk_elem_get(v_prec, v, j), b[j] / 1e-12, fabs(b[j]) / 1e-12, 2, v_prec);
                /* Negative definite: no ridge up to 0.1 helps; v and the ridge are left alone. */
                for (int i = 0; i < o.nparts; i++)
                    for (int j = 0; j < n; j++)
                        sbk_elem_set(prec, o.P[i], j + j * o.ldp, -1.0);
                sbk_elem_set(v_prec, v, 0, 42.0);
                assert_int_equal(outer_solve(prec, &o, 0.0, v_prec, v, &ridge), 0);
                assert_true(ridge == 1e-12 && sbk_elem_get(v_prec, v, 0) == 42.0);
                outer_parts_free(&o);
                free(G), free(b), free(x), free(v);
            }
}

/* --- ANN inner layer: each neuron's least squares on its draws --- */

enum { OBS = 37, MB = 8, INNER_VARS = 3 };

/* X (OBS × INNER_VARS) and y in row tiles of MB rows (the last one ragged),
 * X's leading dimension MB + 3, y in (-0.9, 0.9) for atanh. */
struct inner_data {
    void *X[(OBS + MB - 1) / MB], *y[(OBS + MB - 1) / MB];
    struct sbk_ann_tile tiles[(OBS + MB - 1) / MB];
};

static void inner_data_new(struct inner_data *data, sbk_precision prec, double constant_column)
{
    for (int t = 0; t * MB < OBS; t++) {
        data->X[t] = random_matrix(prec, MB + 3, INNER_VARS, 80 + t), data->y[t] = random_matrix(prec, MB, 1, 90 + t);
        for (int r = 0; r < MB; r++) {
            sbk_elem_set(prec, data->y[t], r, 1.8 * sbk_elem_get(prec, data->y[t], r));
            if (constant_column != 0)
                sbk_elem_set(prec, data->X[t], r + (MB + 3), constant_column);
        }
        data->tiles[t] = (struct sbk_ann_tile){data->X[t], data->y[t], MB + 3};
    }
}

static void inner_data_free(struct inner_data *data)
{
    for (int t = 0; t * MB < OBS; t++)
        free(data->X[t]), free(data->y[t]);
}

/* max over the columns c of |A^T (A w - t)|_c, A and t neuron k's draw
 * `attempt` as ann_draws.h gathers it, scaled by the rows, eps and
 * |A|² |w| + |A| |t|: the normal equations of a least-squares solution. */
static double least_squares_error(const struct sbk_ann_draws *d, int k, int attempt, const double *w, double eps_w)
{
    int n = d->vars + d->bias, m = d->rows;
    double *A = malloc((size_t)m * n * sizeof *A), *t = malloc(m * sizeof *t), *r = malloc(m * sizeof *r);
    double a2 = 0, t2 = 0, w2 = 0, worst = 0;
    for (int i = 0; i < m; i++)
        sbk_ann_gather_row(d, k, attempt, i, A, m, t);
    for (int i = 0; i < m; i++) {
        r[i] = -t[i], t2 += t[i] * t[i];
        for (int c = 0; c < n; c++)
            r[i] += A[i + (size_t)c * m] * w[c], a2 += A[i + (size_t)c * m] * A[i + (size_t)c * m];
    }
    for (int c = 0; c < n; c++)
        w2 += w[c] * w[c];
    for (int c = 0; c < n; c++) {
        double s = 0;
        for (int i = 0; i < m; i++)
            s += A[i + (size_t)c * m] * r[i];
        worst = fmax(worst, fabs(s) / ((m + n) * eps_w * (a2 * sqrt(w2) + sqrt(a2 * t2))));
    }
    free(A), free(t), free(r);
    return worst;
}

/* Runs the inner kernel on neurons FIRST .. FIRST + COUNT - 1 of d and checks
 * every kept neuron's column against its draw; returns how many were kept. */
static int check_inner(sbk_precision prec, const struct sbk_ann_draws *d)
{
    enum { FIRST = 2, COUNT = 3, LDW = INNER_VARS + 3 };
    void *W = random_matrix(prec, LDW, COUNT, 85), *W0 = random_matrix(prec, LDW, COUNT, 85);
    int used[COUNT], kept = 0, n = d->vars + d->bias;
    sbk_cpu_ann_inner(d, FIRST, COUNT, 4, W, LDW, used);
    for (int j = 0; j < COUNT; j++) {
        double w[INNER_VARS + 1];
        for (int c = 0; c < LDW; c++) {
            double got = at(prec, W, LDW, c, j);
            if (c > INNER_VARS) /* below the column: untouched */
                assert_true(got == at(prec, W0, LDW, c, j));
            else if (used[j] == SBK_ANN_DROPPED || c >= n) /* a dropped neuron, or no bias: zeros */
                assert_true(got == 0.0);
            else
                w[c] = got;
        }
        if (used[j] == SBK_ANN_DROPPED)
            continue;
        kept++;
        assert_true(used[j] >= 1 && used[j] <= sbk_ann_attempts(d, 4));
        double err = least_squares_error(d, FIRST + j, used[j] - 1, w, eps(prec));
        if (!(err <= 1.0))
            fail_msg("ann inner neuron %d: scaled normal-equations residual %.3g", FIRST + j, err);
    }
    free(W), free(W0);
    return kept;
}

/* Neurons 2..4 of a partition solved in blocks padded to 9 and to 14 rows (as
 * blocks of other clusters would pad them): the same bits. */
static void same_bits_whatever_the_padding(sbk_precision prec, struct sbk_ann_draws d)
{
    enum { LDW = INNER_VARS + 1 };
    void *W9 = random_matrix(prec, LDW, 3, 86), *W14 = random_matrix(prec, LDW, 3, 86);
    int used[3];
    d.rows = 9;
    sbk_cpu_ann_inner(&d, 2, 3, 1, W9, LDW, used);
    d.rows = 14;
    sbk_cpu_ann_inner(&d, 2, 3, 1, W14, LDW, used);
    assert_memory_equal(W9, W14, (size_t)LDW * 3 * prec);
    free(W9), free(W14);
}

static void test_ann_inner(void **state)
{
    (void)state;
    for (size_t p = 0; p < 2; p++)
        for (int bias = 0; bias < 2; bias++) {
            sbk_precision prec = precisions[p];
            struct inner_data data;
            inner_data_new(&data, prec, 0.0);
            struct sbk_ann_draws d = {data.tiles, 7, OBS, MB, INNER_VARS, bias, 9, prec == SBK_DOUBLE, NULL, NULL};
            assert_int_equal(check_inner(prec, &d), 3);
            /* A partition: clusters of 9, 6 and 4 rows (padded to 9), one draw each. */
            static const int64_t starts[] = {0, 0, 0, 9, 15, 19};
            int64_t rows_of[19];
            for (int i = 0; i < 19; i++)
                rows_of[i] = (i * 11 + 3) % OBS; /* distinct rows */
            d.members = rows_of, d.first = starts;
            assert_int_equal(check_inner(prec, &d), 3);
            same_bits_whatever_the_padding(prec, d);
            /* Column 1 constant beside the ones of the bias: every draw is singular, every neuron dropped. */
            d.members = NULL, d.first = NULL;
            inner_data_free(&data);
            inner_data_new(&data, prec, 0.25);
            d.tiles = data.tiles;
            assert_int_equal(check_inner(prec, &d), bias ? 0 : 3);
            d.tiles = NULL; /* no tile table: no draws */
            assert_int_equal(check_inner(prec, &d), 0);
            inner_data_free(&data);
        }
}

/* --- SolveBak's batch reductions and the Gram sweep --- */

/* nparts random partials of len values in prec. */
static void random_partials(sbk_precision prec, int nparts, size_t len, uint64_t seed, void **parts)
{
    for (int i = 0; i < nparts; i++)
        parts[i] = random_matrix(prec, (int)len, 1, seed + i);
}

static double partials_sum_at(sbk_precision prec, int nparts, void *const *parts, size_t k)
{
    double s = 0;
    for (int i = 0; i < nparts; i++)
        s += sbk_elem_get(prec, parts[i], k);
    return s;
}

/* scale as the Gram reduction leaves it for solve: diag(G), then G (Gauss-Seidel) or its factor L (Cholesky). */
static double *batch_scale(enum sbk_batch_solve solve, int n, const double *G)
{
    double *scale = malloc(((size_t)n + (size_t)n * n) * sizeof *scale);
    assert_non_null(scale);
    for (int k = 0; k < n; k++)
        scale[k] = G[k + (size_t)k * n];
    if (n > 1 && solve == SBK_BATCH_JACOBI)
        scale[n - 1] = 0.0; /* a zero column: no step */
    for (size_t k = 0; k < (size_t)n * n; k++)
        scale[n + k] = G[k];
    if (solve == SBK_BATCH_CHOLESKY)
        assert_int_equal(LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, scale + n, n), 0);
    return scale;
}

static void check_update(sbk_precision parts_prec, sbk_precision prec, enum sbk_batch_solve solve, int n, int nparts)
{
    void *parts[3];
    random_partials(parts_prec, nparts, n, 100, parts);
    double *G = spd_matrix(n, 0, 101), *scale = batch_scale(solve, n, G), *d = malloc(n * sizeof *d);
    void *da = random_matrix(prec, n, 1, 102), *a = random_matrix(prec, n, 1, 103);
    void *a0 = random_matrix(prec, n, 1, 103);
    sbk_cpu_solvebak_update(parts_prec, nparts, (const void *const *)parts, n, solve, scale, prec, da, a);
    for (int k = 0; k < n; k++)
        d[k] = partials_sum_at(parts_prec, nparts, parts, k);
    double x[n];
    for (int k = 0; k < n; k++) {
        x[k] = sbk_elem_get(prec, da, k);
        double a_ref = sbk_elem_get(prec, a0, k) + x[k];
        assert_true(fabs(sbk_elem_get(prec, a, k) - a_ref) <= eps(prec) * fabs(a_ref));
    }
    double err = 0;
    if (solve == SBK_BATCH_CHOLESKY)
        err = solve_error(n, G, n, 0.0, x, d, eps(prec));
    else /* the lower triangle of D + L (Gauss-Seidel) or D; rows of a zero diagonal step 0 */
        for (int i = 0; i < n; i++) {
            double s = scale[i] * x[i], mag = fabs(s) + fabs(d[i]);
            for (int j = 0; solve == SBK_BATCH_GAUSS_SEIDEL && j < i; j++)
                s += G[i + (size_t)j * n] * x[j], mag += fabs(G[i + (size_t)j * n] * x[j]);
            err = fmax(err, scale[i] > 0 ? fabs(s - d[i]) / ((n + 2) * eps(prec) * mag) : x[i] == 0 ? 0 : INFINITY);
        }
    if (!(err <= 4.0 * n))
        fail_msg("solvebak update, solve %d, n %d: scaled residual %.3g", (int)solve, n, err);
    for (int i = 0; i < nparts; i++)
        free(parts[i]);
    free(G), free(scale), free(d), free(da), free(a), free(a0);
}

static void test_solvebak_update(void **state)
{
    (void)state;
    static const int orders[] = {1, 4, 7};
    for (size_t p = 0; p < 4; p++)
        for (int solve = SBK_BATCH_JACOBI; solve <= SBK_BATCH_CHOLESKY; solve++)
            for (size_t s = 0; s < 3; s++)
                for (int nparts = 1; nparts <= 3; nparts += 2)
                    check_update(precisions[p / 2], precisions[p % 2], (enum sbk_batch_solve)solve, orders[s], nparts);
    /* The norm reduction: one slot of the partials. */
    void *parts[3];
    random_partials(SBK_FLOAT, 3, 5, 104, parts);
    double out;
    sbk_cpu_partials_sum(SBK_FLOAT, 3, (const void *const *)parts, 4, 1, &out);
    assert_close(out, partials_sum_at(SBK_FLOAT, 3, parts, 4), 1.5, 3, SBK_DOUBLE);
    for (int i = 0; i < 3; i++)
        free(parts[i]);
}

/* The Gram reduction of partials that sum to G (n × n; the Jacobi ones its
 * diagonal), split in nparts unequal shares, in prec. */
static int run_gram_reduce(sbk_precision prec, int nparts, int n, enum sbk_batch_solve solve, const double *G,
                           double *out)
{
    int whole = solve != SBK_BATCH_JACOBI;
    size_t len = whole ? (size_t)n * n : (size_t)n;
    void *parts[3] = {NULL, NULL, NULL};
    assert_true(nparts >= 1 && nparts <= 3);
    for (int i = 0; i < nparts; i++) {
        parts[i] = random_matrix(prec, (int)len, 1, 0);
        for (size_t k = 0; k < len; k++)
            sbk_elem_set(prec, parts[i], k, (whole ? G[k] : G[k * (n + 1)]) * (i + 1) / (nparts * (nparts + 1) / 2));
    }
    double *copy = malloc((size_t)n * n * sizeof *copy);
    int status = sbk_cpu_gram_reduce(prec, nparts, (const void *const *)parts, n, solve, out, copy);
    for (int i = 0; i < nparts; i++)
        free(parts[i]);
    free(copy);
    return status;
}

static void test_gram_reduce(void **state)
{
    (void)state;
    static const int orders[] = {1, 5, 12};
    for (size_t p = 0; p < 2; p++)
        for (size_t s = 0; s < 3; s++)
            for (int solve = SBK_BATCH_JACOBI; solve <= SBK_BATCH_CHOLESKY; solve++)
                for (int nparts = 1; nparts <= 3; nparts += 2)
                    for (int dup = 0; dup < 2; dup++) {
                        sbk_precision prec = precisions[p];
                        int n = orders[s], whole = solve != SBK_BATCH_JACOBI;
                        double *G = spd_matrix(n, dup, 110 + s), *out = malloc((n + (size_t)n * n + 1) * sizeof *out);
                        int status = run_gram_reduce(prec, nparts, n, solve, G, out);
                        const double *M = out + n, ridge = out[n + (whole ? (size_t)n * n : 0)];
                        for (int k = 0; k < n; k++) /* the diagonal, summed as given */
                            assert_close(out[k], G[k + (size_t)k * n], fabs(G[k + (size_t)k * n]), nparts, prec);
                        if (solve == SBK_BATCH_CHOLESKY) {
                            assert_int_equal(status, dup && n > 1 ? SBK_TASK_REGULARIZED : SBK_TASK_OK);
                            assert_true(dup && n > 1 ? ridge > 0 : ridge == 0);
                            assert_true(factor_error(n, G, ridge, M) <= 8.0 * eps(prec) / DBL_EPSILON);
                        } else {
                            assert_int_equal(status, SBK_TASK_OK);
                            assert_true(ridge == 0);
                            for (int j = 0; solve == SBK_BATCH_GAUSS_SEIDEL && j < n; j++)
                                for (int i = j; i < n; i++)
                                    assert_close(M[i + (size_t)j * n], G[i + (size_t)j * n], fabs(G[i + (size_t)j * n]),
                                                 nparts, prec);
                        }
                        /* A non-finite diagonal is reported before any factor; -1000 I factors with no ridge. */
                        G[0] = NAN;
                        assert_int_equal(run_gram_reduce(prec, nparts, n, solve, G, out), SBK_TASK_NONFINITE);
                        for (size_t k = 0; k < (size_t)n * n; k++)
                            G[k] = k % (n + 1) == 0 ? -1000.0 : 0.0;
                        status = run_gram_reduce(prec, nparts, n, solve, G, out);
                        assert_int_equal(status, solve == SBK_BATCH_CHOLESKY ? SBK_TASK_SINGULAR : SBK_TASK_OK);
                        if (solve == SBK_BATCH_CHOLESKY) /* the last ridge tried: 1e-12 × 100^7 */
                            assert_true(fabs(out[n + (size_t)n * n] - 1e2) <= 1e-12);
                        free(G), free(out);
                    }
}

/* M = [X | y]^T [X | y] (lower triangle, ld ldm; the upper part NaN, never
 * read) of a random rows × vars X, whose column `zero` (-1: none) is zero. */
static void *gram_system(sbk_precision prec, int rows, int vars, int ldm, int zero, void **Xy)
{
    int n = vars + 1;
    *Xy = random_matrix(prec, rows, n, 120);
    for (int r = 0; zero >= 0 && r < rows; r++)
        sbk_elem_set(prec, *Xy, r + (size_t)zero * rows, 0.0);
    void *M = random_matrix(prec, ldm, n, 121);
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int r = 0; r < rows; r++)
                s += at(prec, *Xy, rows, r, i) * at(prec, *Xy, rows, r, j);
            sbk_elem_set(prec, M, i + (size_t)j * ldm, i >= j ? s : NAN);
        }
    return M;
}

static void check_sweep(sbk_precision prec, int vars, int zero)
{
    int rows = vars + 5, ldm = vars + 3;
    void *Xy, *M = gram_system(prec, rows, vars, ldm, zero, &Xy);
    double *a = random_matrix(SBK_DOUBLE, vars, 1, 122), *ref = malloc(vars * sizeof *ref), s[vars];
    for (int j = 0; j < vars; j++)
        a[j] = ref[j] = prec == SBK_DOUBLE ? a[j] : (float)a[j];
    double ee = sbk_cpu_gram_sweep(prec, vars, M, ldm, a, s);
    /* The reference sweep, from M's lower triangle; each step's terms bound its error. */
    double worst = 0;
    for (int j = 0; j < vars; j++) {
        double gjj = at(prec, M, ldm, j, j), d = at(prec, M, ldm, vars, j), mag = fabs(d);
        if (!(gjj > 0)) {
            assert_true(a[j] == ref[j]); /* a zero column keeps its value */
            continue;
        }
        for (int k = 0; k < vars; k++) {
            double g = k >= j ? at(prec, M, ldm, k, j) : at(prec, M, ldm, j, k);
            d -= g * ref[k], mag += fabs(g * ref[k]);
        }
        ref[j] += d / gjj;
        ref[j] = prec == SBK_DOUBLE ? ref[j] : (float)ref[j];
        worst = fmax(worst, fabs(a[j] - ref[j]) / ((vars + 2) * eps(prec) * (mag / gjj + fabs(ref[j]))));
        ref[j] = a[j]; /* the next steps from the kernel's value: errors do not compound */
    }
    if (!(worst <= 4.0))
        fail_msg("gram sweep %s vars %d: scaled error %.3g", prec == SBK_DOUBLE ? "double" : "float", vars, worst);
    /* ||y - X a||^2 from X and y themselves: the kernel's comes from M, whose rounding bounds the difference. */
    double direct = 0, mag = 0;
    for (int r = 0; r < rows; r++) {
        double e = at(prec, Xy, rows, r, vars), emag = fabs(e);
        for (int j = 0; j < vars; j++)
            e -= at(prec, Xy, rows, r, j) * a[j], emag += fabs(at(prec, Xy, rows, r, j) * a[j]);
        direct += e * e, mag += emag * emag;
    }
    assert_close(ee, direct, mag, 4 * rows, prec);
    free(Xy), free(M), free(a), free(ref);
}

static void test_gram_sweep(void **state)
{
    (void)state;
    for (size_t p = 0; p < 2; p++)
        for (int vars = 1; vars <= 9; vars += 4) {
            check_sweep(precisions[p], vars, -1);
            check_sweep(precisions[p], vars, vars / 2); /* element by element even in double */
        }
}

/* The count sample by sample, the same for any split, and pi/4 within four sigma. */
static void test_mcpi_count(void **state)
{
    (void)state;
    static const uint64_t seeds[] = {1, 7}, firsts[] = {0, 12345}, counts[] = {0, 1, 1000};
    for (size_t s = 0; s < 2; s++)
        for (size_t f = 0; f < 2; f++)
            for (size_t c = 0; c < 3; c++) {
                uint64_t ref = 0;
                for (uint64_t i = 0; i < counts[c]; i++)
                    ref += sbk_mcpi_inside(seeds[s], firsts[f] + i);
                assert_int_equal(sbk_cpu_mcpi_count(seeds[s], firsts[f], counts[c]), ref);
                assert_int_equal(sbk_cpu_mcpi_count(seeds[s], firsts[f], 37) +
                                     sbk_cpu_mcpi_count(seeds[s], firsts[f] + 37, counts[c]),
                                 sbk_cpu_mcpi_count(seeds[s], firsts[f], 37 + counts[c]));
            }
    const double n = 200000, p = M_PI / 4;
    double estimate = sbk_cpu_mcpi_count(3, 0, (uint64_t)n) / n;
    assert_true(fabs(estimate - p) <= 4 * sqrt(p * (1 - p) / n));
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
        cmocka_unit_test(test_ridge_cholesky),
        cmocka_unit_test(test_ann_solve),
        cmocka_unit_test(test_ann_inner),
        cmocka_unit_test(test_solvebak_update),
        cmocka_unit_test(test_gram_reduce),
        cmocka_unit_test(test_gram_sweep),
        cmocka_unit_test(test_mcpi_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
