/* Shared by the ANN tests (CPU and GPU): the outer solve alone, on partials
 * made here, against LAPACKE on the same system. Both devices must factor the
 * system the partials sum to (in their order, in double: partial_sum.h), pick
 * the ridge the library's rule gives (1e-12 × the mean diagonal after the
 * requested ridge fails, ×10 each time, 12 tries), and solve it to rounding.
 * Header-only: each test is one program. */
#ifndef STARBAK_TESTS_ANN_SOLVE_REFERENCE_H
#define STARBAK_TESTS_ANN_SOLVE_REFERENCE_H

#include <lapacke.h>
#include <math.h>
#include "codelets/codelets.h"
#include "check.h"
#include "../codelets/kernels/common/partial_sum.h"

/* The outer solve's input as the row-block tasks leave it: nparts partials of
 * H^T H (n × n, lower triangles) and of H^T y, held here in double. */
struct ann_parts {
    int n, nparts;
    double *P, *q; /* partial i at P + i n², q + i n */
};

static inline struct ann_parts ann_parts_new(int n, int nparts)
{
    return (struct ann_parts){n, nparts, calloc((size_t)nparts * n * n, sizeof(double)),
                              calloc((size_t)nparts * n, sizeof(double))};
}

static inline void ann_parts_free(struct ann_parts *p)
{
    free(p->P), free(p->q);
}

/* Row blocks of a random H and y, the last one shorter: a positive definite sum. */
static inline struct ann_parts ann_parts_from_rows(int n, int nparts, uint64_t seed)
{
    struct ann_parts p = ann_parts_new(n, nparts);
    int most = n + 3;
    double *H = malloc((size_t)most * n * sizeof *H), *y = malloc(most * sizeof *y);
    for (int i = 0; i < nparts; i++) {
        int h = i == nparts - 1 && nparts > 1 ? n / 2 + 1 : most;
        double *P = p.P + (size_t)i * n * n, *q = p.q + (size_t)i * n;
        fill_uniform(SBK_DOUBLE, H, (size_t)h * n, seed + 2 * i);
        fill_uniform(SBK_DOUBLE, y, h, seed + 2 * i + 1);
        for (int c = 0; c < n; c++)
            for (int r = 0; r < h; r++) {
                q[c] += H[r + (size_t)c * h] * y[r];
                for (int k = c; k < n; k++)
                    P[k + (size_t)c * n] += H[r + (size_t)k * h] * H[r + (size_t)c * h];
            }
    }
    free(H), free(y);
    return p;
}

/* Partials that sum to Q diag(lambda) Q^T for a random orthogonal Q: all but
 * the last random, the last what is left. */
static inline struct ann_parts ann_parts_with_spectrum(int n, int nparts, const double *lambda, uint64_t seed)
{
    struct ann_parts p = ann_parts_new(n, nparts);
    double *Q = malloc((size_t)n * n * sizeof *Q), *tau = malloc(n * sizeof *tau);
    fill_uniform(SBK_DOUBLE, Q, (size_t)n * n, seed);
    assert_int_equal(LAPACKE_dgeqrf(LAPACK_COL_MAJOR, n, n, Q, n, tau), 0);
    assert_int_equal(LAPACKE_dorgqr(LAPACK_COL_MAJOR, n, n, n, Q, n, tau), 0);
    fill_uniform(SBK_DOUBLE, p.P, (size_t)(nparts - 1) * n * n, seed + 1);
    fill_uniform(SBK_DOUBLE, p.q, (size_t)nparts * n, seed + 2);
    double *last = p.P + (size_t)(nparts - 1) * n * n;
    for (int c = 0; c < n; c++)
        for (int r = c; r < n; r++) {
            double g = 0;
            for (int k = 0; k < n; k++)
                g += Q[r + (size_t)k * n] * lambda[k] * Q[c + (size_t)k * n];
            for (int i = 0; i < nparts - 1; i++)
                g -= p.P[(size_t)i * n * n + r + (size_t)c * n];
            last[r + (size_t)c * n] = g;
        }
    free(Q), free(tau);
    return p;
}

static inline void ann_store(sbk_precision prec, void *buf, size_t k, double v)
{
    if (prec == SBK_DOUBLE)
        ((double *)buf)[k] = v;
    else
        ((float *)buf)[k] = (float)v;
}

/* The reference: the stored partials summed in order in double, the ridge rule,
 * LAPACKE dpotrf/dpotrs. G gets the system's lower triangle and b its solution;
 * returns the ridge, or -1 when none of the 12 makes G positive definite. */
static inline double ann_solve_reference(int n, int nparts, void *const *P, size_t ld, void *const *q, int dbl,
                                         double ridge, double *G, double *b)
{
    double *A = malloc((size_t)n * n * sizeof *A), trace = 0;
    memset(G, 0, (size_t)n * n * sizeof *G), memset(b, 0, n * sizeof *b);
    for (int i = 0; i < nparts; i++)
        for (int c = 0; c < n; c++) {
            b[c] = sbk_ann_add_partial(b[c], q[i], dbl, c);
            for (int r = c; r < n; r++)
                G[r + (size_t)c * n] = sbk_ann_add_partial(G[r + (size_t)c * n], P[i], dbl, r + c * ld);
        }
    for (int j = 0; j < n; j++)
        trace += G[j + (size_t)j * n];
    for (int attempt = 0; attempt < 12; attempt++) {
        memcpy(A, G, (size_t)n * n * sizeof *A);
        for (int j = 0; j < n; j++)
            A[j + (size_t)j * n] += ridge;
        if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, A, n) == 0) {
            assert_int_equal(LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', n, 1, A, n, b, n), 0);
            free(A);
            return ridge;
        }
        ridge = ridge > 0 ? ridge * 10 : 1e-12 * (trace > 0 ? trace / n : 1.0);
    }
    free(A);
    return -1.0;
}

/* sbk_insert_ann_solve on p stored in prec, with a leading dimension n + 2 and
 * NaN above the diagonal and in the padding (the solve must read only the
 * lower triangles). The ridge used must be the reference's to the bit (the
 * same sums, the same decisions); v the reference's to the factorizations'
 * rounding (the systems here have condition numbers below 1e4), and it must
 * solve (G + ridge I) v = b (scaled residual). Returns the ridge used, or -1
 * when the task's status says no ridge made the system solvable. */
static inline double ann_solve_matches_reference(const struct ann_parts *p, sbk_precision prec, double ridge)
{
    int n = p->n, np = p->nparts, dbl = prec == SBK_DOUBLE;
    size_t ld = n + 2, es = prec;
    void **P = malloc(np * sizeof *P), **q = malloc(np * sizeof *q), *v = calloc(n, es);
    starpu_data_handle_t *hP = malloc(np * sizeof *hP), *hq = malloc(np * sizeof *hq), hv, hridge, hstatus;
    double ridge_used = -2.0;
    int status = -1;
    for (int i = 0; i < np; i++) {
        assert_int_equal(starpu_malloc(&P[i], ld * n * es), 0);
        assert_int_equal(starpu_malloc(&q[i], n * es), 0);
        for (int c = 0; c < n; c++) {
            ann_store(prec, q[i], c, p->q[(size_t)i * n + c]);
            for (int r = 0; r < (int)ld; r++) {
                int lower = r >= c && r < n;
                ann_store(prec, P[i], r + c * ld, lower ? p->P[(size_t)i * n * n + r + (size_t)c * n] : NAN);
            }
        }
        starpu_matrix_data_register(&hP[i], STARPU_MAIN_RAM, (uintptr_t)P[i], ld, n, n, es);
        starpu_matrix_data_register(&hq[i], STARPU_MAIN_RAM, (uintptr_t)q[i], n, n, 1, es);
    }
    starpu_matrix_data_register(&hv, STARPU_MAIN_RAM, (uintptr_t)v, n, n, 1, es);
    starpu_variable_data_register(&hridge, STARPU_MAIN_RAM, (uintptr_t)&ridge_used, sizeof ridge_used);
    starpu_variable_data_register(&hstatus, STARPU_MAIN_RAM, (uintptr_t)&status, sizeof status);
    assert_int_equal(sbk_insert_ann_solve(hP, hq, np, n, ridge, hv, hridge, hstatus), 0);
    assert_int_equal(sbk_wait(), 0);
    for (int i = 0; i < np; i++)
        starpu_data_unregister(hP[i]), starpu_data_unregister(hq[i]);
    starpu_data_unregister(hv), starpu_data_unregister(hridge), starpu_data_unregister(hstatus);
    assert_true(status == SBK_TASK_OK || status == SBK_TASK_SINGULAR);
    if (status == SBK_TASK_SINGULAR)
        ridge_used = -1.0;

    double *G = malloc((size_t)n * n * sizeof *G), *b = malloc(n * sizeof *b);
    double expected = ann_solve_reference(n, np, P, ld, q, dbl, ridge, G, b);
    if (ridge_used != expected)
        print_error("n %d, %s: ridge used %.17g, the reference's %.17g\n", n, dbl ? "double" : "float", ridge_used,
                    expected);
    assert_true(ridge_used == expected);
    double worst = 0, vmax = 0, res = 0, gmax = 0, bmax = 0;
    for (int j = 0; expected >= 0 && j < n; j++) {
        double vj = dbl ? ((double *)v)[j] : ((float *)v)[j], s = 0;
        assert_true(isfinite(vj));
        worst = fmax(worst, fabs(vj - b[j])), vmax = fmax(vmax, fabs(b[j]));
        for (int k = 0; k < n; k++) {
            double g = j >= k ? G[j + (size_t)k * n] : G[k + (size_t)j * n];
            s += (g + (j == k ? expected : 0)) * (dbl ? ((double *)v)[k] : ((float *)v)[k]);
            gmax = fmax(gmax, fabs(g));
        }
        double bj = 0;
        for (int i = 0; i < np; i++)
            bj = sbk_ann_add_partial(bj, q[i], dbl, j);
        res = fmax(res, fabs(s - bj)), bmax = fmax(bmax, fabs(bj));
    }
    double eps = dbl ? 0x1p-52 : 0x1p-23, scaled = res / (((gmax + fabs(expected)) * vmax + bmax) * n * eps);
    double tolerance = dbl ? 1e-10 : 1e-6;
    if (expected >= 0 && !(worst <= tolerance * vmax && scaled < 10))
        print_error("n %d, %s: v differs from LAPACKE by %.3e (relative), scaled residual %.3e\n", n,
                    dbl ? "double" : "float", vmax > 0 ? worst / vmax : worst, scaled);
    assert_true(expected < 0 || (worst <= tolerance * vmax && scaled < 10));
    for (int i = 0; i < np; i++)
        starpu_free_noflag(P[i], ld * n * es), starpu_free_noflag(q[i], n * es);
    free(P), free(q), free(v), free(hP), free(hq), free(G), free(b);
    return ridge_used;
}

/* Positive definite sums with and without a requested ridge (n = 37 and 1), an
 * indefinite one whose smallest eigenvalue is -3e-4 × the mean diagonal (the
 * fallback must stop at 1e-3 × it), and one that no ridge fixes (-I). */
static inline void ann_solve_cases_match_reference(void)
{
    enum { N = 29 };
    double lambda[N], sum = 0, c = 3e-4;
    for (int k = 0; k < N - 1; k++)
        sum += lambda[k] = 1 + 9.0 * k / (N - 2);
    lambda[N - 1] = -c * sum / (N + c); /* = -c × the mean of all N */
    double mean = (sum + lambda[N - 1]) / N, minus_one[N];
    for (int k = 0; k < N; k++)
        minus_one[k] = -1.0;
    struct ann_parts rows = ann_parts_from_rows(37, 3, 11), one = ann_parts_from_rows(1, 2, 12);
    struct ann_parts indefinite = ann_parts_with_spectrum(N, 4, lambda, 13);
    struct ann_parts hopeless = ann_parts_with_spectrum(N, 2, minus_one, 14);
    for (int p = 0; p < 2; p++) {
        sbk_precision prec = p ? SBK_FLOAT : SBK_DOUBLE;
        assert_true(ann_solve_matches_reference(&rows, prec, 0.0) == 0.0);
        assert_true(ann_solve_matches_reference(&rows, prec, 0.5) == 0.5);
        assert_true(ann_solve_matches_reference(&one, prec, 0.0) == 0.0);
        double used = ann_solve_matches_reference(&indefinite, prec, 0.0);
        if (!(fabs(used / (1e-3 * mean) - 1) < 1e-3))
            print_error("%s: the indefinite case took ridge %g, not 1e-3 × %g\n", p ? "float" : "double", used, mean);
        assert_true(fabs(used / (1e-3 * mean) - 1) < 1e-3);
        assert_true(ann_solve_matches_reference(&hopeless, prec, 0.0) < 0);
    }
    ann_parts_free(&rows), ann_parts_free(&one), ann_parts_free(&indefinite), ann_parts_free(&hopeless);
}

#endif
