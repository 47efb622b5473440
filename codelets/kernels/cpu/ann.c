/* The ANN's kernels on a CPU core: the hidden layer's OpenBLAS gemm, syrk and
 * gemv around the vectorised activation, the inner layer's LAPACKE dgels and
 * the outer solve's ridge Cholesky (cholesky.c). */
#include <cblas.h>
#include <lapacke.h>
#include <stdlib.h>
#include <string.h>
#include "ann.h"
#include "cholesky.h"
#include "../common/ann_draws.h"
#include "../common/partial_sum.h"

void sbk_cpu_ann_hidden(sbk_precision prec, int rows, int vars, int neurons, int bias, const void *X, int ldx,
                        const void *W, int ldw, void *H, int ldh)
{
    if (prec == SBK_DOUBLE) {
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, rows, neurons, vars, 1.0, X, ldx, W, ldw, 0.0, H, ldh);
        sbk_ann_activate_cpu_d(H, ldh, rows, neurons, bias, (const double *)W + vars, ldw);
    } else {
        cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, rows, neurons, vars, 1.0f, X, ldx, W, ldw, 0.0f, H,
                    ldh);
        sbk_ann_activate_cpu_f(H, ldh, rows, neurons, bias, (const float *)W + vars, ldw);
    }
}

void sbk_cpu_ann_normal(sbk_precision prec, int rows, int vars, int neurons, int bias, int chunk, const void *X,
                        int ldx, const void *y, const void *W, int ldw, void *H, int ldh, void *P, int ldp, void *q)
{
    int ncol = neurons + bias;
    for (int r0 = 0; r0 < rows; r0 += chunk) {
        int h = rows - r0 < chunk ? rows - r0 : chunk;
        double beta = r0 == 0 ? 0.0 : 1.0;
        sbk_cpu_ann_hidden(prec, h, vars, neurons, bias, (const char *)X + (size_t)r0 * prec, ldx, W, ldw, H, ldh);
        if (prec == SBK_DOUBLE) {
            cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, ncol, h, 1.0, H, ldh, beta, P, ldp);
            cblas_dgemv(CblasColMajor, CblasTrans, h, ncol, 1.0, H, ldh, (const double *)y + r0, 1, beta, q, 1);
        } else {
            cblas_ssyrk(CblasColMajor, CblasLower, CblasTrans, ncol, h, 1.0f, H, ldh, (float)beta, P, ldp);
            cblas_sgemv(CblasColMajor, CblasTrans, h, ncol, 1.0f, H, ldh, (const float *)y + r0, 1, (float)beta, q,
                        1);
        }
    }
}

void sbk_cpu_ann_predict(sbk_precision prec, int rows, int vars, int neurons, int bias, int chunk, const void *X,
                         int ldx, const void *W, int ldw, const void *v, void *H, int ldh, void *yhat)
{
    int ncol = neurons + bias;
    for (int r0 = 0; r0 < rows; r0 += chunk) {
        int h = rows - r0 < chunk ? rows - r0 : chunk;
        sbk_cpu_ann_hidden(prec, h, vars, neurons, bias, (const char *)X + (size_t)r0 * prec, ldx, W, ldw, H, ldh);
        if (prec == SBK_DOUBLE)
            cblas_dgemv(CblasColMajor, CblasNoTrans, h, ncol, 1.0, H, ldh, v, 1, 0.0, (double *)yhat + r0, 1);
        else
            cblas_sgemv(CblasColMajor, CblasNoTrans, h, ncol, 1.0f, H, ldh, v, 1, 0.0f, (float *)yhat + r0, 1);
    }
}

/* Neuron k's draw `attempt` on its own rows (no padding: ann_draws.h) solved
 * in least squares (LAPACKE dgels) into t's first n values; 1 when it is
 * accepted. A merged cluster's neuron has no rows: dropped. */
static int solve_draw(const struct sbk_ann_draws *d, int k, int attempt, double *A, double *t)
{
    int n = d->vars + d->bias, m = sbk_ann_own_rows(d, k);
    for (int i = 0; i < m; i++)
        sbk_ann_gather_row(d, k, attempt, i, A, m, t);
    return m >= n && LAPACKE_dgels(LAPACK_COL_MAJOR, 'N', m, n, 1, A, m, t, m) == 0 &&
           sbk_ann_draw_accepted(A, m, t, n);
}

void sbk_cpu_ann_inner(const struct sbk_ann_draws *d, int first, int count, int random_attempts, void *W, int ldw,
                       int *draws_used)
{
    int n = d->vars + d->bias;
    double *A = malloc((size_t)d->rows * n * sizeof *A), *t = malloc((size_t)d->rows * sizeof *t);
    for (int j = 0; j < count; j++) {
        int ok = 0, attempt = 0;
        while (d->tiles && A && t && !ok && attempt < sbk_ann_attempts(d, random_attempts))
            ok = solve_draw(d, first + j, attempt++, A, t);
        sbk_ann_write_column(W, ldw, d->dbl, j, d->vars, n, ok, t);
        draws_used[j] = ok ? attempt : SBK_ANN_DROPPED;
    }
    free(A), free(t);
}

/* v = (G + ridge I)^{-1} b by the policy's ridges, G = sum of the P_i's lower
 * triangles and b = sum of the q_i, each element added in the partials' order
 * from 0 in double (partial_sum.h, as the CUDA path adds them). */
int sbk_cpu_ann_solve(const struct sbk_ann_partials *p, const struct sbk_ridge_policy *policy, double *G, double *L,
                      double *b, sbk_precision v_prec, void *v, double *ridge_used)
{
    int n = p->n, dbl = p->prec == SBK_DOUBLE;
    memset(G, 0, (size_t)n * n * sizeof *G);
    memset(b, 0, n * sizeof *b);
    /* Partial by partial, column by column: contiguous reads of the lower triangles. */
    for (int i = 0; i < p->nparts; i++)
        for (int j = 0; j < n; j++) {
            b[j] = sbk_ann_add_partial(b[j], p->q[i], dbl, j);
            for (int r = j; r < n; r++)
                G[r + (size_t)j * n] = sbk_ann_add_partial(G[r + (size_t)j * n], p->P[i], dbl, r + (size_t)j * p->ldp);
        }
    double ridge;
    if (!sbk_cpu_ridge_cholesky(n, G, L, policy, &ridge))
        return 0;
    sbk_cpu_cholesky_solve(n, L, b);
    for (int j = 0; j < n; j++)
        sbk_elem_set(v_prec, v, j, b[j]);
    *ridge_used = ridge;
    return 1;
}
