/* SolveBak's kernels on a CPU core: OpenBLAS gemv, dot and syrk; the batch
 * reductions' fixed-order sums and the block-exact Cholesky (cholesky.c); the
 * Gram sweep (trmv, trsv, symv in double, else element by element). */
#include <cblas.h>
#include <math.h>
#include <string.h>
#include "solvebak.h"
#include "cholesky.h"
#include "../common/partial_sum.h"

/* y = alpha op(A) x + beta y and x^T x in prec: one call site for both precisions. */
static void gemv(sbk_precision prec, enum CBLAS_TRANSPOSE t, int m, int n, double alpha, const void *A, int lda,
                 const void *x, double beta, void *y)
{
    if (prec == SBK_DOUBLE)
        cblas_dgemv(CblasColMajor, t, m, n, alpha, A, lda, x, 1, beta, y, 1);
    else
        cblas_sgemv(CblasColMajor, t, m, n, (float)alpha, A, lda, x, 1, (float)beta, y, 1);
}

static double dot(sbk_precision prec, int n, const void *x)
{
    return prec == SBK_DOUBLE ? cblas_ddot(n, x, 1, x, 1) : cblas_sdot(n, x, 1, x, 1);
}

void sbk_cpu_solvebak_step(sbk_precision prec, int rows, void *e, const void *X_prev, int ld_prev, int prev_count,
                           const void *da, const void *X_cur, int ld_cur, int cur_count, void *p, int norm)
{
    if (prev_count)
        gemv(prec, CblasNoTrans, rows, prev_count, -1.0, X_prev, ld_prev, da, 1.0, e);
    if (cur_count)
        gemv(prec, CblasTrans, rows, cur_count, 1.0, X_cur, ld_cur, e, 0.0, p);
    if (norm)
        sbk_elem_set(prec, p, cur_count, dot(prec, rows, e));
}

void sbk_cpu_gram_partial(sbk_precision prec, int rows, int count, int whole, const void *X, int ld, void *q)
{
    if (whole && prec == SBK_DOUBLE)
        cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, count, rows, 1.0, X, ld, 0.0, q, count);
    else if (whole)
        cblas_ssyrk(CblasColMajor, CblasLower, CblasTrans, count, rows, 1.0f, X, ld, 0.0f, q, count);
    for (int k = 0; !whole && k < count; k++) {
        sbk_elem_set(prec, q, k, dot(prec, rows, (const char *)X + (size_t)k * ld * prec));
    }
}

void sbk_cpu_gram_form(sbk_precision prec, int rows, int nblocks, const void *const *blocks, const int *cols,
                       const int *ld, int accumulate, int chunk, void *W, void *M, int ldm)
{
    int n = 0;
    for (int t = 0; t < nblocks; t++)
        n += cols[t];
    for (int r0 = 0; r0 < rows; r0 += chunk) {
        int k = rows - r0 < chunk ? rows - r0 : chunk, col = 0;
        for (int t = 0; t < nblocks; t++)
            for (int c = 0; c < cols[t]; c++, col++)
                memcpy((char *)W + (size_t)col * k * prec,
                       (const char *)blocks[t] + (r0 + (size_t)c * ld[t]) * prec, (size_t)k * prec);
        int first = !accumulate && r0 == 0;
        if (prec == SBK_DOUBLE)
            cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, n, k, 1.0, W, k, first ? 0.0 : 1.0, M, ldm);
        else
            cblas_ssyrk(CblasColMajor, CblasLower, CblasTrans, n, k, 1.0f, W, k, first ? 0.0f : 1.0f, M, ldm);
    }
}

void sbk_cpu_partials_sum(sbk_precision parts_prec, int nparts, const void *const *parts, size_t first, size_t len,
                          double *out)
{
    for (size_t k = 0; k < len; k++) {
        double sum = 0.0;
        for (int i = 0; i < nparts; i++)
            sum = sbk_ann_add_partial(sum, parts[i], parts_prec == SBK_DOUBLE, first + k);
        out[k] = sum;
    }
}

/* d = (D + L)^{-1} d (Gauss-Seidel) or D^{-1} d (Jacobi), D = scale's
 * diagonal, L = G's strict lower triangle: a zero column has a zero diagonal
 * and is skipped (its step is 0). */
static void triangular_step(int count, int gauss_seidel, const double *scale, const double *G, double *d)
{
    for (int k = 0; k < count; k++) {
        /* Gauss-Seidel: X_k^T e after the batch's earlier columns moved e. */
        for (int j = 0; gauss_seidel && j < k; j++)
            d[k] -= G[k + (size_t)j * count] * d[j];
        d[k] = scale[k] > 0.0 ? d[k] / scale[k] : 0.0;
    }
}

void sbk_cpu_solvebak_update(sbk_precision parts_prec, int nparts, const void *const *parts, int count,
                             enum sbk_batch_solve solve, const double *scale, sbk_precision prec, void *da, void *a)
{
    double d[count];
    sbk_cpu_partials_sum(parts_prec, nparts, parts, 0, count, d);
    const double *G = scale + count; /* after the diagonal */
    if (solve == SBK_BATCH_CHOLESKY)
        sbk_cpu_cholesky_solve(count, G, d);
    else
        triangular_step(count, solve == SBK_BATCH_GAUSS_SEIDEL, scale, G, d);
    for (int k = 0; k < count; k++) {
        if (prec == SBK_DOUBLE) {
            ((double *)da)[k] = d[k];
            ((double *)a)[k] += d[k];
        } else { /* a's own precision for the sum, as the iterate is held */
            ((float *)da)[k] = (float)d[k];
            ((float *)a)[k] += (float)d[k];
        }
    }
}

/* A duplicated column gives a zero pivot in exact arithmetic, but partials
 * rounded differently (a GPU's SYRK beside a CPU's) give a tiny positive one
 * just as well, and a solve through it is noise: a pivot² below 1e-13 of its
 * column's diagonal is refused. Relative to each column, so a column of small
 * values but independent of the others is not taken for a duplicate. The
 * ridges only precondition the batch's step, which the next sweeps correct,
 * so they grow fast and far: 1e-12 times the mean diagonal, then 100 times
 * more, up to 1e2 times it. */
static const struct sbk_ridge_policy batch_ridges = {0.0, 100.0, 9, 1e-13};

int sbk_cpu_gram_reduce(sbk_precision parts_prec, int nparts, const void *const *parts, int n,
                        enum sbk_batch_solve solve, double *out, double *copy)
{
    int whole = solve != SBK_BATCH_JACOBI;
    double *diag = out, *G = whole ? out + n : diag, *ridge_used = out + n + (whole ? (size_t)n * n : 0);
    sbk_cpu_partials_sum(parts_prec, nparts, parts, 0, whole ? (size_t)n * n : (size_t)n, G);
    int status = SBK_TASK_OK;
    *ridge_used = 0.0;
    for (int k = 0; k < n; k++) {
        if (whole)
            diag[k] = G[k + (size_t)k * n];
        if (!isfinite(diag[k]))
            status = SBK_TASK_NONFINITE;
    }
    if (solve != SBK_BATCH_CHOLESKY || status != SBK_TASK_OK)
        return status;
    /* Duplicated or dependent columns make G_J singular: a ridge keeps the batch solvable (reported). */
    memcpy(copy, G, (size_t)n * n * sizeof *copy);
    double ridge;
    int attempts = sbk_cpu_ridge_cholesky(n, copy, G, &batch_ridges, &ridge);
    if (attempts != 1)
        *ridge_used = ridge;
    return attempts == 0 ? SBK_TASK_SINGULAR : attempts == 1 ? SBK_TASK_OK : SBK_TASK_REGULARIZED;
}

/* G[:, j]^T a from the lower triangle: row j left of the diagonal, column j from it down. */
static double column_dot(sbk_precision prec, const void *G, size_t ld, int vars, int j, const double *a)
{
    double sum = 0.0;
    for (int k = 0; k < j; k++)
        sum += sbk_elem_get(prec, G, j + k * ld) * a[k];
    for (int k = j; k < vars; k++)
        sum += sbk_elem_get(prec, G, k + j * ld) * a[k];
    return sum;
}

/* One sweep element by element, G's lower triangle read by column_dot: any
 * precision (sums in double), and G_jj = 0 (a zero column: a_j stays). */
static void sweep_elementwise(sbk_precision prec, const void *G, size_t ld, int vars, double *a)
{
    for (int j = 0; j < vars; j++) {
        double gjj = sbk_elem_get(prec, G, j + j * ld);
        if (!(gjj > 0.0))
            continue;
        double d = sbk_elem_get(prec, G, vars + j * ld) - column_dot(prec, G, ld, vars, j, a);
        double aj = a[j] + d / gjj;
        a[j] = prec == SBK_DOUBLE ? aj : (float)aj; /* the same rounding as the per-column method's a */
    }
}

/* The same sweep in double with G = L + D + L^T as two BLAS-2 passes over the
 * lower triangle, contiguous and vectorised: Gauss-Seidel is
 * (D + L) a_new = b - L^T a_old, and b - L^T a = b - (D + L^T) a + D a. */
static void sweep_blas(const double *G, int ld, int vars, double *a, double *s)
{
    for (int j = 0; j < vars; j++)
        s[j] = a[j];
    cblas_dtrmv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, vars, G, ld, s, 1);
    for (int j = 0; j < vars; j++) /* b_j is M's last row */
        s[j] = G[vars + (size_t)j * ld] - s[j] + G[j + (size_t)j * ld] * a[j];
    cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, vars, G, ld, s, 1);
    for (int j = 0; j < vars; j++)
        a[j] = s[j];
}

double sbk_cpu_gram_sweep(sbk_precision prec, int vars, const void *M, int ldm, double *a, double *s)
{
    int zero_column = 0;
    for (int j = 0; j < vars; j++)
        zero_column |= !(sbk_elem_get(prec, M, j + (size_t)j * ldm) > 0.0);
    double ab = 0.0, aga = 0.0;
    if (prec == SBK_DOUBLE && !zero_column) {
        sweep_blas(M, ldm, vars, a, s);
        cblas_dsymv(CblasColMajor, CblasLower, vars, 1.0, M, ldm, a, 1, 0.0, s, 1); /* s = G a */
        aga = cblas_ddot(vars, a, 1, s, 1);
        ab = cblas_ddot(vars, a, 1, (const double *)M + vars, ldm);
    } else {
        sweep_elementwise(prec, M, ldm, vars, a);
        for (int j = 0; j < vars; j++) {
            aga += a[j] * column_dot(prec, M, ldm, vars, j, a);
            ab += a[j] * sbk_elem_get(prec, M, vars + (size_t)j * ldm);
        }
    }
    double ee = sbk_elem_get(prec, M, vars + (size_t)vars * ldm) - 2.0 * ab + aga;
    return ee > 0.0 ? ee : 0.0;
}
